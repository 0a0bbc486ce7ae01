/**
 * The instructor board in a real browser (issue 14): Debian's headless Chromium, driven by playwright-core,
 * opens the board's page while 30 learners report through the learner's own code (join, then the reporter
 * that `run`, `check` and the UI attach), each at a different point of chapter 3, one of them stuck on a step
 * with a failing check. The page must list all 30 on their steps, mark the stuck one, and follow further
 * reports (a step finished, a stuck learner unstuck, a learner joining late) without being reloaded.
 * No Docker engine: the board and the learners are all in this process, on 127.0.0.1. The screenshots go
 * to test-output/ (board.png with the stuck learner, board-after.png after the new reports).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { attachBoard, detachBoards } from '../../runner/board/attach.js';
import { join as joinBoard, type Reporter } from '../../runner/board/reporter.js';
import { startBoard, type Board } from '../../runner/board/server.js';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir, packageRoot } from '../../runner/paths.js';

const CHROMIUM = '/usr/bin/chromium';
const LEARNERS = 30;
/** Same step with a failing check for this long: stuck. Short, so the test sees the marker come. */
const STUCK_AFTER_MS = 1500;
const STUCK = 7;
/** Had a failing check on its step, then the same check passed: not stuck. */
const RECOVERED = 8;
const outputDir = join(packageRoot, 'test-output');

const ch3 = loadLessons(lessonsDir).chapters.find((c) => c.id === 'ch3')!;
const steps = ch3.steps.map((s) => ({ id: s.id, title: s.title }));

interface Learner {
  name: string;
  dir: string;
  id: string;
  reporter: Reporter;
  /** Steps done; the learner is on step `done` (its index). */
  done: number;
}

const temp: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temp.push(d);
  return d;
};

let board: Board;
let browser: Browser | undefined;
const learners: Learner[] = [];

/** What the engine emits for a step: started, its check's verdict, done. */
const stepDone = (index: number): WorkshopEvent[] => {
  const step = steps[index]!;
  return [
    { type: 'step-started', chapter: 'ch3', step: step.id, title: step.title },
    { type: 'check-result', chapter: 'ch3', step: step.id, check: `${step.id}-ok`, title: `${step.title} holds`, phase: 'after', ok: true, expected: 'yes', actual: 'yes' },
    { type: 'step-finished', chapter: 'ch3', step: step.id, status: 'done', durationMs: 2000 + index },
  ];
};
const stepStarted = (index: number): WorkshopEvent => ({ type: 'step-started', chapter: 'ch3', step: steps[index]!.id, title: steps[index]!.title });
const failingCheck = (index: number, ok: boolean): WorkshopEvent => ({
  type: 'check-result',
  chapter: 'ch3',
  step: steps[index]!.id,
  check: 'service-replicas',
  title: 'the service runs its replicas',
  phase: 'after',
  ok,
  expected: '1/1 replicas',
  actual: ok ? '1/1 replicas' : '0/1 replicas',
});

/** A learner joins as `swarm-workshop join` does (its own folder, its own token) and gets the reporter `run` attaches. */
async function addLearner(name: string): Promise<Learner> {
  const dir = tempDir('board-learner-');
  const joined = await joinBoard(board.url, board.code, name, { dir });
  const reporter = await attachBoard('auto', { dir });
  if (!reporter) throw new Error(`${name}: joined, but no reporter attached from ${dir}`);
  return { name, dir, id: joined.learner, reporter, done: 0 };
}

async function send(learner: Learner, events: WorkshopEvent[]): Promise<void> {
  for (const event of events) learner.reporter(event);
  await learner.reporter.flush(5000);
  const stats = learner.reporter.stats();
  if (stats.queued || stats.dropped) throw new Error(`${learner.name}: reports not delivered (${JSON.stringify(stats)})`);
}

/** The grid as the browser shows it: per learner row, its name, its "on step" cell, its squares, the stuck marker. */
const readGrid = (page: Page) =>
  page.$$eval('#grid tbody tr', (rows) =>
    rows.map((tr) => ({
      id: tr.getAttribute('data-learner') ?? '',
      name: tr.querySelector('td.name')?.textContent ?? '',
      on: tr.querySelector('td.on')?.firstChild?.textContent ?? '',
      statuses: [...tr.querySelectorAll('td.cell')].map((td) => td.getAttribute('data-status') ?? ''),
      stuck: tr.classList.contains('stuck') && !!tr.querySelector('td.on .badge'),
      failing: tr.querySelector('td.fail')?.textContent ?? '',
    })),
  );
type Row = Awaited<ReturnType<typeof readGrid>>[number];

/** What each learner's row must show, from what it reported. */
const expectedRow = (l: Learner) => ({
  id: l.id,
  name: l.name,
  on: `${l.done + 1} ${steps[l.done]!.id}`,
  statuses: steps.map((_, i) => (i < l.done ? 'done' : i === l.done ? 'running' : 'pending')),
});

/** Wait until the page's grid passes `ok`; on timeout, fail with what the page showed last. */
async function gridUntil(page: Page, what: string, ok: (rows: Row[]) => boolean, timeoutMs = 10_000): Promise<Row[]> {
  const deadline = Date.now() + timeoutMs;
  let rows: Row[] = [];
  for (;;) {
    rows = await readGrid(page);
    if (ok(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`the page did not show ${what} within ${timeoutMs} ms; it shows:\n${rows.map((r) => JSON.stringify(r)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the instructor board in headless Chromium', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    board = await startBoard({ host: '127.0.0.1', port: 0, dir: tempDir('board-browser-'), className: 'Browser test class', stuckAfterMs: STUCK_AFTER_MS, chapter: 'ch3' });

    // 30 learners, each at its own point of chapter 3: learner i has done i mod 13 steps and is on the next.
    await Promise.all(
      Array.from({ length: LEARNERS }, async (_, i) => {
        const learner = await addLearner(`learner-${String(i + 1).padStart(2, '0')}`);
        learners[i] = learner;
        learner.done = i % steps.length;
        const events: WorkshopEvent[] = [{ type: 'chapter-started', chapter: 'ch3', title: ch3.title, steps }];
        for (let s = 0; s < learner.done; s++) events.push(...stepDone(s));
        events.push(stepStarted(learner.done));
        if (i === STUCK) events.push(failingCheck(learner.done, false));
        if (i === RECOVERED) events.push(failingCheck(learner.done, false), failingCheck(learner.done, true));
        await send(learner, events);
      }),
    );
    expect(board.view().learners).toHaveLength(LEARNERS);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await detachBoards(1000);
    await board?.close();
    for (const d of temp) rmSync(d, { recursive: true, force: true });
  });

  test('shows all 30 learners on their steps, marks the stuck one, and follows new reports without a reload', async () => {
    // In the test itself, not its set-up: without chromium this test fails (it is never skipped).
    if (!existsSync(CHROMIUM)) {
      throw new Error(`the board's browser test needs Debian's chromium at ${CHROMIUM}: apt-get install chromium (npm test installs it)`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });

    await page.goto(board.boardUrl);
    // The key went into a cookie and out of the address bar.
    expect(page.url()).not.toContain('key=');
    const loads = navigations;

    // All 30, each on the step it reported, the steps before it done and none after it.
    let rows = await gridUntil(page, `${LEARNERS} learner rows`, (r) => r.length === LEARNERS);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const l of learners) expect(byId.get(l.id), l.name).toMatchObject(expectedRow(l));

    // The stuck learner (on one step with a failing check for longer than the threshold) is marked, and no
    // one else: not the learner whose failing check passed since, nor those with no failing check.
    const stuck = learners[STUCK]!;
    rows = await gridUntil(page, 'the stuck marker', (r) => r.some((row) => row.id === stuck.id && row.stuck), STUCK_AFTER_MS + 10_000);
    expect(rows.filter((r) => r.stuck).map((r) => r.name)).toEqual([stuck.name]);
    expect(rows.find((r) => r.id === stuck.id)!.failing).toContain('the service runs its replicas');
    expect(rows.find((r) => r.id === learners[RECOVERED]!.id)!.failing).toBe('');
    // The class summary under the grid: how many finished each step.
    const finished = await page.$$eval('#grid tfoot td', (tds) => tds.slice(1, -2).map((td) => Number(td.textContent)));
    expect(finished).toEqual(steps.map((_, s) => learners.filter((l) => l.done > s).length));

    mkdirSync(outputDir, { recursive: true });
    const shot = join(outputDir, 'board.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`board screenshot: ${shot}`);

    // Now the class moves on while the page stays open.
    await page.evaluate(() => {
      (window as unknown as { __marker: string }).__marker = 'same document';
    });
    const first = learners[0]!;
    await send(first, [{ type: 'check-result', chapter: 'ch3', step: steps[0]!.id, check: 'x', title: 'x', phase: 'after', ok: true, expected: 'y', actual: 'y' }, { type: 'step-finished', chapter: 'ch3', step: steps[0]!.id, status: 'done', durationMs: 5000 }, stepStarted(1)]);
    first.done = 1;
    await send(stuck, [failingCheck(stuck.done, true), { type: 'step-finished', chapter: 'ch3', step: steps[stuck.done]!.id, status: 'done', durationMs: 9000 }, stepStarted(stuck.done + 1)]);
    stuck.done += 1;
    const late = await addLearner('late-learner');
    learners.push(late);
    await send(late, [{ type: 'chapter-started', chapter: 'ch3', title: ch3.title, steps }, stepStarted(0)]);

    rows = await gridUntil(
      page,
      'the new reports',
      (r) => r.length === LEARNERS + 1 && r.some((row) => row.id === late.id) && r.find((row) => row.id === first.id)?.on === expectedRow(first).on && !r.some((row) => row.stuck),
    );
    const now = new Map(rows.map((r) => [r.id, r]));
    for (const l of learners) expect(now.get(l.id), l.name).toMatchObject(expectedRow(l));
    expect(await page.evaluate(() => (window as unknown as { __marker?: string }).__marker)).toBe('same document');
    expect(navigations).toBe(loads);
    expect(errors).toEqual([]);

    const after = join(outputDir, 'board-after.png');
    await page.screenshot({ path: after, fullPage: true });
    console.log(`board screenshot after the new reports: ${after}`);
  });
});
