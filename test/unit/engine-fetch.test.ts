import { describe, expect, it } from 'vitest';
import type { DockerClient } from '../../runner/docker/client.js';
import { engineFetch, parseHttpAnswer, PROBE_IMAGE } from '../../runner/docker/engine-fetch.js';
import { enginePortIsFree } from '../../runner/docker/probe.js';
import { fakeDocker } from '../support/fake-docker.js';

describe('HTTP from the engine\'s machine', () => {
  it('parses a raw HTTP/1.0 answer', () => {
    expect(parseHttpAnswer('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"coins":1}')).toEqual({ status: 200, statusText: 'OK', body: '{"coins":1}' });
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
