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
  return failWith(expected, `no service named ${name}`,
    `if \`docker service create ... --name ${name}\` printed an error, it says why: a misspelled --network gives "network ... not found" (the overlay networks here: ${networks.join(', ') || 'none'}). docker service ls lists the services.`);
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
  if (failed && !parts.length) parts.push(`last failure: ${failed.error || failed.message}`);
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
  return `${service.name}: ${running.length}/${desired} running${problems ? `, ${problems}` : ''}`;
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
    const expected = global ? `${name}: global, one running task per node` : `${name}: ${num(p, 'replicas')}/${num(p, 'replicas')} running`;
    if (!service) return noService(ctx, expected, name);
    const all = await ctx.docker.tasks(name);
    // A task on a node that is down is not running, whatever it last reported: say which node it is.
    const down = await downNodes(ctx);
    const tasks = all.filter((t) => !down.has(t.nodeId));
    const lost = all.filter((t) => down.has(t.nodeId) && t.desiredState === 'running');
    const onDown = [...new Set(lost.map((t) => down.get(t.nodeId)!))];
    const actual = describeReplicas(service, tasks) + (down.size ? `; ${[...new Set(down.values())].join(', ')} ${down.size > 1 ? 'are' : 'is'} down${onDown.length ? ` (${lost.length} task(s) were on ${onDown.join(', ')}: swarm starts them again on the other nodes)` : ''}` : '');
    const { running, wanted } = summarizeTasks(tasks);
    if (global) {
      if (service.mode.kind !== 'global') return fail(expected, `${name} is replicated, not global`);
      return wanted.length > 0 && running.length === wanted.length ? pass(expected, actual) : fail(expected, actual);
    }
    const replicas = num(p, 'replicas');
    if (service.mode.kind !== 'replicated' || service.mode.replicas !== replicas) {
      const has = service.mode.kind === 'global' ? 'global' : `${service.mode.replicas} replica(s)`;
      return fail(expected, `${name} is set to ${has}; ${actual}`);
    }
    if (running.length === replicas && wanted.length === replicas) return pass(expected, actual);
    // A rolling update (or rollback) replaces tasks a few at a time: the count is right, some tasks are
    // between an old and a new one. That is what a later step does, not something gone wrong.
    if (service.updateState === 'updating' || service.updateState === 'rollback_started') {
      return pass(expected, `${actual} (${service.updateState === 'updating' ? 'an update' : 'a rollback'} is replacing tasks; the count is set to ${replicas})`);
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
    const expected = `${name}: ${describeCount(replicas)} task(s) running ${image}${isLoopback(parseImage(image).registry) ? ' (localhost, 127.0.0.1 or [::1])' : ''}`;
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    if (!sameImage(service.image, image)) {
      const wanted = parseImage(image);
      const has = parseImage(service.image);
      const why = has.path === wanted.path && canonicalRegistry(has.registry) === canonicalRegistry(wanted.registry)
        ? `the tag differs (${has.tag}, not ${wanted.tag})`
        : has.path === wanted.path ? `it comes from ${has.registry ?? 'Docker Hub'}, not from the registry ${wanted.registry}` : undefined;
      return failWith(expected, `${name} is set to run ${service.image}${why ? `: ${why}` : ''}`, `docker service update --image ${image} ${name} changes it`);
    }
    const tasks = await ctx.docker.tasks(name);
    const { running, wanted } = summarizeTasks(tasks);
    const onImage = running.filter((t) => sameImage(t.image, image)).length;
    const others = running.length - onImage;
    const actual = `${describeReplicas(service, tasks)}; ${onImage} on ${image}${others ? `, ${others} on other images` : ''}`;
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
    const expected = `${name}: port ${num(p, 'port')} published to ${num(p, 'target')}`;
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const ports = service.ports.map((x) => `${x.published}->${x.target} (${x.mode})`).join(', ') || 'no published ports';
    const ok = service.ports.some((x) => x.published === num(p, 'port') && x.target === num(p, 'target'));
    return ok ? pass(expected, `${name}: ${ports}`) : fail(expected, `${name}: ${ports}`);
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
    const expected = `${name} on network ${network}`;
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const actual = `${name} on ${service.networks.join(', ') || 'no network'}`;
    return service.networks.includes(network) ? pass(expected, actual) : fail(expected, actual);
  },
};

const UPDATE_KINDS: Record<string, { states: string[]; words: string; how: string }> = {
  update: { states: ['completed'], words: 'an update (docker service update)', how: 'docker service update' },
  rollback: { states: ['rollback_completed'], words: 'a rollback (docker service rollback)', how: 'docker service rollback' },
  any: { states: ['completed', 'rollback_completed'], words: 'an update or a rollback', how: 'docker service update' },
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
    const expected = `${name}: ${kind.words}, finished (UpdateStatus ${kind.states.join(' or ')})`;
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const state = service.updateState;
    const actual = state ? `${name}: UpdateStatus ${state}${service.updateMessage ? ` (${service.updateMessage})` : ''}` : `${name}: never updated`;
    if (state && kind.states.includes(state)) return pass(expected, actual);
    const rollingBack = state?.startsWith('rollback_');
    if (state && rollingBack && p.kind === 'update') {
      return failWith(expected, `${actual}: the last change was a rollback`, `this step changes the service with ${kind.how}, not with docker service rollback`);
    }
    if (state && !rollingBack && p.kind === 'rollback') {
      return failWith(expected, `${actual}: the last change was an update, not a rollback`, `this step teaches docker service rollback ${name}: it goes back to the previous spec (image and settings) without naming the image`);
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
    const expected = `${name}: update parallelism ${parallelism}${delay === undefined ? '' : `, delay ${secondsText(delay)}`}`;
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const c = service.updateConfig;
    const actual = `${name}: update parallelism ${c.parallelism}, delay ${secondsText(c.delaySeconds)}`;
    const missing = [
      ...(c.parallelism !== parallelism ? [`--update-parallelism ${parallelism}`] : []),
      ...(delay !== undefined && c.delaySeconds !== delay ? [`--update-delay ${secondsText(delay)}`] : []),
    ];
    if (!missing.length) return pass(expected, actual);
    return failWith(expected, actual, `the service's update settings lack ${missing.join(' and ')}: give them in the update command (docker service update ${missing.join(' ')} --image ... ${name}); settings given once stay with the service for later updates`);
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
    const expected = `a service named ${name}${repository ? ` running some tag of ${repository}` : ''}`;
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const actual = `${name} runs ${service.image}, ${service.mode.kind === 'global' ? 'global' : `${service.mode.replicas} replica(s)`}`;
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
    const expected = wanted === 'vip' ? `${name}: endpoint mode vip, with a virtual IP` : `${name}: endpoint mode dnsrr (no IPVS here: a virtual IP would not route), no virtual IP`;
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const actual = `${name}: endpoint mode ${service.endpointMode}, ${service.virtualIps} virtual IP(s)`;
    const ok = service.endpointMode === wanted && (wanted === 'vip' ? service.virtualIps > 0 : service.virtualIps === 0);
    if (ok) return pass(expected, actual);
    return failWith(expected, actual, wanted === 'dnsrr'
      ? `this kernel has no IPVS, so a virtual IP answers "No route to host": docker service update --endpoint-mode dnsrr ${name}`
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
    const expected = `${name}: every running task on a manager node`;
    const service = await findService(ctx, name);
    if (!service) return noService(ctx, expected, name);
    const [nodes, tasks] = await Promise.all([ctx.docker.nodes(), ctx.docker.tasks(name)]);
    const running = tasks.filter((t) => t.desiredState === 'running' && t.state === 'running');
    if (!running.length) return fail(expected, `${name}: no running task`);
    const where = running.map((t) => nodes.find((n) => n.id === t.nodeId));
    const actual = `${name} runs on ${where.map((n) => (n ? `${n.hostname} (${n.role})` : 'an unknown node')).join(', ')}`;
    return where.every((n) => n?.role === 'manager') ? pass(expected, actual) : failWith(expected, actual, `pin it: docker service update --constraint-add node.role==manager ${name} (or node.hostname==<the manager>)`);
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
    const expected = `${name}: running tasks on ${wanted} node(s) or more${ready.length < num(p, 'nodes') ? ` (the swarm has ${ready.length} ready)` : ''}`;
    const running = tasks.filter((t) => t.desiredState === 'running' && t.state === 'running');
    if (!running.length) return fail(expected, `${name}: no running task`);
    const per = new Map<string, number>();
    for (const t of running) {
      const host = nodes.find((n) => n.id === t.nodeId)?.hostname ?? t.nodeId.slice(0, 12);
      per.set(host, (per.get(host) ?? 0) + 1);
    }
    const actual = `${name}: ${running.length} task(s) on ${[...per].sort().map(([h, n]) => `${h} (${n})`).join(', ')}`;
    return per.size >= wanted ? pass(expected, actual) : fail(expected, actual);
  },
};
