import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../runner/paths.js';
import { cliPath } from '../support/cli.js';
import { setLanguage } from '../../runner/i18n/language.js';
import { emptyProgress, noticeProgress, ProgressAccessError, progressRecorder, ProgressStore } from '../../runner/progress.js';

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
  it('treats wrong shapes as corrupt: null steps, arrays, bad measurements, unknown status', () => {
    for (const bad of [
      { version: 1, steps: null, created: [] },
      [],
      { version: 1, steps: [], created: [] },
      { version: 1, steps: {}, created: [], measurements: [{ chapter: 'ch3', value: 'fast' }] },
      { version: 1, steps: { 'ch3/x': { status: 'finished', at: 'now' } }, created: [] },
      { version: 1, steps: {}, created: [{ kind: 'volume', name: 'x' }] },
      { version: 0 },
    ]) {
      const s = store();
      writeFileSync(s.file, JSON.stringify(bad));
      const { status, progress } = s.load();
      expect(status.kind, JSON.stringify(bad)).toBe('corrupt');
      expect(progress).toEqual(emptyProgress());
      // Every later command works with what replaced it.
      s.update((p) => void (p.steps['ch3/a'] = { status: 'done', at: 'now' }));
      expect(s.load().status.kind).toBe('loaded');
    }
  });
  it('fills the parts an older file of the same version lacks', () => {
    const s = store();
    writeFileSync(s.file, JSON.stringify({ version: 1, steps: { 'ch3/a': { status: 'done', at: 'now' } } }));
    expect(s.load()).toEqual({ progress: { ...emptyProgress(), steps: { 'ch3/a': { status: 'done', at: 'now' } } }, status: { kind: 'loaded' } });
  });
  it('keeps a file written by a newer version untouched, and does not write over it', () => {
    const s = store();
    const newer = JSON.stringify({ version: 99, steps: { something: 'new' } });
    writeFileSync(s.file, newer);
    expect(s.load().status).toEqual({ kind: 'newer', version: 99 });
    expect(s.save(emptyProgress())).toBe(false);
    s.update((p) => void (p.steps['ch3/a'] = { status: 'done', at: 'now' }));
    expect(readFileSync(s.file, 'utf8')).toBe(newer);
  });
  // The kernel's own refusals: as root every permission check passes, so the code runs as "nobody".
  const asNobody = (script: string, env: NodeJS.ProcessEnv = {}) =>
    process.getuid?.() === 0
      ? execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'node', '--input-type=module', '-e', script], { reject: false, env: { ...process.env, ...env } })
      : execa('node', ['--input-type=module', '-e', script], { reject: false, env: { ...process.env, ...env } });
  const shared = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-progress-'));
    chmodSync(dir, 0o755);
    return dir;
  };

  it('a file it cannot read (another user\'s, mode 600): `list` says whose and how to fix it, and changes nothing', async () => {
    const dir = shared();
    const file = join(dir, 'progress.json');
    writeFileSync(file, JSON.stringify({ ...emptyProgress(), steps: { 'ch3/registry-service': { status: 'done', at: 'then' } } }));
    chmodSync(file, 0o600);
    if (process.getuid?.() !== 0) chmodSync(file, 0o000);
    const r = await asNobody(`process.argv[2] = 'list'; await import(${JSON.stringify(cliPath)});`, { SWARM_WORKSHOP_HOME: dir });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain(`cannot read the progress file ${file}: permission denied`);
    expect(r.stderr).toContain('sudo chown -R');
    expect(r.stderr).not.toContain('internal error');
    expect(readdirSync(dir)).toEqual(['progress.json']);
  });

  it('a folder it cannot write (made by a run with sudo): stops with the fix, changes nothing', async () => {
    if (process.getuid?.() !== 0) return; // only root can make a folder another user cannot write here
    const dir = shared();
    const before = JSON.stringify(emptyProgress());
    writeFileSync(join(dir, 'progress.json'), before);
    const r = await asNobody(`
      const { ProgressStore } = await import(${JSON.stringify(join(packageRoot, 'dist/runner/progress.js'))});
      try { new ProgressStore(${JSON.stringify(dir)}).update((p) => { p.steps['ch3/a'] = { status: 'done', at: 'now' }; }); }
      catch (e) { console.log(JSON.stringify({ name: e.constructor.name, message: e.message, next: e.nextSteps })); }`);
    const error = JSON.parse(r.stdout) as { name: string; message: string; next: string[] };
    expect(error.name).toBe('ProgressAccessError');
    expect(error.message).toContain(`cannot write the progress folder ${dir}: permission denied, it is owned by root`);
    expect(error.next[0]).toBe(`give it back to your user: \`sudo chown -R 65534:65534 ${dir}\``);
    expect(readFileSync(join(dir, 'progress.json'), 'utf8')).toBe(before);
  });
});

describe('progress as a subscriber of the events', () => {
  it('keeps when a step was first done, and forgets a step that check mode saw no longer holds', () => {
    const s = store();
    const record = progressRecorder(s);
    const finished = (status: 'done' | 'failed') => record({ type: 'step-finished', chapter: 'ch3', step: 'publish-webui', status, durationMs: 0 });
    finished('done');
    const first = s.load().progress.steps['ch3/publish-webui'];
    expect(first?.status).toBe('done');
    finished('done');
    expect(s.load().progress.steps['ch3/publish-webui']).toEqual(first);
    finished('failed');
    expect(s.load().progress.steps['ch3/publish-webui']).toBeUndefined();
  });
});

describe('what progress says, in the run\'s language', () => {
  afterEach(() => setLanguage({ lang: 'en', source: 'default' }));
  const denied = () => new ProgressAccessError('/nonexistent/progress.json', 'read', Object.assign(new Error('EACCES'), { code: 'EACCES' }));
  const notices = () => {
    let text = '';
    noticeProgress({ kind: 'corrupt', reason: 'steps: must be a mapping', movedTo: '/h/progress.json.bad' }, (t) => void (text += t));
    noticeProgress({ kind: 'newer', version: 2 }, (t) => void (text += t));
    noticeProgress({ kind: 'loaded' }, (t) => void (text += t));
    return text;
  };

  it('in English as before', () => {
    expect(denied().message).toBe('cannot read the progress file /nonexistent/progress.json: permission denied; nothing was changed');
    expect(denied().nextSteps[1]).toBe('or keep progress elsewhere: `export SWARM_WORKSHOP_HOME=<a folder of yours>`');
    expect(notices()).toBe('notice: the progress file could not be read (steps: must be a mapping); it was kept as /h/progress.json.bad and progress starts fresh.\n'
      + '        `swarm-workshop check <chapter>` ticks off again the steps your cluster already shows done.\n'
      + 'notice: the progress file was written by a newer swarm-workshop (format 2); it is left as it is, and this run keeps no progress.\n'
      + '        use the newer version (`npx swarm-workshop@latest`), or set SWARM_WORKSHOP_HOME to another folder.\n');
  });

  it('in Chinese, paths and commands kept', () => {
    setLanguage({ lang: 'zh', source: '--lang' });
    expect(denied().message).toBe('无法读取进度文件 /nonexistent/progress.json：权限不足；没有做任何改动');
    expect(denied().nextSteps[0]).toMatch(/^把它交还给你的用户：`sudo chown -R /);
    const text = notices();
    expect(text).toContain('/h/progress.json.bad');
    expect(text).toContain('`swarm-workshop check <章节>`');
    expect(text).toContain('（格式 2）');
    expect(text).not.toMatch(/notice|progress file/);
  });
});
