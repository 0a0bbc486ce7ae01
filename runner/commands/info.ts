import type { MeshVerdict } from '../docker/mesh.js';
import { commandEnv, describeEndpoint } from '../docker/endpoint.js';
import { DockerodeClient } from '../docker/dockerode-client.js';
import { portCheckFor, probeEnvironment, profileFor, profileVariables } from '../docker/probe.js';
import { lessonObjects } from '../engine/claims.js';
import { ProgressStore } from '../progress.js';
import { describeTaken, takenNames } from './preflight.js';
import { findOnPath, PACKAGES, runCommand } from '../engine/executor.js';
import { formatProblem, loadLessons } from '../lesson/load.js';
import { parseCommand } from '../lesson/template.js';
import { lessonsDir } from '../paths.js';
import { knownChecks } from './setup.js';
import { say } from '../i18n/messages.js';

/** The programs the lessons' commands start, from the lesson files themselves. */
function lessonCommands(dir = lessonsDir): string[] {
  const { chapters } = loadLessons(dir);
  const first = chapters.flatMap((c) => c.steps.flatMap((s) => s.commands.flatMap((spec) => {
    const word = parseCommand(spec.template)[0];
    return word?.length === 1 && 'text' in word[0]! ? [word[0].text] : [];
  })));
  return [...new Set(first)].sort();
}

/** `doctor`: what the workshop sees here, and whether it can run. Exit 0 when it can. */
export async function doctor(out: (t: string) => void, lessons?: string): Promise<number> {
  const docker = new DockerodeClient();
  const r = await probeEnvironment(docker, docker.host, portCheckFor(docker));
  const line = (ok: boolean | 'warn', text: string) => out(`${ok === 'warn' ? '!' : ok ? '✓' : '✗'} ${text}\n`);
  let usable = true;
  out(`${say('doctor.engineAt', { where: describeEndpoint(docker.endpoint) })}\n`);
  if (!r.engine.ok) {
    line(false, say('doctor.unreachable', { error: r.engine.error }));
    return 1;
  }
  const info = r.engine.info;
  line(true, say('doctor.engine', { version: info.serverVersion, host: info.hostname }));
  const active = info.swarmState === 'active';
  line(active, `${say('doctor.swarm', { state: info.swarmState })}${active ? '' : say('doctor.swarmInit')}`);
  line(info.isManager, info.isManager ? say('doctor.manager', { count: info.nodes }) : say('doctor.notManager'));
  usable &&= active && info.isManager;
  const from = r.ipvsSource === 'forced' ? say('doctor.ipvsFrom.forced') : r.ipvsSource === 'a guess' ? say('doctor.ipvsFrom.guess')
    : say('doctor.ipvsFrom.checked', { where: r.ipvsSource === 'this machine' ? say('doctor.ipvsFrom.thisMachine') : say('doctor.ipvsFrom.engineKernel') });
  line(r.ipvs ? true : 'warn', r.ipvs ? say('doctor.ipvs', { from }) : say('doctor.noIpvs', { from }));
  if (info.nodes > 1 && info.isManager) {
    // The mesh by what it does: a port published here, reached through another node (mesh.ts).
    const { probeMesh } = await import('../docker/mesh.js');
    const run = (args: string[], timeoutMs = 60_000) => runCommand(['docker', ...args], { env: commandEnv(docker.endpoint), signal: AbortSignal.timeout(180_000), timeoutMs });
    const mesh: MeshVerdict = await probeMesh(docker, run, info.hostname).catch((error: Error) => ({ mesh: 'unknown' as const, reason: say('doctor.mesh.failed', { error: error.message.split('\n')[0] }) }));
    if (mesh.mesh === 'unknown') line('warn', say('doctor.mesh.notProbed', { reason: mesh.reason }));
    else if (mesh.mesh === 'works') line(true, say('doctor.mesh.works', { host: info.hostname, node: mesh.node }));
    else {
      line('warn', say('doctor.mesh.missing', { host: info.hostname, node: mesh.node, nested: r.ipvs ? say('doctor.mesh.nested') : '' }));
      const { meshBlocker } = await import('../docker/mesh.js');
      const blocker = r.ipvs ? await meshBlocker(docker) : undefined;
      if (blocker) line('warn', blocker);
    }
    if (mesh.mesh !== 'unknown' && mesh.registryElsewhere !== undefined) {
      line(mesh.registryElsewhere ? true : 'warn', mesh.registryElsewhere
        ? say('doctor.registry.everywhere', { node: mesh.node, forwarded: mesh.mesh === 'works' ? '' : say('doctor.registry.forwarded') })
        : say('doctor.registry.notElsewhere', { node: mesh.node }));
    } else if (mesh.mesh !== 'works') {
      const { isLabEngine } = await import('../lab/lab.js');
      if (isLabEngine(docker.endpoint)) {
        line(true, say('doctor.registry.lab'));
      } else {
        // Without the routing mesh, 127.0.0.1:5000 answers only on the node that runs the registry's task.
        line('warn', say('doctor.registry.noMesh', { count: info.nodes, what: r.ipvs ? say('doctor.registry.mesh') : say('doctor.registry.ipvs') }));
      }
    }
  }
  if (active && info.isManager) {
    // Names the lessons use, held by something that is not what the lessons make.
    const { chapters } = loadLessons(lessons ?? lessonsDir);
    const taken = await takenNames(docker, new ProgressStore(), lessonObjects(chapters, profileVariables(profileFor(r), info)));
    const { lines, choices } = describeTaken({ foreign: taken.foreign, ports: [] });
    if (lines.length) {
      for (const l of lines) line(false, say('doctor.nameInUse', { what: l }));
      out(choices.map((c) => `    → ${c}\n`).join(''));
      usable = false;
    } else line(true, say('doctor.namesFree'));
  }
  for (const p of r.ports) {
    line(p.state !== 'taken', `${say('doctor.port', { port: p.port, detail: p.detail })}${p.state === 'taken' ? say('doctor.freePort', { port: p.port }) : ''}`);
    usable &&= p.state !== 'taken';
  }
  line(r.localhost === '127.0.0.1' ? true : 'warn', `${say('doctor.localhost', { address: r.localhost })}${r.localhost === '127.0.0.1' ? '' : say('doctor.localhostExplicit')}`);
  line(true, say('doctor.registryAddress'));
  // Every program the lessons' commands start must be on PATH (docker, curl, sed, ...).
  for (const command of lessonCommands(lessons)) {
    const found = findOnPath(command);
    line(!!found, found ? say('doctor.command', { command, path: found }) : say('doctor.commandMissing', { command, package: PACKAGES[command] ?? command }));
    usable &&= !!found;
  }
  for (const image of r.images) line(image.present ? true : 'warn', image.present ? say('doctor.image', { ref: image.ref }) : say('doctor.imageMissing', { ref: image.ref }));
  const prepared = r.prepared.filter((p) => p.present).length;
  line(prepared === r.prepared.length ? true : 'warn', prepared === r.prepared.length
    ? say('doctor.prepared', { prepared, total: r.prepared.length })
    : say('doctor.notPrepared', { prepared, total: r.prepared.length }));
  if (r.diskFreeBytes !== undefined) {
    const gib = r.diskFreeBytes / 2 ** 30;
    line(gib > 3 ? true : 'warn', `${say('doctor.disk', { gib: gib.toFixed(1) })}${gib > 3 ? '' : say('doctor.diskLow')}`);
  }
  out(usable ? say('doctor.ready') : say('doctor.notReady'));
  return usable ? 0 : 1;
}

/**
 * `lint`: validate lesson files. `--checks` lists the check ids with their parameters, then what each
 * step of the lessons checks, one line per fact, so that an author can see that every statement of a
 * step's text has a check behind it.
 */
export async function lint(out: (t: string) => void, options: { lessons?: string; checks?: boolean }): Promise<number> {
  const dir = options.lessons ?? lessonsDir;
  const { chapters, problems } = loadLessons(dir);
  if (options.checks) {
    const known = knownChecks();
    out(say('lint.checks'));
    for (const c of known) {
      const params = Object.entries(c.params).map(([n, t]) => `${n}: ${t}`).join(', ');
      out(`  ${c.id.padEnd(20)} ${params || say('lint.noParameters')}\n`);
    }
    out(say('lint.changedBy'));
    for (const chapter of chapters) {
      out(say('lint.chapter', { chapter: chapter.id }));
      chapter.steps.forEach((step, i) => {
        out(`  [${i + 1}/${chapter.steps.length}] ${step.id}\n`);
        for (const ref of step.checks) {
          const definition = known.find((c) => c.id === ref.check);
          const title = definition ? definition.title(ref.params) : ref.check;
          out(`      - ${title}  (${ref.check}${ref.changedBy ? say('lint.history', { steps: ref.changedBy.join(say('lint.or')) }) : ''})\n`);
        }
        if (step.measure) out(say('lint.measure', { measure: step.measure }));
      });
    }
    return problems.length ? 1 : 0;
  }
  // The program's message catalogues: every key in every language, with the same placeholders.
  const { catalogueProblems } = await import('../i18n/messages.js');
  problems.push(...catalogueProblems());
  for (const p of problems) out(`${formatProblem(p)}\n`);
  const steps = chapters.reduce((n, c) => n + c.steps.length, 0);
  out(problems.length ? say('lint.problems', { count: problems.length, dir }) : say('lint.valid', { count: chapters.length, steps }));
  return problems.length ? 1 : 0;
}
