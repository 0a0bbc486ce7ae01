import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { say } from '../i18n/messages.js';

/**
 * The instructor board's memory: an append-only log of JSON lines, `<dir>/board.jsonl`, one record per
 * accepted action (a learner joined, a batch of reports, a raised hand, its resolution, a broadcast).
 * Each record is written and fsync'ed before the board answers the request that made it, so whatever a
 * learner saw acknowledged survives a crash; at start the log is replayed through {@link apply} to rebuild
 * the class. At class scale (30 learners, a few thousand records a day) a log is all the database needed.
 */

/** The modes a learner's runner can be in, as the board shows them. */
export const MODES = ['auto', 'ui', 'watch', 'check', 'catch-up'] as const;
export type Mode = (typeof MODES)[number];

/** The end of a step, as a learner's runner reports it (pending and running are not ends). */
export const FINISHED = ['done', 'failed', 'skipped'] as const;
export type Finished = (typeof FINISHED)[number];

/**
 * What a learner's runner tells the board: a small subset of the workshop's events, each numbered (`seq`,
 * per reporter session, so that a batch sent twice after a lost answer counts once) and timed on the
 * board's clock (`at`, ms since the epoch; the server converts from the learner's clock).
 */
export type Report =
  | { type: 'step-started'; seq: number; at: number; chapter: string; step: string }
  | { type: 'check'; seq: number; at: number; chapter: string; step: string; check: string; title: string; ok: boolean; expected: string; actual: string }
  | { type: 'step-finished'; seq: number; at: number; chapter: string; step: string; status: Finished; durationMs: number }
  | { type: 'mode'; seq: number; at: number; chapter: string; mode: Mode };

/** One line of the log. */
export type BoardRecord =
  | { kind: 'join'; at: number; learner: string; name: string; tokenHash: string }
  | { kind: 'reports'; at: number; learner: string; session: string; reports: Report[] }
  | { kind: 'hand'; at: number; id: number; learner: string; text: string; chapter?: string; step?: string }
  | { kind: 'resolve'; at: number; id: number }
  | { kind: 'broadcast'; at: number; id: number; text: string };

export interface CheckState {
  title: string;
  ok: boolean;
  expected: string;
  actual: string;
  at: number;
}

export interface StepState {
  status: 'running' | Finished;
  /** How long the step took, as the learner's runner measured it (finished steps only). */
  durationMs?: number;
}

/** One learner in one chapter. */
export interface ChapterProgress {
  mode?: Mode;
  /** The step the learner is on: the last one started. */
  current?: string;
  /** When the current step started (board clock). */
  since?: number;
  steps: Record<string, StepState>;
  /** The latest result of every check seen, by {@link checkKey}. */
  checks: Record<string, CheckState & { step: string; check: string }>;
  /** The latest failing check result still failing, shown on the board. */
  lastFailing?: CheckState & { step: string; check: string };
}

export interface Learner {
  id: string;
  name: string;
  /** sha256 of the learner's token, hex: the token itself is never written down. */
  tokenHash: string;
  joinedAt: number;
  lastSeen: number;
  /** Reports accepted from this learner (each counted once). */
  reports: number;
  /** The last report number accepted, per reporter session. */
  sessions: Record<string, number>;
  chapters: Record<string, ChapterProgress>;
}

export interface Hand {
  id: number;
  learner: string;
  text: string;
  at: number;
  /** The chapter and step on the learner's screen when the hand went up, when the UI said. */
  chapter?: string;
  step?: string;
  resolvedAt?: number;
}

export interface Broadcast {
  id: number;
  text: string;
  at: number;
}

export interface BoardState {
  learners: Map<string, Learner>;
  /** Learner ids by token hash. */
  byToken: Map<string, string>;
  hands: Hand[];
  broadcasts: Broadcast[];
}

export const emptyState = (): BoardState => ({ learners: new Map(), byToken: new Map(), hands: [], broadcasts: [] });

const text = {
  torn: (file: string, bytes: number) => say('board.store.torn', { file, bytes }),
  bad: (file: string, line: number) => say('board.store.bad', { file, line }),
};

/**
 * The reports of a batch that are new: a reporter resends a batch whose answer it did not get, and those
 * already counted must not count twice.
 */
export function freshReports(learner: Learner, session: string, reports: Report[]): Report[] {
  let last = learner.sessions[session] ?? -1;
  const fresh: Report[] = [];
  for (const r of reports) {
    if (r.seq > last) {
      fresh.push(r);
      last = r.seq;
    }
  }
  return fresh;
}

/**
 * One check of one step. A step may use a check several times with other parameters (four
 * `service-image` checks, one per service), told apart by their titles.
 */
export const checkKey = (c: { step: string; check: string; title: string }) => `${c.step}/${c.check}/${c.title}`;

function progressOf(learner: Learner, chapter: string): ChapterProgress {
  return (learner.chapters[chapter] ??= { steps: {}, checks: {} });
}

function applyReport(p: ChapterProgress, r: Report): void {
  switch (r.type) {
    case 'mode':
      p.mode = r.mode;
      return;
    case 'step-started':
      if (p.current !== r.step || p.steps[r.step]?.status !== 'running') p.since = r.at;
      p.current = r.step;
      p.steps[r.step] = { status: 'running' };
      return;
    case 'check': {
      const result = { step: r.step, check: r.check, title: r.title, ok: r.ok, expected: r.expected, actual: r.actual, at: r.at };
      p.checks[checkKey(r)] = result;
      if (!r.ok) p.lastFailing = result;
      else if (p.lastFailing && checkKey(p.lastFailing) === checkKey(r)) delete p.lastFailing;
      return;
    }
    case 'step-finished':
      p.steps[r.step] = { status: r.status, durationMs: r.durationMs };
      if (r.status === 'done' && p.lastFailing?.step === r.step) delete p.lastFailing;
      return;
  }
}

/** Fold one record into the state (the reducer both the live board and the replay use). */
export function apply(state: BoardState, record: BoardRecord): void {
  switch (record.kind) {
    case 'join':
      state.learners.set(record.learner, {
        id: record.learner,
        name: record.name,
        tokenHash: record.tokenHash,
        joinedAt: record.at,
        lastSeen: record.at,
        reports: 0,
        sessions: {},
        chapters: {},
      });
      state.byToken.set(record.tokenHash, record.learner);
      return;
    case 'reports': {
      const learner = state.learners.get(record.learner);
      if (!learner) return;
      const fresh = freshReports(learner, record.session, record.reports);
      for (const r of fresh) applyReport(progressOf(learner, r.chapter), r);
      if (fresh.length) learner.sessions[record.session] = fresh[fresh.length - 1]!.seq;
      learner.reports += fresh.length;
      learner.lastSeen = record.at;
      return;
    }
    case 'hand':
      state.hands.push({ id: record.id, learner: record.learner, text: record.text, at: record.at, ...(record.chapter ? { chapter: record.chapter } : {}), ...(record.step ? { step: record.step } : {}) });
      return;
    case 'resolve': {
      const hand = state.hands.find((h) => h.id === record.id);
      if (hand && hand.resolvedAt === undefined) hand.resolvedAt = record.at;
      return;
    }
    case 'broadcast':
      state.broadcasts.push({ id: record.id, text: record.text, at: record.at });
      return;
  }
}

const KINDS = new Set<BoardRecord['kind']>(['join', 'reports', 'hand', 'resolve', 'broadcast']);

/** Enough of a shape check to keep a damaged line out of the reducer; the log is our own writing. */
function asRecord(value: unknown): BoardRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as { kind?: unknown; at?: unknown; reports?: unknown };
  if (!KINDS.has(r.kind as BoardRecord['kind']) || typeof r.at !== 'number') return undefined;
  if (r.kind === 'reports' && !Array.isArray(r.reports)) return undefined;
  return value as BoardRecord;
}

/** The log on disk and the state it holds. One store per board process. */
export class BoardStore {
  readonly file: string;
  readonly state: BoardState = emptyState();
  /** What the replay had to say (a cut-off last line, a damaged one), for the board to print. */
  readonly notices: string[] = [];
  private fd: number;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, 'board.jsonl');
    if (existsSync(this.file)) {
      const good = this.replay();
      // Cut a torn tail away, so that the next record starts on a line of its own.
      if (good < statSync(this.file).size) truncateSync(this.file, good);
    }
    const fresh = !existsSync(this.file);
    // 'a': every write lands at the end, whatever else happened to the file.
    this.fd = openSync(this.file, 'a', 0o600);
    fsyncSync(this.fd);
    if (fresh) {
      // A new file survives a power cut only once its folder's entry is on disk too.
      const folder = openSync(dir, 'r');
      try {
        fsyncSync(folder);
      } finally {
        closeSync(folder);
      }
    }
  }

  /** Rebuild the state; the length of the part of the file that holds whole records. */
  private replay(): number {
    const data = readFileSync(this.file);
    const end = data.lastIndexOf(0x0a) + 1;
    if (end < data.length) this.notices.push(text.torn(this.file, data.length - end));
    const lines = data.subarray(0, end).toString('utf8').split('\n');
    lines.pop();
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let record: BoardRecord | undefined;
      try {
        record = asRecord(JSON.parse(line));
      } catch {
        record = undefined;
      }
      if (record) apply(this.state, record);
      else this.notices.push(text.bad(this.file, i + 1));
    });
    return end;
  }

  /**
   * Write the record, wait until the disk has it, then fold it into the state. Synchronous on purpose:
   * records land in the order they are accepted, and the caller answers only after this returns.
   */
  append(record: BoardRecord): void {
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    let written = 0;
    while (written < line.length) written += writeSync(this.fd, line, written);
    fsyncSync(this.fd);
    apply(this.state, record);
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}
