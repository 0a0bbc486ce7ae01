/**
 * Check mode over a whole chapter (ChapterRunner.checkChapter): every step is judged against the cluster
 * now, done earlier or not; `changed-by` makes a fact that a later step changed history, not a failure;
 * a step done earlier that no longer holds is said to have changed; steps ahead of the learner take one
 * line each. The cluster is a fake: a map of service name -> replicas.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defaultProfile } from '../../runner/docker/profile.js';
import { setLanguage } from '../../runner/i18n/language.js';
import type { StepStatus, WorkshopEvent } from '../../runner/engine/events.js';
import { ChapterRunner } from '../../runner/engine/runner.js';
import type { Chapter, CheckRef, Step } from '../../runner/lesson/load.js';
import { textPrinter } from '../../runner/printer.js';
import { translator } from '../../runner/i18n/messages.js';
import { fakeDocker, serviceInfo } from '../support/fake-docker.js';

const step = (id: string, checks: CheckRef[]): Step => ({ chapter: 'cht', id, title: `step ${id}`, file: `${id}.md`, timeout: 5, body: '', hints: [], commands: [], checks });
const replicas = (service: string, n: number, changedBy?: string[]): CheckRef => ({ check: 'service-converged', params: { service, replicas: n }, ...(changedBy ? { changedBy } : {}) });

/** Like chapter 3: web created, scaled to 3 (changed later by "idle", which scales it to 0), then db. */
const chapter: Chapter = {
  id: 'cht', slug: 'cht', title: 'test chapter',
  steps: [
    step('create', [{ check: 'service-exists', params: { service: 'web' } }]),
    step('scale', [replicas('web', 3, ['cht/idle'])]),
    step('idle', [replicas('web', 0)]),
    step('db', [{ check: 'service-exists', params: { service: 'db' } }]),
  ],
};

function check(cluster: Record<string, number>, previously: Record<string, StepStatus> = {}, waitMs = 0) {
  const events: WorkshopEvent[] = [];
  const docker = fakeDocker({
    services: async () => Object.entries(cluster).map(([name, n]) => serviceInfo(name, 'img:1', { mode: { kind: 'replicated', replicas: n } })),
    tasks: async (name) => Array.from({ length: cluster[name] ?? 0 }, (_, i) => ({ id: `${name}${i}`, serviceName: name, nodeId: 'n', state: 'running', desiredState: 'running', image: 'img:1', message: '' })),
    async *events(signal: AbortSignal) {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  });
  const runner = new ChapterRunner({
    docker, profile: defaultProfile, variables: {}, env: process.env, paths: { workspace: '', package: '' },
    emit: (e) => events.push(e), signal: new AbortController().signal, chapters: [chapter],
    previously: (c, s) => (previously[s] ? { status: previously[s]!, at: '2026-11-25T10:05:00.000Z' } : undefined),
  });
  return runner.runChapter(chapter, { mode: 'check', checkWaitMs: waitMs }).then((result) => ({ result, events, finished: Object.fromEntries(events.flatMap((e) => (e.type === 'step-finished' ? [[e.step, [e.status, e.reason]]] : []))) }));
}

describe('check mode judges every step against the cluster now', () => {
  it('a learner who typed everything before checking gets every step ticked; a fact a later step changed is history', async () => {
    const { result, finished, events } = await check({ web: 0, db: 1 });
    expect(result).toEqual({ ok: true, done: 4 });
    expect(finished.scale).toEqual(['done', 'done; changed since by step 3 (idle), as the lessons do']);
    const history = events.find((e) => e.type === 'check-result' && e.step === 'scale');
    expect(history).toMatchObject({ ok: false, history: 'step 3 (idle)', hint: undefined });
  });

  it('a learner at step 2 sees step 2 failing with its checks, and the steps after it as one line each', async () => {
    const { result, finished, events } = await check({ web: 1 }, { create: 'done' });
    expect(result).toEqual({ ok: false, done: 1, failure: 'checks' });
    expect(finished).toEqual({ create: ['done', 'done earlier, still holds'], scale: ['failed', 'checks not met yet'], idle: ['pending', 'not yet'], db: ['pending', 'not yet'] });
    expect(events.some((e) => e.type === 'check-result' && (e.step === 'idle' || e.step === 'db'))).toBe(false);
  });

  it('a step done earlier that no longer holds says so, with what changed, and is no longer counted', async () => {
    const { result, finished } = await check({ db: 1 }, { create: 'done', scale: 'done', idle: 'done', db: 'done' });
    expect(result.ok).toBe(false);
    expect(finished.create).toEqual(['failed', 'no longer holds: no service named web, since you finished this step at 10:05 UTC; redo it, or look at what changed (docker service ls)']);
    expect(finished.db).toEqual(['done', 'done earlier, still holds']);
  });

  it('history needs the later step done: without it, the earlier fact is checked as usual', async () => {
    // web at 0 but db missing does not matter; web at 2 is neither step 2 (3) nor step 3 (0).
    const { finished } = await check({ web: 2, db: 1 });
    expect(finished.scale).toEqual(['failed', 'checks not met yet']);
  });

  it('the printed view numbers each step by its place in the chapter, done or not', async () => {
    const { events } = await check({ web: 1 }, { create: 'done' });
    let text = '';
    const print = textPrinter((t) => void (text += t));
    events.forEach(print);
    expect(text).toContain('▶ [1/4] create: step create');
    expect(text).toContain('▶ [2/4] scale: step scale');
    expect(text).toContain('· [3/4] idle: not yet');
    expect(text).toContain('· [4/4] db: not yet');
    expect(text).toContain('→ done (done earlier, still holds)');
  });
});

describe('waiting for the cluster in check mode', () => {
  it('waits only on the learner\'s current step (the first not done earlier), never on the step after a passing one', async () => {
    const events: WorkshopEvent[] = [];
    let waits = 0;
    const docker = fakeDocker({
      services: async () => [serviceInfo('web', 'img:1')],
      tasks: async () => [],
      // Waiting for convergence listens to Docker's events: each wait opens the stream once.
      async *events(signal: AbortSignal) {
        waits++;
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
    });
    const runner = new ChapterRunner({
      docker, profile: defaultProfile, variables: {}, env: process.env, paths: { workspace: '', package: '' },
      emit: (e) => events.push(e), signal: new AbortController().signal, chapters: [chapter],
    });
    // Step 1 (create) passes at once and is the current step: step 2 fails, and is not waited on for 5 s.
    const result = await runner.runChapter(chapter, { mode: 'check', checkWaitMs: 5000 });
    expect(result).toMatchObject({ ok: false, done: 1 });
    expect(waits).toBe(0);
    // With step 1 not there yet, step 1 is current and failing: that one is waited on.
    const empty = fakeDocker({ services: async () => [], tasks: async () => [], async *events(signal: AbortSignal) {
      waits++;
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    } });
    const again = new ChapterRunner({
      docker: empty, profile: defaultProfile, variables: {}, env: process.env, paths: { workspace: '', package: '' },
      emit: () => undefined, signal: new AbortController().signal, chapters: [chapter],
    });
    await again.runChapter(chapter, { mode: 'check', checkWaitMs: 300 });
    expect(waits).toBe(1);
  });
});

describe('a state still settling when check starts', () => {
  it('an earlier step read while the cluster was still changing is read again while check waits: the history it breaks is judged anew', async () => {
    // The learner scaled web to 0 (step 3) a moment ago; an earlier check had found step 2 no longer holding.
    // At check's first read swarm still reports 1 replica, so step 3 fails, and step 2's "3 replicas" is not
    // history yet: step 2 is the current step. Then web settles at 0.
    const cluster: Record<string, number> = { web: 1, db: 1 };
    setTimeout(() => (cluster.web = 0), 300);
    const started = Date.now();
    const { result, events } = await check(cluster, { create: 'done', scale: 'failed' }, 8000);
    const finished = Object.fromEntries(events.flatMap((e) => (e.type === 'step-finished' ? [[e.step, e.status]] : [])));
    expect({ result, finished }).toEqual({ result: { ok: true, done: 4 }, finished: { create: 'done', scale: 'done', idle: 'done', db: 'done' } });
    // Over once the current step is done, not at the end of the wait.
    expect(Date.now() - started).toBeLessThan(6000);
  });
});

describe('a state still settling when check starts, before the current step', () => {
  it('a step done earlier read while the cluster was still changing is read again while the current step is waited on: no drift is said', async () => {
    // Steps 1 to 3 done earlier; the learner is on step 4 (db), typed a moment ago, while web is still
    // settling at 0 after step 3: at the first read step 3 fails, and step 2's "3 replicas" with it.
    const cluster: Record<string, number> = { web: 1 };
    setTimeout(() => Object.assign(cluster, { web: 0, db: 1 }), 300);
    const { result, events } = await check(cluster, { create: 'done', scale: 'done', idle: 'done' }, 8000);
    const finished = Object.fromEntries(events.flatMap((e) => (e.type === 'step-finished' ? [[e.step, e.status]] : [])));
    expect({ result, finished }).toEqual({ result: { ok: true, done: 4 }, finished: { create: 'done', scale: 'done', idle: 'done', db: 'done' } });
  });
});

describe('the step the learner is on', () => {
  it('may already have changed what an earlier step reads: that is not drift, and its own checks say what is wrong', async () => {
    // Steps 1 and 2 done; the learner is on "idle" (scale to 0) and scaled web to 1 instead.
    const { finished, events } = await check({ web: 1 }, { create: 'done', scale: 'done' });
    expect(finished.scale).toEqual(['done', 'done earlier; changed since by step 3 (idle), the one you are on, as the lessons do']);
    expect(finished.idle).toEqual(['failed', 'checks not met yet']);
    expect(events.find((e) => e.type === 'check-result' && e.step === 'idle')).toMatchObject({ ok: false, actual: 'web is set to 1 replica(s); web: 1/1 running' });
  });
});

describe('checking one step (the UI\'s c and watch mode)', () => {
  it('takes a fact a later, done step changed as history, and judges the rest', async () => {
    const events: WorkshopEvent[] = [];
    const docker = fakeDocker({
      services: async () => [serviceInfo('web', 'img:1', { mode: { kind: 'replicated', replicas: 0 } })],
      tasks: async () => [],
      async *events(signal: AbortSignal) {
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
    });
    const runner = new ChapterRunner({
      docker, profile: defaultProfile, variables: {}, env: process.env, paths: { workspace: '', package: '' },
      emit: (e) => events.push(e), signal: new AbortController().signal, chapters: [chapter],
      previously: (_c, s) => (s === 'idle' ? { status: 'done' } : undefined),
    });
    expect(await runner.checkStep(chapter, chapter.steps[1]!, 0)).toBe(true);
    expect(events.find((e) => e.type === 'step-finished')).toMatchObject({ status: 'done', reason: 'done; changed since by step 3 (idle), as the lessons do' });
    // The same cluster fails a check that no later step changes.
    const strict = new ChapterRunner({
      docker, profile: defaultProfile, variables: {}, env: process.env, paths: { workspace: '', package: '' },
      emit: () => undefined, signal: new AbortController().signal, chapters: [{ ...chapter, steps: chapter.steps.slice(0, 2) }],
    });
    expect(await strict.checkStep(chapter, { ...chapter.steps[1]!, checks: [replicas('web', 3)] }, 0)).toBe(false);
  });
});

describe('check mode\'s reasons in the run\'s language', () => {
  afterEach(() => setLanguage({ lang: 'en', source: 'default' }));

  it('marks a step that no longer holds as drift on the event itself, whatever the language (run\'s closing line counts them)', async () => {
    const drifted = (events: WorkshopEvent[]) => events.flatMap((e) => (e.type === 'step-finished' && e.drifted ? [e.step] : []));
    expect(drifted((await check({ db: 1 }, { create: 'done', scale: 'done', idle: 'done', db: 'done' })).events)).toEqual(['create', 'scale', 'idle']);
    setLanguage({ lang: 'zh', source: '--lang' });
    expect(drifted((await check({ db: 1 }, { create: 'done', scale: 'done', idle: 'done', db: 'done' })).events)).toEqual(['create', 'scale', 'idle']);
    expect(drifted((await check({ web: 1 }, { create: 'done' })).events)).toEqual([]);
  });

  it('says in Chinese that a step no longer holds, since when, and what the check saw, names kept', async () => {
    setLanguage({ lang: 'zh', source: '--lang' });
    const { finished } = await check({ db: 1 }, { create: 'done', scale: 'done', idle: 'done', db: 'done' });
    expect(finished.create).toEqual(['failed', '不再成立：你在 10:05 UTC 完成这一步之后，没有名为 web 的服务；重做这一步，或者看看有什么变化（docker service ls）']);
    expect(finished.db).toEqual(['done', '之前已完成，仍然成立']);
  });

  it('says history, the current step and the steps ahead in Chinese', async () => {
    setLanguage({ lang: 'zh', source: '--lang' });
    const typed = await check({ web: 0, db: 1 });
    expect(typed.finished.scale).toEqual(['done', '已完成；之后被 第 3 (idle) 步 改变了，课程本来就是这样安排的']);
    expect(typed.events.find((e) => e.type === 'check-result' && e.step === 'scale')).toMatchObject({ ok: false, history: '第 3 (idle) 步' });
    const onIdle = await check({ web: 1 }, { create: 'done', scale: 'done' });
    expect(onIdle.finished.scale).toEqual(['done', '之前已完成；之后被 第 3 (idle) 步，也就是你正在做的这一步 改变了，课程本来就是这样安排的']);
    expect(onIdle.finished.idle).toEqual(['failed', '检查尚未通过']);
    expect(onIdle.events.find((e) => e.type === 'check-result' && e.step === 'idle')).toMatchObject({ ok: false, actual: 'web 设定为 1 个副本；web：1/1 个在运行' });
    const ahead = await check({ web: 1 }, { create: 'done' });
    expect(ahead.finished.db).toEqual(['pending', '还没有完成']);
    let text = '';
    const print = textPrinter((t) => void (text += t), translator('zh'));
    ahead.events.forEach(print);
    expect(text).not.toMatch(/not yet|done earlier|no longer holds|checks not met/);
  });
});
