import { Box, render, Text, useApp, useInput, useStdin } from 'ink';
import { useEffect, useState } from 'react';
import { say } from '../i18n/messages.js';
import type { T } from '../i18n/lite.js';
import { columns, truncateColumns } from '../tui/columns.js';
import type { Board } from './server.js';
import type { ClassView, CourseChapter, LearnerChapterView } from './view.js';

/**
 * `board --tui`: the board's class in the terminal, for an instructor who stays there. The same snapshot
 * as the page (view.ts's classView), drawn as a table: learners × steps with ✓ ✗ ·, the step each is on
 * and for how long, a stuck marker, the help queue and the check failing most. Redrawn when the class
 * changes, and every second for the clocks.
 */

export interface BoardRow {
  text: string;
  tone?: 'title' | 'dim' | 'stuck' | 'warn';
}

const GLYPHS: Record<string, string> = { done: '✓', failed: '✗', running: '▸', skipped: '-', pending: '·' };

/** m:ss, or XhMM past an hour (as the page says it). */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  return h ? `${h}h${String(m % 60).padStart(2, '0')}` : `${m}:${String(s % 60).padStart(2, '0')}`;
}

const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - columns(text)));

/** The chapter to show: the one asked for, else the one most learners report on, else the first. */
export function chapterShown(view: ClassView, chapter?: string): CourseChapter | undefined {
  const asked = view.chapters.find((c) => c.id === chapter);
  if (asked) return asked;
  let best = view.chapters[0];
  let most = -1;
  for (const c of view.chapters) {
    const n = view.learners.filter((l) => l.chapters[c.id]).length;
    if (n > most) [best, most] = [c, n];
  }
  return best;
}

const isStuck = (p: LearnerChapterView | undefined, now: number) => p?.stuckAt !== undefined && now >= p.stuckAt;

/** The table, line by line. */
export function boardRows(view: ClassView, chapter: string | undefined, t: T, now = Date.now()): BoardRow[] {
  const c = chapterShown(view, chapter);
  const rows: BoardRow[] = [{ text: t('board.tui.title', { className: view.className, chapter: c?.id ?? '', learners: view.learners.length, minutes: Number((view.stuckAfterMs / 60_000).toFixed(1)) }), tone: 'title' }];
  if (!c) return rows;
  rows.push({ text: c.title, tone: 'dim' });
  if (!view.learners.length) {
    rows.push({ text: t('board.tui.noLearners'), tone: 'dim' });
    return rows;
  }
  const stepOf = (p: LearnerChapterView | undefined) => (p?.current ? c.steps.findIndex((s) => s.id === p.current) : -1);
  const learners = view.learners.map((l) => ({ l, p: l.chapters[c.id] }));
  learners.sort((a, b) => {
    const sa = isStuck(a.p, now) ? a.p!.stuckAt! : Infinity;
    const sb = isStuck(b.p, now) ? b.p!.stuckAt! : Infinity;
    if (sa !== sb) return sa - sb;
    const pa = a.p ? a.p.done * 100 + stepOf(a.p) : -1;
    const pb = b.p ? b.p.done * 100 + stepOf(b.p) : -1;
    return pb - pa || a.l.name.localeCompare(b.l.name);
  });
  const nameWidth = Math.min(16, Math.max(columns(t('board.tui.learner')), columns(t('board.tui.finished')), ...learners.map(({ l }) => columns(l.name))));
  const widths = c.steps.map((_s, i) => String(i + 1).length);
  const cells = (values: string[]) => values.map((v, i) => pad(v, widths[i]!)).join(' ');
  const onWidth = Math.max(columns(t('board.tui.onStep')), ...learners.map(({ p }) => (stepOf(p) >= 0 ? `${stepOf(p) + 1} ${p!.current}`.length : 0)));
  rows.push({ text: `${pad(t('board.tui.learner'), nameWidth)}  ${cells(c.steps.map((_s, i) => String(i + 1)))}  ${pad(t('board.tui.onStep'), onWidth)}  ${t('board.tui.time')}`, tone: 'dim' });
  for (const { l, p } of learners) {
    const i = stepOf(p);
    const status = p?.current ? p.steps[p.current]?.status : undefined;
    const clock = p?.since !== undefined && (status === 'running' || status === 'failed') ? duration(now - p.since) : '';
    const stuck = isStuck(p, now);
    const glyphs = cells(c.steps.map((s) => GLYPHS[p?.steps[s.id]?.status ?? 'pending']!));
    const on = i >= 0 ? `${i + 1} ${p!.current}` : '';
    let text = `${pad(truncateColumns(l.name, nameWidth), nameWidth)}  ${glyphs}  ${pad(on, onWidth)}  ${pad(clock, 5)}`;
    if (stuck) text += `  ${t('board.tui.stuck')}`;
    if (p?.lastFailing) text += `  ✗ ${p.lastFailing.title}`;
    rows.push({ text: text.trimEnd(), tone: stuck ? 'stuck' : undefined });
  }
  const summary = view.summary[c.id];
  rows.push({ text: `${pad(t('board.tui.finished'), nameWidth)}  ${cells(c.steps.map((s) => String(summary?.finished[s.id] ?? 0)))}`, tone: 'dim' });
  rows.push({ text: '' });
  const most = summary?.failingMost;
  rows.push(most ? { text: t('board.tui.failingMost', { title: most.title, step: most.step, learners: most.learners }), tone: 'warn' } : { text: t('board.tui.nothingFailing'), tone: 'dim' });
  const open = view.hands.filter((h) => h.resolvedAt === undefined);
  rows.push({ text: t('board.tui.hands', { open: open.length }), tone: 'title' });
  if (!open.length) rows.push({ text: `  ${t('board.tui.noHands')}`, tone: 'dim' });
  for (const h of open) rows.push({ text: `  ${h.name} · ${duration(now - h.at)}${h.chapter ? ` · ${h.chapter}${h.step ? `/${h.step}` : ''}` : ''}${h.text ? ` · ${h.text}` : ''}` });
  return rows;
}

const TONES: Record<NonNullable<BoardRow['tone']>, { color?: string; bold?: boolean; dimColor?: boolean }> = {
  title: { bold: true },
  dim: { dimColor: true },
  stuck: { color: 'yellow', bold: true },
  warn: { color: 'red' },
};

/** What the view needs of a board: its class now, and word of each change. */
export type BoardSource = Pick<Board, 'view' | 'subscribe'>;

export function BoardScreen({ board, chapter, t }: { board: BoardSource; chapter?: string; t: T }) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const [view, setView] = useState(() => board.view());
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => board.subscribe(() => setView(board.view())), [board]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) exit();
  }, { isActive: !!isRawModeSupported });
  return (
    <Box flexDirection="column">
      {boardRows(view, chapter, t, now).map((row, i) => (
        <Text key={i} wrap="truncate" {...(row.tone ? TONES[row.tone] : {})}>{row.text || ' '}</Text>
      ))}
      <Text dimColor>{t('board.tui.quit')}</Text>
    </Box>
  );
}

/** Draw the board until `stopped` (Ctrl-C from cli.ts) or `q`. */
export async function showBoard(board: BoardSource, options: { chapter?: string; stopped: Promise<void>; stdin?: NodeJS.ReadStream; stdout?: NodeJS.WriteStream }): Promise<void> {
  const t: T = (key, vars) => say(key, vars);
  const app = render(<BoardScreen board={board} chapter={options.chapter} t={t} />, {
    stdin: options.stdin ?? process.stdin,
    stdout: options.stdout ?? process.stdout,
    exitOnCtrlC: false,
  });
  await Promise.race([options.stopped, app.waitUntilExit()]);
  app.unmount();
}
