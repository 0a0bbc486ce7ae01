/**
 * The program's own words, from one catalogue per language (locales/en.json, locales/zh.json), through
 * i18next: interpolation (`{{name}}`) and plurals. A key missing from a catalogue is a test failure
 * (test/unit/messages.test.ts), never a silent fallback.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import i18next, { type TFunction } from 'i18next';
import { columns } from '../tui/columns.js';
import { packageRoot } from '../paths.js';
import { currentLanguage, LANGUAGES, type Language } from './language.js';

export type Catalogue = Record<string, unknown>;

export const catalogueFile = (lang: Language) => join(packageRoot, 'locales', `${lang}.json`);
export const readCatalogue = (lang: Language): Catalogue => JSON.parse(readFileSync(catalogueFile(lang), 'utf8')) as Catalogue;

/** A `t` for one language, ready at once (the catalogues are read synchronously). */
export function translator(lang: Language): TFunction {
  const instance = i18next.createInstance({
    lng: lang,
    fallbackLng: false,
    resources: Object.fromEntries(LANGUAGES.map((l) => [l, { translation: readCatalogue(l) }])),
    initAsync: false,
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  void instance.init();
  return instance.t.bind(instance) as TFunction;
}

const sayers = new Map<Language, TFunction>();

/**
 * A message of the catalogue in the run's language (--lang, SWARM_WORKSHOP_LANG, the locale), for code
 * that prints outside the UI: doctor, reset, prepare, lab, errors and their next steps.
 */
export function say(key: string, vars: Record<string, unknown> = {}): string {
  const lang = currentLanguage().lang;
  let t = sayers.get(lang);
  if (!t) sayers.set(lang, (t = translator(lang)));
  return t(key, vars) as string;
}

/** The UI's `t` (lite.ts's signature) from i18next. */
export function uiT(lang: Language): (key: string, vars?: Record<string, unknown>) => string {
  const t = translator(lang);
  return (key, vars) => t(key, vars ?? {}) as string;
}

/** Labels padded to one column width, measured in terminal columns (a Chinese character is two). */
export function padLabels(labels: string[]): string[] {
  const width = Math.max(...labels.map(columns));
  return labels.map((l) => l + ' '.repeat(width - columns(l)));
}

/** Every key of a catalogue, as dotted paths. */
export function keysOf(catalogue: Catalogue, prefix = ''): string[] {
  return Object.entries(catalogue).flatMap(([k, v]) => (v && typeof v === 'object' ? keysOf(v as Catalogue, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

/**
 * What `lint` says of the catalogues: a key one language has and another lacks (plural forms count as
 * their key), or a message whose {{placeholders}} differ from English's.
 */
export function catalogueProblems(read: (lang: Language) => Catalogue = readCatalogue): { file: string; message: string }[] {
  const problems: { file: string; message: string }[] = [];
  const base = (key: string) => key.replace(/_(zero|one|two|few|many|other)$/, '');
  const table = (lang: Language) => {
    const catalogue = read(lang);
    const out = new Map<string, Set<string>>();
    for (const key of keysOf(catalogue)) {
      const value = key.split('.').reduce<unknown>((v, k) => (v as Catalogue)[k], catalogue);
      const names = typeof value === 'string' ? [...value.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!) : [];
      out.set(base(key), new Set([...(out.get(base(key)) ?? []), ...names]));
    }
    return out;
  };
  const en = table('en');
  for (const lang of LANGUAGES.filter((l) => l !== 'en')) {
    const other = table(lang);
    const file = catalogueFile(lang);
    for (const key of en.keys()) if (!other.has(key)) problems.push({ file, message: `no message "${key}" (locales/en.json has it)` });
    for (const key of other.keys()) if (!en.has(key)) problems.push({ file, message: `message "${key}" is not in locales/en.json: a key of no use, or one English lacks` });
    for (const [key, names] of other) {
      const want = en.get(key);
      if (want && [...want].sort().join(',') !== [...names].sort().join(',')) problems.push({ file, message: `message "${key}" has {{${[...names].sort().join('}}, {{')}}}, English has {{${[...want].sort().join('}}, {{')}}}` });
    }
  }
  return problems;
}
