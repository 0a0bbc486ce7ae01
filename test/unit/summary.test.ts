import { appendFileSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLessons, localize } from '../../runner/lesson/load.js';
import { readIndex, summarize, writeIndex } from '../../runner/lesson/summary.js';
import { lessonsDir } from '../../runner/paths.js';

describe('the index of the lessons that list and the first frame read', () => {
  it('holds the chapters while the lesson files are as they were, and is ignored once one changes', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sw-index-')), 'lessons');
    cpSync(lessonsDir, dir, { recursive: true });
    const file = join(dir, '..', 'index.json');
    const { chapters } = loadLessons(dir);
    writeIndex(dir, { en: chapters, zh: localize(chapters, 'zh') }, file);
    expect(readIndex(dir, file)).toEqual(summarize(chapters));
    expect(readIndex(dir, file, 'zh')?.[0]?.title).toMatch(/^第 3 章/);
    expect(readIndex(dir, file, 'zh')?.[0]?.steps[0]?.title).toBe('在管理节点上运行私有镜像仓库');
    expect(readIndex(dir, file)?.map((c) => [c.id, c.steps.length])).toEqual([['ch3', 13], ['ch4', 7]]);
    appendFileSync(join(dir, 'ch3-registry', '01-registry-service.md'), '\nOne more line.\n');
    expect(readIndex(dir, file)).toBeUndefined();
    expect(readIndex(dir, join(dir, 'no-such-index.json'))).toBeUndefined();
  });
});
