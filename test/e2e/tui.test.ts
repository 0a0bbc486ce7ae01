/**
 * The terminal UI in a real terminal: tmux runs `swarm-workshop` against the real engine; keys go in with
 * send-keys, the screen comes back with capture-pane.
 */
import { execa } from 'execa';
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
