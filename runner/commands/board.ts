import { join } from 'node:path';
import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';
import { dataDir } from '../progress.js';
import type { Board } from '../board/server.js';

/**
 * `swarm-workshop board`: the instructor's board, in the foreground until Ctrl-C. It says how learners
 * join (the line, and the same line as a QR code), the instructor's own address (with the key), where the
 * class log is and which address it is bound to. With --tui, the class is also drawn in the terminal.
 */

export interface BoardFlags {
  host: string;
  port: number;
  className: string;
  chapter?: string;
  /** Minutes on one step with failing checks before a learner shows as stuck. */
  stuckAfter: number;
  tui: boolean;
  lessons?: string;
}

export interface BoardHooks {
  /** The data folder (default: the workshop's, SWARM_WORKSHOP_HOME). */
  dataDir?: string;
  /** The QR code in colours that scan on any terminal's background; plain blocks for a file or a test. */
  qr?: 'terminal' | 'utf8';
  /** Told once the board listens (tests). */
  started?: (board: Board) => void;
  /** The terminal for --tui; default: the process's. */
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/** A class's folder name: its letters and digits (any script), the rest as dashes. */
export function classFolder(className: string): string {
  const slug = className.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}_]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return slug || 'class';
}

/** The join line as a QR code, for the terminal. */
export async function qrBlock(text: string, type: 'terminal' | 'utf8'): Promise<string> {
  const imported = (await import('qrcode')) as unknown as typeof import('qrcode') & { default?: typeof import('qrcode') };
  const qrcode = imported.default ?? imported;
  const block = type === 'terminal' ? await qrcode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'L' }) : await qrcode.toString(text, { type: 'utf8', errorCorrectionLevel: 'L', margin: 2 });
  return block.replace(/\n+$/, '');
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** The board's failure to listen, as something the instructor can act on. */
function listenError(error: unknown, flags: BoardFlags): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const address = flags.host.includes(':') ? `[${flags.host}]:${flags.port}` : `${flags.host}:${flags.port}`;
  const next = say('board.otherPort', { port: flags.port === 0 ? 8765 : flags.port + 1 });
  if (code === 'EADDRINUSE') return new AbortError(say('board.portTaken', { address }), [next]);
  if (code === 'EACCES') return new AbortError(say('board.portDenied', { address }), [next]);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new AbortError(say('board.hostNotHere', { host: flags.host }), [say('board.hostHint')]);
  return error;
}

export async function board(flags: BoardFlags, signal: AbortSignal, out: (text: string) => void, hooks: BoardHooks = {}): Promise<number> {
  const dir = join(hooks.dataDir ?? dataDir(), 'boards', classFolder(flags.className));
  const { startBoard } = await import('../board/server.js');
  let b: Board;
  try {
    b = await startBoard({
      host: flags.host,
      port: flags.port,
      dir,
      className: flags.className,
      chapter: flags.chapter,
      stuckAfterMs: flags.stuckAfter * 60_000,
      lessons: flags.lessons,
      onError: (error) => void process.stderr.write(`${say('board.failed', { error: error instanceof Error ? error.message : String(error) })}\n`),
    });
  } catch (error) {
    throw listenError(error, flags);
  }
  hooks.started?.(b);
  const log = join(dir, 'board.jsonl');
  const address = b.host.includes(':') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`;
  const lines = [
    say('board.started', { className: flags.className, address }),
    ...(isLoopback(b.host) ? [say('board.loopbackOnly', { host: b.host })] : []),
    '',
    say('board.joinWith'),
    '',
    `    ${b.joinLine}`,
    '',
    await qrBlock(b.joinLine, hooks.qr ?? (process.stdout.isTTY && !process.env.NO_COLOR ? 'terminal' : 'utf8')),
    '',
    say('board.pageUrl', { url: b.boardUrl }),
    say('board.log', { file: log }),
    ...b.notices,
    say('board.stop'),
    '',
  ];
  out(`${lines.join('\n')}\n`);

  const stopped = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  try {
    if (flags.tui) {
      const { showBoard } = await import('../board/tui.js');
      await showBoard(b, { chapter: flags.chapter, stopped, stdin: hooks.stdin, stdout: hooks.stdout });
    } else await stopped;
  } finally {
    await b.close();
  }
  out(`${say('board.closed', { file: log })}\n`);
  return 0;
}
