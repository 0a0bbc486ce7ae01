/**
 * The board wired into the program: `board` (its join line, QR code, URL, log, a taken port), `join` and
 * `join --leave`, the reporter as one more subscriber of `run`/`check`'s events and of the UI's, the
 * bounded flush on the way out, and `board --tui`'s table. Loopback only, ports chosen by the system.
 */
import { render } from 'ink-testing-library';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attachBoard, boardFile, detachBoards, FLUSH_MS } from '../../runner/board/attach.js';
import { createReporter, join as joinBoard, raiseHand } from '../../runner/board/reporter.js';
import type { Board } from '../../runner/board/server.js';
import { boardPage } from '../../runner/board/page.js';
import { BoardScreen, boardRows } from '../../runner/board/tui.js';
import { classFolder } from '../../runner/commands/board.js';
import { runSinks } from '../../runner/commands/run.js';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { AbortError, formatError } from '../../runner/errors.js';
import { setLanguage } from '../../runner/i18n/language.js';
import { liteT } from '../../runner/i18n/lite.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir, packageRoot } from '../../runner/paths.js';
import { textPrinter } from '../../runner/printer.js';
import { program } from '../../runner/program.js';
import { ProgressStore } from '../../runner/progress.js';
import { App } from '../../runner/tui/App.js';
import { boardTestKit, until } from '../support/board.js';
import { fakeDocker } from '../support/fake-docker.js';
import { fakeSession, waitFor } from '../support/tui-session.js';

const { chapters } = loadLessons(lessonsDir);
const ch3 = chapters.find((c) => c.id === 'ch3')!;

const { cleanups, home, testBoard, silentServer } = boardTestKit('sw-board-cli-');

/** `swarm-workshop ARGS`, in-process through the commander program, as cli.ts runs it. */
async function swarmWorkshop(args: string[], signal = new AbortController().signal) {
  const output = { text: '', code: 0 };
  const p = await program((t) => void (output.text += t), signal, output);
  const done = p.parseAsync(args, { from: 'user' }).then(() => output.code);
  return { output, done };
}

/** The error a command ends with, as the terminal shows it, and its exit code. */
async function refusal(done: Promise<number>): Promise<{ text: string; code: number }> {
  const error = await done.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AbortError);
  return { text: formatError(error), code: (error as AbortError).exitCode };
}

describe('swarm-workshop board', () => {
  it('prints the join line, the same as a QR code, the board\'s URL with its key, the log and the address; Ctrl-C closes it', async () => {
    const stop = new AbortController();
    const { output, done } = await swarmWorkshop(['board', '--port', '0', '--class', 'Morning class', '--chapter', 'ch3', '--stuck-after', '2'], stop.signal);
    await until(() => output.text.includes('Ctrl-C closes the board'), 'the board to start');
    const text = output.text;
    const joinLine = /^ {4}(swarm-workshop join http:\/\/127\.0\.0\.1:(\d+) ([A-Z2-9]{10}))$/m.exec(text);
    expect(joinLine, text).not.toBeNull();
    const [, line, port, code] = joinLine!;
    expect(text).toContain(`Board for Morning class, listening on 127.0.0.1:${port} (that address only).`);
    expect(text).toContain('Only this machine can reach 127.0.0.1');
    // The QR block: lines of half blocks (no colours when the output is not a terminal), as wide as tall-ish.
    const qr = text.split('\n').filter((l) => /^[ █▀▄]{20,}$/.test(l) && /[█▀▄]/.test(l));
    expect(qr.length).toBeGreaterThan(10);
    const url = /Your board .*: (http:\/\/127\.0\.0\.1:\d+\/\?key=\S+)$/m.exec(text)?.[1];
    expect(url).toBeDefined();
    expect(line).not.toContain(url!.split('key=')[1]);
    const log = join(home(), 'boards', 'morning-class', 'board.jsonl');
    expect(text).toContain(`Class log: ${log}`);
    expect(existsSync(log)).toBe(true);
    // It serves: the page with the key, a learner with the code.
    expect((await fetch(url!)).status).toBe(200);
    expect((await fetch(url!)).headers.get('content-type')).toContain('text/html');
    const page = await (await fetch(url!)).text();
    expect(page).toContain('"ch3"');
    const joined = await fetch(`http://127.0.0.1:${port}/api/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, name: 'Ana' }) });
    expect(joined.status).toBe(200);

    stop.abort(new Error('interrupted'));
    expect(await done).toBe(0);
    expect(output.text).toContain(`Board closed; the class log stays in ${log}.`);
    // Closed: the port is free again, and the log holds the learner who joined.
    await expect(fetch(url!)).rejects.toThrow();
    expect(readFileSync(log, 'utf8')).toContain('"name":"Ana"');
  });

  it('says so when the port is taken, naming another --port, exit 1 and no stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as { port: number }).port;
    const { done } = await swarmWorkshop(['board', '--port', String(port)]);
    const { text, code } = await refusal(done);
    expect(code).toBe(1);
    expect(text).toBe(`error: 127.0.0.1:${port} is already in use (another board, or another program)\n  → start the board on another port: swarm-workshop board --port ${port + 1} (learners then join with that port)`);
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('says it in Chinese too', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as { port: number }).port;
    const { text } = await refusal((await swarmWorkshop(['--lang', 'zh', 'board', '--port', String(port)])).done);
    expect(text).toContain(`127.0.0.1:${port} 已被占用`);
    expect(text).toContain(`swarm-workshop board --port ${port + 1}`);
  });

  it('refuses a port out of range and an unknown chapter before starting anything', async () => {
    const p = await program(() => undefined, new AbortController().signal, { code: 0 });
    await expect(p.parseAsync(['board', '--port', '70000'], { from: 'user' })).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    const q = await program(() => undefined, new AbortController().signal, { code: 0 });
    await expect(q.parseAsync(['board', '--chapter', 'ch9'], { from: 'user' })).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(existsSync(join(home(), 'boards'))).toBe(false);
  });

  it('speaks the board\'s language: the page\'s labels and the refusals learners see', async () => {
    const en = boardPage({ className: 'c', nonce: 'n' });
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('Export CSV');
    setLanguage({ lang: 'zh', source: '--lang' });
    const zh = boardPage({ className: 'c', nonce: 'n', chapter: 'ch4' });
    expect(zh).toContain('<html lang="zh-CN">');
    expect(zh).toContain('导出 CSV');
    expect(zh).toContain('"byStuck":"卡住的在前"');
    expect(zh).toContain("sessionStorage.getItem('board-chapter') || \"ch4\"");
    expect(zh).not.toMatch(/Export CSV|Help queue|STUCK/);
    const b = await testBoard();
    const refused = await fetch(`${b.url}/api/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'WRONGCODE2', name: 'Ana' }) });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: '加入码不对：请核对讲师给出的加入码' });
  });

  it('keeps each class in a folder of its own name', () => {
    expect(classFolder('Morning class')).toBe('morning-class');
    expect(classFolder('../../etc')).toBe('etc');
    expect(classFolder('上午班')).toBe('上午班');
    expect(classFolder('///')).toBe('class');
  });
});

describe('swarm-workshop join', () => {
  it('with the right code: saves the board, says once what is sent and how to stop; --leave forgets it', async () => {
    const b = await testBoard();
    const { output, done } = await swarmWorkshop(['join', b.url, b.code, '--name', 'Ana']);
    expect(await done).toBe(0);
    expect(output.text).toContain(`Joined the board of Morning class at ${b.url} as Ana.`);
    expect(output.text).toContain('Nothing else from this machine. To stop: swarm-workshop join --leave');
    const saved = JSON.parse(readFileSync(boardFile(), 'utf8')) as { url: string; name: string; token: string };
    expect(saved).toMatchObject({ url: b.url, name: 'Ana' });
    expect(b.view().learners.map((l) => l.name)).toEqual(['Ana']);

    const leave = await swarmWorkshop(['join', '--leave']);
    expect(await leave.done).toBe(0);
    expect(leave.output.text).toBe(`Left the board at ${b.url}: nothing is sent any more.\n`);
    expect(existsSync(boardFile())).toBe(false);
    const again = await swarmWorkshop(['join', '--leave']);
    expect(await again.done).toBe(0);
    expect(again.output.text).toBe('No board joined: nothing is sent.\n');
  });

  it('with a wrong code, an unreachable board or no board at all: a clear message, exit non-zero, nothing saved', async () => {
    const b = await testBoard();
    const wrong = await refusal((await swarmWorkshop(['join', b.url, 'WRONGCODE2'])).done);
    expect(wrong.code).toBe(1);
    expect(wrong.text).toBe('error: the board refused to join (403): wrong join code: check the code the instructor showed\n  → nothing was saved: the workshop works as before, without a board');
    expect(existsSync(boardFile())).toBe(false);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const gone = await refusal((await swarmWorkshop(['join', `http://127.0.0.1:${port}`, b.code])).done);
    expect(gone.code).toBe(1);
    expect(gone.text).toBe(`error: cannot reach the board at http://127.0.0.1:${port} (ECONNREFUSED): check the address the instructor showed, and that this machine is on the same network\n  → nothing was saved: the workshop works as before, without a board`);
    expect(existsSync(boardFile())).toBe(false);

    const notUrl = await refusal((await swarmWorkshop(['join', '127.0.0.1:8765', b.code])).done);
    expect(notUrl.code).toBe(2);
    expect(notUrl.text).toContain('127.0.0.1:8765 is not a board\'s address');
    const missing = await refusal((await swarmWorkshop(['join', b.url])).done);
    expect(missing.code).toBe(2);
    expect(missing.text).toContain('swarm-workshop join URL CODE');
    expect(existsSync(boardFile())).toBe(false);
    expect(b.view().learners).toEqual([]);
  });
});

/** What a learner's `check ch3` tells its subscribers for steps 1 and 2, step 2 failing. */
function checkRun(): WorkshopEvent[] {
  const [s1, s2] = ch3.steps;
  return [
    { type: 'chapter-started', chapter: 'ch3', title: ch3.title, steps: ch3.steps.map((s) => ({ id: s.id, title: s.title })) },
    { type: 'step-started', chapter: 'ch3', step: s1!.id, title: s1!.title },
    { type: 'check-result', chapter: 'ch3', step: s1!.id, check: 'service-converged', title: 'registry runs', phase: 'after', ok: true, expected: '1/1', actual: '1/1' },
    { type: 'step-finished', chapter: 'ch3', step: s1!.id, status: 'done', durationMs: 1200 },
    { type: 'step-started', chapter: 'ch3', step: s2!.id, title: s2!.title },
    { type: 'check-result', chapter: 'ch3', step: s2!.id, check: 'registry-has-image', title: 'the registry holds an image', phase: 'after', ok: false, expected: 'an image', actual: 'none' },
    { type: 'step-finished', chapter: 'ch3', step: s2!.id, status: 'failed', durationMs: 800 },
    { type: 'chapter-finished', chapter: 'ch3', ok: false, durationMs: 2000 },
  ];
}

describe('run and check with a joined board', () => {
  it('send their events to the board as one more subscriber, beside the printer and the progress file', async () => {
    const b = await testBoard();
    await joinBoard(b.url, b.code, 'Ana');
    const board = await attachBoard('check');
    expect(board).toBeDefined();
    let printed = '';
    const emit = runSinks(textPrinter((t) => void (printed += t)), new ProgressStore(), board);
    for (const event of checkRun()) emit(event);
    await detachBoards();
    expect(board!.stats()).toMatchObject({ queued: 0, dropped: 0, sent: 7 });
    const [ana] = b.view().learners;
    const p = ana!.chapters.ch3!;
    expect(p.mode).toBe('check');
    expect(p.current).toBe(ch3.steps[1]!.id);
    expect(p.steps[ch3.steps[0]!.id]).toMatchObject({ status: 'done' });
    expect(p.lastFailing).toMatchObject({ title: 'the registry holds an image', expected: 'an image', actual: 'none' });
    // The other subscribers as before.
    expect(printed).toContain('the registry holds an image');
    expect(new ProgressStore().load().progress.steps[`ch3/${ch3.steps[0]!.id}`]).toMatchObject({ status: 'done' });
  });

  it('load the board\'s modules only when joined: run, check, the UI and its first frame import none of them', () => {
    const source = (file: string) => readFileSync(join(packageRoot, file), 'utf8');
    for (const file of ['runner/commands/run.ts', 'runner/tui/useWorkshop.ts', 'runner/tui/useBoard.ts', 'runner/tui/App.tsx', 'runner/tui/main.ts', 'runner/board/attach.ts', 'runner/program.ts', 'runner/cli.ts']) {
      const imports = [...source(file).matchAll(/^import (?!type )[^;]*from '([^']+)'/gm)].map((m) => m[1]!);
      expect(imports.filter((i) => /board\/(reporter|server|store|view|page|tui)\.js$/.test(i) || i === 'qrcode' || i === 'fastify'), file).toEqual([]);
    }
  });

  it('without a board: no reporter, and the stream is the printer and the progress file only', async () => {
    expect(await attachBoard('auto')).toBeUndefined();
    let printed = '';
    const emit = runSinks(textPrinter((t) => void (printed += t)), new ProgressStore(), undefined);
    for (const event of checkRun()) emit(event);
    expect(printed).toContain('the registry holds an image');
    await detachBoards();
  });

  it('with a board that never answers: the way out takes no more than its bound', async () => {
    const url = await silentServer();
    writeFileSync(boardFile(), JSON.stringify({ url, token: 'x'.repeat(43), name: 'Ana', learner: 'l1', className: 'c' }));
    const board = await attachBoard('auto');
    const emit = runSinks(() => undefined, new ProgressStore(), board);
    for (const event of checkRun()) emit(event);
    // The events cost nothing: they are queued.
    expect(board!.stats().queued).toBeGreaterThan(0);
    const started = Date.now();
    await detachBoards();
    const took = Date.now() - started;
    expect(took).toBeLessThan(FLUSH_MS + 300);
    expect(board!.stats().queued).toBe(0);
  });

  it('with a board that refuses connections: within the same bound', async () => {
    writeFileSync(boardFile(), JSON.stringify({ url: 'http://127.0.0.1:1', token: 'x'.repeat(43), name: 'Ana', learner: 'l1', className: 'c' }));
    const board = await attachBoard('auto');
    const emit = runSinks(() => undefined, new ProgressStore(), board);
    for (const event of checkRun()) emit(event);
    const started = Date.now();
    await detachBoards();
    expect(Date.now() - started).toBeLessThan(FLUSH_MS + 300);
  });
});

describe('the UI with a joined board', () => {
  it('reports what the learner does in it: watch mode, the step, the failing check', async () => {
    const b = await testBoard();
    await joinBoard(b.url, b.code, 'Ana');
    const docker = fakeDocker({ services: async () => [], tasks: async () => [], networks: async () => [] });
    const session = fakeSession(docker, { store: new ProgressStore(mkdtempSync(join(tmpdir(), 'sw-tui-board-'))) });
    const app = render(<App chapters={chapters} open={async () => session} color={false} checkWaitMs={0} />);
    cleanups.push(() => app.unmount());
    await waitFor(app.lastFrame, 'engine ✓');
    app.stdin.write('\r');
    await waitFor(app.lastFrame, 'ch3 · step 1/13');
    app.stdin.write('n');
    await waitFor(app.lastFrame, 'step 2/13');
    app.stdin.write('w');
    await waitFor(app.lastFrame, '✗ the registry holds at least one image you pushed');
    await until(() => !!b.view().learners[0]?.chapters.ch3?.lastFailing, 'the board to hear of the failing check');
    const p = b.view().learners[0]!.chapters.ch3!;
    expect(p.mode).toBe('watch');
    expect(p.lastFailing?.title).toMatch(/^the registry holds at least one image you pushed/);
    await detachBoards();
  }, 15_000);
});

describe('board --tui', () => {
  /** A class of three on chapter 3: Ana done with two steps, Bo stuck on step 2, Cy just joined. */
  async function classOfThree(): Promise<Board> {
    const b = await testBoard(1);
    const send = async (name: string, events: WorkshopEvent[]) => {
      const joined = await joinBoard(b.url, b.code, name, { dir: mkdtempSync(join(tmpdir(), 'sw-learner-')) });
      const reporter = createReporter({ url: joined.url, token: joined.token, mode: 'check' });
      for (const e of events) reporter(e);
      await reporter.flush(5000);
      reporter.close();
      return joined;
    };
    const [s1, s2] = ch3.steps;
    await send('Ana', [
      ...checkRun().slice(0, 4),
      { type: 'step-started', chapter: 'ch3', step: s2!.id, title: s2!.title },
      { type: 'step-finished', chapter: 'ch3', step: s2!.id, status: 'done', durationMs: 500 },
    ]);
    const bo = await send('Bo', checkRun().slice(0, 6));
    await send('Cy', []);
    expect(await raiseHand({ url: bo.url, token: bo.token, text: 'my push is refused' })).toMatchObject({ ok: true });
    expect(s1).toBeDefined();
    return b;
  }

  it('draws learners × steps with ✓ ✗ ·, the step each is on, the stuck marker, the help queue and the check failing most', async () => {
    const b = await classOfThree();
    const rows = boardRows(b.view(), 'ch3', liteT('en')).map((r) => r.text);
    expect(rows.slice(0, 2)).toEqual(['Morning class · ch3 · 3 learner(s) · stuck after 0 min', ch3.title]);
    const bo = rows.find((r) => r.startsWith('Bo'))!;
    const ana = rows.find((r) => r.startsWith('Ana'))!;
    expect(bo).toMatch(new RegExp(`^Bo\\s+✓ ▸ ·.*2 ${ch3.steps[1]!.id}\\s+0:\\d\\d\\s+STUCK  ✗ the registry holds an image$`));
    expect(ana).toMatch(new RegExp(`^Ana\\s+✓ ✓ ·.*2 ${ch3.steps[1]!.id}$`));
    // Stuck first, then by progress.
    expect(rows.findIndex((r) => r.startsWith('Bo'))).toBeLessThan(rows.findIndex((r) => r.startsWith('Ana')));
    expect(rows.find((r) => r.startsWith('finished'))).toMatch(/^finished\s+2 1 0 /);
    expect(rows).toContain(`Failing most right now: the registry holds an image (${ch3.steps[1]!.id}, 1 learner(s))`);
    expect(rows).toContain('Help queue (1)');
    expect(rows.find((r) => r.startsWith('  Bo · '))).toMatch(/^  Bo · 0:\d\d · my push is refused$/);
    // In Chinese.
    const zh = boardRows(b.view(), 'ch3', liteT('zh')).map((r) => r.text);
    expect(zh.find((r) => r.startsWith('Bo'))).toContain('卡住');
    expect(zh).toContain('举手队列（1）');
  });

  it('is an ink view that redraws when the class changes', async () => {
    const b = await classOfThree();
    const app = render(<BoardScreen board={b} chapter="ch3" t={liteT('en')} />);
    cleanups.push(() => app.unmount());
    await waitFor(app.lastFrame, 'STUCK');
    expect(app.lastFrame()).toContain('q or Ctrl-C: close the board');
    const joined = await joinBoard(b.url, b.code, 'Dee', { dir: mkdtempSync(join(tmpdir(), 'sw-learner-')) });
    expect(joined.name).toBe('Dee');
    await waitFor(app.lastFrame, '4 learner(s)');
    await waitFor(app.lastFrame, 'Dee');
  });

  it('says when nobody has joined yet', async () => {
    const b = await testBoard();
    expect(boardRows(b.view(), undefined, liteT('en')).map((r) => r.text)).toEqual([
      'Morning class · ch3 · 0 learner(s) · stuck after 1 min',
      ch3.title,
      'No learner has joined yet: show the join line above.',
    ]);
  });
});
