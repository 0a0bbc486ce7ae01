import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { checks } from '../../checks/index.js';
import type { Params, ParamType } from '../../checks/types.js';
import { parseCommand, TemplateError, variablesOf } from './template.js';

/** The lesson format this runner reads (front matter `format:`). */
export const FORMAT_VERSION = 1;

/** Template variables a lesson may use (see lessons/README.md). */
export const TEMPLATE_VARIABLES = [
  'registry', 'tag', 'managerHostname', 'endpointMode', 'publishRegistry', 'publishWebui', 'dockercoins', 'workspace', 'debug',
] as const;

export interface CommandSpec {
  /** The command line as written in the lesson, with `${variables}`. */
  template: string;
  /** `ab:<name>`: keep the parsed ab report of this command under <name>. */
  record?: string;
}

export interface CheckRef {
  check: string;
  params: Params;
  /**
   * Steps that change what this check reads, as `chapter/step` (`changed-by:` in the lesson, where a bare
   * step id means this chapter). Once one of them is done, this check is history: `check` no longer
   * re-verifies it, and does not send the learner back to redo the earlier step.
   */
  changedBy?: string[];
}

export interface Step {
  chapter: string;
  id: string;
  title: string;
  file: string;
  /** Seconds the checks may take to converge after the commands ran. */
  timeout: number;
  commands: CommandSpec[];
  checks: CheckRef[];
  /** A figure to sample and keep once the checks pass. */
  measure?: 'mining-speed';
  hints: string[];
  /** The prose, Markdown. */
  body: string;
  /** The step's prose in another language (`NN-name.zh.md` beside it): title, hints and body only. */
  translations?: Partial<Record<Translated, StepText>>;
}

/** The languages a lesson can be translated into, besides English (the step file itself). */
export const TRANSLATED = ['zh'] as const;
export type Translated = (typeof TRANSLATED)[number];

/** What a translation gives a step: everything a learner reads, nothing the runner does. */
export interface StepText {
  title: string;
  hints: string[];
  body: string;
  file: string;
}

/** A step's title, hints and prose in `lang`; English where the step has no translation into it. */
export function stepText(step: Step, lang: 'en' | Translated): StepText {
  return (lang !== 'en' && step.translations?.[lang]) || { title: step.title, hints: step.hints, body: step.body, file: step.file };
}

/** The conditional blocks of a step's prose (`::: ipvs`, `::: no-ipvs`), in order: a translation has the same. */
const blocksOf = (body: string) => [...body.matchAll(/^::: *(no-ipvs|ipvs) *$/gm)].map((m) => m[1]!);

/** What a chapter starts from: checks that must pass first, and the chapter that gets there. */
export interface StartsFrom {
  /** The chapter whose end this chapter starts from (`swarm-workshop run <it> --yes` gets there). */
  chapter: string;
  /** One line: what must be there, for the message when it is not. */
  what: string;
  checks: CheckRef[];
}

export interface Chapter {
  id: string;
  /** Folder name, e.g. `ch3-registry`; also accepted wherever a chapter id is. */
  slug: string;
  title: string;
  steps: Step[];
  startsFrom?: StartsFrom;
  /** chapter.zh.yaml: the chapter's title, and starts-from's `what`, in that language. */
  translations?: Partial<Record<Translated, { title: string; what?: string }>>;
}

/**
 * The chapters as a learner reading `lang` sees them: titles, hints, prose and starts-from's line in that
 * language (English where a text has no translation); commands and checks untouched.
 */
export function localize(chapters: Chapter[], lang: 'en' | Translated): Chapter[] {
  if (lang === 'en') return chapters;
  return chapters.map((c) => {
    const text = chapterText(c, lang);
    return {
      ...c,
      title: text.title,
      ...(c.startsFrom ? { startsFrom: { ...c.startsFrom, what: text.what ?? c.startsFrom.what } } : {}),
      steps: c.steps.map((s) => {
        const t = stepText(s, lang);
        return { ...s, title: t.title, hints: t.hints, body: t.body };
      }),
    };
  });
}

/** A chapter's title and starts-from line in `lang`; English where there is no translation. */
export function chapterText(chapter: Chapter, lang: 'en' | Translated): { title: string; what?: string } {
  return (lang !== 'en' && chapter.translations?.[lang]) || { title: chapter.title, what: chapter.startsFrom?.what };
}

export interface LessonProblem {
  file: string;
  line?: number;
  message: string;
}

export const formatProblem = (p: LessonProblem) => `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`;

/** Read every chapter under `dir`, collecting every problem rather than stopping at the first. */
export function loadLessons(dir: string): { chapters: Chapter[]; problems: LessonProblem[] } {
  const problems: LessonProblem[] = [];
  const chapters: Chapter[] = [];
  const names = readFolder(dir, problems);
  if (!names) return { chapters, problems };
  const folders = names.filter((name) => isFolder(join(dir, name))).sort();
  if (!folders.length) problems.push({ file: dir, message: 'no chapters here: a chapter is a folder with chapter.yaml and NN-name.md steps' });
  for (const slug of folders) {
    const chapter = loadChapter(join(dir, slug), slug, problems);
    if (chapter) chapters.push(chapter);
  }
  for (const c of chapters) {
    if (c.startsFrom && !chapters.some((x) => x.id === c.startsFrom!.chapter)) {
      problems.push({ file: join(dir, c.slug, 'chapter.yaml'), message: `starts-from names chapter "${c.startsFrom.chapter}", which is not in ${dir}` });
    }
  }
  checkChangedBy(dir, chapters, problems);
  const ids = new Set<string>();
  for (const c of chapters) {
    if (ids.has(c.id)) problems.push({ file: join(dir, c.slug, 'chapter.yaml'), message: `chapter id "${c.id}" is used twice` });
    ids.add(c.id);
  }
  return { chapters, problems };
}

/**
 * `changed-by` names steps that come later (in this chapter, or in another chapter): qualify bare ids with
 * their chapter, and report names of steps that do not exist or come before.
 */
function checkChangedBy(dir: string, chapters: Chapter[], problems: LessonProblem[]): void {
  const order = new Map<string, number>();
  chapters.forEach((c, ci) => c.steps.forEach((s, si) => order.set(`${c.id}/${s.id}`, ci * 1000 + si)));
  for (const c of chapters) {
    for (const step of c.steps) {
      const here = order.get(`${c.id}/${step.id}`)!;
      for (const ref of step.checks) {
        if (!ref.changedBy) continue;
        ref.changedBy = ref.changedBy.map((name) => (name.includes('/') ? name : `${c.id}/${name}`));
        for (const key of ref.changedBy) {
          const there = order.get(key);
          if (there === undefined) problems.push({ file: step.file, message: `check ${ref.check}: changed-by names step "${key}", which is not in ${dir}` });
          else if (there <= here) problems.push({ file: step.file, message: `check ${ref.check}: changed-by names step "${key}", which does not come after this step` });
        }
      }
    }
  }
}

/** The names in a folder; undefined, with a problem saying why, when the learner or author gave a wrong path. */
function readFolder(dir: string, problems: LessonProblem[]): string[] | undefined {
  try {
    return readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : code === 'EACCES' ? 'cannot read this folder (permission denied)' : undefined;
    if (!message) throw error;
    problems.push({ file: dir, message });
    return undefined;
  }
}

/** Following links; a broken link is no folder. */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A step's file name: its number (the run order), a dash, a name. */
const STEP_FILE = /^(\d+)-.+\.md$/;
/** A translation of a step's prose (`02-push-test-image.zh-CN.md`): read with its step, never as a step. */
const TRANSLATION_FILE = /^\d+-.*\.[a-z]{2}(-[A-Z]{2})?\.md$/;

/**
 * The step files of a chapter folder in run order: by number, so `10-` follows `2-`, then by name. Anything
 * else in the folder is reported, so a misnamed step is never silently left out; only `chapter.yaml`,
 * `README.md` (notes for authors), translations and dot-files (editor and OS leftovers) are skipped.
 */
function stepFiles(dir: string, problems: LessonProblem[]): string[] {
  const steps: { name: string; number: number }[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'chapter.yaml' || /^chapter\.[a-z]{2}\.yaml$/.test(name) || name === 'README.md' || name.startsWith('.')) continue;
    if (TRANSLATION_FILE.test(name)) {
      // Read with its step (loadTranslations); one without a step would never be shown.
      const step = name.replace(/\.[a-z]{2}(-[A-Z]{2})?\.md$/, '.md');
      if (!existsSync(join(dir, step))) problems.push({ file: join(dir, name), message: `a translation of ${step}, which is not in this chapter` });
      else if (!/\.zh\.md$/.test(name)) problems.push({ file: join(dir, name), message: `a translation into a language the workshop does not speak: it speaks ${TRANSLATED.map((l) => `.${l}.md`).join(', ')} besides English` });
      continue;
    }
    const file = join(dir, name);
    const match = STEP_FILE.exec(name);
    if (isFolder(file)) problems.push({ file, message: 'not a step: a chapter folder holds chapter.yaml and step files, not folders' });
    else if (!match) problems.push({ file, message: 'not a step: a step file is named NN-name.md, e.g. 02-push-test-image.md' });
    else steps.push({ name, number: Number(match[1]) });
  }
  return steps.sort((a, b) => a.number - b.number || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((s) => s.name);
}

function loadChapter(dir: string, slug: string, problems: LessonProblem[]): Chapter | undefined {
  const metaFile = join(dir, 'chapter.yaml');
  let meta: { id?: unknown; title?: unknown; format?: unknown; 'starts-from'?: unknown };
  let doc: Document;
  const counter = new LineCounter();
  try {
    doc = parseDocument(readFileSync(metaFile, 'utf8'), { lineCounter: counter });
    if (doc.errors.length) {
      problems.push({ file: metaFile, line: doc.errors[0]!.linePos?.[0]?.line, message: doc.errors[0]!.message });
      return undefined;
    }
    meta = (doc.toJS() ?? {}) as typeof meta;
  } catch {
    problems.push({ file: metaFile, message: 'missing chapter.yaml (format, id, title)' });
    return undefined;
  }
  if (meta.format !== FORMAT_VERSION) problems.push({ file: metaFile, message: `format must be ${FORMAT_VERSION}` });
  for (const key of Object.keys(meta)) {
    if (!['format', 'id', 'title', 'starts-from'].includes(key)) problems.push({ file: metaFile, line: lineOf(doc, counter, [key], 0), message: `unknown key "${key}"` });
  }
  const startsFrom = parseStartsFrom(meta['starts-from'], (path, message) => problems.push({ file: metaFile, line: lineOf(doc, counter, ['starts-from', ...path], 0), message }));
  if (typeof meta.id !== 'string' || typeof meta.title !== 'string') {
    problems.push({ file: metaFile, message: 'chapter.yaml needs a string id and title' });
    return undefined;
  }
  const steps: Step[] = [];
  const files = stepFiles(dir, problems);
  const seen = new Map<string, string>();
  for (const f of files) {
    const { step, id } = loadStep(join(dir, f), meta.id, problems);
    if (id !== undefined) {
      const twin = seen.get(id);
      if (twin) problems.push({ file: join(dir, f), message: `duplicate step id "${id}" (also in ${twin})` });
      seen.set(id, f);
    }
    if (step) {
      step.translations = loadTranslations(dir, f, step, problems);
      steps.push(step);
    }
  }
  if (!steps.length && !problems.length) problems.push({ file: dir, message: 'chapter has no steps' });
  const translations = loadChapterTranslations(dir, !!startsFrom, problems);
  // A chapter translated into a language is translated whole: no learner meets an English step in it.
  for (const lang of TRANSLATED) {
    if (!translations?.[lang] && !steps.some((s) => s.translations?.[lang])) continue;
    if (!translations?.[lang] && !existsSync(join(dir, `chapter.${lang}.yaml`))) problems.push({ file: join(dir, `chapter.${lang}.yaml`), message: `missing: the chapter has steps in ${lang}, so its title needs translating too (title${startsFrom ? ', what' : ''})` });
    for (const f of files) {
      const file = join(dir, f.replace(/\.md$/, `.${lang}.md`));
      if (!existsSync(file)) problems.push({ file, message: `missing: the chapter is translated into ${lang}, and ${f} is not` });
    }
  }
  return { id: meta.id, slug, title: meta.title, steps, startsFrom, ...(translations ? { translations } : {}) };
}

/** chapter.zh.yaml: {format, title, what (when the chapter starts from another)}. */
function loadChapterTranslations(dir: string, hasStartsFrom: boolean, problems: LessonProblem[]): Chapter['translations'] {
  const out: NonNullable<Chapter['translations']> = {};
  for (const lang of TRANSLATED) {
    const file = join(dir, `chapter.${lang}.yaml`);
    if (!existsSync(file)) continue;
    const doc = parseDocument(readFileSync(file, 'utf8'));
    if (doc.errors.length) {
      problems.push({ file, message: `bad YAML: ${doc.errors[0]!.message.split('\n')[0]}` });
      continue;
    }
    const meta = (doc.toJS() ?? {}) as Record<string, unknown>;
    const before = problems.length;
    if (meta.format !== FORMAT_VERSION) problems.push({ file, message: `format must be ${FORMAT_VERSION}` });
    if (typeof meta.title !== 'string' || !meta.title) problems.push({ file, message: '"title" must be a non-empty string' });
    if (hasStartsFrom !== (typeof meta.what === 'string' && !!meta.what)) problems.push({ file, message: hasStartsFrom ? '"what" translates starts-from\'s what: it is missing' : '"what" is only for a chapter with starts-from' });
    for (const key of Object.keys(meta)) if (!['format', 'title', 'what'].includes(key)) problems.push({ file, message: `unknown key "${key}" (a translation has format, title and what)` });
    if (problems.length === before) out[lang] = { title: meta.title as string, ...(typeof meta.what === 'string' ? { what: meta.what } : {}) };
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * The translations of one step file (`02-push-test-image.zh.md` for `02-push-test-image.md`). A translation
 * has front matter with format, id (the step's), title and hints (as many as the step has), then the
 * prose with the same `::: ipvs` / `::: no-ipvs` blocks. Commands, checks, timeouts and measures are the
 * step's own, defined once: a translation that sets them is a problem.
 */
function loadTranslations(dir: string, stepFile: string, step: Step, problems: LessonProblem[]): Step['translations'] {
  const out: Partial<Record<Translated, StepText>> = {};
  for (const lang of TRANSLATED) {
    const file = join(dir, stepFile.replace(/\.md$/, `.${lang}.md`));
    let text: string;
    try {
      text = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
    } catch {
      continue;
    }
    const fence = /^---\n([\s\S]*?)\n---\n?/.exec(text);
    if (!fence) {
      problems.push({ file, line: 1, message: 'a translation starts with YAML front matter between two "---" lines (format, id, title, hints)' });
      continue;
    }
    const counter = new LineCounter();
    const doc = parseDocument(fence[1]!, { lineCounter: counter, prettyErrors: false });
    if (doc.errors.length) {
      problems.push({ file, line: counter.linePos(doc.errors[0]!.pos[0]).line + 1, message: `bad YAML: ${doc.errors[0]!.message.split('\n')[0]}` });
      continue;
    }
    const fm = (doc.toJS() ?? {}) as Record<string, unknown>;
    const problem = (key: string, message: string) => problems.push({ file, line: lineOf(doc, counter, [key], 1) ?? 2, message });
    const before = problems.length;
    if (fm.format !== FORMAT_VERSION) problem('format', `format must be ${FORMAT_VERSION}`);
    if (fm.id !== step.id) problem('id', `id must be the step's own, "${step.id}" (it is ${JSON.stringify(fm.id)})`);
    if (typeof fm.title !== 'string' || !fm.title) problem('title', '"title" must be a non-empty string');
    for (const key of Object.keys(fm)) {
      if (['timeout', 'commands', 'checks', 'measure'].includes(key)) problem(key, `"${key}" is defined once, in ${stepFile}, for every language: a translation has only format, id, title and hints`);
      else if (!['format', 'id', 'title', 'hints'].includes(key)) problem(key, `unknown key "${key}"`);
    }
    const hints = fm.hints ?? [];
    if (!Array.isArray(hints) || hints.some((h) => typeof h !== 'string')) problem('hints', 'hints must be a list of strings');
    else if (hints.length !== step.hints.length) problem('hints', `${hints.length} hint(s), and ${stepFile} has ${step.hints.length}: translate each one`);
    const body = text.slice(fence[0].length).trim();
    if (!body) problems.push({ file, message: 'the prose is missing (after the front matter)' });
    if (blocksOf(body).join(',') !== blocksOf(step.body).join(',')) {
      problems.push({ file, message: `its ::: blocks (${blocksOf(body).join(', ') || 'none'}) are not those of ${stepFile} (${blocksOf(step.body).join(', ') || 'none'})` });
    }
    if (problems.length === before) out[lang] = { title: fm.title as string, hints: hints as string[], body, file };
  }
  return Object.keys(out).length ? out : undefined;
}

/** `starts-from: {chapter, what, checks}` of chapter.yaml. */
function parseStartsFrom(raw: unknown, problem: (path: (string | number)[], message: string) => void): StartsFrom | undefined {
  if (raw === undefined) return undefined;
  const r = raw as { chapter?: unknown; what?: unknown; checks?: unknown };
  if (!raw || typeof raw !== 'object' || typeof r.chapter !== 'string' || typeof r.what !== 'string' || !Array.isArray(r.checks) || !r.checks.length) {
    problem([], 'starts-from is {chapter: <id>, what: <one line>, checks: [{check: <id>, ...}]}');
    return undefined;
  }
  return { chapter: r.chapter, what: r.what, checks: checkRefs(r.checks, (path, message) => problem(['checks', ...path], message)) };
}

function lineOf(doc: Document, counter: LineCounter, path: (string | number)[], offset: number): number | undefined {
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  return node?.range ? counter.linePos(node.range[0]).line + offset : undefined;
}

/** A step, when valid; its id whenever the front matter has one (for the duplicate check). */
function loadStep(file: string, chapter: string, problems: LessonProblem[]): { step?: Step; id?: string } {
  const text = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  const fence = /^---\n([\s\S]*?)\n---\n?/.exec(text);
  if (!fence) {
    problems.push({ file, line: 1, message: 'a step starts with YAML front matter between two "---" lines' });
    return {};
  }
  const counter = new LineCounter();
  const doc = parseDocument(fence[1]!, { lineCounter: counter, prettyErrors: false });
  // Line numbers in the front matter are one below the file's, because of the opening "---".
  const at = (path: (string | number)[]) => lineOf(doc, counter, path, 1);
  if (doc.errors.length) {
    for (const error of doc.errors) {
      problems.push({ file, line: counter.linePos(error.pos[0]).line + 1, message: `bad YAML: ${error.message.split('\n')[0]}` });
    }
    return {};
  }
  const fm = doc.toJS() as Record<string, unknown> | null;
  if (!fm || typeof fm !== 'object' || Array.isArray(fm)) {
    problems.push({ file, line: 2, message: 'front matter must be a mapping (format, id, title, commands, checks, ...)' });
    return {};
  }
  const problem = (path: (string | number)[], message: string) => problems.push({ file, line: at(path) ?? 2, message });
  const before = problems.length;

  if (fm.format !== FORMAT_VERSION) problem(['format'], `format must be ${FORMAT_VERSION} (got ${JSON.stringify(fm.format)})`);
  for (const key of ['id', 'title'] as const) {
    if (typeof fm[key] !== 'string' || !fm[key]) problem([key], `"${key}" must be a non-empty string`);
  }
  if (typeof fm.id === 'string' && !/^[a-z0-9][a-z0-9-]*$/.test(fm.id)) problem(['id'], `id "${fm.id}" must be lowercase letters, digits and dashes`);
  const timeout = fm.timeout ?? 120;
  if (typeof timeout !== 'number' || timeout <= 0) problem(['timeout'], 'timeout must be a positive number of seconds');
  const known = new Set(['format', 'id', 'title', 'timeout', 'commands', 'checks', 'measure', 'hints']);
  for (const key of Object.keys(fm)) if (!known.has(key)) problem([key], `unknown key "${key}"`);

  const commands: CommandSpec[] = [];
  const rawCommands = fm.commands ?? [];
  if (!Array.isArray(rawCommands)) problem(['commands'], 'commands must be a list');
  else
    rawCommands.forEach((entry: unknown, i) => {
      const spec: CommandSpec | undefined =
        typeof entry === 'string'
          ? { template: entry }
          : entry && typeof entry === 'object' && typeof (entry as { run?: unknown }).run === 'string'
            ? { template: (entry as { run: string }).run, record: (entry as { record?: string }).record }
            : undefined;
      if (!spec) return problem(['commands', i], 'a command is a string, or {run: string, record: ab:<name>}');
      if (spec.record !== undefined && !/^ab:[a-z0-9-]+$/.test(String(spec.record))) problem(['commands', i, 'record'], 'record must be ab:<name>');
      try {
        if (!parseCommand(spec.template).length) problem(['commands', i], 'empty command');
        for (const name of variablesOf(spec.template)) {
          if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) problem(['commands', i], `undefined template variable \${${name}}`);
        }
      } catch (error) {
        if (error instanceof TemplateError) problem(['commands', i], error.message);
        else throw error;
      }
      commands.push(spec);
    });

  const rawChecks = fm.checks;
  const refs = !Array.isArray(rawChecks) || !rawChecks.length
    ? (problem(['checks'], 'a step needs at least one check (what proves it worked?)'), [])
    : checkRefs(rawChecks, (path, message) => problem(['checks', ...path], message), true);

  if (fm.measure !== undefined && fm.measure !== 'mining-speed') problem(['measure'], 'measure can only be "mining-speed"');
  const hints = fm.hints ?? [];
  if (!Array.isArray(hints) || hints.some((h) => typeof h !== 'string')) problem(['hints'], 'hints must be a list of strings');

  const id = typeof fm.id === 'string' ? fm.id : undefined;
  if (problems.length > before) return { id };
  return {
    id,
    step: {
    chapter,
    id: fm.id as string,
    title: fm.title as string,
    file,
    timeout: timeout as number,
    commands,
    checks: refs,
    measure: fm.measure as Step['measure'],
    hints: hints as string[],
    body: text.slice(fence[0].length).trim(),
    },
  };
}

/**
 * Check entries (`{check: id, ...parameters}`), validated against the checks' declared parameters and
 * the template variables; `problem` gets a path inside the list.
 */
function checkRefs(raw: unknown[], problem: (path: (string | number)[], message: string) => void, allowChangedBy = false): CheckRef[] {
  const refs: CheckRef[] = [];
  raw.forEach((entry: unknown, i) => {
    if (!entry || typeof entry !== 'object' || typeof (entry as { check?: unknown }).check !== 'string') {
      return problem([i], 'a check entry is {check: <id>, ...parameters}');
    }
    const { check: id, 'changed-by': changedByRaw, ...params } = entry as { check: string; 'changed-by'?: unknown } & Params;
    let changedBy: string[] | undefined;
    if (changedByRaw !== undefined) {
      const list = typeof changedByRaw === 'string' ? [changedByRaw] : changedByRaw;
      if (!allowChangedBy) problem([i, 'changed-by'], 'changed-by belongs to a step\'s checks, not here');
      else if (!Array.isArray(list) || !list.length || list.some((x) => typeof x !== 'string' || !/^([a-z0-9][a-z0-9-]*\/)?[a-z0-9][a-z0-9-]*$/.test(x))) {
        problem([i, 'changed-by'], 'changed-by is a step id, or a list of them (`other-step` in this chapter, `ch4/some-step` in another)');
      } else changedBy = list as string[];
    }
    const definition = checks.get(id);
    if (!definition) return problem([i, 'check'], `unknown check id "${id}" (see swarm-workshop lint --checks)`);
    const declared = new Map(Object.entries(definition.params).map(([name, type]) => [name.replace(/\?$/, ''), { type, optional: name.endsWith('?') }]));
    for (const [name, { type, optional }] of declared) {
      const value = params[name];
      if (value === undefined) {
        if (!optional) problem([i], `check ${id} needs parameter "${name}"`);
      } else if (!PARAM_OK[type](value)) {
        problem([i, name], `parameter "${name}" of ${id} must be ${PARAM_WORDS[type]}`);
      }
    }
    for (const [name, value] of Object.entries(params)) {
      if (!declared.has(name)) problem([i, name], `check ${id} has no parameter "${name}"`);
      if (typeof value === 'string') {
        try {
          for (const v of variablesOf(value)) {
            if (!(TEMPLATE_VARIABLES as readonly string[]).includes(v)) problem([i, name], `undefined template variable \${${v}}`);
          }
        } catch (error) {
          problem([i, name], (error as Error).message);
        }
      }
    }
    refs.push(changedBy ? { check: id, params, changedBy } : { check: id, params });
  });
  return refs;
}

const PARAM_OK: Record<ParamType, (value: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  replicas: (v) => typeof v === 'number' || v === 'global',
  count: (v) => typeof v === 'number' || (typeof v === 'string' && /^\d+\+$/.test(v)),
};
const PARAM_WORDS: Record<ParamType, string> = {
  string: 'a string',
  number: 'a number',
  replicas: 'a number or "global"',
  count: 'a number, or "N+" for at least N',
};

/** Find a chapter by id (`ch3`) or folder name (`ch3-registry`). */
export function findChapter(chapters: Chapter[], name: string): Chapter | undefined {
  return chapters.find((c) => c.id === name || c.slug === name);
}

/** Keep the blocks of the prose meant for this machine (`::: ipvs` / `::: no-ipvs`), drop the others. */
export function proseFor(body: string, ipvs: boolean): string {
  return body.replace(/^::: *(no-ipvs|ipvs) *\n([\s\S]*?)^::: *$\n?/gm, (_all, kind: string, inner: string) =>
    (kind === 'ipvs') === ipvs ? inner : '',
  );
}
