import { existsSync } from 'node:fs';
import { useCallback, useEffect, useRef, useState } from 'react';
import { boardFile } from '../board/attach.js';
import type { Joined } from '../board/reporter.js';
import { columns, truncateColumns } from './columns.js';

/**
 * The UI's side of the board beyond reporting (useWorkshop adds the reporter): raising a hand, and the
 * instructor's broadcasts. Only for a learner who joined a board: the board file is looked for once, and
 * the reporter's module (with the calls) is loaded only when it is there. Nothing here blocks the UI or
 * throws into it: an unreachable board is a line that says so.
 */

/** What the board has to say in the message line: a broadcast, or how the last raised hand went. */
export type BoardNotice =
  | { kind: 'broadcast'; text: string; shownAt: number }
  | { kind: 'sending' | 'raised' | 'unreachable' | 'lowered'; shownAt: number };

/** How long a notice stays when no key is pressed; a key press hides it sooner (after `MIN_SHOWN_MS`). */
const SHOWN_MS = { broadcast: 30_000, raised: 10_000, unreachable: 10_000, lowered: 30_000 } as const;
/** A key pressed in the same moment a broadcast arrives must not hide it unread. */
const MIN_SHOWN_MS = 1500;
/** On start, broadcasts already sent are old news, except one from the last minute. */
const RECENT_MS = 60_000;

type Calls = { joined: Joined; reporter: typeof import('../board/reporter.js') };

export function useBoard(pollMs = 3000) {
  // Looked for once: a learner joins or leaves with another command, between two runs of the UI.
  const [joined, setJoined] = useState(() => existsSync(boardFile()));
  const [notice, setNotice] = useState<BoardNotice | undefined>(undefined);
  const calls = useRef<Promise<Calls | undefined> | undefined>(undefined);
  const mounted = useRef(true);
  /** The hand this screen raised, until the board says the instructor has taken it down. */
  const openHand = useRef<number | undefined>(undefined);

  const load = useCallback((): Promise<Calls | undefined> => {
    calls.current ??= import('../board/reporter.js')
      .then((reporter) => {
        const j = reporter.joinedBoard();
        // A damaged board file counts as none: the key goes away again.
        if (!j && mounted.current) setJoined(false);
        return j ? { joined: j, reporter } : undefined;
      })
      .catch(() => undefined);
    return calls.current;
  }, []);

  useEffect(() => {
    mounted.current = true;
    return () => void (mounted.current = false);
  }, []);

  // Broadcasts: one request at a time, every `pollMs`, on a timer that never keeps the process alive.
  useEffect(() => {
    if (!joined) return;
    let live = true;
    let polling = false;
    let since = 0;
    let first = true;
    const poll = async () => {
      if (polling) return;
      polling = true;
      try {
        const c = await load();
        if (!c || !live) return;
        const { broadcasts, last, hand } = await c.reporter.pollBroadcasts({ url: c.joined.url, token: c.joined.token, since });
        if (!live) return;
        const now = Date.now();
        const fresh = first ? broadcasts.filter((b) => now - b.at < RECENT_MS) : broadcasts;
        // Until the board has answered with something, every broadcast is still "before the start".
        if (last > 0) first = false;
        since = Math.max(since, last);
        const latest = fresh.at(-1);
        if (latest) setNotice({ kind: 'broadcast', text: latest.text, shownAt: now });
        else if (hand && hand.id === openHand.current && hand.resolved) {
          openHand.current = undefined;
          setNotice({ kind: 'lowered', shownAt: now });
        }
      } finally {
        polling = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), pollMs);
    timer.unref();
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [joined, pollMs, load]);

  // A notice goes after a while by itself.
  useEffect(() => {
    if (!notice || notice.kind === 'sending') return;
    const timer = setTimeout(() => setNotice((n) => (n === notice ? undefined : n)), SHOWN_MS[notice.kind]);
    timer.unref();
    return () => clearTimeout(timer);
  }, [notice]);

  /** Raise a hand: the message line says it is on its way, then whether the board has it. */
  const raise = useCallback(
    (text: string, where: { chapter?: string; step?: string }) => {
      setNotice({ kind: 'sending', shownAt: Date.now() });
      void (async () => {
        const c = await load();
        const result = c ? await c.reporter.raiseHand({ url: c.joined.url, token: c.joined.token, text, ...where }) : { ok: false };
        if (result.ok && result.id !== undefined) openHand.current = result.id;
        if (mounted.current) setNotice({ kind: result.ok ? 'raised' : 'unreachable', shownAt: Date.now() });
      })();
    },
    [load],
  );

  /** A key was pressed: a notice on screen long enough to be read goes away. */
  const dismiss = useCallback(() => {
    setNotice((n) => (n && n.kind !== 'sending' && Date.now() - n.shownAt >= MIN_SHOWN_MS ? undefined : n));
  }, []);

  return { joined, notice, raise, dismiss };
}

/** The most a raised hand's line holds (the board's limit). */
export const HAND_TEXT_MAX = 200;

/**
 * The one-line text input, `prompt text▌`, within `width` columns: when what is typed does not fit, its
 * end stays in sight (that is where the typing is), and the prompt goes first on a very narrow screen.
 */
export function inputLine(prompt: string, text: string, width: number): string {
  const typed = `${text}▌`;
  const line = `${prompt} ${typed}`;
  if (columns(line) <= width) return line;
  const tail = (room: number) => {
    const chars = [...typed];
    let out = '';
    while (chars.length && columns(chars[chars.length - 1]! + out) <= room) out = chars.pop()! + out;
    return out;
  };
  const room = width - columns(prompt) - 2;
  if (room >= 10) return `${prompt} …${tail(room)}`;
  return truncateColumns(`…${tail(width - 1)}`, width);
}
