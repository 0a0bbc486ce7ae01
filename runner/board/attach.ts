import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../progress.js';
import type { Reporter } from './reporter.js';
import type { Mode } from './store.js';

/**
 * What `run`, `check` and the UI need of the board, and nothing more: whether this learner joined one
 * (the board file exists: nothing is read, nothing loaded, when not), and if so the reporter to add as
 * one more subscriber of the event stream. The reporter's module is loaded only then.
 */

/** Where a joined learner's board is remembered. */
export const boardFile = (dir = dataDir()) => join(dir, 'board.json');

/** The longest a command or the UI waits, when it ends, for the board to take what is still queued. */
export const FLUSH_MS = 1000;

const live = new Set<Reporter>();

/** The joined board's reporter, in this mode; undefined when this learner joined none. */
export async function attachBoard(mode: Mode, options: { dir?: string; fetch?: typeof globalThis.fetch } = {}): Promise<Reporter | undefined> {
  if (!existsSync(boardFile(options.dir))) return undefined;
  const { boardReporter } = await import('./reporter.js');
  const reporter = boardReporter({ dir: options.dir, mode, fetch: options.fetch });
  if (reporter) live.add(reporter);
  return reporter;
}

/**
 * Give every attached reporter at most `ms` to send what waits, then stop them: a board that is slow or
 * gone costs the learner that long at most, once, on the way out.
 */
export async function detachBoards(ms = FLUSH_MS): Promise<void> {
  const reporters = [...live];
  live.clear();
  await Promise.all(reporters.map((r) => r.flush(ms)));
  for (const r of reporters) r.close();
}
