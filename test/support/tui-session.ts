import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '../../runner/commands/setup.js';
import type { DockerClient } from '../../runner/docker/client.js';
import { profileVariables } from '../../runner/docker/probe.js';
import { defaultProfile } from '../../runner/docker/profile.js';
import { ProgressStore } from '../../runner/progress.js';

/**
 * A session for the UI's component tests: a one-node swarm without IPVS on the given stand-in client,
 * progress in a folder of its own, every port free, and HTTP that finds nothing listening unless the test
 * gives its own fetch.
 */
export function fakeSession(docker: DockerClient, over: { store?: ProgressStore; fetch?: typeof fetch } = {}): Session {
  const profile = { ...defaultProfile, ipvs: false };
  const info = { swarmState: 'active', isManager: true, nodeId: 'n1', hostname: 'node1', serverVersion: '20.10.24', nodes: 1 };
  return {
    docker,
    host: 'unix:///fake.sock',
    report: { host: 'unix:///fake.sock', engine: { ok: true, info }, ipvs: false, ipvsSource: 'this machine', ports: [], localhost: '127.0.0.1', images: [], prepared: [] },
    profile,
    variables: { ...profileVariables(profile, info), dockercoins: '/pkg/dockercoins', workspace: '/home/me/dockercoins' },
    env: {},
    store: over.store ?? new ProgressStore(mkdtempSync(join(tmpdir(), 'sw-tui-'))),
    paths: { workspace: '/home/me/dockercoins', package: '/pkg/dockercoins' },
    portIsFree: async () => true,
    fetch: over.fetch ?? ((async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5000') });
    }) as typeof fetch),
  };
}

/** A frame without its colours and cursor moves. */
export const strip = (s: string | undefined) => (s ?? '').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

/** Wait for `text` in the latest frame (never a fixed sleep); fails with the last frame. */
export async function waitFor(frame: () => string | undefined, text: string, timeoutMs = 3000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = strip(frame());
    if (now.includes(text)) return now;
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}"; last frame:\n${now}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
