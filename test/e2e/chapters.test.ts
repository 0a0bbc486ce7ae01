/**
 * Chapters 3 and 4 in auto mode on the real engine, from an empty swarm, with --prove: before each step
 * its checks must fail, after it they must pass. Then the figures the chapters are about: rng is the
 * bottleneck, scaling it speeds mining up, the worker fix speeds it up again, and the rollback leaves
 * every worker task on v0.1.
 *
 * After each chapter, `check` with a progress file of its own (a learner's second machine) must tick every
 * step from the cluster alone: check accepts what the lessons' commands make (our spelling; the articles'
 * spelling, typed by hand, is articles.test.ts), and after chapter 4 it recognises what later steps changed.
 */
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { loadLessons } from '../../runner/lesson/load.js';
import { lessonsDir } from '../../runner/paths.js';
import { cli, parseEvents } from '../support/cli.js';
import { docker, emptyWorkshop, requireTestEngine, testDockerHost } from '../support/engine.js';

const { chapters } = loadLessons(lessonsDir);
const home = mkdtempSync(join(tmpdir(), 'sw-chapters-'));
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: testDockerHost(), SWARM_WORKSHOP_HOME: home };
const figures: string[] = [];

type Of<T extends WorkshopEvent['type']> = Extract<WorkshopEvent, { type: T }>;
const ofType = <T extends WorkshopEvent['type']>(events: WorkshopEvent[], type: T) => events.filter((e): e is Of<T> => e.type === type);

/** Run a chapter in auto mode and assert that every step was proven: failing before, passing after. */
async function proveChapter(id: 'ch3' | 'ch4'): Promise<WorkshopEvent[]> {
  const started = Date.now();
  const r = await cli(['run', id, '--yes', '--prove', '--json'], env);
  const events = parseEvents(String(r.stdout));
  const failed = ofType(events, 'step-finished').filter((e) => e.status !== 'done');
  const failedChecks = ofType(events, 'check-result').filter((e) => e.phase === 'after' && !e.ok);
  expect({ exit: r.exitCode, failed, failedChecks, stderr: String(r.stderr).slice(-2000) }).toMatchObject({ exit: 0, failed: [], failedChecks: [] });
  const chapter = chapters.find((c) => c.id === id)!;
  for (const step of chapter.steps) {
    const results = ofType(events, 'check-result').filter((e) => e.step === step.id);
    const before = results.filter((e) => e.phase === 'before');
    const after = results.filter((e) => e.phase === 'after');
    expect(before.length, `${step.id}: checks before`).toBe(step.checks.length);
    expect(before.some((e) => !e.ok), `${step.id}: at least one check fails before the step`).toBe(true);
    expect(after.filter((e) => e.ok).length, `${step.id}: every check passes after`).toBe(step.checks.length);
    expect(ofType(events, 'step-finished').find((e) => e.step === step.id)?.status).toBe('done');
  }
  figures.push(`${id}: ${chapter.steps.length} steps proven in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return events;
}

/** `check` with a progress file of its own (a learner's second machine): which steps it does not tick. */
async function checkFromCluster(chapter: string): Promise<{ exit: number | undefined; notDone: string[] }> {
  // The progress file is lost; the learner's files (their edited copy of the source) are still there.
  const fresh = { ...env, SWARM_WORKSHOP_HOME: mkdtempSync(join(tmpdir(), 'sw-chapters-check-')) };
  if (existsSync(join(home, 'workspace'))) cpSync(join(home, 'workspace'), join(fresh.SWARM_WORKSHOP_HOME, 'workspace'), { recursive: true });
  const r = await cli(['check', chapter, '--json', '--wait', '30'], fresh);
  const notDone = ofType(parseEvents(String(r.stdout)), 'step-finished').flatMap((e) => (e.status === 'done' ? [] : [`${e.step}: ${e.status} (${e.reason})`]));
  return { exit: r.exitCode, notDone };
}

const speed = (events: WorkshopEvent[], step: string) => ofType(events, 'measurement').find((e) => e.step === step && e.name === 'mining-speed')!.value;
const ab = (events: WorkshopEvent[], name: string) => ofType(events, 'ab-result').find((e) => e.name === name)!.result;

describe('chapters 3 and 4 in auto mode on a real swarm', () => {
  beforeAll(async () => {
    await requireTestEngine();
    await emptyWorkshop();
  });

  it('chapter 3: every check fails before its step and passes after; rng is the bottleneck', async () => {
    const events = await proveChapter('ch3');
    const tenWorkers = speed(events, 'scale-workers');
    const fiveRng = speed(events, 'scale-rng');
    figures.push(`hashes/s: 10 workers + 1 rng ${tenWorkers.toFixed(1)}, 10 workers + 5 rng ${fiveRng.toFixed(1)}`);
    expect(tenWorkers).toBeLessThan(12); // one rng serves about 10 calls a second, whatever the workers do
    expect(fiveRng).toBeGreaterThan(tenWorkers * 1.8);

    const rng1 = ab(events, 'rng-c1');
    const rng50 = ab(events, 'rng-c50');
    const hasher1 = ab(events, 'hasher-c1');
    const hasher50 = ab(events, 'hasher-c50');
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
  });

  it('check on another machine (no progress file) rebuilds chapter 3 from the cluster: every step ticked', async () => {
    const r = await checkFromCluster('ch3');
    expect(r).toEqual({ exit: 0, notDone: [] });
  });

  it('chapter 4: the fix speeds mining up by 10 % or more, and the rollback leaves every worker on v0.1', async () => {
    const events = await proveChapter('ch4');
    const before = speed(events, 'read-the-source');
    const after = speed(events, 'rolling-update');
    const rolledBack = speed(events, 'rollback-by-image');
    figures.push(`hashes/s: before the fix ${before.toFixed(1)}, after ${after.toFixed(1)} (x${(after / before).toFixed(2)}), after rollback ${rolledBack.toFixed(1)}`);
    // One 10 s window each, on a shared machine: the ratio has been 1.13 to 1.26 here (the bench's medians
    // say 1.26). A fix that changed nothing would land near 1.0; 1.10 tells the two apart.
    expect(after).toBeGreaterThanOrEqual(before * 1.1);

    const tasks = (await docker(['service', 'ps', 'worker', '--filter', 'desired-state=running', '--format', '{{.Image}} {{.CurrentState}}'])).stdout.split('\n').filter(Boolean);
    expect(tasks).toHaveLength(10);
    for (const t of tasks) expect(t).toMatch(/^127\.0\.0\.1:5000\/dockercoins_worker:v0\.1 Running/);
  });

  it('check with no progress file after chapter 4 ticks every step of both chapters: steps later ones changed are recognised', async () => {
    // After chapter 4, chapter 3's "10 workers, then 0 for the benchmark" and chapter 4's "v0.01" no longer
    // hold as such: the later steps changed them, and check must not send the learner back.
    expect(await checkFromCluster('ch3')).toEqual({ exit: 0, notDone: [] });
    expect(await checkFromCluster('ch4')).toEqual({ exit: 0, notDone: [] });
  });

  it('reset right after chapter 4 leaves a clean engine; chapter 4 then says where it starts from; chapter 3 starts again at once', async () => {
    const reset = await cli(['reset', '--yes'], env);
    expect(reset.exitCode, String(reset.stdout) + String(reset.stderr)).toBe(0);
    expect(reset.stdout).toContain('removed image 127.0.0.1:5000/dockercoins_worker:v0.01');
    // The debug service's container held the tools image: reset waits for it instead of failing with a 409.
    expect(reset.stdout).toContain('removed image 127.0.0.1:5000/dockercoins_tools:v0.1');
    expect(reset.stdout).toContain('everything it removed is gone');
    expect((await docker(['service', 'ls', '-q'])).stdout.trim()).toBe('');
    expect((await docker(['ps', '-aq', '--filter', 'label=com.docker.swarm.service.id'])).stdout.trim()).toBe('');
    expect((await docker(['network', 'ls', '--filter', 'name=^dockercoins$', '-q'])).stdout.trim()).toBe('');
    for (const mode of [['run', 'ch4', '--yes'], ['check', 'ch4']]) {
      const r = await cli(mode, env);
      expect(r.exitCode, `${mode.join(' ')}: ${r.stdout}`).toBe(1);
      expect(r.stderr).toContain("ch4 starts where ch3 ends: chapter 3's registry, network and DockerCoins services running");
      expect(r.stderr).toContain('✗ a service worker exists');
      expect(r.stderr).toContain('→ get there with `swarm-workshop run ch3 --yes`');
      // Nothing ran: no step was started, no check of step 1 failed.
      expect(r.stdout).not.toContain('▶');
    }
    // No pause: port 5000 must already be free, the network name and the image tags too. The first steps
    // (registry, first push, the builds) show it; then Ctrl-C, as a learner would.
    const again = cli(['run', 'ch3', '--yes', '--json'], env);
    const done: string[] = [];
    let buffered = '';
    // Read to the end (stopping early would close the pipe under the CLI); Ctrl-C once three steps are done.
    for await (const chunk of again.stdout!) {
      buffered += String(chunk);
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const e of parseEvents(lines.join('\n'))) {
        if (e.type === 'step-finished') done.push(`${e.step}: ${e.status}${e.reason?.startsWith('already done') ? ' (already done)' : ''}`);
      }
      if (done.length >= 3 && !again.killed) again.kill('SIGINT');
    }
    const end = await again;
    expect(done.slice(0, 3)).toEqual(['registry-service: done', 'push-test-image: done', 'build-images: done']);
    expect(end.exitCode).toBe(130);
    console.log(figures.join('\n'));
  });
});
