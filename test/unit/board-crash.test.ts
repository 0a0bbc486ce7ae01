import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { createReporter, join, type Reporter } from '../../runner/board/reporter.js';
import type { ClassView } from '../../runner/board/view.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir, packageRoot } from '../../runner/paths.js';

/**
 * The board killed (SIGKILL: no flush, no goodbye) in the middle of a class, then started again on the
 * same folder: everything it acknowledged must be there. The board runs in a child process of its own,
 * bundled from the sources with esbuild (a dev dependency already); node_modules are left outside the
 * bundle and found from its place under node_modules/.cache.
 */

const work = mkdtempSync(joinPath(tmpdir(), 'board-crash-'));
const bundle = joinPath(packageRoot, 'node_modules', '.cache', 'swarm-workshop-test', `board-${process.pid}.mjs`);
const children: ChildProcess[] = [];

beforeAll(async () => {
  mkdirSync(joinPath(bundle, '..'), { recursive: true });
  await build({
    stdin: {
      contents: `
        import { startBoard } from './runner/board/server.ts';
        const [dir, port] = process.argv.slice(2);
        const board = await startBoard({ host: '127.0.0.1', port: Number(port), dir, className: 'crash', stuckAfterMs: 60000 });
        process.stdout.write(JSON.stringify({ url: board.url, port: board.port, key: board.instructorKey, code: board.code, notices: board.notices }) + '\\n');
      `,
      resolveDir: packageRoot,
      loader: 'ts',
      sourcefile: 'board-child.ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: bundle,
    logLevel: 'silent',
  });
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
  rmSync(bundle, { force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  port: number;
  key: string;
  code: string;
  notices: string[];
}

async function startChild(dir: string, port: number): Promise<Started> {
  const child = spawn(process.execPath, [bundle, dir, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the board exited (${code}): ${stderr}`)));
  });
  return { child, ...(JSON.parse(line) as Omit<Started, 'child'>) };
}

const until = async (ok: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const ch3 = loadLessons(lessonsDir).chapters.find((c) => c.id === 'ch3')!;
const event = (i: number): WorkshopEvent => {
  const step = ch3.steps[Math.floor(i / 2) % ch3.steps.length]!.id;
  return i % 2 === 0
    ? { type: 'step-started', chapter: 'ch3', step, title: step }
    : { type: 'check-result', chapter: 'ch3', step, check: 'c', title: 'a check', phase: 'after', ok: false, expected: 'e', actual: 'a' };
};

test('killed mid-stream and started again: nothing acknowledged is lost, nothing counts twice', { timeout: 60_000 }, async () => {
  const dir = joinPath(work, 'board');
  const first = await startChild(dir, 0);
  const learners: { learner: string; reporter: Reporter }[] = [];
  for (let i = 0; i < 6; i++) {
    const joined = await join(first.url, first.code, `Learner ${i}`, { dir: joinPath(work, `home${i}`) });
    // Quick retries: the board is gone for a moment only.
    const reporter = createReporter({ url: joined.url, token: joined.token, lingerMs: 0, backoffMs: 50, maxBackoffMs: 300, timeoutMs: 1000 });
    learners.push({ learner: joined.learner, reporter });
  }
  const total = 200;
  let fed = 0;
  const feeding = (async () => {
    for (; fed < total; fed++) {
      for (const { reporter } of learners) reporter(event(fed));
      await new Promise((r) => setTimeout(r, 3));
    }
  })();
  const sent = () => learners.reduce((n, l) => n + l.reporter.stats().sent, 0);

  // Mid-stream: some acknowledged, more on the way.
  await until(() => sent() >= 150, 20_000);
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const acknowledged = new Map(learners.map((l) => [l.learner, l.reporter.stats().sent]));
  expect(fed).toBeLessThan(total);

  const second = await startChild(dir, first.port);
  // Same secrets: the class keeps its code, the instructor its URL.
  expect([second.code, second.key]).toEqual([first.code, first.key]);
  const read = async () => (await (await fetch(`${second.url}/api/class`, { headers: { authorization: `Bearer ${second.key}` } })).json()) as ClassView;
  const afterRestart = await read();
  for (const l of afterRestart.learners) expect(l.reports).toBeGreaterThanOrEqual(acknowledged.get(l.id)!);

  await feeding;
  await Promise.all(learners.map((l) => l.reporter.flush(20_000)));
  for (const l of learners) expect(l.reporter.stats()).toMatchObject({ queued: 0, sent: total, dropped: 0 });
  const end = await read();
  expect(end.learners).toHaveLength(learners.length);
  for (const l of end.learners) expect([l.name, l.reports]).toEqual([l.name, total]);
  for (const l of learners) l.reporter.close();
  second.child.kill('SIGKILL');
});
