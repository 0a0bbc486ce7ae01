import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir } from '../../runner/paths.js';
import { emptyProgress, type Progress } from '../../runner/progress.js';
import { liteT } from '../../runner/i18n/lite.js';
import { homeLines } from '../../runner/tui/home.js';
import { startTui } from '../../runner/tui/main.js';
import { preframe } from '../../runner/tui/preframe.js';

const { chapters } = loadLessons(lessonsDir);
const t = liteT('en');
const PROBING = t('ui.probing');

/** ink-testing-library's fake terminal (stdin, stdout, stderr), handed to startTui as the real one is. */
function fakeTerminal() {
  const { stdin, stdout, stderr, unmount } = render(<Text />);
  // Unmounted, ink forgets this stdout: startTui's render starts afresh on it.
  unmount();
  return { stdin, stdout, stderr } as unknown as { stdin: NodeJS.ReadStream & { write(data: string): void }; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };
}

/** Start the UI on a fake terminal, with an engine that never answers; resolves once keys are read. */
async function started() {
  const terminal = fakeTerminal();
  const code = startTui(chapters, async () => chapters, { ...terminal, open: () => new Promise(() => {}), progress: () => emptyProgress() });
  // Keys count once ink listens to the terminal (CI or not, whatever ink draws).
  const deadline = Date.now() + 5000;
  while (terminal.stdin.listenerCount('readable') === 0) {
    if (Date.now() > deadline) throw new Error('the UI never started reading keys');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { terminal, code };
}

describe('leaving the UI', () => {
  it('with Ctrl-C exits 130, as an interrupted program does', async () => {
    const { terminal, code } = await started();
    terminal.stdin.write('\u0003');
    expect(await code).toBe(130);
  });

  it('with q exits 0', async () => {
    const { terminal, code } = await started();
    terminal.stdin.write('q');
    expect(await code).toBe(0);
  });
});

describe('the first frame', () => {
  const progress: Progress = { ...emptyProgress(), steps: { 'ch3/registry-service': { status: 'done', at: 'x' } } };

  it('lists the chapters and their progress before the engine answers', () => {
    const lines = homeLines({ chapters, selected: 1, progress, header: PROBING }, t).map((l) => l.text);
    expect(lines.slice(0, 2)).toEqual(['swarm-workshop', PROBING]);
    expect(lines).toContain(`  ch3  ${chapters[0]!.title}`);
    expect(lines).toContain(`› ch4  ${chapters[1]!.title}`);
    expect(lines.find((l) => l.includes('1/13 done'))).toMatch(/^ {5}✓·+ 1\/13 done, resume at "/);
  });

  it('is drawn as plain text in the terminal, redrawn in place, then erased for ink to draw over', () => {
    const out: string[] = [];
    const stdout = Object.assign(new EventEmitter(), { columns: 40, isTTY: true, hasColors: () => false, write: (s: string) => void out.push(s) }) as unknown as NodeJS.WriteStream;
    const modes: boolean[] = [];
    const stdin = { isTTY: true, isRaw: false, setRawMode: (on: boolean) => void modes.push(on) } as unknown as NodeJS.ReadStream;
    const early = preframe(stdout, stdin, true);
    expect(modes).toEqual([true]);
    early.draw(homeLines({ chapters, selected: 0, progress: emptyProgress(), header: PROBING }, t), 'q quit');
    const first = out.join('');
    // Cut to the width, as ink's wrap="truncate" does; no colour codes when the terminal has none.
    expect(first).toContain(`› ch3  ${chapters[0]!.title}`.slice(0, 39) + '…');
    expect(first).not.toMatch(/\u001b\[[0-9;]*m/);
    const rows = first.split('\n').length - 1;
    out.length = 0;
    early.draw(homeLines({ chapters, selected: 0, progress, header: PROBING }, t), 'q quit');
    const second = out.join('');
    expect(second).toMatch(new RegExp(`^\\u001b\\[${rows}A\\r\\u001b\\[J`));
    // A redraw (the same list, with a step done) starts where the first began; the step rows now say
    // more, and the terminal wraps what is wider than its 40 columns.
    const taken = second.replace(/^\u001b\[\d+A\r\u001b\[J/, '').split('\n').slice(0, -1).reduce((n, l) => n + Math.max(1, Math.ceil(l.length / 40)), 0);
    expect(taken).toBeGreaterThan(rows);
    out.length = 0;
    early.handOver();
    expect(out.join('')).toBe(`\u001b[${taken}A\r\u001b[J`);
    early.restore();
    expect(modes).toEqual([true, false]);
  });
});
