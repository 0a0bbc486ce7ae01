import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { boardPage } from '../../runner/board/page.js';
import { apply, emptyState, type Report } from '../../runner/board/store.js';
import { classView, type ClassView, type CourseChapter } from '../../runner/board/view.js';

/**
 * The page's own script, run against a small stand-in for the DOM (the browser test of issue 14 does it
 * for real): does it draw the grid, mark the stuck, sort, and redraw on each streamed snapshot? The
 * stand-in has text nodes and elements only, no HTML parser: a learner's string can only ever be text.
 */

class FakeNode {
  children: FakeNode[] = [];
  attrs: Record<string, string> = {};
  listeners: Record<string, ((e: unknown) => void)[]> = {};
  className = '';
  title = '';
  value = '';
  constructor(
    readonly tag: string,
    public data = '',
  ) {}
  get firstChild(): FakeNode | null {
    return this.children[0] ?? null;
  }
  get options(): FakeNode[] {
    return this.children.filter((c) => c.tag === 'option');
  }
  appendChild(child: FakeNode) {
    this.children.push(child);
    return child;
  }
  removeChild(child: FakeNode) {
    this.children = this.children.filter((c) => c !== child);
    return child;
  }
  setAttribute(name: string, value: unknown) {
    this.attrs[name] = String(value);
  }
  addEventListener(type: string, listener: (e: unknown) => void) {
    (this.listeners[type] ??= []).push(listener);
  }
  set textContent(value: string) {
    this.children = [new FakeNode('#text', value)];
  }
  get textContent(): string {
    return this.tag === '#text' ? this.data : this.children.map((c) => c.textContent).join('');
  }
  all(match: (n: FakeNode) => boolean): FakeNode[] {
    return [...(match(this) ? [this] : []), ...this.children.flatMap((c) => c.all(match))];
  }
}

function loadPage() {
  const html = boardPage({ className: 'Class', nonce: 'n' });
  const code = /<script nonce="n">([\s\S]*)<\/script>/.exec(html)![1]!;
  const ids = [...html.matchAll(/id="([^"]+)"/g)].map((m) => m[1]!);
  const elements = new Map(ids.map((id) => [id, new FakeNode(id === 'chapter' || id === 'sort' ? 'select' : 'div')]));
  const created: string[] = [];
  const sources: { listeners: Record<string, (e: { data: string }) => void>; url: string }[] = [];
  let replaced: string | undefined;
  let tick: (() => void) | undefined;
  const context = {
    document: {
      getElementById: (id: string) => elements.get(id) ?? null,
      createElement: (tag: string) => (created.push(tag), new FakeNode(tag)),
      createTextNode: (s: string) => new FakeNode('#text', s),
    },
    location: { search: '?key=secret', pathname: '/' },
    history: { replaceState: (_s: unknown, _t: string, url: string) => void (replaced = url) },
    sessionStorage: { getItem: () => null, setItem: () => undefined },
    EventSource: class {
      listeners: Record<string, (e: { data: string }) => void> = {};
      onerror: unknown;
      constructor(readonly url: string) {
        sources.push(this);
      }
      addEventListener(type: string, listener: (e: { data: string }) => void) {
        this.listeners[type] = listener;
      }
    },
    fetch: () => Promise.resolve({ ok: true }),
    setInterval: (fn: () => void) => void (tick = fn),
  };
  runInNewContext(code, context);
  const send = (view: ClassView) => sources[0]!.listeners.class!({ data: JSON.stringify(view) });
  const rows = () =>
    elements.get('grid')!.all((n) => n.tag === 'tr' && 'data-learner' in n.attrs).map((tr) => ({
      name: tr.children[0]!.textContent,
      statuses: tr.all((n) => 'data-status' in n.attrs).map((n) => n.attrs['data-status']),
      stuck: tr.className === 'stuck',
      on: tr.children.at(-2)!.textContent,
      failing: tr.children.at(-1)!.textContent,
    }));
  return { elements, created, sources, send, rows, replaced: () => replaced, tick: () => tick!() };
}

const course: CourseChapter[] = [
  { id: 'ch3', title: 'Three', steps: ['a', 'b', 'c'].map((id) => ({ id, title: id.toUpperCase() })) },
  { id: 'ch4', title: 'Four', steps: [{ id: 'x', title: 'X' }] },
];

describe('the page script', () => {
  test('draws learners × steps, marks the stuck, sorts, and redraws on each snapshot without reload', () => {
    const page = loadPage();
    // The key leaves the address bar at once; the stream needs no key in its URL (the cookie carries it).
    expect(page.replaced()).toBe('/');
    expect(page.sources.map((s) => s.url)).toEqual(['/api/stream']);

    const state = emptyState();
    const name = '<img src=x onerror=alert(1)>';
    for (const [id, n] of [['l1', 'Ana'], ['l2', name], ['l3', 'Cy']]) apply(state, { kind: 'join', at: 0, learner: id!, name: n!, tokenHash: id! });
    const r = (learner: string, list: Report[]) => apply(state, { kind: 'reports', at: 0, learner, session: 's', reports: list });
    r('l1', [
      { type: 'step-started', seq: 0, at: 1000, chapter: 'ch3', step: 'a' },
      { type: 'step-finished', seq: 1, at: 2000, chapter: 'ch3', step: 'a', status: 'done', durationMs: 1000 },
      { type: 'step-started', seq: 2, at: 3000, chapter: 'ch3', step: 'b' },
    ]);
    r('l2', [
      { type: 'step-started', seq: 0, at: 1000, chapter: 'ch3', step: 'a' },
      { type: 'check', seq: 1, at: 1500, chapter: 'ch3', step: 'a', check: 'k', title: 'registry runs', ok: false, expected: '1 task', actual: '0 tasks' },
    ]);
    const now = 1000 + 120_000;
    page.send(classView(state, course, 'Class', 60_000, now));

    // By progress: Ana (a done, on b), then the learner on a, then Cy who has not started.
    expect(page.rows()).toEqual([
      { name: 'Ana', statuses: ['done', 'running', 'pending'], stuck: false, on: '2 b 1:58', failing: '' },
      { name, statuses: ['running', 'pending', 'pending'], stuck: true, on: '1 a 2:00STUCK', failing: 'registry runs (expected: 1 task; actual: 0 tasks)' },
      { name: 'Cy', statuses: ['pending', 'pending', 'pending'], stuck: false, on: '', failing: '' },
    ]);
    // The name is a text node; no element was made from it.
    expect(page.created).not.toContain('img');
    expect(page.elements.get('summary')!.textContent).toBe('Failing most right now: registry runs (a, 1 learners)');
    expect(page.elements.get('grid')!.all((n) => n.tag === 'tfoot')[0]!.textContent).toBe('finished100');

    // Stuck first.
    const sort = page.elements.get('sort')!;
    sort.listeners.change![0]!({ target: { value: 'stuck' } });
    expect(page.rows().map((x) => x.name)).toEqual([name, 'Cy', 'Ana']);

    // A new snapshot: the grid follows, no reload.
    r('l2', [{ type: 'check', seq: 2, at: 130_000, chapter: 'ch3', step: 'a', check: 'k', title: 'registry runs', ok: true, expected: '1 task', actual: '1 task' }]);
    r('l3', [{ type: 'step-started', seq: 0, at: 130_000, chapter: 'ch3', step: 'c' }]);
    page.send(classView(state, course, 'Class', 60_000, 131_000));
    expect(page.rows().find((x) => x.name === name)).toMatchObject({ stuck: false, failing: '' });
    expect(page.rows().find((x) => x.name === 'Cy')).toMatchObject({ statuses: ['pending', 'pending', 'running'] });
    expect(page.elements.get('summary')!.textContent).toBe('No check is failing right now.');
    expect(page.elements.get('chapter')!.options.map((o) => o.attrs.value)).toEqual(['ch3', 'ch4']);
  });

  test('the help queue shows open hands only, names and texts as text', () => {
    const page = loadPage();
    const state = emptyState();
    apply(state, { kind: 'join', at: 0, learner: 'l1', name: 'Ana', tokenHash: 'h' });
    apply(state, { kind: 'hand', at: 1000, id: 1, learner: 'l1', text: '<b>help</b>' });
    apply(state, { kind: 'hand', at: 1000, id: 2, learner: 'l1', text: 'old' });
    apply(state, { kind: 'resolve', at: 2000, id: 2 });
    apply(state, { kind: 'broadcast', at: 3000, id: 1, text: 'stop at step 5' });
    page.send(classView(state, course, 'Class', 60_000, 61_000));
    const hands = page.elements.get('hands')!.all((n) => 'data-hand' in n.attrs);
    expect(hands.map((h) => [h.attrs['data-hand'], h.textContent])).toEqual([['1', 'Ana 1:00<b>help</b>Done']]);
    expect(page.created).not.toContain('b');
    expect(page.elements.get('sent')!.textContent).toBe('stop at step 5');
  });
});
