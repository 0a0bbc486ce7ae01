import { Marked } from 'marked';
import { markedTerminal } from 'marked-terminal';
import { wrapText } from './wrap.js';

/** Lesson Markdown as terminal text (marked-terminal), wrapped to `width` columns. */
export function renderMarkdown(markdown: string, width: number, color: boolean): string {
  const marked = new Marked();
  // marked-terminal's types lag behind marked's extension type; the call is the documented one.
  // A paragraph the author broke over several source lines is one paragraph: its soft line breaks become
  // a space, or nothing between two Chinese characters (as a browser shows it); wrapText then cuts it.
  marked.use({
    walkTokens(token) {
      if (token.type === 'text' && !('tokens' in token && token.tokens?.length)) token.text = joinSoftBreaks(token.text);
    },
  });
  marked.use(markedTerminal({ width, reflowText: false, tab: 2, showSectionPrefix: false, ...(color ? {} : plainStyles) }) as never);
  const text = (marked.parse(markdown) as string).replace(/\n{3,}/g, '\n\n').trimEnd();
  // Wrapped here, not by marked-terminal: its reflow breaks at spaces only (a Chinese paragraph is cut hard,
  // a comma may start a row) and leaves list items unwrapped. Everything to the width, Chinese between its
  // characters, keeping colour codes intact.
  return wrapText(text, width);
}

const CJK = '[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]';
const joinSoftBreaks = (text: string) => text.replace(new RegExp(`(${CJK})\n(?=${CJK})`, 'gu'), '$1').replace(/ *\n */g, ' ');

const same = (text: string) => text;
/** With NO_COLOR, every style is the identity. */
const plainStyles = Object.fromEntries(
  ['code', 'blockquote', 'html', 'heading', 'firstHeading', 'hr', 'listitem', 'table', 'paragraph', 'strong', 'em', 'codespan', 'del', 'link', 'href'].map((k) => [k, same]),
);
