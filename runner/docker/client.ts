/**
 * Everything the workshop reads from Docker goes through this interface: checks, the probe, reset and
 * the UI. The real one wraps dockerode (dockerode-client.ts); tests use a fake built from recorded
 * responses (test/support/fake-docker.ts) that throws on any call it was not given.
 */

export interface EngineInfo {
  /** Swarm state of this node: `inactive`, `pending`, `active`, `error`, `locked`. */
  swarmState: string;
  /** Whether this node is a swarm manager (can answer service/node calls). */
  isManager: boolean;
  nodeId: string;
  hostname: string;
  serverVersion: string;
  /** Nodes in the swarm, as this manager sees them (0 when not a manager). */
  nodes: number;
  /** The engine's kernel (`uname -r` where dockerd runs): how to tell a local engine from a VM or remote one. */
  kernelVersion?: string;
  /** The engine's OS, e.g. `Debian GNU/Linux 12 (bookworm)` or `Docker Desktop`. */
  operatingSystem?: string;
}

export interface PublishedPort {
  published: number;
  target: number;
  mode: 'ingress' | 'host';
}

export interface ServiceInfo {
  id: string;
  name: string;
  createdAt: string;
  /** `replicated` with a replica count, or `global`. */
  mode: { kind: 'replicated'; replicas: number } | { kind: 'global' };
  /** Image of the spec, without the `@sha256:` digest swarm may have pinned. */
  image: string;
  /** Image of the previous spec, when the service has been updated (what `rollback` goes back to). */
  previousImage?: string;
  endpointMode: 'vip' | 'dnsrr';
  /** Virtual IPs of the service (one per network it is on) in VIP mode; none in DNS round robin. */
  virtualIps: number;
  ports: PublishedPort[];
  /** Names of the networks the service is attached to. */
  networks: string[];
  labels: Record<string, string>;
  /** Swarm's update status: `updating`, `completed`, `paused`, `rollback_started`, `rollback_completed`, ... */
  updateState?: string;
  updateMessage?: string;
  /** How an update rolls out (`--update-parallelism`, `--update-delay`, ...): swarm's defaults when unset. */
  updateConfig: UpdateSettings;
  /** The same for a rollback (`--rollback-parallelism`, ...). */
  rollbackConfig: UpdateSettings;
  /** The update settings of the previous spec, when there is one (what `service rollback` restores). */
  previousUpdateConfig?: UpdateSettings;
}

/** Swarm's UpdateConfig / RollbackConfig. `parallelism` 0 means all tasks at once. */
export interface UpdateSettings {
  parallelism: number;
  delaySeconds: number;
  /** `pause`, `continue` or `rollback` (updates); `pause` or `continue` (rollbacks). */
  failureAction: string;
  /** `stop-first` or `start-first`. */
  order: string;
}

export interface TaskInfo {
  id: string;
  serviceName: string;
  nodeId: string;
  /** Observed state: `running`, `pending`, `preparing`, `starting`, `failed`, `shutdown`, ... */
  state: string;
  desiredState: string;
  image: string;
  /** Why a task is not running, as swarm reports it ("no suitable node", an exit code, ...). */
  message: string;
  error?: string;
  containerId?: string;
  /** The image digest swarm pinned for the task (`sha256:...`), when it could resolve one. */
  imageDigest?: string;
}

export interface NetworkInfo {
  id: string;
  name: string;
  driver: string;
  scope: string;
  createdAt: string;
}

export interface NodeInfo {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  /** `ready`, `down`, ... */
  state: string;
}

export interface ImageInfo {
  /** `sha256:...`: tags that share it are one image. */
  id: string;
  /** `name:tag` references (none for a dangling image). */
  tags: string[];
  /** Seconds since the epoch. */
  created: number;
  /** `repository@sha256:...` of each registry the image was pushed to or pulled from. */
  repoDigests?: string[];
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: string;
}

/** One Docker event, reduced to what the workshop reacts to. */
export interface DockerEvent {
  type: string;
  action: string;
  actor: string;
  time: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface DockerClient {
  info(): Promise<EngineInfo>;
  services(): Promise<ServiceInfo[]>;
  /** Tasks of one service (by name), all states. */
  tasks(service: string): Promise<TaskInfo[]>;
  networks(): Promise<NetworkInfo[]>;
  /** Containers with these labels; running ones only unless `all` (stopped, exited, being removed too). */
  containers(filter: { label?: string[]; all?: boolean }): Promise<ContainerInfo[]>;
  /** The swarm's nodes (a manager answers; a worker cannot). */
  nodes(): Promise<NodeInfo[]>;
  /** The images of this engine, with their tags. */
  images(): Promise<ImageInfo[]>;
  /** Whether an image (name[:tag]) exists in this engine. */
  imageExists(reference: string): Promise<boolean>;
  /** Run a command (argument array) in a running container and collect its output. */
  exec(containerId: string, args: string[], signal?: AbortSignal): Promise<ExecResult>;
  /** Read one file from a container's file system. */
  readFile(containerId: string, path: string): Promise<string>;
  /** A file as an image holds it: read from a container created from the image and never started. */
  readImageFile(image: string, path: string): Promise<string>;
  /**
   * Docker events from now on (or from `sinceMs`, ms since the epoch, when given: the engine replays what
   * happened since), until `signal` aborts.
   */
  events(signal: AbortSignal, sinceMs?: number): AsyncIterable<DockerEvent>;
  removeService(id: string): Promise<void>;
  removeNetwork(id: string): Promise<void>;
  removeImage(reference: string): Promise<void>;
  /**
   * Run a shell script in a throwaway container (host network namespace, the engine's /lib/modules read
   * only) and return its exit code: a look at the engine's own kernel, wherever the engine runs.
   */
  probeEngine(image: string, script: string): Promise<number>;
  /**
   * Run a command in a throwaway container on the engine's host network and return its output: for
   * HTTP to a port published on the engine's own machine (a lab node, a remote manager).
   */
  runOnEngine(image: string, args: string[], timeoutMs: number): Promise<ExecResult>;
}
