/**
 * The commander program of cli.ts: its commands, options and help, in the run's language. The language
 * must be chosen (setLanguage) before `program()` builds it: the help's words are read then. Its texts
 * come from the catalogue's small reader (i18n/lite.ts), so that `--help` does not load i18next; cli.ts
 * imports this module at start, so what only another language needs (string-width) is loaded on use.
 */
import type { Command as CommandType, Help as HelpType, Option as OptionType } from 'commander';
import { AbortError } from './errors.js';
import { chooseLanguage, currentLanguage, setLanguage } from './i18n/language.js';
import { liteT, type T } from './i18n/lite.js';
import { packageVersion } from './paths.js';
import { wrapText } from './tui/wrap.js';

type Out = (text: string) => void;

/**
 * The command line: one commander program, a subcommand per mode, each with its own `--help`. Every
 * action only dispatches to its module (imported on use). `run` holds the exit code the action sets.
 */
export async function program(out: Out, signal: AbortSignal, result: { code: number }): Promise<CommandType> {
  const { Command, Help, InvalidArgumentError, Option } = await import('commander');
  const lang = currentLanguage().lang;
  const t = liteT(lang);
  /** `--wait` takes seconds, zero or more. */
  const seconds = (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(t('cli.seconds'));
    return n;
  };
  const lessonsOption = () => new Option('--lessons <dir>', t('cli.help.lessons'));
  const set = (code: number) => void (result.code = code);
  const p = new Command('swarm-workshop')
    .description(t('cli.help.description'))
    .version(packageVersion, '-v, --version', t('cli.help.version'))
    .helpOption('-h, --help', t('cli.help.help'))
    .helpCommand('help [command]', t('cli.help.helpCommand'))
    .addOption(lessonsOption())
    .addOption(new Option('--lang <lang>', t('cli.help.lang')))
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: (text) => void process.stderr.write(text), outputError: () => undefined })
    .addHelpText('after', t('cli.help.after'));
  p.configureHelp({
    showGlobalOptions: true,
    // `join URL CODE` joins and `join --leave` needs neither: the list of commands shows the line to type
    // (which also keeps its column as wide as before).
    subcommandTerm(this: HelpType, cmd: CommandType) {
      return cmd.name() === 'join' ? 'join [options] URL CODE' : Help.prototype.subcommandTerm.call(this, cmd);
    },
    ...(lang === 'en' ? {} : translatedHelp(t, Help.prototype, (await import('string-width')).default)),
  });
  // The language, from --lang (anywhere on the line) or the environment, before any command runs.
  p.hook('preAction', (_program, action) => setLanguage(chooseLanguage((action.optsWithGlobals() as { lang?: string }).lang)));
  const lessons = (cmd: CommandType) => (cmd.optsWithGlobals() as { lessons?: string }).lessons;

  p.command('run')
    .description(t('cli.help.run'))
    .argument('[chapter]', t('cli.help.chapter'))
    .option('-y, --yes', t('cli.help.runYes'))
    .option('--json', t('cli.help.json'))
    .option('--prove', t('cli.help.prove'))
    .option('--to <step>', t('cli.help.to'))
    .action(async (chapter: string, o: { yes?: boolean; json?: boolean; prove?: boolean; to?: string }, cmd: CommandType) => {
      const { runOrCheck } = await import('./commands/run.js');
      set(await runOrCheck('auto', { chapter, yes: !!o.yes, json: !!o.json, prove: !!o.prove, lessons: lessons(cmd), to: o.to }, signal, out));
    });

  p.command('check')
    .description(t('cli.help.check'))
    .argument('[chapter]', t('cli.help.chapter'))
    .addOption(new Option('--wait <seconds>', t('cli.help.wait')).argParser(seconds).default(10))
    .option('--json', t('cli.help.json'))
    .action(async (chapter: string, o: { wait: number; json?: boolean }, cmd: CommandType) => {
      const { runOrCheck } = await import('./commands/run.js');
      set(await runOrCheck('check', { chapter, yes: false, json: !!o.json, prove: false, lessons: lessons(cmd), wait: o.wait }, signal, out));
    });

  p.command('list')
    .description(t('cli.help.list'))
    .action(async (_o: unknown, cmd: CommandType) => set(await (await import('./commands/list.js')).list(out, lessons(cmd))));

  p.command('doctor')
    .description(t('cli.help.doctor'))
    .action(async (_o: unknown, cmd: CommandType) => set(await (await import('./commands/info.js')).doctor(out, lessons(cmd))));

  p.command('prepare')
    .description(t('cli.help.prepare'))
    .option('--remove', t('cli.help.remove'))
    .addOption(new Option('--lab-engine <version>', t('cli.help.labEngine')).choices(['20', '26']))
    .addOption(new Option('--export <file>', t('cli.help.export')).conflicts(['remove', 'import']))
    .addOption(new Option('--import <file>', t('cli.help.import')).conflicts(['remove', 'export']))
    .action(async (o: { remove?: boolean; labEngine?: '20' | '26'; export?: string; import?: string }) =>
      set(await (await import('./commands/prepare.js')).prepare({ remove: !!o.remove, labEngine: o.labEngine, exportTo: o.export, importFrom: o.import }, signal, out)));

  const lab = p.command('lab').description(t('cli.help.lab'));
  /** `--nodes`: 1 to 5. */
  const nodeCount = (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 5) throw new InvalidArgumentError(t('cli.nodeCount'));
    return n;
  };
  const port = (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(t('cli.port'));
    return n;
  };
  lab.command('up')
    .description(t('cli.help.labUp'))
    .addOption(new Option('--nodes <n>', t('cli.help.nodes')).argParser(nodeCount).default(3))
    .addOption(new Option('--api-port <port>', t('cli.help.apiPort')).argParser(port))
    .addOption(new Option('--engine <version>', t('cli.help.engine')).choices(['20', '26']))
    .action(async (o: { nodes: number; apiPort?: number; engine?: '20' | '26' }) => {
      await (await import('./lab/lab.js')).labUp({ nodes: o.nodes, apiPort: o.apiPort, engine: o.engine }, signal, out);
      set(0);
    });
  lab.command('status')
    .description(t('cli.help.labStatus'))
    .action(async () => set(await (await import('./lab/lab.js')).labStatus(signal, out)));
  lab.command('shell')
    .description(t('cli.help.labShell'))
    .argument('[node]', t('cli.help.node'))
    .action(async (node?: string) => set(await (await import('./lab/lab.js')).labShell(node)));
  lab.command('down')
    .description(t('cli.help.labDown'))
    .action(async () => set(await (await import('./lab/lab.js')).labDown(signal, out)));

  p.command('reset')
    .description(t('cli.help.reset'))
    .option('-y, --yes', t('cli.help.resetYes'))
    .action(async (o: { yes?: boolean }, cmd: CommandType) => set(await (await import('./commands/reset.js')).reset({ yes: !!o.yes, lessons: lessons(cmd) }, out)));

  p.command('lint')
    .description(t('cli.help.lint'))
    .option('--checks', t('cli.help.checks'))
    .action(async (o: { checks?: boolean }, cmd: CommandType) => set(await (await import('./commands/info.js')).lint(out, { lessons: lessons(cmd), checks: o.checks })));

  /** `--port` of the board: 0 is any free port. */
  const boardPort = (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(t('cli.boardPort'));
    return n;
  };
  const minutes = (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(t('cli.minutes'));
    return n;
  };
  p.command('board')
    .description(t('cli.help.board'))
    .addOption(new Option('--host <address>', t('cli.help.boardHost')).default('127.0.0.1'))
    .addOption(new Option('--port <port>', t('cli.help.boardPort')).argParser(boardPort).default(8765))
    .addOption(new Option('--class <name>', t('cli.help.boardClass')).default('Swarm workshop'))
    .addOption(new Option('--chapter <chapter>', t('cli.help.boardChapter')).choices(['ch3', 'ch4']))
    .addOption(new Option('--stuck-after <minutes>', t('cli.help.stuckAfter')).argParser(minutes).default(5))
    .option('--tui', t('cli.help.boardTui'))
    .action(async (o: { host: string; port: number; class: string; chapter?: string; stuckAfter: number; tui?: boolean }, cmd: CommandType) => {
      const { board } = await import('./commands/board.js');
      set(await board({ host: o.host, port: o.port, className: o.class, chapter: o.chapter, stuckAfter: o.stuckAfter, tui: !!o.tui, lessons: lessons(cmd) }, signal, out));
    });

  p.command('join')
    .description(t('cli.help.join'))
    .argument('[url]', t('cli.help.joinUrl'))
    .argument('[code]', t('cli.help.joinCode'))
    .option('--name <name>', t('cli.help.joinName'))
    .option('--leave', t('cli.help.joinLeave'))
    .action(async (url: string | undefined, code: string | undefined, o: { name?: string; leave?: boolean }) => {
      const { joinCommand } = await import('./commands/join.js');
      set(await joinCommand({ url, code, name: o.name, leave: !!o.leave }, out));
    });

  return p;
}

/**
 * commander's own words in the help (titles, `[options]`, `choices:`, `default:`) in the run's language,
 * and its widths measured in terminal columns. English keeps commander's own help untouched.
 */
function translatedHelp(t: T, base: HelpType, columns: (text: string) => number): Partial<HelpType> {
  const titles: Record<string, string> = {
    'Usage:': t('cli.help.usage'),
    'Arguments:': t('cli.help.arguments'),
    'Options:': t('cli.help.options'),
    'Global Options:': t('cli.help.globalOptions'),
    'Commands:': t('cli.help.commands'),
  };
  const words = (text: string) => text.split(' ').map((w) => (w === '[options]' ? t('cli.help.optionsWord') : w === '[command]' ? t('cli.help.commandWord') : w)).join(' ');
  /** commander's "(choices: ..., default: ...)" after a description, in the catalogue's words. */
  const extras = (description: string, own: string) => {
    const extra = description.slice(own.length).trim();
    if (!extra.startsWith('(') || !extra.endsWith(')')) return description;
    const parts = extra.slice(1, -1).split(/, (?=choices: |default: )/).map((part) => {
      if (part.startsWith('choices: ')) return t('cli.help.choices', { choices: part.slice('choices: '.length) });
      if (part.startsWith('default: ')) return t('cli.help.default', { value: part.slice('default: '.length) });
      return part;
    });
    return `${own}${t('cli.help.extras', { extras: parts.join(t('cli.help.extraJoin')) })}`.trimStart();
  };
  const usage = t('cli.help.usage');
  return {
    // commander puts a space after "Usage:"; none after a full-width colon.
    formatHelp(this: HelpType, cmd: CommandType, helper: HelpType) {
      const text = base.formatHelp.call(this, cmd, helper);
      return /：$/.test(usage) && text.startsWith(`${usage} `) ? usage + text.slice(usage.length + 1) : text;
    },
    styleTitle: (title: string) => titles[title] ?? title,
    styleUsage: words,
    styleSubcommandTerm: words,
    optionDescription(this: HelpType, option: OptionType) {
      return extras(base.optionDescription.call(this, option), option.description);
    },
    displayWidth: columns,
    boxWrap(this: HelpType, text: string, width: number) {
      return width < this.minWidthToWrap ? text : wrapText(text, width);
    },
  };
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
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

/** The value of `--lang` on a command line (`--lang zh` or `--lang=zh`), before commander reads it. */
export function langFlag(argv: string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--lessons') i++;
    else if (a === '--lang' && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) value = argv[++i];
    else if (a.startsWith('--lang=')) value = a.slice('--lang='.length);
  }
  return value;
}

/** An unknown command, with the nearest known one when there is one. */
export function unknownCommand(name: string, names: string[]): AbortError {
  const t = liteT(currentLanguage().lang);
  const near = names.find((n) => editDistance(n, name) <= 2);
  return new AbortError(t('cli.unknownCommand', { name }), [
    ...(near ? [t('cli.didYouMean', { name: near })] : []),
    t('cli.commandsAre', { names: names.join(', ') }),
  ], 2);
}

/** commander's refusal, in the run's language: its English message when it is one we do not know. */
function commanderMessage(error: { message: string; code?: string }, t: T): string {
  const message = error.message.replace(/^error: /, '').replace(/\n\(Did you mean (.*)\?\)$/, '');
  if (currentLanguage().lang === 'en') return message;
  let m: RegExpExecArray | null;
  switch (error.code) {
    case 'commander.unknownOption':
      if ((m = /^unknown option '(.*)'$/.exec(message))) return t('cli.commander.unknownOption', { option: m[1] });
      break;
    case 'commander.unknownCommand':
      if ((m = /^unknown command '(.*)'$/.exec(message))) return t('cli.commander.unknownCommand', { name: m[1] });
      break;
    case 'commander.excessArguments':
      if ((m = /^too many arguments for '(.*)'\. Expected (\d+) arguments? but got (\d+)\.$/.exec(message))) return t('cli.commander.excessArguments', { command: m[1], expected: m[2], got: m[3] });
      break;
    case 'commander.invalidArgument':
      if ((m = /^option '(.*?)' argument '(.*)' is invalid\. ([^]*)$/.exec(message))) {
        const choices = /^Allowed choices are (.*)\.$/.exec(m[3]!);
        return t('cli.commander.invalidArgument', { option: m[1], value: m[2], why: choices ? t('cli.commander.choices', { choices: choices[1] }) : m[3] });
      }
      break;
    case 'commander.optionMissingArgument':
      if ((m = /^option '(.*)' argument missing$/.exec(message))) return t('cli.commander.optionMissingArgument', { option: m[1] });
      break;
    case 'commander.missingArgument':
      if ((m = /^missing required argument '(.*)'$/.exec(message))) return t('cli.commander.missingArgument', { name: m[1] });
      break;
  }
  return message;
}

/** commander's own refusals (unknown option, missing argument, bad value) as usage errors, exit 2. */
export function usageError(error: { message: string; code?: string }, argv: string[]): AbortError {
  const t = liteT(currentLanguage().lang);
  const word = commandWord(argv);
  const help = word && word !== 'help' ? `swarm-workshop ${word} --help` : 'swarm-workshop --help';
  const near = /\(Did you mean (.*)\?\)$/.exec(error.message)?.[1];
  return new AbortError(commanderMessage(error, t), [...(near ? [t('cli.didYouMeanOption', { near })] : []), t('cli.helpLists', { help })], 2);
}
