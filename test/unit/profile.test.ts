import { describe, expect, it } from 'vitest';
import type { EngineInfo } from '../../runner/docker/client.js';
import { detectIpvs, IPVS_SCRIPT } from '../../runner/docker/probe.js';
import { endpointArgs, probeIpvs, publishArgs, type KernelView, type Profile } from '../../runner/docker/profile.js';
import { fakeDocker } from '../support/fake-docker.js';

const kernel = (over: Partial<KernelView> = {}): KernelView => ({
  exists: () => false,
  read: () => undefined,
  list: () => [],
  release: '6.1.0-test',
  ...over,
});

describe('probeIpvs', () => {
  it('says no on a kernel without any trace of IPVS', () => {
    expect(probeIpvs(kernel(), {})).toBe(false);
  });
  it('says yes when the sysctl tree exists', () => {
    expect(probeIpvs(kernel({ exists: (p) => p === '/proc/sys/net/ipv4/vs' }), {})).toBe(true);
  });
  it('says yes when ip_vs is a loaded module', () => {
    expect(probeIpvs(kernel({ read: () => 'nf_nat 49152 2 - Live\nip_vs 180224 0 - Live\n' }), {})).toBe(true);
  });
  it('says yes when the module is installed for the running kernel', () => {
    const list = (p: string) => (p === '/lib/modules/6.1.0-test/kernel/net/netfilter/ipvs' ? ['ip_vs.ko.xz', 'ip_vs_rr.ko.xz'] : []);
    expect(probeIpvs(kernel({ list }), {})).toBe(true);
  });
  it('is overridden by SWARM_WORKSHOP_IPVS', () => {
    expect(probeIpvs(kernel({ exists: () => true }), { SWARM_WORKSHOP_IPVS: '0' })).toBe(false);
    expect(probeIpvs(kernel(), { SWARM_WORKSHOP_IPVS: '1' })).toBe(true);
  });
});

describe('detectIpvs: the engine\'s kernel decides, wherever the engine runs', () => {
  const info = (over: Partial<EngineInfo> = {}): EngineInfo => ({
    swarmState: 'active', isManager: true, nodeId: 'n1', hostname: 'node1', serverVersion: '27.3.1', nodes: 1, ...over,
  });
  const withModule = kernel({ exists: (p) => p === '/proc/sys/net/ipv4/vs' });

  it('an engine on this machine\'s kernel: reads this machine, runs no container', async () => {
    const docker = fakeDocker({}); // any call would throw
    expect(await detectIpvs(docker, info({ kernelVersion: '6.1.0-test' }), { env: {}, release: '6.1.0-test', platform: 'linux', kernel: withModule }))
      .toEqual({ ipvs: true, source: 'this machine' });
    expect(await detectIpvs(docker, info({ kernelVersion: '6.1.0-test' }), { env: {}, release: '6.1.0-test', platform: 'linux', kernel: kernel() }))
      .toEqual({ ipvs: false, source: 'this machine' });
  });

  it('Docker Desktop on a Mac: asks the engine, in a container, with the same three signs', async () => {
    const asked: string[] = [];
    const docker = fakeDocker({ probeEngine: async (image, script) => (asked.push(`${image}|${script}`), 0) });
    const desktop = info({ kernelVersion: '6.10.14-linuxkit', operatingSystem: 'Docker Desktop' });
    expect(await detectIpvs(docker, desktop, { env: {}, release: '24.1.0', platform: 'darwin', kernel: kernel() }))
      .toEqual({ ipvs: true, source: "the engine's kernel" });
    expect(asked).toEqual([`debian:bookworm-slim|${IPVS_SCRIPT}`]);
    const without = fakeDocker({ probeEngine: async () => 1 });
    expect(await detectIpvs(without, info({ kernelVersion: '5.15.0-remote' }), { env: {}, release: '6.1.0-test', platform: 'linux', kernel: withModule }))
      .toEqual({ ipvs: false, source: "the engine's kernel" });
  });

  it('when the engine cannot be asked: Docker Desktop has IPVS, anything else is taken not to', async () => {
    const cannot = fakeDocker({ probeEngine: async () => { throw new Error('No such image: debian:bookworm-slim'); } });
    expect(await detectIpvs(cannot, info({ kernelVersion: '6.10.14-linuxkit', operatingSystem: 'Docker Desktop' }), { env: {}, release: '24.1.0', platform: 'darwin' }))
      .toEqual({ ipvs: true, source: 'a guess' });
    expect(await detectIpvs(cannot, info({ kernelVersion: '5.15.0-remote', operatingSystem: 'Ubuntu 22.04' }), { env: {}, release: '6.1.0-test', platform: 'linux' }))
      .toEqual({ ipvs: false, source: 'a guess' });
  });

  it('SWARM_WORKSHOP_IPVS wins over everything', async () => {
    expect(await detectIpvs(fakeDocker({}), info({ kernelVersion: 'x' }), { env: { SWARM_WORKSHOP_IPVS: '1' }, release: 'y', platform: 'darwin' }))
      .toEqual({ ipvs: true, source: 'forced' });
  });
});

describe('service arguments', () => {
  const withIpvs: Profile = { registry: '127.0.0.1:5000', ipvs: true, tag: 'v0.1' };
  const without: Profile = { ...withIpvs, ipvs: false };
  it('publish through the routing mesh where IPVS works, in host mode where it does not', () => {
    expect(publishArgs(withIpvs, 8000, 80)).toEqual(['--publish', '8000:80']);
    expect(publishArgs(without, 8000, 80)).toEqual(['--publish', 'mode=host,target=80,published=8000']);
  });
  it('use VIP endpoints where IPVS works and DNS round robin where it does not', () => {
    expect(endpointArgs(withIpvs)).toEqual([]);
    expect(endpointArgs(without)).toEqual(['--endpoint-mode', 'dnsrr']);
  });
});
