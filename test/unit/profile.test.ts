import { describe, expect, it } from 'vitest';
import { endpointArgs, probeIpvs, publishArgs, type KernelView, type Profile } from '../../runner/docker/profile.js';

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
