import { describe, expect, it } from 'vitest';
import { chooseLanguage, parseLanguage } from '../../runner/i18n/language.js';
import { AbortError } from '../../runner/errors.js';

describe('choosing the language', () => {
  it('reads zh and en in the spellings locales use', () => {
    for (const v of ['zh', 'zh-CN', 'zh_CN.UTF-8', 'ZH', 'zh_TW', 'zh@pinyin']) expect(parseLanguage(v), v).toBe('zh');
    for (const v of ['en', 'en_US.UTF-8', 'C', 'C.UTF-8', 'POSIX']) expect(parseLanguage(v), v).toBe('en');
    for (const v of ['fr_FR.UTF-8', 'zhx', 'english', '']) expect(parseLanguage(v), v).toBeUndefined();
  });

  it('takes --lang first, then SWARM_WORKSHOP_LANG, then LC_ALL, LC_MESSAGES, LANG, then English', () => {
    const env = { SWARM_WORKSHOP_LANG: 'en', LC_ALL: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' };
    expect(chooseLanguage('zh', env)).toEqual({ lang: 'zh', source: '--lang' });
    expect(chooseLanguage(undefined, env)).toEqual({ lang: 'en', source: 'SWARM_WORKSHOP_LANG' });
    expect(chooseLanguage(undefined, { LC_ALL: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' })).toEqual({ lang: 'zh', source: 'LC_ALL' });
    expect(chooseLanguage(undefined, { LC_MESSAGES: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' })).toEqual({ lang: 'zh', source: 'LC_MESSAGES' });
    expect(chooseLanguage(undefined, { LANG: 'zh_CN.UTF-8' })).toEqual({ lang: 'zh', source: 'LANG' });
    // The first locale variable set decides, as POSIX has it, even one we do not speak.
    expect(chooseLanguage(undefined, { LC_ALL: 'fr_FR.UTF-8', LANG: 'zh_CN.UTF-8' })).toEqual({ lang: 'en', source: 'LC_ALL' });
    expect(chooseLanguage(undefined, {})).toEqual({ lang: 'en', source: 'default' });
  });

  it('refuses a language it does not speak, saying which it does (exit 2)', () => {
    for (const [flag, env] of [['fr', {}], [undefined, { SWARM_WORKSHOP_LANG: 'de' }]] as const) {
      let error: unknown;
      try {
        chooseLanguage(flag, env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AbortError);
      expect((error as AbortError).message).toContain('en (English) and zh (简体中文)');
      expect((error as AbortError).exitCode).toBe(2);
    }
  });
});

describe('the lessons in the language of the run', () => {
  it('localize gives Chinese titles, hints and prose and keeps the commands and checks; English is the files as they are', async () => {
    const { loadLessons, localize } = await import('../../runner/lesson/load.js');
    const { lessonsDir } = await import('../../runner/paths.js');
    const { chapters } = loadLessons(lessonsDir);
    const zh = localize(chapters, 'zh');
    expect(localize(chapters, 'en')).toBe(chapters);
    expect(zh[1]!.startsFrom!.what).toMatch(/第 3 章/);
    for (const [c, z] of chapters.map((c, i) => [c, zh[i]!] as const)) {
      for (const [s, t] of c.steps.map((s, i) => [s, z.steps[i]!] as const)) {
        expect(t.commands).toEqual(s.commands);
        expect(t.checks).toEqual(s.checks);
        expect(t.title).not.toBe(s.title);
        expect(t.hints).toHaveLength(s.hints.length);
      }
    }
  });

});
