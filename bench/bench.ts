/**
 * `npm run bench`: how faithful the workshop is to the seeds' figures, and what the runner itself costs.
 * Runs on the project's test engine (scripts/engine.sh up first; `npm test` does that), prints one table
 * and writes the same figures to bench/results/latest.json. See bench/README.md.
 */
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { checks } from '../checks/index.js';
import { measureMiningSpeed } from '../checks/app.js';
import type { CheckContext } from '../checks/types.js';
import { DockerodeClient } from '../runner/docker/dockerode-client.js';
import { resolveEngine } from '../runner/docker/endpoint.js';
import { engineFetch } from '../runner/docker/engine-fetch.js';
import { defaultProfile, probeIpvs } from '../runner/docker/profile.js';
import { parseAb, type AbResult } from '../runner/engine/ab.js';
import type { WorkshopEvent } from '../runner/engine/events.js';
import { waitForChecks } from '../runner/engine/wait.js';
import { dockercoinsDir, packageRoot } from '../runner/paths.js';
import { emptyWorkshop, testDockerHost } from '../test/support/engine.js';
import { measureStartup } from './startup.js';
import { log, median, percentile, round } from './stats.js';

const DOCKER_HOST = testDockerHost();
const env = { ...process.env, DOCKER_HOST };
const cli = join(packageRoot, 'dist', 'bin', 'cli.js');
const R = defaultProfile.registry;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

const docker = (...args: string[]) => execa('docker', args, { env, timeout: 10 * 60_000 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  name: string;
  unit: string;
  seed?: number;
  measured: number;
  /** Every repeat, for the record. */
  runs?: number[];
  note?: string;
}

const client = new DockerodeClient(DOCKER_HOST);
/** Where the fidelity rows are measured: the test engine's one-node swarm, or a lab (bench/lab.ts). */
interface Target {
  docker: (...args: string[]) => Promise<{ stdout: string }>;
  context: () => CheckContext;
  env: NodeJS.ProcessEnv;
}
const oneNode: Target = {
  docker,
  env,
  context: () => ({
    docker: client,
    profile: { ...defaultProfile, ipvs: probeIpvs() },
    fetch: globalThis.fetch,
    paths: { workspace: '', package: dockercoinsDir },
    signal: new AbortController().signal,
  }),
};

async function debugContainer(t: Target): Promise<string> {
  return (await t.docker('ps', '-q', '--filter', 'label=com.docker.swarm.service.name=debug')).stdout.split('\n')[0]!;
}

async function ab(t: Target, args: string[]): Promise<AbResult> {
  return parseAb((await t.docker('exec', await debugContainer(t), 'ab', ...args)).stdout);
}

async function settledSpeed(t: Target): Promise<number> {
  await sleep(5000); // let workers that just started get past their first loop
  return measureMiningSpeed(t.context(), 10);
}

/** Chapters 3 and 4 in auto mode, timed, with their events. */
async function autoRun(home: string, t: Target = oneNode): Promise<{ events: WorkshopEvent[]; seconds: number }> {
  const events: WorkshopEvent[] = [];
  const started = Date.now();
  for (const chapter of ['ch3', 'ch4']) {
    const r = await execa('node', [cli, 'run', chapter, '--yes', '--json'], { env: { ...t.env, SWARM_WORKSHOP_HOME: home }, extendEnv: false, reject: false, timeout: 30 * 60_000 });
    events.push(...r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as WorkshopEvent));
    if (r.exitCode !== 0) throw new Error(`run ${chapter} failed:\n${r.stdout.slice(-3000)}\n${r.stderr}`);
  }
  return { events, seconds: (Date.now() - started) / 1000 };
}

async function fidelity(events: WorkshopEvent[], t: Target = oneNode): Promise<Row[]> {
  const docker = t.docker;
  const rows: Row[] = [];
  const speedOf = (step: string) => events.find((e): e is Extract<WorkshopEvent, { type: 'measurement' }> => e.type === 'measurement' && e.step === step)!.value;

  // The cluster is now as chapter 4 leaves it: 10 workers on v0.1, 5 rng, debug running.
  const speeds = { oneRng: [] as number[], fiveRng: [] as number[], fixed: [] as number[], rolledBack: [] as number[] };
  speeds.rolledBack.push(speedOf('rollback-by-image'));
  speeds.fixed.push(speedOf('rolling-update'));
  speeds.fiveRng.push(speedOf('scale-rng'));
  speeds.oneRng.push(speedOf('scale-workers'));
  for (let i = 1; i < REPEATS; i++) speeds.rolledBack.push(await settledSpeed(t));
  log('mining speed: 10 workers, 1 rng');
  await docker('service', 'update', '--replicas', '1', 'rng');
  for (let i = 1; i < REPEATS; i++) speeds.oneRng.push(await settledSpeed(t));
  await docker('service', 'update', '--replicas', '5', 'rng');
  for (let i = 1; i < REPEATS; i++) speeds.fiveRng.push(await settledSpeed(t));
  log('mining speed: after the fix');
  await docker('service', 'update', '--update-parallelism', '0', '--image', `${R}/dockercoins_worker:v0.01`, 'worker');
  for (let i = 1; i < REPEATS; i++) speeds.fixed.push(await settledSpeed(t));
  await docker('service', 'update', '--image', `${R}/dockercoins_worker:v0.1`, 'worker');

  log('ab, workers at 0');
  await docker('service', 'scale', 'worker=0');
  const runs: Record<string, AbResult[]> = { rng1: [], rng50: [], hasher1: [], hasher50: [] };
  const fromRun = (name: string) => events.find((e): e is Extract<WorkshopEvent, { type: 'ab-result' }> => e.type === 'ab-result' && e.name === name)!.result;
  runs.rng1!.push(fromRun('rng-c1'));
  runs.rng50!.push(fromRun('rng-c50'));
  runs.hasher1!.push(fromRun('hasher-c1'));
  runs.hasher50!.push(fromRun('hasher-c50'));
  const post = ['-T', 'application/octet-stream', '-p', '/tmp/random'];
  for (let i = 1; i < REPEATS; i++) {
    runs.rng1!.push(await ab(t, ['-c', '1', '-n', '50', 'http://rng/10']));
    runs.rng50!.push(await ab(t, ['-c', '50', '-n', '50', 'http://rng/10']));
    runs.hasher1!.push(await ab(t, ['-c', '1', '-n', '50', ...post, 'http://hasher/']));
    runs.hasher50!.push(await ab(t, ['-c', '50', '-n', '50', ...post, 'http://hasher/']));
  }
  await docker('service', 'scale', 'worker=10');

  const ipvs = probeIpvs();
  const abRow = (name: string, list: AbResult[], pick: (r: AbResult) => number, unit: string, seed: number, note?: string): Row => {
    const values = list.map(pick);
    return { name, unit, seed, measured: round(median(values)), runs: values.map((v) => round(v)), note };
  };
  rows.push(abRow('rng ab -c 1 -n 50', runs.rng1!, (r) => r.requestsPerSecond, 'req/s', 9.29));
  rows.push(abRow('rng ab -c 1 -n 50, mean', runs.rng1!, (r) => r.meanMs, 'ms', 107));
  rows.push(abRow('rng ab -c 50 -n 50, 5 replicas', runs.rng50!, (r) => r.requestsPerSecond, 'req/s', 44.4,
    ipvs ? undefined : 'no IPVS here: under DNS round robin ab resolves rng once and all 50 requests go to one replica (one at a time), so ~10 req/s; the seeds went through a VIP that spread them over 5'));
  rows.push(abRow('hasher ab -c 1 -n 50', runs.hasher1!, (r) => r.requestsPerSecond, 'req/s', 9.45));
  rows.push(abRow('hasher ab -c 1 -n 50, mean', runs.hasher1!, (r) => r.meanMs, 'ms', 106));
  rows.push(abRow('hasher ab -c 50 -n 50', runs.hasher50!, (r) => r.requestsPerSecond, 'req/s', 144));
  const speedRow = (name: string, values: number[], seed: number, note?: string): Row => ({ name, unit: 'hashes/s', seed, measured: round(median(values), 1), runs: values.map((v) => round(v, 1)), note });
  rows.push(speedRow('mining, 10 workers + 1 rng', speeds.oneRng, 10));
  rows.push(speedRow('mining, 10 workers + 5 rng', speeds.fiveRng, 30));
  rows.push(speedRow('mining, after the worker fix (v0.01)', speeds.fixed, 40,
    ipvs ? undefined : 'DNS round robin spreads worker calls over the 5 rng less evenly than a VIP, so rng queues more'));
  rows.push(speedRow('mining, after rollback to v0.1', speeds.rolledBack, 30));
  return rows;
}

/** The median of `runs` timings of a command, in ms. */
async function timeCommand(args: string[], runs = 7, over: NodeJS.ProcessEnv = env): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await execa('node', args[0] === '-e' ? args : [cli, ...args], { env: over, extendEnv: false });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return times;
}

/** Start the UI in tmux and time until its chapter list is on screen; also sample its RSS and idle CPU. */

/** Verdict latency after a service converges: event-driven vs a 1-second poll. */
async function verdictLatency(runs = 10): Promise<{ events: number[]; poll: number[] }> {
  const out = { events: [] as number[], poll: [] as number[] };
  const noEvents = Object.assign(Object.create(client) as DockerodeClient, {
    // A client whose event stream stays silent: the waiter falls back to its timer.
    async *events(signal: AbortSignal) {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  });
  for (let i = 0; i < runs * 2; i++) {
    const mode = i % 2 ? 'poll' : 'events';
    const name = `bench-latency-${i}`;
    const ctx = { ...oneNode.context(), docker: mode === 'events' ? client : noEvents };
    const waiting = waitForChecks([{ definition: checks.get('service-converged')!, params: { service: name, replicas: 1 } }], ctx, {
      deadline: Date.now() + 60_000,
      fallbackMs: mode === 'events' ? 60_000 : 1000,
    });
    await docker('service', 'create', '--detach', '--name', name, 'redis:7');
    const result = await waiting;
    const verdictAt = Date.now();
    if (!result.ok) throw new Error(`${name} did not converge`);
    const tasks = JSON.parse((await docker('service', 'ps', name, '--format', '{{json .}}', '--no-trunc')).stdout.split('\n')[0]!) as { ID: string };
    const running = JSON.parse((await docker('inspect', tasks.ID)).stdout)[0].Status.Timestamp as string;
    out[mode].push(verdictAt - Date.parse(running));
    await docker('service', 'rm', name);
  }
  return out;
}

/**
 * What each push really sends, measured on a throwaway registry container with empty storage (the
 * chapter's registry already holds every layer): the first image brings the shared Debian layer, the
 * later ones only their own layers.
 */
async function pushCosts(): Promise<Row[]> {
  const rows: Row[] = [];
  const name = `sw-bench-registry-${process.pid}`;
  await docker('run', '-d', '--rm', '--name', name, '-p', '127.0.0.1::5000', 'registry:2');
  try {
    const port = (await docker('port', name, '5000/tcp')).stdout.split('\n')[0]!.split(':').pop();
    const registry = `127.0.0.1:${port}`;
    const stored = async () => Number((await docker('exec', name, 'du', '-sb', '/var/lib/registry')).stdout.split('\t')[0]);
    for (let i = 0; ; i++) {
      if ((await fetch(`http://${registry}/v2/`).then((r) => r.ok, () => false))) break;
      if (i > 100) throw new Error(`the throwaway registry at ${registry} does not answer`);
      await sleep(100);
    }
    let before = await stored();
    const later: { size: number; pushed: number }[] = [];
    for (const image of ['rng', 'hasher', 'worker', 'webui', 'tools']) {
      const size = Number((await docker('image', 'inspect', '-f', '{{.Size}}', `dockercoins_${image}`)).stdout);
      await docker('tag', `dockercoins_${image}`, `${registry}/bench_${image}:1`);
      await docker('push', `${registry}/bench_${image}:1`);
      await docker('rmi', `${registry}/bench_${image}:1`);
      const after = await stored();
      const pushed = after - before;
      before = after;
      if (image !== 'rng') later.push({ size, pushed });
      rows.push({ name: `push ${image} (image ${round(size / 1e6, 1)} MB): newly stored`, unit: 'MB', measured: round(pushed / 1e6, 1) });
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    rows.push({
      name: 'pushes 2-5: MB stored / MB of image',
      unit: 'ratio',
      measured: round(sum(later.map((l) => l.pushed)) / sum(later.map((l) => l.size)), 3),
      note: 'a registry stores compressed layers, once: the first push (rng) carries the Debian base layer, the others only their own layers',
    });
  } finally {
    await docker('rm', '-f', name).catch(() => undefined);
  }
  return rows;
}

/**
 * `prepare` cold (no layer of the DockerCoins images on the engine: every package from Debian's mirror)
 * and warm (everything cached), then the lessons' five builds after it.
 */
async function prepareTimes(): Promise<Row[]> {
  const prepare = async (...args: string[]) => {
    const t = Date.now();
    const r = await execa('node', [cli, 'prepare', ...args], { env, reject: false, timeout: 20 * 60_000 });
    if (r.exitCode !== 0) throw new Error(`prepare ${args.join(' ')} failed:\n${r.stdout.slice(-2000)}\n${r.stderr}`);
    return (Date.now() - t) / 1000;
  };
  await prepare('--remove');
  const leftover = (await docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}')).stdout.split('\n').filter((ref) => ref.includes('dockercoins_')).join('\n');
  if (leftover) throw new Error(`images still hold DockerCoins layers, so a cold prepare would not be cold:\n${leftover}`);
  const cold = await prepare();
  const warm = [await prepare(), await prepare(), await prepare()];
  const lessonBuild = async () => {
    const t = Date.now();
    for (const name of ['rng', 'hasher', 'worker', 'webui', 'tools']) await docker('build', '-q', '-t', `dockercoins_${name}`, join(dockercoinsDir, name));
    return (Date.now() - t) / 1000;
  };
  const builds = [await lessonBuild(), await lessonBuild(), await lessonBuild()];
  await docker('image', 'rm', ...['rng', 'hasher', 'worker', 'webui', 'tools'].map((n) => `dockercoins_${n}`));
  return [
    { name: 'prepare, cold (5 builds, apt from the mirror)', unit: 's', measured: round(cold, 1), note: 'depends mostly on the Debian mirror\'s speed from this machine' },
    { name: 'prepare, warm (everything present)', unit: 's', measured: round(median(warm), 1), runs: warm.map((w) => round(w, 1)) },
    { name: 'the lesson\'s 5 builds after prepare', unit: 's', measured: round(median(builds), 1), runs: builds.map((b) => round(b, 1)) },
  ];
}

function printTable(title: string, rows: Row[]) {
  console.log(`\n${title}`);
  const header = ['name', 'unit', 'seed', 'measured', 'ratio', 'runs'];
  const lines = rows.map((r) => [r.name, r.unit, r.seed?.toString() ?? '', r.measured.toString(), r.seed ? (r.measured / r.seed).toFixed(2) : '', r.runs?.join(' ') ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
  for (const r of rows.filter((x) => x.note)) console.log(`  * ${r.name}: ${r.note}`);
}

/**
 * The lab (`swarm-workshop lab up`): how long `lab up` takes and what each node costs, for 3 and 5 nodes;
 * then one auto run of both chapters across 3 nodes, with the same fidelity rows as on one node. Each lab
 * has its own docker config and home; `lab down` after each.
 */
async function labRows(): Promise<{ lab: Row[]; fidelity: Row[] }> {
  const rows: Row[] = [];
  const labEnv = () => {
    const home = mkdtempSync(join(tmpdir(), 'sw-bench-lab-'));
    const config = mkdtempSync(join(tmpdir(), 'sw-bench-lab-docker-'));
    const host = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST, DOCKER_CONFIG: config, SWARM_WORKSHOP_HOME: home };
    const { DOCKER_HOST: _h, ...inLab } = host;
    return { host, inLab };
  };
  const sw = (args: string[], over: NodeJS.ProcessEnv) => execa('node', [cli, ...args], { env: over, extendEnv: false, timeout: 30 * 60_000 });
  const mib = (text: string) => {
    const m = /^([\d.]+)\s*([KMG]i?B)/.exec(text.trim());
    if (!m) return NaN;
    return Number(m[1]) * ({ KiB: 1 / 1024, KB: 1 / 1024, MiB: 1, MB: 1, GiB: 1024, GB: 1024 } as Record<string, number>)[m[2]!]!;
  };
  for (const nodes of [3, 5]) {
    const { host } = labEnv();
    await sw(['lab', 'down'], host);
    log(`lab up --nodes ${nodes}`);
    let t = Date.now();
    await sw(['lab', 'up', '--nodes', String(nodes)], host);
    const up = (Date.now() - t) / 1000;
    await sleep(10_000); // the engines settle after the image loads
    const stats = (await docker('stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}')).stdout.split('\n').filter((l) => l.startsWith('swarm-workshop-node'));
    const memory = stats.map((l) => mib(l.split(' ')[1]!));
    t = Date.now();
    await sw(['lab', 'down'], host);
    const down = (Date.now() - t) / 1000;
    rows.push({ name: `lab up, ${nodes} nodes (made, images copied, swarm formed)`, unit: 's', measured: round(up, 0) });
    rows.push({ name: `lab memory per node, ${nodes} nodes, idle (median)`, unit: 'MiB', measured: round(median(memory), 0), runs: memory.map((m) => round(m, 0)) });
    rows.push({ name: `lab down, ${nodes} nodes`, unit: 's', measured: round(down, 0) });
  }
  const { host, inLab } = labEnv();
  log('lab up --nodes 3, then chapters 3 and 4 in auto mode across it');
  await sw(['lab', 'up', '--nodes', '3'], host);
  const labClient = new DockerodeClient(resolveEngine(inLab));
  const labTarget: Target = {
    env: inLab,
    docker: (...args: string[]) => execa('docker', args, { env: inLab, extendEnv: false, timeout: 10 * 60_000 }),
    context: () => ({
      docker: labClient,
      profile: { ...defaultProfile, ipvs: probeIpvs(), ...(probeIpvs() ? {} : { pinTo: 'node1' }) },
      fetch: engineFetch(labClient),
      paths: { workspace: '', package: dockercoinsDir },
      signal: new AbortController().signal,
    }),
  };
  try {
    const run = await autoRun(join(inLab.SWARM_WORKSHOP_HOME!), labTarget);
    rows.push({ name: 'lab, auto run ch3 + ch4 across 3 nodes, wall time', unit: 's', measured: round(run.seconds, 0) });
    const workers = (await labTarget.docker('service', 'ps', 'worker', '--filter', 'desired-state=running', '--format', '{{.Node}}')).stdout.split('\n').filter(Boolean);
    rows.push({ name: 'lab, nodes running worker tasks after ch4', unit: 'nodes', measured: new Set(workers).size, note: [...new Set(workers)].sort().join(', ') });
    log('fidelity across the lab');
    return { lab: rows, fidelity: await fidelity(run.events, labTarget) };
  } finally {
    await sw(['lab', 'down'], host).catch(() => undefined);
  }
}

/** The UI's first frame, RSS and idle CPU and `list` (bench/startup.ts), and `list` without the CA bundle. */
async function startupRows(): Promise<Row[]> {
  const startup = await measureStartup({ runs: 10, dockerHost: DOCKER_HOST, log });
  // This sandbox sets NODE_EXTRA_CA_CERTS, which costs every node start about 45 ms (reading the CA
  // bundle); a learner's machine usually has none: `list` both ways.
  const plainEnv: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST };
  delete plainEnv.NODE_EXTRA_CA_CERTS;
  const listPlain = await timeCommand(['list'], 10, plainEnv);
  const floorPlain = await timeCommand(['-e', '0'], 10, plainEnv);
  return [
    ...startup.map((r) => ({ name: r.name, unit: r.unit, measured: r.median, runs: r.runs, note: `p90 ${r.p90}` })),
    { name: '`list` wall time, without NODE_EXTRA_CA_CERTS', unit: 'ms', measured: round(median(listPlain), 0), runs: listPlain.map((v) => round(v, 0)), note: `p90 ${round(percentile(listPlain, 90), 0)}` },
    { name: '`node -e 0`, without NODE_EXTRA_CA_CERTS', unit: 'ms', measured: round(median(floorPlain), 0), runs: floorPlain.map((v) => round(v, 0)) },
  ];
}

async function main() {
  const started = Date.now();
  await client.info().catch((error: Error) => {
    throw new Error(`no test engine at ${DOCKER_HOST} (${error.message}); start it with: sudo bash scripts/engine.sh up`);
  });
  if (process.env.BENCH_ONLY === 'startup') {
    printTable('Start-up (only)', await startupRows());
    return;
  }
  if (process.env.BENCH_ONLY === 'lab') {
    await emptyWorkshop();
    const lab = await labRows();
    printTable('Lab (only)', lab.lab);
    printTable('Fidelity across a 3-node lab (medians)', lab.fidelity);
    writeResult('lab.json', { lab: lab.lab, fidelity: lab.fidelity, seconds: round((Date.now() - started) / 1000, 0) });
    return;
  }
  if (process.env.BENCH_ONLY === 'board') {
    // A learner joined to a board that cannot be reached (bench/board.ts).
    const rows = await (await import('./board.js')).boardRows();
    printTable('Chapter 3 with an unreachable board (medians)', rows);
    writeResult('board.json', { board: rows, seconds: round((Date.now() - started) / 1000, 0) });
    return;
  }
  if (process.env.BENCH_ONLY === 'latency') {
    // A quick look at one part, printed only (latest.json keeps the last full run).
    await emptyWorkshop();
    const latency = await verdictLatency();
    printTable('Verdict latency (only)', [
      { name: 'Docker events, p50', unit: 'ms', measured: round(median(latency.events), 0), runs: latency.events },
      { name: 'Docker events, p90', unit: 'ms', measured: round(percentile(latency.events, 90), 0) },
      { name: '1 s poll, p50', unit: 'ms', measured: round(median(latency.poll), 0), runs: latency.poll },
    ]);
    return;
  }
  log('emptying the test swarm');
  await emptyWorkshop();
  log('prepare, cold and warm');
  const prepareRows = await prepareTimes();

  log('chapters 3 and 4 in auto mode');
  const home = mkdtempSync(join(tmpdir(), 'sw-bench-'));
  const run = await autoRun(home);
  // Where the auto run's time went, from the timing each step-finished event carries.
  const spent = { commandsMs: 0, convergeMs: 0, checksMs: 0, measureMs: 0 };
  for (const e of run.events) {
    if (e.type !== 'step-finished' || !e.timing) continue;
    for (const k of Object.keys(spent) as (keyof typeof spent)[]) spent[k] += e.timing[k];
  }
  const ownSeconds = run.seconds - (spent.commandsMs + spent.convergeMs + spent.checksMs + spent.measureMs) / 1000;

  log('fidelity');
  const fid = await fidelity(run.events);
  log('push costs');
  const push = await pushCosts();
  log('verdict latency');
  const latency = await verdictLatency();
  log('CLI and UI start-up');
  const version = await timeCommand(['--version']);
  const startup = await startupRows();

  const runner: Row[] = [
    { name: '--version, wall time', unit: 'ms', measured: round(median(version), 0), runs: version.map((v) => round(v, 0)) },
    ...startup,
    { name: 'verdict latency after convergence, Docker events, p50', unit: 'ms', measured: round(median(latency.events), 0), runs: latency.events },
    { name: 'verdict latency after convergence, Docker events, p90', unit: 'ms', measured: round(percentile(latency.events, 90), 0) },
    { name: 'verdict latency after convergence, 1 s poll, p50', unit: 'ms', measured: round(median(latency.poll), 0), runs: latency.poll },
    { name: 'verdict latency after convergence, 1 s poll, p90', unit: 'ms', measured: round(percentile(latency.poll, 90), 0) },
    { name: 'verdict latency, poll / events (p50)', unit: 'x', measured: round(median(latency.poll) / Math.max(1, median(latency.events)), 1) },
    { name: 'auto run ch3 + ch4, wall time', unit: 's', measured: round(run.seconds, 0) },
    { name: 'auto run: inside docker commands (builds, pushes, convergence, update delays)', unit: 's', measured: round(spent.commandsMs / 1000, 0) },
    { name: 'auto run: mining-speed sampling windows', unit: 's', measured: round(spent.measureMs / 1000, 0) },
    { name: 'auto run: waiting for the cluster to converge after the commands', unit: 's', measured: round(spent.convergeMs / 1000, 1) },
    { name: 'auto run: the checks themselves (API calls, execs, HTTP)', unit: 's', measured: round(spent.checksMs / 1000, 1) },
    { name: 'auto run: the runner\'s own (start-up, preflight, bookkeeping)', unit: 's', measured: round(ownSeconds, 1), note: 'two node start-ups, lesson loading, the preflight, recording what commands made, progress writes' },
    ...prepareRows,
    ...push,
  ];

  log('the lab');
  await emptyWorkshop();
  const lab = await labRows();

  printTable('Fidelity: measured here vs the seeds (medians)', fid);
  printTable('Runner costs', runner);
  printTable('Lab: several nodes on this machine', lab.lab);
  printTable('Fidelity across a 3-node lab (medians)', lab.fidelity);
  const result = { fidelity: fid, runner, lab: lab.lab, labFidelity: lab.fidelity, seconds: round((Date.now() - started) / 1000, 0) };
  writeResult('latest.json', result);
}

function writeResult(file: string, result: Record<string, unknown> & { seconds: number }) {
  mkdirSync(join(packageRoot, 'bench', 'results'), { recursive: true });
  const machine = { hostname: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: round(totalmem() / 2 ** 30, 1), kernel: release(), ipvs: probeIpvs(), node: process.version, date: new Date().toISOString() };
  writeFileSync(join(packageRoot, 'bench', 'results', file), `${JSON.stringify({ machine, ...result }, null, 2)}\n`);
  console.log(`\nwritten to bench/results/${file} (${result.seconds} s)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
