import { NODE_IMAGE } from '../docker/images.js';

/**
 * The lab's shape, decided without touching Docker: its nodes (names, roles, addresses), the names and
 * labels of everything it creates, and the `docker run` arguments of a node. lab.ts carries it out.
 */

/** On every container, volume and network the lab creates: `lab down` removes by this label, never by name alone. */
export const LAB_LABEL = 'io.swarm-workshop.lab';
/** The node a container or volume belongs to (`node1`), next to LAB_LABEL. */
export const LAB_NODE_LABEL = 'io.swarm-workshop.lab.node';
export const LAB_NETWORK = 'swarm-workshop-lab';
export const LAB_CONTEXT = 'swarm-workshop-lab';
/** The volume every node mounts at REGISTRY_DIR: a registry task on any node stores into the same place. */
export const LAB_REGISTRY_VOLUME = 'swarm-workshop-lab-registry';
export const REGISTRY_DIR = '/var/lib/swarm-workshop-registry';
/** Where node1's engine API (TLS) answers on the host's loopback, unless `--api-port` says otherwise. */
export const DEFAULT_API_PORT = 23760;
export const MAX_NODES = 5;

/**
 * Subnets tried in turn for the lab's network, fixed so that nodes keep their addresses across restarts;
 * the first one no other network of the engine uses is taken.
 */
export const SUBNETS = ['172.30.213.0/24', '10.213.213.0/24', '192.168.213.0/24'];

export interface LabNode {
  /** node1..node5: the hostname, as the articles name them. */
  name: string;
  container: string;
  volume: string;
  role: 'manager' | 'worker';
  ip: string;
}

/**
 * Managers and workers as in the articles: node1 is a manager (the learner types there). With 4 or 5
 * nodes, node1-3 are managers (a quorum survives one lost manager) and the rest workers; with fewer,
 * node1 alone manages and the others are workers, so that a worker node exists from 2 nodes on.
 */
export function rolesFor(count: number): ('manager' | 'worker')[] {
  const managers = count >= 4 ? 3 : 1;
  return Array.from({ length: count }, (_, i) => (i < managers ? 'manager' : 'worker'));
}

/** The nodes of a lab of `count` nodes on `subnet` (a /24): node N at .(10+N). */
export function labNodes(count: number, subnet: string): LabNode[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_NODES) throw new RangeError(`a lab has 1 to ${MAX_NODES} nodes, not ${count}`);
  const prefix = subnet.replace(/\.0\/24$/, '');
  if (prefix === subnet) throw new RangeError(`the lab's subnet must be a /24 ending in .0, not ${subnet}`);
  return rolesFor(count).map((role, i) => ({
    name: `node${i + 1}`,
    container: `swarm-workshop-node${i + 1}`,
    volume: `swarm-workshop-node${i + 1}-data`,
    role,
    ip: `${prefix}.${11 + i}`,
  }));
}

/** The gateway of a /24 subnet (.1). */
export const gatewayOf = (subnet: string) => subnet.replace(/\.0\/24$/, '.1');

/**
 * How a node container gets the rights a Docker engine needs. `privileged` first, as kind and Docker's
 * dind image do; where that is refused (a machine whose capability bounding set lacks some capability,
 * as on these sandboxes), the measured set: every capability but CAP_SYS_RESOURCE, no seccomp or
 * AppArmor profile, writable /proc/sys, and the host's cgroup file system.
 */
export type NodeRights = 'privileged' | 'capabilities';

export function rightsArgs(rights: NodeRights): string[] {
  if (rights === 'privileged') return ['--privileged'];
  return [
    '--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE',
    '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined',
    '-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw',
  ];
}

/** Whether `docker run --privileged` failed because this machine refuses it (so the capability set is worth a try). */
export function privilegedRefused(stderr: string): boolean {
  return /unable to apply caps|operation not permitted|cgroupns|cgroup namespaces? (are|is) not supported|privileged mode is disabled/i.test(stderr);
}

/** `docker run` arguments of one node (its image last, no command: the entrypoint starts dockerd). */
export function nodeRunArgs(node: LabNode, rights: NodeRights, options: { apiPort: number; labId: string; registryAt?: string; image?: string; shared?: { dir: string; readOnly?: boolean }[] }): string[] {
  const labels = [`${LAB_LABEL}=${options.labId}`, `${LAB_NODE_LABEL}=${node.name}`];
  return [
    'run', '--detach', '--name', node.container, '--hostname', node.name,
    ...labels.flatMap((l) => ['--label', l]),
    '--network', LAB_NETWORK, '--ip', node.ip,
    // The host's engine restarts it (a reboot, a restart of Docker): the node keeps its name, address and data.
    '--restart', 'unless-stopped',
    ...rightsArgs(rights),
    '--tmpfs', '/run', '--tmpfs', '/tmp',
    '-v', `${node.volume}:/var/lib/docker`,
    '-v', `${LAB_REGISTRY_VOLUME}:${REGISTRY_DIR}`,
    // node1's engine API (TLS) and its ssh (for DOCKER_HOST=ssh://), on the host's loopback only.
    ...(node.name === 'node1' ? ['--publish', `127.0.0.1:${options.apiPort}:2376`, '--publish', `127.0.0.1:${options.apiPort + 1}:22`] : []),
    // Where the registry runs (node1, as the lessons pin it): the node's stand-in for the routing mesh.
    ...(node.name !== 'node1' && options.registryAt ? ['--env', `SWARM_WORKSHOP_REGISTRY_AT=${options.registryAt}`] : []),
    // Folders of the learner's machine that node1 sees at the same path (the workspace, the shipped
    // source): the command box's commands then work as they are in `lab shell node1`, and an edit made
    // on either side is the one `check` reads.
    ...(node.name === 'node1' ? (options.shared ?? []).flatMap(({ dir, readOnly }) => ['-v', `${dir}:${dir}${readOnly ? ':ro' : ''}`]) : []),
    options.image ?? NODE_IMAGE,
  ];
}
