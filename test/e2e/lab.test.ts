/**
 * The lab on the real engine: `lab up --nodes 3` makes three nodes (Docker engines in containers of the
 * test engine), forms the swarm and makes the docker context current. The docker CLI and the workshop
 * reach node1 in each form the CLI takes (the context, DOCKER_HOST with TLS variables, ssh://), and a
 * service spreads over more than one node.
 *
 * Then the one auto run of both chapters of the whole test run, across the lab and with --prove: every
 * step's checks fail before it and pass after it; the figures the chapters are about (rng is the
 * bottleneck, scaling it speeds mining up, the worker fix speeds it up again, the rollback leaves every
 * worker on v0.1); tasks on several nodes, a worker node that pulled from the registry; `check` from the
 * cluster alone ticks every step; `reset` leaves node1 clean and chapter 3 can start again at once.
 *
 * `lab up` again repairs without making anything new; `lab down` leaves the test engine exactly as it was
 * (containers, volumes, networks, images) and the docker config without the context.
 *
 * The docker config (contexts) and the workshop's home are the test's own folders, never the machine's.
 */
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir } from '../../runner/paths.js';
import { cli, parseEvents } from '../support/cli.js';
import { docker, eventually, requireTestEngine, testDockerHost } from '../support/engine.js';

const { chapters } = loadLessons(lessonsDir);
const home = mkdtempSync(join(tmpdir(), 'sw-lab-'));
const config = mkdtempSync(join(tmpdir(), 'sw-lab-docker-'));
/** The learner's shell: the host engine by DOCKER_HOST (as the tests reach it), their own docker config. */
const hostShell: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: testDockerHost(), DOCKER_CONFIG: config, SWARM_WORKSHOP_HOME: home };
/** The same shell once DOCKER_HOST is unset: the current context (the lab's, after `lab up`) decides. */
const labShell: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: config, SWARM_WORKSHOP_HOME: home };
const inLab = (args: string[]) => execa('docker', args, { env: labShell, extendEnv: false, reject: false, timeout: 120_000 });

/** The learner: the lab's context current, a home (progress, workspace) of their own. */
const learner: NodeJS.ProcessEnv = { ...labShell, SWARM_WORKSHOP_HOME: mkdtempSync(join(tmpdir(), 'sw-lab-learner-')) };
const figures: string[] = [];
type Of<T extends WorkshopEvent['type']> = Extract<WorkshopEvent, { type: T }>;
const ofType = <T extends WorkshopEvent['type']>(events: WorkshopEvent[], type: T) => events.filter((e): e is Of<T> => e.type === type);
const speed = (events: WorkshopEvent[], step: string) => ofType(events, 'measurement').find((e) => e.step === step && e.name === 'mining-speed')!.value;
const ab = (events: WorkshopEvent[], name: string) => ofType(events, 'ab-result').find((e) => e.name === name)!.result;

/** A chapter in auto mode with --prove: each step's checks fail before it and pass after it. */
async function proveChapter(id: 'ch3' | 'ch4'): Promise<WorkshopEvent[]> {
  const started = Date.now();
  const r = await cli(['run', id, '--yes', '--prove', '--json'], learner, { timeoutMs: 30 * 60_000 });
  const events = parseEvents(String(r.stdout));
  const notDone = ofType(events, 'step-finished').flatMap((e) => (e.status === 'done' ? [] : [`${e.step}: ${e.status} (${e.reason})`]));
  const failing = ofType(events, 'check-result').flatMap((e) => (e.phase === 'after' && !e.ok ? [`${e.step}: ${e.title}: ${e.actual}`] : []));
  expect({ id, exit: r.exitCode, notDone, failing, stderr: String(r.stderr).slice(-1500) }).toEqual({ id, exit: 0, notDone: [], failing: [], stderr: '' });
  const chapter = chapters.find((c) => c.id === id)!;
  for (const step of chapter.steps) {
    const results = ofType(events, 'check-result').filter((e) => e.step === step.id);
    expect(results.filter((e) => e.phase === 'before').some((e) => !e.ok), `${step.id}: a check fails before the step`).toBe(true);
    expect(results.filter((e) => e.phase === 'after' && e.ok).length, `${step.id}: every check passes after`).toBe(step.checks.length);
  }
  figures.push(`${id}: ${chapter.steps.length} steps proven across the lab in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return events;
}

/** `check` with a progress file of its own (a learner's second machine), the edited workspace copied. */
async function checkFromCluster(chapter: string): Promise<{ exit: number | undefined; notDone: string[] }> {
  const fresh = { ...learner, SWARM_WORKSHOP_HOME: mkdtempSync(join(tmpdir(), 'sw-lab-check-')) };
  if (existsSync(join(learner.SWARM_WORKSHOP_HOME!, 'workspace'))) cpSync(join(learner.SWARM_WORKSHOP_HOME!, 'workspace'), join(fresh.SWARM_WORKSHOP_HOME, 'workspace'), { recursive: true });
  const r = await cli(['check', chapter, '--json', '--wait', '30'], fresh);
  const notDone = ofType(parseEvents(String(r.stdout)), 'step-finished').flatMap((e) => (e.status === 'done' ? [] : [`${e.step}: ${e.status} (${e.reason})`]));
  return { exit: r.exitCode, notDone };
}

/** What the host engine holds, by name, for the before/after comparison. */
async function hostSnapshot() {
  const list = async (args: string[]) => (await docker(args)).stdout.split('\n').filter(Boolean).sort();
  return {
    containers: await list(['ps', '-a', '--format', '{{.Names}} {{.Image}}']),
    volumes: await list(['volume', 'ls', '--format', '{{.Name}}']),
    networks: await list(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']),
    images: await list(['image', 'ls', '-a', '--format', '{{.ID}}']),
  };
}

describe('lab: several nodes on one machine', () => {
  let before: Awaited<ReturnType<typeof hostSnapshot>>;
  beforeAll(async () => {
    await requireTestEngine();
    const node = await docker(['image', 'inspect', '--format', '{{.Id}}', 'swarm-workshop/node:prepared']).catch(() => undefined);
    if (!node) throw new Error('the node image swarm-workshop/node:prepared is missing: `swarm-workshop prepare` builds it (scripts/test.sh runs prepare)');
    before = await hostSnapshot();
  });

  afterAll(async () => {
    // Whatever happened above, leave no lab behind for the next test file.
    await cli(['lab', 'down'], hostShell);
  });

  it('lab up --nodes 3: three engines, one swarm, the context current and reaching node1 over TLS', async () => {
    const up = await cli(['lab', 'up', '--nodes', '3'], hostShell, { timeoutMs: 10 * 60_000 });
    console.log(String(up.stdout));
    expect({ exit: up.exitCode, stderr: String(up.stderr) }).toEqual({ exit: 0, stderr: '' });
    expect(up.stdout).toContain('node1 (manager, 172.');
    expect(up.stdout).toContain('node3 (worker, 172.');

    const nodes = await inLab(['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}']);
    expect(nodes.stdout.split('\n').sort()).toEqual(['node1 Ready Leader', 'node2 Ready ', 'node3 Ready ']);
    const ctx = await inLab(['context', 'inspect', '--format', '{{.Endpoints.docker.Host}} {{.Endpoints.docker.SkipTLSVerify}}', 'swarm-workshop-lab']);
    expect(ctx.stdout.trim()).toBe('tcp://127.0.0.1:23760 false');

    const status = await cli(['lab', 'status'], hostShell);
    expect(status.exitCode, String(status.stdout)).toBe(0);
    expect(String(status.stdout).match(/swarm active/g)).toHaveLength(3);
  });

  it('the workshop reaches node1 in each form the docker CLI takes: the context, DOCKER_HOST with TLS variables, ssh://', async () => {
    // An ssh config for the lab's key, as a learner would put in ~/.ssh/config. OpenSSH reads the home of
    // the user's passwd entry, not $HOME, so the test puts an `ssh` first on PATH that passes `-F` (the
    // docker CLI and the workshop both run the system's ssh by name).
    const sshDir = mkdtempSync(join(tmpdir(), 'sw-lab-ssh-'));
    const config = join(sshDir, 'config');
    writeFileSync(config, `Host 127.0.0.1\n  IdentityFile ${join(home, 'lab-ssh', 'id_ed25519')}\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n`, { mode: 0o600 });
    const realSsh = (await execa('sh', ['-c', 'command -v ssh'])).stdout.trim();
    mkdirSync(join(sshDir, 'bin'));
    writeFileSync(join(sshDir, 'bin', 'ssh'), `#!/bin/sh\nexec ${realSsh} -F ${config} "$@"\n`, { mode: 0o755 });
    const forms: Record<string, NodeJS.ProcessEnv> = {
      context: labShell,
      'DOCKER_HOST + TLS': { ...labShell, DOCKER_HOST: 'tcp://127.0.0.1:23760', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(home, 'lab-tls') },
      ssh: { ...labShell, PATH: `${join(sshDir, 'bin')}:${labShell.PATH}`, DOCKER_HOST: 'ssh://root@127.0.0.1:23761' },
    };
    for (const [form, env] of Object.entries(forms)) {
      // The docker CLI itself reaches node1 that way...
      const cliName = await execa('docker', ['info', '--format', '{{.Name}}'], { env, extendEnv: false, reject: false, timeout: 60_000 });
      expect({ form, name: cliName.stdout.trim(), err: cliName.stderr.trim().slice(-300) }).toEqual({ form, name: 'node1', err: '' });
      // ...and so does the workshop: chapter 3 judged on node1's empty swarm (no registry there yet).
      const r = await cli(['check', 'ch3', '--json', '--wait', '0'], { ...env, SWARM_WORKSHOP_HOME: mkdtempSync(join(tmpdir(), 'sw-lab-form-')) }, { timeoutMs: 120_000 });
      const first = parseEvents(String(r.stdout)).find((e) => e.type === 'check-result' && e.step === 'registry-service' && !e.ok);
      expect({ form, exit: r.exitCode, stderr: String(r.stderr).slice(-300), actual: first && 'actual' in first ? first.actual : undefined })
        .toMatchObject({ form, exit: 1, stderr: '', actual: expect.stringContaining('registry') });
    }
    // A DOCKER_HOST docker could not use either is said as such, with what to do.
    const bad = await cli(['check', 'ch3'], { ...labShell, DOCKER_HOST: 'udp://node1:2376' });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('DOCKER_HOST=udp://node1:2376 is not an address docker can use');
  });

  it('a service spreads over the nodes, from an image every node got from the host engine', async () => {
    const create = await inLab(['service', 'create', '--detach', '--name', 'spread', '--replicas', '6', 'debian:bookworm-slim', 'sleep', 'infinity']);
    expect(create.exitCode, String(create.stderr)).toBe(0);
    const placed = await eventually('six running tasks', async () => {
      const ps = await inLab(['service', 'ps', 'spread', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}']);
      const running = ps.stdout.split('\n').filter((l) => / Running /.test(l));
      return running.length === 6 ? running : undefined;
    }, { timeoutMs: 120_000 });
    expect(new Set(placed.map((l) => l.split(' ')[0])).size).toBeGreaterThanOrEqual(2);
    expect((await inLab(['service', 'rm', 'spread'])).exitCode).toBe(0);
  });

  it('chapters 3 and 4 in auto mode across the lab, proven step by step; the figures the chapters are about; tasks on several nodes', async () => {
    const doctor = await cli(['doctor'], learner, { timeoutMs: 5 * 60_000 });
    console.log(String(doctor.stdout));
    expect(doctor.stdout).toContain('engine 20.10');
    expect(doctor.stdout).toMatch(/on node1\n/);
    expect(doctor.stdout).toMatch(/routing mesh works|no routing mesh/);
    expect(doctor.stdout).toMatch(/this is the lab: every node forwards|127.0.0.1:5000 answers on node/);

    const ch3 = await proveChapter('ch3');
    const tenWorkers = speed(ch3, 'scale-workers');
    const fiveRng = speed(ch3, 'scale-rng');
    figures.push(`hashes/s: 10 workers + 1 rng ${tenWorkers.toFixed(1)}, 10 workers + 5 rng ${fiveRng.toFixed(1)}`);
    expect(tenWorkers).toBeLessThan(12); // one rng serves about 10 calls a second, whatever the workers do
    expect(fiveRng).toBeGreaterThan(tenWorkers * 1.8);
    const rng1 = ab(ch3, 'rng-c1');
    const rng50 = ab(ch3, 'rng-c50');
    const hasher1 = ab(ch3, 'hasher-c1');
    const hasher50 = ab(ch3, 'hasher-c50');
    for (const [name, r] of Object.entries({ rng1, rng50, hasher1, hasher50 })) {
      figures.push(`ab ${name}: ${r.requestsPerSecond} req/s, mean ${r.meanMs} ms`);
      expect(r.completeRequests).toBe(50);
      expect(r.failedRequests).toBe(0);
    }
    expect(rng1.meanMs).toBeGreaterThan(95);
    expect(rng1.meanMs).toBeLessThan(200);
    expect(hasher1.meanMs).toBeGreaterThan(95);
    expect(hasher1.meanMs).toBeLessThan(200);
    expect(hasher50.requestsPerSecond).toBeGreaterThan(hasher1.requestsPerSecond * 5);
    expect(hasher50.requestsPerSecond).toBeGreaterThan(rng50.requestsPerSecond * 2);
    // check from the cluster alone after chapter 3 (a learner's second machine): every step ticked.
    expect(await checkFromCluster('ch3')).toEqual({ exit: 0, notDone: [] });

    const ch4 = await proveChapter('ch4');
    const before = speed(ch4, 'read-the-source');
    const after = speed(ch4, 'rolling-update');
    figures.push(`hashes/s: before the fix ${before.toFixed(1)}, after ${after.toFixed(1)} (x${(after / before).toFixed(2)}), after rollback ${speed(ch4, 'rollback-by-image').toFixed(1)}`);
    // One 10 s window each, on a shared machine, three nested engines: the fix has measured x1.13 here
    // (x1.13 to x1.26 on one node; the articles' x1.33). A fix that changed nothing lands near 1.0.
    expect(after).toBeGreaterThanOrEqual(before * 1.05);

    // Chapter 4 ends with 10 workers on v0.1, spread over the nodes, pulled from the registry on node1.
    const ps = await inLab(['service', 'ps', 'worker', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.Image}} {{.CurrentState}}']);
    const tasks = ps.stdout.split('\n').filter(Boolean);
    expect(tasks).toHaveLength(10);
    for (const t of tasks) expect(t).toMatch(/^node\d 127\.0\.0\.1:5000\/dockercoins_worker:v0\.1 Running/);
    const nodes = new Set(tasks.map((t) => t.split(' ')[0]));
    figures.push(`worker tasks on: ${[...nodes].sort().join(', ')}`);
    expect(nodes.size).toBeGreaterThanOrEqual(2);
    // A node other than node1 that runs a worker pulled its image from the registry on node1 (by digest,
    // as swarm pins it: the repository is listed, with the digest and no tag).
    const elsewhere = [...nodes].find((n) => n !== 'node1')!;
    const pulled = await docker(['exec', `swarm-workshop-${elsewhere}`, 'docker', 'image', 'ls', '--digests', '--format', '{{.Repository}} {{.Digest}}']);
    expect(pulled.stdout.split('\n').filter((l) => l.startsWith('127.0.0.1:5000/dockercoins_worker sha256:')).length, `${elsewhere}: ${pulled.stdout}`).toBeGreaterThan(0);
    // After chapter 4, chapter 3's "10 workers, then 0" and chapter 4's "v0.01" were changed by later steps:
    // check from the cluster alone recognises them and ticks every step of both chapters.
    expect(await checkFromCluster('ch3')).toEqual({ exit: 0, notDone: [] });
    expect(await checkFromCluster('ch4')).toEqual({ exit: 0, notDone: [] });
    console.log(figures.join('\n'));
  }, 60 * 60_000);

  it('reset right after chapter 4 leaves node1 clean; chapter 4 then says where it starts; chapter 3 starts again at once', async () => {
    const reset = await cli(['reset', '--yes'], learner, { timeoutMs: 10 * 60_000 });
    expect(reset.exitCode, String(reset.stdout) + String(reset.stderr)).toBe(0);
    expect(reset.stdout).toContain('removed image 127.0.0.1:5000/dockercoins_worker:v0.01');
    expect(reset.stdout).toContain('removed image 127.0.0.1:5000/dockercoins_tools:v0.1');
    expect(reset.stdout).toContain('everything it removed is gone');
    expect((await inLab(['service', 'ls', '-q'])).stdout.trim()).toBe('');
    expect((await inLab(['network', 'ls', '--filter', 'name=^dockercoins$', '-q'])).stdout.trim()).toBe('');
    for (const mode of [['run', 'ch4', '--yes'], ['check', 'ch4']]) {
      const r = await cli(mode, learner);
      expect(r.exitCode, `${mode.join(' ')}: ${r.stdout}`).toBe(1);
      expect(r.stderr).toContain("ch4 starts where ch3 ends: chapter 3's registry, network and DockerCoins services running");
      expect(r.stderr).toContain('→ get there with `swarm-workshop run ch3 --yes`');
      expect(r.stdout).not.toContain('▶');
    }
    // No pause: port 5000 is free on node1 at once, the names and tags too. Three steps, then Ctrl-C.
    const again = cli(['run', 'ch3', '--yes', '--json'], learner);
    const done: string[] = [];
    let buffered = '';
    for await (const chunk of again.stdout!) {
      buffered += String(chunk);
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const e of parseEvents(lines.join('\n'))) if (e.type === 'step-finished') done.push(`${e.step}: ${e.status}`);
      if (done.length >= 3 && !again.killed) again.kill('SIGINT');
    }
    const end = await again;
    expect(done.slice(0, 3)).toEqual(['registry-service: done', 'push-test-image: done', 'build-images: done']);
    expect(end.exitCode).toBe(130);
  });

  it('lab up on the lab there is repairs it: a stopped node is started and rejoins, nothing is made twice', async () => {
    await docker(['stop', 'swarm-workshop-node3']);
    const again = await cli(['lab', 'up'], hostShell, { timeoutMs: 5 * 60_000 });
    expect({ exit: again.exitCode, stderr: String(again.stderr) }).toEqual({ exit: 0, stderr: '' });
    expect(again.stdout).toContain('node3: stopped, started');
    await eventually('node3 Ready again', async () => {
      const ls = await inLab(['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']);
      return ls.stdout.includes('node3 Ready') ? true : undefined;
    }, { timeoutMs: 120_000 });
    const containers = (await docker(['ps', '-a', '--filter', 'label=io.swarm-workshop.lab', '--format', '{{.Names}}'])).stdout.split('\n').sort();
    expect(containers).toEqual(['swarm-workshop-node1', 'swarm-workshop-node2', 'swarm-workshop-node3']);
  });

  it('lab down removes the nodes, their volumes, the network and the context, and nothing else', async () => {
    const down = await cli(['lab', 'down'], hostShell, { timeoutMs: 5 * 60_000 });
    expect({ exit: down.exitCode, stderr: String(down.stderr) }).toEqual({ exit: 0, stderr: '' });
    expect(down.stdout).toContain('removed network swarm-workshop-lab');
    expect(down.stdout).toContain('removed docker context swarm-workshop-lab');
    expect(await hostSnapshot()).toEqual(before);
    const contexts = await execa('docker', ['context', 'ls', '--format', '{{.Name}}'], { env: labShell, extendEnv: false });
    expect(contexts.stdout.split('\n')).toEqual(['default']);
    const again = await cli(['lab', 'down'], hostShell);
    expect(again.stdout).toContain('No lab here; nothing removed.');
  });
});
