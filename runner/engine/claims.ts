import type { DockerClient, NetworkInfo, ServiceInfo } from '../docker/client.js';
import type { Chapter } from '../lesson/load.js';
import { renderCommand, type Variables } from '../lesson/template.js';
import { createsObject, imagesMade, optionValues } from './resources.js';

/**
 * The names the lessons use, and what they make under each: a service `registry` from the image
 * `registry:2`, an overlay network `dockercoins`, port 5000 published by `registry`. With that, an
 * object that only shares a name (a service `registry` running nginx, a bridge network `dockercoins`)
 * is told apart from one a learner made by following the lessons.
 */
/** What the lessons make under a service name: its image's repository, its network, the chapter. */
export interface ServiceClaim {
  repository: string;
  network?: string;
  chapter: string;
}

export interface LessonObjects {
  services: Map<string, ServiceClaim>;
  networks: Map<string, { driver: string; chapter: string }>;
  /** Port -> the service the lessons publish there. */
  ports: Map<number, string>;
  /** Image references the lessons build or tag. */
  images: Set<string>;
}

/** `docker service create` flags that take no value (everything else that starts with `-` takes one). */
const SERVICE_FLAGS = new Set(['-d', '--detach', '--init', '--no-healthcheck', '--no-resolve-image', '-q', '--quiet', '--read-only', '-t', '--tty', '--with-registry-auth']);

/** The image of a `docker service create` command line: its first argument that is not an option or an option's value. */
export function serviceImage(args: string[]): string | undefined {
  for (let i = 3; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) return a;
    if (!a.includes('=') && !SERVICE_FLAGS.has(a)) i++;
  }
  return undefined;
}

/**
 * The repository's own name, the part that stays whichever registry address a learner types:
 * `127.0.0.1:5000/dockercoins_rng:v0.1`, `localhost:5000/dockercoins_rng` -> `dockercoins_rng`;
 * `registry:2`, `docker.io/library/registry` -> `registry`.
 */
export function repositoryName(image: string): string {
  const noDigest = image.replace(/@sha256:[0-9a-f]+$/, '');
  const last = noDigest.split('/').pop() ?? noDigest;
  return last.replace(/:[^:]*$/, '');
}

/** Read every chapter's commands (rendered for this machine) for what they create. */
export function lessonObjects(chapters: Chapter[], variables: Variables): LessonObjects {
  const objects: LessonObjects = { services: new Map(), networks: new Map(), ports: new Map(), images: new Set() };
  // The folders and the debug container do not change what is made: stand-ins do for them.
  const vars = { dockercoins: 'dockercoins', workspace: 'workspace', ...variables, debug: 'debug' };
  for (const chapter of chapters) {
    for (const step of chapter.steps) {
      for (const spec of step.commands) {
        let args: string[];
        try {
          args = renderCommand(spec.template, vars);
        } catch {
          continue; // lint reports templates that do not render
        }
        for (const image of imagesMade(args, '')) if (image.kind === 'image') objects.images.add(image.ref);
        const kind = createsObject(args);
        if (kind === 'service') {
          const name = optionValues(args, undefined, 'name')[0];
          const image = serviceImage(args);
          if (!name || !image) continue;
          if (!objects.services.has(name)) objects.services.set(name, { repository: repositoryName(image), network: optionValues(args, undefined, 'network')[0], chapter: chapter.id });
          for (const publish of optionValues(args, 'p', 'publish')) {
            const port = /published=(\d+)/.exec(publish)?.[1] ?? /^(\d+):\d+/.exec(publish)?.[1];
            if (port) objects.ports.set(Number(port), name);
          }
        } else if (kind === 'network') {
          const name = args[args.length - 1]!;
          if (!objects.networks.has(name)) objects.networks.set(name, { driver: optionValues(args, 'd', 'driver')[0] ?? 'bridge', chapter: chapter.id });
        }
      }
    }
  }
  return objects;
}

export interface Foreign {
  kind: 'service' | 'network';
  name: string;
  id: string;
  /** What the lessons make under that name, and what is there instead. */
  why: string;
  /** The command that removes it, for a learner who decides it is theirs and no longer needed. */
  remove: string;
}

export function foreignService(service: ServiceInfo, expected: ServiceClaim): string | undefined {
  const found = repositoryName(service.image);
  return found === expected.repository ? undefined : `the lessons' ${service.name} runs the image ${expected.repository}, this one runs ${service.image}`;
}

export function foreignNetwork(network: NetworkInfo, expected: { driver: string }): string | undefined {
  if (network.driver !== expected.driver) return `the lessons' ${network.name} is an ${expected.driver} network, this one is ${network.driver} (scope ${network.scope})`;
  if (expected.driver === 'overlay' && network.scope !== 'swarm') return `the lessons' ${network.name} is swarm-scoped, this one is ${network.scope}`;
  return undefined;
}

/**
 * Services and networks on the engine that bear a name the lessons use (of `only`, when given: the
 * names one chapter touches) but are something else.
 */
export async function findForeign(docker: DockerClient, objects: LessonObjects, only?: Set<string>): Promise<Foreign[]> {
  const [services, networks] = await Promise.all([docker.services(), docker.networks()]);
  const foreign: Foreign[] = [];
  for (const s of services) {
    const expected = objects.services.get(s.name);
    if (!expected || (only && !only.has(s.name))) continue;
    const why = foreignService(s, expected);
    if (why) foreign.push({ kind: 'service', name: s.name, id: s.id, why, remove: `docker service rm ${s.name}` });
  }
  for (const n of networks) {
    const expected = objects.networks.get(n.name);
    if (!expected || (only && !only.has(n.name))) continue;
    const why = foreignNetwork(n, expected);
    if (why) foreign.push({ kind: 'network', name: n.name, id: n.id, why, remove: `docker network rm ${n.name}` });
  }
  return foreign;
}

/** The service and network names a chapter's commands and checks touch. */
export function namesOf(chapter: Chapter, objects: LessonObjects): Set<string> {
  const names = new Set<string>();
  const mentioned = (text: string) => {
    for (const name of [...objects.services.keys(), ...objects.networks.keys()]) if (new RegExp(`(^|[\\s=/])${name}($|[\\s:])`).test(text)) names.add(name);
  };
  for (const step of chapter.steps) {
    for (const c of step.commands) mentioned(c.template);
    for (const ref of step.checks) for (const v of Object.values(ref.params)) if (typeof v === 'string') mentioned(v);
  }
  for (const p of chapter.startsFrom?.checks ?? []) for (const v of Object.values(p.params)) if (typeof v === 'string') mentioned(v);
  return names;
}
