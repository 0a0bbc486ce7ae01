/**
 * A learner who types the seeds' commands in their own shell: plain `docker` (no runner), and after each
 * step `swarm-workshop check <chapter>`, which must tick that step off. The checks judge the cluster,
 * not what the runner did.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultProfile, endpointArgs, probeIpvs, publishArgs, type Profile } from '../../runner/docker/profile.js';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { dockercoinsDir } from '../../runner/paths.js';
import { cli, parseEvents } from '../support/cli.js';
import { docker, emptyWorkshop, requireTestEngine, testDockerHost } from '../support/engine.js';

const profile: Profile = { ...defaultProfile, ipvs: probeIpvs() };
const R = profile.registry;
const home = mkdtempSync(join(tmpdir(), 'sw-by-hand-'));
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: testDockerHost(), SWARM_WORKSHOP_HOME: home };
const workspace = join(home, 'workspace', 'dockercoins');
const sh = (...args: string[]) => docker(args, { timeoutMs: 10 * 60_000 });

/** `check <chapter>` as the learner runs it; returns the ids of the steps it reports done. */
async function check(chapter: string): Promise<{ done: string[]; exitCode: number; events: WorkshopEvent[] }> {
  const r = await cli(['check', chapter, '--json', '--wait', '90'], env);
  const events = parseEvents(String(r.stdout));
  const done = events.flatMap((e) => (e.type === 'step-finished' && e.status === 'done' ? [e.step] : []));
  return { done, exitCode: r.exitCode ?? -1, events };
}

async function expectTicked(chapter: string, step: string, last = false) {
  const r = await check(chapter);
  const failures = r.events.filter((e) => e.type === 'check-result' && !e.ok);
  expect({ step, done: r.done.includes(step), failures: r.done.includes(step) ? [] : failures }).toEqual({ step, done: true, failures: [] });
  if (last) expect(r.exitCode).toBe(0);
}

describe('the seeds\' commands typed by hand, judged by `swarm-workshop check`', () => {
  beforeAll(async () => {
    await requireTestEngine();
    await emptyWorkshop();
  });

  it('chapter 3', async () => {
    const first = await check('ch3');
    expect(first.done).toEqual([]);
    expect(first.exitCode).toBe(1);

    const hostname = (await sh('info', '--format', '{{.Name}}')).stdout.trim();
    await sh('service', 'create', '--name', 'registry', '--constraint', `node.hostname==${hostname}`, ...publishArgs(profile, 5000, 5000), ...endpointArgs(profile), 'registry:2');
    await expectTicked('ch3', 'registry-service');

    await sh('tag', 'debian:bookworm-slim', `${R}/first-push`);
    await sh('push', `${R}/first-push`);
    await expectTicked('ch3', 'push-test-image');

    const images = ['rng', 'hasher', 'worker', 'webui'];
    for (const s of images) await sh('build', '-t', `dockercoins_${s}`, join(dockercoinsDir, s));
    await expectTicked('ch3', 'build-images');

    for (const s of images) {
      await sh('tag', `dockercoins_${s}`, `${R}/dockercoins_${s}:v0.1`);
      await sh('push', `${R}/dockercoins_${s}:v0.1`);
    }
    await expectTicked('ch3', 'push-images');

    await sh('network', 'create', '--driver', 'overlay', 'dockercoins');
    await expectTicked('ch3', 'overlay-network');

    await sh('service', 'create', '--network', 'dockercoins', '--name', 'redis', ...endpointArgs(profile), 'redis:7');
    await expectTicked('ch3', 'redis-service');

    for (const s of ['hasher', 'rng', 'webui', 'worker']) {
      await sh('service', 'create', '--network', 'dockercoins', '--name', s, ...endpointArgs(profile), `${R}/dockercoins_${s}:v0.1`);
    }
    await expectTicked('ch3', 'app-services');

    await sh('service', 'rm', 'webui');
    await sh('service', 'create', '--network', 'dockercoins', '--name', 'webui', ...publishArgs(profile, 8000, 80), ...endpointArgs(profile), `${R}/dockercoins_webui:v0.1`);
    await expectTicked('ch3', 'publish-webui');

    await sh('service', 'scale', 'worker=10');
    await expectTicked('ch3', 'scale-workers');

    await sh('service', 'update', 'rng', '--replicas', '5');
    await expectTicked('ch3', 'scale-rng');

    await sh('build', '-t', 'dockercoins_tools', join(dockercoinsDir, 'tools'));
    await sh('tag', 'dockercoins_tools', `${R}/dockercoins_tools:v0.1`);
    await sh('push', `${R}/dockercoins_tools:v0.1`);
    await sh('service', 'create', '--network', 'dockercoins', '--name', 'debug', '--mode', 'global', ...endpointArgs(profile), `${R}/dockercoins_tools:v0.1`, 'sleep', '1000000000');
    await expectTicked('ch3', 'debug-service');

    await sh('service', 'scale', 'worker=0');
    const debug = (await sh('ps', '-q', '--filter', 'label=com.docker.swarm.service.name=debug')).stdout.split('\n')[0]!;
    await sh('exec', debug, 'ab', '-c', '1', '-n', '50', 'http://rng/10');
    await expectTicked('ch3', 'bench-rng');

    await sh('exec', debug, 'sh', '-c', 'curl -s http://rng/10 > /tmp/random');
    await sh('exec', debug, 'ab', '-c', '50', '-n', '50', '-T', 'application/octet-stream', '-p', '/tmp/random', 'http://hasher/');
    await expectTicked('ch3', 'bench-hasher', true);
  });

  it('chapter 4', async () => {
    await sh('service', 'scale', 'worker=10');
    await expectTicked('ch4', 'read-the-source');

    // The learner edits their copy with an editor; `check ch4` made the copy on first use.
    const file = join(workspace, 'worker', 'worker.py');
    writeFileSync(file, readFileSync(file, 'utf8').replace('time.sleep(0.1)', 'time.sleep(0.01)'));
    await expectTicked('ch4', 'fix-worker');

    await sh('build', '-t', `${R}/dockercoins_worker:v0.01`, join(workspace, 'worker'));
    await sh('push', `${R}/dockercoins_worker:v0.01`);
    await expectTicked('ch4', 'build-push');

    await sh('service', 'update', 'worker', '--update-parallelism', '2', '--update-delay', '5s', '--image', `${R}/dockercoins_worker:v0.01`);
    await expectTicked('ch4', 'rolling-update');

    await sh('service', 'rollback', 'worker');
    await expectTicked('ch4', 'rollback');

    await sh('service', 'update', 'worker', '--update-parallelism', '0', '--image', `${R}/dockercoins_worker:v0.01`);
    await expectTicked('ch4', 'update-all-at-once');

    await sh('service', 'update', 'worker', '--image', `${R}/dockercoins_worker:v0.1`);
    await expectTicked('ch4', 'rollback-by-image', true);
  });

  it('reset offers what the learner typed (the lessons\' names and kinds) and leaves a clean engine', async () => {
    const r = await cli(['reset', '--yes'], env);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stdout).toContain("These have the lessons' names and are what the lessons make (you typed the commands?):");
    for (const name of ['registry', 'redis', 'hasher', 'rng', 'webui', 'worker', 'debug']) expect(r.stdout).toContain(`removed service ${name} (`);
    expect(r.stdout).toContain('removed network dockercoins (');
    expect(r.stdout).toContain(`removed image ${R}/dockercoins_worker:v0.01`);
    expect(r.stdout).not.toContain('Nothing the workshop created');
    const services = (await sh('service', 'ls', '-q')).stdout.trim();
    const containers = (await sh('ps', '-aq', '--filter', 'label=com.docker.swarm.service.id')).stdout.trim();
    const network = (await sh('network', 'ls', '-q', '--filter', 'name=^dockercoins$')).stdout.trim();
    const tags = (await sh('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}')).stdout.split('\n').filter((t) => /^(dockercoins_|127\.0\.0\.1:5000\/)/.test(t));
    expect({ services, containers, network, tags }).toEqual({ services: '', containers: '', network: '', tags: [] });
    // The next chapter starts from nothing: no step is done, and no name is in the way.
    const next = await cli(['check', 'ch3', '--json', '--wait', '0'], env);
    const events = parseEvents(String(next.stdout));
    expect(next.stderr).toBe('');
    expect(events.filter((e) => e.type === 'step-finished' && e.status === 'done')).toEqual([]);
    expect(events.some((e) => e.type === 'step-started' && e.step === 'registry-service')).toBe(true);
  });
});
