/**
 * Text cut into rows of at most `width` terminal columns, for prose in English and in Chinese, with its
 * colour codes kept.
 *
 * wrap-ansi breaks only at spaces, so a Chinese sentence (which has none) is one long word to it: cut hard
 * at the width, wherever that falls, with a comma or a full stop often starting the next row, and a short
 * row left before a word in Latin letters. Here a row may also end between two Chinese characters, as
 * Chinese is typeset; closing punctuation stays with the character before it and opening brackets with
 * the one after (no row starts with "，" or ends with "（"). A run of Latin letters still breaks only at
 * spaces, and one wider than the row is cut hard. Indentation at the start of a line is kept, a list
 * item's later rows start under its text; the space a row ends at is dropped. A style (colour, bold) open where a row ends is closed there and opened again
 * at the start of the next row, so a row shown on its own keeps its colours.
 */
import stringWidth from 'string-width';

const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;
/** Never at the start of a row: closing punctuation, Chinese and Latin. */
const CLOSING = /^[，。、；：？！）」』》〉】〕’”…·,.;:?!)\]}%]$/u;
/** Never at the end of a row: opening brackets and quotes. */
const OPENING = /^[（「『《〈【〔‘“(\[{]$/u;
// CSI sequences (colours among them) and OSC 8 hyperlinks: no width.
const ESCAPE = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\]8;[^\u0007\u001B]*(?:\u0007|\u001B\\)/g;
/** The same, kept as a part of its own by `split`. */
const ESCAPE_PART = new RegExp(`(${ESCAPE.source})`);
/** A list item's bullet or number, with the indentation before it and the space after it. */
const LIST_ITEM = /^\s*(?:[*•\-+]|\d{1,3}[.)])\s+/;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

interface Chunk { text: string; width: number; space: boolean }

/** The SGR codes still in force after `codes`, as the sequences that open them. */
function applySgr(active: string[], sequence: string): string[] {
  const m = /^\u001B\[([0-9;:]*)m$/.exec(sequence);
  if (!m) return active;
  const params = m[1]!.split(';');
  const first = Number(params[0] || 0);
  if (first === 0) return [];
  // A closing code ends what its family opened: 22 bold/dim, 23 italic, 24 underline, 27 inverse,
  // 28 hidden, 29 strike-through, 39 foreground, 49 background.
  const closes: Record<number, (n: number) => boolean> = {
    22: (n) => n === 1 || n === 2,
    23: (n) => n === 3,
    24: (n) => n === 4,
    27: (n) => n === 7,
    28: (n) => n === 8,
    29: (n) => n === 9,
    39: (n) => (n >= 30 && n <= 38) || (n >= 90 && n <= 97),
    49: (n) => (n >= 40 && n <= 48) || (n >= 100 && n <= 107),
  };
  const close = closes[first];
  if (close) return active.filter((s) => !close(Number(/^\u001B\[(\d*)/.exec(s)![1] || 0)));
  return [...active, sequence];
}

/** One line (no newline in it) as chunks that a row may not break inside: a space, a word, one wide character. */
function chunksOf(line: string): Chunk[] {
  const chunks: Chunk[] = [];
  let current: Chunk | undefined;
  let pending = '';
  let previous = '';
  const units: { text: string; escape: boolean }[] = [];
  let at = 0;
  for (const m of line.matchAll(ESCAPE)) {
    for (const { segment } of graphemes.segment(line.slice(at, m.index!))) units.push({ text: segment, escape: false });
    units.push({ text: m[0], escape: true });
    at = m.index! + m[0].length;
  }
  for (const { segment } of graphemes.segment(line.slice(at))) units.push({ text: segment, escape: false });

  for (const unit of units) {
    if (unit.escape) {
      pending += unit.text;
      continue;
    }
    const g = unit.text;
    const space = g === ' ';
    const breakBefore = !current
      || space || current.space
      || ((WIDE.test(g) || WIDE.test(previous)) && !CLOSING.test(g) && !OPENING.test(previous));
    if (breakBefore) {
      current = { text: '', width: 0, space };
      chunks.push(current);
    }
    current!.text += pending + g;
    current!.width += stringWidth(g);
    pending = '';
    previous = g;
  }
  if (pending) {
    if (current) current.text += pending;
    else chunks.push({ text: pending, width: 0, space: false });
  }
  return chunks;
}

/** `text` cut into rows of at most `width` columns (see above); its own newlines are kept. */
export function wrapText(text: string, width: number): string {
  const columns = Math.max(1, width);
  const rows: string[] = [];
  let active: string[] = [];
  const track = (s: string) => {
    for (const m of s.matchAll(ESCAPE)) active = applySgr(active, m[0]);
  };
  for (const line of text.split('\n')) {
    let row = '';
    let rowWidth = 0;
    let space: Chunk | undefined;
    let atLineStart = true;
    /** Something besides indentation is on the row. */
    let content = false;
    // A list item's rows after its first start under its text, not under its bullet.
    const bullet = LIST_ITEM.exec(line.replace(ESCAPE, ''))?.[0] ?? '';
    const hang = stringWidth(bullet) <= columns / 2 ? stringWidth(bullet) : 0;
    const endRow = () => {
      rows.push(active.length ? `${row}\u001B[0m` : row);
      row = ' '.repeat(hang) + active.join('');
      rowWidth = hang;
      content = false;
      space = undefined;
    };
    for (const chunk of chunksOf(line)) {
      if (chunk.space) {
        // Indentation at the start of a line is kept; elsewhere a space waits to see what follows it.
        if (atLineStart) {
          // Never so deep that nothing fits after it.
          const room = Math.max(0, Math.min(chunk.width, columns - 1 - rowWidth));
          row += chunk.text.replace(/ +/, ' '.repeat(room));
          rowWidth += room;
          track(chunk.text);
        } else if (space) {
          space = { ...space, text: space.text + chunk.text, width: space.width + chunk.width };
        } else {
          space = chunk;
        }
        continue;
      }
      atLineStart = false;
      const gap = space && content ? space.width : 0;
      if (rowWidth + gap + chunk.width <= columns) {
        if (space) {
          row += content ? space.text : space.text.replaceAll(' ', '');
          track(space.text);
        }
        row += chunk.text;
        rowWidth += gap + chunk.width;
        content = true;
        track(chunk.text);
        space = undefined;
        continue;
      }
      if (chunk.width <= columns - hang && content) {
        // The row ends at this space (its codes, a colour closed there, still count); the piece starts the next.
        if (space) {
          row += space.text.replaceAll(' ', '');
          track(space.text);
          space = undefined;
        }
        endRow();
        row += chunk.text;
        rowWidth += chunk.width;
        content = true;
        track(chunk.text);
        continue;
      }
      // Wider than a row, or not fitting after the line's indentation: cut hard, the first piece filling
      // what is left of this row, after its space when a column is left beyond it.
      if (space) {
        const keep = content && rowWidth + space.width < columns;
        row += keep ? space.text : space.text.replaceAll(' ', '');
        if (keep) rowWidth += space.width;
        track(space.text);
        space = undefined;
        if (content && !keep) endRow();
      }
      // Wider than a row: cut hard, the first piece filling what is left of this row.
      for (const unit of chunk.text.split(ESCAPE_PART)) {
        if (!unit) continue;
        if (unit.startsWith('\u001B')) {
          row += unit;
          track(unit);
          continue;
        }
        for (const { segment } of graphemes.segment(unit)) {
          const w = stringWidth(segment);
          if (rowWidth + w > columns && (content || rowWidth > hang)) endRow();
          row += segment;
          rowWidth += w;
          content = true;
        }
      }
    }
    // Spaces at the end of a line are the text's own: kept, as long as they fit.
    if (space && rowWidth + space.width <= columns) {
      row += space.text;
      track(space.text);
    } else if (space) {
      row += space.text.replaceAll(' ', '');
      track(space.text);
    }
    rows.push(row);
  }
  return rows.join('\n');
}
