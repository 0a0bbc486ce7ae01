/**
 * Which language the workshop speaks: `--lang`, else SWARM_WORKSHOP_LANG, else the locale (LC_ALL, then
 * LC_MESSAGES, then LANG, as POSIX orders them: the first one set decides), else English. Chinese is
 * `zh` (simplified Chinese, zh-CN); any locale that starts with `zh` chooses it.
 */
import { AbortError } from '../errors.js';

export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

/** What chose the language, for `doctor` and the UI's status line. */
export type LanguageSource = '--lang' | 'SWARM_WORKSHOP_LANG' | 'LC_ALL' | 'LC_MESSAGES' | 'LANG' | 'default';

export interface LanguageChoice {
  lang: Language;
  source: LanguageSource;
}

/** `zh`, `zh-CN`, `zh_CN.UTF-8`, `ZH` → zh; `en`, `en_US.UTF-8`, `C`, `POSIX` → en; anything else: undefined. */
export function parseLanguage(value: string): Language | undefined {
  const v = value.trim().toLowerCase();
  if (/^zh([-_.@]|$)/.test(v)) return 'zh';
  if (/^en([-_.@]|$)/.test(v) || v === 'c' || v.startsWith('c.') || v === 'posix') return 'en';
  return undefined;
}

export function chooseLanguage(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): LanguageChoice {
  if (flag !== undefined) {
    const lang = parseLanguage(flag);
    if (!lang || !['en', 'zh', 'zh-cn'].includes(flag.trim().toLowerCase().replace('_', '-'))) {
      throw new AbortError(`--lang ${flag}: the workshop speaks en (English) and zh (简体中文)`, ['`--lang zh` or `--lang en`'], 2);
    }
    return { lang, source: '--lang' };
  }
  const own = env.SWARM_WORKSHOP_LANG;
  if (own) {
    const lang = parseLanguage(own);
    if (!lang) {
      throw new AbortError(`SWARM_WORKSHOP_LANG=${own}: the workshop speaks en (English) and zh (简体中文)`, ['`export SWARM_WORKSHOP_LANG=zh` (or en), or unset it to follow the locale'], 2);
    }
    return { lang, source: 'SWARM_WORKSHOP_LANG' };
  }
  // POSIX: the first of LC_ALL, LC_MESSAGES, LANG that is set decides; a locale we do not speak is English.
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const) {
    const value = env[name];
    if (value) return { lang: parseLanguage(value) === 'zh' ? 'zh' : 'en', source: name };
  }
  return { lang: 'en', source: 'default' };
}

let current: LanguageChoice = { lang: 'en', source: 'default' };

/** The language of this run, chosen once at start (cli.ts) and read wherever lesson text is shown. */
export const currentLanguage = (): LanguageChoice => current;
export function setLanguage(choice: LanguageChoice): void {
  current = choice;
}
