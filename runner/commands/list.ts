import { ProgressStore, stepKey } from '../progress.js';
import { lessonsOrAbort, noticeProgress } from './lessons.js';

/** `list`: chapters and steps, with progress. Reads files only: no Docker, so it answers at once. */
export function list(out: (t: string) => void, lessons?: string): number {
  const chapters = lessonsOrAbort(lessons);
  const { progress, status } = new ProgressStore().load();
  noticeProgress(status, out);
  for (const c of chapters) {
    const done = c.steps.filter((s) => progress.steps[stepKey(c.id, s.id)]?.status === 'done').length;
    out(`${c.id}  ${c.title}  (${done}/${c.steps.length} done)\n`);
    for (const s of c.steps) {
      const st = progress.steps[stepKey(c.id, s.id)]?.status;
      out(`  ${st === 'done' ? '✓' : st === 'skipped' ? '-' : ' '} ${s.id.padEnd(22)} ${s.title}\n`);
    }
  }
  return 0;
}
