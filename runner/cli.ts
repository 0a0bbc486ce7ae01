#!/usr/bin/env node
import { chooseLanguage, currentLanguage, setLanguage } from './i18n/language.js';
// The commands are imported when used: `--version`, `--help` and `list` should not load dockerode, ink and the rest.
import { setMaxListeners } from 'node:events';
import { AbortError, formatError } from './errors.js';
import { liteT } from './i18n/lite.js';
import { commandWord, langFlag, program, unknownCommand, usageError } from './program.js';

type Out = (text: string) => void;

/**
 * The two commands that must answer at once, in their plain forms (`swarm-workshop`, `swarm-workshop
 * list`, each with `--lessons DIR` or not), go straight to their module: commander takes longer to load
 * than `list` takes to run. Anything else goes through commander, which checks it.
 */
function quickForm(argv: string[]): { command: 'ui' | 'list'; lessons?: string; lang?: string } | undefined {
  const rest = [...argv];
  const take = (name: string): string | undefined | null => {
    const i = rest.findIndex((a) => a === name || a.startsWith(`${name}=`));
    if (i < 0) return undefined;
    const [flag] = rest.splice(i, 1);
    const value = flag!.includes('=') ? flag!.slice(name.length + 1) : rest.splice(i, 1)[0];
    return !value || value.startsWith('-') ? null : value;
  };
  const lessons = take('--lessons');
  const lang = take('--lang');
  if (lessons === null || lang === null) return undefined;
  if (rest.length === 0) return { command: 'ui', lessons, lang };
  if (rest.length === 1 && rest[0] === 'list') return { command: 'list', lessons, lang };
  return undefined;
}

async function main(argv: string[], signal: AbortSignal): Promise<number> {
  const out: Out = (text) => void process.stdout.write(text);
  const quick = quickForm(argv);
  // The language first: the help's words and every message after this are in it.
  setLanguage(chooseLanguage(quick ? quick.lang : langFlag(argv)));
  if (quick?.command === 'ui') return startUi(quick.lessons, out);
  if (quick?.command === 'list') return (await import('./commands/list.js')).list(out, quick.lessons);
  const result = { code: 0 };
  const p = await program(out, signal, result);
  const word = commandWord(argv);
  const known = new Set([...p.commands.map((c) => c.name()), 'help']);
  // An unknown command is an error even with --help after it (commander would print the general help).
  // (After `help`, the next word that is not an option nor an option's value: `help --lang zh run` asks for run's.)
  const helped = word === 'help' ? commandWord(argv.slice(argv.indexOf('help') + 1)) : undefined;
  const unknown = word !== undefined && !known.has(word) ? word : helped !== undefined && !known.has(helped) ? helped : undefined;
  if (unknown !== undefined) {
    throw unknownCommand(unknown, [...known].filter((n) => n !== 'help'));
  }
  if (word === undefined && !argv.some((a) => ['-h', '--help', '-v', '--version'].includes(a))) {
    // No command: options only (--lessons), then the UI.
    const { unknown } = p.parseOptions(argv);
    if (unknown.length) {
      const t = liteT(currentLanguage().lang);
      throw new AbortError(t('cli.unknownOption', { option: unknown[0] }), [t('cli.helpListsAll')], 2);
    }
    setLanguage(chooseLanguage((p.opts() as { lang?: string }).lang));
    return startUi((p.opts() as { lessons?: string }).lessons, out);
  }
  await p.parseAsync(argv, { from: 'user' });
  return result.code;
}

/** No command: the terminal UI, or the plain listing when there is no terminal. */
async function startUi(lessons: string | undefined, out: Out): Promise<number> {
  const { chapterSummaries, list } = await import('./commands/list.js');
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    const t = liteT(currentLanguage().lang);
    out(`${t('cli.noTerminal')}\n\n`);
    return list(out, lessons);
  }
  const summaries = await chapterSummaries(lessons);
  // Colours off before ink (and its chalk) load, when the learner asked for none.
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
  // ink draws nothing until exit when it thinks it runs in CI (CI=..., CI_*); here there is a terminal
  // on both ends, so someone is looking at it.
  process.env.CI = '0';
  const { startTui } = await import('./tui/main.js');
  return startTui(summaries, async () => (await import('./commands/lessons.js')).lessonsOrAbort(lessons, 'en'));
}

// Output piped into a program that stopped reading (`swarm-workshop list | head`): stop quietly, as cat does.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const controller = new AbortController();
// Every check's request and wait ties a short-lived signal to this one (AbortSignal.any): those listeners
// go with their signals, but a poll can hold more than node's default of 10 at once, and it would warn.
setMaxListeners(0, controller.signal);
let interrupted = false;
process.on('SIGINT', () => {
  // First Ctrl-C: stop the running command cleanly. Second: leave at once.
  if (interrupted) process.exit(130);
  interrupted = true;
  const t = liteT(currentLanguage().lang);
  process.stderr.write(t('cli.stopping'));
  controller.abort(new Error('interrupted'));
});

const argv = process.argv.slice(2);
main(argv, controller.signal).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // commander's own refusals carry its error codes (commander is loaded only when a command needs it).
    if (error instanceof Error && String((error as { code?: unknown }).code ?? '').startsWith('commander.')) {
      const { exitCode } = error as Error & { exitCode: number };
      // --help and --version end parsing through here too, with exit code 0.
      if (exitCode === 0) return void (process.exitCode = 0);
      error = usageError(error, argv);
    }
    process.stderr.write(`${formatError(error)}\n`);
    process.exitCode = error instanceof AbortError ? error.exitCode : 70;
  },
).finally(() => {
  // The Docker event stream or a keep-alive socket must not hold the process open.
  setTimeout(() => process.exit(), 100).unref();
});
