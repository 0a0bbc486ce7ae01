import { execa } from 'execa';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The command was stopped by the cancel signal (Ctrl-C). */
  cancelled: boolean;
  timedOut: boolean;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  timeoutMs: number;
  onStart?: (pid: number | undefined) => void;
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

/** Debian/Ubuntu packages of the commands the lessons run, for the message when one is missing. */
export const PACKAGES: Record<string, string> = { docker: 'docker.io', curl: 'curl', ab: 'apache2-utils' };

/** Thrown when a command could not start at all (not on PATH): the learner's to fix, so it says what to install. */
export class CommandNotFoundError extends AbortError {
  constructor(readonly command: string) {
    super(say('runner.notInstalled', { command }), [say('runner.install', { pkg: PACKAGES[command] ?? command })]);
  }
}

/** Where `command` would be found on PATH, as spawn would find it; undefined when it is not there. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Run one command as an argument array, never through a shell. Output streams to `onOutput` as it comes;
 * the signal (Ctrl-C) kills the child with SIGTERM, then SIGKILL after 3 s, so nothing is left behind.
 */
export async function runCommand(args: string[], options: RunOptions): Promise<CommandResult> {
  const [file, ...rest] = args;
  if (!file) throw new Error('empty command');
  const started = Date.now();
  const child = execa(file, rest, {
    env: options.env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    cancelSignal: options.signal,
    forceKillAfterDelay: 3000,
    timeout: options.timeoutMs,
    stripFinalNewline: false,
  });
  options.onStart?.(child.pid);
  child.stdout?.on('data', (chunk: Buffer) => options.onOutput?.('stdout', chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => options.onOutput?.('stderr', chunk.toString('utf8')));
  const result = await child;
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new CommandNotFoundError(file);
  }
  return {
    exitCode: result.exitCode ?? (result.isCanceled || result.isTerminated ? 130 : 1),
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    durationMs: Date.now() - started,
    cancelled: result.isCanceled,
    timedOut: result.timedOut,
  };
}
