import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import stringWidth from 'string-width';
import stripAnsi from 'strip-ansi';
import wrapAnsi from 'wrap-ansi';
import { describe, expect, it } from 'vitest';
import { lessonsDir } from '../../runner/paths.js';
import { renderMarkdown } from '../../runner/tui/markdown.js';
import { wrapText } from '../../runner/tui/wrap.js';

const rows = (text: string) => text.split('\n');
const CLOSING = /^[，。、；：？！）」』》]/;
const OPENING = /[（「『《]$/;
/** What a reader sees: every row's text joined, spaces aside (a row's last space is dropped by design). */
const letters = (text: string) => stripAnsi(text).replace(/[\s]/g, '');

describe('wrapText: prose rows for English and Chinese', () => {
  // The lesson prose of chapter 3's step 2, as the 60x20 Chinese screen showed it with wrap-ansi.
  const zh = '推送自己的镜像之前，先确认仓库能接收上传。随便哪个镜像都行，这里用 debian:bookworm-slim：DockerCoins 的镜像也是从它构建的，所以它已经在这台机器上了。';

  it('breaks Chinese between its characters: rows filled, none starting with closing punctuation (wrap-ansi left a row of 4 columns and one starting with "，")', () => {
    const before = rows(wrapAnsi(zh, 58, { hard: true, trim: false }));
    expect(before.some((r) => CLOSING.test(r)) || before.some((r) => stringWidth(r) < 20 && r !== before.at(-1))).toBe(true);

    const after = rows(wrapText(zh, 58));
    for (const [i, row] of after.entries()) {
      expect(stringWidth(row), row).toBeLessThanOrEqual(58);
      expect(row, `row ${i} starts with closing punctuation`).not.toMatch(CLOSING);
      expect(row, `row ${i} ends with an opening bracket`).not.toMatch(OPENING);
      // A row ends only where the next row's first piece would not fit.
      if (i < after.length - 1) expect(stringWidth(row) + stringWidth(after[i + 1]!.slice(0, 2)), row).toBeGreaterThan(56);
    }
    expect(letters(after.join('\n'))).toBe(letters(zh));
  });

  it('keeps English words whole, breaks at spaces only, drops the space a row ends at, and keeps indentation', () => {
    const en = '  Before you push your own images, check that the registry takes uploads at all: any image will do.';
    const out = rows(wrapText(en, 30));
    expect(out[0]!.startsWith('  Before')).toBe(true);
    for (const row of out) {
      expect(stringWidth(row)).toBeLessThanOrEqual(30);
      expect(row.endsWith(' ')).toBe(false);
    }
    expect(out.join(' ').replace(/\s+/g, ' ').trim()).toBe(en.trim());
    // The same rows as wrap-ansi for text with spaces, but for the space at each break, dropped here.
    expect(out.map((r) => r.trim())).toEqual(rows(wrapAnsi(en, 30, { hard: true, trim: false })).map((r) => r.trim()));
  });

  it('starts a list item\'s later rows under its text, not under its bullet', () => {
    const item = '  * the second, `(mean, across all concurrent requests)`, is total time ÷ requests: the average gap between two answers';
    const out = rows(wrapText(item, 40));
    expect(out.length).toBeGreaterThan(2);
    expect(out[0]!.startsWith('  * the second')).toBe(true);
    for (const row of out.slice(1)) expect(row, row).toMatch(/^ {4}\S/);
    for (const row of out) expect(stringWidth(row)).toBeLessThanOrEqual(40);
    const zh = rows(wrapText('  * 最后一行给出标签和 `digest: sha256:...`，也就是所存内容的地址。', 30));
    for (const row of zh.slice(1)) expect(row, row).toMatch(/^ {4}\S/);
  });

  it('cuts a word wider than the row hard, and keeps a colour open across a break: closed at the row end, opened again on the next', () => {
    const long = `see \u001B[33mhttp://127.0.0.1:5000/v2/first-push/tags/list\u001B[39m now`;
    const out = rows(wrapText(long, 20));
    for (const row of out) expect(stringWidth(row)).toBeLessThanOrEqual(20);
    expect(letters(out.join(''))).toBe(letters(long));
    // Every row that shows part of the URL is yellow on its own.
    for (const row of out.filter((r) => /[0-9/]/.test(stripAnsi(r)))) expect(row).toContain('\u001B[33m');
    const cjk = `提示：\u001B[1m这是一段很长的加粗中文文字，需要折成好几行才能放下\u001B[22m。`;
    const bold = rows(wrapText(cjk, 16));
    expect(bold.length).toBeGreaterThan(2);
    for (const row of bold.slice(1, -1)) expect(row.startsWith('\u001B[1m'), JSON.stringify(row)).toBe(true);
    for (const row of bold) expect(stringWidth(row)).toBeLessThanOrEqual(16);
  });

  it('joins a paragraph the author broke over source lines: a space in English, nothing between Chinese characters', () => {
    const out = renderMarkdown('First line of a paragraph\nwrapped by the author\nin the source.\n\n中文第一行\n接着第二行。', 80, false);
    expect(out).toBe('First line of a paragraph wrapped by the author in the source.\n\n中文第一行接着第二行。');
  });

  it('never glues a word too wide for the row to the one before it, never makes a row wider than asked (found in review)', () => {
    const cases: [string, number][] = [
      ['see http://127.0.0.1:5000/v2/first-push/tags/list now', 20],
      ['$ docker build -t app /home/someone/My Projects/swarm-workshop/dockercoins/worker', 30],
      ['  * abcdefghijklmnopqrst', 10],
      ['  abcde', 5],
      ['    127.0.0.1:5000/dockercoins/worker:v0.1', 40],
      ['The answer looks like {"coins":3,"hashes":4,"now":1700000000.0} and so on', 40],
    ];
    for (const [text, width] of cases) {
      const out = rows(wrapText(text, width));
      for (const row of out) {
        expect(stringWidth(row), `${JSON.stringify(text)} at ${width}: ${JSON.stringify(row)}`).toBeLessThanOrEqual(width);
        // What a row shows is a piece of the text as it was: nothing glued across a space.
        expect(text, `${JSON.stringify(text)} at ${width}: ${JSON.stringify(row)}`).toContain(row.trim());
      }
    }
    expect(rows(wrapText('see http://127.0.0.1:5000/v2/first-push/tags/list now', 20))[0]).toMatch(/^see http/);
  });

  it('every lesson, in English and Chinese, at 40, 58 and 78 columns: each row a piece of the rendered text, none wider', () => {
    let checked = 0;
    for (const chapter of ['ch3-registry', 'ch4-rolling-update']) {
      for (const name of readdirSync(join(lessonsDir, chapter)).filter((f) => f.endsWith('.md'))) {
        const body = readFileSync(join(lessonsDir, chapter, name), 'utf8').split(/^---$/m).slice(2).join('---');
        const whole = renderMarkdown(body, 10_000, false);
        for (const width of [40, 58, 78]) {
          for (const row of rows(renderMarkdown(body, width, false))) {
            expect(stringWidth(row), `${name} at ${width}: ${row}`).toBeLessThanOrEqual(width);
            if (row.trim()) expect(whole, `${name} at ${width}: ${row}`).toContain(row.trim());
          }
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(40);
  });

  it('every Chinese lesson, rendered at 58 columns: no row wider, none starting with closing punctuation', () => {
    let checked = 0;
    for (const chapter of ['ch3-registry', 'ch4-rolling-update']) {
      for (const name of readdirSync(join(lessonsDir, chapter)).filter((f) => f.endsWith('.zh.md'))) {
        const body = readFileSync(join(lessonsDir, chapter, name), 'utf8').split(/^---$/m).slice(2).join('---');
        const out = rows(renderMarkdown(body, 58, true));
        for (const row of out) {
          expect(stringWidth(row), `${name}: ${stripAnsi(row)}`).toBeLessThanOrEqual(58);
          expect(stripAnsi(row).trimStart(), `${name}: ${stripAnsi(row)}`).not.toMatch(CLOSING);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });
});
