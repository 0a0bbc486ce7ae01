import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../runner/paths.js';

/**
 * The test engine's socket: the isolated dockerd that scripts/engine.sh starts. Tests never use the
 * developer's own DOCKER_HOST; they take this one (or SWARM_WORKSHOP_TEST_DOCKER_HOST when set).
 */
export function testDockerHost(): string {
  const explicit = process.env.SWARM_WORKSHOP_TEST_DOCKER_HOST;
  if (explicit) return explicit;
  const dir = process.env.SWARM_WORKSHOP_ENGINE_DIR ?? '/var/tmp/swarm-workshop/engine';
  return `unix://${join(dir, 'docker.sock')}`;
}

export const testEnv = (): NodeJS.ProcessEnv => ({ ...process.env, DOCKER_HOST: testDockerHost() });

/** Run `docker ARGS` against the test engine; rejects with docker's stderr on a non-zero exit. */
export async function docker(args: string[], options: { input?: string; timeoutMs?: number } = {}) {
  return execa('docker', args, {
    env: testEnv(),
    input: options.input,
    timeout: options.timeoutMs ?? 5 * 60_000,
  });
}

/**
 * Fail loudly, with the command that fixes it, when the test engine is not there. End-to-end tests
 * call this first: they must never pass by skipping.
 */
export async function requireTestEngine(): Promise<void> {
  const host = testDockerHost();
  const socket = host.replace(/^unix:\/\//, '');
  const fix = `start it with: sudo bash ${join(packageRoot, 'scripts/engine.sh')} up`;
  if (host.startsWith('unix://') && !existsSync(socket)) {
    throw new Error(`the test Docker engine is not running (no socket at ${socket}); ${fix}`);
  }
  const info = await docker(['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'], {
    timeoutMs: 20_000,
  }).catch((error: Error) => {
    throw new Error(`the test Docker engine at ${host} does not answer (${error.message}); ${fix}`);
  });
  if (info.stdout.trim() !== 'active true') {
    throw new Error(`the test engine at ${host} is not a swarm manager (${info.stdout.trim()}); ${fix}`);
  }
}

/** Poll `probe` until it returns a value, or fail after `timeoutMs` with the last reason. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 60_000, intervalMs = 500 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = 'not yet';
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Remove every service and every swarm-scoped user network from the test engine, and wait until their
 * containers are gone. Only ever called on the isolated test engine (see testDockerHost).
 */
export async function emptySwarm(): Promise<void> {
  const services = (await docker(['service', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
  if (services.length) await docker(['service', 'rm', ...services]);
  await eventually(
    'service containers to stop',
    async () => ((await docker(['ps', '-aq', '--filter', 'label=com.docker.swarm.service.id'])).stdout.trim() ? undefined : true),
    { timeoutMs: 90_000 },
  );
  // Every swarm-scoped network but the routing mesh's own (`ingress`, which swarm manages).
  const networks = (await docker(['network', 'ls', '--filter', 'scope=swarm', '--format', '{{.Name}}'])).stdout
    .split('\n')
    .filter((name) => name && name !== 'ingress');
  // Swarm may take a moment to release a network after its last task is gone.
  for (const id of networks) {
    await eventually(`network ${id} to be removed`, async () => {
      await docker(['network', 'rm', id]);
      return true;
    }, { timeoutMs: 30_000 });
  }
}

/**
 * Back to "nothing done yet" on the test engine: no services, no networks, none of the images the
 * chapters build or tag (so that every build and push step has something to prove).
 */
export async function emptyWorkshop(): Promise<void> {
  await emptySwarm();
  // By name where there is a tag, by id where the tag was taken away (<none>).
  const lines = (await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'])).stdout
    .split('\n')
    .filter((line) => /^(dockercoins_|127\.0\.0\.1:5000\/|localhost:5000\/)/.test(line))
    .map((line) => line.split(' ') as [string, string]);
  const tags = lines.filter(([ref]) => !ref.endsWith(':<none>')).map(([ref]) => ref);
  if (tags.length) await docker(['image', 'rm', '-f', ...new Set(tags)]);
  // An untagged image that a later build is built on ("has dependent child images") stays: it has no
  // name left for a step to find, which is all this is for.
  for (const [, id] of lines.filter(([ref]) => ref.endsWith(':<none>'))) await docker(['image', 'rm', '-f', id]).catch(() => undefined);
  const left = (await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).stdout
    .split('\n')
    .filter((ref) => /^(dockercoins_|127\.0\.0\.1:5000\/|localhost:5000\/)/.test(ref) && !ref.endsWith(':<none>'));
  if (left.length) throw new Error(`emptyWorkshop: these tags are still there: ${left.join(', ')}`);
}
