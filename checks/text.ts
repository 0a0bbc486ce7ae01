/**
 * The words of the checks (titles, hints) in the run's language, from the program's catalogues
 * (`checks.*` in locales/*.json). What a check decides never depends on them: checks read Docker's API
 * and machine-readable output only.
 */
import type { TFunction } from 'i18next';
import { currentLanguage, type Language } from '../runner/i18n/language.js';
import { translator } from '../runner/i18n/messages.js';

const made = new Map<Language, TFunction>();

/** `checks.<key>` in the run's language, placeholders filled. */
export function ct(key: string, vars: Record<string, unknown> = {}): string {
  const lang = currentLanguage().lang;
  let t = made.get(lang);
  if (!t) made.set(lang, (t = translator(lang)));
  return t(`checks.${key}`, vars) as string;
}
