import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BoardStore, emptyState, apply, type BoardRecord, type Report } from '../../runner/board/store.js';
import { classCsv, classView, csvCell, type CourseChapter } from '../../runner/board/view.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const folder = () => {
  const d = mkdtempSync(join(tmpdir(), 'board-store-'));
  dirs.push(d);
  return d;
};

const course: CourseChapter[] = [
  { id: 'ch3', title: 'Chapter 3', steps: ['one', 'two', 'three'].map((id) => ({ id, title: `Step ${id}` })) },
];

const join1: BoardRecord = { kind: 'join', at: 1000, learner: 'la', name: 'Ana', tokenHash: 'ha' };
const join2: BoardRecord = { kind: 'join', at: 1001, learner: 'lb', name: 'Bo', tokenHash: 'hb' };
const reports = (learner: string, session: string, list: Report[], at = 2000): BoardRecord => ({ kind: 'reports', at, learner, session, reports: list });
const started = (seq: number, step: string, at: number): Report => ({ type: 'step-started', seq, at, chapter: 'ch3', step });
const check = (seq: number, step: string, ok: boolean, at: number, title = `check of ${step}`): Report => ({
  type: 'check', seq, at, chapter: 'ch3', step, check: 'service-image', title, ok, expected: 'image v2', actual: ok ? 'image v2' : 'image v1',
});
const finished = (seq: number, step: string, at: number): Report => ({ type: 'step-finished', seq, at, chapter: 'ch3', step, status: 'done', durationMs: 5000 });

function fill(store: BoardStore) {
  store.append(join1);
  store.append(join2);
  store.append(reports('la', 's1', [started(0, 'one', 1100), check(1, 'one', true, 1200), finished(2, 'one', 1300), started(3, 'two', 1400), check(4, 'two', false, 1500)]));
  store.append({ kind: 'hand', at: 1600, id: 1, learner: 'lb', text: 'help' });
  store.append({ kind: 'broadcast', at: 1700, id: 1, text: 'stop at step 2' });
  store.append({ kind: 'resolve', at: 1800, id: 1 });
}

describe('the log', () => {
  test('replaying it rebuilds the same class', () => {
    const dir = folder();
    const first = new BoardStore(dir);
    fill(first);
    first.close();
    expect(statSync(join(dir, 'board.jsonl')).mode & 0o777).toBe(0o600);
    const again = new BoardStore(dir);
    expect(again.notices).toEqual([]);
    expect(again.state).toEqual(first.state);
    const ana = again.state.learners.get('la')!;
    expect(ana.reports).toBe(5);
    expect(ana.chapters.ch3).toMatchObject({ current: 'two', since: 1400, steps: { one: { status: 'done', durationMs: 5000 }, two: { status: 'running' } } });
    expect(again.state.hands).toEqual([{ id: 1, learner: 'lb', text: 'help', at: 1600, resolvedAt: 1800 }]);
    again.close();
  });

  test('a last line cut off by a crash is ignored with a notice, cut away, and the log goes on', () => {
    const dir = folder();
    const store = new BoardStore(dir);
    fill(store);
    store.close();
    const file = join(dir, 'board.jsonl');
    const whole = readFileSync(file, 'utf8');
    appendFileSync(file, '{"kind":"reports","at":3000,"learner":"la","session":"s1","rep');

    const again = new BoardStore(dir);
    expect(again.notices).toHaveLength(1);
    expect(again.notices[0]).toMatch(/cut off .*ignored/);
    expect(again.state.learners.get('la')!.reports).toBe(5);
    // The torn bytes are gone, so the next record starts on a line of its own.
    expect(readFileSync(file, 'utf8')).toBe(whole);
    again.append(reports('la', 's1', [check(5, 'two', true, 3100)]));
    again.close();

    const third = new BoardStore(dir);
    expect(third.notices).toEqual([]);
    expect(third.state.learners.get('la')!.reports).toBe(6);
    third.close();
  });

  test('a damaged line inside the log is skipped with a notice, never a crash', () => {
    const dir = folder();
    writeFileSync(join(dir, 'board.jsonl'), `${JSON.stringify(join1)}\nnot json at all\n{"kind":"nope","at":1}\n${JSON.stringify(join2)}\n`);
    const store = new BoardStore(dir);
    expect(store.notices).toHaveLength(2);
    expect([...store.state.learners.keys()]).toEqual(['la', 'lb']);
    store.close();
  });

  test('a batch sent again (its answer was lost) counts once; a new session of the same learner counts on its own', () => {
    const state = emptyState();
    apply(state, join1);
    const batch = reports('la', 's1', [started(0, 'one', 1), check(1, 'one', false, 2)]);
    apply(state, batch);
    apply(state, batch);
    apply(state, reports('la', 's1', [check(1, 'one', false, 2), check(2, 'one', true, 3)]));
    expect(state.learners.get('la')!.reports).toBe(3);
    apply(state, reports('la', 's2', [started(0, 'two', 4)]));
    expect(state.learners.get('la')!.reports).toBe(4);
    expect(state.learners.get('la')!.chapters.ch3!.current).toBe('two');
  });
});

describe('what the board shows', () => {
  test('stuck: same step, failing checks, past the threshold; not before, not once they pass', () => {
    const state = emptyState();
    apply(state, join1);
    apply(state, join2);
    apply(state, reports('la', 's', [started(0, 'two', 10_000), check(1, 'two', false, 11_000)]));
    apply(state, reports('lb', 's', [started(0, 'two', 10_000), check(1, 'two', true, 11_000)]));
    let view = classView(state, course, 'c', 60_000, 20_000);
    const ana = view.learners.find((l) => l.id === 'la')!.chapters.ch3!;
    expect(ana.stuckAt).toBe(70_000);
    expect(ana.lastFailing).toMatchObject({ title: 'check of two', expected: 'image v2', actual: 'image v1' });
    expect(view.learners.find((l) => l.id === 'lb')!.chapters.ch3!.stuckAt).toBeUndefined();

    apply(state, reports('la', 's', [check(2, 'two', true, 80_000)]));
    view = classView(state, course, 'c', 60_000, 80_000);
    expect(view.learners.find((l) => l.id === 'la')!.chapters.ch3!.stuckAt).toBeUndefined();
    expect(view.learners.find((l) => l.id === 'la')!.chapters.ch3!.lastFailing).toBeUndefined();
  });

  test('the summary counts who finished each step and names the check failing for most learners now', () => {
    const state = emptyState();
    for (const [id, name] of [['l1', 'A'], ['l2', 'B'], ['l3', 'C']]) apply(state, { kind: 'join', at: 0, learner: id!, name: name!, tokenHash: id! });
    apply(state, reports('l1', 's', [started(0, 'one', 1), finished(1, 'one', 2), started(2, 'two', 3), check(3, 'two', false, 4, 'rng runs')]));
    apply(state, reports('l2', 's', [started(0, 'one', 1), finished(1, 'one', 2), started(2, 'two', 3), check(3, 'two', false, 4, 'rng runs'), check(4, 'two', false, 5, 'hasher runs')]));
    // A failure on a step left behind is not "now".
    apply(state, reports('l3', 's', [started(0, 'one', 1), check(1, 'one', false, 2, 'registry runs'), started(2, 'three', 3)]));
    const summary = classView(state, course, 'c', 60_000, 10).summary.ch3!;
    expect(summary.finished).toEqual({ one: 2, two: 0, three: 0 });
    expect(summary.failingMost).toEqual({ step: 'two', check: 'service-image', title: 'rng runs', learners: 2 });
  });

  test('the CSV: a cell never starts a formula, and quotes, commas and line breaks stay inside their cell', () => {
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    for (const start of ['+', '-', '@', '\t', '\r']) expect(csvCell(`${start}1+1`)).toBe(`"'${start}1+1"`);
    expect(csvCell('Ana, "the" best\nline')).toBe('"Ana, ""the"" best\nline"');
    expect(csvCell('plain')).toBe('"plain"');

    const state = emptyState();
    apply(state, { kind: 'join', at: 0, learner: 'lx', name: '=cmd|\' /C calc\'!A0', tokenHash: 'h' });
    apply(state, reports('lx', 's', [started(0, 'one', 1000), check(1, 'one', false, 1000, '@SUM(1)')]));
    const lines = classCsv(state, course, 61_000).trimEnd().split('\r\n');
    expect(lines[0]).toBe('"learner","name","chapter","step","title","status","seconds","current","failing check","expected","actual"');
    expect(lines[1]).toBe(`"lx","'=cmd|' /C calc'!A0","ch3","one","Step one","running","60","yes","'@SUM(1)","image v2","image v1"`);
    expect(lines).toHaveLength(1 + course[0]!.steps.length);
  });
});
