#!/usr/bin/env node
import { parseArgs } from 'node:util';
// The commands are imported when used: `--version` and `--help` should not load dockerode, ink and the rest.
import { AbortError, formatError } from './errors.js';
import { packageVersion } from './paths.js';

const HELP = `swarm-workshop ${packageVersion}: learn Docker Swarm by doing

Usage:
  swarm-workshop              the terminal UI: chapters, one step at a time, live cluster panel
  swarm-workshop run <chapter> --yes [--json] [--prove]
                              run every step of a chapter and check the cluster after each
                              (--json: one JSON event per line; --prove: also require each
                              step's checks to fail before it runs)
  swarm-workshop check <chapter> [--wait <s>]
                              checks only: you type the commands, this ticks off the steps
  swarm-workshop list         chapters and steps, with your progress
  swarm-workshop doctor       is this machine ready? engine, swarm, IPVS, ports, commands, images, disk
  swarm-workshop prepare [--remove]
                              pull and build every image ahead of class, so that the build
                              steps need no downloads (--remove: remove what it built)
  swarm-workshop reset [--yes]
                              remove what the workshop created (asks first), clear progress
  swarm-workshop lint [--checks]
                              validate the lesson files (--checks: list the check ids)
  swarm-workshop --help | --version

Chapters: ch3 (registry, overlay network, DockerCoins on Swarm, scaling, benchmarks),
          ch4 (fix the code, rolling update, rollback).
Options for all: --lessons <dir> reads lessons from another folder (for lesson authors).
Docker: the engine of DOCKER_HOST or the current docker context. Progress: SWARM_WORKSHOP_HOME.
`;

async function main(argv: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      yes: { type: 'boolean', short: 'y' },
      json: { type: 'boolean' },
      prove: { type: 'boolean' },
      checks: { type: 'boolean' },
      remove: { type: 'boolean' },
      lessons: { type: 'string' },
      wait: { type: 'string' },
    },
  });
  const out = (text: string) => void process.stdout.write(text);
  const [command, ...rest] = positionals;
  if (values.version) return out(`${packageVersion}\n`), 0;
  if (values.help || command === 'help') return out(HELP), 0;
  if (command === undefined) {
    const { lessonsOrAbort } = await import('./commands/setup.js');
    const { list } = await import('./commands/info.js');
    const chapters = lessonsOrAbort(values.lessons);
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      out('swarm-workshop: no terminal here, so no interactive UI; this is the plain view (see --help for the commands).\n\n');
      return list(out, values.lessons);
    }
    // Colours off before ink (and its chalk) load, when the learner asked for none.
    if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
    // ink draws nothing until exit when it thinks it runs in CI (CI=..., CI_*); here there is a terminal
    // on both ends, so someone is looking at it.
    process.env.CI = '0';
    const { startTui } = await import('./tui/main.js');
    return startTui(chapters);
  }
  const wait = values.wait === undefined ? undefined : Number(values.wait);
  if (wait !== undefined && !(wait >= 0)) throw new AbortError(`--wait takes a number of seconds, not "${values.wait}"`, [], 2);
  switch (command) {
    case 'run':
    case 'check':
      return (await import('./commands/run.js')).runOrCheck(command === 'run' ? 'auto' : 'check', {
        chapter: rest[0], yes: !!values.yes, json: !!values.json, prove: !!values.prove, lessons: values.lessons, wait,
      }, signal, out);
    case 'list':
      return (await import('./commands/info.js')).list(out, values.lessons);
    case 'lint':
      return (await import('./commands/info.js')).lint(out, { lessons: values.lessons, checks: values.checks });
    case 'doctor':
      return (await import('./commands/info.js')).doctor(out);
    case 'prepare':
      return (await import('./commands/prepare.js')).prepare({ remove: !!values.remove }, signal, out);
    case 'reset':
      return (await import('./commands/reset.js')).reset({ yes: !!values.yes }, out);
    default:
      throw new AbortError(`unknown command "${command}"`, ['run `swarm-workshop --help` to see the commands'], 2);
  }
}

const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  // First Ctrl-C: stop the running command cleanly. Second: leave at once.
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\nstopping (Ctrl-C again to quit at once)...\n');
  controller.abort(new Error('interrupted'));
});

main(process.argv.slice(2), controller.signal).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      error = new AbortError(error.message, ['run `swarm-workshop --help` to see the commands and options'], 2);
    }
    process.stderr.write(`${formatError(error)}\n`);
    process.exitCode = error instanceof AbortError ? error.exitCode : 70;
  },
).finally(() => {
  // The Docker event stream or a keep-alive socket must not hold the process open.
  setTimeout(() => process.exit(), 100).unref();
});
