import { ct } from './text.js';
import type { ServiceInfo, TaskInfo } from '../runner/docker/client.js';
import { repositoryName } from '../runner/engine/claims.js';
import { canonicalRegistry, isLoopback, parseImage, sameImage } from './images.js';
import { count, countMatches, describeCount, fail, failWith, num, pass, str, type CheckContext, type CheckDefinition } from './types.js';

async function findService(ctx: CheckContext, name: string): Promise<ServiceInfo | undefined> {
  return (await ctx.docker.services()).find((s) => s.name === name);
}

/**
 * "No service named X", with what helps most often: the create command failed, and the error it printed
 * says why; a misspelled --network is the usual one ("network dockerconins not found"), so the networks
 * there are are named.
 */
export async function noService(ctx: CheckContext, expected: string, name: string) {
  let networks: string[] = [];
  try {
    networks = (await ctx.docker.networks()).filter((n) => n.scope === 'swarm' && n.name !== 'ingress').map((n) => n.name);
  } catch {
    // Without the list, the hint still says where to look.
  }
  return failWith(expected, ct('common.noService', { name }), ct('common.noServiceHint', { name, networks: networks.join(', ') || ct('common.none') }));
}

/** Tasks swarm wants running, and a one-line summary of those that are not ("3 pending: no suitable node"). */
export function summarizeTasks(tasks: TaskInfo[]): { wanted: TaskInfo[]; running: TaskInfo[]; problems: string } {
  const wanted = tasks.filter((t) => t.desiredState === 'running');
  const running = wanted.filter((t) => t.state === 'running');
  const byState = new Map<string, { count: number; reason: string }>();
  for (const t of wanted) {
    if (t.state === 'running') continue;
    const entry = byState.get(t.state) ?? { count: 0, reason: t.error || t.message };
    entry.count++;
    byState.set(t.state, entry);
  }
  const failed = tasks.filter((t) => t.state === 'failed' || t.state === 'rejected').slice(-1)[0];
  const parts = [...byState].map(([state, { count, reason }]) => `${count} ${state}${reason ? `: ${reason}` : ''}`);
  if (failed && !parts.length) parts.push(ct('common.lastFailure', { reason: failed.error || failed.message }));
  return { wanted, running, problems: parts.join(', ') };
}

/** Nodes of the swarm that are not ready (down, unknown, disconnected), by id, with their hostnames. */
async function downNodes(ctx: CheckContext): Promise<Map<string, string>> {
  let nodes: Awaited<ReturnType<typeof ctx.docker.nodes>> = [];
  try {
    nodes = await ctx.docker.nodes();
  } catch {
    // Not told: judged by the tasks alone, as before.
  }
  return new Map(nodes.filter((n) => n.state !== 'ready').map((n) => [n.id, n.hostname]));
}

export function describeReplicas(service: ServiceInfo, tasks: TaskInfo[]): string {
  const { running, wanted, problems } = summarizeTasks(tasks);
  const desired = service.mode.kind === 'replicated' ? service.mode.replicas : wanted.length;
  const counts = { name: service.name, running: running.length, desired };
  return problems ? ct('common.replicasProblems', { ...counts, problems }) : ct('common.replicas', counts);
}

export const serviceConverged: CheckDefinition = {
  id: 'service-converged',
  params: { service: 'string', replicas: 'replicas' },
  title: (p) => (p.replicas === 'global' ? ct('serviceConverged.titleGlobal', { service: str(p, 'service') }) : ct('serviceConverged.title', { service: str(p, 'service'), replicas: num(p, 'replicas') })),
  hint: (p) => ct('serviceConverged.hint', { service: str(p, 'service') }),
  async run(p, ctx) {
    const name = str(p, 'service');
    const service = await findService(ctx, name);
    const global = p.replicas === 'global';
    const expected = global ? ct('serviceConverged.expectedGlobal', { name }) : ct('serviceConverged.expected', { name, replicas: num(p, 'replicas') });
    if (!service) return noService(ctx, expected, name);
    const all = await ctx.docker.tasks(name);
    // A task on a node that is down is not running, whatever it last reported: say which node it is.
    const down = await downNodes(ctx);
    const tasks = all.filter((t) => !down.has(t.nodeId));
    const lost = all.filter((t) => down.has(t.nodeId) && t.desiredState === 'running');
    const onDown = [...new Set(lost.map((t) => down.get(t.nodeId)!))];
    const lostText = onDown.length ? ct('serviceConverged.lost', { n: lost.length, nodes: onDown.join(', ') }) : '';
    const actual = describeReplicas(service, tasks) + (down.size ? ct('serviceConverged.down', { count: down.size, nodes: [...new Set(down.values())].join(', '), lost: lostText }) : '');
    const { running, wanted } = summarizeTasks(tasks);
    if (global) {
      if (service.mode.kind !== 'global') return fail(expected, ct('serviceConverged.notGlobal', { name }));
      return wanted.length > 0 && running.length === wanted.length ? pass(expected, actual) : fail(expected, actual);
    }
    const replicas = num(p, 'replicas');
    if (service.mode.kind !== 'replicated' || service.mode.replicas !== replicas) {
      const has = service.mode.kind === 'global' ? ct('common.global') : ct('common.replicaCount', { n: service.mode.replicas });
      // Not scaled at all, and the count the step wants on another service: the scale most likely went to
      // the wrong one.
      const others = replicas > 1 && service.mode.kind === 'replicated' && service.mode.replicas === 1
        ? (await ctx.docker.services()).filter((x) => x.name !== name && x.mode.kind === 'replicated' && x.mode.replicas === replicas).map((x) => x.name)
        : [];
      const wrong = others.length ? ct('serviceConverged.otherHas', { others: others.join(', '), replicas, name }) : '';
      return fail(expected, ct('serviceConverged.setTo', { name, has, actual }) + wrong);
    }
    if (running.length === replicas && wanted.length === replicas) return pass(expected, actual);
    // A rolling update (or rollback) replaces tasks a few at a time: the count is right, some tasks are
    // between an old and a new one. That is what a later step does, not something gone wrong.
    if (service.updateState === 'updating' || service.updateState === 'rollback_started') {
      return pass(expected, ct(service.updateState === 'updating' ? 'serviceConverged.updating' : 'serviceConverged.rollingBack', { actual, replicas }));
    }
    return fail(expected, actual);
  },
};

export const serviceImage: CheckDefinition = {
  id: 'service-image',
  params: { service: 'string', image: 'string', replicas: 'count' },
  title: (p) => ct('serviceImage.title', { service: str(p, 'service'), image: str(p, 'image'), count: describeCount(count(p, 'replicas')) }),
  hint: (p) => ct('serviceImage.hint', { service: str(p, 'service') }),
  async run(p, ctx) {
    const name = str(p, 'service');
    const image = str(p, 'image');
    const replicas = count(p, 'replicas');
    const expected = ct(isLoopback(parseImage(image).registry) ? 'serviceImage.expectedLoopback' : 'serviceImage.expected', { name, n: describeCount(replicas), image });
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    if (!sameImage(service.image, image)) {
      const wanted = parseImage(image);
      const has = parseImage(service.image);
      const why = has.path === wanted.path && canonicalRegistry(has.registry) === canonicalRegistry(wanted.registry)
        ? ct('serviceImage.tagDiffers', { has: has.tag, wanted: wanted.tag })
        : has.path !== wanted.path ? undefined
          : wanted.registry ? ct('serviceImage.otherRegistry', { from: has.registry ?? 'Docker Hub', registry: wanted.registry })
            : ct('serviceImage.otherRegistryHub', { from: has.registry });
      return failWith(expected, why ? ct('serviceImage.setToRunWhy', { name, image: service.image, why }) : ct('serviceImage.setToRun', { name, image: service.image }), ct('serviceImage.updateHint', { image, name }));
    }
    const tasks = await ctx.docker.tasks(name);
    const { running, wanted } = summarizeTasks(tasks);
    const onImage = running.filter((t) => sameImage(t.image, image)).length;
    const others = running.length - onImage;
    const actual = ct(others ? 'serviceImage.actualOthers' : 'serviceImage.actual', { replicas: describeReplicas(service, tasks), n: onImage, image, others });
    const settled = onImage === wanted.length && wanted.length === running.length;
    return settled && countMatches(replicas, onImage) ? pass(expected, actual) : fail(expected, actual);
  },
};

export const servicePublished: CheckDefinition = {
  id: 'service-published',
  params: { service: 'string', port: 'number', target: 'number' },
  title: (p) => ct('servicePublished.title', { service: str(p, 'service'), port: num(p, 'port') }),
  hint: (p) => ct('servicePublished.hint', { service: str(p, 'service') }),
  async run(p, ctx) {
    const name = str(p, 'service');
    const expected = ct('servicePublished.expected', { name, port: num(p, 'port'), target: num(p, 'target') });
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const ports = service.ports.map((x) => `${x.published}->${x.target} (${x.mode})`).join(', ');
    const actual = ports ? ct('servicePublished.actual', { name, ports }) : ct('servicePublished.actualNone', { name });
    const ok = service.ports.some((x) => x.published === num(p, 'port') && x.target === num(p, 'target'));
    return ok ? pass(expected, actual) : fail(expected, actual);
  },
};

export const serviceOnNetwork: CheckDefinition = {
  id: 'service-on-network',
  params: { service: 'string', network: 'string' },
  title: (p) => ct('serviceOnNetwork.title', { service: str(p, 'service'), network: str(p, 'network') }),
  hint: (p) => ct('serviceOnNetwork.hint', { service: str(p, 'service') }),
  async run(p, ctx) {
    const name = str(p, 'service');
    const network = str(p, 'network');
    const expected = ct('serviceOnNetwork.expected', { name, network });
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const actual = service.networks.length ? ct('serviceOnNetwork.actual', { name, networks: service.networks.join(', ') }) : ct('serviceOnNetwork.actualNone', { name });
    return service.networks.includes(network) ? pass(expected, actual) : fail(expected, actual);
  },
};

/** Each kind's expected text is `checks.updateCompleted.expected.<kind>` in the catalogues. */
const UPDATE_KINDS: Record<string, { states: string[]; how: string }> = {
  update: { states: ['completed'], how: 'docker service update' },
  rollback: { states: ['rollback_completed'], how: 'docker service rollback' },
  any: { states: ['completed', 'rollback_completed'], how: 'docker service update' },
};

export const updateCompleted: CheckDefinition = {
  id: 'update-completed',
  params: { service: 'string', 'kind?': 'string' },
  title: (p) => ct(`updateCompleted.title.${UPDATE_KINDS[String(p.kind ?? 'any')] ? String(p.kind ?? 'any') : 'any'}`, { service: str(p, 'service') }),
  hint: (p) => ct('updateCompleted.hint', { service: str(p, 'service') }),
  async run(p, ctx) {
    const name = str(p, 'service');
    const kind = UPDATE_KINDS[String(p.kind ?? 'any')];
    if (!kind) throw new Error(`kind must be update, rollback or any, not ${String(p.kind)}`);
    const expected = ct(`updateCompleted.expected.${String(p.kind ?? 'any')}`, { name });
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const state = service.updateState;
    const actual = !state ? ct('updateCompleted.neverUpdated', { name })
      : service.updateMessage ? ct('updateCompleted.actualMessage', { name, state, message: service.updateMessage }) : ct('updateCompleted.actual', { name, state });
    if (state && kind.states.includes(state)) return pass(expected, actual);
    const rollingBack = state?.startsWith('rollback_');
    if (state && rollingBack && p.kind === 'update') {
      return failWith(expected, ct('updateCompleted.lastRollback', { actual }), ct('updateCompleted.lastRollbackHint', { how: kind.how }));
    }
    if (state && !rollingBack && p.kind === 'rollback') {
      return failWith(expected, ct('updateCompleted.lastUpdate', { actual }), ct('updateCompleted.lastUpdateHint', { name }));
    }
    return fail(expected, actual);
  },
};

const secondsText = (s: number) => `${s}s`;

export const updateConfig: CheckDefinition = {
  id: 'update-config',
  params: { service: 'string', parallelism: 'number', 'delay?': 'number' },
  title: (p) => ct(num(p, 'parallelism') === 0 ? 'updateConfig.titleAllAtOnce' : 'updateConfig.title', { service: str(p, 'service'), parallelism: num(p, 'parallelism'), apart: p.delay === undefined ? '' : ct('updateConfig.apart', { delay: secondsText(num(p, 'delay')) }) }),
  hint: (p) => ct('updateConfig.hint', { service: str(p, 'service'), parallelism: num(p, 'parallelism'), delay: p.delay === undefined ? '' : ` --update-delay ${secondsText(num(p, 'delay'))}` }),
  async run(p, ctx) {
    const name = str(p, 'service');
    const parallelism = num(p, 'parallelism');
    const delay = p.delay === undefined ? undefined : num(p, 'delay');
    const expected = delay === undefined ? ct('updateConfig.expected', { name, parallelism }) : ct('updateConfig.expectedDelay', { name, parallelism, delay: secondsText(delay) });
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const c = service.updateConfig;
    const actual = ct('updateConfig.expectedDelay', { name, parallelism: c.parallelism, delay: secondsText(c.delaySeconds) });
    const missing = [
      ...(c.parallelism !== parallelism ? [`--update-parallelism ${parallelism}`] : []),
      ...(delay !== undefined && c.delaySeconds !== delay ? [`--update-delay ${secondsText(delay)}`] : []),
    ];
    if (!missing.length) return pass(expected, actual);
    return failWith(expected, actual, ct('updateConfig.missingHint', { missing: missing.join(ct('updateConfig.and')), flags: missing.join(' '), name }));
  },
};

export const serviceExists: CheckDefinition = {
  id: 'service-exists',
  params: { service: 'string', 'repository?': 'string' },
  title: (p) => (p.repository ? ct('serviceExists.titleImage', { service: str(p, 'service'), repository: str(p, 'repository') }) : ct('serviceExists.title', { service: str(p, 'service') })),
  hint: (p) => ct('serviceExists.hint', { service: str(p, 'service') }),
  async run(p, ctx) {
    const name = str(p, 'service');
    const repository = p.repository === undefined ? undefined : str(p, 'repository');
    const expected = repository ? ct('serviceExists.expectedImage', { name, repository }) : ct('serviceExists.expected', { name });
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const actual = ct('serviceExists.actual', { name, image: service.image, mode: service.mode.kind === 'global' ? ct('common.global') : ct('common.replicaCount', { n: service.mode.replicas }) });
    if (repository && repositoryName(service.image) !== repositoryName(repository)) return fail(expected, actual);
    return pass(expected, actual);
  },
};

export const serviceEndpoint: CheckDefinition = {
  id: 'service-endpoint',
  params: { service: 'string' },
  title: (p) => ct('serviceEndpoint.title', { service: str(p, 'service') }),
  hint: (p) => ct('serviceEndpoint.hint', { service: str(p, 'service') }),
  async run(p, ctx) {
    const name = str(p, 'service');
    const wanted = ctx.profile.ipvs ? 'vip' : 'dnsrr';
    const expected = ct(wanted === 'vip' ? 'serviceEndpoint.expectedVip' : 'serviceEndpoint.expectedDnsrr', { name });
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const actual = ct('serviceEndpoint.actual', { name, mode: service.endpointMode, n: service.virtualIps });
    const ok = service.endpointMode === wanted && (wanted === 'vip' ? service.virtualIps > 0 : service.virtualIps === 0);
    if (ok) return pass(expected, actual);
    return failWith(expected, actual, wanted === 'dnsrr'
      ? ct('serviceEndpoint.hintDnsrr', { name })
      : `docker service update --endpoint-mode vip ${name}`);
  },
};

export const serviceOnManager: CheckDefinition = {
  id: 'service-on-manager',
  params: { service: 'string' },
  title: (p) => ct('serviceOnManager.title', { service: str(p, 'service') }),
  hint: (p) => ct('serviceOnManager.hint', { service: str(p, 'service') }),
  async run(p, ctx) {
    const name = str(p, 'service');
    const expected = ct('serviceOnManager.expected', { name });
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const [nodes, tasks] = await Promise.all([ctx.docker.nodes(), ctx.docker.tasks(name)]);
    const running = tasks.filter((t) => t.desiredState === 'running' && t.state === 'running');
    if (!running.length) return fail(expected, ct('common.noRunningTask', { name }));
    const where = running.map((t) => nodes.find((n) => n.id === t.nodeId));
    const actual = ct('serviceOnManager.actual', { name, nodes: where.map((n) => (n ? `${n.hostname} (${n.role})` : ct('serviceOnManager.unknownNode'))).join(', ') });
    return where.every((n) => n?.role === 'manager') ? pass(expected, actual) : failWith(expected, actual, ct('serviceOnManager.pinHint', { name }));
  },
};

/**
 * Several nodes: the running tasks of a service are spread over at least `nodes` of them (or over every
 * ready node, when the swarm has fewer): what scaling on a cluster is for. On one node it holds as soon
 * as a task runs; it says so.
 */
export const tasksSpread: CheckDefinition = {
  id: 'tasks-spread',
  params: { service: 'string', nodes: 'number' },
  title: (p) => ct('tasksSpread.title', { service: str(p, 'service'), nodes: num(p, 'nodes') }),
  hint: (p) => ct('tasksSpread.hint', { service: str(p, 'service') }),
  async run(p, ctx) {
    const name = str(p, 'service');
    const [nodes, tasks] = await Promise.all([ctx.docker.nodes(), ctx.docker.tasks(name)]);
    const ready = nodes.filter((n) => n.state === 'ready');
    const wanted = Math.max(1, Math.min(num(p, 'nodes'), ready.length));
    const expected = ready.length < num(p, 'nodes') ? ct('tasksSpread.expectedFewer', { name, n: wanted, ready: ready.length }) : ct('tasksSpread.expected', { name, n: wanted });
    const running = tasks.filter((t) => t.desiredState === 'running' && t.state === 'running');
    if (!running.length) return fail(expected, ct('common.noRunningTask', { name }));
    const per = new Map<string, number>();
    for (const t of running) {
      const host = nodes.find((n) => n.id === t.nodeId)?.hostname ?? t.nodeId.slice(0, 12);
      per.set(host, (per.get(host) ?? 0) + 1);
    }
    const actual = ct('tasksSpread.actual', { name, n: running.length, nodes: [...per].sort().map(([h, n]) => `${h} (${n})`).join(', ') });
    return per.size >= wanted ? pass(expected, actual) : fail(expected, actual);
  },
};
