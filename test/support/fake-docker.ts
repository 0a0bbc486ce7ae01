import type { DockerClient } from '../../runner/docker/client.js';

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
