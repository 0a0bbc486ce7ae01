import { currentLanguage } from '../i18n/language.js';
import { translator } from '../i18n/messages.js';
import { ChapterRunner } from '../engine/runner.js';
import { AbortError } from '../errors.js';
import { jsonPrinter, textPrinter } from '../printer.js';
import { ensureWorkspace } from '../workspace.js';
import { fanOut, type EventSink, type WorkshopEvent } from '../engine/events.js';
import { noticeProgress, progressRecorder, stepKey, type ProgressStore } from '../progress.js';
import { attachBoard, detachBoards } from '../board/attach.js';
import type { Reporter } from '../board/reporter.js';
import { chapterOrAbort, lessonsOrAbort } from './lessons.js';
import { preflight } from './preflight.js';
import { openSession } from './setup.js';

export interface RunFlags {
  chapter?: string;
  yes: boolean;
  json: boolean;
  prove: boolean;
  lessons?: string;
  /** check mode: seconds to wait for the cluster to converge. */
  wait?: number;
  /** auto mode: catch up to where this step (id or number) starts, and stop there. */
  to?: string;
}

/**
 * Where the events of `run` and `check` go: the printer, the progress file, the command's own listeners,
 * and the board this learner joined, if any (one more subscriber, which only queues).
 */
export function runSinks(printer: EventSink, store: ProgressStore, board: Reporter | undefined, ...more: EventSink[]): EventSink {
  return fanOut(printer, progressRecorder(store), ...more, ...(board ? [board] : []));
}

const usesWorkspace = (text: string) => text.includes('${workspace}') || text.includes('workspace/');

/** `run <chapter> --yes` (auto mode) and `check <chapter>` (checks only). Returns the exit code. */
export async function runOrCheck(mode: 'auto' | 'check', flags: RunFlags, signal: AbortSignal, out: (t: string) => void): Promise<number> {
  const chapters = lessonsOrAbort(flags.lessons);
  const t = translator(currentLanguage().lang);
  const chapter = chapterOrAbort(chapters, flags.chapter);
  if (mode === 'auto' && !flags.yes) {
    throw new AbortError(t('run.needsYes', { chapter: chapter.id }), [t('run.confirmYes', { chapter: chapter.id }), t('run.orCheck', { chapter: chapter.id })], 2);
  }
  let to: string | undefined;
  if (flags.to !== undefined) {
    const n = Number(flags.to);
    const step = Number.isInteger(n) && n >= 1 ? chapter.steps[n - 1] : chapter.steps.find((st) => st.id === flags.to);
    if (!step) {
      throw new AbortError(t('run.noStep', { chapter: chapter.id, step: flags.to }), [t('run.theSteps', { count: chapter.steps.length, ids: chapter.steps.map((st) => st.id).join(', ') })], 2);
    }
    if (mode !== 'auto') throw new AbortError(t('run.toOnlyRun'), [`swarm-workshop run ${chapter.id} --yes --to ${flags.to}`], 2);
    to = step.id;
  }
  const session = await openSession();
  // The learner's copy of the source first: a learner who asks for chapter 4 early gets it, even when
  // the chapter then says what it starts from.
  if (chapter.steps.some((s) => s.commands.some((c) => usesWorkspace(c.template)) || s.checks.some((c) => Object.values(c.params).some((v) => typeof v === 'string' && usesWorkspace(v))))) {
    const { dir, created } = ensureWorkspace(session.paths.workspace);
    if (created && !flags.json) out(`${t('run.workspaceCopy', { dir })}\n`);
  }
  await preflight(chapter, chapters, session, mode, (t) => void process.stderr.write(t));
  const { progress, status } = session.store.load();
  noticeProgress(status, (t) => process.stderr.write(t));
  // Steps done earlier that check mode found changed, for the closing line.
  const drifted: string[] = [];
  const noteDrift = (e: WorkshopEvent) => {
    if (e.type === 'step-finished' && e.status === 'failed' && e.drifted) drifted.push(`${chapter.steps.findIndex((st) => st.id === e.step) + 1} (${e.step})`);
  };
  const board = await attachBoard(mode === 'auto' ? 'auto' : 'check');
  try {
    return await finish();
  } finally {
    // At most a second for the board to take what is still queued; never longer, whatever the board does.
    if (board) await detachBoards();
  }

  async function finish(): Promise<number> {
    const emit = runSinks(flags.json ? jsonPrinter(out) : textPrinter(out, t), session.store, board, noteDrift);
    const runner = new ChapterRunner({ ...session, emit, signal, previously: (c, s) => progress.steps[stepKey(c, s)], chapters,
      recorded: (step, name) => progress.measurements.filter((m) => stepKey(m.chapter, m.step) === step && m.name === name).at(-1)?.value,
    });
    const result = await runner.runChapter(chapter, { mode, prove: flags.prove, checkWaitMs: (flags.wait ?? 10) * 1000, to });
    if (to !== undefined) {
      const n = chapter.steps.findIndex((st) => st.id === to) + 1;
      if (!flags.json) {
        out(`\n${result.ok
          ? t('run.caughtUp', { chapter: chapter.id, n, step: to })
          : t('run.notCaughtUp', { chapter: chapter.id, n, at: result.done + 1, what: t(`run.what.${result.failure === 'command' ? 'command' : 'check'}`) })}\n`);
      }
      return result.ok ? 0 : 1;
    }
    if (!flags.json) {
      const counts = { chapter: chapter.id, done: result.done, total: chapter.steps.length };
      if (result.ok) out(`\n${t('run.done', counts)}\n`);
      else if (mode === 'check' && drifted.length) out(`\n${t('run.drifted', { ...counts, count: drifted.length, steps: drifted.join(t('run.stepJoin')) })}\n`);
      else if (mode === 'check') out(`\n${t('run.checkNext', counts)}\n`);
      else out(`\n${t('run.stopped', { ...counts, at: result.done + 1, what: t(`run.what.${result.failure === 'command' ? 'command' : 'check'}`) })}\n`);
    }
    return result.ok ? 0 : 1;
  }
}
