import { describe, expect, it } from 'vitest';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { appendOutput, initialState, reduce } from '../../runner/engine/state.js';

const run = (events: WorkshopEvent[]) => events.reduce(reduce, initialState);
const base = { chapter: 'ch3', step: 'registry-service' };

describe('reduce', () => {
  it('follows a step from pending to done, with its command output and checks', () => {
    const state = run([
      { type: 'chapter-started', chapter: 'ch3', title: 'Chapter 3', steps: [{ id: 'registry-service', title: 'Registry' }, { id: 'push', title: 'Push' }] },
      { type: 'step-started', ...base, title: 'Registry' },
      { type: 'command-started', ...base, index: 0, command: 'docker service create registry:2' },
      { type: 'command-output', ...base, index: 0, stream: 'stdout', text: 'abc' },
      { type: 'command-output', ...base, index: 0, stream: 'stdout', text: 'def\nsecond line\n' },
      { type: 'command-finished', ...base, index: 0, exitCode: 0, durationMs: 1200 },
      { type: 'check-result', ...base, check: 'service-converged', title: 'registry runs', phase: 'after', ok: false, expected: '1/1', actual: '0/1' },
      { type: 'check-result', ...base, check: 'service-converged', title: 'registry runs', phase: 'after', ok: true, expected: '1/1', actual: '1/1' },
    ]);
    expect(state.current).toEqual(base);
    const step = state.chapters.ch3!.steps[0]!;
    expect(step.status).toBe('running');
    expect(step.commands[0]).toEqual({ command: 'docker service create registry:2', output: ['abcdef', 'second line', ''], exitCode: 0, durationMs: 1200 });
    expect(step.checks).toEqual([{ check: 'service-converged', title: 'registry runs', phase: 'after', ok: true, expected: '1/1', actual: '1/1' }]);
    expect(state.chapters.ch3!.steps[1]!.status).toBe('pending');

    const finished = reduce(state, { type: 'step-finished', ...base, status: 'done', durationMs: 5000 });
    expect(finished.current).toBeUndefined();
    expect(finished.chapters.ch3!.steps[0]!.status).toBe('done');
    expect(state.chapters.ch3!.steps[0]!.status).toBe('running'); // the old state is untouched
  });

  it('keeps ab results and measurements', () => {
    const state = run([
      { type: 'ab-result', ...base, name: 'rng-c1', command: 'ab', result: { concurrency: 1, completeRequests: 50, failedRequests: 0, requestsPerSecond: 9.8, meanMs: 102, totalSeconds: 5.1, percentiles: { 50: 102 } } },
      { type: 'measurement', ...base, name: 'mining-speed', value: 29.5, unit: 'hashes/s' },
    ]);
    expect(state.ab['rng-c1']!.requestsPerSecond).toBe(9.8);
    expect(state.measurements).toEqual([{ ...base, name: 'mining-speed', value: 29.5, unit: 'hashes/s' }]);
  });

  it('bounds the output it keeps', () => {
    const lines = appendOutput([], Array.from({ length: 300 }, (_, i) => `line ${i}`).join('\n'), 200);
    expect(lines).toHaveLength(200);
    expect(lines[199]).toBe('line 299');
  });
});
