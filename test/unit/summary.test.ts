import { appendFileSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLessons } from '../../runner/lesson/load.js';
import { readIndex, summarize, writeIndex } from '../../runner/lesson/summary.js';
import { lessonsDir } from '../../runner/paths.js';

describe('the index of the lessons that list and the first frame read', () => {
  it('holds the chapters while the lesson files are as they were, and is ignored once one changes', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'sw-index-')), 'lessons');
    cpSync(lessonsDir, dir, { recursive: true });
    const file = join(dir, '..', 'index.json');
    const { chapters } = loadLessons(dir);
    writeIndex(dir, chapters, file);
    expect(readIndex(dir, file)).toEqual(summarize(chapters));
    expect(readIndex(dir, file)?.map((c) => [c.id, c.steps.length])).toEqual([['ch3', 13], ['ch4', 7]]);
    appendFileSync(join(dir, 'ch3-registry', '01-registry-service.md'), '\nOne more line.\n');
    expect(readIndex(dir, file)).toBeUndefined();
    expect(readIndex(dir, join(dir, 'no-such-index.json'))).toBeUndefined();
  });
});
