import { render } from 'ink';
import type { Chapter } from '../lesson/load.js';
import { App } from './App.js';

/** Start the terminal UI and resolve when the learner quits. */
export async function startTui(chapters: Chapter[]): Promise<number> {
  const app = render(<App chapters={chapters} color={!process.env.NO_COLOR} />, { exitOnCtrlC: false });
  await app.waitUntilExit();
  return 0;
}
