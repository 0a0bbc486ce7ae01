/**
 * `swarm-workshop lab`: a swarm of several nodes on one machine. Each node is a container of the learner's
 * own engine (the host engine) running a Docker engine of its own, on a network of the lab's with fixed
 * addresses; node1 is a manager and the learner's place to type (`lab shell`). A docker context,
 * `swarm-workshop-lab`, points the docker CLI and the workshop at node1's engine (TLS, client certificate).
 *
 * Everything the lab creates carries LAB_LABEL with this lab's id; `lab down` removes by that label, and
 * the context only when lab.json says the lab made it. Every docker command here talks to the host
 * engine: when the current context is the lab's own, the engine remembered in lab.json.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChains, fillBuildCache } from '../docker/build-cache.js';
import type { DockerRun } from '../docker/run.js';
import { contextName, isLocalEngine, resolveEngine, type EngineEndpoint } from '../docker/endpoint.js';
import { APP_IMAGES, BASE_IMAGES, LAB_ENGINES, PREPARED_LABEL, preparedLabelValue, preparedRef, type LabEngine } from '../docker/images.js';
import { runCommand, type CommandResult } from '../engine/executor.js';
import { AbortError } from '../errors.js';
import { padLabels, say } from '../i18n/messages.js';
import { dockercoinsDir, labNodeDir } from '../paths.js';
import { dataDir } from '../progress.js';
import { ensureWorkspace, workspaceDir } from '../workspace.js';
import {
  DEFAULT_API_PORT, gatewayOf, LAB_CONTEXT, LAB_LABEL, LAB_NETWORK, LAB_REGISTRY_VOLUME, labNodes, nodeRunArgs,
  privilegedRefused, SUBNETS, type LabNode, type NodeRights,
} from './plan.js';

type Out = (text: string) => void;

/** What `lab up` made, kept next to the progress file: how to reach the host engine again, and what to undo. */
export interface LabState {
  id: string;
  nodes: LabNode[];
  subnet: string;
  apiPort: number;
  rights: NodeRights;
  /** The host engine as the lab's commands reach it: a context name, or a DOCKER_HOST address. */
  host: { context?: string; dockerHost?: string };
  /** The docker context that was current before `lab up` made the lab's current, to restore at `lab down`. */
  previousContext?: string;
  contextCreated: boolean;
  createdAt: string;
  /** The engine generation of the nodes (`lab up --engine`); a state file without it is from engine 20. */
  engine?: LabEngine;
  /** Folders of this machine node1 sees at the same path (see nodeRunArgs). */
  shared?: { dir: string; readOnly?: boolean }[];
}

export const labStateFile = (env: NodeJS.ProcessEnv = process.env) => join(dataDir(env), 'lab.json');

export function loadLabState(env: NodeJS.ProcessEnv = process.env): LabState | undefined {
  const file = labStateFile(env);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LabState;
  } catch {
    throw new AbortError(say('lab.badState', { file }), [say('lab.badStateNext')]);
  }
}

function saveLabState(state: LabState, env: NodeJS.ProcessEnv): void {
  mkdirSync(dataDir(env), { recursive: true });
  writeFileSync(labStateFile(env), JSON.stringify(state, null, 2) + '\n');
}

/** The docker context the CLI would use now (endpoint.ts), when DOCKER_HOST is unset. */
export const currentContext = (env: NodeJS.ProcessEnv = process.env) => contextName(env, env.HOME ?? homedir());

/**
 * The environment for docker commands against the host engine. Outside the lab's context, the learner's
 * own environment; inside it (the lab is up and current), the host engine lab.json remembers.
 */
export function hostEnv(env: NodeJS.ProcessEnv = process.env, state = loadLabState(env)): NodeJS.ProcessEnv {
  if (currentContext(env) !== LAB_CONTEXT) return env;
  const { DOCKER_CONTEXT: _ignored, ...rest } = env;
  if (state?.host.dockerHost) return { ...rest, DOCKER_HOST: state.host.dockerHost };
  return { ...rest, DOCKER_CONTEXT: state?.host.context ?? 'default' };
}

class Docker {
  constructor(readonly env: NodeJS.ProcessEnv, readonly signal: AbortSignal) {}

  async run(args: string[], timeoutMs = 120_000): Promise<CommandResult> {
    const r = await runCommand(['docker', ...args], { env: this.env, signal: this.signal, timeoutMs });
    if (r.cancelled || this.signal.aborted) throw new AbortError(say('lab.interrupted'), [], 130);
    return r;
  }

  /** Run, and stop with docker's own words when it fails. */
  async must(args: string[], what: string, timeoutMs?: number): Promise<string> {
    const r = await this.run(args, timeoutMs);
    if (r.exitCode !== 0) {
      throw new AbortError(say('lab.failed', { what, error: lastLine(r.stderr || r.stdout) }), [say('lab.failedCommand', { command: `docker ${args.slice(0, 4).join(' ')} ...` })]);
    }
    return r.stdout.trim();
  }

  /** A command on a node's own engine. */
  onNode(node: LabNode, args: string[], timeoutMs?: number) {
    return this.run(['exec', node.container, 'docker', ...args], timeoutMs);
  }
}

const lastLine = (text: string) => text.trim().split('\n').filter(Boolean).pop() ?? '';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Containers, volumes and networks of the host engine that carry the lab label. */
async function labObjects(d: Docker): Promise<{ containers: string[]; volumes: string[]; networks: string[] }> {
  const list = async (args: string[]) => (await d.must(args, say('lab.doing.listLab'))).split('\n').filter(Boolean);
  return {
    containers: await list(['ps', '-a', '--filter', `label=${LAB_LABEL}`, '--format', '{{.Names}}']),
    volumes: await list(['volume', 'ls', '--filter', `label=${LAB_LABEL}`, '--format', '{{.Name}}']),
    networks: await list(['network', 'ls', '--filter', `label=${LAB_LABEL}`, '--format', '{{.Name}}']),
  };
}

async function waitForEngine(d: Docker, node: LabNode, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = await d.onNode(node, ['version', '--format', '{{.Server.Version}}'], 10_000);
    if (r.exitCode === 0) return;
    last = lastLine(r.stderr);
    await sleep(500);
  }
  const logs = await d.run(['logs', '--tail', '5', node.container]);
  throw new AbortError(say('lab.engineSlow', { node: node.name, seconds: timeoutMs / 1000, error: last, lines: (logs.stdout + logs.stderr).trim().split('\n').map((l) => `    ${l}`).join('\n') }), [
    say('lab.engineSlowNext'),
  ]);
}

/** The first candidate subnet that no network of the host engine uses yet. */
async function freeSubnet(d: Docker): Promise<string> {
  const ids = (await d.must(['network', 'ls', '-q'], say('lab.doing.listNetworks'))).split('\n').filter(Boolean);
  const used = ids.length ? await d.must(['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', ...ids], say('lab.doing.readNetworks')) : '';
  const free = SUBNETS.find((s) => !used.split(/\s+/).includes(s));
  if (!free) throw new AbortError(say('lab.noSubnet', { subnets: SUBNETS.join(', ') }), [say('lab.noSubnetNext')]);
  return free;
}

/** The images every node gets from the host engine: the base images and what `prepare` built. */
async function imagesToLoad(d: Docker, chains: Map<string, string[]>): Promise<string[]> {
  const wanted = [...BASE_IMAGES, 'registry:latest', 'redis:latest', ...APP_IMAGES.map(preparedRef)];
  const present: string[] = [];
  for (const ref of wanted) if ((await d.run(['image', 'inspect', '--format', '{{.Id}}', ref])).exitCode === 0) present.push(ref);
  return [...present, ...present.flatMap((ref) => chains.get(ref) ?? [])];
}

export interface UpOptions {
  nodes: number;
  apiPort?: number;
  engine?: LabEngine;
}

/** The engine generation of a lab: what its state file says, else 20 (the only one before `--engine`). */
export const labEngine = (state: LabState | undefined): LabEngine => state?.engine ?? '20';

/**
 * The node image of an engine generation. Engine 20's comes from `prepare`; engine 26's is built here the
 * first time it is asked for (from debian:trixie-slim and Debian's docker.io 26, about a minute), with
 * `prepare`'s label so that `prepare --remove` takes it too.
 */
async function nodeImage(engine: LabEngine, d: Docker, out: Out): Promise<string> {
  const { image, base, debian } = LAB_ENGINES[engine];
  if ((await d.run(['image', 'inspect', '--format', '{{.Id}}', image])).exitCode === 0) return image;
  if (engine === '20') {
    throw new AbortError(say('lab.noNodeImage', { image }), [say('lab.noNodeImageNext')]);
  }
  if ((await d.run(['image', 'inspect', '--format', '{{.Id}}', base])).exitCode !== 0) {
    out(say('lab.pulling', { base, engine }));
    const pull = await d.run(['pull', base], 10 * 60_000);
    if (pull.exitCode !== 0) {
      throw new AbortError(say('lab.noBase', { engine, base, error: lastLine(pull.stderr) }), [say('lab.noBaseNext', { base })]);
    }
  }
  out(say('lab.building', { image, debian }));
  const t0 = Date.now();
  const r = await d.run(['build', '--build-arg', `BASE=${base}`, '--label', `${PREPARED_LABEL}=${preparedLabelValue}`, '-t', image, labNodeDir], 15 * 60_000);
  if (r.exitCode !== 0) {
    throw new AbortError(say('lab.buildFailed', { image, error: lastLine(r.stderr || r.stdout) }), [say('lab.aptMirror', { base })]);
  }
  out(say('lab.built', { image, seconds: ((Date.now() - t0) / 1000).toFixed(0) }));
  return image;
}

/** `lab up`: make the lab, or repair the one there is (start stopped nodes, join missing ones, renew the context). */
export async function labUp(options: UpOptions, signal: AbortSignal, out: Out, env: NodeJS.ProcessEnv = process.env): Promise<LabState> {
  const started = Date.now();
  const existing = loadLabState(env);
  const d = new Docker(hostEnv(env, existing), signal);
  const version = await d.run(['version', '--format', '{{.Server.Version}}']);
  if (version.exitCode !== 0) {
    throw new AbortError(say('lab.noEngine', { error: lastLine(version.stderr) }), [say('lab.noEngineNext')]);
  }
  const objects = await labObjects(d);
  if (objects.containers.length && !existing) {
    throw new AbortError(say('lab.noStateFile', { containers: objects.containers.join(', '), file: labStateFile(env) }), [say('lab.noStateFileNext')]);
  }
  const repairing = !!existing && objects.containers.length > 0;
  if (repairing && options.engine && options.engine !== labEngine(existing)) {
    throw new AbortError(say('lab.otherEngine', { engine: labEngine(existing), wanted: options.engine }), [say('lab.otherEngineNext', { wanted: options.engine })]);
  }
  const engine = repairing ? labEngine(existing) : options.engine ?? '20';
  const image = await nodeImage(engine, d, out);
  const state = repairing ? await repair(existing!, image, d, out) : await create({ ...options, engine }, image, d, out, env);
  saveLabState(state, env);
  const chains = await buildChains((args, timeoutMs) => d.run(args, timeoutMs));
  await loadImages(state, d, out, chains);
  await warmBuildCache(state, d, out, chains);
  await formSwarm(state, d, out);
  await makeContext(state, d, out, env);
  await giveSshKey(state, d, env);
  saveLabState(state, env);
  const nodeVersion = (await d.onNode(state.nodes[0]!, ['version', '--format', '{{.Server.Version}}'])).stdout.trim();
  out(say('lab.up', {
    seconds: ((Date.now() - started) / 1000).toFixed(0), version: nodeVersion, debian: LAB_ENGINES[engine].debian,
    nodes: state.nodes.map((n) => say('lab.nodeIs', { name: n.name, role: say(`lab.role.${n.role}`), ip: n.ip })).join(', '),
  }));
  out(say('lab.contextCurrent', { context: LAB_CONTEXT }));
  if (env.DOCKER_HOST) out(say('lab.dockerHostSet'));
  out(say('lab.ssh', { port: state.apiPort + 1, key: join(dataDir(env), 'lab-ssh', 'id_ed25519') }));
  out(say('lab.shellHint'));
  return state;
}

/**
 * The folders node1 shares with this machine: the learner's workspace and the shipped source, when the
 * host engine runs here (a unix socket) and so can bind-mount them. An engine elsewhere gets none: node1
 * then has only its copy of the source in /root/dockercoins.
 */
function sharedFolders(env: NodeJS.ProcessEnv): { dir: string; readOnly?: boolean }[] {
  let local = false;
  try {
    local = isLocalEngine(resolveEngine(env));
  } catch {
    local = false;
  }
  if (!local) return [];
  return [{ dir: ensureWorkspace(workspaceDir(env)).dir }, { dir: dockercoinsDir, readOnly: true }];
}

async function create(options: UpOptions & { engine: LabEngine }, image: string, d: Docker, out: Out, env: NodeJS.ProcessEnv): Promise<LabState> {
  const subnet = await freeSubnet(d);
  const nodes = labNodes(options.nodes, subnet);
  const id = `lab-${Date.now().toString(36)}`;
  const host = env.DOCKER_HOST ? { dockerHost: env.DOCKER_HOST } : { context: currentContext(env) ?? 'default' };
  const state: LabState = {
    id, nodes, subnet, apiPort: options.apiPort ?? DEFAULT_API_PORT, rights: 'privileged', host,
    previousContext: currentContext(env), contextCreated: false, createdAt: new Date().toISOString(),
    engine: options.engine, shared: sharedFolders(hostEnv(env)),
  };
  // Saved before anything is made: an interrupted `lab up` leaves a lab that `lab down` can find.
  saveLabState(state, env);
  out(say('lab.making', { count: nodes.length, subnet, network: LAB_NETWORK }));
  await d.must(['network', 'create', '--driver', 'bridge', '--subnet', subnet, '--gateway', gatewayOf(subnet), '--label', `${LAB_LABEL}=${id}`, LAB_NETWORK], say('lab.doing.createNetwork'));
  await d.must(['volume', 'create', '--label', `${LAB_LABEL}=${id}`, LAB_REGISTRY_VOLUME], say('lab.doing.createRegistryVolume'));
  for (const node of nodes) {
    await d.must(['volume', 'create', '--label', `${LAB_LABEL}=${id}`, node.volume], say('lab.doing.createVolume', { node: node.name }));
    state.rights = await startNode(node, state, image, d, out);
  }
  for (const node of nodes) await waitForEngine(d, node);
  await d.must(['cp', dockercoinsDir, `${nodes[0]!.container}:/root/dockercoins`], say('lab.doing.copySource'));
  return state;
}

/**
 * Start one node: privileged first (kind's and dind's way); where this machine refuses it, the measured
 * capability set, said once. Returns the rights the node runs with.
 */
async function startNode(node: LabNode, state: LabState, image: string, d: Docker, out: Out): Promise<NodeRights> {
  const first = await d.run(nodeRunArgs(node, state.rights, { apiPort: state.apiPort, labId: state.id, registryAt: `${state.nodes[0]!.ip}:5000`, image, shared: state.shared }));
  if (first.exitCode === 0) {
    out(say('lab.nodeStarted', { name: node.name, role: say(`lab.role.${node.role}`), ip: node.ip, rights: state.rights === 'privileged' ? '' : say('lab.capabilitySet') }));
    return state.rights;
  }
  if (/port is already allocated|address already in use/.test(first.stderr)) {
    await d.run(['rm', '-f', node.container]);
    throw new AbortError(say('lab.portTaken', { port: state.apiPort }), [say('lab.portTakenNext')]);
  }
  // docker run ends its message with "Run 'docker run --help'...": the line that says why is the error's.
  const why = first.stderr.split('\n').find((l) => /error/i.test(l))?.replace(/^docker: /, '') ?? lastLine(first.stderr);
  if (state.rights !== 'privileged' || !privilegedRefused(first.stderr)) {
    throw new AbortError(say('lab.startFailed', { node: node.name, error: why }), [say('lab.startFailedNext')]);
  }
  // The container was created before its start failed: it is ours (label and name), remove it and retry.
  await d.run(['rm', '-f', node.container]);
  out(say('lab.noPrivileged', { error: why.slice(0, 160) }));
  return startNode(node, { ...state, rights: 'capabilities' }, image, d, out);
}

/** An existing lab: start what stopped, wait for every engine. The swarm comes back by itself (its state is on the volumes). */
async function repair(state: LabState, image: string, d: Docker, out: Out): Promise<LabState> {
  out(say('lab.checking', { count: state.nodes.length }));
  for (const node of state.nodes) {
    const running = await d.run(['inspect', '--format', '{{.State.Running}}', node.container]);
    if (running.exitCode !== 0) {
      out(say('lab.nodeMissing', { node: node.name }));
      if ((await d.run(['volume', 'inspect', node.volume])).exitCode !== 0) await d.must(['volume', 'create', '--label', `${LAB_LABEL}=${state.id}`, node.volume], say('lab.doing.createVolume', { node: node.name }));
      await startNode(node, state, image, d, out);
    } else if (running.stdout.trim() !== 'true') {
      out(say('lab.nodeStopped', { node: node.name }));
      await d.must(['start', node.container], say('lab.doing.start', { node: node.name }));
    }
  }
  for (const node of state.nodes) await waitForEngine(d, node);
  if ((await d.onNode(state.nodes[0]!, ['version'])).exitCode === 0 && (await d.run(['exec', state.nodes[0]!.container, 'test', '-d', '/root/dockercoins'])).exitCode !== 0) {
    await d.must(['cp', dockercoinsDir, `${state.nodes[0]!.container}:/root/dockercoins`], say('lab.doing.copySource'));
  }
  return state;
}

/** `docker save` once, `docker load` into every node that lacks one of the images. */
async function loadImages(state: LabState, d: Docker, out: Out, chains: Map<string, string[]>): Promise<void> {
  const refs = await imagesToLoad(d, chains);
  const ids = new Map<string, string>();
  for (const ref of refs) ids.set(ref, await d.must(['image', 'inspect', '--format', '{{.Id}}', ref], say('lab.doing.read', { what: ref })));
  const needs = new Map<LabNode, string[]>();
  for (const node of state.nodes) {
    const missing: string[] = [];
    for (const ref of refs) {
      const there = await d.onNode(node, ['image', 'inspect', '--format', '{{.Id}}', ref]);
      if (there.exitCode !== 0 || there.stdout.trim() !== ids.get(ref)) missing.push(ref);
    }
    if (missing.length) needs.set(node, missing);
  }
  if (!needs.size) return;
  const all = [...new Set([...needs.values()].flat())];
  const dir = mkdtempSync(join(tmpdir(), 'swarm-workshop-lab-'));
  const archive = join(dir, 'images.tar');
  try {
    const t0 = Date.now();
    await d.must(['save', '-o', archive, ...all], say('lab.doing.save'), 10 * 60_000);
    // Into every node at once: each load is its own engine's work (measured: 3 nodes in 67 s one after
    // the other on 2 cores).
    await Promise.all([...needs].map(async ([node, missing]) => {
      const r = await execa('docker', ['exec', '-i', node.container, 'docker', 'load', '-q'], {
        env: d.env, extendEnv: false, inputFile: archive, reject: false, cancelSignal: d.signal, timeout: 10 * 60_000,
      });
      if (r.exitCode !== 0) throw new AbortError(say('lab.loadFailed', { node: node.name, error: lastLine(String(r.stderr)) }), [say('lab.tryAgain')]);
      out(say('lab.loaded', { node: node.name, count: missing.length }));
    }));
    const steps = all.filter((ref) => ref.startsWith('sha256:')).length;
    const named = all.filter((ref) => !ref.startsWith('sha256:'));
    out(say('lab.copied', { seconds: ((Date.now() - t0) / 1000).toFixed(1), images: [...named, ...(steps ? [say('lab.buildSteps', { count: steps })] : [])].join(', ') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Fill node1's build cache from the prepared images it was given (docker/build-cache.ts), so that the
 * lessons' `docker build`s there (typed on node1, or run through the lab's context) take their layers
 * from the cache as they do on the host after `prepare`: no package download, and a class with no
 * network can build.
 */
async function warmBuildCache(state: LabState, d: Docker, out: Out, chains: Map<string, string[]>): Promise<void> {
  const node1 = state.nodes[0]!;
  const source = state.shared?.some((f) => f.dir === dockercoinsDir) ? dockercoinsDir : '/root/dockercoins';
  // Linked with the legacy builder (the step images are its cache); proven with node1's own default
  // builder, as the learner's `docker build` there runs.
  const legacy: DockerRun = (args, timeoutMs) => d.run(['exec', '-e', 'DOCKER_BUILDKIT=0', node1.container, 'docker', ...args], timeoutMs);
  const plain: DockerRun = (args, timeoutMs) => d.onNode(node1, args, timeoutMs);
  const { warmed, cold, seconds } = await fillBuildCache({ warm: legacy, plain }, chains, source);
  if (warmed.length) out(say('lab.cacheFilled', { seconds: seconds.toFixed(1), images: warmed.join(', ') }));
  if (cold.length) out(say('lab.cacheCold', { images: cold.join(', ') }));
}

/** Init the swarm on node1 (if it has none), and join every node not in it, as manager or worker. */
async function formSwarm(state: LabState, d: Docker, out: Out): Promise<void> {
  const [first, ...others] = state.nodes;
  const swarmState = async (node: LabNode) => (await d.onNode(node, ['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout.trim();
  if ((await swarmState(first!)) !== 'active') {
    await d.must(['exec', first!.container, 'docker', 'swarm', 'init', '--advertise-addr', first!.ip], say('lab.doing.init'));
    out(say('lab.formed', { ip: first!.ip }));
  }
  const token = async (role: 'manager' | 'worker') => d.must(['exec', first!.container, 'docker', 'swarm', 'join-token', '-q', role], say('lab.doing.token'));
  for (const node of others) {
    if ((await swarmState(node)) === 'active') continue;
    await d.must(['exec', node.container, 'docker', 'swarm', 'join', '--advertise-addr', node.ip, '--token', await token(node.role), `${first!.ip}:2377`], say('lab.doing.join', { node: node.name }));
    out(say('lab.joined', { node: node.name, role: say(`lab.role.${node.role}`) }));
  }
  // Every node is ready before the lab is called up: services placed at once can go anywhere.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ls = await d.onNode(first!, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']);
    const ready = ls.stdout.split('\n').filter((l) => l.endsWith(' Ready')).length;
    if (ready >= state.nodes.length) return;
    if (Date.now() > deadline) throw new AbortError(say('lab.notReady', { ready, count: state.nodes.length }), [say('lab.notReadyNext')]);
    await sleep(500);
  }
}

/** The docker context `swarm-workshop-lab`: node1's API over TLS with the lab's client certificate; made current. */
async function makeContext(state: LabState, d: Docker, out: Out, env: NodeJS.ProcessEnv): Promise<void> {
  const node1 = state.nodes[0]!;
  const dir = join(dataDir(env), 'lab-tls');
  mkdirSync(dir, { recursive: true });
  for (const file of ['ca.pem', 'cert.pem', 'key.pem']) {
    const pem = await d.must(['exec', node1.container, 'cat', `/var/lib/docker/swarm-workshop-tls/${file}`], say('lab.doing.readFile', { file }));
    writeFileSync(join(dir, file), pem + '\n', { mode: 0o600 });
  }
  const endpoint = `host=tcp://127.0.0.1:${state.apiPort},ca=${join(dir, 'ca.pem')},cert=${join(dir, 'cert.pem')},key=${join(dir, 'key.pem')}`;
  // Context commands work on the CLI's config alone, whatever engine is current.
  const exists = (await d.run(['context', 'inspect', LAB_CONTEXT])).exitCode === 0;
  if (exists && !state.contextCreated) {
    throw new AbortError(say('lab.contextExists', { context: LAB_CONTEXT }), [say('lab.contextExistsNext', { context: LAB_CONTEXT })]);
  }
  const description = `swarm-workshop lab ${state.id}: node1 of ${state.nodes.length}`;
  if (exists) await d.must(['context', 'update', LAB_CONTEXT, '--description', description, '--docker', endpoint], say('lab.doing.updateContext'));
  else await d.must(['context', 'create', LAB_CONTEXT, '--description', description, '--docker', endpoint], say('lab.doing.createContext'));
  state.contextCreated = true;
  saveLabState(state, env);
  if (currentContext(env) !== LAB_CONTEXT) await d.must(['context', 'use', LAB_CONTEXT], say('lab.doing.useContext'));
  const reach = await runCommand(['docker', 'info', '--format', '{{.Name}} {{.Swarm.NodeID}}'], { env: { ...withoutHost(env), DOCKER_CONTEXT: LAB_CONTEXT }, signal: d.signal, timeoutMs: 30_000 });
  if (reach.exitCode !== 0 || !reach.stdout.startsWith('node1 ')) {
    throw new AbortError(say('lab.contextUnreachable', { context: LAB_CONTEXT, error: lastLine(reach.stderr) || reach.stdout.trim() }), [say('lab.contextUnreachableNext')]);
  }
  out(say('lab.contextMade', { context: LAB_CONTEXT, port: state.apiPort }));
}

/** node1 answers ssh with a key of the lab's (made on node1, its private half kept next to lab.json). */
async function giveSshKey(state: LabState, d: Docker, env: NodeJS.ProcessEnv): Promise<void> {
  const node1 = state.nodes[0]!.container;
  const script = 'set -e; mkdir -p /root/.ssh /run/sshd; chmod 700 /root/.ssh; ' +
    '[ -f /root/.ssh/lab-key ] || ssh-keygen -q -t ed25519 -N "" -C swarm-workshop-lab -f /root/.ssh/lab-key; ' +
    'cp /root/.ssh/lab-key.pub /root/.ssh/authorized_keys; ssh-keygen -A >/dev/null; ' +
    'pgrep -x sshd >/dev/null || /usr/sbin/sshd -o PasswordAuthentication=no -o PermitRootLogin=prohibit-password';
  await d.must(['exec', node1, 'bash', '-c', script], say('lab.doing.startSsh'));
  const key = await d.must(['exec', node1, 'cat', '/root/.ssh/lab-key'], say('lab.doing.readKey'));
  const dir = join(dataDir(env), 'lab-ssh');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'id_ed25519'), key + '\n', { mode: 0o600 });
}

const withoutHost = (env: NodeJS.ProcessEnv) => {
  const { DOCKER_HOST: _h, DOCKER_CONTEXT: _c, ...rest } = env;
  return rest;
};

/** `lab status`: every node with its container state and its place in the swarm, and the context. */
export async function labStatus(signal: AbortSignal, out: Out, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const state = loadLabState(env);
  const d = new Docker(hostEnv(env, state), signal);
  const objects = await labObjects(d);
  if (!state && !objects.containers.length) {
    out(say('lab.noLab'));
    return 1;
  }
  if (!state) {
    out(say('lab.noStateStatus', { containers: objects.containers.join(', ') }));
    return 1;
  }
  let ok = true;
  out(say('lab.status', {
    id: state.id, count: state.nodes.length, subnet: state.subnet, engine: labEngine(state), debian: LAB_ENGINES[labEngine(state)].debian,
    rights: state.rights === 'privileged' ? say('lab.rights.privileged') : say('lab.rights.capabilities'),
  }));
  for (const node of state.nodes) {
    const running = (await d.run(['inspect', '--format', '{{.State.Status}}', node.container])).stdout.trim() || 'missing';
    const swarm = running === 'running' ? (await d.onNode(node, ['info', '--format', '{{.Swarm.LocalNodeState}} {{.ServerVersion}}'])).stdout.trim() : '';
    if (running !== 'running' || !swarm.startsWith('active')) ok = false;
    const [role] = padLabels([say(`lab.role.${node.role}`), say('lab.role.manager'), say('lab.role.worker')]);
    out(`  ${node.name.padEnd(6)} ${role}  ${node.ip.padEnd(15)} ${say('lab.container', { state: running })}${swarm ? say('lab.swarmEngine', { state: swarm.split(' ')[0], version: swarm.split(' ')[1] }) : ''}\n`);
  }
  const ipvs = (await d.run(['exec', state.nodes[0]!.container, 'test', '-d', '/proc/sys/net/ipv4/vs'])).exitCode === 0;
  out(say('lab.mesh', { what: ipvs ? say('lab.meshIpvs') : say('lab.meshNoIpvs') }));
  const context = !state.contextCreated ? say('lab.contextNotMade')
    : `tcp://127.0.0.1:${state.apiPort}${currentContext(env) === LAB_CONTEXT ? say('lab.contextIsCurrent') : say('lab.contextNotCurrent', { context: LAB_CONTEXT })}`;
  out(say('lab.contextLine', { context: LAB_CONTEXT, state: context }));
  if (!ok) out(say('lab.somethingStopped'));
  return ok ? 0 : 1;
}

/** `lab shell [NODE]`: a login shell on a node, with docker, curl and (on node1) the DockerCoins source. */
export async function labShell(nodeName: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const state = loadLabState(env);
  if (!state) throw new AbortError(say('lab.noLabShell'), [say('lab.upMakesOne')]);
  const node = state.nodes.find((n) => n.name === (nodeName ?? 'node1'));
  if (!node) throw new AbortError(say('lab.noSuchNode', { node: nodeName }), [say('lab.itsNodes', { nodes: state.nodes.map((n) => n.name).join(', ') })], 2);
  const r = await execa('docker', ['exec', '-it', '-w', '/root', node.container, 'bash', '-l'], { env: hostEnv(env, state), extendEnv: false, stdio: 'inherit', reject: false });
  return r.exitCode ?? 1;
}

/**
 * `lab down`: remove every container, volume and network with the lab's label, the context if the lab
 * made it (making the previous context current again), and the state file. Nothing else.
 */
export async function labDown(signal: AbortSignal, out: Out, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const state = loadLabState(env);
  const d = new Docker(hostEnv(env, state), signal);
  const objects = await labObjects(d);
  if (objects.containers.length) await d.must(['rm', '-f', '-v', ...objects.containers], say('lab.doing.removeNodes'), 5 * 60_000);
  for (const c of objects.containers) out(say('lab.removed.container', { name: c }));
  if (objects.volumes.length) await d.must(['volume', 'rm', ...objects.volumes], say('lab.doing.removeVolumes'));
  for (const v of objects.volumes) out(say('lab.removed.volume', { name: v }));
  for (const n of objects.networks) {
    await d.must(['network', 'rm', n], say('lab.doing.removeNetwork', { name: n }));
    out(say('lab.removed.network', { name: n }));
  }
  if (state?.contextCreated) {
    if (currentContext(withoutHost(env)) === LAB_CONTEXT || currentContext(env) === LAB_CONTEXT) {
      await d.run(['context', 'use', state.previousContext && state.previousContext !== LAB_CONTEXT ? state.previousContext : 'default']);
      out(say('lab.contextBack', { context: state.previousContext ?? 'default' }));
    }
    const rm = await d.run(['context', 'rm', '-f', LAB_CONTEXT]);
    if (rm.exitCode === 0) out(say('lab.removed.context', { name: LAB_CONTEXT }));
  }
  rmSync(join(dataDir(env), 'lab-tls'), { recursive: true, force: true });
  rmSync(join(dataDir(env), 'lab-ssh'), { recursive: true, force: true });
  rmSync(labStateFile(env), { force: true });
  if (!objects.containers.length && !objects.volumes.length && !objects.networks.length && !state) out(say('lab.nothingRemoved'));
  return 0;
}

/** Whether the workshop talks to this machine's lab: its context, or the addresses `lab up` gave node1. */
export function isLabEngine(endpoint: EngineEndpoint, env: NodeJS.ProcessEnv = process.env): boolean {
  if (endpoint.context === LAB_CONTEXT) return true;
  let state: LabState | undefined;
  try {
    state = loadLabState(env);
  } catch {
    return false;
  }
  if (!state) return false;
  const { host } = endpoint;
  return host === `tcp://127.0.0.1:${state.apiPort}` || (host.startsWith('ssh://') && host.endsWith(`@127.0.0.1:${state.apiPort + 1}`));
}
