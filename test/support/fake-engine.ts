import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A stand-in Docker engine on a unix socket, for the error paths a real engine cannot easily be put in
 * (swarm inactive, a worker node) and for tests that must not touch the cluster. It answers only the
 * routes it was given (the API version prefix is ignored); anything else gets a 500 naming the route,
 * so a test fails loudly instead of reading defaults.
 */
export async function fakeEngine(routes: Record<string, unknown | Handler>): Promise<{ host: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-fake-engine-'));
  const socket = join(dir, 'docker.sock');
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').replace(/^\/v[0-9.]+/, '').split('?')[0]!;
    const key = `${req.method} ${path}`;
    const route = routes[key];
    if (route === undefined) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `fake engine: no route for ${key}` }));
      return;
    }
    if (typeof route === 'function') {
      open.add(res);
      res.on('close', () => open.delete(res));
      return (route as Handler)(req, res);
    }
    res.writeHead(200, { 'content-type': 'application/json', 'api-version': '1.41' });
    res.end(JSON.stringify(route));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    host: `unix://${socket}`,
    close: async () => {
      for (const res of open) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An event stream that stays open and sends nothing, like a quiet engine. */
export const quietEvents: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.flushHeaders();
};

/** `GET /info` of a node in the given swarm state; `nodes` is how many the swarm has when active (1 by default). */
export const infoFor = (swarm: { LocalNodeState: string; ControlAvailable: boolean }, nodes = 1) => ({
  Name: 'fake-node',
  ServerVersion: '20.10.24',
  Swarm: { ...swarm, NodeID: swarm.LocalNodeState === 'active' ? 'node1' : '', Nodes: swarm.LocalNodeState === 'active' ? nodes : 0 },
});

/** Routes of a one-node swarm manager with nothing on it. */
export const emptyManager = () => ({
  'GET /_ping': 'OK',
  'GET /info': infoFor({ LocalNodeState: 'active', ControlAvailable: true }),
  'GET /services': [],
  'GET /networks': [],
  'GET /tasks': [],
  'GET /containers/json': [],
  'GET /events': quietEvents,
});
