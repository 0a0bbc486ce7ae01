import { execa, type ResultPromise } from 'execa';
import { join } from 'node:path';
import { packageRoot } from '../../runner/paths.js';
import type { WorkshopEvent } from '../../runner/engine/events.js';

/** The built CLI (npm run build), run as a learner would run it. */
export const cliPath = join(packageRoot, 'dist', 'bin', 'cli.js');

export function cli(args: string[], env: NodeJS.ProcessEnv, options: { timeoutMs?: number } = {}): ResultPromise {
  return execa('node', [cliPath, ...args], {
    env: { ...env, NO_COLOR: '1' },
    extendEnv: false,
    reject: false,
    timeout: options.timeoutMs ?? 20 * 60_000,
    stdin: 'ignore',
  });
}

export const parseEvents = (stdout: string): WorkshopEvent[] =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as WorkshopEvent);
