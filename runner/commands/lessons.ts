import { AbortError } from '../errors.js';
import { currentLanguage } from '../i18n/language.js';
import { findChapter, formatProblem, loadLessons, localize, type Chapter } from '../lesson/load.js';
import { lessonsDir } from '../paths.js';

/*
 * The light part of every command: the lessons and the progress notices. Nothing here loads Docker's
 * client, ink or marked, so that `list` and `lint` answer at once.
 */

/** Load the lessons, in the language of this run, or stop with every problem listed, file and line first. */
export function lessonsOrAbort(dir = lessonsDir, lang = currentLanguage().lang): Chapter[] {
  const { chapters, problems } = loadLessons(dir);
  if (problems.length === 1 && problems[0]!.file === dir && !problems[0]!.line) {
    throw new AbortError(`cannot read lessons from ${dir}: ${problems[0]!.message}`, [
      dir === lessonsDir ? 'the package is incomplete: reinstall it (`npx swarm-workshop@latest`)' : 'give `--lessons` the folder that holds the chapter folders (each with chapter.yaml and NN-name.md steps)',
    ]);
  }
  if (problems.length) {
    throw new AbortError(`the lesson files have ${problems.length} problem(s):\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, [
      `fix them and check with \`swarm-workshop lint${dir === lessonsDir ? '' : ` --lessons ${dir}`}\``,
    ]);
  }
  return localize(chapters, lang);
}

export function chapterOrAbort(chapters: Chapter[], name: string | undefined): Chapter {
  const list = chapters.map((c) => `${c.id} (${c.title})`).join(', ');
  if (!name) throw new AbortError('which chapter?', [`name one: ${list}`], 2);
  const chapter = findChapter(chapters, name);
  if (!chapter) throw new AbortError(`unknown chapter "${name}"`, [`the chapters are: ${list}`, 'see them with `swarm-workshop list`'], 2);
  return chapter;
}
