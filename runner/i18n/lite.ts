/**
 * The catalogues without i18next, for the UI's first frame only (tui/main.ts): that frame is drawn before
 * anything heavy loads. It reads the same locales/*.json and fills the same {{placeholders}}; the keys it
 * serves use no plurals (test/unit/messages.test.ts compares it with i18next's answers).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import type { Language } from './language.js';

/** A message by key, with its placeholders filled: what the UI's code calls `t`. */
export type T = (key: string, vars?: Record<string, unknown>) => string;

export function liteT(lang: Language): T {
  const catalogue = JSON.parse(readFileSync(join(packageRoot, 'locales', `${lang}.json`), 'utf8')) as Record<string, unknown>;
  return (key, vars = {}) => {
    const value = key.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), catalogue);
    if (typeof value !== 'string') return key;
    return value.replace(/\{\{(\w+)\}\}/g, (_all, name: string) => String(vars[name] ?? ''));
  };
}
