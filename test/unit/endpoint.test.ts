import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { commandEnv, dialStdioAgent, isLocalEngine, modemOptions, resolveEngine, sshArgs } from '../../runner/docker/endpoint.js';
import { AbortError } from '../../runner/errors.js';

/** A docker config folder with contexts, as `docker context create` writes it. */
function dockerConfig(current?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-endpoint-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(current ? { currentContext: current } : {}));
  const context = (name: string, host: string, tls?: { ca: string; cert: string; key: string }, skip = false) => {
    const id = createHash('sha256').update(name).digest('hex');
    mkdirSync(join(dir, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(join(dir, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: host, SkipTLSVerify: skip } } }));
    if (tls) {
      mkdirSync(join(dir, 'contexts', 'tls', id, 'docker'), { recursive: true });
      for (const [file, pem] of Object.entries(tls)) writeFileSync(join(dir, 'contexts', 'tls', id, 'docker', `${file}.pem`), pem);
    }
  };
  return { dir, context };
}

const pems = { ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM' };

describe('resolveEngine: the engine the docker CLI would use', () => {
  it('DOCKER_HOST first, plain unless DOCKER_TLS_VERIFY or DOCKER_TLS; certificates from DOCKER_CERT_PATH', () => {
    const { dir, context } = dockerConfig('lab');
    context('lab', 'tcp://10.0.0.1:2376', pems);
    expect(resolveEngine({ DOCKER_HOST: 'tcp://h:2375', DOCKER_CONFIG: dir })).toEqual({ host: 'tcp://h:2375', source: 'DOCKER_HOST' });
    const certs = mkdtempSync(join(tmpdir(), 'sw-certs-'));
    for (const [file, pem] of Object.entries(pems)) writeFileSync(join(certs, `${file}.pem`), pem);
    expect(resolveEngine({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs })).toEqual({
      host: 'tcp://h:2376', source: 'DOCKER_HOST', tls: { ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM', verify: true },
    });
    expect(resolveEngine({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1', DOCKER_CERT_PATH: certs }).tls?.verify).toBe(false);
    expect(() => resolveEngine({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir })).toThrow(/DOCKER_TLS_VERIFY is set but there is no ca.pem/);
  });

  it('else DOCKER_CONTEXT, else the current context, with its TLS files; default is the local socket', () => {
    const { dir, context } = dockerConfig('lab');
    context('lab', 'tcp://127.0.0.1:23760', pems);
    context('remote', 'ssh://me@far');
    expect(resolveEngine({ DOCKER_CONFIG: dir })).toEqual({ host: 'tcp://127.0.0.1:23760', source: 'context', context: 'lab', tls: { ...pems, verify: true } });
    expect(resolveEngine({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'remote' })).toEqual({ host: 'ssh://me@far', source: 'context', context: 'remote' });
    expect(resolveEngine({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'default' })).toEqual({ host: 'unix:///var/run/docker.sock', source: 'default' });
    expect(resolveEngine({ DOCKER_CONFIG: dockerConfig().dir })).toEqual({ host: 'unix:///var/run/docker.sock', source: 'default' });
  });

  it('a context that does not exist is an error, as for the CLI, not a quiet fall back to the local engine', () => {
    const { dir } = dockerConfig('gone');
    expect(() => resolveEngine({ DOCKER_CONFIG: dir })).toThrow(AbortError);
    expect(() => resolveEngine({ DOCKER_CONFIG: dir })).toThrow('the docker context "gone" does not exist');
  });

  it('commands get the context by name; DOCKER_HOST and the default pass through unchanged', () => {
    expect(commandEnv({ host: 'tcp://x:2376', source: 'context', context: 'lab' }, { PATH: '/bin' })).toEqual({ PATH: '/bin', DOCKER_CONTEXT: 'lab' });
    expect(commandEnv({ host: 'tcp://x:2375', source: 'DOCKER_HOST' }, { DOCKER_HOST: 'tcp://x:2375' })).toEqual({ DOCKER_HOST: 'tcp://x:2375' });
  });
});

describe('modemOptions', () => {
  it('tcp with TLS is https with the certificates; without verification, an agent that takes any server certificate', () => {
    expect(modemOptions({ host: 'tcp://127.0.0.1:23760', source: 'context', context: 'lab', tls: { ...pems, verify: true } })).toEqual({
      protocol: 'https', host: '127.0.0.1', port: 23760, ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM',
    });
    const skip = modemOptions({ host: 'tcp://h:2376', source: 'DOCKER_HOST', tls: { verify: false } }) as { protocol: string; agent?: { options: { rejectUnauthorized: boolean } } };
    expect(skip.protocol).toBe('https');
    expect(skip.agent?.options.rejectUnauthorized).toBe(false);
  });

  it('plain tcp is http on 2375; ssh is ssh; unix is a socket path', () => {
    expect(modemOptions('tcp://h')).toEqual({ protocol: 'http', host: 'h', port: 2375 });
    expect(modemOptions('ssh://me@far:2222')).toMatchObject({ protocol: 'http', host: 'far', port: 2222 });
    expect(modemOptions('unix:///run/d.sock')).toEqual({ socketPath: '/run/d.sock' });
  });

  it('an address docker could not use either says whose it is and what to do', () => {
    expect(() => modemOptions('udp://h:2375')).toThrow('DOCKER_HOST=udp://h:2375 is not an address docker can use (it must start with unix://, tcp:// or ssh://)');
    // Without a scheme the CLI takes TCP, and so do we.
    expect(modemOptions('h:2375')).toEqual({ protocol: 'http', host: 'h', port: 2375 });
    expect(() => modemOptions({ host: 'tcp://', source: 'context', context: 'odd' })).toThrow("the docker context odd's address tcp:// is not an address docker can use");
  });

  it('only a socket counts as this machine: a TCP engine, even on 127.0.0.1, may be a lab node with ports of its own', () => {
    expect(isLocalEngine({ host: 'unix:///var/run/docker.sock', source: 'default' })).toBe(true);
    expect(isLocalEngine({ host: 'tcp://127.0.0.1:23760', source: 'context', context: 'swarm-workshop-lab' })).toBe(false);
  });
});

describe('ssh:// as the docker CLI does it', () => {
  it('runs the system ssh with docker system dial-stdio on the far side', () => {
    expect(sshArgs(new URL('ssh://me@far:2222'))).toEqual(['-o', 'ConnectTimeout=30', '-T', '-l', 'me', '-p', '2222', '--', 'far', 'docker', 'system', 'dial-stdio']);
    expect(sshArgs(new URL('ssh://far'))).toEqual(['-o', 'ConnectTimeout=30', '-T', '--', 'far', 'docker', 'system', 'dial-stdio']);
  });

  it('speaks HTTP over the process\'s standard input and output', async () => {
    // A stand-in for `ssh ... dial-stdio`: reads the request, answers as an engine would.
    const engine = `process.stdin.once('data', (d) => { const path = String(d).split(' ')[1];
      process.stdout.write('HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: ' + (3 + path.length) + '\\r\\nConnection: close\\r\\n\\r\\nOK ' + path); });`;
    const agent = dialStdioAgent(new URL('ssh://far'), { file: process.execPath, args: ['-e', engine] });
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: 'far', path: '/_ping', agent }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(`${res.statusCode} ${text}`));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('200 OK /_ping');
  });

  it('keeps the ssh process for the next request, as the CLI does (one ssh per request took 0.4 s each)', async () => {
    // A stand-in engine that keeps the connection open and answers each request with its process id.
    const engine = `let buf = ''; process.stdin.on('data', (d) => { buf += d; let i;
      while ((i = buf.indexOf('\\r\\n\\r\\n')) >= 0) { buf = buf.slice(i + 4); const body = String(process.pid);
        process.stdout.write('HTTP/1.1 200 OK\\r\\nContent-Length: ' + body.length + '\\r\\n\\r\\n' + body); } });`;
    const agent = dialStdioAgent(new URL('ssh://far'), { file: process.execPath, args: ['-e', engine] });
    const get = () => new Promise<string>((resolve, reject) => {
      const req = request({ host: 'far', path: '/_ping', agent }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    const pids = [await get(), await get(), await get()];
    expect(pids[0]).toMatch(/^\d+$/);
    expect(new Set(pids).size).toBe(1);
    agent.destroy();
  });
});
