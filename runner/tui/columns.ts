/**
 * Terminal columns, not code units: a Chinese character takes two columns, a combining mark none. Lines
 * measured with `.length` overflow by half their Chinese text, or get cut in the middle of a character.
 */
import stringWidth from 'string-width';

const ascii = /^[\x20-\x7e]*$/;

/** How many columns `text` takes. */
export const columns = (text: string): number => (ascii.test(text) ? text.length : stringWidth(text));

/** `text` cut to `width` columns with an ellipsis, as ink's `wrap="truncate"` does; never half a character. */
export function truncateColumns(text: string, width: number): string {
  if (columns(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = stringWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}
