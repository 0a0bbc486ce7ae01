/**
 * The UI's side of the board both ways (issue 14, item 4): a joined learner raises a hand with `!` and
 * a line of text, and sees the instructor's broadcasts within seconds. A real board on a free loopback
 * port; a learner who has not joined sees the UI exactly as before, and `!` does nothing for them.
 */
import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardFile } from '../../runner/board/attach.js';
import { join as joinBoard, raiseHand } from '../../runner/board/reporter.js';
import { startBoard, type Board } from '../../runner/board/server.js';
import { liteT } from '../../runner/i18n/lite.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir } from '../../runner/paths.js';
import { ProgressStore } from '../../runner/progress.js';
import { App } from '../../runner/tui/App.js';
import { footerFor } from '../../runner/tui/keys.js';
import { inputLine } from '../../runner/tui/useBoard.js';
import { boardTestKit, until } from '../support/board.js';
import { fakeDocker } from '../support/fake-docker.js';
import { fakeSession, strip, waitFor } from '../support/tui-session.js';

const { chapters } = loadLessons(lessonsDir);
const ch3 = chapters.find((c) => c.id === 'ch3')!;

const { cleanups, testBoard, silentServer } = boardTestKit('sw-tui-board-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The instructor's broadcast, with the instructor key (learners never see it). */
async function broadcast(b: Board, text: string) {
  const response = await fetch(`${b.url}/api/broadcast`, {
    method: 'POST',
    headers: { authorization: `Bearer ${b.instructorKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  expect(response.status).toBe(200);
}

function mount(lang: 'en' | 'zh' = 'en') {
  const docker = fakeDocker({ services: async () => [], tasks: async () => [], networks: async () => [] });
  const session = fakeSession(docker, { store: new ProgressStore(mkdtempSync(join(tmpdir(), 'sw-tui-board-p-'))) });
  const app = render(<App chapters={chapters} lang={lang} open={async () => session} color={false} checkWaitMs={0} boardPollMs={100} />);
  cleanups.push(() => app.unmount());
  return app;
}

const lines = (frame: string | undefined) => strip(frame).split('\n');
const lastLine = (frame: string | undefined) => lines(frame).filter((l) => l.trim() !== '').at(-1);

describe('a joined learner raises a hand', () => {
  it('with !, a line of text and Enter: the board\'s help queue has it with the chapter and the step; the UI says so', async () => {
    const b = await testBoard();
    await joinBoard(b.url, b.code, 'Ana');
    const app = mount();
    // The key is on the chapter list's key line, beside help and quit.
    const first = await waitFor(app.lastFrame, '! raise hand');
    expect(lastLine(first)).toBe('↑↓ choose · enter open · l cluster · ! raise hand · ? help · q quit');
    await waitFor(app.lastFrame, 'engine ✓');
    app.stdin.write('\r');
    await waitFor(app.lastFrame, 'ch3 · step 1/13');
    app.stdin.write('n');
    await waitFor(app.lastFrame, 'step 2/13');
    expect(lastLine(app.lastFrame())).toContain('! raise hand · ? help · q quit');
    app.stdin.write('!');
    await waitFor(app.lastFrame, 'raise your hand: what is it about? (Enter sends, Esc cancels) ▌');
    // Keys are text now: n, q and ? are typed, not obeyed; Backspace takes the last one back.
    app.stdin.write('quick q: why no such image?x');
    await waitFor(app.lastFrame, 'quick q: why no such image?x▌');
    app.stdin.write('\u007f');
    await waitFor(app.lastFrame, 'quick q: why no such image?▌');
    expect(app.lastFrame()).toContain('step 2/13');
    app.stdin.write('\r');
    await waitFor(app.lastFrame, 'hand raised; the instructor sees it');
    await until(() => b.view().hands.length === 1, 'the hand on the board');
    expect(b.view().hands[0]).toMatchObject({ name: 'Ana', text: 'quick q: why no such image?', chapter: 'ch3', step: ch3.steps[1]!.id });
    expect(b.view().hands[0]!.resolvedAt).toBeUndefined();
    // The input is closed: keys are keys again, and the next one hides the confirmation.
    await sleep(1600);
    app.stdin.write('n');
    await waitFor(app.lastFrame, 'step 3/13');
    expect(app.lastFrame()).not.toContain('hand raised');
    // The instructor takes the hand down on the board: the learner's screen says so.
    const id = b.view().hands[0]!.id;
    const resolved = await fetch(`${b.url}/api/hand/${id}/resolve`, { method: 'POST', headers: { authorization: `Bearer ${b.instructorKey}` } });
    expect(resolved.status).toBe(200);
    await waitFor(app.lastFrame, 'the instructor has taken your hand down (! raises it again)');
  }, 20_000);

  it('Esc drops the line without sending it; the help lists !', async () => {
    const b = await testBoard();
    await joinBoard(b.url, b.code, 'Ana');
    const app = mount();
    await waitFor(app.lastFrame, '! raise hand');
    app.stdin.write('!');
    await waitFor(app.lastFrame, 'what is it about?');
    app.stdin.write('nothing');
    await waitFor(app.lastFrame, 'nothing▌');
    app.stdin.write('\u001b');
    await until(() => !strip(app.lastFrame()).includes('what is it about?'), 'the input to close');
    await sleep(300);
    expect(b.view().hands).toEqual([]);
    app.stdin.write('?');
    const help = await waitFor(app.lastFrame, 'Keys');
    expect(help).toContain('!                raise your hand for the instructor (a line of text optional)\n');
    expect(help).toContain('any key closes this help');
  }, 15_000);

  it('in Chinese: 举手, with the line within the terminal\'s width', async () => {
    const b = await testBoard();
    await joinBoard(b.url, b.code, 'Ana');
    const app = mount('zh');
    const frame = await waitFor(app.lastFrame, '! 举手');
    expect(lastLine(frame)).toContain('! 举手 · ? 帮助');
    app.stdin.write('!');
    await waitFor(app.lastFrame, '举手：想问什么？');
    app.stdin.write('镜像推不上去'.repeat(12));
    await waitFor(app.lastFrame, '推不上去▌');
    for (const l of lines(app.lastFrame())) expect(stringWidth(l), l).toBeLessThanOrEqual(100);
    app.stdin.write('\r');
    await waitFor(app.lastFrame, '已举手，讲师能看到');
    await until(() => b.view().hands.length === 1, 'the hand on the board');
    expect(b.view().hands[0]!.text).toBe('镜像推不上去'.repeat(12));
  }, 15_000);
});

describe('the instructor\'s broadcasts', () => {
  it('appear in a joined learner\'s UI within seconds, on the chapter list and on a step; a key press hides them', async () => {
    const b = await testBoard();
    await joinBoard(b.url, b.code, 'Ana');
    // An old broadcast is not news for a UI that starts later.
    await broadcast(b, 'an old one');
    const app = mount();
    await waitFor(app.lastFrame, 'engine ✓');
    await broadcast(b, 'stop at step 5');
    const frame = await waitFor(app.lastFrame, 'instructor: stop at step 5', 5000);
    // Above the key line, which stays last.
    const shown = lines(frame).filter((l) => l.trim() !== '');
    expect(shown.at(-2)).toBe('instructor: stop at step 5');
    expect(shown.at(-1)).toBe('↑↓ choose · enter open · l cluster · ! raise hand · ? help · q quit');
    await sleep(1600);
    app.stdin.write('\r');
    await waitFor(app.lastFrame, 'ch3 · step 1/13');
    await until(() => !strip(app.lastFrame()).includes('stop at step 5'), 'the broadcast to go');

    await broadcast(b, 'the registry is back');
    const step = await waitFor(app.lastFrame, 'instructor: the registry is back', 5000);
    expect(lines(step).length).toBeLessThanOrEqual(23);
    expect(step).not.toContain('an old one');
  }, 20_000);

  it('a long one, in Chinese, is cut to the width in columns and keeps the screen within its rows', async () => {
    const b = await testBoard();
    await joinBoard(b.url, b.code, 'Ana');
    const app = mount('zh');
    await waitFor(app.lastFrame, '! 举手');
    app.stdin.write('\r');
    await waitFor(app.lastFrame, 'ch3 · 第 1/13 步');
    await broadcast(b, '请在第 5 步停下，'.repeat(20));
    const frame = await waitFor(app.lastFrame, '讲师广播：请在第 5 步停下', 5000);
    const shown = lines(frame);
    for (const l of shown) expect(stringWidth(l), l).toBeLessThanOrEqual(100);
    expect(shown.length).toBeLessThanOrEqual(23);
    expect(shown.find((l) => l.startsWith('讲师广播'))).toMatch(/…$/);
  }, 15_000);
});

describe('a learner who has not joined', () => {
  it('sees the key lines exactly as before; ! does nothing, and help does not list it', async () => {
    const app = mount();
    const homeFrame = await waitFor(app.lastFrame, 'engine ✓');
    expect(lastLine(homeFrame)).toBe('↑↓ choose · enter open · l cluster · ? help · q quit');
    expect(footerFor('home', 100)).toBe('↑↓ choose · enter open · l cluster · ? help · q quit');
    expect(footerFor('step', 200)).toBe('r run · c check · h hint · n/p next/prev · s skip · w watch · l cluster · esc back · u catch up · ? help · q quit');
    for (const width of [200, 100, 80, 60, 30, 10]) {
      for (const screen of ['home', 'step'] as const) {
        expect(footerFor(screen, width)).not.toContain('!');
        expect(footerFor(screen, width, liteT('zh'))).not.toContain('!');
      }
    }
    app.stdin.write('!');
    await sleep(300);
    expect(app.lastFrame()).toBe(homeFrame);
    app.stdin.write('\r');
    const step = await waitFor(app.lastFrame, 'ch3 · step 1/13');
    expect(lastLine(step)).toBe(footerFor('step', 100));
    app.stdin.write('!');
    await sleep(300);
    expect(strip(app.lastFrame())).not.toContain('raise your hand');
    app.stdin.write('n');
    await waitFor(app.lastFrame, 'step 2/13');
    app.stdin.write('?');
    const help = await waitFor(app.lastFrame, 'any key closes this help');
    expect(help).not.toContain('raise your hand');
  }, 15_000);
});

describe('an unreachable board', () => {
  it('the hand: the UI stays usable while it tries, then says the board could not be reached', async () => {
    const url = await silentServer();
    mkdirSync(dirname(boardFile()), { recursive: true });
    writeFileSync(boardFile(), JSON.stringify({ url, token: 'tok', name: 'Ana', learner: 'l1', className: 'x' }));
    const app = mount();
    await waitFor(app.lastFrame, 'engine ✓');
    app.stdin.write('\r');
    await waitFor(app.lastFrame, 'ch3 · step 1/13');
    app.stdin.write('!');
    await waitFor(app.lastFrame, 'what is it about?');
    app.stdin.write('help\r');
    await waitFor(app.lastFrame, 'raising your hand...');
    // The board does not answer: keys still work meanwhile.
    app.stdin.write('n');
    await waitFor(app.lastFrame, 'step 2/13');
    await waitFor(app.lastFrame, 'the board could not be reached: your hand is not raised (! tries again)', 6000);
    await sleep(1600);
    app.stdin.write('n');
    await waitFor(app.lastFrame, 'step 3/13');
    expect(app.lastFrame()).not.toContain('could not be reached');
  }, 20_000);

  it('a refused connection: said at once', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    mkdirSync(dirname(boardFile()), { recursive: true });
    writeFileSync(boardFile(), JSON.stringify({ url: `http://127.0.0.1:${port}`, token: 'tok', name: 'Ana', learner: 'l1', className: 'x' }));
    const app = mount();
    await waitFor(app.lastFrame, '! raise hand');
    app.stdin.write('!');
    await waitFor(app.lastFrame, 'what is it about?');
    app.stdin.write('\r');
    await waitFor(app.lastFrame, 'the board could not be reached');
    app.stdin.write('\r');
    await waitFor(app.lastFrame, 'ch3 · step 1/13');
  }, 15_000);
});

describe('the key line of a joined learner', () => {
  it('keeps ! with help and quit, within the width, in both languages', () => {
    for (const t of [liteT('en'), liteT('zh')]) {
      for (const width of [200, 100, 80, 60]) {
        for (const screen of ['home', 'step'] as const) {
          const line = footerFor(screen, width, t, true);
          expect(stringWidth(line), line).toBeLessThanOrEqual(width);
          expect(line).toMatch(/! (raise hand|举手) · \? (help|帮助) · q (quit|退出)$/);
        }
      }
    }
    expect(footerFor('home', 80, liteT('en'), true)).toBe('↑↓ choose · enter open · l cluster · ! raise hand · ? help · q quit');
    expect(footerFor('home', 60, liteT('zh'), true)).toBe(`${footerFor('home', 60, liteT('zh')).replace(' · ? ', ' · ! 举手 · ? ')}`);
  });
});

describe('a hand on the board', () => {
  it('keeps its chapter and step across a restart of the board; a step that is no id is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-board-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const b = await startBoard({ host: '127.0.0.1', port: 0, dir, className: 'c', stuckAfterMs: 60_000 });
    const ana = await joinBoard(b.url, b.code, 'Ana');
    const bad = await fetch(`${b.url}/api/hand`, { method: 'POST', headers: { authorization: `Bearer ${ana.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ step: '<script>' }) });
    expect(bad.status).toBe(400);
    expect(await raiseHand({ url: b.url, token: ana.token, text: 'help', chapter: 'ch3', step: 'push-test-image' })).toMatchObject({ ok: true });
    await b.close();
    const again = await startBoard({ host: '127.0.0.1', port: 0, dir, className: 'c', stuckAfterMs: 60_000 });
    cleanups.push(() => again.close());
    expect(again.view().hands).toMatchObject([{ name: 'Ana', text: 'help', chapter: 'ch3', step: 'push-test-image' }]);
  });
});

describe('the hand\'s input line', () => {
  it('fits the width in columns, keeping the end of what is typed in sight', () => {
    const prompt = liteT('en')('ui.hand.prompt');
    expect(inputLine(prompt, 'abc', 100)).toBe(`${prompt} abc▌`);
    const long = inputLine(prompt, 'x'.repeat(80) + 'END', 80);
    expect(stringWidth(long)).toBeLessThanOrEqual(80);
    expect(long).toMatch(/END▌$/);
    const zh = inputLine(liteT('zh')('ui.hand.prompt'), '中文'.repeat(40), 60);
    expect(stringWidth(zh)).toBeLessThanOrEqual(60);
    expect(zh).toMatch(/文▌$/);
    expect(stringWidth(inputLine(prompt, '中文'.repeat(40), 20))).toBeLessThanOrEqual(20);
  });
});
