/**
 * What starting the workshop costs: the terminal UI's first frame, the engine line filling in, keys being
 * answered, its peak memory and idle CPU, and `swarm-workshop list`. Each figure is taken over several
 * runs (medians and 90th percentiles), because these machines are shared and noisy.
 *
 *   npm run build && node dist/bench/startup.js [--runs 10] [--cli dist/bin/cli.js]
 *
 * The UI runs in tmux (a private tmux server, 100x30) against the project's test engine, with
 * SWARM_WORKSHOP_HOME in a fresh temporary folder; nothing is created on the engine. bench.ts calls
 * `measureStartup` and adds the rows to its own table. The screen is read every 10 ms, and each read
 * starts a tmux client: on a 2-core machine that takes CPU from the UI (about 0.1 s on the first frame),
 * so compare figures taken this way with each other, not with timings taken inside the process.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../runner/paths.js';
import { testDockerHost } from '../test/support/engine.js';

const execFile = promisify(execFileCallback);

export interface StartupOptions {
  /** Runs per figure (default 10). */
  runs?: number;
  /** The CLI to start (default: this package's dist/bin/cli.js); another build can be compared. */
  cli?: string;
  /** The engine (default: the test engine, scripts/engine.sh). */
  dockerHost?: string;
  /** More environment for the UI and `list` (e.g. SWARM_WORKSHOP_IPVS=0 for a stand-in engine). */
  env?: Record<string, string>;
  /** How long the idle UI is watched for its CPU use (default 10 s), after `settleMs` (default 3 s). */
  idleMs?: number;
  settleMs?: number;
  /** Progress lines (default: to stderr). */
  log?: (text: string) => void;
}

/** One measured figure: its median and 90th percentile over the runs, and every run, for the record. */
export interface StartupRow {
  name: string;
  unit: string;
  median: number;
  p90: number;
  runs: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  if (q === 0.5) {
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  }
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!; // nearest rank
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

function row(name: string, unit: string, runs: number[], digits = 0): StartupRow {
  return { name, unit, median: round(quantile(runs, 0.5), digits), p90: round(quantile(runs, 0.9), digits), runs: runs.map((r) => round(r, digits)) };
}

/** The engine line while the session opens, in this version ("probing engine...") and the ones before it. */
const NOT_YET = new Set(['', 'probing engine...', 'connecting to Docker...']);

/**
 * A private tmux server per run, on a socket in a folder of its own, so that the bench never touches
 * anyone else's tmux sessions, a run never meets the previous run's server while it shuts down, and
 * nothing is left behind.
 */
function tmuxServer() {
  const dir = mkdtempSync(join(tmpdir(), 'sw-startup-tmux-'));
  const tmux = async (...args: string[]) => (await execFile('tmux', ['-S', join(dir, 'socket'), ...args])).stdout;
  return {
    tmux,
    screen: (session: string) => tmux('capture-pane', '-p', '-t', session),
    close: async () => {
      await tmux('kill-server').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The node process running in a pane: the pane's own process, or its child when a shell sits between. */
function nodePid(panePid: number): number {
  const comm = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  if (comm(panePid) === 'node') return panePid;
  for (const task of readdirSync(`/proc/${panePid}/task`)) {
    for (const child of readFileSync(`/proc/${panePid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      if (comm(Number(child)) === 'node') return Number(child);
    }
  }
  throw new Error(`no node process under pane process ${panePid}`);
}

/** CPU time a process has used so far (utime + stime), in clock ticks. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Peak resident memory of a process so far, in MB. */
function peakRssMb(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(hwm?.[1] ?? Number.NaN) / 1024;
}

/**
 * Poll the screen every 10 ms until every test has held once; for each, the time it first did, in ms
 * since `started`. One loop for all, so that each time is taken when it happens, whatever the order.
 */
async function watchScreen<K extends string>(screen: () => Promise<string>, tests: Record<K, (s: string) => boolean>, started: number, timeoutMs = 30_000): Promise<Record<K, number>> {
  const seen: Partial<Record<K, number>> = {};
  const names = Object.keys(tests) as K[];
  for (;;) {
    const now = await screen();
    const at = performance.now() - started;
    for (const name of names) if (seen[name] === undefined && tests[name](now)) seen[name] = at;
    if (names.every((n) => seen[n] !== undefined)) return seen as Record<K, number>;
    if (at > timeoutMs) throw new Error(`still waiting for ${names.filter((n) => seen[n] === undefined).join(', ')} after ${timeoutMs / 1000} s; the screen:\n${now}`);
    await sleep(10);
  }
}

interface UiRun {
  firstFrameMs: number;
  engineLineMs: number;
  keysMs: number;
  peakRssMb: number;
  idleCpuPercent: number;
}

async function uiRun(cli: string, env: Record<string, string>, index: number, o: Required<Pick<StartupOptions, 'idleMs' | 'settleMs'>>, clockTicks: number): Promise<UiRun> {
  const server = tmuxServer();
  const session = `ui-${index}`;
  const command = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'node', cli].join(' ');
  try {
    // The server first (a session that only waits), so that its own start-up is not counted as the UI's.
    await server.tmux('new-session', '-d', '-s', 'keep', 'sleep 600');
    const started = performance.now();
    await server.tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', command);
    const screen = () => server.screen(session);
    // (a) the chapter list is on screen: both chapters' lines.
    const { firstFrameMs } = await watchScreen(screen, { firstFrameMs: (s) => /^. ch3 {2}/m.test(s) && /^. ch4 {2}/m.test(s) }, started);
    // Keys: one "down" now; it counts once ink reads it (typed early, it waits in the terminal).
    await server.tmux('send-keys', '-t', session, 'j');
    const { engineLineMs, keysMs } = await watchScreen(screen, {
      // (b) the engine line filled in: the probe finished (well or not).
      engineLineMs: (s) => !NOT_YET.has((s.split('\n')[1] ?? '').trim()),
      keysMs: (s) => /^› ch4 {2}/m.test(s),
    }, started);
    const pid = nodePid(Number((await server.tmux('list-panes', '-t', session, '-F', '#{pane_pid}')).trim()));
    // (e) idle CPU, once start-up work (the probe, the first cluster snapshot) is over.
    await sleep(Math.max(0, o.settleMs - (performance.now() - started - engineLineMs)));
    const t0 = cpuTicks(pid);
    const w0 = performance.now();
    await sleep(o.idleMs);
    const idleCpuPercent = ((cpuTicks(pid) - t0) / clockTicks / ((performance.now() - w0) / 1000)) * 100;
    // (d) peak RSS since the start (VmHWM): covers start-up and the idle window.
    return { firstFrameMs, engineLineMs, keysMs, peakRssMb: peakRssMb(pid), idleCpuPercent };
  } finally {
    await server.close();
  }
}

/** `list`'s wall time and peak RSS: /usr/bin/time when there is one, else the process's own account. */
async function listRun(cli: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; rssMb: number }> {
  const started = performance.now();
  if (existsSync('/usr/bin/time')) {
    const { stderr } = await execFile('/usr/bin/time', ['-f', 'maxrss-kb %M', 'node', cli, 'list'], { env });
    const ms = performance.now() - started;
    return { ms, rssMb: Number(/maxrss-kb (\d+)/.exec(stderr)?.[1]) / 1024 };
  }
  const hook = 'data:text/javascript,process.on("exit",()=>process.stderr.write(`maxrss-kb ${process.resourceUsage().maxRSS}\\n`))';
  const { stderr } = await execFile('node', ['--import', hook, cli, 'list'], { env });
  const ms = performance.now() - started;
  return { ms, rssMb: Number(/maxrss-kb (\d+)/.exec(stderr)?.[1]) / 1024 };
}

/** Measure start-up: see the file's comment. Resolves with one row per figure. */
export async function measureStartup(options: StartupOptions = {}): Promise<StartupRow[]> {
  const runs = options.runs ?? 10;
  const cli = options.cli ?? join(packageRoot, 'dist', 'bin', 'cli.js');
  const log = options.log ?? ((text: string) => void process.stderr.write(`[startup] ${text}\n`));
  const o = { idleMs: options.idleMs ?? 10_000, settleMs: options.settleMs ?? 3000 };
  if (!existsSync(cli)) throw new Error(`no ${cli}: run \`npm run build\` first`);
  await execFile('tmux', ['-V']).catch(() => {
    throw new Error('tmux is not installed (apt-get install tmux); the UI is measured in it');
  });
  const clockTicks = Number((await execFile('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
  const home = mkdtempSync(join(tmpdir(), 'sw-startup-'));
  const env = { ...options.env, DOCKER_HOST: options.dockerHost ?? testDockerHost(), SWARM_WORKSHOP_HOME: home };

  const floor: number[] = [];
  const list: { ms: number; rssMb: number }[] = [];
  const ui: UiRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await execFile('node', ['-e', '0']);
      floor.push(performance.now() - t);
      list.push(await listRun(cli, { ...process.env, ...env }));
    }
    log(`list: ${runs} runs done`);
    for (let i = 0; i < runs; i++) {
      const r = await uiRun(cli, env, i, o, clockTicks);
      ui.push(r);
      log(`UI run ${i + 1}/${runs}: first frame ${r.firstFrameMs.toFixed(0)} ms, engine line ${r.engineLineMs.toFixed(0)} ms, keys ${r.keysMs.toFixed(0)} ms, peak RSS ${r.peakRssMb.toFixed(1)} MB, idle CPU ${r.idleCpuPercent.toFixed(2)} %`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }

  return [
    row('UI first frame (chapter list on screen)', 'ms', ui.map((r) => r.firstFrameMs)),
    row('UI engine line filled in (probe done)', 'ms', ui.map((r) => r.engineLineMs)),
    row('UI answers a key typed at the first frame', 'ms', ui.map((r) => r.keysMs)),
    row('UI peak RSS (VmHWM, start + idle)', 'MB', ui.map((r) => r.peakRssMb), 1),
    row(`UI idle CPU (${o.idleMs / 1000} s, cluster quiet)`, '% core', ui.map((r) => r.idleCpuPercent), 2),
    row('`list` wall time', 'ms', list.map((r) => r.ms)),
    row('`list` peak RSS', 'MB', list.map((r) => r.rssMb), 1),
    row('`node -e 0` wall time (the floor on this machine)', 'ms', floor),
  ];
}

/** The rows as a plain table. */
export function formatStartup(rows: StartupRow[]): string {
  const header = ['figure', 'unit', 'median', 'p90', 'runs'];
  const cells = rows.map((r) => [r.name, r.unit, String(r.median), String(r.p90), r.runs.join(' ')]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i >= 2 && i <= 3 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, cli: { type: 'string' } } });
  measureStartup({ runs: values.runs ? Number(values.runs) : undefined, cli: values.cli }).then(
    (rows) => console.log(formatStartup(rows)),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
