#!/usr/bin/env node
import { AbortError, formatError } from './errors.js';
import { packageVersion } from './paths.js';

const HELP = `swarm-workshop ${packageVersion}: learn Docker Swarm by doing

Usage:
  swarm-workshop --help       this text
  swarm-workshop --version    the version

The DockerCoins app ships in the package's dockercoins/ folder; see README.md for how to run it on Swarm.
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${packageVersion}\n`);
    return 0;
  }
  throw new AbortError(`unknown command "${command}"`, ['run `swarm-workshop --help` to see the commands'], 2);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${formatError(error)}\n`);
    process.exitCode = error instanceof AbortError ? error.exitCode : 70;
  },
);
