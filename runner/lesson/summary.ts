import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

/**
 * What the chapter list shows of the lessons: ids and titles. The build writes it, for the shipped
 * lessons, to an index beside the compiled code, with a fingerprint of every lesson file's name and
 * bytes. `list` and the UI's first frame read the index instead of parsing twenty YAML front matters
 * (the YAML library alone takes longer to load than the rest of `list`); when a lesson file changed
 * since the build, the fingerprint differs and they parse the lessons as before.
 */
export interface ChapterSummary {
  id: string;
  slug: string;
  title: string;
  steps: { id: string; title: string }[];
}

interface Index {
  fingerprint: string;
  /** By language: `en`, and each language the lessons are translated into. */
  chapters: Record<string, ChapterSummary[]>;
}

export const indexFile = join(packageRoot, 'dist', 'bin', 'lessons-index.json');

/** Every file under the lessons folder (two levels: chapters and their files), names and bytes. */
export function fingerprint(dir: string): string {
  const hash = createHash('sha1');
  for (const chapter of readdirSync(dir).sort()) {
    const path = join(dir, chapter);
    const files = statSync(path).isDirectory() ? readdirSync(path).sort().map((f) => join(chapter, f)) : [chapter];
    for (const file of files) {
      const full = join(dir, file);
      hash.update(`${file}\0`);
      if (statSync(full).isFile()) hash.update(readFileSync(full));
      hash.update('\0');
    }
  }
  return hash.digest('hex');
}

export const summarize = (chapters: ChapterSummary[]): ChapterSummary[] =>
  chapters.map((c) => ({ id: c.id, slug: c.slug, title: c.title, steps: c.steps.map((s) => ({ id: s.id, title: s.title })) }));

export function writeIndex(dir: string, byLanguage: Record<string, ChapterSummary[]>, file = indexFile): void {
  const chapters = Object.fromEntries(Object.entries(byLanguage).map(([lang, list]) => [lang, summarize(list)]));
  writeFileSync(file, `${JSON.stringify({ fingerprint: fingerprint(dir), chapters } satisfies Index)}\n`);
}

/** The chapters of the index when it describes `dir` as it is now; undefined otherwise (parse the lessons). */
export function readIndex(dir: string, file = indexFile, lang = 'en'): ChapterSummary[] | undefined {
  try {
    if (!existsSync(file)) return undefined;
    const index = JSON.parse(readFileSync(file, 'utf8')) as Index;
    return index.fingerprint === fingerprint(dir) && !Array.isArray(index.chapters) ? index.chapters[lang] : undefined;
  } catch {
    return undefined;
  }
}
