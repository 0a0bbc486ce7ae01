import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Script } from 'node:vm';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { createReporter, pollBroadcasts, raiseHand } from '../../runner/board/reporter.js';
import { startBoard, type Board, type BoardOptions } from '../../runner/board/server.js';
import type { ClassView } from '../../runner/board/view.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function board(options: Partial<BoardOptions> = {}): Promise<Board> {
  const dir = mkdtempSync(join(tmpdir(), 'board-'));
  const b = await startBoard({ host: '127.0.0.1', port: 0, dir, className: 'Test class', stuckAfterMs: 60_000, ...options });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => b.close());
  folders.set(b, dir);
  return b;
}
const folders = new Map<Board, string>();
const dirOf = (b: Board) => folders.get(b)!;

const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});

async function joinAs(b: Board, name: string): Promise<{ learner: string; token: string }> {
  const r = await fetch(`${b.url}/api/join`, json({ code: b.code, name }));
  expect(r.status).toBe(200);
  return (await r.json()) as { learner: string; token: string };
}

async function classOf(b: Board): Promise<ClassView> {
  const r = await fetch(`${b.url}/api/class`, { headers: { authorization: `Bearer ${b.instructorKey}` } });
  expect(r.status).toBe(200);
  return (await r.json()) as ClassView;
}

const started = (seq: number, step = 'registry-service', at = Date.now()) => ({ type: 'step-started', seq, at, chapter: 'ch3', step });

describe('joining and who may do what', () => {
  test('the join code gives a token of the learner’s own; codes are compared whatever their case and dashes', async () => {
    const b = await board();
    expect(b.joinLine).toBe(`swarm-workshop join http://127.0.0.1:${b.port} ${b.code}`);
    expect(b.code).toMatch(/^[A-Z2-9]{10}$/);
    expect(b.boardUrl).toContain(b.instructorKey);
    expect(b.joinLine).not.toContain(b.instructorKey);
    // Bound to the address it was given, and to no other.
    expect(b.app.server.address()).toMatchObject({ address: '127.0.0.1', port: b.port });
    // A second board on the same port says why it cannot start.
    const other = mkdtempSync(join(tmpdir(), 'board-'));
    cleanups.push(() => rmSync(other, { recursive: true, force: true }));
    await expect(startBoard({ host: '127.0.0.1', port: b.port, dir: other, className: 'x', stuckAfterMs: 1 })).rejects.toThrow(/EADDRINUSE/);

    const spaced = `${b.code.slice(0, 5).toLowerCase()}-${b.code.slice(5)}`;
    const r = await fetch(`${b.url}/api/join`, json({ code: spaced, name: '  Ana  ' }));
    expect(r.status).toBe(200);
    const ana = (await r.json()) as { learner: string; token: string; name: string };
    expect(ana.name).toBe('Ana');
    const bo = await joinAs(b, 'Bo');
    expect(ana.token).not.toBe(bo.token);

    // One character off: refused.
    const last = b.code.at(-1) === 'A' ? 'B' : 'A';
    const wrong = await fetch(`${b.url}/api/join`, json({ code: b.code.slice(0, -1) + last, name: 'Eve' }));
    expect(wrong.status).toBe(403);

    // A learner's token reports for that learner only.
    expect((await fetch(`${b.url}/api/events`, json({ session: 'session-ana', sentAt: Date.now(), reports: [started(0)] }, ana.token))).status).toBe(200);
    const view = await classOf(b);
    expect(view.learners.map((l) => [l.name, l.reports]).sort()).toEqual([['Ana', 1], ['Bo', 0]]);
    expect(JSON.stringify(view)).not.toContain(ana.token);
    // The log keeps hashes of tokens, never the tokens; it and the secrets are the instructor's only.
    const log = join(dirOf(b), 'board.jsonl');
    expect(readFileSync(log, 'utf8')).not.toContain(ana.token);
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(statSync(join(dirOf(b), 'secrets.json')).mode & 0o777).toBe(0o600);
  });

  test('the instructor key opens the page, the class, the stream, broadcasts and the export; a learner token opens none', async () => {
    const b = await board();
    const ana = await joinAs(b, 'Ana');
    const learner = { authorization: `Bearer ${ana.token}` };
    const routes: [string, RequestInit][] = [
      ['/', { headers: learner }],
      ['/api/class', { headers: learner }],
      ['/api/stream', { headers: learner }],
      ['/export.csv', { headers: learner }],
      ['/api/broadcast', json({ text: 'hi' }, ana.token)],
      ['/api/hand/1/resolve', json({}, ana.token)],
      [`/api/class?key=${b.code}`, {}],
      ['/api/class', {}],
    ];
    for (const [path, init] of routes) expect([path, (await fetch(`${b.url}${path}`, init)).status]).toEqual([path, 401]);

    const page = await fetch(b.boardUrl);
    expect(page.status).toBe(200);
    // The key is traded for a cookie, so that the page can leave it out of the address bar.
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toBe(`swb_${b.port}=${b.instructorKey}`);
    expect((await fetch(`${b.url}/api/class`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${b.url}/export.csv`, { headers: { cookie } })).status).toBe(200);
  });

  test('hands and broadcasts go both ways', async () => {
    const b = await board();
    const ana = await joinAs(b, 'Ana');
    const call = { url: b.url, token: ana.token };
    expect(await pollBroadcasts({ ...call, since: 0 })).toEqual({ broadcasts: [], last: 0 });
    const up = await raiseHand({ ...call, text: 'the registry does not answer' });
    expect(up).toEqual({ ok: true, id: 1 });
    // A second press keeps the learner's place.
    expect(await raiseHand(call)).toEqual({ ok: true, id: 1 });
    let view = await classOf(b);
    expect(view.hands).toMatchObject([{ id: 1, name: 'Ana', text: 'the registry does not answer' }]);
    expect(view.hands[0]!.resolvedAt).toBeUndefined();

    const key = { authorization: `Bearer ${b.instructorKey}` };
    expect((await fetch(`${b.url}/api/hand/1/resolve`, { method: 'POST', headers: key })).status).toBe(200);
    expect((await fetch(`${b.url}/api/hand/9/resolve`, { method: 'POST', headers: key })).status).toBe(404);
    view = await classOf(b);
    expect(view.hands[0]!.resolvedAt).toBeTypeOf('number');

    for (const text of ['stop at step 5', 'the registry is back']) {
      expect((await fetch(`${b.url}/api/broadcast`, { ...json({ text }), headers: { ...key, 'content-type': 'application/json' } })).status).toBe(200);
    }
    const all = await pollBroadcasts({ ...call, since: 0 });
    expect(all.broadcasts.map((x) => x.text)).toEqual(['stop at step 5', 'the registry is back']);
    expect(all.last).toBe(2);
    expect((await pollBroadcasts({ ...call, since: 1 })).broadcasts.map((x) => x.text)).toEqual(['the registry is back']);
    // An unknown token reads nothing, and says so by an empty list rather than an exception.
    expect(await pollBroadcasts({ ...call, token: 'nope', since: 0 })).toEqual({ broadcasts: [], last: 0 });
  });

  test('the rate limit is per learner: one learner over it does not stop another', async () => {
    const b = await board({ ratePerMinute: 5 });
    const ana = await joinAs(b, 'Ana');
    const bo = await joinAs(b, 'Bo');
    const poll = (token: string) => fetch(`${b.url}/api/broadcasts?since=0`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push(await poll(ana.token));
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(await poll(bo.token)).toBe(200);
  });
});

describe('bad reports', () => {
  test('at least twenty kinds are refused with a 4xx, change nothing, and the board keeps serving', async () => {
    const b = await board();
    const ana = await joinAs(b, 'Ana');
    const bo = await joinAs(b, 'Bo');
    const ok = await fetch(`${b.url}/api/events`, json({ session: 'session-ana', sentAt: Date.now(), reports: [started(0)] }, ana.token));
    expect(ok.status).toBe(200);
    const log = join(dirOf(b), 'board.jsonl');
    const logBefore = readFileSync(log, 'utf8');
    const before = await classOf(b);

    const now = Date.now();
    const batch = (reports: unknown[], extra: object = {}) => ({ session: 'session-ana', sentAt: Date.now(), reports, ...extra });
    const check = { type: 'check', seq: 5, at: now, chapter: 'ch3', step: 'registry-service', check: 'service-image', title: 'registry runs', ok: false, expected: 'a', actual: 'b' };
    const post = (path: string, body: unknown, token?: string | null, headers: Record<string, string> = {}) =>
      fetch(`${b.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const events = (body: unknown, token: string | null = ana.token, headers?: Record<string, string>) => post('/api/events', body, token, headers);

    const cases: [string, () => Promise<Response>, number][] = [
      ['bad join code', () => post('/api/join', { code: 'AAAAAAAAAA', name: 'Eve' }), 403],
      ['join without a name', () => post('/api/join', { code: b.code }), 400],
      ['join with an empty name', () => post('/api/join', { code: b.code, name: '   ' }), 400],
      ['join with a control character in the name', () => post('/api/join', { code: b.code, name: 'Eve\u001b[31m' }), 400],
      ['join with a right-to-left override in the name', () => post('/api/join', { code: b.code, name: 'Eve\u202egnp.exe' }), 400],
      ['join with too long a name', () => post('/api/join', { code: b.code, name: 'E'.repeat(41) }), 400],
      ['report without a token', () => events(batch([started(1)]), null), 401],
      ['report with a made-up token', () => events(batch([started(1)]), 'x'.repeat(43)), 401],
      ['report with the join code as token', () => events(batch([started(1)]), b.code), 401],
      ['bad JSON', () => events('{"session": "session-ana", "sentAt": 1, "reports": [', ana.token), 400],
      ['not JSON at all', () => events('session=x', ana.token, { 'content-type': 'application/x-www-form-urlencoded' }), 415],
      ['huge body', () => events(batch([{ ...check, actual: 'x'.repeat(20_000) }]), ana.token), 413],
      ['unknown step', () => events(batch([started(1, 'drop-tables')])), 400],
      ['unknown chapter', () => events(batch([{ ...started(1), chapter: 'ch99' }])), 400],
      ['unknown event type', () => events(batch([{ type: 'rm-rf', seq: 1, at: now, chapter: 'ch3', step: 'registry-service' }])), 400],
      ['wrong type: ok as a string', () => events(batch([{ ...check, ok: 'yes' }])), 400],
      ['wrong type: seq as a string', () => events(batch([{ ...started(1), seq: '1' }])), 400],
      ['missing field: no step', () => events(batch([{ type: 'step-started', seq: 1, at: now, chapter: 'ch3' }])), 400],
      ['missing field: no session', () => events({ sentAt: now, reports: [started(1)] }), 400],
      ['too many reports in a batch', () => events(batch(Array.from({ length: 101 }, (_, i) => started(i + 1)))), 400],
      ['an empty batch', () => events(batch([])), 400],
      ['negative time', () => events(batch([started(1, 'registry-service', -5)])), 400],
      ['negative duration', () => events(batch([{ type: 'step-finished', seq: 1, at: now, chapter: 'ch3', step: 'registry-service', status: 'done', durationMs: -1 }])), 400],
      ['a step status the board does not know', () => events(batch([{ type: 'step-finished', seq: 1, at: now, chapter: 'ch3', step: 'registry-service', status: 'pwned', durationMs: 1 }])), 400],
      ['an unknown mode', () => events(batch([{ type: 'mode', seq: 1, at: now, chapter: 'ch3', mode: 'root' }])), 400],
      ['a report timed after its batch was sent', () => events(batch([started(1, 'registry-service', now + 60_000)])), 400],
      ['another learner’s id in the batch', () => events(batch([started(1)], { learner: bo.learner })), 400],
      ['another learner’s id in a report', () => events(batch([{ ...started(1), learner: bo.learner }])), 400],
      ['a good report beside a bad one', () => events(batch([started(1, 'push-test-image'), started(2, 'nope')])), 400],
      ['too long a check title', () => events(batch([{ ...check, title: 't'.repeat(201) }])), 400],
      ['a session id that is not one', () => events(batch([started(1)], { session: '../../etc' })), 400],
      ['too long a hand', () => post('/api/hand', { text: 'h'.repeat(201) }, ana.token), 400],
      ['a hand with a token it does not know', () => post('/api/hand', {}, 'nope'), 401],
      ['broadcasts since a negative id', () => fetch(`${b.url}/api/broadcasts?since=-1`, { headers: { authorization: `Bearer ${ana.token}` } }), 400],
      ['broadcast with a learner token', () => post('/api/broadcast', { text: 'free pizza' }, ana.token), 401],
      ['read the class with a learner token', () => fetch(`${b.url}/api/class`, { headers: { authorization: `Bearer ${ana.token}` } }), 401],
      ['export with a learner token', () => fetch(`${b.url}/export.csv?key=${ana.token}`), 401],
      ['resolve a hand with a learner token', () => post('/api/hand/1/resolve', {}, ana.token), 401],
      ['an empty broadcast from the instructor', () => post('/api/broadcast', { text: '' }, b.instructorKey), 400],
    ];
    expect(cases.length).toBeGreaterThanOrEqual(20);
    for (const [what, send, status] of cases) {
      const r = await send();
      expect([what, r.status]).toEqual([what, status]);
      // The board answers in JSON, and is still there.
      expect((await fetch(`${b.url}/api/broadcasts`, { headers: { authorization: `Bearer ${bo.token}` } })).status).toBe(200);
    }

    // Nothing changed: the log is byte for byte what it was, and so is the class.
    expect(readFileSync(log, 'utf8')).toBe(logBefore);
    const after = await classOf(b);
    expect({ ...after, now: 0 }).toEqual({ ...before, now: 0 });
  });
});


describe('the page', () => {
  test('is one self-contained page: no outside asset, no script but its own, no learner string turned into markup', async () => {
    const b = await board({ className: '<b>Class</b> & co' });
    const script = '<script>alert(1)</script>';
    const eve = await joinAs(b, script);
    expect(await raiseHand({ url: b.url, token: eve.token, text: '</li><img src=x onerror=alert(2)>' })).toMatchObject({ ok: true });

    const r = await fetch(b.boardUrl);
    const html = await r.text();
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    // Names and hands are not in the page at all: the script draws them from JSON with text nodes.
    expect(html).not.toContain('alert(');
    expect(html).toContain('&#60;b&#62;Class&#60;/b&#62; &#38; co');
    expect(html).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    // Nothing from anywhere else.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/@import|url\(/);
    // And even so, the browser would run no script the page did not bring.
    const csp = r.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(html.match(/<script[^>]*>/g)).toEqual([`<script nonce="${nonce}">`]);
    // The page's script is JavaScript a browser will compile.
    const code = /<script[^>]*>([\s\S]*)<\/script>/.exec(html)![1]!;
    expect(() => new Script(code)).not.toThrow();

    // The class data is JSON, never HTML.
    const data = await fetch(`${b.url}/api/class`, { headers: { authorization: `Bearer ${b.instructorKey}` } });
    expect(data.headers.get('content-type')).toMatch(/^application\/json/);
    expect(data.headers.get('x-content-type-options')).toBe('nosniff');
    const view = (await data.json()) as ClassView;
    expect(view.learners[0]!.name).toBe(script);
    expect(view.chapters.find((c) => c.id === 'ch3')!.steps).toHaveLength(13);
    expect(view.chapters.find((c) => c.id === 'ch4')!.steps).toHaveLength(7);
  });

  test('the stream sends the class at once, then again when a learner reports, without a reload', async () => {
    const b = await board();
    const ana = await joinAs(b, 'Ana');
    const controller = new AbortController();
    const r = await fetch(`${b.url}/api/stream`, { headers: { authorization: `Bearer ${b.instructorKey}` }, signal: controller.signal });
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextClass = async (): Promise<ClassView> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^event: class\ndata: (.*)$/s.exec(message);
          if (data) return JSON.parse(data[1]!) as ClassView;
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    };
    const first = await nextClass();
    expect(first.learners.map((l) => l.name)).toEqual(['Ana']);
    expect(first.learners[0]!.chapters).toEqual({});

    const now = Date.now();
    const failing = { type: 'check', seq: 1, at: now, chapter: 'ch3', step: 'registry-service', check: 'service-image', title: 'registry runs', ok: false, expected: 'running', actual: 'no such service' };
    expect((await fetch(`${b.url}/api/events`, json({ session: 'session-ana', sentAt: now, reports: [started(0, 'registry-service', now), failing] }, ana.token))).status).toBe(200);
    const second = await nextClass();
    expect(second.learners[0]!.chapters.ch3).toMatchObject({ current: 'registry-service', lastFailing: { title: 'registry runs', actual: 'no such service' } });
    expect(second.learners[0]!.chapters.ch3!.stuckAt).toBe(second.learners[0]!.chapters.ch3!.since! + 60_000);
    expect(second.summary.ch3!.failingMost).toMatchObject({ title: 'registry runs', learners: 1 });
    controller.abort();
  });

  test('the export is CSV with every formula defused', async () => {
    const b = await board();
    const eve = await joinAs(b, '=HYPERLINK("http://evil")');
    const now = Date.now();
    await fetch(`${b.url}/api/events`, json({ session: 'session-eve', sentAt: now, reports: [started(0, 'registry-service', now)] }, eve.token));
    const r = await fetch(`${b.url}/export.csv`, { headers: { authorization: `Bearer ${b.instructorKey}` } });
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="Test_class.csv"');
    const rows = (await r.text()).trimEnd().split('\r\n');
    expect(rows).toHaveLength(1 + 13);
    expect(rows[1]).toMatch(/^"l[0-9a-f]+","'=HYPERLINK\(""http:\/\/evil""\)","ch3","registry-service",".+","running","\d+","yes","","",""$/);
  });
});
