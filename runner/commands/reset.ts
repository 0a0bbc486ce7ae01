import { createInterface } from 'node:readline/promises';
import type { DockerClient, ServiceInfo } from '../docker/client.js';
import { DockerodeClient } from '../docker/dockerode-client.js';
import { sameImage } from '../../checks/images.js';
import { APP_IMAGES, preparedRef } from '../docker/images.js';
import { portCheckFor, profileVariables, WORKSHOP_PORTS } from '../docker/probe.js';
import { defaultProfile } from '../docker/profile.js';
import { findForeign, foreignNetwork, foreignService, lessonObjects, type LessonObjects } from '../engine/claims.js';
import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';
import { lessonsDir } from '../paths.js';
import { emptyProgress, ProgressStore, type CreatedResource } from '../progress.js';
import { loadLessons } from '../lesson/load.js';

type Out = (text: string) => void;

const describe = (r: CreatedResource) => (r.kind === 'image' ? say('reset.what.image', { ref: r.ref }) : say(`reset.what.${r.kind}`, { name: r.name, id: r.id.slice(0, 12) }));

export interface ResetOptions {
  yes: boolean;
  /** How long to wait, in all, for what was removed to be really gone (tasks, containers, ports). */
  waitMs?: number;
  /** Where the lessons are (what a learner made by following them is offered for removal too). */
  lessons?: string;
}

/** The recorded resources that still exist, matched by id (a same-named resource made by someone else is not ours). */
async function stillThere(docker: DockerClient, created: CreatedResource[]): Promise<CreatedResource[]> {
  const [services, networks] = await Promise.all([docker.services(), docker.networks()]);
  const result: CreatedResource[] = [];
  for (const r of created) {
    if (r.kind === 'service' && services.some((s) => s.id === r.id)) result.push(r);
    else if (r.kind === 'network' && networks.some((n) => n.id === r.id)) result.push(r);
    else if (r.kind === 'image' && (await docker.imageExists(r.ref))) result.push(r);
  }
  return result;
}

/**
 * What a learner made by typing the lessons' commands: not recorded (run did not make it), but with a
 * lesson's name *and* its kind: a service running the lesson's image (on the lesson's network, where the
 * lesson names one), an overlay network `dockercoins`, an image tag the lessons make.
 */
async function madeByHand(docker: DockerClient, objects: LessonObjects, recorded: CreatedResource[]): Promise<CreatedResource[]> {
  const known = new Set(recorded.map((r) => (r.kind === 'image' ? r.ref : r.id)));
  const at = new Date().toISOString();
  const [services, networks] = await Promise.all([docker.services(), docker.networks()]);
  const found: CreatedResource[] = [];
  for (const s of services) {
    const expected = objects.services.get(s.name);
    if (!expected || known.has(s.id) || foreignService(s, expected)) continue;
    if (expected.network && !s.networks.includes(expected.network)) continue;
    found.push({ kind: 'service', id: s.id, name: s.name, at });
  }
  for (const n of networks) {
    const expected = objects.networks.get(n.name);
    if (!expected || known.has(n.id) || foreignNetwork(n, expected)) continue;
    found.push({ kind: 'network', id: n.id, name: n.name, at });
  }
  // Any spelling of the lessons' tags: the articles' `localhost:5000/...` is the same registry as ours.
  const lessonImages = [...objects.images];
  for (const image of await docker.images()) {
    for (const tag of image.tags) {
      if (!known.has(tag) && lessonImages.some((ref) => sameImage(ref, tag))) found.push({ kind: 'image', ref: tag, at });
    }
  }
  return found;
}

/** `prepare`'s images are a cache for the next class, not part of a chapter: reset keeps them, and says so. */
async function preparedNote(docker: DockerClient): Promise<string> {
  const kept = (await Promise.all(APP_IMAGES.map((n) => docker.imageExists(preparedRef(n)).catch(() => false)))).filter(Boolean).length;
  return kept ? say('reset.preparedStay', { count: kept }) : '';
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(say('reset.ask', { question }))).trim());
  } finally {
    rl.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wait until `left` reports nothing left, printing a progress line every few seconds (`waiting` says it,
 * given how many are left, for how long, and their names); returns what is still there when the deadline
 * passes (empty when all is gone).
 */
type Waiting = (vars: { count: number; seconds: number; names: string }) => string;
async function waitUntilGone(waiting: Waiting, left: () => Promise<string[]>, deadline: number, out: Out): Promise<string[]> {
  const started = Date.now();
  let said = 0;
  for (;;) {
    const remaining = await left();
    if (!remaining.length) return [];
    if (Date.now() > deadline) return remaining;
    if (Date.now() - said > 3000) {
      if (said) out(`${waiting({ count: remaining.length, seconds: Math.round((Date.now() - started) / 1000), names: `${remaining.slice(0, 3).join(', ')}${remaining.length > 3 ? ', …' : ''}` })}\n`);
      said = Date.now();
    }
    await sleep(250);
  }
}

/**
 * `reset`: remove what the workshop made (services and networks by id, image tags by name) and, after
 * asking, what the learner made by following the lessons; clear progress. It returns only once what it
 * removed is gone: the services' containers stopped and removed, their published ports free, the networks
 * and image tags gone, so that a chapter can start again at once. Anything else on the engine is left
 * alone, and objects that only share a lesson's name are named as such.
 */
export async function reset(options: ResetOptions, out: Out, docker: DockerClient = new DockerodeClient()): Promise<number> {
  const store = new ProgressStore();
  const { progress } = store.load();
  const host = (docker as { host?: string }).host ?? say('reset.theEngine');
  const info = await docker.info().catch((error: Error) => {
    throw new AbortError(say('reset.noEngine', { host, error: error.message }), [say('reset.startDocker'), say('reset.checkAgain')]);
  });
  const { chapters } = loadLessons(options.lessons ?? lessonsDir);
  const objects = lessonObjects(chapters, profileVariables(defaultProfile, info));
  const recorded = await stillThere(docker, progress.created);
  const byHand = info.isManager ? await madeByHand(docker, objects, progress.created) : [];
  const foreign = info.isManager ? await findForeign(docker, objects) : [];
  const recordedIds = new Set(progress.created.flatMap((r) => (r.kind === 'image' ? [] : [r.id])));
  const leftAlone = foreign.filter((f) => !recordedIds.has(f.id));

  const remove: CreatedResource[] = [...recorded];
  if (recorded.length) out(say('reset.created', { list: recorded.map((r) => `  ${describe(r)}`).join('\n') }));
  if (byHand.length) {
    out(`${recorded.length ? '\n' : ''}${say('reset.byHand', { list: byHand.map((r) => `  ${describe(r)}`).join('\n') })}`);
  }
  if (leftAlone.length) {
    out(say('reset.leftAlone', {
      list: leftAlone.map((f) => `  ${say('reset.foreign', { kind: say(`reset.kind.${f.kind}`), name: f.name, why: f.why })}`).join('\n'),
      commands: leftAlone.map((f) => `\`${f.remove}\``).join(', '),
    }));
  }
  if (!recorded.length && !byHand.length) {
    if (progress.created.length || Object.keys(progress.steps).length) out(say('reset.nothingLeft'));
    else out(say('reset.nothingHere'));
    store.save(emptyProgress());
    out(say('reset.cleared'));
    out(await preparedNote(docker));
    return 0;
  }
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new AbortError(say('reset.needsYes'), [say('reset.useYes')], 2);
    if (recorded.length && !(await confirm(byHand.length ? say('reset.askCreated') : say('reset.askThem')))) {
      out(say('reset.nothingRemoved'));
      return 1;
    }
    if (byHand.length && (await confirm(say('reset.askByHand')))) remove.push(...byHand);
  } else {
    remove.push(...byHand);
  }

  const deadline = Date.now() + (options.waitMs ?? 90_000);
  const failures: { resource: CreatedResource; why: string }[] = [];
  const services = await docker.services();
  const removedServices: ServiceInfo[] = [];
  for (const r of remove) {
    if (r.kind !== 'service') continue;
    try {
      await docker.removeService(r.id);
      const s = services.find((x) => x.id === r.id);
      if (s) removedServices.push(s);
      out(say('reset.removed', { what: describe(r) }));
    } catch (error) {
      failures.push({ resource: r, why: (error as Error).message });
    }
  }

  // Removing a service only starts stopping its tasks: wait for their containers to be gone, so that
  // their networks, images and ports are free for the next run.
  const ids = new Set(removedServices.map((s) => s.id));
  const containersLeft = async () => {
    const all = await docker.containers({ label: ['com.docker.swarm.service.id'], all: true });
    return all.filter((c) => ids.has(c.labels['com.docker.swarm.service.id'] ?? '')).map((c) => `${c.labels['com.docker.swarm.service.name'] ?? c.name} (${c.state})`);
  };
  const heldBy = ids.size ? await waitUntilGone((vars) => say('reset.waiting.containers', vars), containersLeft, deadline, out) : [];

  for (const r of remove) {
    if (r.kind !== 'network') continue;
    // Swarm removes a network once the last task on it is gone, and asynchronously: retry until it is.
    const gone = await waitUntilGone((vars) => say('reset.waiting.network', { ...vars, name: r.name }), async () => {
      if (!(await docker.networks()).some((n) => n.id === r.id)) return [];
      await docker.removeNetwork(r.id).catch(() => undefined);
      return (await docker.networks()).some((n) => n.id === r.id) ? [r.name] : [];
    }, deadline, out);
    if (gone.length) failures.push({ resource: r, why: `${say('reset.stillThere')}${heldBy.length ? say('reset.stillUsing', { containers: heldBy.join(', ') }) : ''}` });
    else out(say('reset.removed', { what: describe(r) }));
  }

  for (const r of remove) {
    if (r.kind !== 'image') continue;
    try {
      if (await docker.imageExists(r.ref)) await docker.removeImage(r.ref);
      out(say('reset.removed', { what: describe(r) }));
    } catch (error) {
      failures.push({ resource: r, why: `${(error as Error).message}${heldBy.length ? say('reset.notYetGone', { containers: heldBy.join(', ') }) : ''}` });
    }
  }

  // The ports the removed services published: free on the engine's machine once their tasks are gone.
  const isFree = portCheckFor(docker);
  const ports = [...new Set(removedServices.flatMap((s) => s.ports.map((p) => p.published)))].filter((p) => WORKSHOP_PORTS.some((w) => w.port === p));
  const portNames = new Map(ports.map((p) => [say('reset.port', { port: p }), p]));
  const portsHeld = ports.length
    ? await waitUntilGone((vars) => say('reset.waiting.ports', vars), async () => (await Promise.all([...portNames].map(async ([name, p]) => ((await isFree(p)) ? [] : [name])))).flat(), deadline, out)
    : [];

  const left = failures.map((f) => f.resource);
  store.save({ ...emptyProgress(), created: left });
  const problems = [
    ...failures.map((f) => say('reset.failed', { what: describe(f.resource), why: f.why })),
    ...heldBy.map((c) => say('reset.containerLeft', { container: c })),
    ...portsHeld.map((p) => say('reset.portHeld', { what: p, port: portNames.get(p) })),
  ];
  if (problems.length) {
    throw new AbortError(say('reset.waited', { seconds: Math.round((options.waitMs ?? 90_000) / 1000), problems: problems.map((p) => `  ${p}`).join('\n') }), [
      say('reset.stillRecorded'),
      say('reset.listContainers'),
    ]);
  }
  out(say('reset.done'));
  out(await preparedNote(docker));
  return 0;
}
