import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { LANGUAGES } from '../../runner/i18n/language.js';
import { liteT } from '../../runner/i18n/lite.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogueProblems, keysOf, padLabels, readCatalogue, translator, uiT } from '../../runner/i18n/messages.js';
import { packageRoot } from '../../runner/paths.js';
import { textPrinter } from '../../runner/printer.js';

/** The {{placeholders}} of every key of a catalogue. */
const placeholders = (lang: (typeof LANGUAGES)[number]) => {
  const catalogue = readCatalogue(lang);
  return Object.fromEntries(keysOf(catalogue).map((key) => {
    const value = key.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], catalogue) as string;
    return [key.replace(/_(one|other|zero|two|few|many)$/, ''), [...value.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort().join(',')];
  }));
};

describe('the message catalogues', () => {
  it('have the same keys in every language, each with the same placeholders, and no empty message', () => {
    const en = placeholders('en');
    for (const lang of LANGUAGES) {
      expect(placeholders(lang), lang).toEqual(en);
      const t = translator(lang);
      for (const key of keysOf(readCatalogue(lang))) expect(t(key), `${lang} ${key}`).not.toBe('');
    }
  });

  it('say the same through the first frame\'s reader (lite.ts) as through i18next, for every key of the UI', () => {
    for (const lang of LANGUAGES) {
      const lite = liteT(lang);
      const full = uiT(lang);
      const vars = { id: 'ch3', n: 2, total: 13, title: 'T', done: 1, count: 3, from: 'X', before: 1, chapter: 'ch3', glyph: '·', status: 's', version: 'v', swarm: 'active', nodes: 1, ipvs: '✓', missing: 1, error: 'e', rate: '1.0', text: 'x', reason: 'r', to: 3 };
      for (const key of keysOf(readCatalogue(lang)).filter((k) => k.startsWith('ui.') || k.startsWith('list.'))) expect(lite(key, vars), `${lang} ${key}`).toBe(full(key, vars));
    }
  });

  it('are linted: a key missing in one language, one English lacks, or other placeholders are each a problem', () => {
    expect(catalogueProblems()).toEqual([]);
    const broken = (lang: string) => (lang === 'en'
      ? { a: 'A {{x}}', b: { c: 'C' }, n_one: '{{count}} x', n_other: '{{count}} xs' }
      : { a: '甲 {{y}}', d: '丁', n_other: '{{count}} 个' });
    expect(catalogueProblems(broken as never).map((p) => p.message)).toEqual([
      'no message "b.c" (locales/en.json has it)',
      'message "d" is not in locales/en.json: a key of no use, or one English lacks',
      'message "a" has {{y}}, English has {{x}}',
    ]);
  });

  it('hold no key the code does not use, and the code uses no key they lack', () => {
    const read = (folder: string) => [...readdirSync(join(packageRoot, folder), { recursive: true, encoding: 'utf8' })]
      .filter((f) => /\.tsx?$/.test(f)).map((f) => readFileSync(join(packageRoot, folder, f), 'utf8')).join('\n');
    const source = read('runner');
    const checkSource = read('checks');
    const used = new Set([
      ...[...source.matchAll(/\b(?:t|say)\(\s*'([a-z][\w.]*)'/g)].map((m) => m[1]!),
      // The checks' keys (checks/text.ts's ct adds `checks.`), also in both arms of a ?: choosing one.
      ...[...checkSource.matchAll(/'([a-z][a-zA-Z]*\.[\w.]+)'/g)].map((m) => `checks.${m[1]!}`),
    ]);
    // Keys built at run time: `ui.keys.${command}` and the like, by their prefix.
    const dynamic = [
      ...[...source.matchAll(/\b(?:t|say)\(\s*`([a-z][\w.]*)\.\$\{/g)].map((m) => `${m[1]}.`),
      ...[...checkSource.matchAll(/\bct\(\s*`([a-z][\w.]*)\.\$\{/g)].map((m) => `checks.${m[1]}.`),
    ];
    const keys = keysOf(readCatalogue('en')).map((k) => k.replace(/_(one|other)$/, ''));
    expect([...used].filter((k) => !keys.includes(k))).toEqual([]);
    expect(keys.filter((k) => !used.has(k) && !dynamic.some((d) => k.startsWith(d)))).toEqual([]);
  });

  it('pad labels by terminal columns, so Chinese labels line up too', () => {
    const zh = padLabels(['预期：', '实际：', '提示：', 'x']);
    expect(zh.map((l) => stringWidth(l))).toEqual([6, 6, 6, 6]);
    expect(padLabels(['expected:', 'actual:'])).toEqual(['expected:', 'actual:  ']);
  });
});

describe('the run and check printer', () => {
  const events: WorkshopEvent[] = [
    { type: 'chapter-started', chapter: 'ch3', title: 'Chapter 3', steps: [{ id: 'registry-service', title: 'Run a registry' }] },
    { type: 'step-started', chapter: 'ch3', step: 'registry-service', title: 'Run a registry' },
    { type: 'check-result', chapter: 'ch3', step: 'registry-service', check: 'service-converged', title: 'registry runs 1 task(s)', phase: 'after', ok: false, expected: 'registry: 1/1 running', actual: 'registry: 0/1 running', hint: 'docker service ps registry' },
    { type: 'step-finished', chapter: 'ch3', step: 'registry-service', status: 'failed', durationMs: 1500 },
    { type: 'chapter-finished', chapter: 'ch3', ok: false, durationMs: 2000 },
  ] as WorkshopEvent[];
  const print = (lang?: 'en' | 'zh') => {
    let text = '';
    const p = lang ? textPrinter((t) => void (text += t), translator(lang)) : textPrinter((t) => void (text += t));
    for (const e of events) p(e);
    return text;
  };

  it('says in English exactly what it said before the catalogue', () => {
    expect(print()).toBe(print('en'));
    expect(print()).toContain('  ✗ registry runs 1 task(s)\n      expected: registry: 1/1 running\n      actual:   registry: 0/1 running\n      hint:     docker service ps registry\n');
    expect(print()).toContain('  → failed in 1.5 s\n');
    expect(print()).toContain('\nch3: stopped before the end (2.0 s)\n');
  });

  it('says it in Chinese, with its labels aligned', () => {
    const zh = print('zh');
    expect(zh).toContain('      预期： registry: 1/1 running\n      实际： registry: 0/1 running\n      提示： docker service ps registry\n');
    expect(zh).toContain('  → 失败 用时 1.5 秒\n');
    expect(zh).toContain('\nch3: 在结束前停止 (2.0 秒)\n');
    expect(zh).not.toMatch(/expected|actual|stopped/);
  });
});

describe('run and check\'s closing lines', () => {
  it('say in English what they said before the catalogue, plural included', () => {
    const t = translator('en');
    const counts = { chapter: 'ch3', done: 12, total: 13 };
    expect(t('run.drifted', { ...counts, count: 1, steps: '8 (publish-webui)' })).toBe('ch3: 12/13 steps done. Step 8 (publish-webui) no longer holds (see above): redo it, then run `swarm-workshop check ch3` again.');
    expect(t('run.drifted', { ...counts, count: 2, steps: ['8 (publish-webui)', '9 (scale-workers)'].join(t('run.stepJoin')) })).toBe('ch3: 12/13 steps done. Step 8 (publish-webui), step 9 (scale-workers) no longer hold (see above): redo them, then run `swarm-workshop check ch3` again.');
    expect(t('run.stopped', { ...counts, at: 13, what: t('run.what.check') })).toBe('ch3: stopped at step 13 of 13. Fix what the check says, then run `swarm-workshop run ch3 --yes` again to continue.');
    expect(t('run.done', counts)).toBe('ch3: 12/13 steps done.');
  });

  it('say it in Chinese', () => {
    const t = translator('zh');
    expect(t('run.drifted', { chapter: 'ch3', done: 12, total: 13, count: 2, steps: ['8 (publish-webui)', '9 (scale-workers)'].join(t('run.stepJoin')) })).toBe('ch3：完成 12/13 步。第 8 (publish-webui)、第 9 (scale-workers) 步已不再成立（见上文）：重做之后，再运行 `swarm-workshop check ch3`。');
  });
});
