import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checks } from '../../checks/index.js';
import type { CheckContext, Params } from '../../checks/types.js';
import type { DockerClient, ServiceInfo } from '../../runner/docker/client.js';
import { firstFileOfTar, mapService, mapTasks } from '../../runner/docker/dockerode-client.js';
import { checkContext, fakeDocker, serviceInfo } from '../support/fake-docker.js';

const recorded = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/docker/${name}`, import.meta.url), 'utf8'));
const networkNames = new Map<string, string>(recorded('networks.json').map((n: { Id: string; Name: string }) => [n.Id, n.Name]));
const services = [...recorded('services.json'), ...recorded('services-pending.json')].map((s) => mapService(s, networkNames));
const tasksOf: Record<string, unknown[]> = { worker: recorded('tasks-worker.json'), pend: recorded('tasks-pending.json') };

/** The cluster as recorded from a real engine: chapter 3 done, plus a service `pend` that cannot be scheduled. */
const recordedCluster = (extra: Partial<DockerClient> = {}) =>
  fakeDocker({
    services: async () => services,
    tasks: async (name) => mapTasks((tasksOf[name] ?? []) as unknown[], name),
    ...extra,
  });

const context = checkContext;

const run = (id: string, params: Params, ctx: CheckContext) => checks.get(id)!.run(params, ctx);

describe('service-converged on a recorded cluster', () => {
  it('passes when all 10 worker tasks run', async () => {
    const outcome = await run('service-converged', { service: 'worker', replicas: 10 }, context(recordedCluster()));
    expect(outcome).toMatchObject({ ok: true, actual: 'worker: 10/10 running' });
  });
  it('fails when the spec asks for another count, saying what it is', async () => {
    const outcome = await run('service-converged', { service: 'worker', replicas: 5 }, context(recordedCluster()));
    expect(outcome.ok).toBe(false);
    expect(outcome.actual).toBe('worker is set to 10 replica(s); worker: 10/10 running');
  });
  it('not scaled at all while another service has the count the step wants: asks whether the scale went to the wrong one', async () => {
    const cluster = fakeDocker({
      services: async () => [serviceInfo('worker', 'img:1'), serviceInfo('hasher', 'img:1', { mode: { kind: 'replicated', replicas: 10 } }), serviceInfo('rng', 'img:1')],
      tasks: async (name) => Array.from({ length: name === 'hasher' ? 10 : 1 }, (_, i) => ({ id: `${name}${i}`, serviceName: name, nodeId: 'n', state: 'running', desiredState: 'running', image: 'img:1', message: '' })),
    });
    const outcome = await run('service-converged', { service: 'worker', replicas: 10 }, context(cluster));
    expect(outcome.ok).toBe(false);
    expect(outcome.actual).toBe('worker is set to 1 replica(s); worker: 1/1 running; hasher is set to 10 replica(s) instead: was that scale meant for worker?');
  });
  it('reports pending tasks with the scheduler\'s reason', async () => {
    const outcome = await run('service-converged', { service: 'pend', replicas: 3 }, context(recordedCluster()));
    expect(outcome.ok).toBe(false);
    expect(outcome.expected).toBe('pend: 3/3 running');
    expect(outcome.actual).toBe('pend: 0/3 running, 3 pending: no suitable node (scheduling constraints not satisfied on 1 node)');
  });
  it('says when there is no such service', async () => {
    const outcome = await run('service-converged', { service: 'nope', replicas: 1 }, context(recordedCluster()));
    expect(outcome).toMatchObject({ ok: false, actual: 'no service named nope' });
  });
});

describe('service checks on the recorded services', () => {
  it('service-image compares the spec and every running task', async () => {
    const ok = await run('service-image', { service: 'worker', image: '127.0.0.1:5000/dockercoins_worker:v0.1', replicas: 10 }, context(recordedCluster()));
    expect(ok.ok).toBe(true);
    const other = await run('service-image', { service: 'worker', image: '127.0.0.1:5000/dockercoins_worker:v0.01', replicas: 10 }, context(recordedCluster()));
    expect(other).toMatchObject({ ok: false, actual: 'worker is set to run 127.0.0.1:5000/dockercoins_worker:v0.1: the tag differs (v0.1, not v0.01)' });
  });
  it('service-image takes the articles\' localhost:5000 for our 127.0.0.1:5000, and "N+" for at least N', async () => {
    const ctx = context(recordedCluster());
    const localhost = await run('service-image', { service: 'worker', image: 'localhost:5000/dockercoins_worker:v0.1', replicas: 10 }, ctx);
    expect(localhost.ok).toBe(true);
    expect((await run('service-image', { service: 'worker', image: '127.0.0.1:5000/dockercoins_worker:v0.1', replicas: '1+' }, ctx)).ok).toBe(true);
    expect((await run('service-image', { service: 'worker', image: '127.0.0.1:5000/dockercoins_worker:v0.1', replicas: '11+' }, ctx)).ok).toBe(false);
    expect((await run('service-image', { service: 'worker', image: '127.0.0.1:5000/dockercoins_worker:v0.1', replicas: 1 }, ctx)).ok).toBe(false);
  });
  it('service-published reads host-mode ports', async () => {
    const outcome = await run('service-published', { service: 'webui', port: 8000, target: 80 }, context(recordedCluster()));
    expect(outcome).toMatchObject({ ok: true, actual: 'webui: 8000->80 (host)' });
    const rng = await run('service-published', { service: 'rng', port: 8000, target: 80 }, context(recordedCluster()));
    expect(rng).toMatchObject({ ok: false, actual: 'rng: no published ports' });
  });
  it('service-on-network names the networks by name', async () => {
    const outcome = await run('service-on-network', { service: 'redis', network: 'dockercoins' }, context(recordedCluster()));
    expect(outcome).toMatchObject({ ok: true, actual: 'redis on dockercoins' });
  });
  it('service-on-network fails an app service started on another network, or on none, naming where it is', async () => {
    const cluster = fakeDocker({
      services: async () => [serviceInfo('hasher', 'h', { networks: ['dockerconins'] }), serviceInfo('rng', 'r', { networks: [] })],
    });
    const typo = await run('service-on-network', { service: 'hasher', network: 'dockercoins' }, context(cluster));
    expect(typo.ok).toBe(false);
    expect(typo.actual).toBe('hasher on dockerconins');
    const none = await run('service-on-network', { service: 'rng', network: 'dockercoins' }, context(cluster));
    expect(none.ok).toBe(false);
  });
  it('image-same-id: the registry name (in any spelling of the registry) must be the same image ID as the built one', async () => {
    const images = (aliasId: string) => fakeDocker({
      images: async () => [
        { id: 'sha256:aaaa11112222', tags: ['dockercoins_hasher:latest'], created: 1 },
        { id: aliasId, tags: ['localhost:5000/dockercoins_hasher:v0.1'], created: 2 },
      ],
    } as Partial<DockerClient>);
    const params = { image: 'dockercoins_hasher', alias: '127.0.0.1:5000/dockercoins_hasher:v0.1' };
    expect((await run('image-same-id', params, context(images('sha256:aaaa11112222')))).ok).toBe(true);
    // The alias given to another image (a rebuilt one, or the wrong name tagged): both IDs said.
    const other = await run('image-same-id', params, context(images('sha256:bbbb33334444')));
    expect(other).toMatchObject({
      ok: false,
      actual: 'dockercoins_hasher: aaaa11112222; 127.0.0.1:5000/dockercoins_hasher:v0.1: bbbb33334444: 127.0.0.1:5000/dockercoins_hasher:v0.1 names another image',
      hint: 'docker tag dockercoins_hasher 127.0.0.1:5000/dockercoins_hasher:v0.1 moves that name to the image you built (then push it again)',
    });
    const missing = await run('image-same-id', { ...params, alias: '127.0.0.1:5000/dockercoins_hasher:v0.2' }, context(images('sha256:aaaa11112222')));
    expect(missing).toMatchObject({ ok: false, actual: 'dockercoins_hasher: aaaa11112222; 127.0.0.1:5000/dockercoins_hasher:v0.2: no such image' });
  });
  it('update-completed fails on a service never updated', async () => {
    const outcome = await run('update-completed', { service: 'hasher' }, context(recordedCluster()));
    expect(outcome).toMatchObject({ ok: false, actual: 'hasher: never updated' });
  });
});

/** A fetch that answers from a table of URL -> JSON bodies (or a status), and refuses anything else. */
function fakeFetch(routes: Record<string, unknown | (() => unknown)>): typeof fetch {
  return (async (url: string | URL) => {
    const key = String(url);
    if (!(key in routes)) throw new TypeError('fetch failed', { cause: new Error(`connect ECONNREFUSED ${key}`) });
    const route = routes[key];
    const body = typeof route === 'function' ? (route as () => unknown)() : route;
    if (typeof body === 'number') return new Response('{}', { status: body });
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

describe('registry and web UI checks', () => {
  it('registry-has-tag reads the tags list, and a 404 means no repository', async () => {
    const f = fakeFetch({
      'http://127.0.0.1:5000/v2/dockercoins_rng/tags/list': { name: 'dockercoins_rng', tags: ['v0.1'] },
      'http://127.0.0.1:5000/v2/nothing/tags/list': 404,
    });
    const docker = fakeDocker({});
    expect(await run('registry-has-tag', { repository: 'dockercoins_rng', tag: 'v0.1' }, context(docker, { fetch: f }))).toMatchObject({ ok: true });
    expect(await run('registry-has-tag', { repository: 'dockercoins_rng', tag: 'v0.01' }, context(docker, { fetch: f }))).toMatchObject({
      ok: false,
      actual: 'dockercoins_rng tags: v0.1',
    });
    expect(await run('registry-has-tag', { repository: 'nothing', tag: 'v0.1' }, context(docker, { fetch: f }))).toMatchObject({
      ok: false,
      actual: 'no repository nothing in the registry',
    });
  });
  it('registry-catalog says why when nothing listens', async () => {
    const outcome = await run('registry-catalog', {}, context(fakeDocker({}), { fetch: fakeFetch({}) }));
    expect(outcome.ok).toBe(false);
    expect(outcome.actual).toContain('ECONNREFUSED');
  });
  it('mining-speed computes hashes per second from two samples', async () => {
    const samples = [{ coins: 1, hashes: 100, now: 1000 }, { coins: 2, hashes: 130, now: 1001 }];
    const f = fakeFetch({ 'http://127.0.0.1:8000/json': () => samples.shift() });
    const outcome = await run('mining-speed', { min: 15, window: 0.01 }, context(fakeDocker({}), { fetch: f }));
    expect(outcome).toMatchObject({ ok: true, actual: '30.0 hashes/s', measurements: { hashesPerSecond: 30 } });
  });
});

describe('code checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-code-'));
  for (const root of ['workspace', 'package']) mkdirSync(join(dir, root, 'worker'), { recursive: true });
  const original = 'def mine():\n    time.sleep(0.1)\n\ntime.sleep(10)\n';
  const edited = original.replace('time.sleep(0.1)', 'time.sleep(0.01)');
  writeFileSync(join(dir, 'package', 'worker', 'worker.py'), original);
  writeFileSync(join(dir, 'workspace', 'worker', 'worker.py'), edited);
  const paths = { workspace: join(dir, 'workspace'), package: join(dir, 'package') };

  it('workspace-sleep reads the first sleep of the file', async () => {
    expect(await run('workspace-sleep', { file: 'worker/worker.py', seconds: 0.01 }, context(fakeDocker({}), { paths }))).toMatchObject({ ok: true });
    expect(await run('workspace-sleep', { file: 'worker/worker.py', seconds: 0.1 }, context(fakeDocker({}), { paths }))).toMatchObject({
      ok: false,
      actual: `time.sleep(0.01) in ${join(paths.workspace, 'worker/worker.py')}`,
    });
  });

  it('workspace-sleep with retry: a substitution that also changed the 10 s retry pause is named', async () => {
    const file = join(paths.workspace, 'worker', 'worker.py');
    const good = readFileSync(file, 'utf8');
    try {
      expect(await run('workspace-sleep', { file: 'worker/worker.py', seconds: 0.01, retry: 10 }, context(fakeDocker({}), { paths }))).toMatchObject({ ok: true });
      writeFileSync(file, good.replace(/time\.sleep\(10\)/, 'time.sleep(0.01)'));
      const outcome = await run('workspace-sleep', { file: 'worker/worker.py', seconds: 0.01, retry: 10 }, context(fakeDocker({}), { paths }));
      expect(outcome).toMatchObject({ ok: false });
      expect(outcome.actual).toContain('but the retry pause is time.sleep(0.01)');
      expect(outcome.hint).toContain('change only the first sleep');
    } finally {
      writeFileSync(file, good);
    }
  });

  it('image-code reads the file in the image (by any spelling of its name) and compares it with the copy', async () => {
    let inImage = original;
    const docker = fakeDocker({
      images: async () => [{ id: 'sha256:abc', tags: ['localhost:5000/dockercoins_worker:v0.01'], created: 0 }],
      readImageFile: async (image, path) => {
        expect({ image, path }).toEqual({ image: 'sha256:abc', path: '/app/worker.py' });
        return inImage;
      },
    } as Partial<DockerClient>);
    const params = { image: '127.0.0.1:5000/dockercoins_worker:v0.01', path: '/app/worker.py', matches: 'workspace/worker/worker.py' };
    const before = await run('image-code', params, context(docker, { paths }));
    expect(before).toMatchObject({ ok: false, actual: '127.0.0.1:5000/dockercoins_worker:v0.01 has /app/worker.py with time.sleep(0.1), not as your copy' });
    inImage = edited;
    expect((await run('image-code', params, context(docker, { paths }))).ok).toBe(true);
    const none = await run('image-code', params, context(fakeDocker({ images: async () => [] }), { paths }));
    expect(none).toMatchObject({ ok: false, actual: 'no image 127.0.0.1:5000/dockercoins_worker:v0.01 on this engine' });
  });

  it('running-code reads the local tasks\' containers, judges tasks on other nodes by their image digest, and says what it cannot see', async () => {
    const files: Record<string, string> = { a: edited, b: original };
    const task = (id: string, nodeId: string, imageDigest: string | undefined, containerId?: string) =>
      ({ id, serviceName: 'worker', nodeId, state: 'running', desiredState: 'running', image: 'w', message: '', imageDigest, containerId });
    const tasks = [task('t1', 'n1', 'sha256:new', 'a'), task('t2', 'n1', 'sha256:old', 'b'), task('t3', 'n2', 'sha256:new'), task('t4', 'n2', 'sha256:old'), task('t5', 'n3', 'sha256:other')];
    let images = [{ id: 'img-other', tags: [], created: 0, repoDigests: ['127.0.0.1:5000/dockercoins_worker@sha256:elsewhere'] }];
    const docker = fakeDocker({
      tasks: async () => tasks,
      containers: async () => Object.keys(files).map((id) => ({ id, name: `worker.${id}`, image: 'w', labels: {}, state: 'running' })),
      readFile: async (id) => files[id]!,
      images: async () => images,
      readImageFile: async (id) => (id === 'img-other' ? edited : original),
      nodes: async () => [{ id: 'n3', hostname: 'node3', role: 'worker', state: 'ready' }],
    } as Partial<DockerClient>);
    const params = { service: 'worker', path: '/app/worker.py', matches: 'workspace/worker/worker.py' };
    const outcome = await run('running-code', params, context(docker, { paths }));
    expect(outcome).toMatchObject({
      ok: false,
      actual: '2/5 running worker tasks match; 2 with time.sleep(0.01), 2 with time.sleep(0.1); cannot see the code of the tasks on node3 from this node (their image is not here)',
    });
    // node3's image is here after all (pulled or built on this node): its code is read from the image.
    images = [{ id: 'img-other', tags: [], created: 0, repoDigests: ['127.0.0.1:5000/dockercoins_worker@sha256:other'] }];
    files.b = edited;
    tasks[1]!.imageDigest = 'sha256:new';
    tasks[3]!.imageDigest = 'sha256:new';
    expect(await run('running-code', params, context(docker, { paths }))).toMatchObject({ ok: true, actual: '5/5 running worker tasks match; 5 with time.sleep(0.01)' });
  });
});

describe('fakeDocker', () => {
  it('throws on a call the test did not give it', () => {
    expect(() => fakeDocker({}).services()).toThrow(/unexpected call to services/);
  });
});

describe('update settings and the kind of the last change', () => {
  const settings = (parallelism: number, delaySeconds: number) => ({ parallelism, delaySeconds, failureAction: 'pause', order: 'stop-first' });
  const worker = (more: Partial<ServiceInfo>) => fakeDocker({ services: async () => [serviceInfo('worker', '127.0.0.1:5000/dockercoins_worker:v0.01', more)] });

  it('update-config reads parallelism and delay, and names the flags that are missing', async () => {
    const ok = await run('update-config', { service: 'worker', parallelism: 2, delay: 5 }, context(worker({ updateConfig: settings(2, 5) })));
    expect(ok).toMatchObject({ ok: true, actual: 'worker: update parallelism 2, delay 5s' });
    const bare = await run('update-config', { service: 'worker', parallelism: 2, delay: 5 }, context(worker({})));
    expect(bare).toMatchObject({ ok: false, actual: 'worker: update parallelism 1, delay 0s' });
    expect(bare.hint).toContain('--update-parallelism 2 and --update-delay 5s');
    const all = await run('update-config', { service: 'worker', parallelism: 0 }, context(worker({ updateConfig: settings(0, 5) })));
    expect(all.ok).toBe(true);
  });

  it('update-completed tells an update from a rollback', async () => {
    const afterRollback = context(worker({ updateState: 'rollback_completed' }));
    const afterUpdate = context(worker({ updateState: 'completed' }));
    expect((await run('update-completed', { service: 'worker', kind: 'rollback' }, afterRollback)).ok).toBe(true);
    expect((await run('update-completed', { service: 'worker', kind: 'update' }, afterUpdate)).ok).toBe(true);
    const wrong = await run('update-completed', { service: 'worker', kind: 'rollback' }, afterUpdate);
    expect(wrong).toMatchObject({ ok: false, actual: 'worker: UpdateStatus completed: the last change was an update, not a rollback' });
    expect(wrong.hint).toContain('docker service rollback worker');
    expect((await run('update-completed', { service: 'worker', kind: 'update' }, afterRollback)).ok).toBe(false);
    expect((await run('update-completed', { service: 'worker' }, afterRollback)).ok).toBe(true);
    expect((await run('update-completed', { service: 'worker', kind: 'update' }, context(worker({ updateState: 'paused', updateMessage: 'update paused due to failure' })))).ok).toBe(false);
  });
});

describe('the registry, as a learner fills it', () => {
  /** A registry answering from a map of repository -> tags; `_catalog` lists them. */
  const registry = (repos: Record<string, string[]>) =>
    (async (url: string) => {
      const path = new URL(url).pathname;
      if (path === '/v2/_catalog') return Response.json({ repositories: Object.keys(repos) });
      const repo = /^\/v2\/(.+)\/tags\/list$/.exec(path)?.[1];
      if (repo && repos[repo]) return Response.json({ name: repo, tags: repos[repo] });
      return Response.json({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }, { status: 404 });
    }) as typeof fetch;
  const engine = (tags: string[]) => fakeDocker({ images: async () => [{ id: 'sha256:1', tags, created: 0 }] });

  it('registry-has-image takes any image under any name (the articles push busybox)', async () => {
    const ok = await run('registry-has-image', {}, context(engine([]), { fetch: registry({ busybox: ['latest'] }) }));
    expect(ok).toMatchObject({ ok: true, actual: 'the registry holds busybox:latest' });
    const tagged = await run('registry-has-image', {}, context(engine(['localhost:5000/busybox:latest']), { fetch: registry({}) }));
    expect(tagged).toMatchObject({ ok: false, actual: 'the registry is empty; this engine has localhost:5000/busybox:latest tagged for it' });
    expect(tagged.hint).toContain('docker push localhost:5000/busybox:latest');
  });

  it('registry-has-tag says when a tag-less push left the tag behind, and what to type', async () => {
    const ctx = context(engine(['localhost:5000/dockercoins_hasher:v0.1', 'dockercoins_hasher:latest']), { fetch: registry({}) });
    const outcome = await run('registry-has-tag', { repository: 'dockercoins_hasher', tag: 'v0.1' }, ctx);
    expect(outcome.ok).toBe(false);
    expect(outcome.actual).toBe('no repository dockercoins_hasher in the registry; localhost:5000/dockercoins_hasher:v0.1 exists on this engine but not in the registry: it was not pushed');
    expect(outcome.hint).toContain('docker push localhost:5000/dockercoins_hasher:v0.1');
    expect(outcome.hint).toContain('pushes only localhost:5000/dockercoins_hasher:latest');
    const pushed = await run('registry-has-tag', { repository: 'dockercoins_hasher', tag: 'v0.1' }, context(engine([]), { fetch: registry({ dockercoins_hasher: ['v0.1'] }) }));
    expect(pushed.ok).toBe(true);
  });

  it('an HTTP error shows its status and the first line of the body', async () => {
    const fetch = (async () => new Response('proxy says no\nmore', { status: 502 })) as unknown as typeof globalThis.fetch;
    const outcome = await run('registry-catalog', {}, context(engine([]), { fetch }));
    expect(outcome.actual).toBe('http://127.0.0.1:5000/v2/_catalog: HTTP 502: proxy says no');
  });
});

describe('speed-up: the mining speed after the fix against the one kept before it', () => {
  /** The web UI's /json: `hashes` grows by `rate` per second of its clock, one sample per call. */
  const webui = (rate: number) => {
    let now = 1000;
    return (async () => Response.json({ coins: 0, hashes: Math.round(now * rate), now: (now += 5) - 5 })) as unknown as typeof fetch;
  };
  const params = { since: 'ch4/read-the-source', factor: 1.1, min: 15, window: 0.01 };

  it('passes at 1.1x the speed kept at the step named, and says the ratio', async () => {
    const ctx = context(fakeDocker({}), { fetch: webui(34), recorded: (step, name) => (step === 'ch4/read-the-source' && name === 'mining-speed' ? 27 : undefined) });
    const outcome = await run('speed-up', params, ctx);
    expect(outcome).toMatchObject({ ok: true, expected: 'at least 29.7 hashes/s: 1.1x the 27.0 measured at ch4/read-the-source', actual: '34.0 hashes/s (x1.26 the speed before)' });
  });

  it('fails when the speed did not go up enough, even above the absolute minimum', async () => {
    const outcome = await run('speed-up', params, context(fakeDocker({}), { fetch: webui(28), recorded: () => 27 }));
    expect(outcome).toMatchObject({ ok: false, actual: '28.0 hashes/s (x1.04 the speed before)' });
  });

  it('without a speed kept before, judges the absolute minimum and says there was nothing to compare with', async () => {
    const outcome = await run('speed-up', params, context(fakeDocker({}), { fetch: webui(20) }));
    expect(outcome).toMatchObject({ ok: true, expected: 'at least 15 hashes/s (no speed was kept at ch4/read-the-source to compare with)' });
  });
});

describe('service-converged while an update replaces tasks', () => {
  it('holds when the count is set right and an update or a rollback is under way; not otherwise', async () => {
    const nine = Array.from({ length: 9 }, (_, i) => ({ id: `t${i}`, serviceName: 'worker', nodeId: 'n', state: 'running', desiredState: 'running', image: 'x', message: '' }));
    const starting = { id: 't9', serviceName: 'worker', nodeId: 'n', state: 'starting', desiredState: 'running', image: 'x', message: '' };
    const cluster = (updateState?: string) => fakeDocker({
      services: async () => [serviceInfo('worker', 'x', { mode: { kind: 'replicated', replicas: 10 }, updateState })],
      tasks: async () => [...nine, starting],
    });
    const updating = await run('service-converged', { service: 'worker', replicas: 10 }, context(cluster('updating')));
    expect(updating).toMatchObject({ ok: true, actual: 'worker: 9/10 running, 1 starting (an update is replacing tasks; the count is set to 10)' });
    expect((await run('service-converged', { service: 'worker', replicas: 10 }, context(cluster('completed')))).ok).toBe(false);
    expect((await run('service-converged', { service: 'worker', replicas: 5 }, context(cluster('updating')))).ok).toBe(false);
  });
});

describe('bench-story', () => {
  /** ab from the debug container: one client gives 10 req/s; `many` req/s with more clients. */
  const cluster = (endpointMode: 'vip' | 'dnsrr', many: number) => {
    const ab = (rps: number, c: number) => readFileSync(new URL('../fixtures/ab-rng-c1.txt', import.meta.url), 'utf8')
      .replace(/Concurrency Level:\s+\d+/, `Concurrency Level:      ${c}`)
      .replace(/Requests per second:\s+[\d.]+/, `Requests per second:    ${rps}`);
    return fakeDocker({
      services: async () => [serviceInfo('rng', 'r', { endpointMode, virtualIps: endpointMode === 'vip' ? 1 : 0, mode: { kind: 'replicated', replicas: 5 } })],
      tasks: async () => Array.from({ length: 5 }, (_, i) => ({ id: `t${i}`, serviceName: 'rng', nodeId: 'n1', state: 'running', desiredState: 'running', image: 'r', message: '' })),
      containers: async () => [{ id: 'debug1', name: 'debug.1', image: 'tools', state: 'running', labels: {} }],
      exec: async (_id: string, cmd: string[]) => ({ exitCode: 0, stdout: cmd.includes('1') && cmd[2] === '1' ? ab(10, 1) : ab(many, 20), stderr: '' }),
    } as Partial<DockerClient>);
  };
  const params = { url: 'http://rng/10', concurrency: 20, story: 'serial' };

  it('serial through DNS round robin: one task answers, so 20 clients may not be more than 2x faster', async () => {
    expect((await run('bench-story', params, context(cluster('dnsrr', 12)))).ok).toBe(true);
    const five = await run('bench-story', params, context(cluster('dnsrr', 48)));
    expect(five.ok).toBe(false);
    expect(five.expected).toContain('at most 2x');
  });

  it('concurrent (hasher): 20 clients must be at least 3x faster than one; not, it fails with both figures; a failed request fails it', async () => {
    const story = { url: 'http://hasher/', concurrency: 20, story: 'concurrent', body: '/tmp/random' };
    const fast = await run('bench-story', story, context(cluster('vip', 114)));
    expect(fast).toMatchObject({ ok: true, expected: 'requests/s with 20 clients at least 3x that with 1 (side by side)' });
    expect(fast.actual).toContain('114');
    const slow = await run('bench-story', story, context(cluster('vip', 25)));
    expect(slow.ok).toBe(false);
    expect(slow.actual).toBe('10 req/s with 1 client, 25 with 20 (x2.5)');
    await expect(run('bench-story', { ...story, story: 'sideways' }, context(cluster('vip', 114)))).rejects.toThrow(/serial or concurrent/);
  });

  it('serial through a virtual IP: each of the 5 tasks serves one at a time, so up to 10x passes (IPVS machines)', async () => {
    const outcome = await run('bench-story', params, context(cluster('vip', 48)));
    expect(outcome).toMatchObject({ ok: true });
    expect(outcome.expected).toContain('at most 10x that with 1 (one at a time per task, 5 tasks behind its virtual IP)');
    expect((await run('bench-story', params, context(cluster('vip', 150)))).ok).toBe(false);
  });
});

describe('firstFileOfTar', () => {
  it('reads the one file of an archive as the engine sends it, and refuses an archive without one', () => {
    const header = Buffer.alloc(512);
    header.write('worker.py', 0);
    header.write('00000000014\0', 124, 'latin1');
    header.write('0', 156);
    const body = Buffer.alloc(512);
    body.write('hello world\n');
    const tar = Buffer.concat([header, body, Buffer.alloc(1024)]);
    expect(firstFileOfTar(tar).toString()).toBe('hello world\n');
    expect(() => firstFileOfTar(Buffer.alloc(1024))).toThrow('no regular file');
  });
});

describe('service-converged on several nodes', () => {
  it('does not count tasks on a node that is down, and names the node', async () => {
    const task = (id: string, nodeId: string) => ({ id, serviceName: 'worker', nodeId, state: 'running', desiredState: 'running', image: 'w', message: '' });
    const docker = fakeDocker({
      services: async () => [serviceInfo('worker', 'w', { mode: { kind: 'replicated', replicas: 3 } })],
      tasks: async () => [task('a', 'n1'), task('b', 'n2'), task('c', 'n3')],
      nodes: async () => [
        { id: 'n1', hostname: 'node1', role: 'manager', state: 'ready' },
        { id: 'n2', hostname: 'node2', role: 'worker', state: 'ready' },
        { id: 'n3', hostname: 'node3', role: 'worker', state: 'down' },
      ],
    } as Partial<DockerClient>);
    const outcome = await run('service-converged', { service: 'worker', replicas: 3 }, context(docker));
    expect(outcome).toMatchObject({ ok: false, actual: 'worker: 2/3 running; node3 is down (1 task(s) were on node3: swarm starts them again on the other nodes)' });
  });
});

describe('tasks-spread', () => {
  const task = (id: string, nodeId: string) => ({ id, serviceName: 'worker', nodeId, state: 'running', desiredState: 'running', image: 'w', message: '' });
  const node = (id: string, hostname: string, state = 'ready') => ({ id, hostname, role: 'worker' as const, state });
  it('wants tasks on at least N nodes, or on every ready node of a smaller swarm', async () => {
    const three = [node('n1', 'node1'), node('n2', 'node2'), node('n3', 'node3', 'down')];
    const onOne = fakeDocker({ nodes: async () => three, tasks: async () => [task('a', 'n1'), task('b', 'n1')] } as Partial<DockerClient>);
    expect(await run('tasks-spread', { service: 'worker', nodes: 3 }, context(onOne))).toMatchObject({
      ok: false, expected: 'worker: running tasks on 2 node(s) or more (the swarm has 2 ready)', actual: 'worker: 2 task(s) on node1 (2)',
    });
    const onTwo = fakeDocker({ nodes: async () => three, tasks: async () => [task('a', 'n1'), task('b', 'n2'), task('c', 'n2')] } as Partial<DockerClient>);
    expect(await run('tasks-spread', { service: 'worker', nodes: 3 }, context(onTwo))).toMatchObject({ ok: true, actual: 'worker: 3 task(s) on node1 (1), node2 (2)' });
    const single = fakeDocker({ nodes: async () => [node('n1', 'node1')], tasks: async () => [task('a', 'n1')] } as Partial<DockerClient>);
    expect((await run('tasks-spread', { service: 'worker', nodes: 2 }, context(single))).ok).toBe(true);
  });
});

describe('pulled-from-registry', () => {
  const task = (id: string, nodeId: string, imageDigest?: string) => ({ id, serviceName: 'worker', nodeId, state: 'running', desiredState: 'running', image: 'w', message: '', imageDigest });
  const nodes = [1, 2, 3].map((i) => ({ id: `n${i}`, hostname: `node${i}`, role: 'worker' as const, state: 'ready' }));
  const registry = (digest: string | undefined) => (async (url: string | URL, init?: RequestInit) => {
    expect(String(url)).toBe('http://127.0.0.1:5000/v2/dockercoins_worker/manifests/v0.1');
    expect(new Headers(init?.headers).get('accept')).toContain('application/vnd.docker.distribution.manifest.v2+json');
    return digest ? new Response('{}', { status: 200, headers: { 'Docker-Content-Digest': digest } }) : new Response('{}', { status: 404 });
  }) as typeof fetch;
  const cluster = (tasks: ReturnType<typeof task>[]) => fakeDocker({
    services: async () => [serviceInfo('worker', 'localhost:5000/dockercoins_worker:v0.1')],
    tasks: async () => tasks,
    nodes: async () => nodes,
  } as Partial<DockerClient>);
  const D = `sha256:${'a'.repeat(64)}`;

  it('passes when every node runs the digest the registry serves, and names a node that runs something else', async () => {
    const all = await run('pulled-from-registry', { service: 'worker' }, context(cluster([task('a', 'n1', D), task('b', 'n2', D), task('c', 'n3', D)]), { fetch: registry(D) }));
    expect(all).toMatchObject({ ok: true, actual: `${D.slice(0, 19)} from the registry on node1, node2, node3` });
    const local = await run('pulled-from-registry', { service: 'worker' }, context(cluster([task('a', 'n1', D), task('b', 'n3')]), { fetch: registry(D) }));
    expect(local).toMatchObject({ ok: false, actual: `${D.slice(0, 19)} from the registry on node1; node3 runs an image with no digest pinned (not from the registry)` });
    const none = await run('pulled-from-registry', { service: 'worker' }, context(cluster([task('a', 'n1', D)]), { fetch: registry(undefined) }));
    expect(none).toMatchObject({ ok: false, actual: 'the registry has no dockercoins_worker:v0.1' });
  });
});
