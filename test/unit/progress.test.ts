import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyProgress, ProgressStore } from '../../runner/progress.js';

const store = () => new ProgressStore(mkdtempSync(join(tmpdir(), 'sw-progress-')));

describe('ProgressStore', () => {
  it('starts fresh when there is no file', () => {
    expect(store().load()).toEqual({ progress: emptyProgress(), status: { kind: 'fresh' } });
  });
  it('round-trips what it saves', () => {
    const s = store();
    s.update((p) => {
      p.steps['ch3/registry-service'] = { status: 'done', at: 'now' };
    });
    expect(s.load().progress.steps['ch3/registry-service']).toEqual({ status: 'done', at: 'now' });
    expect(s.load().status).toEqual({ kind: 'loaded' });
  });
  it('moves a corrupt file aside, keeping its bytes, and starts fresh', () => {
    const s = store();
    writeFileSync(s.file, '{"version": 1, "steps": {');
    const { progress, status } = s.load();
    expect(progress).toEqual(emptyProgress());
    if (status.kind !== 'corrupt') throw new Error(`expected corrupt, got ${status.kind}`);
    expect(readFileSync(status.movedTo, 'utf8')).toBe('{"version": 1, "steps": {');
    expect(existsSync(s.file)).toBe(false);
  });
  it('treats a file of another layout as corrupt too', () => {
    const s = store();
    writeFileSync(s.file, JSON.stringify({ version: 99 }));
    expect(s.load().status.kind).toBe('corrupt');
  });
});
