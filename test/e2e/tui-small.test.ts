/**
 * The terminal UI in the smallest terminal we support, 80 columns by 24 rows, in tmux. If a screen is
 * taller than the terminal, ink redraws it whole and the terminal scrolls: the title line is gone from
 * the top. So on every screen the title must be on the first row and the key line below everything. The
 * engine is a stand-in with a full chapter-3 cluster (recorded API answers), so this runs anywhere.
 */
import { execa } from 'execa';
import stringWidth from 'string-width';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBoard, type Board } from '../../runner/board/server.js';
import { packageRoot } from '../../runner/paths.js';
import { cliPath } from '../support/cli.js';
import { eventually } from '../support/engine.js';
import { emptyManager, fakeEngine } from '../support/fake-engine.js';

const SESSION = `sw-tui-small-${process.pid}`;
const fixture = (name: string) => JSON.parse(readFileSync(join(packageRoot, 'test', 'fixtures', 'docker', name), 'utf8'));
const tmux = (...args: string[]) => execa('tmux', args);
const rows = async () => (await tmux('capture-pane', '-p', '-t', SESSION)).stdout.split('\n');
const keys = (...k: string[]) => tmux('send-keys', '-t', SESSION, ...k);

let engine: Awaited<ReturnType<typeof fakeEngine>>;

/** Wait until the screen's first row matches `title` and its last written row is the key line. */
async function expectFrame(title: RegExp, footer: RegExp, what: string, shows: string[] = [], session = SESSION, height = 24): Promise<string[]> {
  let last: string[] = [];
  try {
    await eventually(what, async () => {
      last = (await tmux('capture-pane', '-p', '-t', session)).stdout.split('\n');
      const lastText = [...last].reverse().find((r) => r.trim() !== '') ?? '';
      return title.test(last[0] ?? '') && footer.test(lastText) && shows.every((text) => last.join('\n').includes(text)) ? true : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100 });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- screen (${last.length} rows) ---\n${last.join('\n')}`);
  }
  expect(last.length).toBeLessThanOrEqual(height);
  return last;
}

describe('the UI at 80x24', () => {
  beforeAll(async () => {
    await execa('tmux', ['-V']).catch(() => {
      throw new Error('tmux is not installed (apt-get install tmux); the real-terminal tests need it');
    });
    engine = await fakeEngine({ ...emptyManager(), 'GET /services': fixture('services.json'), 'GET /tasks': fixture('tasks-worker.json'), 'GET /networks': fixture('networks.json') });
    const home = mkdtempSync(join(tmpdir(), 'sw-tui-small-'));
    const env = `DOCKER_HOST=${engine.host} SWARM_WORKSHOP_HOME=${home} SWARM_WORKSHOP_IPVS=0`;
    await tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', `env ${env} node ${cliPath}`);
  });

  afterAll(async () => {
    await tmux('kill-session', '-t', SESSION).catch(() => undefined);
    await engine?.close();
  });

  it('the chapter list fits, with the cluster of seven services', async () => {
    const screen = await expectFrame(/^swarm-workshop/, /q quit/, 'the chapter list', ['images not prepared', 'worker ']);
    expect(screen.join('\n')).toContain('ch4  Chapter 4');
    // The stand-in engine has none of prepare's images: the advice must fit, not be cut off.
    expect(screen.join('\n')).toContain('images not prepared (5/5): `swarm-workshop prepare` makes the build step quick');
  });

  it('every step of both chapters fits, with its commands, and with every hint shown', async () => {
    for (const [chapter, steps] of [['ch3', 13], ['ch4', 7]] as const) {
      if (chapter === 'ch4') {
        await keys('Escape');
        await expectFrame(/^swarm-workshop/, /q quit/, 'back to the chapter list');
        await keys('Down');
      }
      await keys('Enter');
      for (let n = 1; n <= steps; n++) {
        const title = new RegExp(`^${chapter} · step ${n}/${steps} `);
        const screen = await expectFrame(title, /q quit/, `${chapter} step ${n}`);
        expect(screen.some((r) => r.includes('╭')) && screen.some((r) => r.includes('╰')), `${chapter} step ${n}: the command box`).toBe(true);
        for (let h = 0; h < 4; h++) await keys('h');
        await expectFrame(title, /q quit/, `${chapter} step ${n} with its hints`);
        await keys('n');
      }
    }
  });

  it('the cluster panel toggled on in 80 columns still fits', async () => {
    await keys('l');
    const screen = await expectFrame(/^ch4 · step 7\/7 /, /q quit/, 'the step with the cluster panel', ['Cluster']);
    expect(screen.join('\n')).toMatch(/worker +10\/10 +worker:v0.1/);
  });
});

for (const [width, height] of [[80, 24], [60, 20]] as const) {
  describe(`the UI in Chinese at ${width}x${height}`, () => {
    const session = `sw-tui-zh-${width}-${process.pid}`;
    const han = /[\u4e00-\u9fff]/;
    const frame = (title: RegExp, what: string, shows: string[] = []) => expectFrame(title, /q 退出/, what, shows, session, height);
    /** The captured screen, as the test's output shows it: the nearest thing to a screenshot. */
    const show = (what: string, screen: string[]) => console.log(`--- ${what} (${width}x${height}) ---\n${screen.join('\n')}\n${'-'.repeat(width)}`);
    let zhEngine: Awaited<ReturnType<typeof fakeEngine>>;
    beforeAll(async () => {
      zhEngine = await fakeEngine({ ...emptyManager(), 'GET /services': fixture('services.json'), 'GET /tasks': fixture('tasks-worker.json'), 'GET /networks': fixture('networks.json') });
      const home = mkdtempSync(join(tmpdir(), 'sw-tui-zh-'));
      const env = `DOCKER_HOST=${zhEngine.host} SWARM_WORKSHOP_HOME=${home} SWARM_WORKSHOP_IPVS=0`;
      await tmux('new-session', '-d', '-s', session, '-x', String(width), '-y', String(height), `env ${env} node ${cliPath} --lang zh`);
    });
    afterAll(async () => {
      await tmux('kill-session', '-t', session).catch(() => undefined);
      await zhEngine?.close();
    });

    it('the chapter list and chapter 3\'s steps 1 to 3, with every hint shown, fit, in Chinese, no line wider than the terminal', async () => {
      const list = await frame(/^swarm-workshop/, 'the chapter list', ['第 3 章']);
      show('the chapter list', list);
      await tmux('send-keys', '-t', session, 'Enter');
      for (const n of [1, 2, 3]) {
        const title = new RegExp(`^ch3 · 第 ${n}/13 步 `);
        await frame(title, `step ${n}`);
        for (let h = 0; h < 4; h++) await tmux('send-keys', '-t', session, 'h');
        const screen = await frame(title, `step ${n} with its hints`, ['提示 3：']);
        show(`ch3 step ${n}, every hint shown`, screen);
        for (const row of screen) expect(stringWidth(row), `step ${n}: ${row}`).toBeLessThanOrEqual(width);
        expect(screen.filter((r) => han.test(r)).length, `step ${n}: Chinese text`).toBeGreaterThan(3);
        // Our own words are Chinese too: no English sentence of ours on the screen (commands are commands).
        expect(screen.filter((r) => /\b(step|hint|pending|done|lines|scroll|quit|engine)\b/.test(r) && !/^\s*│/.test(r)), `step ${n}`).toEqual([]);
        expect(screen.join('\n')).toContain('中文 (L: English)');
        await tmux('send-keys', '-t', session, 'n');
      }
    });
  });
}

/**
 * A learner who joined a board, in the two smallest terminals: the key line has `!` and still fits, and
 * each line the board adds (the hand's input, its confirmation, a broadcast, the hand taken down) is one
 * row within the width, with the title still on the first row. A real board on loopback.
 */
for (const [width, height, lang] of [[80, 24, 'en'], [60, 20, 'zh']] as const) {
  describe(`a joined learner's UI at ${width}x${height} (${lang})`, () => {
    const session = `sw-tui-board-${width}-${process.pid}`;
    const quit = lang === 'en' ? /q quit/ : /q 退出/;
    const words = lang === 'en'
      ? { key: '! raise hand', prompt: 'raise your hand', raised: 'hand raised; the instructor sees it', broadcast: 'instructor: ', lowered: 'the instructor has taken your hand down', step: 'step 2/13' }
      : { key: '! 举手', prompt: '举手：想问什么？', raised: '已举手，讲师能看到', broadcast: '讲师广播：', lowered: '讲师已经处理了你的举手', step: '第 2/13 步' };
    let boardEngine: Awaited<ReturnType<typeof fakeEngine>>;
    let board: Board;
    const boardDir = mkdtempSync(join(tmpdir(), 'sw-tui-board-log-'));
    const frame = (what: string, shows: string[], title = /^(swarm-workshop|ch3 · )/) => expectFrame(title, quit, what, shows, session, height);
    const fits = (screen: string[], what: string) => {
      for (const row of screen) expect(stringWidth(row), `${what}: ${row}`).toBeLessThanOrEqual(width);
      console.log(`--- ${what} (${width}x${height}, ${lang}) ---\n${screen.join('\n')}\n${'-'.repeat(width)}`);
    };
    const instructor = (path: string, body?: unknown) => fetch(`${board.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${board.instructorKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

    beforeAll(async () => {
      board = await startBoard({ host: '127.0.0.1', port: 0, dir: boardDir, className: 'Small screens', stuckAfterMs: 60_000 });
      boardEngine = await fakeEngine({ ...emptyManager(), 'GET /services': fixture('services.json'), 'GET /tasks': fixture('tasks-worker.json'), 'GET /networks': fixture('networks.json') });
      const home = mkdtempSync(join(tmpdir(), 'sw-tui-board-'));
      const joined = await execa('node', [cliPath, 'join', board.url, board.code, '--name', 'Small'], { env: { ...process.env, SWARM_WORKSHOP_HOME: home }, reject: false });
      expect(joined.exitCode, String(joined.stderr)).toBe(0);
      const env = `DOCKER_HOST=${boardEngine.host} SWARM_WORKSHOP_HOME=${home} SWARM_WORKSHOP_IPVS=0`;
      await tmux('new-session', '-d', '-s', session, '-x', String(width), '-y', String(height), `env ${env} node ${cliPath} --lang ${lang}`);
    });
    afterAll(async () => {
      await tmux('kill-session', '-t', session).catch(() => undefined);
      await boardEngine?.close();
      await board?.close();
    });

    it('the key line has ! and fits; the hand, a broadcast and the hand taken down each show in one row within the width', async () => {
      fits(await frame('the chapter list', [words.key]), 'the chapter list, joined');
      await tmux('send-keys', '-t', session, 'Enter');
      await frame('step 1', [], /^ch3 · /);
      await tmux('send-keys', '-t', session, 'n');
      fits(await frame('step 2', [words.step, words.key], /^ch3 · /), 'step 2, joined');
      await tmux('send-keys', '-t', session, '!');
      await frame('the hand\'s input', [words.prompt], /^ch3 · /);
      await tmux('send-keys', '-t', session, '-l', lang === 'en' ? 'my registry push says connection refused, what now?' : '推送到仓库时报 connection refused，怎么办？');
      fits(await frame('the hand\'s input, typed', ['▌'], /^ch3 · /), 'the hand being typed');
      await tmux('send-keys', '-t', session, 'Enter');
      fits(await frame('the hand raised', [words.raised], /^ch3 · /), 'the hand raised');
      await eventually('the hand on the board', async () => (board.view().hands.length === 1 ? true : undefined));
      expect((await instructor('/api/broadcast', { text: lang === 'en' ? 'Everyone: stop at step 5, we look at the overlay network together' : '大家在第 5 步停一下，我们一起看 overlay 网络' })).status).toBe(200);
      fits(await frame('the broadcast', [words.broadcast], /^ch3 · /), 'a broadcast');
      // A key hides the broadcast once it has been up long enough to be read; then the instructor takes
      // the hand down.
      await new Promise((resolve) => setTimeout(resolve, 1600));
      await tmux('send-keys', '-t', session, 'h');
      await eventually('the broadcast to go', async () => ((await rowsOf(session)).join('\n').includes(words.broadcast) ? undefined : true), { timeoutMs: 10_000 });
      expect((await instructor(`/api/hand/${board.view().hands[0]!.id}/resolve`)).status).toBe(200);
      fits(await frame('the hand taken down', [words.lowered], /^ch3 · /), 'the hand taken down');
    });
  });
}

async function rowsOf(session: string): Promise<string[]> {
  return (await tmux('capture-pane', '-p', '-t', session)).stdout.split('\n');
}
