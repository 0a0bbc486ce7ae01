import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DockerClient } from '../../runner/docker/client.js';
import { BRIDGE_NF_SCRIPT, meshBlocker, probeMesh } from '../../runner/docker/mesh.js';
import { fakeDocker, serviceInfo } from '../support/fake-docker.js';

const node = (id: string, hostname: string) => ({ id, hostname, role: 'manager' as const, state: 'ready' });

describe('the routing mesh probe', () => {
  it('needs another node: on one node it says so and creates nothing', async () => {
    const commands: string[] = [];
    const docker = fakeDocker({ nodes: async () => [node('n1', 'node1')] } as Partial<DockerClient>);
    const verdict = await probeMesh(docker, async (args) => (commands.push(args.join(' ')), { exitCode: 0, stdout: '', stderr: '' }), 'node1');
    expect(verdict).toEqual({ mesh: 'unknown', reason: 'one node: no other node to reach the published port through' });
    expect(commands).toEqual([]);
  });

  it('publishes on this node, connects from the other one, reads the answer, and removes both services', async () => {
    const commands: string[] = [];
    const docker = fakeDocker({
      nodes: async () => [node('n1', 'node1'), node('n2', 'node2')],
      services: async () => [serviceInfo('registry', 'registry:2')],
      tasks: async (name: string) => [{ id: 't', serviceName: name, nodeId: 'n', state: name.endsWith('client') ? 'complete' : 'running', desiredState: 'running', image: '', message: '' }],
    } as Partial<DockerClient>);
    const run = async (args: string[]) => {
      commands.push(args.slice(0, 4).join(' '));
      return { exitCode: 0, stdout: args[1] === 'logs' ? 'mesh=no\nregistry=yes\n' : '', stderr: '' };
    };
    const verdict = await probeMesh(docker, run, 'node1');
    expect(verdict).toEqual({ mesh: 'missing', registryElsewhere: true, node: 'node2' });
    expect(commands[0]).toBe('service create --detach --name');
    expect(commands.at(-1)).toBe('service rm swarm-workshop-mesh-probe swarm-workshop-mesh-probe-client');
  }, 15_000);

  it('names a missing bridge-nf-call-iptables as the reason a mesh the kernel should give does not work', async () => {
    const said = await meshBlocker({ probeEngine: async (_image, script) => (script === BRIDGE_NF_SCRIPT ? 1 : 0) });
    expect(said).toContain('bridge-nf-call-iptables is missing');
    expect(said).toContain('modprobe br_netfilter');
    expect(await meshBlocker({ probeEngine: async () => 0 })).toBeUndefined();
    expect(await meshBlocker({ probeEngine: async () => { throw new Error('no image'); } })).toBeUndefined();
    // The script itself, on this machine's namespace: its verdict is the file's presence.
    const r = spawnSync('bash', ['-c', BRIDGE_NF_SCRIPT]);
    expect(r.status === 0).toBe(existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables'));
  });
});
