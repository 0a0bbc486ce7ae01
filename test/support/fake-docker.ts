import type { CheckContext } from '../../checks/types.js';
import type { DockerClient, ServiceInfo } from '../../runner/docker/client.js';
import { defaultProfile } from '../../runner/docker/profile.js';

/**
 * A DockerClient for tests: give it the calls a test expects, with their answers; any other call throws,
 * naming the method, so a check can never quietly read something the test did not set up.
 */
export function fakeDocker(stubs: Partial<DockerClient>): DockerClient {
  return new Proxy(stubs as DockerClient, {
    get(target, property: string) {
      const value = (target as unknown as Record<string, unknown>)[property];
      if (value !== undefined) return value;
      if (property === 'then') return undefined; // not a promise
      return () => {
        throw new Error(`fakeDocker: unexpected call to ${property}()`);
      };
    },
  });
}

/** Swarm's default update settings, as a service created without any `--update-*` flag has them. */
export const defaultUpdateSettings = { parallelism: 1, delaySeconds: 0, failureAction: 'pause', order: 'stop-first' };

/** A ServiceInfo for tests: a one-replica service on `image`, with swarm's defaults for the rest. */
export function serviceInfo(name: string, image: string, more: Partial<ServiceInfo> = {}): ServiceInfo {
  return {
    id: `id-${name}`, name, createdAt: '', mode: { kind: 'replicated', replicas: 1 }, image, endpointMode: 'dnsrr', virtualIps: 0, ports: [], networks: [], labels: {},
    updateConfig: defaultUpdateSettings, rollbackConfig: defaultUpdateSettings, ...more,
  };
}

/** What a check gets, around a stand-in engine: no IPVS, no HTTP (a fetch is a test failure), no files. */
export const checkContext = (docker: DockerClient, over: Partial<CheckContext> = {}): CheckContext => ({
  docker,
  profile: { ...defaultProfile, ipvs: false },
  fetch: (() => {
    throw new Error('unexpected fetch');
  }) as unknown as typeof fetch,
  paths: { workspace: '/nonexistent', package: '/nonexistent' },
  signal: new AbortController().signal,
  ...over,
});
