import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checks } from '../../checks/index.js';
import { setLanguage } from '../../runner/i18n/language.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir, packageRoot } from '../../runner/paths.js';

/** Every check of the shipped lessons, with its params, keyed as the snapshot file keys them. */
function texts(): Record<string, { title: string; hint: string }> {
  const out: Record<string, { title: string; hint: string }> = {};
  for (const c of loadLessons(lessonsDir).chapters) {
    const refs = [...c.steps.flatMap((s) => s.checks.map((r) => [`${c.id}/${s.id}`, r] as const)), ...(c.startsFrom?.checks ?? []).map((r) => [`${c.id}/starts-from`, r] as const)];
    for (const [where, ref] of refs) {
      const d = checks.get(ref.check)!;
      out[`${where} ${ref.check} ${JSON.stringify(ref.params)}`] = { title: d.title(ref.params), hint: d.hint(ref.params) };
    }
  }
  return out;
}

describe('the checks\' titles and hints', () => {
  afterEach(() => setLanguage({ lang: 'en', source: 'default' }));

  it('in English are word for word what they were before the catalogue (test/fixtures/check-texts.en.json, made from the code before)', () => {
    const before = JSON.parse(readFileSync(join(packageRoot, 'test', 'fixtures', 'check-texts.en.json'), 'utf8'));
    expect(texts()).toEqual(before);
  });

  it('in Chinese are Chinese, with the same commands', () => {
    setLanguage({ lang: 'zh', source: '--lang' });
    const zh = texts();
    for (const [key, { title, hint }] of Object.entries(zh)) {
      expect(title, key).toMatch(/[\u4e00-\u9fff]/);
      expect(hint.length, key).toBeGreaterThan(0);
    }
    expect(zh['ch3/registry-service service-converged {"service":"registry","replicas":1}']).toEqual({
      title: 'registry 运行 1 个任务',
      hint: 'docker service ps registry --no-trunc 显示每个任务的状态和错误',
    });
  });
});
