/**
 * A learner who follows the articles (../shared/seeds/) by hand, next to the workshop: their commands, in
 * their spelling (test/by-hand/articles.yaml), with the plausible mistakes of each step
 * (test/by-hand/mistakes.yaml).
 *
 * The chapters typed in full, each mistake judged by `swarm-workshop check`, run once per test run on the
 * lab's node1, where the articles ran them: several nodes (test/e2e/lab.test.ts). Here, on the test
 * engine's own swarm: that every mistake sits at a step, and a learner who typed half of chapter 3 (one
 * step wrong) catching up with `run --to`.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { cli, parseEvents } from '../support/cli.js';
import { emptyWorkshop, requireTestEngine } from '../support/engine.js';
import { articles as script, learner, mistakes } from '../support/learner.js';

describe('the articles\' commands and the usual mistakes', () => {
  it('names at least 15 kinds of mistake, each at a step of the lessons', () => {
    expect(mistakes.length).toBeGreaterThanOrEqual(15);
    for (const m of mistakes) {
      expect(Object.keys(script[m.step.split('/')[0]!] ?? {})).toContain(m.step.split('/')[1]);
      expect([undefined, 'no-ipvs'], `${m.step}: ${m.mistake}`).toContain(m.when);
      expect(m.says.trim(), `${m.step}: ${m.mistake}`).not.toBe('');
    }
  });
});

describe('catching up: `run --to` from a half-typed chapter 3', () => {
  const me = learner();
  beforeAll(async () => {
    await requireTestEngine();
    await emptyWorkshop();
  });

  it('does only what is missing, re-creates what is wrong, and leaves the cluster where step 9 starts', async () => {
    // Steps 1 to 5 typed as the articles print them; redis without its network (a mistake); of step 7,
    // only hasher.
    for (const step of ['registry-service', 'push-test-image', 'build-images', 'push-images', 'overlay-network']) {
      for (const line of script.ch3![step]!) await me.type(line);
    }
    await me.type('docker service create --name redis $ENDPOINT_MODE redis');
    await me.type('docker service create --network dockercoins --name hasher $ENDPOINT_MODE localhost:5000/dockercoins_hasher:v0.1');

    const r = await cli(['run', 'ch3', '--yes', '--json', '--to', 'scale-workers'], me.env);
    const events = parseEvents(String(r.stdout));
    const finished = events.flatMap((e) => (e.type === 'step-finished' ? [`${e.step}: ${e.status}${e.reason ? ` (${e.reason})` : ''}`] : []));
    expect({ exit: r.exitCode, stderr: String(r.stderr).slice(-1000) }).toEqual({ exit: 0, stderr: '' });
    expect(finished).toEqual([
      'registry-service: done (already there: its checks hold)',
      'push-test-image: done (already there: its checks hold)',
      'build-images: done (already there: its checks hold)',
      'push-images: done (already there: its checks hold)',
      'overlay-network: done (already there: its checks hold)',
      'redis-service: done (caught up)',
      'app-services: done (caught up)',
      'publish-webui: done (caught up)',
    ]);
    // redis was on no network: removed and created again, as the lesson does; hasher was right and stays.
    const started = events.flatMap((e) => (e.type === 'command-started' ? [e.command] : []));
    expect(started).toContain('docker service rm redis');
    expect(started).not.toContain('docker service rm hasher');
    const said = events.flatMap((e) => (e.type === 'command-output' ? [e.text] : [])).join('');
    expect(said).toContain('catching up: hasher is there as this step makes it, kept');
    expect(started.filter((c) => c.startsWith('docker service scale'))).toEqual([]);

    const after = await me.check('ch3', 0);
    expect([...after.status].map(([step, status]) => `${step}: ${status}`).slice(0, 9)).toEqual([
      'registry-service: done', 'push-test-image: done', 'build-images: done', 'push-images: done', 'overlay-network: done',
      'redis-service: done', 'app-services: done', 'publish-webui: done', 'scale-workers: failed',
    ]);
  }, 15 * 60_000);
});
