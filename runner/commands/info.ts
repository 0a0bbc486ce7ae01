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
  out(`Docker engine: ${describeEndpoint(docker.endpoint)}\n`);
  if (!r.engine.ok) {
    line(false, `engine unreachable: ${r.engine.error}\n    → start Docker, or set DOCKER_HOST to a running engine`);
    return 1;
  }
  const info = r.engine.info;
  line(true, `engine ${info.serverVersion} on ${info.hostname}`);
  const active = info.swarmState === 'active';
  line(active, `swarm: ${info.swarmState}${active ? '' : '\n    → run `docker swarm init`'}`);
  line(info.isManager, `this node is ${info.isManager ? 'a manager' : 'not a manager'}${info.isManager ? `, ${info.nodes} node(s) in the swarm` : '\n    → run the workshop on a manager node'}`);
  usable &&= active && info.isManager;
  const from = r.ipvsSource === 'forced' ? ' (set by SWARM_WORKSHOP_IPVS)' : r.ipvsSource === 'a guess' ? ' (a guess: the engine runs elsewhere and could not be probed; set SWARM_WORKSHOP_IPVS=0|1 to say)' : ` (checked on ${r.ipvsSource})`;
  line(r.ipvs ? true : 'warn', r.ipvs
    ? `IPVS available${from}: classic commands (VIP endpoints, routing mesh publishing)`
    : `IPVS missing${from}: the workshop uses --endpoint-mode dnsrr and host-mode publishing (mode=host), and explains why`);
  if (info.nodes > 1 && info.isManager) {
    // The mesh by what it does: a port published here, reached through another node (mesh.ts).
    const { probeMesh } = await import('../docker/mesh.js');
    const run = (args: string[], timeoutMs = 60_000) => runCommand(['docker', ...args], { env: commandEnv(docker.endpoint), signal: AbortSignal.timeout(180_000), timeoutMs });
    const mesh: MeshVerdict = await probeMesh(docker, run, info.hostname).catch((error: Error) => ({ mesh: 'unknown' as const, reason: `the probe failed (${error.message.split('\n')[0]})` }));
    if (mesh.mesh === 'unknown') line('warn', `routing mesh not probed: ${mesh.reason}`);
    else if (mesh.mesh === 'works') line(true, `routing mesh works: a port published by a task on ${info.hostname} answered on ${mesh.node}, which runs none of its tasks`);
    else {
      line('warn', `no routing mesh: a port published by a task on ${info.hostname} did not answer on ${mesh.node}; the lessons use host-mode ports${r.ipvs ? ' (the kernel has IPVS, but nested engines can break the mesh)' : ''}`);
      const { meshBlocker } = await import('../docker/mesh.js');
      const blocker = r.ipvs ? await meshBlocker(docker) : undefined;
      if (blocker) line('warn', blocker);
    }
    if (mesh.mesh !== 'unknown' && mesh.registryElsewhere !== undefined) {
      line(mesh.registryElsewhere ? true : 'warn', mesh.registryElsewhere
        ? `127.0.0.1:5000 answers on ${mesh.node} too: every node can pull from the registry${mesh.mesh === 'works' ? '' : ' (the lab forwards it to the registry\'s node)'}`
        : `127.0.0.1:5000 does not answer on ${mesh.node}: tasks placed there cannot pull the DockerCoins images\n    → a lab (\`swarm-workshop lab up\`) forwards it; on your own nodes, a kernel with IPVS gives the mesh`);
    } else if (mesh.mesh !== 'works') {
      const { isLabEngine } = await import('../lab/lab.js');
      if (isLabEngine(docker.endpoint)) {
        line(true, 'this is the lab: every node forwards its 127.0.0.1:5000 to node1, where the lessons run the registry, and the web UI stays on node1');
      } else {
        // Without the routing mesh, 127.0.0.1:5000 answers only on the node that runs the registry's task.
        line('warn', `${info.nodes} nodes and no ${r.ipvs ? 'routing mesh' : 'IPVS'}: the other nodes cannot pull from the registry at 127.0.0.1:5000 (no routing mesh),\n` +
          '    so tasks placed there stay pending. → a lab (`swarm-workshop lab up`) forwards it; on your own nodes, a kernel with IPVS gives the mesh');
      }
    }
  }
  if (active && info.isManager) {
    // Names the lessons use, held by something that is not what the lessons make.
    const { chapters } = loadLessons(lessons ?? lessonsDir);
    const taken = await takenNames(docker, new ProgressStore(), lessonObjects(chapters, profileVariables(profileFor(r), info)));
    const { lines, choices } = describeTaken({ foreign: taken.foreign, ports: [] });
    if (lines.length) {
      for (const l of lines) line(false, `name in use: ${l}`);
      out(choices.map((c) => `    → ${c}\n`).join(''));
      usable = false;
    } else line(true, 'the names the lessons use (services, the dockercoins network) are free or hold what the lessons make');
  }
  for (const p of r.ports) {
    line(p.state !== 'taken', `port ${p.port}: ${p.detail}${p.state === 'taken' ? `\n    → free it (\`ss -ltnp 'sport = :${p.port}'\` shows who holds it)` : ''}`);
    usable &&= p.state !== 'taken';
  }
  line(r.localhost === '127.0.0.1' ? true : 'warn', `localhost resolves to ${r.localhost}${r.localhost === '127.0.0.1' ? '' : '; the workshop uses 127.0.0.1 explicitly'}`);
  line(true, 'registry address: 127.0.0.1:5000');
  // Every program the lessons' commands start must be on PATH (docker, curl, sed, ...).
  for (const command of lessonCommands(lessons)) {
    const found = findOnPath(command);
    line(!!found, found ? `command ${command}: ${found}` : `command ${command}: not found; the lessons run it\n    → install it (on Debian or Ubuntu: \`sudo apt-get install ${PACKAGES[command] ?? command}\`)`);
    usable &&= !!found;
  }
  for (const image of r.images) line(image.present ? true : 'warn', `image ${image.ref}: ${image.present ? 'present' : 'not here yet (pulled when needed)'}`);
  const prepared = r.prepared.filter((p) => p.present).length;
  line(prepared === r.prepared.length ? true : 'warn', prepared === r.prepared.length
    ? `DockerCoins images prepared (${prepared}/${r.prepared.length}): the build steps take seconds`
    : `DockerCoins images prepared: ${prepared}/${r.prepared.length}; the build steps will download packages from Debian's mirror (minutes)\n    → run \`swarm-workshop prepare\` ahead of time`);
  if (r.diskFreeBytes !== undefined) {
    const gib = r.diskFreeBytes / 2 ** 30;
    line(gib > 3 ? true : 'warn', `disk: ${gib.toFixed(1)} GiB free${gib > 3 ? '' : ' (the images need about 1.5 GiB)'}`);
  }
  out(usable ? '\nReady: start with `swarm-workshop run ch3 --yes`, or type the commands yourself and use `swarm-workshop check ch3`.\n' : '\nNot ready: fix the lines marked ✗ above.\n');
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
    out('Checks a lesson can use:\n');
    for (const c of known) {
      const params = Object.entries(c.params).map(([n, t]) => `${n}: ${t}`).join(', ');
      out(`  ${c.id.padEnd(20)} ${params || '(no parameters)'}\n`);
    }
    out('  (any check also takes `changed-by: <step>`: a later step that changes what it reads)\n');
    for (const chapter of chapters) {
      out(`\nWhat ${chapter.id} checks, step by step:\n`);
      chapter.steps.forEach((step, i) => {
        out(`  [${i + 1}/${chapter.steps.length}] ${step.id}\n`);
        for (const ref of step.checks) {
          const definition = known.find((c) => c.id === ref.check);
          const title = definition ? definition.title(ref.params) : ref.check;
          out(`      - ${title}  (${ref.check}${ref.changedBy ? `; history once ${ref.changedBy.join(' or ')} is done` : ''})\n`);
        }
        if (step.measure) out(`      - keeps the mining speed once the checks pass  (measure: ${step.measure})\n`);
      });
    }
    return problems.length ? 1 : 0;
  }
  // The program's message catalogues: every key in every language, with the same placeholders.
  const { catalogueProblems } = await import('../i18n/messages.js');
  problems.push(...catalogueProblems());
  for (const p of problems) out(`${formatProblem(p)}\n`);
  const steps = chapters.reduce((n, c) => n + c.steps.length, 0);
  out(problems.length ? `\n${problems.length} problem(s) in ${dir}\n` : `${chapters.length} chapters, ${steps} steps: all valid\n`);
  return problems.length ? 1 : 0;
}
