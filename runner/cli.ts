#!/usr/bin/env node
import { chooseLanguage, setLanguage } from './i18n/language.js';
import type { Command as CommandType } from 'commander';
// The commands are imported when used: `--version`, `--help` and `list` should not load dockerode, ink and the rest.
import { setMaxListeners } from 'node:events';
import { AbortError, formatError } from './errors.js';
import { packageVersion } from './paths.js';

type Out = (text: string) => void;

/**
 * The command line: one commander program, a subcommand per mode, each with its own `--help`. Every
 * action only dispatches to its module (imported on use). `run` holds the exit code the action sets.
 */
async function program(out: Out, signal: AbortSignal, result: { code: number }): Promise<CommandType> {
  const { Command, InvalidArgumentError, Option } = await import('commander');
  /** `--wait` takes seconds, zero or more. */
  const seconds = (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('it takes a number of seconds, 0 or more.');
    return n;
  };
  const lessonsOption = () => new Option('--lessons <dir>', 'read the lessons from another folder (for lesson authors)');
  const set = (code: number) => void (result.code = code);
  const p = new Command('swarm-workshop')
    .description('Learn Docker Swarm by doing: a terminal workshop that runs real docker commands and checks your cluster after every step.')
    .version(packageVersion, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help (also `swarm-workshop <command> --help`)')
    .addOption(lessonsOption())
    .addOption(new Option('--lang <lang>', 'the language of the lessons: en or zh (else SWARM_WORKSHOP_LANG, else the locale: LC_ALL, LC_MESSAGES, LANG)'))
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: (text) => void process.stderr.write(text), outputError: () => undefined })
    .addHelpText('after', `
With no command, the terminal UI opens: chapters, one step at a time, a live cluster panel.
Chapters: ch3 (registry, overlay network, DockerCoins on Swarm, scaling, benchmarks),
          ch4 (fix the code, rolling update, rollback; starts where ch3 ends).
Docker: the engine of DOCKER_HOST or the current docker context. Progress: SWARM_WORKSHOP_HOME.`);
  p.configureHelp({ showGlobalOptions: true });
  // The language, from --lang (anywhere on the line) or the environment, before any command runs.
  p.hook('preAction', (_program, action) => setLanguage(chooseLanguage((action.optsWithGlobals() as { lang?: string }).lang)));
  const lessons = (cmd: CommandType) => (cmd.optsWithGlobals() as { lessons?: string }).lessons;

  p.command('run')
    .description('auto mode: run every step of a chapter and check the cluster after each')
    .argument('[chapter]', 'ch3 or ch4 (or the folder name)')
    .option('-y, --yes', 'confirm: run the commands against your Docker engine')
    .option('--json', 'print one JSON event per line')
    .option('--prove', "also require each step's checks to fail before it runs")
    .option('--to <step>', 'catch up: bring the cluster to where this step (id or number) starts, doing only what is missing, and stop there')
    .action(async (chapter: string, o: { yes?: boolean; json?: boolean; prove?: boolean; to?: string }, cmd: CommandType) => {
      const { runOrCheck } = await import('./commands/run.js');
      set(await runOrCheck('auto', { chapter, yes: !!o.yes, json: !!o.json, prove: !!o.prove, lessons: lessons(cmd), to: o.to }, signal, out));
    });

  p.command('check')
    .description('checks only: you type the commands, this ticks off the steps your cluster shows done')
    .argument('[chapter]', 'ch3 or ch4 (or the folder name)')
    .addOption(new Option('--wait <seconds>', 'how long to wait for the cluster to converge').argParser(seconds).default(10))
    .option('--json', 'print one JSON event per line')
    .action(async (chapter: string, o: { wait: number; json?: boolean }, cmd: CommandType) => {
      const { runOrCheck } = await import('./commands/run.js');
      set(await runOrCheck('check', { chapter, yes: false, json: !!o.json, prove: false, lessons: lessons(cmd), wait: o.wait }, signal, out));
    });

  p.command('list')
    .description('chapters and steps, with your progress')
    .action(async (_o: unknown, cmd: CommandType) => set(await (await import('./commands/list.js')).list(out, lessons(cmd))));

  p.command('doctor')
    .description('is this machine ready? engine, swarm, IPVS, ports, names in use, commands, images, disk')
    .action(async (_o: unknown, cmd: CommandType) => set(await (await import('./commands/info.js')).doctor(out, lessons(cmd))));

  p.command('prepare')
    .description('pull and build every image ahead of class, so that the build steps need no downloads')
    .option('--remove', 'remove the images prepare built (and nothing else)')
    .addOption(new Option('--lab-engine <version>', "also build the lab's node image for `lab up --engine 26` (20's is always built)").choices(['20', '26']))
    .action(async (o: { remove?: boolean; labEngine?: '20' | '26' }) => set(await (await import('./commands/prepare.js')).prepare({ remove: !!o.remove, labEngine: o.labEngine }, signal, out)));

  const lab = p.command('lab').description('a swarm of several nodes on this machine: each node a Docker engine in a container');
  /** `--nodes`: 1 to 5. */
  const nodeCount = (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 5) throw new InvalidArgumentError('a lab has 1 to 5 nodes.');
    return n;
  };
  const port = (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('it takes a TCP port number, 1 to 65535.');
    return n;
  };
  lab.command('up')
    .description('make the lab (or repair the one there is), and point the docker context swarm-workshop-lab at node1')
    .addOption(new Option('--nodes <n>', 'how many nodes: node1 is a manager; with 4 or 5, node1-3 are').argParser(nodeCount).default(3))
    .addOption(new Option('--api-port <port>', "where node1's engine API answers on 127.0.0.1 (TLS)").argParser(port))
    .addOption(new Option('--engine <version>', "the nodes' Docker engine: 20 (Debian 12's docker.io, the default) or 26 (Debian 13's)").choices(['20', '26']))
    .action(async (o: { nodes: number; apiPort?: number; engine?: '20' | '26' }) => {
      await (await import('./lab/lab.js')).labUp({ nodes: o.nodes, apiPort: o.apiPort, engine: o.engine }, signal, out);
      set(0);
    });
  lab.command('status')
    .description('each node: container, swarm state, engine version; the routing mesh and the context')
    .action(async () => set(await (await import('./lab/lab.js')).labStatus(signal, out)));
  lab.command('shell')
    .description('a shell on a node (node1 unless named), with docker, curl and the DockerCoins source')
    .argument('[node]', 'node1 to node5')
    .action(async (node?: string) => set(await (await import('./lab/lab.js')).labShell(node)));
  lab.command('down')
    .description('remove every container, volume and network the lab made, and its docker context; nothing else')
    .action(async () => set(await (await import('./lab/lab.js')).labDown(signal, out)));

  p.command('reset')
    .description('remove what the workshop created (asks first), clear progress')
    .option('-y, --yes', 'do not ask')
    .action(async (o: { yes?: boolean }, cmd: CommandType) => set(await (await import('./commands/reset.js')).reset({ yes: !!o.yes, lessons: lessons(cmd) }, out)));

  p.command('lint')
    .description('validate the lesson files')
    .option('--checks', 'list the check ids a lesson can use, with their parameters')
    .action(async (o: { checks?: boolean }, cmd: CommandType) => set(await (await import('./commands/info.js')).lint(out, { lessons: lessons(cmd), checks: o.checks })));

  return p;
}

/** The first word that is not an option (nor the value of `--lessons`): the command, if any. */
export function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (a === '--lessons' || a === '--lang') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

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
  if (quick) setLanguage(chooseLanguage(quick.lang));
  if (quick?.command === 'ui') return startUi(quick.lessons, out);
  if (quick?.command === 'list') return (await import('./commands/list.js')).list(out, quick.lessons);
  const result = { code: 0 };
  const p = await program(out, signal, result);
  const word = commandWord(argv);
  const known = new Set([...p.commands.map((c) => c.name()), 'help']);
  // An unknown command is an error even with --help after it (commander would print the general help).
  const unknown = word !== undefined && !known.has(word) ? word : word === 'help' ? argv.slice(argv.indexOf('help') + 1).find((a) => !a.startsWith('-') && !known.has(a)) : undefined;
  if (unknown !== undefined) {
    const names = [...known].filter((n) => n !== 'help');
    const near = names.find((n) => editDistance(n, unknown) <= 2);
    throw new AbortError(`unknown command "${unknown}"`, [
      ...(near ? [`did you mean \`swarm-workshop ${near}\`?`] : []),
      `the commands are: ${names.join(', ')}; \`swarm-workshop --help\` says what each does`,
    ], 2);
  }
  if (word === undefined && !argv.some((a) => ['-h', '--help', '-v', '--version'].includes(a))) {
    // No command: options only (--lessons), then the UI.
    const { unknown } = p.parseOptions(argv);
    if (unknown.length) throw new AbortError(`unknown option "${unknown[0]}"`, ['`swarm-workshop --help` lists the commands and options'], 2);
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
    out('swarm-workshop: no terminal here, so no interactive UI; this is the plain view (see --help for the commands).\n\n');
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

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** commander's own refusals (unknown option, missing argument, bad value) as usage errors, exit 2. */
function usageError(error: { message: string }, argv: string[]): AbortError {
  const word = commandWord(argv);
  const help = word && word !== 'help' ? `swarm-workshop ${word} --help` : 'swarm-workshop --help';
  const message = error.message.replace(/^error: /, '').replace(/\n\(Did you mean (.*)\?\)$/, '');
  const near = /\(Did you mean (.*)\?\)$/.exec(error.message)?.[1];
  return new AbortError(message, [...(near ? [`did you mean ${near}?`] : []), `\`${help}\` lists the arguments and options`], 2);
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
  process.stderr.write('\nstopping (Ctrl-C again to quit at once)...\n');
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
