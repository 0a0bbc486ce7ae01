import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { checks } from '../../checks/index.js';
import type { Params } from '../../checks/types.js';
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
}

export interface Chapter {
  id: string;
  /** Folder name, e.g. `ch3-registry`; also accepted wherever a chapter id is. */
  slug: string;
  title: string;
  steps: Step[];
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
  const folders = readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort();
  for (const slug of folders) {
    const chapter = loadChapter(join(dir, slug), slug, problems);
    if (chapter) chapters.push(chapter);
  }
  const ids = new Set<string>();
  for (const c of chapters) {
    if (ids.has(c.id)) problems.push({ file: join(dir, c.slug, 'chapter.yaml'), message: `chapter id "${c.id}" is used twice` });
    ids.add(c.id);
  }
  return { chapters, problems };
}

function loadChapter(dir: string, slug: string, problems: LessonProblem[]): Chapter | undefined {
  const metaFile = join(dir, 'chapter.yaml');
  let meta: { id?: unknown; title?: unknown; format?: unknown };
  try {
    const doc = parseDocument(readFileSync(metaFile, 'utf8'));
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
  if (typeof meta.id !== 'string' || typeof meta.title !== 'string') {
    problems.push({ file: metaFile, message: 'chapter.yaml needs a string id and title' });
    return undefined;
  }
  const steps: Step[] = [];
  const files = readdirSync(dir).filter((f) => /^\d+-.*\.md$/.test(f) && !/\.[a-z]{2}(-[A-Z]{2})?\.md$/.test(f)).sort();
  const seen = new Map<string, string>();
  for (const f of files) {
    const { step, id } = loadStep(join(dir, f), meta.id, problems);
    if (id !== undefined) {
      const twin = seen.get(id);
      if (twin) problems.push({ file: join(dir, f), message: `duplicate step id "${id}" (also in ${twin})` });
      seen.set(id, f);
    }
    if (step) steps.push(step);
  }
  if (!steps.length && !problems.length) problems.push({ file: dir, message: 'chapter has no steps' });
  return { id: meta.id, slug, title: meta.title, steps };
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

  const refs: CheckRef[] = [];
  const rawChecks = fm.checks;
  if (!Array.isArray(rawChecks) || !rawChecks.length) problem(['checks'], 'a step needs at least one check (what proves it worked?)');
  else
    rawChecks.forEach((entry: unknown, i) => {
      if (!entry || typeof entry !== 'object' || typeof (entry as { check?: unknown }).check !== 'string') {
        return problem(['checks', i], 'a check entry is {check: <id>, ...parameters}');
      }
      const { check: id, ...params } = entry as { check: string } & Params;
      const definition = checks.get(id);
      if (!definition) return problem(['checks', i, 'check'], `unknown check id "${id}" (see swarm-workshop lint --checks)`);
      const declared = new Map(Object.entries(definition.params).map(([name, type]) => [name.replace(/\?$/, ''), { type, optional: name.endsWith('?') }]));
      for (const [name, { type, optional }] of declared) {
        const value = params[name];
        if (value === undefined) {
          if (!optional) problem(['checks', i], `check ${id} needs parameter "${name}"`);
        } else if (type === 'number' ? typeof value !== 'number' : type === 'replicas' ? typeof value !== 'number' && value !== 'global' : typeof value !== 'string') {
          problem(['checks', i, name], `parameter "${name}" of ${id} must be ${type === 'replicas' ? 'a number or "global"' : `a ${type}`}`);
        }
      }
      for (const [name, value] of Object.entries(params)) {
        if (!declared.has(name)) problem(['checks', i, name], `check ${id} has no parameter "${name}"`);
        if (typeof value === 'string') {
          try {
            for (const v of variablesOf(value)) {
              if (!(TEMPLATE_VARIABLES as readonly string[]).includes(v)) problem(['checks', i, name], `undefined template variable \${${v}}`);
            }
          } catch (error) {
            problem(['checks', i, name], (error as Error).message);
          }
        }
      }
      refs.push({ check: id, params });
    });

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
