/**
 * A learner who follows the articles (../shared/seeds/) by hand, next to the workshop: their commands, in
 * their spelling (test/by-hand/articles.yaml), typed in bash against the real engine, with `swarm-workshop
 * check` after each step; and before each step's right commands, the plausible mistakes of that step
 * (test/by-hand/mistakes.yaml), each of which must not pass and must be named by what check says.
 *
 * After both chapters, `check` with no progress file (a learner who never checked, or a second machine)
 * must tick every step of both; then a service removed by hand must be seen: check says the step no
 * longer holds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../runner/paths.js';
import { cli, parseEvents } from '../support/cli.js';
import { docker, emptyWorkshop, requireTestEngine } from '../support/engine.js';
import { checkFromFreshHome, failures, learner } from '../support/learner.js';

type Script = Record<string, Record<string, string[]>>;
interface Mistake { step: string; mistake: string; type: string[]; says: string; undo: string[] }

const byHand = join(packageRoot, 'test', 'by-hand');
const script = parse(readFileSync(join(byHand, 'articles.yaml'), 'utf8')) as Script;
const mistakes = parse(readFileSync(join(byHand, 'mistakes.yaml'), 'utf8')) as Mistake[];

describe('the articles\' commands typed by hand, with the usual mistakes, judged by `swarm-workshop check`', () => {
  const me = learner();
  beforeAll(async () => {
    await requireTestEngine();
    await emptyWorkshop();
  });

  it('names at least 15 kinds of mistake, each at a step of the lessons', () => {
    expect(mistakes.length).toBeGreaterThanOrEqual(15);
    for (const m of mistakes) expect(Object.keys(script[m.step.split('/')[0]!] ?? {})).toContain(m.step.split('/')[1]);
  });

  for (const chapter of ['ch3', 'ch4']) {
    it(`${chapter}: each mistake does not pass and is named; the articles' commands then pass each step`, async () => {
      const steps = Object.entries(script[chapter]!);
      // Chapter 4's first check makes the learner's copy of the source (the workspace) for them.
      if (chapter === 'ch4') await me.check('ch4', 0);
      const report: string[] = [];
      for (const [step, commands] of steps) {
        for (const m of mistakes.filter((x) => x.step === `${chapter}/${step}`)) {
          for (const line of m.type) await me.type(line, { mayFail: true });
          const r = await me.check(chapter, 5);
          // The message may come from the step itself or from an earlier step the mistake undid (a failed
          // re-create leaves the service missing), or from the notice about names in use.
          const said = r.all;
          report.push(`${step}: ${m.mistake}: ${r.status.get(step)}, ${said.includes(m.says) ? 'named' : `NOT NAMED (check said: ${said.replace(/\n+/g, ' | ').slice(0, 600)})`}`);
          expect.soft(r.status.get(step), `${step}, mistake "${m.mistake}"`).not.toBe('done');
          expect.soft(said, `${step}, mistake "${m.mistake}"`).toContain(m.says);
          for (const line of m.undo) await me.type(line);
        }
        for (const line of commands) await me.type(line);
        const r = await me.check(chapter, 90);
        report.push(`${step}: the articles' commands: ${r.status.get(step)}`);
        expect({ step, status: r.status.get(step), failures: failures(r.events, step) }).toEqual({ step, status: 'done', failures: [] });
        if (step === 'rolling-update') {
          // Check mode judges the speed-up against the speed it kept when chapter 3's scaling ticked,
          // and says the ratio.
          const speedUp = r.events.find((e) => e.type === 'check-result' && e.step === step && e.check === 'speed-up');
          const said = speedUp && speedUp.type === 'check-result' ? { expected: speedUp.expected, actual: speedUp.actual } : undefined;
          expect(said?.expected, 'the speed before, kept by check mode').toMatch(/x the [\d.]+ measured at /);
          expect(said?.actual).toMatch(/^[\d.]+ hashes\/s \(x[\d.]+ the speed before\)$/);
          report.push(`${step}: speed-up: ${said?.actual}`);
        }
      }
      console.log(report.join('\n'));
    }, 25 * 60_000);
  }

  it('after both chapters: check with no progress file ticks every step; a service removed afterwards is seen; reset takes the articles\' spelling too', async () => {
    // A learner who typed everything and never ran check, or checks from a second machine: no progress
    // file, only the cluster and the edited workspace.
    for (const chapter of ['ch3', 'ch4']) {
      const r = await checkFromFreshHome(me.env, chapter, 90);
      expect({ chapter, notDone: r.notDone, exitCode: r.exitCode, failures: r.failures }).toEqual({ chapter, notDone: [], exitCode: 0, failures: [] });
      expect([...r.status.keys()]).toEqual(Object.keys(script[chapter]!));
    }

    await docker(['service', 'rm', 'webui']);
    const after = await me.check('ch3', 0);
    expect(after.status.get('publish-webui')).toBe('failed');
    expect(after.said.get('publish-webui')!.join('\n')).toMatch(/no longer holds: .*no service named webui.*since you finished this step/);
    expect(after.status.get('registry-service')).toBe('done');
    const list = await cli(['list'], me.env);
    expect(String(list.stdout)).toMatch(/^ {4}publish-webui/m);
    expect(String(list.stdout)).toMatch(/^ {2}✓ registry-service/m);

    // reset offers what the learner typed in the articles' spelling too (localhost:5000 tags), and leaves
    // nothing of it behind.
    const reset = await cli(['reset', '--yes'], me.env);
    expect(reset.exitCode, String(reset.stderr)).toBe(0);
    expect(reset.stdout).toContain('removed image localhost:5000/dockercoins_worker:v0.01');
    expect(reset.stdout).toContain('removed network dockercoins (');
    const left = (await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter((t) => /^localhost:5000\/dockercoins_/.test(t));
    expect({ services: (await docker(['service', 'ls', '-q'])).stdout.trim(), left }).toEqual({ services: '', left: [] });
  }, 15 * 60_000);
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
