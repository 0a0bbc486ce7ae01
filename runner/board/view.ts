import { checkKey, type BoardState, type ChapterProgress, type CheckState, type Finished, type Hand, type Learner, type Mode } from './store.js';

/**
 * What the board shows, computed from the store's state: the snapshot the page and its live stream
 * receive, and the CSV export. Pure functions, so the board's rules (who is stuck, what fails most) are
 * tested without a server.
 */

/** The chapters as the board knows them: the lessons' ids and titles, nothing else. */
export interface CourseChapter {
  id: string;
  title: string;
  steps: { id: string; title: string }[];
}

export interface LearnerChapterView {
  mode?: Mode;
  current?: string;
  since?: number;
  steps: Record<string, { status: 'running' | Finished; durationMs?: number }>;
  lastFailing?: CheckState & { step: string; check: string };
  /** When this learner counts as stuck (board clock), if the current step has failing checks. */
  stuckAt?: number;
  /** Steps done, for sorting by progress. */
  done: number;
}

export interface LearnerView {
  id: string;
  name: string;
  joinedAt: number;
  lastSeen: number;
  reports: number;
  chapters: Record<string, LearnerChapterView>;
}

export interface ChapterSummary {
  /** Learners who finished each step, by step id. */
  finished: Record<string, number>;
  /** The check failing for the most learners on the step they are on now. */
  failingMost?: { step: string; check: string; title: string; learners: number };
}

export interface ClassView {
  className: string;
  /** The board's clock when the snapshot was made: the page measures times on steps against it. */
  now: number;
  stuckAfterMs: number;
  chapters: CourseChapter[];
  learners: LearnerView[];
  hands: (Hand & { name: string })[];
  broadcasts: { id: number; text: string; at: number }[];
  summary: Record<string, ChapterSummary>;
}

/** The checks failing on the learner's current step, as last seen since it started. */
export function failingNow(p: ChapterProgress): (CheckState & { step: string; check: string })[] {
  if (!p.current) return [];
  return Object.values(p.checks).filter((c) => c.step === p.current && !c.ok && c.at >= (p.since ?? 0));
}

/**
 * Stuck: on the same step, with failing checks, for longer than the instructor's threshold. The time
 * counts from the start of the step; the page compares it with its clock, so a learner turns stuck on
 * screen without waiting for another report.
 */
export function stuckAt(p: ChapterProgress, stuckAfterMs: number): number | undefined {
  const status = p.current ? p.steps[p.current]?.status : undefined;
  if (p.since === undefined || (status !== 'running' && status !== 'failed')) return undefined;
  return failingNow(p).length ? p.since + stuckAfterMs : undefined;
}

function learnerView(learner: Learner, stuckAfterMs: number): LearnerView {
  const chapters: Record<string, LearnerChapterView> = {};
  for (const [id, p] of Object.entries(learner.chapters)) {
    chapters[id] = {
      mode: p.mode,
      current: p.current,
      since: p.since,
      steps: p.steps,
      lastFailing: p.lastFailing,
      stuckAt: stuckAt(p, stuckAfterMs),
      done: Object.values(p.steps).filter((s) => s.status === 'done').length,
    };
  }
  const { id, name, joinedAt, lastSeen, reports } = learner;
  return { id, name, joinedAt, lastSeen, reports, chapters };
}

function summarize(state: BoardState, chapter: CourseChapter): ChapterSummary {
  const finished: Record<string, number> = Object.fromEntries(chapter.steps.map((s) => [s.id, 0]));
  const failing = new Map<string, { step: string; check: string; title: string; learners: number }>();
  for (const learner of state.learners.values()) {
    const p = learner.chapters[chapter.id];
    if (!p) continue;
    for (const [step, s] of Object.entries(p.steps)) if (s.status === 'done' && step in finished) finished[step]! += 1;
    for (const c of failingNow(p)) {
      const key = checkKey(c);
      const entry = failing.get(key) ?? { step: c.step, check: c.check, title: c.title, learners: 0 };
      entry.learners += 1;
      failing.set(key, entry);
    }
  }
  const order = (step: string) => chapter.steps.findIndex((s) => s.id === step);
  const failingMost = [...failing.values()].sort((a, b) => b.learners - a.learners || order(a.step) - order(b.step))[0];
  return failingMost ? { finished, failingMost } : { finished };
}

export function classView(state: BoardState, course: CourseChapter[], className: string, stuckAfterMs: number, now = Date.now()): ClassView {
  const names = new Map([...state.learners.values()].map((l) => [l.id, l.name]));
  return {
    className,
    now,
    stuckAfterMs,
    chapters: course,
    learners: [...state.learners.values()].map((l) => learnerView(l, stuckAfterMs)),
    hands: state.hands.map((h) => ({ ...h, name: names.get(h.learner) ?? '' })),
    broadcasts: state.broadcasts,
    summary: Object.fromEntries(course.map((c) => [c.id, summarize(state, c)])),
  };
}

const csvText = {
  header: ['learner', 'name', 'chapter', 'step', 'title', 'status', 'seconds', 'current', 'failing check', 'expected', 'actual'],
  current: 'yes',
};

/**
 * One CSV cell. Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return, which some
 * strip first) as a formula: a learner's name must never be one, so such a cell gets a leading quote.
 * Every cell is quoted, so commas, quotes and line breaks stay inside it.
 */
export function csvCell(value: string | number | undefined): string {
  let s = value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

/** The class's progress: one row per learner and step of every chapter the learner reported on. */
export function classCsv(state: BoardState, course: CourseChapter[], now = Date.now()): string {
  const rows: (string | number | undefined)[][] = [csvText.header];
  for (const learner of state.learners.values()) {
    for (const chapter of course) {
      const p = learner.chapters[chapter.id];
      if (!p) continue;
      for (const step of chapter.steps) {
        const s = p.steps[step.id];
        const current = p.current === step.id;
        const ms = s?.durationMs ?? (current && s?.status === 'running' && p.since !== undefined ? now - p.since : undefined);
        const failing = p.lastFailing?.step === step.id ? p.lastFailing : undefined;
        rows.push([
          learner.id,
          learner.name,
          chapter.id,
          step.id,
          step.title,
          s?.status ?? 'pending',
          ms === undefined ? undefined : Math.round(ms / 1000),
          current ? csvText.current : '',
          failing?.title,
          failing?.expected,
          failing?.actual,
        ]);
      }
    }
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
