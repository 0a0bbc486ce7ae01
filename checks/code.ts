import { ct } from './text.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { localTaskContainers } from './app.js';
import { sameImage } from './images.js';
import { fail, failWith, num, pass, str, type CheckContext, type CheckDefinition } from './types.js';

/** The pause in the worker's loop: the first `time.sleep(N)` of the file (the 10 s retry pause comes later). */
export function loopSleep(source: string): number | undefined {
  const match = /time\.sleep\(\s*([0-9.]+)\s*\)/.exec(source);
  return match ? Number(match[1]) : undefined;
}

const describeSleep = (source: string) => {
  const seconds = loopSleep(source);
  return seconds === undefined ? ct('workspaceSleep.noSleep') : `time.sleep(${seconds})`;
};

/** `workspace/<path>` or `package/<path>`: a file of the learner's copy or of the shipped source. */
function resolveSource(ctx: CheckContext, reference: string): { file: string; label: string } {
  const [root, ...rest] = reference.split('/');
  if ((root !== 'workspace' && root !== 'package') || !rest.length) {
    throw new Error(`matches must be workspace/<path> or package/<path>, not ${reference}`);
  }
  return {
    file: join(root === 'workspace' ? ctx.paths.workspace : ctx.paths.package, ...rest),
    label: ct(root === 'workspace' ? 'runningCode.edited' : 'runningCode.original', { path: rest.join('/') }),
  };
}

/** The pause after an error: the last `time.sleep(N)` of the file, when there are two or more. */
export function retrySleep(source: string): number | undefined {
  const all = [...source.matchAll(/time\.sleep\(\s*([0-9.]+)\s*\)/g)];
  return all.length >= 2 ? Number(all[all.length - 1]![1]) : undefined;
}

export const workspaceSleep: CheckDefinition = {
  id: 'workspace-sleep',
  params: { file: 'string', seconds: 'number', 'retry?': 'number' },
  title: (p) => ct('workspaceSleep.title', { file: str(p, 'file'), seconds: num(p, 'seconds') }),
  hint: (p) => ct('workspaceSleep.hint', { file: str(p, 'file') }),
  async run(p, ctx) {
    const file = join(ctx.paths.workspace, str(p, 'file'));
    const expected = ct('workspaceSleep.expected', { seconds: num(p, 'seconds'), file });
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch {
      return fail(expected, ct('workspaceSleep.cannotRead', { file }));
    }
    const actual = ct('workspaceSleep.actual', { sleep: describeSleep(source), file });
    if (loopSleep(source) !== num(p, 'seconds')) return fail(expected, actual);
    // The retry pause (after an error) stays as it was: a substitution that caught every sleep changed it too.
    if (p.retry !== undefined && retrySleep(source) !== num(p, 'retry')) {
      const retry = retrySleep(source);
      return failWith(ct('workspaceSleep.expectedRetry', { expected, retry: num(p, 'retry') }),
        retry === undefined ? ct('workspaceSleep.actualRetryGone', { actual }) : ct('workspaceSleep.actualRetry', { actual, retry }),
        ct('workspaceSleep.retryHint', { retry: num(p, 'retry') }));
    }
    return pass(expected, actual);
  },
};

/**
 * The code every running task of a service runs, on every node. A task whose container is on the engine
 * the checks talk to is read there; a task on another node is judged by the image digest swarm pinned for
 * it: the same digest on this engine (an image built or pulled here) or in a container read here tells its
 * code. A task whose code cannot be seen from here is said, and the check does not pass by default.
 */
export const runningCode: CheckDefinition = {
  id: 'running-code',
  params: { service: 'string', path: 'string', matches: 'string' },
  polls: true,
  title: (p) => ct(str(p, 'matches').startsWith('workspace/') ? 'runningCode.titleEdited' : 'runningCode.titleOriginal', { service: str(p, 'service'), path: str(p, 'path') }),
  hint: (p) => ct('runningCode.hint', { service: str(p, 'service'), path: str(p, 'path') }),
  async run(p, ctx) {
    const service = str(p, 'service');
    const path = str(p, 'path');
    const source = resolveSource(ctx, str(p, 'matches'));
    const wanted = await readFile(source.file, 'utf8');
    const expected = ct('runningCode.expected', { service, label: source.label, sleep: describeSleep(wanted) });
    const [tasks, containers] = await Promise.all([ctx.docker.tasks(service), localTaskContainers(ctx, service)]);
    const running = tasks.filter((t) => t.state === 'running' && t.desiredState === 'running');
    if (!running.length) return fail(expected, ct('runningCode.noTask', { service }));
    const local = new Map(containers.map((c) => [c.id, c]));
    // Code by digest: learned from a local container of that digest, or from a local image that has it.
    const byDigest = new Map<string, string | undefined>();
    let images: Awaited<ReturnType<typeof ctx.docker.images>> | undefined;
    const codeOf = async (task: (typeof running)[number]): Promise<string | undefined> => {
      if (task.containerId && local.has(task.containerId)) {
        try {
          const code = await ctx.docker.readFile(task.containerId, path);
          if (task.imageDigest) byDigest.set(task.imageDigest, code);
          return code;
        } catch {
          return undefined; // the container stopped between listing and reading: an update is under way
        }
      }
      if (!task.imageDigest) return undefined;
      if (!byDigest.has(task.imageDigest)) {
        images ??= await ctx.docker.images();
        const image = images.find((i) => i.repoDigests?.some((d) => d.endsWith(`@${task.imageDigest}`)));
        byDigest.set(task.imageDigest, image ? await ctx.docker.readImageFile(image.id, path).catch(() => undefined) : undefined);
      }
      return byDigest.get(task.imageDigest);
    };
    const seen = new Map<string, number>();
    const unseen = new Set<string>();
    let matching = 0;
    // Tasks with a local container first: they teach the digests of the others.
    const ordered = [...running].sort((a, b) => Number(!!b.containerId && local.has(b.containerId)) - Number(!!a.containerId && local.has(a.containerId)));
    for (const task of ordered) {
      const code = await codeOf(task);
      if (code === undefined) {
        unseen.add(task.nodeId);
        continue;
      }
      if (code === wanted) matching++;
      const label = describeSleep(code);
      seen.set(label, (seen.get(label) ?? 0) + 1);
    }
    const sep = ct('common.sep');
    let actual = ct('runningCode.actual', { matching, total: running.length, service }) + (seen.size ? sep + [...seen].map(([label, n]) => ct('runningCode.with', { n, sleep: label })).join(ct('common.comma')) : '');
    if (unseen.size) {
      const nodes = await ctx.docker.nodes().catch(() => []);
      const names = [...unseen].map((id) => nodes.find((n) => n.id === id)?.hostname ?? id.slice(0, 12));
      actual += sep + ct('runningCode.unseen', { nodes: names.join(', ') });
    }
    return matching === running.length ? pass(expected, actual) : fail(expected, actual);
  },
};

/**
 * The code an image holds, before any task runs it: the file at `path` in the image (read from a container
 * created from it, never started), compared with the learner's copy. Catches a build made before the edit,
 * or from the package's sources, at the build step rather than after the rolling update.
 */
export const imageCode: CheckDefinition = {
  id: 'image-code',
  params: { image: 'string', path: 'string', matches: 'string' },
  title: (p) => ct(str(p, 'matches').startsWith('workspace/') ? 'imageCode.titleEdited' : 'imageCode.titleOriginal', { image: str(p, 'image'), path: str(p, 'path') }),
  hint: (p) => ct('imageCode.hint', { image: str(p, 'image') }),
  async run(p, ctx) {
    const image = str(p, 'image');
    const path = str(p, 'path');
    const source = resolveSource(ctx, str(p, 'matches'));
    const wanted = await readFile(source.file, 'utf8');
    const expected = ct('imageCode.expected', { image, label: source.label, sleep: describeSleep(wanted) });
    const local = (await ctx.docker.images()).find((i) => i.tags.some((t) => sameImage(t, image)));
    if (!local) return fail(expected, ct('imageCode.noImage', { image }));
    let code: string;
    try {
      code = await ctx.docker.readImageFile(local.id, path);
    } catch (error) {
      return fail(expected, ct('imageCode.cannotRead', { path, image, error: (error as Error).message }));
    }
    const actual = ct(code === wanted ? 'imageCode.same' : 'imageCode.differs', { image, path, sleep: describeSleep(code) });
    return code === wanted ? pass(expected, actual) : fail(expected, actual);
  },
};
