/**
 * The lab on the real engine, brought up once per test run: `lab up --nodes 3 --engine 26` (Debian 13
 * nodes, docker.io 26.1; SWARM_WORKSHOP_TEST_LAB_ENGINE=20 makes it Debian 12 nodes, docker.io 20.10, the
 * engine the test engine itself runs for every other file), the docker context current.
 *
 * First the workshop: the docker CLI and the workshop reach node1 in each form the CLI takes (the
 * context, DOCKER_HOST with TLS variables, ssh://); a service spreads over more than one node; then the
 * one auto run of both chapters of the whole test run, with --prove and --lang zh (the lessons' Chinese
 * text, the same checks): every step's checks fail before it and pass after it; the figures the chapters
 * are about (rng is the bottleneck, scaling it speeds mining up, the worker fix speeds it up again, the
 * rollback leaves every worker on v0.1); tasks on several nodes, a worker node that pulled from the
 * registry; `check` from the cluster alone ticks every step; `reset` leaves node1 clean and chapter 3 can
 * start again at once; `lab up` again repairs without making anything new.
 *
 * Then the learner who types, as the articles did on several nodes: the articles' commands in their
 * spelling (test/by-hand/articles.yaml), typed in a shell on node1 (what `lab shell node1` opens), with
 * each step's usual mistakes before its right commands (test/by-hand/mistakes.yaml) and `swarm-workshop
 * check` on this machine after each: every mistake is named, every step ticks. In the middle of chapter 3
 * a worker node stops: check names it, and the services come back on the other nodes. After chapter 3,
 * node1 stops, with the registry and the only manager: check says the lab's node1 does not answer; `lab
 * up` brings it back, with the registry empty (the articles' registry keeps its images in its task's
 * container): check names what that undid, and once the learner pushes again, every step ticks. After
 * chapter 4, `check` with no progress file ticks every step of both chapters, and a service removed by
 * hand is seen; the test engine itself restarts (as after a reboot): the nodes come back on their
 * addresses with their swarm, and once the pushes are typed again every service runs all its tasks;
 * `reset` takes what the articles' spelling made.
 *
 * At the end, `lab down` leaves the test engine exactly as it was (containers, volumes, networks, images)
 * and the docker config without the context. The docker config (contexts) and the workshop's home are
 * the test's own folders, never the machine's.
 */
import { execa } from 'execa';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { LAB_ENGINES, type LabEngine } from '../../runner/docker/images.js';
import { dockercoinsDir, lessonsDir, packageRoot } from '../../runner/paths.js';
import { cli, parseEvents } from '../support/cli.js';
import { docker, emptySwarm, eventually, requireTestEngine, testDockerHost } from '../support/engine.js';
import { articles, checkAs, checkFromFreshHome, checkUntilDone, learner as learnerAt, profile, typeChapter, type Learner } from '../support/learner.js';

const { chapters } = loadLessons(lessonsDir);
/** The lab's engine generation; the test engine, which every other file uses, is the other one (20.10). */
const labEngine: LabEngine = process.env.SWARM_WORKSHOP_TEST_LAB_ENGINE === '20' ? '20' : '26';
const versionPrefix: Record<LabEngine, string> = { '20': '20.10.', '26': '26.1.' };

// The lab's own folders (freshLab, in beforeAll).
let home = '';
let config = '';
/** The learner's shell: the host engine by DOCKER_HOST (as the tests reach it), their own docker config. */
let hostShell: NodeJS.ProcessEnv = {};
/** The same shell once DOCKER_HOST is unset: the current context (the lab's, after `lab up`) decides. */
let labShell: NodeJS.ProcessEnv = {};
/** The learner: the lab's context current, the home (progress, workspace) `lab up` shared with node1. */
let learner: NodeJS.ProcessEnv = {};
function freshLab() {
  home = mkdtempSync(join(tmpdir(), 'sw-lab-'));
  config = mkdtempSync(join(tmpdir(), 'sw-lab-docker-'));
  hostShell = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: testDockerHost(), DOCKER_CONFIG: config, SWARM_WORKSHOP_HOME: home };
  labShell = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: config, SWARM_WORKSHOP_HOME: home };
  learner = { ...labShell };
}
const inLab = (args: string[]) => execa('docker', args, { env: labShell, extendEnv: false, reject: false, timeout: 120_000 });
const figures: string[] = [];
type Of<T extends WorkshopEvent['type']> = Extract<WorkshopEvent, { type: T }>;
const ofType = <T extends WorkshopEvent['type']>(events: WorkshopEvent[], type: T) => events.filter((e): e is Of<T> => e.type === type);
const speed = (events: WorkshopEvent[], step: string) => ofType(events, 'measurement').find((e) => e.step === step && e.name === 'mining-speed')!.value;
const ab = (events: WorkshopEvent[], name: string) => ofType(events, 'ab-result').find((e) => e.name === name)!.result;

/** A chapter in auto mode with --prove: each step's checks fail before it and pass after it. */
async function proveChapter(id: 'ch3' | 'ch4'): Promise<WorkshopEvent[]> {
  const startedAt = Date.now();
  // In Chinese: the one auto run proves the checks and the lessons' Chinese text together (the checks
  // read Docker's API, never words, so the language changes nothing they decide).
  const r = await cli(['run', id, '--yes', '--prove', '--json', '--lang', 'zh'], learner, { timeoutMs: 30 * 60_000 });
  const events = parseEvents(String(r.stdout));
  const started = ofType(events, 'step-started').filter((e) => !/[\u4e00-\u9fff]/.test(e.title)).map((e) => e.title);
  expect({ id, notChinese: started }).toEqual({ id, notChinese: [] });
  const notDone = ofType(events, 'step-finished').flatMap((e) => (e.status === 'done' ? [] : [`${e.step}: ${e.status} (${e.reason})`]));
  const failing = ofType(events, 'check-result').flatMap((e) => (e.phase === 'after' && !e.ok ? [`${e.step}: ${e.title}: ${e.actual}`] : []));
  expect({ id, exit: r.exitCode, notDone, failing, stderr: String(r.stderr).slice(-1500) }).toEqual({ id, exit: 0, notDone: [], failing: [], stderr: '' });
  const chapter = chapters.find((c) => c.id === id)!;
  for (const step of chapter.steps) {
    const results = ofType(events, 'check-result').filter((e) => e.step === step.id);
    expect(results.filter((e) => e.phase === 'before').some((e) => !e.ok), `${step.id}: a check fails before the step`).toBe(true);
    expect(results.filter((e) => e.phase === 'after' && e.ok).length, `${step.id}: every check passes after`).toBe(step.checks.length);
  }
  figures.push(`${id}: ${chapter.steps.length} steps proven across the lab, in Chinese, in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  // Where each step's time went (for the test run's own length).
  const s = (ms: number) => (ms / 1000).toFixed(0);
  for (const e of ofType(events, 'step-finished')) {
    if (e.timing) figures.push(`  ${e.step}: commands ${s(e.timing.commandsMs)} s, converge ${s(e.timing.convergeMs)} s, checks ${s(e.timing.checksMs)} s, measure ${s(e.timing.measureMs)} s`);
  }
  return events;
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

/**
 * The start and the end of each half: a clean engine and a snapshot of it; `lab up --engine N`; at the
 * end `lab down`, compared with the snapshot.
 */
function labLifecycle(engine: LabEngine) {
  let before: Awaited<ReturnType<typeof hostSnapshot>>;
  beforeAll(async () => {
    await requireTestEngine();
    freshLab();
    const image = LAB_ENGINES[engine].image;
    const node = await docker(['image', 'inspect', '--format', '{{.Id}}', image]).catch(() => undefined);
    if (!node) throw new Error(`the node image ${image} is missing: \`swarm-workshop prepare --lab-engine ${engine}\` builds it (scripts/test.sh runs it)`);
    // A test run cut off in the middle leaves its lab on the engine's disk, and its nodes start again with
    // the engine. `lab down` finds them by their labels, with no state file, as it would for a learner.
    const leftover = await cli(['lab', 'down'], hostShell);
    if (!String(leftover.stdout).includes('No lab here')) console.log(`a lab left by an earlier run, removed:\n${String(leftover.stdout)}`);
    // No service of another test file on the host's own swarm: the restart below would replace its task
    // containers, and the engine would not be as it was for reasons not the lab's.
    await emptySwarm();
    before = await hostSnapshot();
  });

  afterAll(async () => {
    // Whatever happened above, leave no lab behind for the next test file.
    await cli(['lab', 'down'], hostShell);
  });

  it(`lab up --nodes 3 --engine ${engine}: three engines ${versionPrefix[engine]}x (${LAB_ENGINES[engine].debian}), one swarm, the context current and reaching node1 over TLS`, async () => {
    const up = await cli(['lab', 'up', '--nodes', '3', '--engine', engine], hostShell, { timeoutMs: 10 * 60_000 });
    console.log(String(up.stdout));
    expect({ exit: up.exitCode, stderr: String(up.stderr) }).toEqual({ exit: 0, stderr: '' });
    expect(up.stdout).toContain(`, engine ${versionPrefix[engine]}`);
    expect(up.stdout).toContain('node1 (manager, 172.');
    expect(up.stdout).toContain('node3 (worker, 172.');

    const nodes = await inLab(['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}']);
    expect(nodes.stdout.split('\n').sort()).toEqual(['node1 Ready Leader', 'node2 Ready ', 'node3 Ready ']);
    const ctx = await inLab(['context', 'inspect', '--format', '{{.Endpoints.docker.Host}} {{.Endpoints.docker.SkipTLSVerify}}', 'swarm-workshop-lab']);
    expect(ctx.stdout.trim()).toBe('tcp://127.0.0.1:23760 false');

    const status = await cli(['lab', 'status'], hostShell);
    expect(status.exitCode, String(status.stdout)).toBe(0);
    expect(String(status.stdout).match(/swarm active/g)).toHaveLength(3);
    expect(String(status.stdout).match(new RegExp(`engine ${versionPrefix[engine].replaceAll('.', '\\.')}`, 'g'))).toHaveLength(3);
    // node1 sees the learner's workspace and the shipped source at the paths this machine has them.
    const shared = await docker(['exec', 'swarm-workshop-node1', 'ls', join(home, 'workspace', 'dockercoins', 'worker', 'worker.py'), join(dockercoinsDir, 'rng')]);
    expect(shared.stdout).toContain('worker.py');
    // The lessons' builds on node1: with engine-20 nodes its build cache comes from the prepared images,
    // and a build with no network at all goes through. Engine 26.1's builder takes the step images and
    // still misses them (measured): lab up says so, and those builds download their packages.
    const offline = await execa('docker', ['exec', 'swarm-workshop-node1', 'docker', 'build', '--network', 'none', join(dockercoinsDir, 'hasher')], { env: hostShell, extendEnv: false, reject: false, all: true });
    if (engine === '20') {
      expect(up.stdout).toContain("node1's build cache filled from the prepared images");
      expect({ exit: offline.exitCode, out: String(offline.all).slice(-600) }).toMatchObject({ exit: 0 });
      expect(String(offline.all)).toContain('Using cache');
    } else {
      expect(up.stdout).toContain("node1's build cache could not be filled");
      expect(offline.exitCode).not.toBe(0);
    }
  });
  return () => before;
}

/** The end of each half: `lab down`, and the engine as it was before `lab up`. */
function labTeardown(before: () => Awaited<ReturnType<typeof hostSnapshot>>) {
  it('lab down removes the nodes, their volumes, the network and the context, and nothing else', async () => {
    const down = await cli(['lab', 'down'], hostShell, { timeoutMs: 5 * 60_000 });
    expect({ exit: down.exitCode, stderr: String(down.stderr) }).toEqual({ exit: 0, stderr: '' });
    expect(down.stdout).toContain('removed network swarm-workshop-lab');
    expect(down.stdout).toContain('removed docker context swarm-workshop-lab');
    expect(await hostSnapshot()).toEqual(before());
    const contexts = await execa('docker', ['context', 'ls', '--format', '{{.Name}}'], { env: labShell, extendEnv: false });
    expect(contexts.stdout.split('\n')).toEqual(['default']);
    const again = await cli(['lab', 'down'], hostShell);
    expect(again.stdout).toContain('No lab here; nothing removed.');
  });
}

describe(`lab of engine ${labEngine} (${LAB_ENGINES[labEngine].debian}): chapters 3 and 4 in auto mode proven across three nodes, then the articles' commands typed on node1 with their usual mistakes; a worker node, node1 and the host engine stopped`, () => {
  const snapshot = labLifecycle(labEngine);

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

  it('chapters 3 and 4 in auto mode across the lab, in Chinese (--lang zh --json), proven step by step; the figures the chapters are about; tasks on several nodes', async () => {
    const doctor = await cli(['doctor'], learner, { timeoutMs: 5 * 60_000 });
    console.log(String(doctor.stdout));
    expect(doctor.stdout).toContain(`engine ${versionPrefix[labEngine]}`);
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
    // (check from the cluster alone: after chapter 4 below, for both chapters.)

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
    for (const chapter of ['ch3', 'ch4']) {
      const r = await checkFromFreshHome(learner, chapter, 30);
      expect({ chapter, exit: r.exitCode, notDone: r.notDone, failures: r.failures }).toEqual({ chapter, exit: 0, notDone: [], failures: [] });
    }
    console.log(figures.join('\n'));
    // The typed half below builds the same images again on node1. Engine 26's builder cannot take the
    // prepared images' step images (lab up says so), so its builds download their packages; a second name
    // on each image node1 built keeps it, and its steps, through the resets ahead (which remove the lessons'
    // names only): the typed builds then take their steps from node1's own cache, as a learner's second
    // build would. (The lab's nodes go with `lab down`, these names with them.)
    for (const name of ['rng', 'hasher', 'worker', 'webui', 'tools']) {
      const kept = await inLab(['tag', `127.0.0.1:5000/dockercoins_${name}:v0.1`, `swarm-workshop-test/built-${name}`]);
      expect(kept.exitCode, String(kept.stderr)).toBe(0);
    }
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
    // No pause: port 5000 is free on node1 at once, the names and tags too. Two steps, then Ctrl-C (the
    // third, the builds, would take its packages from Debian's mirror again in the lab: minutes of CI).
    const again = cli(['run', 'ch3', '--yes', '--json'], learner);
    const done: string[] = [];
    let buffered = '';
    for await (const chunk of again.stdout!) {
      buffered += String(chunk);
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const e of parseEvents(lines.join('\n'))) if (e.type === 'step-finished') done.push(`${e.step}: ${e.status}`);
      if (done.length >= 2 && !again.killed) again.kill('SIGINT');
    }
    const end = await again;
    expect(done.slice(0, 2)).toEqual(['registry-service: done', 'push-test-image: done']);
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


  // The learner who types: the articles' spelling, on node1, with the home node1 shares (the workspace).
  let me: Learner;
  let seenWhenNode3Stopped = '';

  it('the articles\' chapter 3 typed on node1, each step\'s usual mistakes named by check; node3 stops after the workers are scaled: check names it, the tasks move to node1 and node2, the chapter goes on', async () => {
    me = learnerAt({
      env: learner,
      onNode: { container: 'swarm-workshop-node1', hostname: 'node1', hostEnv: hostShell },
      ...(profile.ipvs ? {} : { pinWebuiTo: 'node1' }),
    });
    // Starting over by hand: what the auto run and its restart left, gone.
    const reset = await cli(['reset', '--yes'], learner, { timeoutMs: 10 * 60_000 });
    expect(reset.exitCode, String(reset.stdout) + String(reset.stderr)).toBe(0);
    // reset keeps the learner's edits in the workspace (the auto run's fix among them): the sources as
    // shipped again, in the folder node1 shares (its files replaced, the folder itself kept).
    cpSync(dockercoinsDir, me.workspace, { recursive: true, force: true });
    expect(readFileSync(join(me.workspace, 'worker', 'worker.py'), 'utf8')).toContain('time.sleep(0.1)');
    const report = await typeChapter(me, 'ch3', async (step, lines) => {
      if (step !== 'scale-workers') return;
      await docker(['stop', 'swarm-workshop-node3']);
      await eventually('node3 Down in the swarm', async () => ((await inLab(['node', 'ls', '--format', '{{.Hostname}} {{.Status}}'])).stdout.includes('node3 Down') ? true : undefined), { timeoutMs: 120_000 });
      const seen = await checkAs(learner, 'ch3', 0);
      const named = seen.events.filter((e) => e.type === 'check-result' && e.step === 'scale-workers' && e.actual.includes('node3 is down'));
      expect(named.length, `check right after node3 stopped:\n${seen.all}`).toBeGreaterThan(0);
      seenWhenNode3Stopped = 'node3 is down';
      // Swarm starts node3's tasks again on the others; every step so far ticks again. (`--wait` would wait
      // for the next step, not typed yet: check again until they do.)
      const steps = Object.keys(articles.ch3!);
      expect(await checkUntilDone(learner, 'ch3', steps.slice(0, steps.indexOf(step) + 1), 240_000)).toEqual([]);
      const workers = (await inLab(['service', 'ps', 'worker', '--filter', 'desired-state=running', '--format', '{{.Node}}'])).stdout.split('\n').filter(Boolean);
      expect({ tasks: workers.length, onNode3: workers.filter((n) => n === 'node3').length }).toEqual({ tasks: 10, onNode3: 0 });
      lines.push(`node3 stopped: check said "${seenWhenNode3Stopped}"; 10 workers on ${[...new Set(workers)].sort().join(', ')}`);
    });
    console.log(report.join('\n'));
    expect(seenWhenNode3Stopped).toBe('node3 is down');
  }, 50 * 60_000);

  it('node1 stops, with the registry and the only manager: check says so and how to repair; after lab up, check names what the registry lost, and the pushes typed again make every step tick', async () => {
    await docker(['stop', 'swarm-workshop-node1']);
    const down = await checkAs(learner, 'ch3', 0);
    expect({ exit: down.exitCode, stderr: down.stderr }).toMatchObject({ exit: 1, stderr: expect.stringContaining("the lab's node1 does not answer") });
    expect(down.stderr).toContain('`swarm-workshop lab up` starts what stopped');
    const up = await cli(['lab', 'up'], hostShell, { timeoutMs: 10 * 60_000 });
    expect({ exit: up.exitCode, stderr: String(up.stderr) }).toEqual({ exit: 0, stderr: '' });
    expect(up.stdout).toContain('node1: stopped, started');
    expect(up.stdout).toContain('node3: stopped, started');
    // The articles' registry keeps its images in its task's container: its task starts again empty. check
    // says so, and what to push, for every step it undoes.
    const lost = await eventually('the registry back, and empty', async () => {
      const r = await checkAs(learner, 'ch3', 0);
      return r.said.get('push-images')?.join(' ').includes('no repository dockercoins_rng in the registry') ? r : undefined;
    }, { timeoutMs: 180_000 });
    expect(lost.status.get('registry-service')).toBe('done');
    expect(lost.said.get('push-images')!.join(' ')).toMatch(/push it by its full name, tag included: docker push (localhost|127\.0\.0\.1):5000\/dockercoins_rng:v0\.1/);
    expect(lost.said.get('push-test-image')!.join(' ')).toContain('the registry is empty');
    // The learner pushes again what check names (steps 2 and 4, the tools image of step 11), and makes
    // step 13's file again in the new debug task: every step ticks.
    const ch3 = articles.ch3!;
    const again = [...ch3['push-test-image']!, ...ch3['push-images']!, ...ch3['debug-service']!.filter((l) => /^docker (tag|push) /.test(l)), ...ch3['bench-hasher']!];
    // Right after node1 started again, its new debug task may not resolve hasher yet: typed again until it does.
    for (const line of again) await me.type(line, { retryForMs: 120_000 });
    expect(await checkUntilDone(learner, 'ch3', Object.keys(ch3), 300_000, 60)).toEqual([]);
  }, 20 * 60_000);

  it('the articles\' chapter 4 typed on node1, each step\'s usual mistakes named by check: the fix edited in the workspace node1 shares, built and pushed on node1, rolled out and back', async () => {
    console.log((await typeChapter(me, 'ch4')).join('\n'));
  }, 40 * 60_000);

  it('after both chapters: check with no progress file ticks every step of both; a service removed afterwards is seen', async () => {
    // A learner who typed everything and never ran check, or checks from a second machine: no progress
    // file, only the cluster and the edited workspace.
    for (const chapter of ['ch3', 'ch4']) {
      const r = await checkFromFreshHome(learner, chapter, 90);
      expect({ chapter, notDone: r.notDone, exitCode: r.exitCode, failures: r.failures }).toEqual({ chapter, notDone: [], exitCode: 0, failures: [] });
      expect([...r.status.keys()]).toEqual(Object.keys(articles[chapter]!));
    }
    await me.type('docker service rm webui');
    const after = await checkAs(learner, 'ch3', 0);
    expect(after.status.get('publish-webui')).toBe('failed');
    expect(after.said.get('publish-webui')!.join('\n')).toMatch(/no longer holds: .*no service named webui.*since you finished this step/);
    expect(after.status.get('registry-service')).toBe('done');
    const list = await cli(['list'], learner);
    expect(String(list.stdout)).toMatch(/^ {4}publish-webui/m);
    expect(String(list.stdout)).toMatch(/^ {2}✓ registry-service/m);
  }, 10 * 60_000);

  it('the host engine restarts, as after a reboot: the nodes come back on their addresses with the swarm and every service\'s tasks; the registry answers, and with the pushes typed again every service runs all its tasks', async () => {
    const addresses = async () => (await docker(['inspect', '--format', '{{.Name}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'swarm-workshop-node1', 'swarm-workshop-node2', 'swarm-workshop-node3'])).stdout;
    const before = await addresses();
    const services = (await inLab(['service', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter(Boolean).sort();
    expect(services.length).toBeGreaterThanOrEqual(6);
    const engine = join(packageRoot, 'scripts', 'engine.sh');
    try {
      await execa('bash', [engine, 'down'], { timeout: 5 * 60_000 });
    } finally {
      // Whatever happened, the engine comes back: every test file after this one needs it.
      await execa('bash', [engine, 'up'], { timeout: 10 * 60_000 });
    }
    // Nothing to do for the learner: the nodes start again with the engine (restart policy), on their addresses.
    await eventually('three nodes Ready again', async () => {
      const ls = await inLab(['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']);
      return ls.stdout.split('\n').filter((l) => l.endsWith(' Ready')).length === 3 ? true : undefined;
    }, { timeoutMs: 300_000 });
    expect(await addresses()).toBe(before);
    const status = await cli(['lab', 'status'], hostShell);
    expect(status.exitCode, String(status.stdout)).toBe(0);
    // node1 restarted, and with it the registry: it comes back empty when swarm starts a new task (the
    // node1 test above shows check naming what that undid), or with its images when the old container is
    // started again. Either way it answers, and the pushes typed again fill it.
    await eventually('the registry answering on node1', async () => {
      const r = await execa('docker', ['exec', 'swarm-workshop-node1', 'curl', '-sf', 'http://127.0.0.1:5000/v2/_catalog'], { env: hostShell, extendEnv: false, reject: false });
      return r.exitCode === 0 ? true : undefined;
    }, { timeoutMs: 180_000 });
    // Pushed again (the tags are still on node1), a task placed anew on any node can pull its image: the
    // services run all their tasks again.
    const pushes = [...Object.values(articles.ch3!), ...Object.values(articles.ch4!)].flat().filter((l) => /^\s*docker push /m.test(l));
    expect(pushes.length).toBeGreaterThanOrEqual(4);
    for (const line of pushes) await me.type(line, { retryForMs: 60_000 });
    await eventually('every service back to its replicas', async () => {
      const ls = await inLab(['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
      const rows = ls.stdout.split('\n').filter(Boolean);
      const names = rows.map((r) => r.split(' ')[0]).sort();
      return names.join() === services.join() && rows.every((r) => { const [a, b] = r.split(' ')[1]!.split('/'); return a === b; }) ? true : undefined;
    }, { timeoutMs: 300_000 });
  }, 25 * 60_000);

  it('reset takes what the articles\' spelling made (localhost:5000 tags) and leaves node1 clean', async () => {
    const reset = await cli(['reset', '--yes'], learner, { timeoutMs: 10 * 60_000 });
    expect(reset.exitCode, String(reset.stdout) + String(reset.stderr)).toBe(0);
    expect(reset.stdout).toContain('removed image localhost:5000/dockercoins_worker:v0.01');
    expect(reset.stdout).toContain('removed network dockercoins (');
    const left = (await inLab(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter((t) => /^localhost:5000\/dockercoins_/.test(t));
    expect({ services: (await inLab(['service', 'ls', '-q'])).stdout.trim(), left }).toEqual({ services: '', left: [] });
  }, 10 * 60_000);

  labTeardown(snapshot);
});
