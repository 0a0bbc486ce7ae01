import { render } from 'ink-testing-library';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DockerEvent } from '../../runner/docker/client.js';
import { isOwnNoise } from '../../runner/docker/dockerode-client.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir } from '../../runner/paths.js';
import { ProgressStore } from '../../runner/progress.js';
import { App } from '../../runner/tui/App.js';
import { recheckScheduler } from '../../runner/tui/watch.js';
import { fakeDocker } from '../support/fake-docker.js';
import { fakeSession, waitFor } from '../support/tui-session.js';

const { chapters } = loadLessons(lessonsDir);


describe('watch mode re-checks', () => {
  afterEach(() => void vi.useRealTimers());

  /** A re-check that takes `ms`, counting how many ran and how many ran at once. */
  function recorder(ms: number) {
    const seen = { runs: 0, running: 0, most: 0 };
    const run = async () => {
      seen.runs++;
      seen.most = Math.max(seen.most, ++seen.running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      seen.running--;
    };
    return { seen, run };
  }

  it('start at once, then fold a burst of changes into one trailing re-check a gap after the last', async () => {
    vi.useFakeTimers();
    const { seen, run } = recorder(200);
    const scheduler = recheckScheduler(run, 1000);
    scheduler.request();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.runs).toBe(1);
    // Fifty changes while it runs and just after: no second re-check until 1 s after the first ended.
    for (let i = 0; i < 50; i++) {
      scheduler.request();
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(seen.runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1200 - 1000);
    expect(seen.runs).toBe(2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(seen.runs).toBe(2);
    expect(seen.most).toBe(1);
    scheduler.stop();
  });

  it('never start one while one runs, however long it takes', async () => {
    vi.useFakeTimers();
    const { seen, run } = recorder(3000);
    const scheduler = recheckScheduler(run, 1000);
    for (let t = 0; t < 10_000; t += 100) {
      scheduler.request();
      await vi.advanceTimersByTimeAsync(100);
    }
    // 3 s of checking and 1 s of gap per round: three rounds in 10 s, one at a time.
    expect(seen.runs).toBe(3);
    expect(seen.most).toBe(1);
    scheduler.stop();
  });

  it('drop a pending re-check when stopped', async () => {
    vi.useFakeTimers();
    const { seen, run } = recorder(10);
    const scheduler = recheckScheduler(run, 1000);
    scheduler.request();
    await vi.advanceTimersByTimeAsync(50);
    scheduler.request();
    scheduler.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(seen.runs).toBe(1);
  });
});

describe('Docker events', () => {
  it('leave out the execs, which the checks make themselves, and keep everything else', () => {
    for (const action of ['exec_create: stat -c %s /tmp/random', 'exec_start: drill rng', 'exec_die', 'exec_detach']) {
      expect(isOwnNoise({ type: 'container', action }), action).toBe(true);
    }
    for (const [type, action] of [['container', 'start'], ['container', 'die'], ['container', 'health_status: healthy'], ['service', 'update'], ['network', 'connect'], ['image', 'push'], ['container', 'execute']]) {
      expect(isOwnNoise({ type: type!, action: action! }), `${type} ${action}`).toBe(false);
    }
  });
});

describe('watch mode in the UI', () => {
  const apps: { unmount(): void }[] = [];
  afterEach(() => apps.splice(0).forEach((a) => a.unmount()));

  it('re-checks a step on cluster changes, spaced out, one at a time, on the cluster panel\'s one event stream', async () => {
    // An engine whose events come when the test says; every call to events() is a stream opened.
    const listeners = new Set<() => void>();
    let streams = 0;
    async function* events(signal: AbortSignal): AsyncIterable<DockerEvent> {
      streams++;
      const queue: DockerEvent[] = [];
      let wake: (() => void) | undefined;
      const push = () => {
        queue.push({ type: 'service', action: 'update', actor: 'x', time: 0 });
        wake?.();
      };
      listeners.add(push);
      try {
        while (!signal.aborted) {
          if (!queue.length) await new Promise<void>((resolve) => ((wake = resolve), signal.addEventListener('abort', () => resolve(), { once: true })));
          while (queue.length) yield queue.shift()!;
        }
      } finally {
        listeners.delete(push);
      }
    }
    const docker = fakeDocker({ services: async () => [], tasks: async () => [], networks: async () => [], events });
    // Step 2's check asks the registry over HTTP only: each call is one re-check.
    const checks = { runs: 0, running: 0, most: 0 };
    const fetch = (async () => {
      checks.runs++;
      checks.most = Math.max(checks.most, ++checks.running);
      await new Promise((resolve) => setTimeout(resolve, 100));
      checks.running--;
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5000') });
    }) as typeof globalThis.fetch;
    const session = fakeSession(docker, { store: new ProgressStore(mkdtempSync(join(tmpdir(), 'sw-tui-watch-'))), fetch });
    const app = render(<App chapters={chapters} open={async () => session} color={false} checkWaitMs={0} watchGapMs={1000} />);
    apps.push(app);
    await waitFor(app.lastFrame, 'engine ✓');
    app.stdin.write('\r');
    await waitFor(app.lastFrame, 'ch3 · step 1/13');
    app.stdin.write('n');
    await waitFor(app.lastFrame, 'step 2/13');
    app.stdin.write('w');
    await waitFor(app.lastFrame, '✗ the registry holds at least one image you pushed');
    expect(checks.runs).toBe(1);

    // A change every 300 ms for 2.4 s: each makes the panel refresh (a tick), at most one re-check a second.
    const started = Date.now();
    while (Date.now() - started < 2400) {
      for (const push of listeners) push();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(checks.runs).toBeGreaterThanOrEqual(2);
    expect(checks.runs).toBeLessThanOrEqual(5);
    expect(checks.most).toBe(1);
    // The cluster panel's stream, and none for the re-checks.
    expect(streams).toBe(1);
  }, 15_000);
});
