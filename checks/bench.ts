import { ct } from './text.js';
import { parseAb, type AbResult } from '../runner/engine/ab.js';
import { isMissingProgram, localTaskContainers } from './app.js';
import { fail, failWith, num, pass, str, type CheckContext, type CheckDefinition } from './types.js';

/**
 * The benchmark's story, measured again by the check: the same `ab` the learner ran, shorter, from the
 * debug container, once with one client and once with `concurrency` clients. A service that serves one
 * request at a time (rng) answers no faster with more clients; one that serves them side by side (hasher)
 * answers several times faster. The learner's own `ab` output is theirs to read; this check proves that
 * what it showed is so on their cluster, whatever they typed (or pasted).
 */
async function abRun(ctx: CheckContext, container: string, args: string[]): Promise<AbResult> {
  const result = await ctx.docker.exec(container, ['ab', ...args], ctx.signal);
  if (isMissingProgram(result)) throw new MissingAb();
  if (result.exitCode !== 0) throw new Error(ct('benchStory.abFailed', { args: args.join(' '), code: result.exitCode, line: (result.stderr || result.stdout).trim().split('\n').slice(-1)[0] }));
  return parseAb(result.stdout);
}

class MissingAb extends Error {}

/** How many tasks answer one client's connections to a URL's service: its running tasks behind a VIP, else 1. */
async function tasksBehind(ctx: CheckContext, url: string): Promise<number> {
  const name = new URL(url).hostname;
  const service = (await ctx.docker.services()).find((s) => s.name === name);
  if (!service || service.endpointMode !== 'vip') return 1;
  const running = (await ctx.docker.tasks(name)).filter((t) => t.state === 'running' && t.desiredState === 'running').length;
  return Math.max(1, running);
}

export const benchStory: CheckDefinition = {
  id: 'bench-story',
  params: { url: 'string', concurrency: 'number', story: 'string', 'body?': 'string' },
  costly: true,
  title: (p) => ct(str(p, 'story') === 'serial' ? 'benchStory.titleSerial' : 'benchStory.titleConcurrent', { url: str(p, 'url'), concurrency: num(p, 'concurrency') }),
  hint: () => ct('benchStory.hint'),
  async run(p, ctx) {
    const url = str(p, 'url');
    const c = num(p, 'concurrency');
    const serial = str(p, 'story') === 'serial';
    if (!serial && str(p, 'story') !== 'concurrent') throw new Error(`story must be serial or concurrent, not ${str(p, 'story')}`);
    // Serial per task: through a virtual IP (IPVS), each new connection may go to another task, so n tasks
    // behind the name serve up to n requests at once; with DNS round robin, ab resolves the name once and
    // talks to one task.
    const behind = serial ? await tasksBehind(ctx, url) : 1;
    const expected = serial
      ? ct(behind > 1 ? 'benchStory.expectedSerialTasks' : 'benchStory.expectedSerial', { clients: c, times: 2 * behind, tasks: behind })
      : ct('benchStory.expectedConcurrent', { clients: c });
    const [debug] = await localTaskContainers(ctx, 'debug');
    if (!debug) return fail(expected, ct('benchStory.noDebug'));
    const body = p.body === undefined ? [] : ['-T', 'application/octet-stream', '-p', str(p, 'body')];
    let one: AbResult;
    let many: AbResult;
    try {
      one = await abRun(ctx, debug.id, ['-c', '1', '-n', String(c), ...body, url]);
      many = await abRun(ctx, debug.id, ['-c', String(c), '-n', String(c), ...body, url]);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      if (error instanceof MissingAb) return failWith(expected, ct('benchStory.noAb', { image: debug.image }), ct('benchStory.noAbHint'));
      return fail(expected, (error as Error).message);
    }
    const ratio = many.requestsPerSecond / one.requestsPerSecond;
    const figures = { one: one.requestsPerSecond, many: many.requestsPerSecond, clients: c, ratio: ratio.toFixed(1), failed: many.failedRequests };
    const actual = ct(many.failedRequests ? 'benchStory.actualFailed' : 'benchStory.actual', figures);
    const measurements = { oneClient: one.requestsPerSecond, manyClients: many.requestsPerSecond, ratio };
    const ok = many.failedRequests === 0 && (serial ? ratio <= 2 * behind : ratio >= 3);
    return { ok, expected, actual, measurements };
  },
};
