import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { boardReporter, createReporter, join, joinedBoard, leave, toReports, whatIsSent } from '../../runner/board/reporter.js';
import { startBoard, type Board } from '../../runner/board/server.js';
import type { ClassView } from '../../runner/board/view.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir } from '../../runner/paths.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const folder = () => {
  const d = mkdtempSync(joinPath(tmpdir(), 'board-reporter-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};
async function board(ratePerMinute?: number): Promise<Board> {
  const b = await startBoard({ host: '127.0.0.1', port: 0, dir: folder(), className: 'Test', stuckAfterMs: 60_000, ratePerMinute });
  cleanups.push(() => b.close());
  return b;
}
const until = async (ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const ch3 = loadLessons(lessonsDir).chapters.find((c) => c.id === 'ch3')!;

/** A learner's run of chapter 3 as the engine tells it: `count` events the board cares about, cycling through the steps. */
function run(count: number): WorkshopEvent[] {
  const events: WorkshopEvent[] = [];
  for (let i = 0; events.length < count; i++) {
    const step = ch3.steps[i % ch3.steps.length]!.id;
    const chapter = 'ch3';
    events.push({ type: 'step-started', chapter, step, title: step });
    events.push({ type: 'check-result', chapter, step, check: 'service-image', title: `${step} runs`, phase: 'after', ok: i % 3 !== 0, expected: 'running', actual: 'x'.repeat(800) });
    events.push({ type: 'step-finished', chapter, step, status: 'done', durationMs: 1234.5 });
  }
  return events.slice(0, count);
}

describe('events to reports', () => {
  test('the board gets steps, verdicts after a step, ends of steps and the mode; nothing else', () => {
    const base = { chapter: 'ch3', step: 's' };
    expect(toReports({ type: 'chapter-started', chapter: 'ch3', title: 't', steps: [] }, 'auto')).toEqual([{ type: 'mode', chapter: 'ch3', mode: 'auto' }]);
    expect(toReports({ type: 'chapter-started', chapter: 'ch3', title: 't', steps: [] }, undefined)).toEqual([]);
    expect(toReports({ type: 'check-result', ...base, check: 'c', title: 't', phase: 'before', ok: false, expected: 'e', actual: 'a' }, 'auto')).toEqual([]);
    expect(toReports({ type: 'check-result', ...base, check: 'c', title: 't', phase: 'after', ok: false, expected: 'e', actual: 'a', history: 'step 12' }, 'auto')).toEqual([]);
    const [long] = toReports({ type: 'check-result', ...base, check: 'c', title: 't', phase: 'after', ok: false, expected: 'e', actual: 'y'.repeat(5000) }, 'auto');
    expect(long).toMatchObject({ type: 'check', ok: false, expected: 'e' });
    expect((long as { actual: string }).actual).toHaveLength(500);
    expect(toReports({ type: 'step-finished', ...base, status: 'running', durationMs: 1 }, 'auto')).toEqual([]);
    expect(toReports({ type: 'command-output', ...base, index: 0, stream: 'stdout', text: 'secret' }, 'auto')).toEqual([]);
  });
});

describe('an unreachable board costs the learner nothing', () => {
  test('a refused connection: the subscriber returns at once, the queue stays within its bound, and nothing throws', async () => {
    // A port nobody listens on.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));

    const reporter = createReporter({ url: `http://127.0.0.1:${port}`, token: 't', maxQueue: 50, backoffMs: 20, maxBackoffMs: 40, lingerMs: 0 });
    cleanups.push(() => reporter.close());
    const events = run(1000);
    const t0 = performance.now();
    for (const e of events) reporter(e);
    const spent = performance.now() - t0;
    // A thousand events in well under the time of one network round trip to a slow board.
    expect(spent).toBeLessThan(250);
    expect(reporter.stats().queued).toBeLessThanOrEqual(50);
    expect(reporter.stats().dropped).toBeGreaterThanOrEqual(950);
    await until(() => reporter.stats().failures >= 3);
    expect(reporter.stats().sent).toBe(0);
  });

  test('a board that accepts connections and never answers: each request times out; reports older than the bound are dropped', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      silent.close(() => r());
    }));
    const port = (silent.address() as { port: number }).port;

    const reporter = createReporter({ url: `http://127.0.0.1:${port}`, token: 't', timeoutMs: 100, maxAgeMs: 400, backoffMs: 20, maxBackoffMs: 50, lingerMs: 0 });
    cleanups.push(() => reporter.close());
    const t0 = performance.now();
    for (const e of run(20)) reporter(e);
    expect(performance.now() - t0).toBeLessThan(50);
    // flush waits no longer than asked, and resolves (never rejects) with the board silent.
    const f0 = performance.now();
    await reporter.flush(150);
    expect(performance.now() - f0).toBeLessThan(1000);
    await until(() => reporter.stats().dropped === 20 && reporter.stats().queued === 0, 5000).catch((e) => {
      throw new Error(`${e}: ${JSON.stringify(reporter.stats())}`);
    });
    expect(reporter.stats().failures).toBeGreaterThanOrEqual(2);
    expect(reporter.stats().sent).toBe(0);
  });

  test('back-off doubles with jitter; a fetch that throws at once or a refusal do not escape', async () => {
    const times: number[] = [];
    let answer: () => Promise<Response> = () => Promise.reject(new Error('down'));
    const fetch = ((..._args: unknown[]) => {
      times.push(performance.now());
      return answer();
    }) as typeof globalThis.fetch;
    const reporter = createReporter({ url: 'http://board', token: 't', fetch, backoffMs: 40, maxBackoffMs: 10_000, lingerMs: 0, random: () => 0.5 });
    cleanups.push(() => reporter.close());
    reporter(run(1)[0]!);
    await until(() => times.length >= 5);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 0.75 of 40, 80, 160, 320 ms (half sure, half at random = 0.5).
    [30, 60, 120, 240].forEach((expected, i) => expect(gaps[i]).toBeGreaterThanOrEqual(expected - 5));
    expect(gaps[3]!).toBeGreaterThan(gaps[0]! * 2);

    // A refusal is final: the batch is dropped, not retried.
    answer = () => Promise.resolve(new Response('{"error":"unknown step"}', { status: 400 }));
    await until(() => reporter.stats().dropped === 1, 5000);
    expect(reporter.stats().queued).toBe(0);

    // A token the board does not know (it was started on a new folder): one request, then silence.
    let asked = 0;
    const forgotten = createReporter({
      url: 'http://board', token: 't', lingerMs: 0,
      fetch: (() => (asked++, Promise.resolve(new Response('{"error":"unknown learner token"}', { status: 401 })))) as typeof globalThis.fetch,
    });
    cleanups.push(() => forgotten.close());
    forgotten(run(1)[0]!);
    await until(() => forgotten.stats().unknown);
    for (const e of run(10)) forgotten(e);
    await new Promise((r) => setTimeout(r, 50));
    expect([asked, forgotten.stats().queued]).toEqual([1, 0]);

    // A fetch that throws synchronously.
    const throwing = createReporter({ url: 'http://board', token: 't', fetch: (() => { throw new Error('boom'); }) as typeof globalThis.fetch, lingerMs: 0, backoffMs: 10 });
    cleanups.push(() => throwing.close());
    expect(() => throwing(run(1)[0]!)).not.toThrow();
    await until(() => throwing.stats().failures >= 1);
  });
});

describe('through a real board', () => {
  test('join saves the address and the learner’s token readable by the learner only; leave forgets them', async () => {
    const b = await board();
    const home = folder();
    await expect(join(b.url, 'WRONGWRONG', 'Ana', { dir: home })).rejects.toThrow(/refused to join \(403\).*join code/);
    expect(existsSync(joinPath(home, 'board.json'))).toBe(false);
    await expect(join('http://127.0.0.1:1', b.code, 'Ana', { dir: home })).rejects.toThrow(/cannot reach the board/);

    const joined = await join(`${b.url}/`, b.code, 'Ana', { dir: home });
    expect(joined).toMatchObject({ url: b.url, name: 'Ana', className: 'Test' });
    const file = joinPath(home, 'board.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(joined);
    expect(joinedBoard(home)).toEqual(joined);
    expect(whatIsSent('Ana')).toContain('Nothing else');
    // The subscriber the commands will add, from the saved file; none without one.
    const reporter = boardReporter({ dir: home, mode: 'auto' })!;
    cleanups.push(() => reporter.close());
    reporter({ type: 'chapter-started', chapter: 'ch3', title: 't', steps: [] });
    await reporter.flush(5000);
    expect(reporter.stats()).toMatchObject({ sent: 1, queued: 0 });
    const view = (await (await fetch(`${b.url}/api/class`, { headers: { authorization: `Bearer ${b.instructorKey}` } })).json()) as ClassView;
    expect(view.learners[0]!.chapters.ch3!.mode).toBe('auto');
    expect(boardReporter({ dir: folder() })).toBeUndefined();
    expect(leave(home)).toBe(true);
    expect(joinedBoard(home)).toBeUndefined();
    expect(leave(home)).toBe(false);
  });

  test('30 learners × 200 events through the real reporter: every one reaches the board, none twice', { timeout: 30_000 }, async () => {
    const b = await board();
    const learners = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const joined = await join(b.url, b.code, `Learner ${i + 1}`, { dir: folder() });
        const reporter = createReporter({ url: joined.url, token: joined.token, lingerMs: 5 });
        cleanups.push(() => reporter.close());
        return { joined, reporter };
      }),
    );
    const events = run(200);
    // Interleaved, in bursts, as a class would send them.
    for (let i = 0; i < events.length; i += 20) {
      for (const { reporter } of learners) for (const e of events.slice(i, i + 20)) reporter(e);
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(learners.map(({ reporter }) => reporter.flush(20_000)));
    for (const { reporter } of learners) expect(reporter.stats()).toEqual({ queued: 0, sent: 200, dropped: 0, failures: 0, unknown: false });

    const view = (await (await fetch(`${b.url}/api/class`, { headers: { authorization: `Bearer ${b.instructorKey}` } })).json()) as ClassView;
    expect(view.learners).toHaveLength(30);
    for (const l of view.learners) expect([l.name, l.reports]).toEqual([l.name, 200]);
    // And the board says where each is: on the step of the last event, with its check's verdict.
    const last = events.at(-1) as Extract<WorkshopEvent, { type: 'check-result' }>;
    expect(last.type).toBe('check-result');
    for (const l of view.learners) {
      expect(l.chapters.ch3).toMatchObject({ current: last.step, steps: { [last.step]: { status: 'running' } } });
      // Every step done once, the one started again running.
      expect(l.chapters.ch3!.done).toBe(ch3.steps.length - 1);
    }
  });
});
