/**
 * What the checks say at run time (expected, actual, hint), in both languages: in English word for word
 * what they said before the catalogue (e2e tests and learners read these), in Chinese Chinese, with the
 * names of services, images, nodes and networks kept as they are. What a check decides is the same in both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checks } from '../../checks/index.js';
import type { CheckContext, CheckOutcome, Params } from '../../checks/types.js';
import type { DockerClient, ServiceInfo } from '../../runner/docker/client.js';
import { setLanguage } from '../../runner/i18n/language.js';
import { evaluate } from '../../runner/engine/wait.js';
import { checkContext, fakeDocker, serviceInfo } from '../support/fake-docker.js';

const context = (docker: Partial<DockerClient>, over: Partial<CheckContext> = {}) => checkContext(fakeDocker(docker), over);

const task = (id: string, nodeId: string, more: Record<string, unknown> = {}) => ({ id, serviceName: 'worker', nodeId, state: 'running', desiredState: 'running', image: 'w', message: '', ...more });
const node = (id: string, hostname: string, state = 'ready', role: 'manager' | 'worker' = 'worker') => ({ id, hostname, role, state });
const service = (more: Partial<ServiceInfo> = {}, name = 'worker', image = '127.0.0.1:5000/dockercoins_worker:v0.1') => async () => [serviceInfo(name, image, more)];

/** A registry answering from a map of repository -> tags. */
const registry = (repos: Record<string, string[]>) => (async (url: string) => {
  const path = new URL(url).pathname;
  if (path === '/v2/_catalog') return Response.json({ repositories: Object.keys(repos) });
  const repo = /^\/v2\/(.+)\/tags\/list$/.exec(path)?.[1];
  if (repo && repos[repo]) return Response.json({ name: repo, tags: repos[repo] });
  return Response.json({ errors: [{ code: 'NAME_UNKNOWN' }] }, { status: 404 });
}) as unknown as typeof fetch;

interface Case {
  name: string;
  check: string;
  params: Params;
  ctx: () => CheckContext;
  /** The English outcome, exactly (the fields given). */
  en: Partial<CheckOutcome>;
  /** Names that stay as they are in every language. */
  names: string[];
}

const cases: Case[] = [
  {
    name: 'service-converged with a node down',
    check: 'service-converged', params: { service: 'worker', replicas: 3 },
    ctx: () => context({ services: service({ mode: { kind: 'replicated', replicas: 3 } }), tasks: async () => [task('a', 'n1'), task('b', 'n2'), task('c', 'n3')], nodes: async () => [node('n1', 'node1'), node('n2', 'node2'), node('n3', 'node3', 'down')] } as Partial<DockerClient>),
    en: { ok: false, expected: 'worker: 3/3 running', actual: 'worker: 2/3 running; node3 is down (1 task(s) were on node3: swarm starts them again on the other nodes)' },
    names: ['worker', 'node3'],
  },
  {
    name: 'service-converged with two nodes down',
    check: 'service-converged', params: { service: 'worker', replicas: 3 },
    ctx: () => context({ services: service({ mode: { kind: 'replicated', replicas: 3 } }), tasks: async () => [task('a', 'n1'), task('b', 'n2'), task('c', 'n3')], nodes: async () => [node('n1', 'node1'), node('n2', 'node2', 'down'), node('n3', 'node3', 'down')] } as Partial<DockerClient>),
    en: { ok: false, actual: 'worker: 1/3 running; node2, node3 are down (2 task(s) were on node2, node3: swarm starts them again on the other nodes)' },
    names: ['worker', 'node2, node3'],
  },
  {
    name: 'service-converged set to another count',
    check: 'service-converged', params: { service: 'worker', replicas: 5 },
    ctx: () => context({ services: service({ mode: { kind: 'replicated', replicas: 2 } }), tasks: async () => [task('a', 'n1'), task('b', 'n1', { state: 'pending', message: 'no suitable node' })], nodes: async () => [node('n1', 'node1')] } as Partial<DockerClient>),
    en: { ok: false, expected: 'worker: 5/5 running', actual: 'worker is set to 2 replica(s); worker: 1/2 running, 1 pending: no suitable node' },
    names: ['worker', '1 pending: no suitable node'],
  },
  {
    name: 'a service that is not there, with the overlay networks named',
    check: 'service-published', params: { service: 'webui', port: 8000, target: 80 },
    ctx: () => context({ services: async () => [], networks: async () => [{ id: '1', name: 'dockercoins', driver: 'overlay', scope: 'swarm', createdAt: '' }, { id: '2', name: 'ingress', driver: 'overlay', scope: 'swarm', createdAt: '' }] } as Partial<DockerClient>),
    en: {
      ok: false, expected: 'webui: port 8000 published to 80', actual: 'no service named webui',
      hint: 'if `docker service create ... --name webui` printed an error, it says why: a misspelled --network gives "network ... not found" (the overlay networks here: dockercoins). docker service ls lists the services.',
    },
    names: ['webui', 'docker service create ... --name webui', 'dockercoins', 'docker service ls'],
  },
  {
    name: 'service-image from the private registry where Docker Hub\'s image is wanted',
    check: 'service-image', params: { service: 'redis', image: 'redis:7', replicas: 1 },
    ctx: () => context({ services: service({}, 'redis', 'localhost:5000/redis:7') }),
    en: {
      ok: false, expected: 'redis: 1 task(s) running redis:7',
      actual: 'redis is set to run localhost:5000/redis:7: it comes from localhost:5000, not from Docker Hub',
    },
    names: ['redis', 'redis:7', 'localhost:5000/redis:7'],
  },
  {
    name: 'service-image on another tag',
    check: 'service-image', params: { service: 'worker', image: 'localhost:5000/dockercoins_worker:v0.2', replicas: '1+' },
    ctx: () => context({ services: service() }),
    en: {
      ok: false, expected: 'worker: at least 1 task(s) running localhost:5000/dockercoins_worker:v0.2 (localhost, 127.0.0.1 or [::1])',
      actual: 'worker is set to run 127.0.0.1:5000/dockercoins_worker:v0.1: the tag differs (v0.1, not v0.2)',
      hint: 'docker service update --image localhost:5000/dockercoins_worker:v0.2 worker changes it',
    },
    names: ['worker', 'localhost:5000/dockercoins_worker:v0.2', '127.0.0.1:5000/dockercoins_worker:v0.1', 'docker service update --image localhost:5000/dockercoins_worker:v0.2 worker'],
  },
  {
    name: 'service-on-network with no network',
    check: 'service-on-network', params: { service: 'redis', network: 'dockercoins' },
    ctx: () => context({ services: service({}, 'redis', 'redis') }),
    en: { ok: false, expected: 'redis on network dockercoins', actual: 'redis on no network' },
    names: ['redis'],
  },
  {
    name: 'update-completed after an update, for the rollback step',
    check: 'update-completed', params: { service: 'worker', kind: 'rollback' },
    ctx: () => context({ services: service({ updateState: 'completed' }) }),
    en: {
      ok: false, expected: 'worker: a rollback (docker service rollback), finished (UpdateStatus rollback_completed)',
      actual: 'worker: UpdateStatus completed: the last change was an update, not a rollback',
      hint: 'this step teaches docker service rollback worker: it goes back to the previous spec (image and settings) without naming the image',
    },
    names: ['worker', 'UpdateStatus completed', 'docker service rollback worker'],
  },
  {
    name: 'update-config without its flags',
    check: 'update-config', params: { service: 'worker', parallelism: 2, delay: 5 },
    ctx: () => context({ services: service() }),
    en: {
      ok: false, expected: 'worker: update parallelism 2, delay 5s', actual: 'worker: update parallelism 1, delay 0s',
      hint: 'the service\'s update settings lack --update-parallelism 2 and --update-delay 5s: give them in the update command (docker service update --update-parallelism 2 --update-delay 5s --image ... worker); settings given once stay with the service for later updates',
    },
    names: ['worker', '--update-parallelism 2', '--update-delay 5s', 'docker service update --update-parallelism 2 --update-delay 5s --image ... worker'],
  },
  {
    name: 'service-endpoint without IPVS',
    check: 'service-endpoint', params: { service: 'rng' },
    ctx: () => context({ services: service({ endpointMode: 'vip', virtualIps: 1 }, 'rng', 'r') }),
    en: {
      ok: false, expected: 'rng: endpoint mode dnsrr (no IPVS here: a virtual IP would not route), no virtual IP', actual: 'rng: endpoint mode vip, 1 virtual IP(s)',
      hint: 'this kernel has no IPVS, so a virtual IP answers "No route to host": docker service update --endpoint-mode dnsrr rng',
    },
    names: ['rng', 'docker service update --endpoint-mode dnsrr rng'],
  },
  {
    name: 'tasks-spread on a smaller swarm',
    check: 'tasks-spread', params: { service: 'worker', nodes: 3 },
    ctx: () => context({ nodes: async () => [node('n1', 'node1'), node('n2', 'node2'), node('n3', 'node3', 'down')], tasks: async () => [task('a', 'n1'), task('b', 'n1')] } as Partial<DockerClient>),
    en: { ok: false, expected: 'worker: running tasks on 2 node(s) or more (the swarm has 2 ready)', actual: 'worker: 2 task(s) on node1 (2)' },
    names: ['worker', 'node1 (2)'],
  },
  {
    name: 'service-on-manager on a worker node',
    check: 'service-on-manager', params: { service: 'registry' },
    ctx: () => context({ services: service({}, 'registry', 'registry:2'), nodes: async () => [node('n1', 'node1', 'ready', 'manager'), node('n2', 'node2')], tasks: async () => [task('a', 'n2')] } as Partial<DockerClient>),
    en: {
      ok: false, expected: 'registry: every running task on a manager node', actual: 'registry runs on node2 (worker)',
      hint: 'pin it: docker service update --constraint-add node.role==manager registry (or node.hostname==<the manager>)',
    },
    names: ['registry', 'node2 (worker)', 'docker service update --constraint-add node.role==manager registry'],
  },
  {
    name: 'registry-has-tag for a tag built but not pushed',
    check: 'registry-has-tag', params: { repository: 'dockercoins_hasher', tag: 'v0.1' },
    ctx: () => context({ images: async () => [{ id: 'sha256:1', tags: ['localhost:5000/dockercoins_hasher:v0.1'], created: 0 }] } as Partial<DockerClient>, { fetch: registry({}) }),
    en: {
      ok: false, expected: '127.0.0.1:5000/dockercoins_hasher has tag v0.1 (pushed as localhost:5000/..., 127.0.0.1:5000/... or [::1]:5000/...)',
      actual: 'no repository dockercoins_hasher in the registry; localhost:5000/dockercoins_hasher:v0.1 exists on this engine but not in the registry: it was not pushed',
      hint: 'push it by its full name, tag included: docker push localhost:5000/dockercoins_hasher:v0.1. A push without a tag (docker push localhost:5000/dockercoins_hasher) pushes only localhost:5000/dockercoins_hasher:latest, which does not exist here',
    },
    names: ['dockercoins_hasher', 'docker push localhost:5000/dockercoins_hasher:v0.1', 'localhost:5000/dockercoins_hasher:latest'],
  },
  {
    name: 'registry-has-tag with other tags',
    check: 'registry-has-tag', params: { repository: 'rng', tag: 'v2' },
    ctx: () => context({ images: async () => [] } as Partial<DockerClient>, { fetch: registry({ rng: ['v1'] }) }),
    en: { ok: false, actual: 'rng tags: v1' },
    names: ['rng', 'v1'],
  },
  {
    name: 'registry-has-image on an empty registry',
    check: 'registry-has-image', params: {},
    ctx: () => context({ images: async () => [] } as Partial<DockerClient>, { fetch: registry({}) }),
    en: { ok: false, expected: 'an image in 127.0.0.1:5000 (its catalog lists a repository with a tag)', actual: 'the registry is empty' },
    names: ['127.0.0.1:5000'],
  },
  {
    name: 'network with another driver',
    check: 'network', params: { name: 'dockercoins', driver: 'overlay', scope: 'swarm' },
    ctx: () => context({ networks: async () => [{ id: '1', name: 'dockercoins', driver: 'bridge', scope: 'local', createdAt: '' }] } as Partial<DockerClient>),
    en: { ok: false, expected: 'network dockercoins, driver overlay, scope swarm', actual: 'network dockercoins, driver bridge, scope local' },
    names: ['dockercoins', 'bridge', 'local'],
  },
  {
    name: 'pulled-from-registry with a node on another image',
    check: 'pulled-from-registry', params: { service: 'worker' },
    ctx: () => context({
      services: service({}, 'worker', 'localhost:5000/dockercoins_worker:v0.1'),
      tasks: async () => [task('a', 'n1', { imageDigest: `sha256:${'a'.repeat(64)}` }), task('b', 'n2')],
      nodes: async () => [node('n1', 'node1'), node('n2', 'node2')],
    } as Partial<DockerClient>, { fetch: (async () => new Response('{}', { headers: { 'Docker-Content-Digest': `sha256:${'a'.repeat(64)}` } })) as unknown as typeof fetch }),
    en: { ok: false, expected: 'every running worker task runs the digest the registry serves for its tag', actual: 'sha256:aaaaaaaaaaaa from the registry on node1; node2 runs an image with no digest pinned (not from the registry)' },
    names: ['worker', 'sha256:aaaaaaaaaaaa', 'node1', 'node2'],
  },
  {
    name: 'dns-resolves with no A record',
    check: 'dns-resolves', params: { name: 'rng', count: 2 },
    ctx: () => context({ containers: async () => [{ id: 'd', name: 'debug.1', image: 'tools', state: 'running', labels: {} }], exec: async () => ({ exitCode: 0, stdout: ';; ANSWER SECTION:\n;; x', stderr: '' }) } as Partial<DockerClient>),
    en: { ok: false, expected: 'rng: 2 A record(s), seen from the debug service', actual: 'rng: no A record' },
    names: ['rng'],
  },
  {
    name: 'bench-story without ab in the debug image',
    check: 'bench-story', params: { url: 'http://hasher/', concurrency: 20, story: 'concurrent' },
    ctx: () => context({ containers: async () => [{ id: 'd', name: 'debug.1', image: 'alpine', state: 'running', labels: {} }], exec: async () => ({ exitCode: 127, stdout: '', stderr: 'exec: "ab": executable file not found' }) } as Partial<DockerClient>),
    en: { ok: false, expected: 'requests/s with 20 clients at least 3x that with 1 (side by side)', actual: 'ab is not in the image of the debug service (alpine)', hint: 'create the debug service from the tools image (chapter 3, step 11)' },
    names: ['20', 'alpine'],
  },
  {
    name: 'image-code on an image built before the edit',
    check: 'image-code', params: { image: 'localhost:5000/dockercoins_worker:v0.01', path: '/app/worker.py', matches: 'package/worker/worker.py' },
    ctx: () => context({ images: async () => [] } as Partial<DockerClient>, { paths: { workspace: '/nonexistent', package: new URL('../../dockercoins', import.meta.url).pathname } }),
    en: { ok: false, expected: 'localhost:5000/dockercoins_worker:v0.01 holds the original worker/worker.py (time.sleep(0.1))', actual: 'no image localhost:5000/dockercoins_worker:v0.01 on this engine' },
    names: ['localhost:5000/dockercoins_worker:v0.01', 'worker/worker.py', 'time.sleep(0.1)'],
  },
];

const run = (c: Case) => checks.get(c.check)!.run(c.params, c.ctx());

describe('what the checks say at run time', () => {
  afterEach(() => setLanguage({ lang: 'en', source: 'default' }));

  for (const c of cases) {
    it(`${c.name}: in English as before; in Chinese Chinese, names kept, the same verdict`, async () => {
      const en = await run(c);
      expect(en).toMatchObject(c.en);
      setLanguage({ lang: 'zh', source: '--lang' });
      const zh = await run(c);
      expect(zh.ok).toBe(en.ok);
      expect(zh.measurements).toEqual(en.measurements);
      for (const field of ['expected', 'actual', 'hint'] as const) {
        if (c.en[field] === undefined) continue;
        expect(zh[field], field).toMatch(/[\u4e00-\u9fff]/);
        expect(zh[field], field).not.toBe(en[field]);
      }
      const said = [zh.expected, zh.actual, zh.hint ?? ''].join('\n');
      for (const name of c.names) expect(said).toContain(name);
    });
  }

  it('say "at least N" in the run\'s language, in titles too', async () => {
    const image = checks.get('service-image')!;
    const params = { service: 'worker', image: 'w:1', replicas: '2+' };
    expect(image.title(params)).toBe('worker runs w:1 (at least 2 task(s))');
    setLanguage({ lang: 'zh', source: '--lang' });
    expect(image.title(params)).toBe('worker 运行 w:1（至少 2 个任务）');
  });

  it('say a check that could not run in the run\'s language, with the error as it came', async () => {
    const broken = () => [{ definition: checks.get('service-exists')!, params: { service: 'web' } }];
    const ctx = () => context({ services: async () => { throw new Error('connect ENOENT /var/run/docker.sock'); } });
    expect((await evaluate(broken(), ctx()))[0]).toMatchObject({ ok: false, actual: 'check could not run: connect ENOENT /var/run/docker.sock' });
    setLanguage({ lang: 'zh', source: '--lang' });
    expect((await evaluate(broken(), ctx()))[0]).toMatchObject({ ok: false, actual: '检查无法运行：connect ENOENT /var/run/docker.sock', title: '存在名为 web 的服务' });
  });

  it('in Chinese, a whole sentence reads as one', async () => {
    setLanguage({ lang: 'zh', source: '--lang' });
    expect(await run(cases[0]!)).toMatchObject({
      expected: 'worker：3/3 个在运行',
      actual: 'worker：2/3 个在运行；node3 已宕机（down）（1 个任务原先在 node3 上：swarm 会在其他节点上重新启动它们）',
    });
    expect((await run(cases.find((c) => c.check === 'registry-has-image')!)).actual).toBe('仓库是空的');
  });
});
