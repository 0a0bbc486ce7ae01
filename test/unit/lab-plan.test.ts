import { describe, expect, it } from 'vitest';
import { isLabEngineVersion, LAB_ENGINES } from '../../runner/docker/images.js';
import { DEFAULT_API_PORT, labNodes, LAB_LABEL, nodeRunArgs, privilegedRefused, rightsArgs, rolesFor } from '../../runner/lab/plan.js';

describe('the lab plan', () => {
  it('gives node1 the manager role, node1-3 with 4 or 5 nodes, and a worker from 2 nodes on', () => {
    expect(rolesFor(1)).toEqual(['manager']);
    expect(rolesFor(3)).toEqual(['manager', 'worker', 'worker']);
    expect(rolesFor(5)).toEqual(['manager', 'manager', 'manager', 'worker', 'worker']);
  });

  it('names the nodes as the articles do, with fixed addresses on the subnet', () => {
    const nodes = labNodes(3, '172.30.213.0/24');
    expect(nodes.map((n) => `${n.name} ${n.container} ${n.ip} ${n.volume}`)).toEqual([
      'node1 swarm-workshop-node1 172.30.213.11 swarm-workshop-node1-data',
      'node2 swarm-workshop-node2 172.30.213.12 swarm-workshop-node2-data',
      'node3 swarm-workshop-node3 172.30.213.13 swarm-workshop-node3-data',
    ]);
    expect(() => labNodes(6, '172.30.213.0/24')).toThrow('1 to 5 nodes');
    expect(() => labNodes(3, '172.30.0.0/16')).toThrow('/24');
  });

  it('runs a node privileged, or where that is refused with the measured capability set', () => {
    expect(rightsArgs('privileged')).toEqual(['--privileged']);
    const caps = rightsArgs('capabilities');
    expect(caps).not.toContain('--privileged');
    expect(caps.join(' ')).toContain('--cap-add ALL --cap-drop SYS_RESOURCE');
    expect(caps.join(' ')).toContain('systempaths=unconfined');
    // What this machine's engine says to `docker run --privileged` (SANDBOX.md), and what it does not.
    expect(privilegedRefused('docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown.')).toBe(true);
    expect(privilegedRefused('docker: Error response from daemon: Conflict. The container name "/swarm-workshop-node1" is already in use')).toBe(false);
    expect(privilegedRefused('Unable to find image')).toBe(false);
  });

  it('labels every node with the lab id, publishes only node1\'s API, on loopback', () => {
    const [node1, node2] = labNodes(2, '10.213.213.0/24');
    const a1 = nodeRunArgs(node1!, 'privileged', { apiPort: DEFAULT_API_PORT, labId: 'lab-x' });
    const a2 = nodeRunArgs(node2!, 'capabilities', { apiPort: DEFAULT_API_PORT, labId: 'lab-x', registryAt: '10.213.213.11:5000' });
    expect(a1.join(' ')).toContain(`--label ${LAB_LABEL}=lab-x`);
    expect(a1.join(' ')).toContain('--publish 127.0.0.1:23760:2376 --publish 127.0.0.1:23761:22');
    expect(a2.join(' ')).not.toContain('--publish');
    expect(a2.join(' ')).toContain('--ip 10.213.213.12');
    expect(a2.join(' ')).toContain('--restart unless-stopped');
    expect(a1.at(-1)).toBe('swarm-workshop/node:prepared');
    // Every node but node1 forwards its loopback 5000 to node1's registry where there is no mesh.
    expect(a2.join(' ')).toContain('--env SWARM_WORKSHOP_REGISTRY_AT=10.213.213.11:5000');
    expect(a1.join(' ')).not.toContain('SWARM_WORKSHOP_REGISTRY_AT');
  });

  it('runs the node image of the engine asked for, and shares folders with node1 only, at the same path', () => {
    const [node1, node2] = labNodes(2, '10.213.213.0/24');
    const shared = [{ dir: '/home/me/swarm-workshop/dockercoins' }, { dir: '/opt/pkg/dockercoins', readOnly: true }];
    const a1 = nodeRunArgs(node1!, 'privileged', { apiPort: DEFAULT_API_PORT, labId: 'lab-x', image: LAB_ENGINES['26'].image, shared });
    const a2 = nodeRunArgs(node2!, 'privileged', { apiPort: DEFAULT_API_PORT, labId: 'lab-x', image: LAB_ENGINES['26'].image, shared });
    expect(a1.at(-1)).toBe('swarm-workshop/node:prepared-26');
    expect(a1.join(' ')).toContain('-v /home/me/swarm-workshop/dockercoins:/home/me/swarm-workshop/dockercoins -v /opt/pkg/dockercoins:/opt/pkg/dockercoins:ro');
    expect(a2.join(' ')).not.toContain('/home/me');
    expect(Object.keys(LAB_ENGINES).filter(isLabEngineVersion)).toEqual(['20', '26']);
    expect(isLabEngineVersion('27')).toBe(false);
  });
});
