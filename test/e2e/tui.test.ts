/**
 * The terminal UI in a real terminal: tmux runs `swarm-workshop` against the real engine; keys go in with
 * send-keys, the screen comes back with capture-pane.
 */
import { execa } from 'execa';
import stringWidth from 'string-width';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from '../support/cli.js';
import { docker, emptyWorkshop, eventually, requireTestEngine, testDockerHost } from '../support/engine.js';

const SESSION = `sw-tui-${process.pid}`;
const home = mkdtempSync(join(tmpdir(), 'sw-tui-e2e-'));
const tmux = (...args: string[]) => execa('tmux', args);
const screen = async (target = `${SESSION}:0`) => (await tmux('capture-pane', '-p', '-t', target)).stdout;
const keys = (...k: string[]) => tmux('send-keys', '-t', `${SESSION}:0`, ...k);

async function waitForScreen(what: string, test: (s: string) => boolean, timeoutMs = 60_000): Promise<string> {
  let last = '';
  try {
    return await eventually(what, async () => {
      last = await screen();
      return test(last) ? last : undefined;
    }, { timeoutMs, intervalMs: 250 });
  } catch (error) {
    throw new Error(`${(error as Error).message}\nscreen:\n${last}`);
  }
}

describe('swarm-workshop in tmux', () => {
  beforeAll(async () => {
    await requireTestEngine();
    await emptyWorkshop();
    await execa('tmux', ['-V']).catch(() => {
      throw new Error('tmux is not installed (apt-get install tmux); the real-terminal tests need it');
    });
    const env = `DOCKER_HOST=${testDockerHost()} SWARM_WORKSHOP_HOME=${home}`;
    await tmux('new-session', '-d', '-s', SESSION, '-x', '120', '-y', '45', `env ${env} node ${cliPath}`);
  });

  afterAll(async () => {
    await tmux('kill-session', '-t', SESSION).catch(() => undefined);
  });

  it('runs the registry step from chapter 3; the step turns done and the cluster panel shows the registry', async () => {
    await waitForScreen('the chapter list', (s) => s.includes('ch3  Chapter 3') && s.includes('engine ✓'));
    await keys('Enter');
    await waitForScreen('step 1 of chapter 3', (s) => s.includes('ch3 · step 1/13'));
    await keys('r');
    const done = await waitForScreen('the step to turn done', (s) => /step 1\/13 .*✓ done/.test(s), 180_000);
    expect(done).toContain('✓ registry runs 1 task(s)');
    const panel = await waitForScreen('the registry in the cluster panel', (s) => /registry\s+1\/1\s+registry:2/.test(s));
    expect(panel).toContain('Cluster');
    const services = (await docker(['service', 'ls', '--format', '{{.Name}}'])).stdout;
    expect(services).toContain('registry');
  });

  it('watch mode: the learner types the next step in another window and the step ticks off by itself', async () => {
    await keys('n');
    await waitForScreen('step 2', (s) => s.includes('ch3 · step 2/13'));
    await keys('w');
    await waitForScreen('watch mode on', (s) => s.includes('watching'));
    await tmux('new-window', '-t', SESSION);
    await tmux('send-keys', '-t', `${SESSION}:1`,
      `export DOCKER_HOST=${testDockerHost()}; docker tag debian:bookworm-slim 127.0.0.1:5000/first-push && docker push 127.0.0.1:5000/first-push`, 'Enter');
    await tmux('select-window', '-t', `${SESSION}:0`);
    const done = await waitForScreen('watch mode to tick step 2 off', (s) => /step 2\/13 .*✓ done/.test(s), 120_000);
    expect(done).toContain('✓ the registry holds at least one image you pushed');
  });

  it('catching up from step 4: u asks, u again runs only the missing step 3 (the builds), and says the cluster is ready', async () => {
    await tmux('kill-window', '-t', `${SESSION}:1`).catch(() => undefined);
    await docker(['image', 'rm', 'dockercoins_rng', 'dockercoins_hasher', 'dockercoins_worker', 'dockercoins_webui']).catch(() => undefined);
    await keys('w'); // watch mode off
    await keys('n', 'n');
    await waitForScreen('step 4', (s) => s.includes('ch3 · step 4/13'));
    await keys('u');
    await waitForScreen('the question', (s) => s.includes('u again: catch up to step 4'));
    await keys('u');
    const caught = await waitForScreen('the catch-up to end', (s) => s.includes('caught up: your cluster is where step 4 starts') || s.includes('could not catch up'), 300_000);
    expect(caught).toContain('caught up: your cluster is where step 4 starts');
    const images = (await docker(['image', 'ls', '--format', '{{.Repository}}'])).stdout.split('\n');
    expect(images).toEqual(expect.arrayContaining(['dockercoins_rng', 'dockercoins_hasher', 'dockercoins_worker', 'dockercoins_webui']));
    // Steps 1 and 2 held: the registry was left as it was (one service, not re-created).
    const registry = (await docker(['service', 'ps', 'registry', '--format', '{{.ID}}'])).stdout.trim().split('\n');
    expect(registry).toHaveLength(1);
    await keys('p');
    await waitForScreen('step 3 done', (s) => /step 3\/13 .*✓ done/.test(s));
  });
});

/**
 * The same UI in Chinese, on the real engine, in the two smallest terminals: chapter 3's steps 1 to 3 run
 * with `r` (the registry, the first push, the builds), each screen captured once its step is done. Every
 * line fits, the text is Chinese, and the check lines say what passed in Chinese.
 */
for (const [width, height] of [[80, 24], [60, 20]] as const) {
  describe(`the UI in Chinese on the real engine at ${width}x${height}`, () => {
    const session = `sw-tui-zh-run-${width}-${process.pid}`;
    const zhScreen = async () => (await tmux('capture-pane', '-p', '-t', `${session}:0`)).stdout;
    const show = (what: string, text: string) => console.log(`--- ${what} (${width}x${height}) ---\n${text}\n${'-'.repeat(width)}`);
    beforeAll(async () => {
      await requireTestEngine();
      await emptyWorkshop();
      const zhHome = mkdtempSync(join(tmpdir(), 'sw-tui-zh-run-'));
      const env = `DOCKER_HOST=${testDockerHost()} SWARM_WORKSHOP_HOME=${zhHome}`;
      await tmux('new-session', '-d', '-s', session, '-x', String(width), '-y', String(height), `env ${env} node ${cliPath} --lang zh`);
    });
    afterAll(async () => {
      await tmux('kill-session', '-t', session).catch(() => undefined);
    });

    it('runs chapter 3\'s steps 1 to 3 with r; each turns done, in Chinese, no line wider than the terminal', async () => {
      const wait = async (what: string, test: (s: string) => boolean, timeoutMs = 60_000) => {
        let last = '';
        try {
          return await eventually(what, async () => ((last = await zhScreen()), test(last) ? last : undefined), { timeoutMs, intervalMs: 250 });
        } catch (error) {
          throw new Error(`${(error as Error).message}\nscreen:\n${last}`);
        }
      };
      // The engine probed first (as the English test waits for it): a key pressed before is not a run.
      await wait('the chapter list, the engine probed', (s) => s.includes('第 3 章') && s.includes('引擎 ✓'));
      await tmux('send-keys', '-t', `${session}:0`, 'Enter');
      for (const n of [1, 2, 3]) {
        await wait(`step ${n}`, (s) => s.includes(`ch3 · 第 ${n}/13 步`));
        await tmux('send-keys', '-t', `${session}:0`, 'r');
        const done = await wait(`step ${n} done`, (s) => new RegExp(`第 ${n}/13 步.*✓ 完成`).test(s), 300_000);
        show(`ch3 step ${n}, run and done`, done);
        const rows = done.split('\n');
        expect(rows.length).toBeLessThanOrEqual(height);
        for (const row of rows) expect(stringWidth(row), `step ${n}: ${row}`).toBeLessThanOrEqual(width);
        expect(rows.filter((r) => /[\u4e00-\u9fff]/.test(r)).length, `step ${n}: Chinese text`).toBeGreaterThan(3);
        // Our words, outside the command box, are Chinese: no English status or label of ours.
        expect(rows.filter((r) => /\b(step|done|passed|expected|actual|hint|running|quit)\b/.test(r) && !/^\s*│/.test(r)), `step ${n}`).toEqual([]);
        await tmux('send-keys', '-t', `${session}:0`, 'n');
      }
      const services = (await docker(['service', 'ls', '--format', '{{.Name}}'])).stdout;
      expect(services).toContain('registry');
      const images = (await docker(['image', 'ls', '--format', '{{.Repository}}'])).stdout.split('\n');
      expect(images).toEqual(expect.arrayContaining(['dockercoins_rng', 'dockercoins_hasher', 'dockercoins_worker', 'dockercoins_webui']));
    }, 15 * 60_000);
  });
}
