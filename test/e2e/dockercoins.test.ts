/**
 * DockerCoins on a real single-node swarm, set up the way chapter 3 does it: build, push to a registry
 * service, overlay network, five services, then measure from inside the network. Asserts the behaviour
 * the workshop teaches: mining progresses, rng takes ~0.1 s a call and serves one call at a time,
 * hasher serves many at once.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAb } from '../../runner/engine/ab.js';
import { defaultProfile, endpointArgs, probeIpvs, publishArgs, type Profile } from '../../runner/docker/profile.js';
import { dockercoinsDir } from '../../runner/paths.js';
import { docker, emptySwarm, eventually, requireTestEngine } from '../support/engine.js';

const profile: Profile = { ...defaultProfile, ipvs: probeIpvs() };
const R = profile.registry;
const APP = ['rng', 'hasher', 'worker', 'webui'] as const;

async function catalog(): Promise<string[]> {
  const response = await fetch(`http://${R}/v2/_catalog`);
  return ((await response.json()) as { repositories: string[] }).repositories;
}

async function converged(service: string): Promise<boolean> {
  const { stdout } = await docker(['service', 'ls', '--filter', `name=${service}`, '--format', '{{.Name}} {{.Replicas}}']);
  const line = stdout.split('\n').find((l) => l.startsWith(`${service} `));
  const match = /(\d+)\/(\d+)/.exec(line ?? '');
  return !!match && match[1] === match[2] && match[2] !== '0';
}

/** Run a shell command inside the global `debug` service's container on this node. */
async function inDebug(script: string): Promise<string> {
  const id = (await docker(['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=debug'])).stdout.split('\n')[0];
  if (!id) throw new Error('no running debug container');
  return (await docker(['exec', id, 'sh', '-c', script])).stdout;
}

async function webuiJson(): Promise<{ coins: number; hashes: number; now: number }> {
  return JSON.parse(await inDebug('curl -sf http://webui/json'));
}

describe('DockerCoins on a real swarm', () => {
  beforeAll(async () => {
    await requireTestEngine();
    await emptySwarm();
  });

  it('builds the images and pushes them to a registry service', async () => {
    for (const name of [...APP, 'tools']) {
      await docker(['build', '-q', '-t', `dockercoins_${name}`, join(dockercoinsDir, name)]);
    }
    await docker([
      'service', 'create', '--detach', '--name', 'registry',
      '--constraint', 'node.role==manager',
      ...publishArgs(profile, 5000, 5000), ...endpointArgs(profile),
      'registry:2',
    ]);
    expect(await eventually('the registry catalog API', () => catalog().catch(() => undefined))).toBeInstanceOf(Array);
    for (const name of [...APP, 'tools']) {
      await docker(['tag', `dockercoins_${name}`, `${R}/dockercoins_${name}:${profile.tag}`]);
      await docker(['push', `${R}/dockercoins_${name}:${profile.tag}`]);
    }
    expect(await catalog()).toEqual(expect.arrayContaining(APP.map((n) => `dockercoins_${n}`)));
  });

  it('runs the five services on an overlay network and mines coins', async () => {
    await docker(['network', 'create', '--driver', 'overlay', 'dockercoins']);
    const onNet = ['--detach', '--network', 'dockercoins', ...endpointArgs(profile)];
    await docker(['service', 'create', ...onNet, '--name', 'redis', 'redis:7']);
    for (const name of ['rng', 'hasher', 'worker'] as const) {
      await docker(['service', 'create', ...onNet, '--name', name, `${R}/dockercoins_${name}:${profile.tag}`]);
    }
    await docker(['service', 'create', ...onNet, '--name', 'webui', ...publishArgs(profile, 8000, 80), `${R}/dockercoins_webui:${profile.tag}`]);
    await docker(['service', 'create', ...onNet, '--name', 'debug', '--mode', 'global', `${R}/dockercoins_tools:${profile.tag}`]);
    for (const name of ['redis', ...APP, 'debug']) {
      await eventually(`${name} to converge`, async () => ((await converged(name)) ? true : undefined), { timeoutMs: 120_000 });
    }

    // Mining has begun once hashes move; then it must keep moving over 10 s.
    const first = await eventually('hashes to be counted', async () => {
      const sample = await webuiJson();
      return sample.hashes > 0 ? sample : undefined;
    }, { timeoutMs: 90_000 });
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const second = await webuiJson();
    expect(second.hashes).toBeGreaterThan(first.hashes);
    expect(second.now - first.now).toBeGreaterThanOrEqual(9.5);
    // One worker alone: ~0.3 s per hash (0.1 s sleep + rng 0.1 s + hasher 0.1 s), so 2 to 4 hashes/s.
    const rate = (second.hashes - first.hashes) / (second.now - first.now);
    expect(rate).toBeGreaterThan(1.5);
    expect(rate).toBeLessThan(4.5);

    // The page is served by the webui itself (no CDN), on port 8000 of this node.
    const page = await eventually('webui page on port 8000', async () => {
      const response = await fetch('http://127.0.0.1:8000/');
      return response.ok ? response.text() : undefined;
    });
    expect(page).toContain('DockerCoins');
    expect(page).not.toMatch(/<script[^>]+src=["']https?:/);
  });

  it('shows rng is slow and serial while hasher is slow but concurrent', async () => {
    // Stop the worker so that it does not compete with the benchmark for rng.
    await docker(['service', 'scale', '--detach', 'worker=0']);
    await eventually('worker tasks to stop', async () =>
      (await docker(['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=worker'])).stdout.trim() ? undefined : true,
    );

    const rngSerial = parseAb(await inDebug('ab -c 1 -n 20 http://rng/10'));
    expect(rngSerial.failedRequests).toBe(0);
    expect(rngSerial.meanMs).toBeGreaterThan(95);
    expect(rngSerial.meanMs).toBeLessThan(200);

    const rngParallel = parseAb(await inDebug('ab -c 10 -n 50 http://rng/10'));
    expect(rngParallel.completeRequests).toBe(50);
    expect(rngParallel.requestsPerSecond).toBeLessThan(15);

    const hasherParallel = parseAb(
      await inDebug('curl -sf http://rng/10 > /tmp/random && ab -c 10 -n 50 -T application/octet-stream -p /tmp/random http://hasher/'),
    );
    expect(hasherParallel.completeRequests).toBe(50);
    expect(hasherParallel.failedRequests).toBe(0);
    expect(hasherParallel.requestsPerSecond).toBeGreaterThan(30);

    console.log(
      `rng -c1: ${rngSerial.requestsPerSecond} req/s, ${rngSerial.meanMs} ms; ` +
        `rng -c10: ${rngParallel.requestsPerSecond} req/s; hasher -c10: ${hasherParallel.requestsPerSecond} req/s`,
    );
  });
});
