/**
 * What the board's unit tests share: a workshop home of each test's own (SWARM_WORKSHOP_HOME, where a
 * join is saved), a board on a free loopback port, a server that takes connections and never answers,
 * and the clean-up of all of them after each test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { detachBoards } from '../../runner/board/attach.js';
import { startBoard, type Board } from '../../runner/board/server.js';
import { setLanguage } from '../../runner/i18n/language.js';

export type Cleanup = () => Promise<void> | void;

/** Registers the set-up and clean-up hooks; returns what the tests use. */
export function boardTestKit(homePrefix: string) {
  const cleanups: Cleanup[] = [];
  let home = '';
  const savedHome = process.env.SWARM_WORKSHOP_HOME;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), homePrefix));
    process.env.SWARM_WORKSHOP_HOME = home;
    const made = home;
    cleanups.push(() => rmSync(made, { recursive: true, force: true }));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await detachBoards(0);
    setLanguage({ lang: 'en', source: 'default' });
    if (savedHome === undefined) delete process.env.SWARM_WORKSHOP_HOME;
    else process.env.SWARM_WORKSHOP_HOME = savedHome;
  });

  /** A board of the test's own, on a free loopback port. */
  async function testBoard(stuckAfterMs = 60_000): Promise<Board> {
    const dir = mkdtempSync(join(tmpdir(), 'sw-board-'));
    const b = await startBoard({ host: '127.0.0.1', port: 0, dir, className: 'Morning class', stuckAfterMs });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(() => b.close());
    return b;
  }

  /** A server that takes connections and never answers: a board that hangs. */
  async function silentServer(): Promise<string> {
    const sockets = new Set<Socket>();
    const server: Server = createServer((s) => void sockets.add(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }));
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  return { cleanups, home: () => home, testBoard, silentServer };
}

/** Wait until `ok()` holds, polling every 10 ms, or fail naming `what`. */
export async function until(ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
