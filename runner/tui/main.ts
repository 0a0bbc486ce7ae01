import type { Session } from '../commands/setup.js';
import type { Chapter } from '../lesson/load.js';
import type { ChapterSummary } from '../lesson/summary.js';
import { ProgressStore, type Progress } from '../progress.js';
import { currentLanguage } from '../i18n/language.js';
import { liteT } from '../i18n/lite.js';
import { homeLines } from './home.js';
import { footerFor } from './keys.js';
import { preframe, type Preframe } from './preframe.js';
import { boardFile, detachBoards } from '../board/attach.js';
import { existsSync } from 'node:fs';

export interface TuiOptions {
  /** How to reach Docker; default: setup.ts's openSession, loaded once the chapter list is on screen. */
  open?: () => Promise<Session>;
  /** The progress to show at once; default: the progress file (SWARM_WORKSHOP_HOME). */
  progress?: () => Progress;
  /** The terminal; tests give their own streams. */
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

/**
 * Start the terminal UI and resolve with the exit code when the learner leaves: 0 after `q`, 130 after
 * Ctrl-C (as a shell reports a program it interrupted).
 *
 * `summaries` are what the first frame shows (from the build's index, see lesson/summary.ts); `load`
 * brings the lessons in full, right after it.
 *
 * Start-up is ordered for the first frame: on a terminal the chapter list, with its progress, is written
 * at once as plain text (preframe.ts); ink and React load next and draw the same list over it. Docker's
 * client, the probe, the checks, the runner and the Markdown renderer load only after that, from the
 * UI's own effects; the engine line says "probing engine..." meanwhile.
 */
export async function startTui(summaries: ChapterSummary[], load: () => Promise<Chapter[]>, options: TuiOptions = {}): Promise<number> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const color = !process.env.NO_COLOR;
  // Before anything is drawn: a progress file this user cannot read stops here, with the fix.
  const progress = (options.progress ?? (() => new ProgressStore().load().progress))();
  let early: Preframe | undefined;
  if (stdout.isTTY) {
    early = preframe(stdout, stdin, color);
    // The catalogue without i18next: this frame comes before anything heavy is loaded (i18n/lite.ts).
    const t = liteT(currentLanguage().lang);
    early.draw(homeLines({ chapters: summaries, selected: 0, progress, header: `${t('ui.language')} · ${t('ui.probing')}` }, t), footerFor('home', stdout.columns || 80, t, existsSync(boardFile())));
  }
  try {
    // The lessons in full (prose, commands, checks): after the first frame, as ink is.
    const chapters = await load();
    const { mountApp } = await import('./mount.js');
    early?.handOver();
    const app = mountApp({ chapters, open: options.open, progress, color }, {
      stdin,
      stdout,
      stderr: options.stderr ?? process.stderr,
      exitOnCtrlC: false,
    });
    early = undefined;
    const result = await app.waitUntilExit();
    // A joined board gets at most a second to take what the learner did last.
    await detachBoards();
    return typeof result === 'number' ? result : 0;
  } finally {
    // Start-up failed before ink took the terminal: give it back as it was.
    early?.restore();
  }
}
