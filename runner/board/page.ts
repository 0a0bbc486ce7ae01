import { currentLanguage } from '../i18n/language.js';
import { say } from '../i18n/messages.js';

/**
 * The board's page: one HTML string with its style and script inline (the class may have no internet,
 * and the page loads nothing from anywhere). It draws what GET /api/class and the /api/stream events say,
 * with DOM nodes and text nodes only: no learner's string (a name, a hand's text, a check's output) ever
 * goes through innerHTML, so none can become markup. Large type and strong colours for a projector.
 */

/** The page's words, in the board's language. */
const pageText = () => ({
  title: say('board.page.title'),
  chapter: say('board.page.chapter'),
  sort: say('board.page.sort'),
  byProgress: say('board.page.byProgress'),
  byStuck: say('board.page.byStuck'),
  byName: say('board.page.byName'),
  export: say('board.page.export'),
  learner: say('board.page.learner'),
  onStep: say('board.page.onStep'),
  failing: say('board.page.failing'),
  stuck: say('board.page.stuck'),
  finished: say('board.page.finished'),
  failingMost: say('board.page.failingMost'),
  learners: say('board.page.learners'),
  nothingFailing: say('board.page.nothingFailing'),
  noLearners: say('board.page.noLearners'),
  hands: say('board.page.hands'),
  noHands: say('board.page.noHands'),
  resolve: say('board.page.resolve'),
  broadcast: say('board.page.broadcast'),
  send: say('board.page.send'),
  sent: say('board.page.sent'),
  live: say('board.page.live'),
  offline: say('board.page.offline'),
  expected: say('board.page.expected'),
  actual: say('board.page.actual'),
  waiting: say('board.page.waiting'),
  learnersCount: say('board.page.learnersCount'),
});
type PageText = ReturnType<typeof pageText>;

const style = `
:root { color-scheme: dark; --bg: #0b0d10; --fg: #f4f6f8; --dim: #a9b1ba; --line: #2b323a; --done: #27c46b;
  --run: #3d9bff; --fail: #ff5a5a; --skip: #8a8f96; --stuck: #ffd400; --panel: #151a20; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 20px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display: flex; flex-wrap: wrap; gap: 1.2em; align-items: center; padding: .6em 1em; background: var(--panel); border-bottom: 2px solid var(--line); }
h1 { font-size: 1.5em; margin: 0 1em 0 0; }
select, input, button, a.button { font: inherit; color: var(--fg); background: #222a33; border: 2px solid #56616d; border-radius: 6px; padding: .2em .5em; }
a.button { text-decoration: none; }
button { cursor: pointer; }
#status { font-weight: 700; }
#status.live { color: var(--done); }
#status.off { color: var(--fail); }
main { display: grid; grid-template-columns: minmax(0, 1fr) 22em; gap: 1em; padding: 1em; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: .3em .4em; text-align: left; vertical-align: middle; }
th { color: var(--dim); font-weight: 600; }
th.step { text-align: center; font-size: .8em; min-width: 2.2em; }
td.cell { text-align: center; padding: .2em; }
.sq { display: inline-block; width: 1.6em; height: 1.6em; border-radius: 4px; background: #20262d; border: 2px solid #303841; }
.sq.done { background: var(--done); border-color: var(--done); }
.sq.running { background: var(--run); border-color: var(--run); }
.sq.failed { background: var(--fail); border-color: var(--fail); }
.sq.skipped { background: var(--skip); border-color: var(--skip); }
.sq.current { outline: 3px solid var(--fg); outline-offset: 1px; }
td.name { font-weight: 700; max-width: 12em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.on { white-space: nowrap; }
td.fail { color: #ffb3b3; font-size: .85em; max-width: 28em; }
.badge { display: inline-block; background: var(--stuck); color: #000; font-weight: 800; padding: 0 .4em; border-radius: 4px; margin-left: .4em; }
tr.stuck td { background: rgba(255, 212, 0, .12); }
tfoot td { color: var(--dim); font-size: .85em; text-align: center; }
#summary { margin: .6em 0 1em; font-size: 1.1em; }
#summary strong { color: var(--stuck); }
aside section { background: var(--panel); border: 2px solid var(--line); border-radius: 8px; padding: .6em .8em; margin-bottom: 1em; }
aside h2 { font-size: 1.1em; margin: 0 0 .4em; }
aside li { margin: .3em 0; }
aside ul { padding-left: 1.1em; margin: 0; }
.dim { color: var(--dim); }
#broadcast-form { display: flex; gap: .4em; }
#broadcast-form input { flex: 1; min-width: 0; }
`;

/** The page's script: plain JavaScript, in a string (nothing to build, nothing to fetch). */
const script = (t: PageText, first: string) => `
'use strict';
var T = ${JSON.stringify(t)};
// The instructor key came in the URL: the server traded it for a cookie, and the projector should not show it.
if (location.search.indexOf('key=') >= 0) history.replaceState(null, '', location.pathname);
var view = null, offset = 0, chapter = sessionStorage.getItem('board-chapter') || ${JSON.stringify(first)}, sort = sessionStorage.getItem('board-sort') || 'progress';

function el(tag, attrs) {
  var node = document.createElement(tag);
  if (attrs) for (var k in attrs) {
    if (k === 'class') node.className = attrs[k];
    else if (k === 'title') node.title = attrs[k];
    else node.setAttribute(k, attrs[k]);
  }
  for (var i = 2; i < arguments.length; i++) {
    var c = arguments[i];
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return node;
}
function fill(id) {
  var node = document.getElementById(id);
  while (node.firstChild) node.removeChild(node.firstChild);
  for (var i = 1; i < arguments.length; i++) if (arguments[i]) node.appendChild(arguments[i]);
}
function now() { return Date.now() + offset; }
function duration(ms) {
  var s = Math.max(0, Math.floor(ms / 1000)), m = Math.floor(s / 60), h = Math.floor(m / 60);
  return h ? h + 'h' + String(m % 60).padStart(2, '0') : m + ':' + String(s % 60).padStart(2, '0');
}
function current() {
  if (!view) return null;
  var c = view.chapters.find(function (c) { return c.id === chapter; });
  if (c) return c;
  var best = view.chapters[0], most = -1;
  view.chapters.forEach(function (c) {
    var n = view.learners.filter(function (l) { return l.chapters[c.id]; }).length;
    if (n > most) { most = n; best = c; }
  });
  return best || null;
}
function isStuck(p) { return !!p && p.stuckAt !== undefined && p.stuckAt !== null && now() >= p.stuckAt; }
function stepIndex(c, p) { return p && p.current ? c.steps.findIndex(function (s) { return s.id === p.current; }) : -1; }

function renderGrid() {
  var c = current();
  if (!c) return;
  var picker = document.getElementById('chapter');
  if (picker.options.length !== view.chapters.length) {
    while (picker.firstChild) picker.removeChild(picker.firstChild);
    view.chapters.forEach(function (x) { picker.appendChild(el('option', { value: x.id }, x.id + ' ' + x.title)); });
  }
  picker.value = c.id;
  var rows = view.learners.map(function (l) { return { l: l, p: l.chapters[c.id] }; });
  rows.sort(function (a, b) {
    var byName = a.l.name.localeCompare(b.l.name);
    if (sort === 'name') return byName;
    var pa = a.p ? a.p.done * 100 + stepIndex(c, a.p) : -1, pb = b.p ? b.p.done * 100 + stepIndex(c, b.p) : -1;
    if (sort === 'stuck') {
      var sa = isStuck(a.p) ? a.p.stuckAt : Infinity, sb = isStuck(b.p) ? b.p.stuckAt : Infinity;
      if (sa !== sb) return sa - sb;
      return pa - pb || byName;
    }
    return pb - pa || byName;
  });
  var head = el('tr', null, el('th', null, T.learner));
  c.steps.forEach(function (s, i) { head.appendChild(el('th', { class: 'step', title: s.id + ': ' + s.title }, String(i + 1))); });
  head.appendChild(el('th', null, T.onStep));
  head.appendChild(el('th', null, T.failing));
  var body = el('tbody');
  rows.forEach(function (r) {
    var p = r.p, stuck = isStuck(p);
    var tr = el('tr', { class: stuck ? 'stuck' : '', 'data-learner': r.l.id });
    tr.appendChild(el('td', { class: 'name', title: r.l.name }, r.l.name));
    c.steps.forEach(function (s) {
      var st = p && p.steps[s.id] ? p.steps[s.id].status : 'pending';
      var cls = 'sq ' + st + (p && p.current === s.id ? ' current' : '');
      tr.appendChild(el('td', { class: 'cell', 'data-step': s.id, 'data-status': st }, el('span', { class: cls, title: s.title + ': ' + st })));
    });
    var idx = stepIndex(c, p);
    var running = p && p.current && p.steps[p.current] && (p.steps[p.current].status === 'running' || p.steps[p.current].status === 'failed');
    tr.appendChild(el('td', { class: 'on' },
      idx >= 0 ? (idx + 1) + ' ' + c.steps[idx].id : '',
      running && p.since ? el('span', { class: 'dim' }, ' ' + duration(now() - p.since)) : null,
      stuck ? el('span', { class: 'badge' }, T.stuck) : null));
    var f = p && p.lastFailing;
    tr.appendChild(el('td', { class: 'fail' }, f ? f.title + ' (' + T.expected + ': ' + f.expected + '; ' + T.actual + ': ' + f.actual + ')' : ''));
    body.appendChild(tr);
  });
  var summary = view.summary[c.id] || { finished: {} };
  var foot = el('tr', null, el('td', null, T.finished));
  c.steps.forEach(function (s) { foot.appendChild(el('td', null, String(summary.finished[s.id] || 0))); });
  foot.appendChild(el('td'));
  foot.appendChild(el('td'));
  fill('grid', el('table', null, el('thead', null, head), body, el('tfoot', null, foot)));
  var most = summary.failingMost;
  fill('summary', view.learners.length
    ? (most ? el('span', null, T.failingMost + ' ', el('strong', null, most.title), ' (' + most.step + ', ' + most.learners + ' ' + T.learners + ')')
            : el('span', { class: 'dim' }, T.nothingFailing))
    : el('span', { class: 'dim' }, T.noLearners));
  fill('count', document.createTextNode(view.learners.length + ' ' + T.learnersCount));
}

function renderSide() {
  var open = view.hands.filter(function (h) { return !h.resolvedAt; });
  var list = el('ul');
  open.forEach(function (h) {
    var button = el('button', { type: 'button' }, T.resolve);
    button.addEventListener('click', function () { post('/api/hand/' + h.id + '/resolve', {}); });
    list.appendChild(el('li', { 'data-hand': String(h.id) }, el('strong', null, h.name), ' ', el('span', { class: 'dim' }, duration(now() - h.at)), h.chapter ? el('span', { class: 'dim' }, ' · ' + h.chapter + (h.step ? ' · ' + h.step : '')) : null, h.text ? el('div', null, h.text) : null, button));
  });
  fill('hands', open.length ? list : el('p', { class: 'dim' }, T.noHands));
  var sent = el('ul');
  view.broadcasts.slice(-5).reverse().forEach(function (b) { sent.appendChild(el('li', null, b.text)); });
  fill('sent', view.broadcasts.length ? sent : null);
}

function render() { if (view) { renderGrid(); renderSide(); } }

function post(path, body) {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function connect() {
  var status = document.getElementById('status');
  var source = new EventSource('/api/stream');
  source.addEventListener('class', function (e) {
    view = JSON.parse(e.data);
    offset = view.now - Date.now();
    status.textContent = T.live; status.className = 'live';
    render();
  });
  source.onerror = function () { status.textContent = T.offline; status.className = 'off'; };
}

document.getElementById('chapter').addEventListener('change', function (e) { chapter = e.target.value; sessionStorage.setItem('board-chapter', chapter); render(); });
var sorter = document.getElementById('sort');
sorter.value = sort;
sorter.addEventListener('change', function (e) { sort = e.target.value; sessionStorage.setItem('board-sort', sort); render(); });
document.getElementById('broadcast-form').addEventListener('submit', function (e) {
  e.preventDefault();
  var input = document.getElementById('broadcast-text');
  var message = input.value.trim();
  if (!message) return;
  post('/api/broadcast', { text: message }).then(function (r) { if (r.ok) input.value = ''; });
});
// Times on steps and stuck markers move with the clock, not only with reports.
setInterval(render, 1000);
connect();
`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page; `nonce` matches the Content-Security-Policy the server sends with it. */
export function boardPage({ className, nonce, chapter }: { className: string; nonce: string; chapter?: string }): string {
  const text = pageText();
  const lang = currentLanguage().lang === 'zh' ? 'zh-CN' : 'en';
  const name = escapeHtml(className);
  const n = escapeHtml(nonce);
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(text.title)}: ${name}</title>
<style nonce="${n}">${style}</style>
</head>
<body>
<header>
  <h1>${name}</h1>
  <label>${escapeHtml(text.chapter)} <select id="chapter"></select></label>
  <label>${escapeHtml(text.sort)} <select id="sort"><option value="progress">${escapeHtml(text.byProgress)}</option><option value="stuck">${escapeHtml(text.byStuck)}</option><option value="name">${escapeHtml(text.byName)}</option></select></label>
  <span id="count" class="dim"></span>
  <a class="button" href="/export.csv" download>${escapeHtml(text.export)}</a>
  <span id="status" class="off">${escapeHtml(text.offline)}</span>
</header>
<main>
  <div>
    <div id="summary"></div>
    <div id="grid"></div>
  </div>
  <aside>
    <section><h2>${escapeHtml(text.hands)}</h2><div id="hands"></div></section>
    <section>
      <h2>${escapeHtml(text.broadcast)}</h2>
      <form id="broadcast-form"><input id="broadcast-text" maxlength="300" autocomplete="off"><button type="submit">${escapeHtml(text.send)}</button></form>
      <div id="sent"></div>
    </section>
  </aside>
</main>
<script nonce="${n}">${script(text, chapter ?? '').replace(/<\/(script)/gi, '<\\/$1')}</script>
</body>
</html>
`;
}
