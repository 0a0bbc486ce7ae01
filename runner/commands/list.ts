import { currentLanguage } from '../i18n/language.js';
import { liteT } from '../i18n/lite.js';
import { lessonsDir } from '../paths.js';
import { readIndex, type ChapterSummary } from '../lesson/summary.js';
import { noticeProgress, ProgressStore, stepKey } from '../progress.js';

/**
 * The chapters' ids and titles: from the build's index of the shipped lessons when it still matches them
 * (no YAML to load or parse), else from the lesson files, stopping with their problems if they have any.
 */
export async function chapterSummaries(lessons?: string): Promise<ChapterSummary[]> {
  const quick = lessons === undefined ? readIndex(lessonsDir, undefined, currentLanguage().lang) : undefined;
  return quick ?? (await import('./lessons.js')).lessonsOrAbort(lessons);
}

/** `list`: chapters and steps, with progress. Reads files only: no Docker, so it answers at once. */
export async function list(out: (t: string) => void, lessons?: string): Promise<number> {
  const chapters = await chapterSummaries(lessons);
  // The catalogue's small reader: `list` answers at once, without i18next (i18n/lite.ts).
  const t = liteT(currentLanguage().lang);
  const { progress, status } = new ProgressStore().load();
  noticeProgress(status, out);
  for (const c of chapters) {
    const done = c.steps.filter((s) => progress.steps[stepKey(c.id, s.id)]?.status === 'done').length;
    out(`${t('list.chapter', { id: c.id, title: c.title, done, total: c.steps.length })}\n`);
    for (const s of c.steps) {
      const st = progress.steps[stepKey(c.id, s.id)]?.status;
      out(`  ${st === 'done' ? '✓' : st === 'skipped' ? '-' : ' '} ${s.id.padEnd(22)} ${s.title}\n`);
    }
  }
  return 0;
}
