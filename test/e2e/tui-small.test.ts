/**
 * The terminal UI in the smallest terminal we support, 80 columns by 24 rows, in tmux. If a screen is
 * taller than the terminal, ink redraws it whole and the terminal scrolls: the title line is gone from
 * the top. So on every screen the title must be on the first row and the key line below everything. The
 * engine is a stand-in with a full chapter-3 cluster (recorded API answers), so this runs anywhere.
 */
import { execa } from 'execa';
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
async function expectFrame(title: RegExp, footer: RegExp, what: string, shows: string[] = []): Promise<string[]> {
  let last: string[] = [];
  try {
    await eventually(what, async () => {
      last = await rows();
      const lastText = [...last].reverse().find((r) => r.trim() !== '') ?? '';
      return title.test(last[0] ?? '') && footer.test(lastText) && shows.every((text) => last.join('\n').includes(text)) ? true : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100 });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- screen (${last.length} rows) ---\n${last.join('\n')}`);
  }
  expect(last.length).toBeLessThanOrEqual(24);
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
