import { cpSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { dockercoinsDir } from './paths.js';

/**
 * The learner's own copy of DockerCoins, where chapter 4 edits the worker: `SWARM_WORKSHOP_WORKSPACE`,
 * else `~/swarm-workshop/dockercoins`. The copy shipped in the package is never edited.
 */
export function workspaceDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SWARM_WORKSHOP_WORKSPACE) return env.SWARM_WORKSHOP_WORKSPACE;
  if (env.SWARM_WORKSHOP_HOME) return join(env.SWARM_WORKSHOP_HOME, 'workspace', 'dockercoins');
  return join(homedir(), 'swarm-workshop', 'dockercoins');
}

/** Copy the shipped sources out on first use; an existing workspace (with the learner's edits) is kept. */
export function ensureWorkspace(dir: string = workspaceDir()): { dir: string; created: boolean } {
  if (existsSync(join(dir, 'worker', 'worker.py'))) return { dir, created: false };
  cpSync(dockercoinsDir, dir, { recursive: true, errorOnExist: false, force: false });
  return { dir, created: true };
}
