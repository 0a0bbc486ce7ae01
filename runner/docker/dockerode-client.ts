import Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { modemOptions, resolveEngine, type EngineEndpoint } from './endpoint.js';
import type { ImageInfo, NodeInfo, UpdateSettings, ContainerInfo, DockerClient, DockerEvent, EngineInfo, ExecResult, NetworkInfo, ServiceInfo, TaskInfo } from './client.js';

/**
 * The content of the first regular file of a tar archive (what the engine's archive API returns for one
 * file): a 512-byte header whose size field is octal at offset 124, then the content.
 */
export function firstFileOfTar(tar: Buffer): Buffer {
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    const start = offset + 512;
    if (type === '0' || type === '\0') return tar.subarray(start, start + size);
    offset = start + Math.ceil(size / 512) * 512;
  }
  throw new Error('the archive holds no regular file');
}

/** A non-TTY container's log stream: frames of [stream, 0, 0, 0, size (4 bytes, big endian)] then the bytes. */
export function demux(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    const frame = buffer.subarray(offset + 8, offset + 8 + size);
    (buffer[offset] === 2 ? err : out).push(frame);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

const stripDigest = (image: string) => image.replace(/@sha256:[0-9a-f]+$/, '');

/** A service as the Engine API returns it (GET /services), reduced to ServiceInfo. */
export function mapService(s: any, networkNames: Map<string, string>): ServiceInfo {
  const spec = s.Spec ?? {};
  const replicated = spec.Mode?.Replicated;
  const attached: { Target: string }[] = spec.TaskTemplate?.Networks ?? spec.Networks ?? [];
  return {
    id: s.ID,
    name: spec.Name,
    createdAt: s.CreatedAt,
    mode: replicated ? { kind: 'replicated', replicas: replicated.Replicas ?? 0 } : { kind: 'global' },
    image: stripDigest(spec.TaskTemplate?.ContainerSpec?.Image ?? ''),
    previousImage: s.PreviousSpec ? stripDigest(s.PreviousSpec.TaskTemplate?.ContainerSpec?.Image ?? '') : undefined,
    endpointMode: spec.EndpointSpec?.Mode === 'dnsrr' ? 'dnsrr' : 'vip',
    virtualIps: (s.Endpoint?.VirtualIPs ?? []).length,
    ports: (s.Endpoint?.Ports ?? spec.EndpointSpec?.Ports ?? []).map((p: any) => ({
      published: p.PublishedPort,
      target: p.TargetPort,
      mode: p.PublishMode === 'host' ? 'host' : 'ingress',
    })),
    networks: attached.map((n) => networkNames.get(n.Target) ?? n.Target),
    labels: spec.Labels ?? {},
    updateState: s.UpdateStatus?.State,
    updateMessage: s.UpdateStatus?.Message,
    updateConfig: mapUpdateSettings(spec.UpdateConfig),
    rollbackConfig: mapUpdateSettings(spec.RollbackConfig),
    previousUpdateConfig: s.PreviousSpec ? mapUpdateSettings(s.PreviousSpec.UpdateConfig) : undefined,
  };
}

/** UpdateConfig or RollbackConfig; swarm's defaults (one at a time, no delay, pause, stop-first) where unset. */
function mapUpdateSettings(c: any): UpdateSettings {
  return {
    parallelism: typeof c?.Parallelism === 'number' ? c.Parallelism : 1,
    delaySeconds: typeof c?.Delay === 'number' ? c.Delay / 1e9 : 0,
    failureAction: c?.FailureAction || 'pause',
    order: c?.Order || 'stop-first',
  };
}

/** Tasks as the Engine API returns them (GET /tasks), reduced to TaskInfo. */
export function mapTasks(tasks: any[], service: string): TaskInfo[] {
  return tasks
    .filter((t) => t.ServiceID && t.Spec)
    .map((t): TaskInfo => ({
      id: t.ID,
      serviceName: service,
      nodeId: t.NodeID ?? '',
      state: t.Status?.State ?? 'unknown',
      desiredState: t.DesiredState ?? 'unknown',
      image: stripDigest(t.Spec?.ContainerSpec?.Image ?? ''),
      message: t.Status?.Message ?? '',
      error: t.Status?.Err,
      containerId: t.Status?.ContainerStatus?.ContainerID,
      imageDigest: /@(sha256:[0-9a-f]+)$/.exec(t.Spec?.ContainerSpec?.Image ?? '')?.[1],
    }));
}

/**
 * Events that `events()` leaves out: a `docker exec` into a container (`exec_create`, `exec_start`,
 * `exec_die`, `exec_detach`; the engine appends the command to the first two, as in
 * `exec_start: stat -c %s /tmp/random`). The checks make these themselves (file-in-service, dns-resolves
 * and ab run inside containers), so a listener that re-checks on every event would wake itself up for ever:
 * watch mode did, hammering the engine. No check waits for them either: an exec changes no swarm state,
 * and the one check that reads what an exec wrote (file-in-service) polls instead of waiting for events.
 */
export function isOwnNoise(event: Pick<DockerEvent, 'type' | 'action'>): boolean {
  return event.type === 'container' && /^exec_(create|start|die|detach)(:|$)/.test(event.action);
}

/** DockerClient over the Engine API, through dockerode. */
export class DockerodeClient implements DockerClient {
  private readonly docker: Docker;

  readonly host: string;
  readonly endpoint: EngineEndpoint;
  /** The engine the docker CLI would use (endpoint.ts), or an address given outright (tests, bench). */
  constructor(endpoint: EngineEndpoint | string = resolveEngine()) {
    this.endpoint = typeof endpoint === 'string' ? { host: endpoint, source: 'DOCKER_HOST' } : endpoint;
    this.host = this.endpoint.host;
    this.docker = new Docker(modemOptions(this.endpoint));
  }

  async info(): Promise<EngineInfo> {
    const info = (await this.docker.info()) as {
      Name: string;
      ServerVersion: string;
      KernelVersion?: string;
      OperatingSystem?: string;
      Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string; Nodes?: number };
    };
    return {
      swarmState: info.Swarm?.LocalNodeState ?? 'inactive',
      isManager: info.Swarm?.ControlAvailable ?? false,
      nodeId: info.Swarm?.NodeID ?? '',
      hostname: info.Name,
      serverVersion: info.ServerVersion,
      nodes: info.Swarm?.Nodes ?? 0,
      kernelVersion: info.KernelVersion,
      operatingSystem: info.OperatingSystem,
    };
  }

  async services(): Promise<ServiceInfo[]> {
    const [services, networks] = await Promise.all([this.docker.listServices(), this.docker.listNetworks()]);
    const names = new Map(networks.map((n) => [n.Id, n.Name]));
    return services.map((s) => mapService(s, names));
  }

  async tasks(service: string): Promise<TaskInfo[]> {
    const tasks = await this.docker.listTasks({ filters: JSON.stringify({ service: [service] }) });
    return mapTasks(tasks, service);
  }

  async networks(): Promise<NetworkInfo[]> {
    const networks = await this.docker.listNetworks();
    return networks.map((n: any) => ({ id: n.Id, name: n.Name, driver: n.Driver, scope: n.Scope, createdAt: n.Created }));
  }

  async containers(filter: { label?: string[]; all?: boolean }): Promise<ContainerInfo[]> {
    const list = await this.docker.listContainers({ all: !!filter.all, filters: JSON.stringify(filter.label ? { label: filter.label } : {}) });
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      image: c.Image,
      labels: c.Labels ?? {},
      state: c.State,
    }));
  }

  async nodes(): Promise<NodeInfo[]> {
    const list = await this.docker.listNodes();
    return list.map((n: any) => ({ id: n.ID, hostname: n.Description?.Hostname ?? '', role: n.Spec?.Role === 'manager' ? 'manager' : 'worker', state: n.Status?.State ?? 'unknown' }));
  }

  async images(): Promise<ImageInfo[]> {
    const list = await this.docker.listImages();
    return list.map((i: any) => ({
      id: i.Id, tags: (i.RepoTags ?? []).filter((t: string) => t !== '<none>:<none>'), created: i.Created ?? 0,
      repoDigests: (i.RepoDigests ?? []).filter((d: string) => !d.startsWith('<none>')),
    }));
  }

  async imageExists(reference: string): Promise<boolean> {
    try {
      await this.docker.getImage(reference).inspect();
      return true;
    } catch (error: any) {
      if (error?.statusCode === 404) return false;
      throw error;
    }
  }

  async exec(containerId: string, args: string[], signal?: AbortSignal): Promise<ExecResult> {
    const exec = await this.docker.getContainer(containerId).exec({ Cmd: args, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
    out.on('data', (c: Buffer) => chunks.out.push(c));
    err.on('data', (c: Buffer) => chunks.err.push(c));
    this.docker.modem.demuxStream(stream, out, err);
    const onAbort = () => stream.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const inspected = await exec.inspect();
    return {
      exitCode: inspected.ExitCode ?? -1,
      stdout: Buffer.concat(chunks.out).toString('utf8'),
      stderr: Buffer.concat(chunks.err).toString('utf8'),
    };
  }

  async probeEngine(image: string, script: string): Promise<number> {
    const container = await this.docker.createContainer({
      Image: image,
      Cmd: ['sh', '-c', script],
      Labels: { 'org.swarm-workshop.probe': 'true' },
      HostConfig: { NetworkMode: 'host', Binds: ['/lib/modules:/lib/modules:ro'] },
    });
    try {
      await container.start();
      const result = (await container.wait()) as { StatusCode: number };
      return result.StatusCode;
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  async readFile(containerId: string, path: string): Promise<string> {
    const result = await this.exec(containerId, ['cat', path]);
    if (result.exitCode !== 0) throw new Error(`cannot read ${path} in container ${containerId.slice(0, 12)}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  async runOnEngine(image: string, args: string[], timeoutMs: number): Promise<ExecResult> {
    const container = await this.docker.createContainer({
      Image: image, Cmd: args, Labels: { 'io.swarm-workshop.probe': '1' },
      HostConfig: { NetworkMode: 'host', AutoRemove: false },
    });
    try {
      await container.start();
      const waited = await Promise.race([
        container.wait() as Promise<{ StatusCode: number }>,
        new Promise<undefined>((resolve) => void (setTimeout(resolve, timeoutMs) as unknown as NodeJS.Timeout).unref()),
      ]);
      if (!waited) await container.kill().catch(() => undefined);
      const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      const { stdout, stderr } = demux(logs);
      return { exitCode: waited ? waited.StatusCode : 124, stdout, stderr };
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  async readImageFile(image: string, path: string): Promise<string> {
    const container = await this.docker.createContainer({ Image: image, Cmd: ['true'], Labels: { 'io.swarm-workshop.probe': '1' } });
    try {
      const archive = (await container.getArchive({ path })) as NodeJS.ReadableStream;
      const chunks: Buffer[] = [];
      for await (const chunk of archive) chunks.push(Buffer.from(chunk as Buffer));
      return firstFileOfTar(Buffer.concat(chunks)).toString('utf8');
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  async *events(signal: AbortSignal, sinceMs?: number): AsyncIterable<DockerEvent> {
    // `since` is in whole seconds, rounded down: the engine replays up to a second more, which can only
    // wake a waiter once more than needed, never miss a change.
    const query = sinceMs === undefined ? {} : { since: Math.floor(sinceMs / 1000) };
    const stream = (await this.docker.getEvents(query)) as NodeJS.ReadableStream & { destroy(): void };
    // The caller may have stopped listening while the request was on its way.
    if (signal.aborted) {
      stream.destroy();
      return;
    }
    const onAbort = () => stream.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    let buffer = '';
    try {
      for await (const chunk of stream) {
        buffer += chunk.toString();
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (!line) continue;
          const e = JSON.parse(line) as { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: { name?: string } }; time?: number };
          const event = { type: e.Type ?? '', action: e.Action ?? '', actor: e.Actor?.Attributes?.name ?? e.Actor?.ID ?? '', time: e.time ?? 0 };
          if (!isOwnNoise(event)) yield event;
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
    }
  }

  async removeService(id: string): Promise<void> {
    await this.docker.getService(id).remove();
  }

  async removeNetwork(id: string): Promise<void> {
    await this.docker.getNetwork(id).remove();
  }

  async removeImage(reference: string): Promise<void> {
    await this.docker.getImage(reference).remove({ noprune: false });
  }
}
