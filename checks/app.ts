import { ct } from './text.js';
import type { CheckContext, CheckDefinition } from './types.js';
import { fail, failWith, num, pass, str } from './types.js';
import { sleep } from '../runner/engine/wait.js';
import { getJson, reason } from './registry.js';

/** Where the workshop reads the web UI: its published port on this machine. */
export const webuiUrl = 'http://127.0.0.1:8000';

interface Sample {
  coins: number;
  hashes: number;
  now: number;
}

async function sample(ctx: CheckContext): Promise<Sample> {
  const body = (await getJson(ctx, `${webuiUrl}/json`)) as Partial<Sample>;
  if (typeof body.hashes !== 'number' || typeof body.now !== 'number') throw new Error(ct('webuiJson.unexpected', { body: JSON.stringify(body) }));
  return body as Sample;
}

/** Mining speed in hashes per second, from two /json samples `windowSeconds` apart. */
export async function measureMiningSpeed(ctx: CheckContext, windowSeconds: number): Promise<number> {
  const first = await sample(ctx);
  await sleep(windowSeconds * 1000, ctx.signal);
  const second = await sample(ctx);
  // The web UI's clock did not move (or went back): no speed can be told from these two samples.
  if (!(second.now > first.now)) throw new Error(ct('miningSpeed.clockStuck', { seconds: windowSeconds, first: first.now, second: second.now }));
  return (second.hashes - first.hashes) / (second.now - first.now);
}

/** An exec whose program is not in the container ("executable file not found", exit 126/127). */
export const isMissingProgram = (result: { exitCode: number; stdout: string; stderr: string }) =>
  result.exitCode === 127 || result.exitCode === 126 || /executable file not found|no such file or directory/i.test(result.stderr + result.stdout);

/** The containers of a service's running tasks on the node this engine is. */
export async function localTaskContainers(ctx: CheckContext, service: string) {
  const containers = await ctx.docker.containers({ label: [`com.docker.swarm.service.name=${service}`] });
  return containers.filter((c) => c.state === 'running');
}

export const webuiJson: CheckDefinition = {
  id: 'webui-json',
  params: {},
  polls: true,
  title: () => ct('webuiJson.title', { url: `${webuiUrl}/json` }),
  hint: () => ct('webuiJson.hint', { url: `${webuiUrl}/json` }),
  async run(_p, ctx) {
    const expected = ct('webuiJson.expected', { url: `${webuiUrl}/json` });
    try {
      const s = await sample(ctx);
      return pass(expected, ct('webuiJson.actual', { coins: s.coins, hashes: s.hashes }));
    } catch (error) {
      return fail(expected, `${webuiUrl}/json: ${reason(error)}`);
    }
  },
};

export const miningSpeed: CheckDefinition = {
  id: 'mining-speed',
  params: { min: 'number', 'window?': 'number' },
  polls: true,
  costly: true,
  title: (p) => ct('miningSpeed.title', { min: num(p, 'min') }),
  hint: () => ct('miningSpeed.hint'),
  async run(p, ctx) {
    const min = num(p, 'min');
    const expected = ct('miningSpeed.expected', { min });
    try {
      const rate = await measureMiningSpeed(ctx, p.window === undefined ? 5 : num(p, 'window'));
      const actual = ct('miningSpeed.actual', { rate: rate.toFixed(1) });
      return rate >= min ? pass(expected, actual, { hashesPerSecond: rate }) : fail(expected, actual, { hashesPerSecond: rate });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      return fail(expected, ct('common.cannotRead', { what: `${webuiUrl}/json`, reason: reason(error) }));
    }
  },
};

export const dnsResolves: CheckDefinition = {
  id: 'dns-resolves',
  params: { name: 'string', count: 'number' },
  polls: true,
  title: (p) => ct('dnsResolves.title', { name: str(p, 'name'), count: num(p, 'count') }),
  hint: (p) => ct('dnsResolves.hint', { name: str(p, 'name') }),
  async run(p, ctx) {
    const name = str(p, 'name');
    const count = num(p, 'count');
    const expected = ct('dnsResolves.expected', { name, n: count });
    const [debug] = await localTaskContainers(ctx, 'debug');
    if (!debug) return fail(expected, ct('common.noDebug'));
    const result = await ctx.docker.exec(debug.id, ['drill', name], ctx.signal);
    if (isMissingProgram(result)) {
      return failWith(expected, ct('dnsResolves.noDrill', { image: debug.image }), ct('dnsResolves.noDrillHint'));
    }
    const answer = result.stdout.split(';; ANSWER SECTION:')[1]?.split(';;')[0] ?? '';
    const addresses = [...answer.matchAll(/\sIN\s+A\s+(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]);
    const actual = addresses.length ? ct('dnsResolves.actual', { name, addresses: addresses.join(', ') }) : ct('dnsResolves.actualNone', { name });
    return addresses.length === count ? pass(expected, actual) : fail(expected, actual);
  },
};

export const fileInService: CheckDefinition = {
  id: 'file-in-service',
  params: { service: 'string', path: 'string', size: 'number' },
  polls: true,
  title: (p) => ct('fileInService.title', { path: str(p, 'path'), size: num(p, 'size'), service: str(p, 'service') }),
  hint: (p) => ct('fileInService.hint', { path: str(p, 'path'), service: str(p, 'service') }),
  async run(p, ctx) {
    const service = str(p, 'service');
    const path = str(p, 'path');
    const expected = ct('fileInService.expected', { path, service, size: num(p, 'size') });
    const [container] = await localTaskContainers(ctx, service);
    if (!container) return fail(expected, ct('fileInService.noContainer', { service }));
    const result = await ctx.docker.exec(container.id, ['stat', '-c', '%s', path], ctx.signal);
    if (result.exitCode !== 0) return fail(expected, ct('fileInService.noFile', { path, container: container.name }));
    const size = Number(result.stdout.trim());
    const actual = ct('fileInService.actual', { path, container: container.name, size });
    return size === num(p, 'size') ? pass(expected, actual) : fail(expected, actual);
  },
};

export const speedUp: CheckDefinition = {
  id: 'speed-up',
  params: { since: 'string', factor: 'number', min: 'number', 'window?': 'number' },
  polls: true,
  costly: true,
  title: (p) => ct('speedUp.title', { factor: num(p, 'factor'), since: str(p, 'since'), min: num(p, 'min') }),
  hint: () => ct('speedUp.hint'),
  async run(p, ctx) {
    const since = str(p, 'since');
    const factor = num(p, 'factor');
    const min = num(p, 'min');
    const before = ctx.recorded?.(since, 'mining-speed');
    const expected = before === undefined
      ? ct('speedUp.expectedNothingKept', { min, since })
      : ct('speedUp.expected', { target: (before * factor).toFixed(1), factor, before: before.toFixed(1), since });
    let rate: number;
    try {
      rate = await measureMiningSpeed(ctx, p.window === undefined ? 5 : num(p, 'window'));
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      return fail(expected, ct('common.cannotRead', { what: `${webuiUrl}/json`, reason: reason(error) }));
    }
    const ratio = before ? rate / before : undefined;
    const actual = ratio ? ct('speedUp.actual', { rate: rate.toFixed(1), ratio: ratio.toFixed(2) }) : ct('miningSpeed.actual', { rate: rate.toFixed(1) });
    const ok = rate >= min && (before === undefined || rate >= before * factor);
    return { ok, expected, actual, measurements: { hashesPerSecond: rate, ...(ratio ? { ratio } : {}) } };
  },
};
