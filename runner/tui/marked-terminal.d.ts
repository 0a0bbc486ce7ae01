declare module 'marked-terminal' {
  /** marked-terminal 7: a marked extension that renders Markdown for the terminal. */
  export function markedTerminal(options?: Record<string, unknown>, highlightOptions?: Record<string, unknown>): unknown;
}
