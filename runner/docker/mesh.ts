/**
 * The routing mesh, probed by what it does rather than by the kernel alone: a throwaway service publishes
 * a port through the ingress network with its one task on this node, and a one-shot task on another node
 * (host network, a node that runs none of the first service's tasks) connects to that port on its own
 * loopback. Only the mesh can answer there. Nested engines are known to break it even where the kernel
 * has IPVS, so the kernel's word is not enough.
 *
 * The same one-shot task also tries 127.0.0.1:5000 (the registry, as every node pulls from it), when a
 * registry service exists: in the lab without a mesh, the node's forwarder answers for it.
 */
import type { DockerClient } from './client.js';
import { say } from '../i18n/messages.js';

export const PROBE_LABEL = 'io.swarm-workshop.probe';
const SERVER = 'swarm-workshop-mesh-probe';
const CLIENT = 'swarm-workshop-mesh-probe-client';
const PORT = 5990;

/**
 * `works`: a node without the task answered; `missing`: it did not (both name the node the client ran on,
 * and say whether 127.0.0.1:5000 answered there, when a registry service was there to ask); `unknown`:
 * the probe could not run, and why.
 */
export type MeshVerdict =
  | { mesh: 'works' | 'missing'; node: string; registryElsewhere?: boolean }
  | { mesh: 'unknown'; reason: string };

type Run = (args: string[], timeoutMs?: number) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run the probe with the docker CLI (`run` executes `docker ARGS` against the workshop's engine). Both
 * services carry PROBE_LABEL and are removed before returning, whatever happened.
 */
export async function probeMesh(docker: DockerClient, run: Run, thisNode: string): Promise<MeshVerdict> {
  const nodes = (await docker.nodes()).filter((n) => n.state === 'ready');
  const other = nodes.find((n) => n.hostname !== thisNode);
  if (!other) return { mesh: 'unknown', reason: say('doctor.mesh.oneNode') };
  const registry = (await docker.services()).some((s) => s.name === 'registry');
  const label = ['--label', `${PROBE_LABEL}=1`, '--container-label', `${PROBE_LABEL}=1`];
  try {
    const server = await run(['service', 'create', '--detach', '--name', SERVER, ...label, '--constraint', `node.hostname==${thisNode}`,
      '--publish', `published=${PORT},target=5000,mode=ingress`, 'registry:2'], 60_000);
    if (server.exitCode !== 0) return { mesh: 'unknown', reason: say('doctor.mesh.serviceFailed', { error: server.stderr.trim().split('\n').pop() }) };
    // Until its task runs (a mesh that works then answers at once).
    if (!(await until(async () => (await docker.tasks(SERVER)).some((t) => t.state === 'running'), 30_000))) {
      return { mesh: 'unknown', reason: say('doctor.mesh.taskSlow', { seconds: 30 }) };
    }
    await sleep(2000);
    const script = `exec 3<>/dev/tcp/127.0.0.1/${PORT} && echo mesh=yes || echo mesh=no; ` +
      (registry ? 'if exec 4<>/dev/tcp/127.0.0.1/5000; then echo registry=yes; else echo registry=no; fi' : 'true');
    const client = await run(['service', 'create', '--detach', '--name', CLIENT, ...label, '--constraint', `node.hostname==${other.hostname}`,
      '--network', 'host', '--restart-condition', 'none', 'debian:bookworm-slim', 'bash', '-c', script], 60_000);
    if (client.exitCode !== 0) return { mesh: 'unknown', reason: say('doctor.mesh.clientFailed', { error: client.stderr.trim().split('\n').pop() }) };
    const done = await until(async () => (await docker.tasks(CLIENT)).some((t) => ['complete', 'failed', 'rejected'].includes(t.state)), 90_000);
    if (!done) return { mesh: 'unknown', reason: say('doctor.mesh.clientSlow', { node: other.hostname, seconds: 90 }) };
    const logs = await run(['service', 'logs', '--raw', CLIENT], 30_000);
    const said = logs.stdout + logs.stderr;
    if (!/mesh=(yes|no)/.test(said)) return { mesh: 'unknown', reason: say('doctor.mesh.clientSilent', { node: other.hostname }) };
    return {
      mesh: said.includes('mesh=yes') ? 'works' : 'missing',
      ...(registry ? { registryElsewhere: said.includes('registry=yes') } : {}),
      node: other.hostname,
    };
  } finally {
    await run(['service', 'rm', SERVER, CLIENT], 60_000).catch(() => undefined);
  }
}

async function until(test: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await test().catch(() => false)) return true;
    await sleep(500);
  }
  return false;
}

/** Exits 0 when the engine's network namespace has the bridge netfilter switch the mesh's iptables rules need. */
export const BRIDGE_NF_SCRIPT = 'test -e /proc/sys/net/bridge/bridge-nf-call-iptables';

/**
 * Why a mesh the kernel should give (IPVS there) does not work, when it can be told: nested engines (a
 * lab's nodes, dind) whose network namespace lacks /proc/sys/net/bridge/bridge-nf-call-iptables leave
 * published tasks in "Preparing". Undefined when the probe cannot run or finds the switch.
 */
export async function meshBlocker(docker: Pick<DockerClient, 'probeEngine'>): Promise<string | undefined> {
  const code = await docker.probeEngine('debian:bookworm-slim', BRIDGE_NF_SCRIPT).catch(() => undefined);
  if (code === undefined || code === 0) return undefined;
  return say('doctor.mesh.bridgeNf');
}
