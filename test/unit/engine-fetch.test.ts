import { describe, expect, it } from 'vitest';
import type { DockerClient } from '../../runner/docker/client.js';
import { execa } from 'execa';
import { createServer } from 'node:http';
import { engineFetch, HTTP_SCRIPT, parseHttpAnswer, PROBE_IMAGE } from '../../runner/docker/engine-fetch.js';
import { enginePortIsFree } from '../../runner/docker/probe.js';
import { fakeDocker } from '../support/fake-docker.js';

describe('HTTP from the engine\'s machine', () => {
  it('parses a raw HTTP/1.0 answer', () => {
    expect(parseHttpAnswer('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"coins":1}')).toEqual({ status: 200, statusText: 'OK', headers: [['Content-Type', 'application/json']], body: '{"coins":1}' });
    expect(() => parseHttpAnswer('garbage')).toThrow('not an HTTP answer');
  });

  it('runs the GET in a throwaway container there, with host, port and path as arguments, and answers as fetch does', async () => {
    const calls: string[][] = [];
    const docker = fakeDocker({
      runOnEngine: async (image: string, args: string[]) => {
        calls.push([image, ...args.slice(3)]);
        return args[5] === '8000'
          ? { exitCode: 0, stdout: 'HTTP/1.1 404 Not Found\r\n\r\nno such page\n', stderr: '' }
          : { exitCode: 1, stdout: '', stderr: 'bash: connect: Connection refused' };
      },
    } as Partial<DockerClient>);
    const f = engineFetch(docker);
    const r = await f('http://127.0.0.1:8000/json?x=1');
    expect({ status: r.status, body: await r.text() }).toEqual({ status: 404, body: 'no such page\n' });
    expect(calls[0]).toEqual([PROBE_IMAGE, 'probe', '127.0.0.1', '8000', '/json?x=1']);
    await expect(f('http://127.0.0.1:5000/v2/_catalog')).rejects.toThrow("fetch failed: cannot connect to 127.0.0.1:5000 on the engine's machine (bash: connect: Connection refused)");
    await expect(f('http://127.0.0.1:5000/', { method: 'POST' })).rejects.toThrow('GET over http only');
  });

  it('tells a taken port from a free one by connecting there', async () => {
    const docker = fakeDocker({ runOnEngine: async (_i: string, args: string[]) => ({ exitCode: args[4] === '5000' ? 0 : 1, stdout: '', stderr: '' }) } as Partial<DockerClient>);
    const free = enginePortIsFree(docker);
    expect(await free(5000)).toBe(false);
    expect(await free(8000)).toBe(true);
  });
});

describe('the probe\'s HTTP script, run here with bash against a real server', () => {
  it('sends the path and the headers, and its raw answer reads back as a Response', async () => {
    const seen: { url?: string; accept?: string } = {};
    const server = createServer((req, res) => {
      Object.assign(seen, { url: req.url, accept: req.headers.accept });
      res.writeHead(200, { 'Docker-Content-Digest': 'sha256:abc', 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      // As runOnEngine runs it: bash -c SCRIPT probe HOST PORT PATH HEADER...
      const docker = fakeDocker({
        runOnEngine: async (_image: string, args: string[]) => {
          const r = await execa(args[0]!, args.slice(1), { reject: false });
          return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
        },
      } as Partial<DockerClient>);
      const r = await engineFetch(docker)(`http://127.0.0.1:${port}/v2/x/manifests/v0.1?n=1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
      expect({ status: r.status, digest: r.headers.get('docker-content-digest'), body: await r.json() }).toEqual({ status: 200, digest: 'sha256:abc', body: { ok: true } });
      expect(seen).toEqual({ url: '/v2/x/manifests/v0.1?n=1', accept: 'application/vnd.docker.distribution.manifest.v2+json' });
      expect(HTTP_SCRIPT).toContain('/dev/tcp/');
    } finally {
      server.close();
    }
  });
});
