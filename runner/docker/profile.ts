import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';

/**
 * How commands are written for this machine. The classic Swarm commands (VIP endpoints, ingress
 * routing mesh) need the kernel's IPVS; where it is missing, services use DNS round robin and publish
 * ports in host mode, which work without it.
 */
export interface Profile {
  /** Registry address images are pushed to and pulled from, e.g. `127.0.0.1:5000`. */
  registry: string;
  /** Whether the kernel under the engine has IPVS (VIPs and the routing mesh work). */
  ipvs: boolean;
  /** Tag of the first DockerCoins build (the seeds' `v0.1`). */
  tag: string;
  /**
   * Several nodes and no routing mesh: a port published in host mode answers only on the node that runs
   * the task, so the web UI is kept on this manager (where the learner runs `curl 127.0.0.1:8000`).
   */
  pinTo?: string;
}

export const defaultProfile: Profile = { registry: '127.0.0.1:5000', ipvs: true, tag: 'v0.1' };

/** `--publish` arguments for a service port: the routing mesh where IPVS works, host mode otherwise. */
export function publishArgs(profile: Profile, published: number, target: number): string[] {
  return profile.ipvs
    ? ['--publish', `${published}:${target}`]
    : ['--publish', `mode=host,target=${target},published=${published}`];
}

/** `--endpoint-mode` arguments: nothing (VIP, the default) where IPVS works, `dnsrr` otherwise. */
export function endpointArgs(profile: Profile): string[] {
  return profile.ipvs ? [] : ['--endpoint-mode', 'dnsrr'];
}

/** What the probe reads; injectable so the logic is testable without this machine's kernel. */
export interface KernelView {
  exists(path: string): boolean;
  read(path: string): string | undefined;
  list(path: string): string[];
  release: string;
}

const realKernel: KernelView = {
  exists: existsSync,
  read: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  list: (path) => {
    try {
      return readdirSync(path);
    } catch {
      return [];
    }
  },
  release: release(),
};

/**
 * Does this kernel have IPVS? Yes when its sysctl tree exists (module loaded or built in), when `ip_vs`
 * is a loaded module, or when the module file is installed (dockerd loads it on demand).
 * `SWARM_WORKSHOP_IPVS=0|1` overrides the probe, for an engine on another kernel.
 */
export function probeIpvs(kernel: KernelView = realKernel, env: NodeJS.ProcessEnv = process.env): boolean {
  const forced = env.SWARM_WORKSHOP_IPVS;
  if (forced === '0' || forced === '1') return forced === '1';
  if (kernel.exists('/proc/sys/net/ipv4/vs')) return true;
  if (/^ip_vs\s/m.test(kernel.read('/proc/modules') ?? '')) return true;
  const moduleDir = `/lib/modules/${kernel.release}/kernel/net/netfilter/ipvs`;
  return kernel.list(moduleDir).some((name) => /^ip_vs\.ko/.test(name));
}
