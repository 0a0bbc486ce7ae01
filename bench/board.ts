/**
 * What a board that cannot be reached costs a learner (`BENCH_ONLY=board npm run bench`): chapter 3 in auto
 * mode on the test engine, not joined, and joined to a board that is gone, in two ways: its port closed
 * (every send refused at once) and a board that takes connections and never answers (every send waits
 * for its time-out). The three kinds of run take turns, so that the machine's drift falls on each alike;
 * the table gives each kind's median wall time and its ratio to the runs not joined.
 *
 * Traffic goes to loopback only: the board is a real one, on 127.0.0.1, stopped after the join.
 */
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBoard } from '../runner/board/server.js';
import { packageRoot } from '../runner/paths.js';
import { emptyWorkshop, testDockerHost } from '../test/support/engine.js';
import { log, median, round } from './stats.js';

interface Row {
  name: string;
  unit: string;
  measured: number;
  runs?: number[];
  note?: string;
}

type Kind = 'not joined' | 'joined, board port closed' | 'joined, board never answers';
const KINDS: Kind[] = ['not joined', 'joined, board port closed', 'joined, board never answers'];
const cli = join(packageRoot, 'dist', 'bin', 'cli.js');
/** A home joined to a real board on loopback, which is then stopped; its port is returned for a silent stand-in. */
async function joinedHome(env: NodeJS.ProcessEnv): Promise<{ home: string; port: number }> {
  const home = mkdtempSync(join(tmpdir(), 'sw-bench-board-'));
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-board-log-'));
  const board = await startBoard({ host: '127.0.0.1', port: 0, dir, className: 'bench', stuckAfterMs: 60_000 });
  try {
    const r = await execa('node', [cli, 'join', board.url, board.code, '--name', 'bench'], { env: { ...env, SWARM_WORKSHOP_HOME: home }, extendEnv: false, reject: false });
    if (r.exitCode !== 0) throw new Error(`join failed: ${r.stderr}`);
    return { home, port: board.port };
  } finally {
    await board.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A server on `port` that takes every connection and never answers. */
async function silentOn(port: number): Promise<() => Promise<void>> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => void sockets.add(s));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
}

async function chapter3(env: NodeJS.ProcessEnv, home: string): Promise<number> {
  await emptyWorkshop();
  const started = Date.now();
  const r = await execa('node', [cli, 'run', 'ch3', '--yes', '--json'], { env: { ...env, SWARM_WORKSHOP_HOME: home }, extendEnv: false, reject: false, timeout: 30 * 60_000 });
  if (r.exitCode !== 0) throw new Error(`run ch3 failed:\n${r.stdout.slice(-2000)}\n${r.stderr}`);
  return (Date.now() - started) / 1000;
}

export async function boardRows(repeats = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3) || 1)): Promise<Row[]> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: testDockerHost() };
  const seconds = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
  for (let round_ = 0; round_ < repeats; round_++) {
    // Each round in another order: not joined first, then second, then last.
    const order = KINDS.map((_, i) => KINDS[(i + round_) % KINDS.length]!);
    for (const kind of order) {
      log(`chapter 3, ${kind} (round ${round_ + 1} of ${repeats})`);
      let home: string | undefined;
      let stop = async () => {};
      try {
        if (kind === 'not joined') home = mkdtempSync(join(tmpdir(), 'sw-bench-board-'));
        else {
          const joined = await joinedHome(env);
          home = joined.home;
          if (kind === 'joined, board never answers') stop = await silentOn(joined.port);
        }
        seconds.get(kind)!.push(await chapter3(env, home));
      } finally {
        await stop();
        if (home) rmSync(home, { recursive: true, force: true });
      }
    }
  }
  await emptyWorkshop();
  const base = median(seconds.get('not joined')!);
  return KINDS.flatMap((kind): Row[] => {
    const runs = seconds.get(kind)!;
    const rows: Row[] = [{ name: `chapter 3 auto, ${kind}`, unit: 's', measured: round(median(runs), 0), runs: runs.map((s) => round(s, 0)) }];
    if (kind !== 'not joined') rows.push({ name: `  ${kind} / not joined (medians)`, unit: 'x', measured: round(median(runs) / base, 3), note: `spread of the runs not joined: ${round(Math.min(...seconds.get('not joined')!), 0)}-${round(Math.max(...seconds.get('not joined')!), 0)} s` });
    return rows;
  });
}
