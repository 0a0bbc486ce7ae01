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
