import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import type { WorkshopEvent } from '../engine/events.js';
import { say } from '../i18n/messages.js';
import { boardFile } from './attach.js';
import type { Broadcast, Mode, Report } from './store.js';

/**
 * The learner's side of the board: a subscriber of the workshop's event stream that sends the board a
 * few of those events (steps started and finished, checks' verdicts, the mode), and the calls around it
 * (join, leave, raise a hand, read broadcasts).
 *
 * An unreachable or slow board must cost the learner nothing: the subscriber only queues and returns;
 * sending happens later, one request at a time, each with a short timeout; failures are retried with
 * exponential back-off and jitter; the queue is bounded in length and age, and what falls off is counted
 * and forgotten. Nothing here throws into the workshop.
 */

type Fetch = typeof globalThis.fetch;

export interface ReporterOptions {
  /** The board's base address, e.g. http://192.168.1.10:8765 */
  url: string;
  token: string;
  fetch?: Fetch;
  /** How the learner works now (sent with each chapter started, and at once when set later). */
  mode?: Mode;
  /** Most reports kept waiting; the oldest go first. */
  maxQueue?: number;
  /** A report not sent after this long is dropped. */
  maxAgeMs?: number;
  /** Per request. */
  timeoutMs?: number;
  /** Wait this long after a report before sending, so that reports close together go in one request. */
  lingerMs?: number;
  /** Back-off after the first failure, doubled after each next one up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Random in [0, 1), for the jitter. */
  random?: () => number;
}

export interface ReporterStats {
  queued: number;
  /** Reports the board acknowledged. */
  sent: number;
  /** Reports given up: too many waiting, too old, or refused by the board. */
  dropped: number;
  /** Failed requests in a row. */
  failures: number;
  /** The board no longer knows this learner's token (a new board folder): reporting stopped; join again. */
  unknown: boolean;
}

/** A workshop event subscriber, with a few controls. */
export interface Reporter {
  (event: WorkshopEvent): void;
  setMode(mode: Mode, chapter?: string): void;
  stats(): ReporterStats;
  /** Resolves once nothing waits (or after `timeoutMs`): for a command about to exit. Never rejects. */
  flush(timeoutMs?: number): Promise<void>;
  /** Stop sending; what waits is dropped. */
  close(): void;
}

/** Keep within the board's limits (server.ts LIMITS): a long check output is cut, not refused. */
const LIMITS = { title: 200, message: 500, batch: 100, bodyBytes: 15 * 1024 };
const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

type Unsent = { report: Report; queuedAt: number };

type Draft = Report extends infer R ? (R extends Report ? Omit<R, 'seq' | 'at'> : never) : never;

/** The board's reports for one workshop event; most events are not the board's business. */
export function toReports(event: WorkshopEvent, mode: Mode | undefined): Draft[] {
  switch (event.type) {
    case 'chapter-started':
      return mode ? [{ type: 'mode', chapter: event.chapter, mode }] : [];
    case 'step-started':
      return [{ type: 'step-started', chapter: event.chapter, step: event.step }];
    case 'check-result':
      // `before` proves a check fails before its step (it should); `history` says a later step changed
      // what the check reads. Neither is the learner failing.
      if (event.phase !== 'after' || event.history) return [];
      return [
        {
          type: 'check',
          chapter: event.chapter,
          step: event.step,
          check: cut(event.check, 64),
          title: cut(event.title, LIMITS.title),
          ok: event.ok,
          expected: cut(event.expected, LIMITS.message),
          actual: cut(event.actual, LIMITS.message),
        },
      ];
    case 'step-finished':
      if (event.status !== 'done' && event.status !== 'failed' && event.status !== 'skipped') return [];
      return [{ type: 'step-finished', chapter: event.chapter, step: event.step, status: event.status, durationMs: Math.max(0, Math.round(event.durationMs)) }];
    default:
      return [];
  }
}

export function createReporter(options: ReporterOptions): Reporter {
  const fetch = options.fetch ?? globalThis.fetch;
  const maxQueue = options.maxQueue ?? 2000;
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  const timeoutMs = options.timeoutMs ?? 3000;
  const lingerMs = options.lingerMs ?? 100;
  const backoffMs = options.backoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const random = options.random ?? Math.random;
  const endpoint = `${options.url.replace(/\/+$/, '')}/api/events`;
  // Numbers the reports of this run: the board counts a resent report once.
  const session = randomBytes(12).toString('base64url');

  let mode = options.mode;
  let seq = 0;
  let queue: Unsent[] = [];
  let sent = 0;
  let dropped = 0;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  let closed = false;
  let unknown = false;
  let idle: (() => void)[] = [];

  const settle = () => {
    if (queue.length || busy) return;
    const waiting = idle;
    idle = [];
    for (const done of waiting) done();
  };

  const trim = (now: number) => {
    const before = queue.length;
    queue = queue.filter((u) => now - u.queuedAt <= maxAgeMs);
    if (queue.length > maxQueue) queue = queue.slice(queue.length - maxQueue);
    dropped += before - queue.length;
  };

  const schedule = (delay: number) => {
    if (closed || busy || timer || !queue.length) return settle();
    timer = setTimeout(() => {
      timer = undefined;
      void send();
    }, delay);
    // A board must never keep a finished command alive.
    timer.unref();
  };

  /** Take from the front as many reports as one request may carry. */
  const takeBatch = (): Unsent[] => {
    const batch: Unsent[] = [];
    let bytes = 200;
    for (const u of queue) {
      const size = Buffer.byteLength(JSON.stringify(u.report)) + 1;
      if (batch.length && (batch.length >= LIMITS.batch || bytes + size > LIMITS.bodyBytes)) break;
      batch.push(u);
      bytes += size;
    }
    queue = queue.slice(batch.length);
    return batch;
  };

  const send = async () => {
    trim(Date.now());
    if (closed || !queue.length) return settle();
    busy = true;
    const batch = takeBatch();
    let retry = false;
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
        body: JSON.stringify({ session, sentAt: Date.now(), reports: batch.map((u) => u.report) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Read the body so that the connection can be reused.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) sent += batch.length;
      // Busy or broken board: later. Anything else it refused would be refused again.
      else if (response.status === 429 || response.status >= 500) retry = true;
      else {
        dropped += batch.length;
        // Not this batch but every one would be refused: stop asking.
        if (response.status === 401) unknown = true;
      }
    } catch {
      retry = true;
    }
    busy = false;
    if (unknown) return reporter.close();
    if (retry && !closed) {
      queue = [...batch, ...queue];
      failures += 1;
      trim(Date.now());
      // Equal jitter: half the back-off for sure, half at random, so thirty learners do not come back at once.
      const ceiling = Math.min(maxBackoffMs, backoffMs * 2 ** (failures - 1));
      schedule(ceiling / 2 + random() * (ceiling / 2));
    } else {
      if (closed) dropped += retry ? batch.length : 0;
      failures = 0;
      schedule(0);
    }
  };

  const add = (draft: Draft) => {
    if (closed) return;
    const now = Date.now();
    queue.push({ report: { ...draft, seq: seq++, at: now } as Report, queuedAt: now });
    trim(now);
    schedule(failures ? backoffMs : lingerMs);
  };

  const reporter = ((event: WorkshopEvent) => {
    try {
      for (const draft of toReports(event, mode)) add(draft);
    } catch {
      // A reporter bug must not become the workshop's.
    }
  }) as Reporter;

  reporter.setMode = (next, chapter) => {
    mode = next;
    if (chapter) add({ type: 'mode', chapter, mode: next });
  };
  reporter.stats = () => ({ queued: queue.length, sent, dropped, failures, unknown });
  reporter.flush = (wait = 2000) =>
    new Promise<void>((resolve) => {
      if (!queue.length && !busy) return resolve();
      const t = setTimeout(resolve, wait);
      t.unref();
      idle.push(() => {
        clearTimeout(t);
        resolve();
      });
      // Skip the linger or back-off: the command is leaving.
      if (timer && !busy) {
        clearTimeout(timer);
        timer = undefined;
        void send();
      }
    });
  reporter.close = () => {
    closed = true;
    clearTimeout(timer);
    timer = undefined;
    dropped += queue.length;
    queue = [];
    settle();
  };
  return reporter;
}

/** The reporter for the board this learner joined, if any: the subscriber `run`, `check` and the UI add. */
export function boardReporter(options: { dir?: string; mode?: Mode; fetch?: Fetch } = {}): Reporter | undefined {
  const joined = joinedBoard(options.dir);
  return joined ? createReporter({ url: joined.url, token: joined.token, mode: options.mode, fetch: options.fetch }) : undefined;
}

export { boardFile };

export interface Joined {
  url: string;
  token: string;
  name: string;
  learner: string;
  className: string;
}

/** Shown once, when a learner joins: everything the board will ever receive from this machine. */
export const whatIsSent = (name: string): string => say('board.whatIsSent', { name });

/** Join a board: trade the class's code for a token of this learner's own, and remember it (mode 0600). */
export async function join(url: string, code: string, name: string, options: { dir?: string; fetch?: Fetch; timeoutMs?: number } = {}): Promise<Joined> {
  const fetch = options.fetch ?? globalThis.fetch;
  const base = url.replace(/\/+$/, '');
  let response: Response;
  try {
    response = await fetch(`${base}/api/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, name }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
  } catch (error) {
    // The system's word for it (ECONNREFUSED, EHOSTUNREACH), else fetch's own (a port fetch will not use), else the kind (a timeout).
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(say('board.unreachable', { url: base, reason: cause?.code ?? cause?.message ?? (error as Error).name }));
  }
  const body = (await response.json().catch(() => undefined)) as { token?: unknown; learner?: unknown; name?: unknown; className?: unknown; error?: unknown } | undefined;
  if (!response.ok) throw new Error(say('board.refused', { status: response.status, message: typeof body?.error === 'string' ? body.error : response.statusText }));
  if (typeof body?.token !== 'string' || typeof body.learner !== 'string') throw new Error(say('board.notBoard', { url: base }));
  const joined: Joined = { url: base, token: body.token, name: String(body.name ?? name), learner: body.learner, className: String(body.className ?? '') };
  const file = boardFile(options.dir);
  mkdirSync(joinPath(file, '..'), { recursive: true, mode: 0o700 });
  // The token is the learner's identity on the board: readable by this user only, from its first byte.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(joined, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return joined;
}

/** The board this learner joined, if any (a damaged file counts as none). */
export function joinedBoard(dir?: string): Joined | undefined {
  try {
    const j = JSON.parse(readFileSync(boardFile(dir), 'utf8')) as Partial<Joined>;
    return typeof j.url === 'string' && typeof j.token === 'string' ? (j as Joined) : undefined;
  } catch {
    return undefined;
  }
}

/** Stop reporting: forget the board. True if there was one. */
export function leave(dir?: string): boolean {
  const file = boardFile(dir);
  const was = existsSync(file);
  rmSync(file, { force: true });
  return was;
}

interface Call {
  url: string;
  token: string;
  fetch?: Fetch;
  timeoutMs?: number;
}

/** Broadcasts after `since` (an id); an empty list when the board cannot be reached. Never rejects. */
/** The learner's own last raised hand, as the board sees it. */
export interface HandState {
  id: number;
  resolved: boolean;
}

export async function pollBroadcasts(call: Call & { since: number }): Promise<{ broadcasts: Broadcast[]; last: number; hand?: HandState }> {
  try {
    const response = await (call.fetch ?? globalThis.fetch)(`${call.url.replace(/\/+$/, '')}/api/broadcasts?since=${Math.max(0, Math.floor(call.since))}`, {
      headers: { authorization: `Bearer ${call.token}` },
      signal: AbortSignal.timeout(call.timeoutMs ?? 3000),
    });
    if (!response.ok) return { broadcasts: [], last: call.since };
    const body = (await response.json()) as { broadcasts?: Broadcast[]; last?: number; hand?: Partial<HandState> };
    const hand = typeof body.hand?.id === 'number' && typeof body.hand.resolved === 'boolean' ? { id: body.hand.id, resolved: body.hand.resolved } : undefined;
    return { broadcasts: Array.isArray(body.broadcasts) ? body.broadcasts : [], last: typeof body.last === 'number' ? body.last : call.since, ...(hand ? { hand } : {}) };
  } catch {
    return { broadcasts: [], last: call.since };
  }
}

/** Raise a hand, with an optional line of text. Never rejects: `ok` says whether the board has it. */
export async function raiseHand(call: Call & { text?: string; chapter?: string; step?: string }): Promise<{ ok: boolean; id?: number }> {
  try {
    const response = await (call.fetch ?? globalThis.fetch)(`${call.url.replace(/\/+$/, '')}/api/hand`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${call.token}` },
      body: JSON.stringify({
        ...(call.text?.trim() ? { text: cut(call.text.trim(), 200) } : {}),
        ...(call.chapter ? { chapter: call.chapter } : {}),
        ...(call.step ? { step: call.step } : {}),
      }),
      signal: AbortSignal.timeout(call.timeoutMs ?? 3000),
    });
    if (!response.ok) return { ok: false };
    const body = (await response.json()) as { id?: number };
    return { ok: true, id: body.id };
  } catch {
    return { ok: false };
  }
}
