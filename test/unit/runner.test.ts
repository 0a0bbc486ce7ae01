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

describe('catching up (run --to) past a benchmark and a measurement', () => {
  it('runs neither, and says so on each step: never a silent skip', async () => {
    const events: WorkshopEvent[] = [];
    let finished = 0;
    // `web` appears once a command has run, `web2` once two have.
    const docker = fakeDocker({
      services: async () => ['web', 'web2'].slice(0, finished).map((name) => ({ id: name, name, image: 'x', mode: { kind: 'replicated', replicas: 1 } }) as unknown as ServiceInfo),
      networks: async () => [],
    });
    const step = (id: string, commands: Step['commands'], service: string, more: Partial<Step> = {}): Step => ({
      chapter: 'cht', id, title: id, file: `${id}.md`, timeout: 5, body: '', hints: [], commands, checks: [{ check: 'service-exists', params: { service } }], ...more,
    });
    const measured = step('measured', [{ template: 'true' }], 'web', { measure: 'mining-speed' });
    const bench = step('bench', [{ template: 'true' }, { template: `cat ${abReport}`, record: 'ab:x' }], 'web2');
    const target = step('target', [{ template: 'true' }], 'web3');
    const runner = new ChapterRunner({
      docker, profile: defaultProfile, variables: {}, env: process.env, paths: { workspace: '', package: '' },
      emit: (e) => {
        events.push(e);
        if (e.type === 'command-finished') finished++;
      },
      signal: new AbortController().signal,
      fetch: (() => {
        throw new Error('catching up must not measure the mining speed');
      }) as unknown as typeof fetch,
    });
    await runner.runChapter({ id: 'cht', slug: 'cht', title: 't', steps: [measured, bench, target] }, { mode: 'auto', to: 'target' });
    const ran = events.flatMap((e) => (e.type === 'command-started' ? [`${e.step}: ${e.command}`] : []));
    expect(ran).toEqual(['measured: true', 'bench: true']);
    expect(events.filter((e) => e.type === 'ab-result' || e.type === 'measurement')).toEqual([]);
    const end = (id: string) => events.find((e) => e.type === 'step-finished' && e.step === id);
    expect(end('measured')).toMatchObject({ status: 'done', reason: 'caught up; its mining speed was not measured' });
    expect(end('bench')).toMatchObject({ status: 'skipped', reason: `caught up; its benchmark was not run (yours to run, and to read): cat ${abReport}` });
    expect(end('target')).toBeUndefined();
  });
});
