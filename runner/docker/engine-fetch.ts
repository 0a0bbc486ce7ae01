/**
 * HTTP as seen from the engine's own machine. The checks ask `http://127.0.0.1:5000/...` and
 * `http://127.0.0.1:8000/...`, the addresses the lessons' `curl` uses on the manager. When the runner is
 * not on that machine (a lab node reached through its context, a remote manager), 127.0.0.1 here is the
 * wrong place: the request is made there instead, from a throwaway container on the manager's host
 * network (the base image's bash, no curl needed), and its answer parsed back into a Response.
 */
import type { DockerClient } from './client.js';

/** The image the probe runs in: a base image every prepared engine and every lab node has. */
export const PROBE_IMAGE = 'debian:bookworm-slim';

/**
 * One GET with HTTP/1.0 over bash's /dev/tcp, the raw answer on stdout. Host, port and path come as
 * arguments, then any request headers, one `Name: value` per argument.
 */
export const HTTP_SCRIPT = [
  'exec 3<>"/dev/tcp/$1/$2" || exit 7',
  'host=$1 port=$2 path=$3; shift 3',
  '{ printf "GET %s HTTP/1.0\\r\\nHost: %s:%s\\r\\nConnection: close\\r\\n" "$path" "$host" "$port"; for h in "$@"; do printf "%s\\r\\n" "$h"; done; printf "\\r\\n"; } >&3',
  'cat <&3',
].join('\n');

/** Split a raw HTTP/1.x answer into status and body. */
export function parseHttpAnswer(raw: string): { status: number; statusText: string; headers: [string, string][]; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end >= 0 ? raw.slice(0, end) : raw;
  const status = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?/.exec(head.split('\r\n')[0] ?? '');
  if (!status) throw new Error(`not an HTTP answer: ${raw.slice(0, 80)}`);
  const headers = head.split('\r\n').slice(1).flatMap((line): [string, string][] => {
    const colon = line.indexOf(':');
    return colon > 0 ? [[line.slice(0, colon).trim(), line.slice(colon + 1).trim()]] : [];
  });
  return { status: Number(status[1]), statusText: status[2] ?? '', headers, body: end >= 0 ? raw.slice(end + 4) : '' };
}

/** A fetch for the checks' GET requests, made from the engine's machine. */
export function engineFetch(docker: DockerClient, timeoutMs = 10_000): typeof globalThis.fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if ((init?.method ?? 'GET') !== 'GET' || url.protocol !== 'http:') throw new Error(`engineFetch does GET over http only, not ${init?.method ?? 'GET'} ${url.protocol}`);
    init?.signal?.throwIfAborted();
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port || '80';
    const headers = [...new Headers(init?.headers).entries()].map(([name, value]) => `${name}: ${value}`);
    const result = await docker.runOnEngine(PROBE_IMAGE, ['bash', '-c', HTTP_SCRIPT, 'probe', host, port, `${url.pathname}${url.search}`, ...headers], timeoutMs);
    init?.signal?.throwIfAborted();
    if (result.exitCode === 124) throw new Error(`no answer from ${url.host} on the engine's machine within ${timeoutMs / 1000} s`);
    if (result.exitCode !== 0 && !result.stdout) {
      // As fetch says it: the connection failed (nothing listens there, seen from the manager).
      throw new TypeError(`fetch failed: cannot connect to ${url.host} on the engine's machine${result.stderr ? ` (${result.stderr.trim().split('\n').pop()})` : ''}`);
    }
    const answer = parseHttpAnswer(result.stdout);
    const noBody = [101, 204, 205, 304].includes(answer.status);
    return new Response(noBody ? null : answer.body, { status: answer.status, statusText: answer.statusText, headers: answer.headers });
  }) as typeof globalThis.fetch;
}
