import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ServiceInfo } from '../../runner/docker/client.js';
import { defaultProfile } from '../../runner/docker/profile.js';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { ChapterRunner } from '../../runner/engine/runner.js';
import type { Chapter, Step } from '../../runner/lesson/load.js';
import { fakeDocker } from '../support/fake-docker.js';

/** A step whose check passes once its command ran, with a mining-speed measure after it. */
function chapter(): Chapter {
  const step: Step = {
    chapter: 'cht', id: 'measured', title: 'a measured step', file: 'x.md', timeout: 5, body: '', hints: [],
    commands: [{ template: 'true' }], checks: [{ check: 'service-exists', params: { service: 'web' } }], measure: 'mining-speed',
  };
  return { id: 'cht', slug: 'cht', title: 'test', steps: [step] };
}

function runnerWith(answers: (() => Response)[]) {
  const events: WorkshopEvent[] = [];
  let ran = false;
  const docker = fakeDocker({
    services: async () => (ran ? [{ id: 's', name: 'web', image: 'x', mode: { kind: 'replicated', replicas: 1 } } as unknown as ServiceInfo] : []),
    networks: async () => [],
    async *events(signal: AbortSignal) {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  });
  let call = 0;
  const runner = new ChapterRunner({
    docker, profile: defaultProfile, variables: {}, env: process.env, paths: { workspace: '', package: '' },
    emit: (e) => {
      events.push(e);
      if (e.type === 'command-finished') ran = true;
    },
    signal: new AbortController().signal,
    fetch: (async () => answers[Math.min(call++, answers.length - 1)]!()) as typeof fetch,
    measureWindowSeconds: 0.01,
  });
  return { runner, events };
}

const json = (body: unknown) => () => new Response(JSON.stringify(body), { status: 200 });
const down = () => () => new Response('bad gateway', { status: 502 });

describe('a failure while measuring the mining speed', () => {
  it('a blip of the web UI is tried again and the figure kept', async () => {
    const { runner, events } = runnerWith([json({ coins: 0, hashes: 10, now: 1 }), down(), json({ coins: 0, hashes: 0, now: 5 }), json({ coins: 0, hashes: 40, now: 7 })]);
    const result = await runner.runChapter(chapter(), { mode: 'auto' });
    expect(result).toEqual({ ok: true, done: 1, failure: undefined });
    expect(events.filter((e) => e.type === 'measurement').map((e) => e.type === 'measurement' && e.value)).toEqual([20]);
  });
  it('a web UI that keeps failing, or a clock that does not move, does not lose the step: done, with a note', async () => {
    for (const answers of [[down()], [json({ coins: 0, hashes: 10, now: 3 })]]) {
      const { runner, events } = runnerWith(answers);
      const result = await runner.runChapter(chapter(), { mode: 'auto' });
      expect(result.ok).toBe(true);
      const finished = events.find((e) => e.type === 'step-finished');
      expect(finished).toMatchObject({ status: 'done' });
      expect(finished?.type === 'step-finished' && finished.reason).toMatch(/^the mining speed could not be measured \(.*\); the step's checks passed$/);
      expect(events.some((e) => e.type === 'measurement')).toBe(false);
    }
  });
});

const abReport = fileURLToPath(new URL('../fixtures/ab-rng-c1.txt', import.meta.url));

describe('auto mode on a step that records a benchmark', () => {
  it('runs its commands even when its checks pass already: the figures are what it is for', async () => {
    const events: WorkshopEvent[] = [];
    const docker = fakeDocker({
      services: async () => [{ id: 's', name: 'web', image: 'x', mode: { kind: 'replicated', replicas: 1 } } as unknown as ServiceInfo],
      networks: async () => [],
    });
    const bench: Step = {
      chapter: 'cht', id: 'bench', title: 'a benchmark', file: 'b.md', timeout: 5, body: '', hints: [],
      commands: [{ template: `cat ${abReport}`, record: 'ab:x' }], checks: [{ check: 'service-exists', params: { service: 'web' } }],
    };
    const plain: Step = { ...bench, id: 'plain', commands: [{ template: 'echo hello' }] };
    const runner = new ChapterRunner({
      docker, profile: defaultProfile, variables: {}, env: process.env, paths: { workspace: '', package: '' },
      emit: (e) => events.push(e), signal: new AbortController().signal,
    });
    const result = await runner.runChapter({ id: 'cht', slug: 'cht', title: 't', steps: [plain, bench] }, { mode: 'auto' });
    expect(result.ok).toBe(true);
    const ran = events.flatMap((e) => (e.type === 'command-started' ? [`${e.step}: ${e.command}`] : []));
    // The plain step is already done and left alone; the benchmark's command runs.
    expect(ran).toEqual([`bench: cat ${abReport}`]);
    expect(events.find((e) => e.type === 'ab-result')).toMatchObject({ name: 'x', result: { requestsPerSecond: 9.82 } });
    expect(events.find((e) => e.type === 'step-finished' && e.step === 'plain')).toMatchObject({ reason: 'already done: its checks pass' });
  });
});
