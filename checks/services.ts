import type { ServiceInfo, TaskInfo } from '../runner/docker/client.js';
import { repositoryName } from '../runner/engine/claims.js';
import { fail, num, pass, str, type CheckContext, type CheckDefinition } from './types.js';

async function findService(ctx: CheckContext, name: string): Promise<ServiceInfo | undefined> {
  return (await ctx.docker.services()).find((s) => s.name === name);
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

export function describeReplicas(service: ServiceInfo, tasks: TaskInfo[]): string {
  const { running, wanted, problems } = summarizeTasks(tasks);
  const desired = service.mode.kind === 'replicated' ? service.mode.replicas : wanted.length;
  return `${service.name}: ${running.length}/${desired} running${problems ? `, ${problems}` : ''}`;
}

export const serviceConverged: CheckDefinition = {
  id: 'service-converged',
  params: { service: 'string', replicas: 'replicas' },
  title: (p) =>
    p.replicas === 'global'
      ? `${str(p, 'service')} runs one task on every node`
      : `${str(p, 'service')} runs ${num(p, 'replicas')} task(s)`,
  hint: (p) => `docker service ps ${str(p, 'service')} --no-trunc shows each task's state and error`,
  async run(p, ctx) {
    const name = str(p, 'service');
    const service = await findService(ctx, name);
    const global = p.replicas === 'global';
    const expected = global ? `${name}: global, one running task per node` : `${name}: ${num(p, 'replicas')}/${num(p, 'replicas')} running`;
    if (!service) return fail(expected, `no service named ${name}`);
    const tasks = await ctx.docker.tasks(name);
    const actual = describeReplicas(service, tasks);
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
    return running.length === replicas && wanted.length === replicas ? pass(expected, actual) : fail(expected, actual);
  },
};

export const serviceImage: CheckDefinition = {
  id: 'service-image',
  params: { service: 'string', image: 'string', replicas: 'number' },
  title: (p) => `every ${str(p, 'service')} task runs ${str(p, 'image')}`,
  hint: (p) => `docker service ps ${str(p, 'service')} shows the image of each task; docker service inspect --pretty ${str(p, 'service')} shows the update status`,
  async run(p, ctx) {
    const name = str(p, 'service');
    const image = str(p, 'image');
    const replicas = num(p, 'replicas');
    const expected = `${name}: ${replicas}/${replicas} running ${image}`;
    const service = await findService(ctx, name);
    if (!service) return fail(expected, `no service named ${name}`);
    if (service.image !== image) return fail(expected, `${name} is set to run ${service.image}`);
    const tasks = await ctx.docker.tasks(name);
    const { running, wanted } = summarizeTasks(tasks);
    const onImage = running.filter((t) => t.image === image).length;
    const others = running.length - onImage;
    const actual = `${describeReplicas(service, tasks)}; ${onImage} on ${image}${others ? `, ${others} on other images` : ''}`;
    return onImage === replicas && wanted.length === replicas ? pass(expected, actual) : fail(expected, actual);
  },
};

export const servicePublished: CheckDefinition = {
  id: 'service-published',
  params: { service: 'string', port: 'number', target: 'number' },
  title: (p) => `${str(p, 'service')} publishes port ${num(p, 'port')}`,
  hint: (p) => `docker service inspect --format '{{json .Endpoint.Ports}}' ${str(p, 'service')}`,
  async run(p, ctx) {
    const name = str(p, 'service');
    const expected = `${name}: port ${num(p, 'port')} published to ${num(p, 'target')}`;
    const service = await findService(ctx, name);
    if (!service) return fail(expected, `no service named ${name}`);
    const ports = service.ports.map((x) => `${x.published}->${x.target} (${x.mode})`).join(', ') || 'no published ports';
    const ok = service.ports.some((x) => x.published === num(p, 'port') && x.target === num(p, 'target'));
    return ok ? pass(expected, `${name}: ${ports}`) : fail(expected, `${name}: ${ports}`);
  },
};

export const serviceOnNetwork: CheckDefinition = {
  id: 'service-on-network',
  params: { service: 'string', network: 'string' },
  title: (p) => `${str(p, 'service')} is attached to ${str(p, 'network')}`,
  hint: (p) => `docker service inspect --format '{{json .Spec.TaskTemplate.Networks}}' ${str(p, 'service')}; networks are set when the service is created (--network)`,
  async run(p, ctx) {
    const name = str(p, 'service');
    const network = str(p, 'network');
    const expected = `${name} on network ${network}`;
    const service = await findService(ctx, name);
    if (!service) return fail(expected, `no service named ${name}`);
    const actual = `${name} on ${service.networks.join(', ') || 'no network'}`;
    return service.networks.includes(network) ? pass(expected, actual) : fail(expected, actual);
  },
};

export const updateCompleted: CheckDefinition = {
  id: 'update-completed',
  params: { service: 'string' },
  title: (p) => `the last update of ${str(p, 'service')} has finished`,
  hint: (p) => `docker service inspect --pretty ${str(p, 'service')} shows "UpdateStatus"; a paused update resumes with docker service update ${str(p, 'service')}`,
  async run(p, ctx) {
    const name = str(p, 'service');
    const expected = `${name}: update completed (or rollback completed)`;
    const service = await findService(ctx, name);
    if (!service) return fail(expected, `no service named ${name}`);
    const state = service.updateState;
    const actual = state ? `${name}: update ${state}${service.updateMessage ? ` (${service.updateMessage})` : ''}` : `${name}: never updated`;
    return state === 'completed' || state === 'rollback_completed' ? pass(expected, actual) : fail(expected, actual);
  },
};

export const serviceExists: CheckDefinition = {
  id: 'service-exists',
  params: { service: 'string', 'repository?': 'string' },
  title: (p) => `a service ${str(p, 'service')} exists${p.repository ? ` (image ${str(p, 'repository')})` : ''}`,
  hint: (p) => `docker service ls shows the services; docker service ps ${str(p, 'service')} shows its tasks`,
  async run(p, ctx) {
    const name = str(p, 'service');
    const repository = p.repository === undefined ? undefined : str(p, 'repository');
    const expected = `a service named ${name}${repository ? ` running some tag of ${repository}` : ''}`;
    const service = await findService(ctx, name);
    if (!service) return fail(expected, `no service named ${name}`);
    const actual = `${name} runs ${service.image}, ${service.mode.kind === 'global' ? 'global' : `${service.mode.replicas} replica(s)`}`;
    if (repository && repositoryName(service.image) !== repositoryName(repository)) return fail(expected, actual);
    return pass(expected, actual);
  },
};
