import { lookup } from 'node:dns/promises';
import { release } from 'node:os';
import { statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';
import type { DockerClient, EngineInfo, ServiceInfo } from './client.js';
import { APP_IMAGES, BASE_IMAGES, preparedRef } from './images.js';
import { isLocalEngine, type EngineEndpoint } from './endpoint.js';
import { defaultProfile, endpointArgs, probeIpvs, publishArgs, type Profile } from './profile.js';

/** Ports the workshop publishes: the registry and the web UI. */
export const WORKSHOP_PORTS = [
  { port: 5000, service: 'registry', variable: 'publishRegistry' },
  { port: 8000, service: 'webui', variable: 'publishWebui' },
] as const;


export interface PortStatus {
  port: number;
  /** `free`; `workshop` (published by the workshop's own service); `taken` by something else. */
  state: 'free' | 'workshop' | 'taken';
  detail: string;
}

export interface EnvironmentReport {
  host: string;
  engine: { ok: true; info: EngineInfo } | { ok: false; error: string };
  ipvs: boolean;
  /** Where the IPVS verdict comes from (see detectIpvs). */
  ipvsSource: IpvsSource;
  ports: PortStatus[];
  /** What `localhost` resolves to first here: curl and browsers may try ::1 where a service listens on 127.0.0.1 only. */
  localhost: string;
  images: { ref: string; present: boolean }[];
  /** The DockerCoins images `prepare` keeps as a build cache; missing ones mean slow first builds. */
  prepared: { ref: string; present: boolean }[];
  diskFreeBytes?: number;
}

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function portStatus(port: number, service: string, services: ServiceInfo[], isFree: (port: number) => Promise<boolean> = portIsFree): Promise<PortStatus> {
  const publisher = services.find((s) => s.ports.some((p) => p.published === port));
  if (publisher) {
    return publisher.name === service
      ? { port, state: 'workshop', detail: say('preflight.port.workshop', { service }) }
      : { port, state: 'taken', detail: say('preflight.port.service', { name: publisher.name }) };
  }
  return (await isFree(port)) ? { port, state: 'free', detail: say('preflight.port.free') } : { port, state: 'taken', detail: say('preflight.port.process') };
}

/**
 * Whether a port is free on the engine's machine (not this one): nothing answers a connection to it
 * there. For an engine elsewhere (a lab node, a remote manager); a probe that cannot run says "free".
 */
export function enginePortIsFree(docker: DockerClient): (port: number) => Promise<boolean> {
  return async (port) => {
    const r = await docker.runOnEngine('debian:bookworm-slim', ['bash', '-c', 'exec 3<>"/dev/tcp/127.0.0.1/$1"', 'probe', String(port)], 5000).catch(() => undefined);
    return !r || r.exitCode !== 0;
  };
}

/**
 * How to ask whether a port is free where the engine runs: a real listen on this machine when the engine
 * is here (a socket), a connection from a probe on the engine's machine otherwise.
 */
export function portCheckFor(docker: DockerClient & { endpoint?: EngineEndpoint }): (port: number) => Promise<boolean> {
  return docker.endpoint && !isLocalEngine(docker.endpoint) ? enginePortIsFree(docker) : portIsFree;
}

export type IpvsSource = 'forced' | 'this machine' | "the engine's kernel" | 'a guess';

/** probeIpvs's three signs, asked inside a container on the engine: its sysctl tree, a loaded module, a module file. */
export const IPVS_SCRIPT = 'test -d /proc/sys/net/ipv4/vs || grep -q "^ip_vs " /proc/modules || ls /lib/modules/$(uname -r)/kernel/net/netfilter/ipvs/ip_vs.ko* >/dev/null 2>&1';

/**
 * Does the *engine's* kernel have IPVS? When the engine runs on this machine's kernel, this machine's
 * /proc answers (no container needed). When it runs elsewhere (Docker Desktop's VM, a remote engine),
 * a throwaway container on the engine looks; if that cannot run (no base image yet), Docker Desktop is
 * taken to have IPVS (its kernels do) and anything else not to (dnsrr works everywhere).
 */
export async function detectIpvs(
  docker: DockerClient,
  info: EngineInfo,
  local: { env?: NodeJS.ProcessEnv; release?: string; platform?: string; kernel?: Parameters<typeof probeIpvs>[0] } = {},
): Promise<{ ipvs: boolean; source: IpvsSource }> {
  const env = local.env ?? process.env;
  const forced = env.SWARM_WORKSHOP_IPVS;
  if (forced === '0' || forced === '1') return { ipvs: forced === '1', source: 'forced' };
  const sameKernel = (local.platform ?? process.platform) === 'linux' && (!info.kernelVersion || info.kernelVersion === (local.release ?? release()));
  if (sameKernel) return { ipvs: probeIpvs(local.kernel, env), source: 'this machine' };
  try {
    return { ipvs: (await docker.probeEngine('debian:bookworm-slim', IPVS_SCRIPT)) === 0, source: "the engine's kernel" };
  } catch {
    return { ipvs: /docker desktop/i.test(info.operatingSystem ?? ''), source: 'a guess' };
  }
}

/** Look at the engine and this machine; never throws (doctor prints whatever it finds). */
export async function probeEnvironment(docker: DockerClient, host: string, isFree: (port: number) => Promise<boolean> = portIsFree): Promise<EnvironmentReport> {
  let engine: EnvironmentReport['engine'];
  try {
    engine = { ok: true, info: await docker.info() };
  } catch (error) {
    engine = { ok: false, error: (error as Error).message };
  }
  const services = engine.ok && engine.info.isManager ? await docker.services().catch(() => []) : [];
  const ports = await Promise.all(WORKSHOP_PORTS.map(({ port, service }) => portStatus(port, service, services, isFree)));
  const present = async (ref: string) => ({ ref, present: await docker.imageExists(ref).catch(() => false) });
  const images = engine.ok ? await Promise.all(BASE_IMAGES.map(present)) : [];
  const prepared = engine.ok ? await Promise.all(APP_IMAGES.map((name) => present(preparedRef(name)))) : [];
  const localhost = await lookup('localhost').then((a) => a.address, () => 'unresolved');
  const diskFreeBytes = await statfs('/').then((s) => s.bavail * s.bsize, () => undefined);
  const ipvs = engine.ok ? await detectIpvs(docker, engine.info) : { ipvs: probeIpvs(), source: 'this machine' as const };
  return { host, engine, ipvs: ipvs.ipvs, ipvsSource: ipvs.source, ports, localhost, images, prepared, diskFreeBytes };
}

/**
 * Stop early, with the fix, when the workshop cannot work here: no engine, swarm inactive, not a manager.
 * Returns the engine info otherwise.
 */
export function requireSwarmManager(report: EnvironmentReport): EngineInfo {
  if (!report.engine.ok) {
    throw new AbortError(say('setup.noEngine', { host: report.host, error: report.engine.error }), [say('setup.startDocker'), say('setup.checkDockerInfo')]);
  }
  const { info } = report.engine;
  if (info.swarmState !== 'active') {
    throw new AbortError(say('setup.notSwarm', { state: info.swarmState }), [say('setup.swarmInit')]);
  }
  if (!info.isManager) {
    throw new AbortError(say('setup.worker', { host: info.hostname }), [say('setup.useManager'), say('setup.promote', { host: info.hostname })]);
  }
  return info;
}

export function profileFor(report: EnvironmentReport): Profile {
  const info = report.engine.ok ? report.engine.info : undefined;
  const pinTo = info && info.nodes > 1 && !report.ipvs ? info.hostname : undefined;
  return { ...defaultProfile, ipvs: report.ipvs, ...(pinTo ? { pinTo } : {}) };
}

/** Template variables for this profile (all but `debug` and the folders, which the runner adds). */
export function profileVariables(profile: Profile, info: EngineInfo): Record<string, string | string[]> {
  return {
    registry: profile.registry,
    tag: profile.tag,
    managerHostname: info.hostname,
    endpointMode: endpointArgs(profile),
    publishRegistry: publishArgs(profile, 5000, 5000),
    publishWebui: [...publishArgs(profile, 8000, 80), ...(profile.pinTo ? ['--constraint', `node.hostname==${profile.pinTo}`] : [])],
  };
}
