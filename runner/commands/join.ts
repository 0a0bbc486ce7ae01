import { userInfo } from 'node:os';
import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';

/**
 * `swarm-workshop join URL CODE`: this learner's runner reports to the instructor's board from now on
 * (board/reporter.ts); what is sent is said once, here. `join --leave` stops it.
 */

export interface JoinFlags {
  url?: string;
  code?: string;
  name?: string;
  leave?: boolean;
  /** The data folder (default: the workshop's, SWARM_WORKSHOP_HOME). */
  dir?: string;
}

/** The name the board shows when none is given: this machine's user name. */
function defaultName(): string {
  try {
    return userInfo().username || 'learner';
  } catch {
    return 'learner';
  }
}

export async function joinCommand(flags: JoinFlags, out: (text: string) => void): Promise<number> {
  const reporter = await import('../board/reporter.js');
  if (flags.leave) {
    const was = reporter.joinedBoard(flags.dir);
    reporter.leave(flags.dir);
    out(`${was ? say('board.join.left', { url: was.url }) : say('board.join.none')}\n`);
    return 0;
  }
  if (!flags.url || !flags.code) throw new AbortError(say('board.join.needArgs'), [say('board.join.askLine')], 2);
  let url: URL;
  try {
    url = new URL(flags.url);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AbortError(say('board.join.badUrl', { url: flags.url }), [say('board.join.askLine')], 2);
  // The board takes 1 to 40 characters without control characters.
  const name = [...(flags.name ?? defaultName()).replace(/\p{Cc}/gu, '').trim()].slice(0, 40).join('') || 'learner';
  let joined;
  try {
    joined = await reporter.join(url.origin + url.pathname.replace(/\/+$/, ''), flags.code, name, { dir: flags.dir });
  } catch (error) {
    throw new AbortError((error as Error).message, [say('board.join.nothingSaved')]);
  }
  out(`${say('board.join.joined', { className: joined.className, url: joined.url, name: joined.name })}\n\n${reporter.whatIsSent(joined.name)}\n`);
  return 0;
}
