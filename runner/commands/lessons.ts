import { AbortError } from '../errors.js';
import { currentLanguage } from '../i18n/language.js';
import { liteT } from '../i18n/lite.js';
import { findChapter, formatProblem, loadLessons, localize, type Chapter } from '../lesson/load.js';
import { lessonsDir } from '../paths.js';

/*
 * The light part of every command: the lessons and the progress notices. Nothing here loads Docker's
 * client, ink or marked, so that `list` and `lint` answer at once.
 */

/** Load the lessons, in the language of this run, or stop with every problem listed, file and line first. */
export function lessonsOrAbort(dir = lessonsDir, lang = currentLanguage().lang): Chapter[] {
  const { chapters, problems } = loadLessons(dir);
  // The catalogue's small reader (i18n/lite.ts): `list` loads this module, and answers before i18next could load.
  const t = liteT(currentLanguage().lang);
  if (problems.length === 1 && problems[0]!.file === dir && !problems[0]!.line) {
    throw new AbortError(t('setup.cannotRead', { dir, problem: problems[0]!.message }), [dir === lessonsDir ? t('setup.reinstall') : t('setup.giveLessons')]);
  }
  if (problems.length) {
    throw new AbortError(t('setup.lessonProblems', { count: problems.length, problems: problems.map((p) => `  ${formatProblem(p)}`).join('\n') }), [
      t('setup.fixLessons', { lessons: dir === lessonsDir ? '' : ` --lessons ${dir}` }),
    ]);
  }
  return localize(chapters, lang);
}

export function chapterOrAbort(chapters: Chapter[], name: string | undefined): Chapter {
  const t = liteT(currentLanguage().lang);
  const list = chapters.map((c) => `${c.id} (${c.title})`).join(', ');
  if (!name) throw new AbortError(t('setup.whichChapter'), [t('setup.nameOne', { list })], 2);
  const chapter = findChapter(chapters, name);
  if (!chapter) throw new AbortError(t('setup.unknownChapter', { name }), [t('setup.chaptersAre', { list }), t('setup.seeList')], 2);
  return chapter;
}
