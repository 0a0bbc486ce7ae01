import { describe, expect, it } from 'vitest';
import { checks } from '../../checks/index.js';
import type { DockerEvent, ServiceInfo, TaskInfo } from '../../runner/docker/client.js';
import { defaultProfile } from '../../runner/docker/profile.js';
import { FOLLOW_UP_FOR_MS, waitForChecks } from '../../runner/engine/wait.js';
import { fakeDocker } from '../support/fake-docker.js';

describe('waitForChecks', () => {
  it('sees a state that settles after the last Docker event without waiting for the slow timer', async () => {
    const started = Date.now();
    const runningAt = started + 400; // swarm's view lags the container's event
    const service = { id: 's', name: 'web', mode: { kind: 'replicated', replicas: 1 }, image: 'x', ports: [], networks: [], labels: {} } as unknown as ServiceInfo;
    const task = (state: string): TaskInfo => ({ id: 't', serviceName: 'web', nodeId: 'n', state, desiredState: 'running', image: 'x', message: '' });
    let since: number | undefined;
    const docker = fakeDocker({
      services: async () => [service],
      tasks: async () => [task(Date.now() >= runningAt ? 'running' : 'starting')],
      async *events(signal: AbortSignal, sinceMs?: number): AsyncIterable<DockerEvent> {
        since = sinceMs;
        await new Promise((resolve) => setTimeout(resolve, 100));
        yield { type: 'container', action: 'start', actor: 'web.1', time: 0 };
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
    });
    const result = await waitForChecks([{ definition: checks.get('service-converged')!, params: { service: 'web', replicas: 1 } }], {
      docker, profile: defaultProfile, fetch, paths: { workspace: '', package: '' }, signal: new AbortController().signal,
    }, { deadline: started + 10_000, fallbackMs: 60_000 });
    const latency = Date.now() - runningAt;
    expect(result.ok).toBe(true);
    // Quick re-checks follow an event for FOLLOW_UP_FOR_MS; without them the verdict would wait for the 60 s timer.
    expect(latency).toBeLessThan(FOLLOW_UP_FOR_MS);
    expect(result.waitingMs).toBeGreaterThan(200);
    // Events are asked for from just before the first look, so none in between is lost.
    expect(since).toBeLessThanOrEqual(started);
  });
});
