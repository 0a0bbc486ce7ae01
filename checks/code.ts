import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { localTaskContainers } from './app.js';
import { fail, num, pass, str, type CheckContext, type CheckDefinition } from './types.js';

/** The pause in the worker's loop: the first `time.sleep(N)` of the file (the 10 s retry pause comes later). */
export function loopSleep(source: string): number | undefined {
  const match = /time\.sleep\(\s*([0-9.]+)\s*\)/.exec(source);
  return match ? Number(match[1]) : undefined;
}

const describeSleep = (source: string) => {
  const seconds = loopSleep(source);
  return seconds === undefined ? 'no time.sleep() call' : `time.sleep(${seconds})`;
};

/** `workspace/<path>` or `package/<path>`: a file of the learner's copy or of the shipped source. */
function resolveSource(ctx: CheckContext, reference: string): { file: string; label: string } {
  const [root, ...rest] = reference.split('/');
  if ((root !== 'workspace' && root !== 'package') || !rest.length) {
    throw new Error(`matches must be workspace/<path> or package/<path>, not ${reference}`);
  }
  return {
    file: join(root === 'workspace' ? ctx.paths.workspace : ctx.paths.package, ...rest),
    label: root === 'workspace' ? `your edited ${rest.join('/')}` : `the original ${rest.join('/')}`,
  };
}

export const workspaceSleep: CheckDefinition = {
  id: 'workspace-sleep',
  params: { file: 'string', seconds: 'number' },
  title: (p) => `${str(p, 'file')} in your workspace pauses ${num(p, 'seconds')} s per loop`,
  hint: (p) => `grep -n time.sleep <workspace>/${str(p, 'file')}; change only the first sleep, the 10 s one is the retry pause`,
  async run(p, ctx) {
    const file = join(ctx.paths.workspace, str(p, 'file'));
    const expected = `time.sleep(${num(p, 'seconds')}) in ${file}`;
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch {
      return fail(expected, `cannot read ${file}`);
    }
    const actual = `${describeSleep(source)} in ${file}`;
    return loopSleep(source) === num(p, 'seconds') ? pass(expected, actual) : fail(expected, actual);
  },
};

export const runningCode: CheckDefinition = {
  id: 'running-code',
  params: { service: 'string', path: 'string', matches: 'string' },
  polls: true,
  title: (p) => `the ${str(p, 'service')} tasks run ${str(p, 'matches').startsWith('workspace/') ? 'your edited' : 'the original'} ${str(p, 'path')}`,
  hint: (p) => `docker exec <a ${str(p, 'service')} container> grep -n time.sleep ${str(p, 'path')}; did the update finish (docker service ps ${str(p, 'service')})?`,
  async run(p, ctx) {
    const service = str(p, 'service');
    const path = str(p, 'path');
    const source = resolveSource(ctx, str(p, 'matches'));
    const wanted = await readFile(source.file, 'utf8');
    const expected = `every running ${service} task has ${source.label} (${describeSleep(wanted)})`;
    const containers = await localTaskContainers(ctx, service);
    if (!containers.length) return fail(expected, `no running ${service} container on this node`);
    const seen = new Map<string, number>();
    let matching = 0;
    for (const container of containers) {
      let code: string;
      try {
        code = await ctx.docker.readFile(container.id, path);
      } catch {
        continue; // the container stopped between listing and reading: an update is under way
      }
      if (code === wanted) matching++;
      const label = describeSleep(code);
      seen.set(label, (seen.get(label) ?? 0) + 1);
    }
    const actual = `${matching}/${containers.length} running ${service} tasks match; ` + [...seen].map(([label, n]) => `${n} with ${label}`).join(', ');
    return matching === containers.length ? pass(expected, actual) : fail(expected, actual);
  },
};
