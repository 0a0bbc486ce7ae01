/** `docker ARGS` as prepare and the bundle run it, and the two questions both ask of the engine. */
import type { CommandResult } from '../engine/executor.js';
import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';

/** `docker ARGS` on the engine in question, with its own time bound. */
export type DockerRun = (args: string[], timeoutMs?: number) => Promise<CommandResult>;

/** What docker said last (its error, most often), or its exit code when it said nothing. */
export const lastLine = (r: CommandResult) => (r.stderr || r.stdout).trim().split('\n').filter(Boolean).pop() ?? say('prepare.dockerExited', { code: r.exitCode });

/** Image id and size, or undefined when there is no such image. */
export async function inspectImage(run: DockerRun, ref: string): Promise<{ id: string; bytes: number } | undefined> {
  const r = await run(['image', 'inspect', '--format', '{{.Id}} {{.Size}}', ref]);
  if (r.exitCode !== 0) return undefined;
  const [id = '', size = '0'] = r.stdout.trim().split(' ');
  return { id, bytes: Number(size) };
}

/** The engine's version; with no engine, a message that says what to do. */
export async function requireEngine(run: DockerRun): Promise<string> {
  const r = await run(['version', '--format', '{{.Server.Version}}']);
  if (r.exitCode !== 0) throw new AbortError(say('prepare.noEngine', { error: lastLine(r) }), [say('prepare.startDocker'), say('prepare.checkDockerInfo')]);
  return r.stdout.trim();
}
