import { columns, truncateColumns } from './columns.js';
import type { Line } from './home.js';

/**
 * The chapter list written straight to the terminal, before ink is loaded. Loading ink takes about half a
 * second on a 2-core machine (most of it the 400-odd modules of es-toolkit/compat, which ink imports for
 * one function), more than everything before it: so the learner sees the chapters at once, and ink then
 * draws the same screen in the same place (`handOver` erases this one just before ink's first frame).
 * The terminal goes to raw mode at once, as ink will put it: keys typed meanwhile are neither echoed over
 * the list nor lost, ink reads them when it is up (Ctrl-C included: it still exits 130).
 */
export interface Preframe {
  /** Draw (or redraw) the lines, then the key line, from where the cursor was. */
  draw(lines: Line[], footer: string): void;
  /** Erase what was drawn, leaving the cursor where ink should start. */
  handOver(): void;
  /** Give the terminal back as it was (start-up failed before ink took it). */
  restore(): void;
}

const SGR: Record<NonNullable<Line['style']>, [string, string]> = {
  bold: ['\u001b[1m', '\u001b[22m'],
  dim: ['\u001b[2m', '\u001b[22m'],
  inverse: ['\u001b[7m', '\u001b[27m'],
};

/** A line as ink's `wrap="truncate"` shows it: cut to the width with an ellipsis. */
function fit(text: string, width: number, truncate: boolean | undefined): string {
  return truncate ? truncateColumns(text, width) : text;
}

export function preframe(stdout: NodeJS.WriteStream, stdin: NodeJS.ReadStream, color: boolean): Preframe {
  const width = stdout.columns || 80;
  const styled = color && (stdout.hasColors?.() ?? false);
  const raw = !!stdin.isTTY && !stdin.isRaw;
  let rows = 0;
  const up = () => (rows ? `\u001b[${rows}A\r` : '\r');
  if (raw) stdin.setRawMode(true);
  stdout.write('\u001b[?25l'); // no cursor blinking under the list; ink keeps it hidden
  return {
    draw(lines, footer) {
      const text = [...lines, { text: footer, style: 'dim', truncate: true } satisfies Line].map((l) => {
        const t = fit(l.text, width, l.truncate);
        return styled && l.style ? `${SGR[l.style][0]}${t}${SGR[l.style][1]}` : t;
      });
      // Rows taken, counting the lines that wrap (only those that are not truncated can).
      const taken = lines.reduce((n, l) => n + (l.truncate ? 1 : Math.max(1, Math.ceil(columns(l.text) / width))), 1);
      stdout.write(`${up()}\u001b[J${text.join('\n')}\n`);
      rows = taken;
    },
    handOver() {
      if (rows) stdout.write(`${up()}\u001b[J`);
      rows = 0;
    },
    restore() {
      if (raw) stdin.setRawMode(false);
      stdout.write('\u001b[?25h');
    },
  };
}
