/**
 * The Docker engine the `docker` CLI would talk to, resolved the way the CLI does it, so that our API
 * calls and the commands we run reach one engine:
 *
 *   DOCKER_HOST set       → that address; TLS when DOCKER_TLS_VERIFY or DOCKER_TLS is set, with ca.pem,
 *                           cert.pem and key.pem from DOCKER_CERT_PATH (else the docker config folder);
 *   else DOCKER_CONTEXT, else the config's currentContext (unless "default")
 *                         → that context's docker endpoint (Host, SkipTLSVerify) and its TLS files;
 *                           a context that does not exist is an error, as for the CLI;
 *   else                  → the local socket.
 */
import Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { Agent as HttpAgent } from 'node:http';
import { Agent } from 'node:https';
import { Duplex } from 'node:stream';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';

export interface EngineEndpoint {
  /** unix:///..., tcp://HOST:PORT, ssh://USER@HOST, npipe://... */
  host: string;
  /** Where the address came from. */
  source: 'DOCKER_HOST' | 'context' | 'default';
  /** The context's name, when the address came from one. */
  context?: string;
  /** TLS for tcp://: the PEM files read, and whether the server's certificate is verified. */
  tls?: { ca?: string; cert?: string; key?: string; verify: boolean };
}

export const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';

const configDir = (env: NodeJS.ProcessEnv, home: string) => env.DOCKER_CONFIG ?? join(home, '.docker');
const readIf = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

/** The context the CLI would use, when DOCKER_HOST does not decide: DOCKER_CONTEXT, else the config's current one. */
export function contextName(env: NodeJS.ProcessEnv = process.env, home = homedir()): string | undefined {
  if (env.DOCKER_HOST) return undefined;
  if (env.DOCKER_CONTEXT) return env.DOCKER_CONTEXT;
  try {
    return (JSON.parse(readFileSync(join(configDir(env, home), 'config.json'), 'utf8')) as { currentContext?: string }).currentContext || undefined;
  } catch {
    return undefined;
  }
}

export function resolveEngine(env: NodeJS.ProcessEnv = process.env, home = homedir()): EngineEndpoint {
  if (env.DOCKER_HOST) {
    const tlsOn = !!env.DOCKER_TLS_VERIFY || !!env.DOCKER_TLS;
    if (!tlsOn) return { host: env.DOCKER_HOST, source: 'DOCKER_HOST' };
    const dir = env.DOCKER_CERT_PATH || configDir(env, home);
    const tls = { ca: readIf(join(dir, 'ca.pem')), cert: readIf(join(dir, 'cert.pem')), key: readIf(join(dir, 'key.pem')), verify: !!env.DOCKER_TLS_VERIFY };
    if (tls.verify && !tls.ca) {
      throw new AbortError(say('errors.endpoint.tlsNoCa', { dir }), [say('errors.endpoint.tlsNoCaNext')]);
    }
    return { host: env.DOCKER_HOST, source: 'DOCKER_HOST', tls };
  }
  const name = contextName(env, home);
  if (!name || name === 'default') return { host: DEFAULT_SOCKET, source: 'default' };
  const id = createHash('sha256').update(name).digest('hex');
  const dir = configDir(env, home);
  let meta: { Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } };
  try {
    meta = JSON.parse(readFileSync(join(dir, 'contexts', 'meta', id, 'meta.json'), 'utf8'));
  } catch {
    const why = env.DOCKER_CONTEXT ? say('errors.endpoint.namedByEnv') : say('errors.endpoint.currentIn', { file: join(dir, 'config.json') });
    throw new AbortError(say('errors.endpoint.noContext', { name, why }), [say('errors.endpoint.contextsNext')]);
  }
  const endpoint = meta.Endpoints?.docker;
  if (!endpoint?.Host) throw new AbortError(say('errors.endpoint.noDockerEndpoint', { name }), [say('errors.endpoint.inspectNext', { name })]);
  const tlsDir = join(dir, 'contexts', 'tls', id, 'docker');
  const tls = { ca: readIf(join(tlsDir, 'ca.pem')), cert: readIf(join(tlsDir, 'cert.pem')), key: readIf(join(tlsDir, 'key.pem')), verify: !endpoint.SkipTLSVerify };
  const hasTls = !!(tls.ca || tls.cert || tls.key) || !!endpoint.SkipTLSVerify;
  return { host: endpoint.Host, source: 'context', context: name, ...(hasTls ? { tls } : {}) };
}

/** How to say where the engine is, in one phrase. */
export function describeEndpoint(e: EngineEndpoint): string {
  const via = e.source === 'context' ? say('errors.endpoint.viaContext', { name: e.context }) : e.source === 'DOCKER_HOST' ? say('errors.endpoint.viaHost') : '';
  return `${e.host}${e.tls ? say('errors.endpoint.tls') : ''}${via}`;
}

/**
 * The environment for the `docker` commands we run: the learner's, which already makes the CLI resolve
 * the same engine; with a context, named outright, so that a `docker context use` elsewhere mid-run
 * cannot send half the commands to another engine.
 */
export function commandEnv(e: EngineEndpoint, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (e.source === 'context') return { ...env, DOCKER_CONTEXT: e.context };
  return env;
}

/**
 * dockerode's connection options for an endpoint. An address docker could not use either is the
 * learner's to fix (a typo in DOCKER_HOST, a stale context), so it is said as such.
 */
export function modemOptions(e: EngineEndpoint | string): Docker.DockerOptions {
  const endpoint: EngineEndpoint = typeof e === 'string' ? { host: e, source: 'DOCKER_HOST' } : e;
  // As the CLI reads it: an address without a scheme is TCP (`node1:2376` is tcp://node1:2376).
  const host = endpoint.host.includes('://') ? endpoint.host : `tcp://${endpoint.host}`;
  const where = endpoint.source === 'context' ? say('errors.endpoint.contextAddress', { name: endpoint.context, host: endpoint.host }) : say('errors.endpoint.dockerHost', { host: endpoint.host });
  const invalid = (why: string) => new AbortError(say('errors.endpoint.invalid', { where, why }), [say('errors.endpoint.invalidNext'), say('errors.endpoint.checkDockerInfo')]);
  if (host.startsWith('unix://')) {
    if (host.length <= 'unix://'.length) throw invalid(say('errors.endpoint.noSocketPath'));
    return { socketPath: host.slice('unix://'.length) };
  }
  if (host.startsWith('npipe://')) return { socketPath: host.slice('npipe://'.length) };
  const scheme = /^([a-z]+):\/\//.exec(host)?.[1];
  if (!scheme || !['tcp', 'http', 'https', 'ssh'].includes(scheme)) throw invalid(say('errors.endpoint.badScheme'));
  let url: URL;
  try {
    url = new URL(host.replace(/^tcp:/, 'http:'));
  } catch {
    throw invalid(say('errors.endpoint.notValid'));
  }
  if (!url.hostname) throw invalid(say('errors.endpoint.noHostName'));
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (scheme === 'ssh') {
    // As the docker CLI does it: the system's ssh (its config, keys and agent), running `docker system
    // dial-stdio` on the remote machine, one connection per ssh process.
    return { protocol: 'http', host: hostname, port: Number(url.port || 22), agent: dialStdioAgent(url) } as Docker.DockerOptions;
  }
  const tls = endpoint.tls;
  if (tls || scheme === 'https') {
    const options: Docker.DockerOptions = { protocol: 'https', host: hostname, port: Number(url.port || 2376) };
    if (tls?.ca) options.ca = tls.ca;
    if (tls?.cert) options.cert = tls.cert;
    if (tls?.key) options.key = tls.key;
    // Without verification (DOCKER_TLS, SkipTLSVerify): encrypted, any server certificate taken, as the CLI does.
    if (tls && !tls.verify) (options as { agent?: Agent }).agent = new Agent({ rejectUnauthorized: false, cert: tls.cert, key: tls.key });
    return options;
  }
  return { protocol: 'http', host: hostname, port: Number(url.port || 2375) };
}

/** Whether the engine runs on this machine: its HTTP ports (5000, 8000 published on it) are this machine's loopback. */
export function isLocalEngine(e: EngineEndpoint): boolean {
  if (e.host.startsWith('unix://') || e.host.startsWith('npipe://')) return true;
  return false;
}

/** The command line the docker CLI runs for an ssh:// engine, as an argument array. */
export function sshArgs(url: URL): string[] {
  return [
    '-o', 'ConnectTimeout=30', '-T',
    ...(url.username ? ['-l', decodeURIComponent(url.username)] : []),
    ...(url.port ? ['-p', url.port] : []),
    '--', url.hostname.replace(/^\[(.*)\]$/, '$1'), 'docker', 'system', 'dial-stdio',
  ];
}

/**
 * An HTTP agent whose connections are `ssh HOST docker system dial-stdio` processes: the engine's API
 * over the ssh connection's standard input and output.
 */
export function dialStdioAgent(url: URL, command: { file: string; args: string[] } = { file: 'ssh', args: sshArgs(url) }): HttpAgent {
  // Kept alive, as the CLI's transport does: one ssh process serves request after request. A new ssh
  // connection per request (about 0.4 s each) made a check of chapter 3 take minutes.
  const agent = new HttpAgent({ keepAlive: true });
  (agent as unknown as { createConnection: () => Duplex }).createConnection = () => {
    const child = spawn(command.file, command.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const socket = Duplex.from({ readable: child.stdout, writable: child.stdin });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.on('error', (error) => socket.destroy(error));
    child.on('exit', (code) => {
      if (code) socket.destroy(new Error(`ssh to ${url.host} ended with ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
    });
    socket.on('close', () => child.kill());
    // What http asks of a net.Socket beyond a stream. An idle kept-alive connection is unref'ed by the
    // agent: then neither the ssh process nor its pipes keep this process running.
    const self = () => socket;
    const ref = (on: boolean) => () => {
      for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as Array<{ ref?: () => void; unref?: () => void }>) (on ? handle.ref : handle.unref)?.call(handle);
      return socket;
    };
    Object.assign(socket, { setTimeout: self, setNoDelay: self, setKeepAlive: self, ref: ref(true), unref: ref(false) });
    return socket;
  };
  return agent;
}
