import type { T } from '../i18n/lite.js';
import type { StepStatus } from '../engine/events.js';
import type { WorkshopState } from '../engine/state.js';
import type { ChapterSummary as Chapter } from '../lesson/summary.js';
import { stepKey, type Progress } from '../progress.js';

/*
 * The chapter list as data: lines of text with a style each. Ink draws them (HomeView), and so does the
 * plain writer that shows the list while ink is still loading (preframe.ts): one layout, two painters.
 * No ink or React here: this is on the first frame's path.
 */

/** One row of the screen. `truncate`: cut at the terminal's width; otherwise the text wraps. */
export interface Line {
  text: string;
  style?: 'bold' | 'dim' | 'inverse';
  truncate?: boolean;
}

export const GLYPH: Record<StepStatus, string> = { done: '✓', failed: '✗', skipped: '-', running: '▶', pending: '·' };


export function statusOf(chapter: Chapter, stepId: string, progress: Progress | undefined, live: WorkshopState | undefined): StepStatus {
  const now = live?.chapters[chapter.id]?.steps.find((s) => s.id === stepId);
  if (now && now.status !== 'pending') return now.status;
  return progress?.steps[stepKey(chapter.id, stepId)]?.status ?? 'pending';
}

/** The first step not done or skipped: where a learner resumes. */
export function resumeIndex(chapter: Chapter, progress: Progress | undefined): number {
  const i = chapter.steps.findIndex((s) => !['done', 'skipped'].includes(progress?.steps[stepKey(chapter.id, s.id)]?.status ?? ''));
  return i < 0 ? chapter.steps.length - 1 : i;
}

export interface HomeInput {
  chapters: Chapter[];
  /** The chapter under the cursor. */
  selected: number;
  /** The progress file; undefined until a test's session brings one. */
  progress: Progress | undefined;
  /** Steps running or checked in this session, over what the file says. */
  live?: WorkshopState;
  /** The engine line: probing (`ui.probing`), the engine's state, or why there is none. */
  header: string;
  /** Lines below the header: the whole failure message, the images notice. */
  notices?: Line[];
}

/** Everything on the chapter list above the cluster panel and the key line. */
export function homeLines({ chapters, selected, progress, live, header, notices = [] }: HomeInput, t: T): Line[] {
  const lines: Line[] = [{ text: 'swarm-workshop', style: 'bold' }, { text: header, truncate: true }, ...notices, { text: ' ' }];
  chapters.forEach((c, i) => {
    lines.push({ text: `${i === selected ? '›' : ' '} ${c.id}  ${c.title}`, style: i === selected ? 'inverse' : undefined, truncate: true });
    const glyphs = c.steps.map((s) => GLYPH[statusOf(c, s.id, progress, live)]).join('');
    const done = c.steps.filter((s) => progress?.steps[stepKey(c.id, s.id)]?.status === 'done').length;
    const resume = done > 0 && done < c.steps.length ? t('ui.resumeAt', { title: c.steps[resumeIndex(c, progress)]!.title }) : '';
    lines.push({ text: `     ${glyphs} ${t('ui.stepsDone', { done, total: c.steps.length })}${resume}` });
  });
  return lines;
}
