import type { DockerClient } from '../docker/client.js';
import { portStatus, WORKSHOP_PORTS } from '../docker/probe.js';
import type { ProgressStore } from '../progress.js';
import { findForeign, lessonObjects, namesOf, type Foreign, type LessonObjects } from '../engine/claims.js';
import { resolveChecks } from '../engine/runner.js';
import { waitForChecks } from '../engine/wait.js';
import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';
import type { Chapter } from '../lesson/load.js';
import type { Session } from './setup.js';

/** A port the lessons publish, held by something other than the lessons' service. */
export interface PortTaken {
  port: number;
  service: string;
  detail: string;
}

/** Names and ports the lessons use that something else holds (never an object the workshop recorded). */
export async function takenNames(docker: DockerClient, store: ProgressStore, objects: LessonObjects, only?: Set<string>, isFree?: (port: number) => Promise<boolean>): Promise<{ foreign: Foreign[]; ports: PortTaken[] }> {
  const recorded = new Set(store.load().progress.created.flatMap((r) => (r.kind === 'image' ? [] : [r.id])));
  const foreign = (await findForeign(docker, objects, only)).filter((f) => !recorded.has(f.id));
  const services = await docker.services();
  const ports: PortTaken[] = [];
  for (const { port, service } of WORKSHOP_PORTS) {
    if (only && !only.has(service)) continue;
    const status = await portStatus(port, service, services, isFree);
    if (status.state === 'taken') ports.push({ port, service, detail: status.detail });
  }
  return { foreign, ports };
}

/** Lines for a message: each taken name with what it is, and the choices. */
export function describeTaken(taken: { foreign: Foreign[]; ports: PortTaken[] }): { lines: string[]; choices: string[] } {
  const lines = [
    ...taken.foreign.map((f) => say('preflight.foreign', { kind: say(`preflight.kind.${f.kind}`), name: f.name, why: f.why })),
    ...taken.ports.map((p) => say('preflight.portTaken', { port: p.port, detail: p.detail, service: p.service })),
  ];
  const choices = [
    ...taken.foreign.map((f) => say('preflight.removeIt', { kind: say(`preflight.kind.${f.kind}`), name: f.name, remove: f.remove })),
    ...taken.ports.map((p) => say('preflight.findPort', { port: p.port })),
    say('preflight.reset'),
    say('preflight.elsewhere'),
  ];
  return { lines, choices };
}

/**
 * Before a chapter runs or is checked: name the names and ports it uses that something that is not the
 * lessons' holds, with the choices: auto mode stops there; check mode (given `warn`) says so and goes on,
 * its checks failing on them (a check never passes on a foreign object that only shares a name). Then test
 * what the chapter starts from and say how to get there when it is missing.
 */
export async function preflight(chapter: Chapter, chapters: Chapter[], session: Session, mode: 'auto' | 'check', warn?: (text: string) => void): Promise<void> {
  const objects = lessonObjects(chapters, session.variables);
  const taken = await takenNames(session.docker, session.store, objects, namesOf(chapter, objects), session.portIsFree);
  if (taken.foreign.length || taken.ports.length) {
    const { lines, choices } = describeTaken(taken);
    const what = say('preflight.taken', { chapter: chapter.id, lines: lines.map((l) => `  ${l}`).join('\n') });
    // Auto mode would fail on them ("already exists"); check mode judges the steps anyway, since they are
    // often the learner's own mistake (a bridge network named dockercoins, a toolbox from alpine), and the
    // steps that use them do not pass, each saying why.
    if (mode === 'auto' || !warn) throw new AbortError(what, choices);
    warn(say('preflight.notice', { what, choices: choices.map((c) => `  → ${c}`).join('\n') }));
  }
  const from = chapter.startsFrom;
  if (!from) return;
  const checks = resolveChecks({ ...chapter.steps[0]!, checks: from.checks }, session.variables);
  const result = await waitForChecks(checks, {
    docker: session.docker, profile: session.profile, fetch: session.fetch ?? globalThis.fetch, paths: session.paths, signal: AbortSignal.timeout(30_000),
  }, { deadline: Date.now() + 3000 });
  if (result.ok) return;
  const missing = result.verdicts.filter((v) => !v.ok).map((v) => `  ✗ ${v.title}: ${v.actual}`);
  throw new AbortError(say('preflight.notThere', { chapter: chapter.id, from: from.chapter, what: from.what, missing: missing.join('\n') }), [
    say('preflight.getThere', { from: from.chapter }),
    mode === 'check' ? say('preflight.byHandCheck', { from: from.chapter }) : say('preflight.byHandAuto', { from: from.chapter }),
  ]);
}
