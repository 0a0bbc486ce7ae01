/**
 * A learner at a shell, for the tests that type commands by hand: a home of their own (progress,
 * workspace), bash with the shell variables of test/by-hand/articles.yaml, and `swarm-workshop check`.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { defaultProfile, endpointArgs, probeIpvs, publishArgs, type Profile } from '../../runner/docker/profile.js';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { dockercoinsDir, packageRoot } from '../../runner/paths.js';
import { cli, parseEvents } from './cli.js';
import { docker, eventually, testDockerHost } from './engine.js';

export const profile: Profile = { ...defaultProfile, ipvs: probeIpvs() };

/** The failing checks of a step, leaving out history (what a later step changed, rightly). */
export const failures = (events: WorkshopEvent[], step: string) =>
  events.flatMap((e) => (e.type === 'check-result' && e.step === step && !e.ok && !e.history ? [`${e.title}: ${e.actual}`] : []));

/** Where the learner's shell runs: this machine (the test engine by DOCKER_HOST), or a node of the lab. */
export interface LearnerOptions {
  /** The learner's environment for `swarm-workshop` (its SWARM_WORKSHOP_HOME is the home); a fresh one by default. */
  env?: NodeJS.ProcessEnv;
  /**
   * A shell in this container, as `lab shell node1` opens it (`docker exec` into the node, a login shell
   * in /root): the node's own docker CLI and engine. `hostEnv` reaches the engine the container runs on.
   */
  onNode?: { container: string; hostname: string; hostEnv: NodeJS.ProcessEnv };
  /** Without a routing mesh on several nodes, the web UI stays on this node (as the lessons' command box does). */
  pinWebuiTo?: string;
}

/** A learner's home (progress, workspace) and a shell with the variables of articles.yaml. */
export function learner(options: LearnerOptions = {}) {
  const env: NodeJS.ProcessEnv = options.env
    ?? { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: testDockerHost(), SWARM_WORKSHOP_HOME: mkdtempSync(join(tmpdir(), 'sw-articles-')) };
  const home = env.SWARM_WORKSHOP_HOME!;
  const variables: Record<string, string> = {
    PUBLISH_REGISTRY: publishArgs(profile, 5000, 5000).join(' '),
    PUBLISH_WEBUI: [...publishArgs(profile, 8000, 80), ...(options.pinWebuiTo ? ['--constraint', `node.hostname==${options.pinWebuiTo}`] : [])].join(' '),
    ENDPOINT_MODE: endpointArgs(profile).join(' '),
    DOCKERCOINS: dockercoinsDir,
    WORKSPACE: join(home, 'workspace', 'dockercoins'),
  };
  const prelude = 'DEBUG() { docker ps -q --filter label=com.docker.swarm.service.name=debug | head -1; }\n';
  const once = async (line: string) => {
    const script = `${prelude}set -e\n${line}`;
    const node = options.onNode;
    if (node) {
      const vars = Object.entries({ ...variables, MANAGER: node.hostname }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      return execa('docker', ['exec', '-i', '-w', '/root', ...vars, node.container, 'bash', '-lc', script], {
        env: node.hostEnv, extendEnv: false, reject: false, timeout: 10 * 60_000, all: true,
      });
    }
    const manager = (await docker(['info', '--format', '{{.Name}}'])).stdout.trim();
    return execa('bash', ['-c', script], { env: { ...env, ...variables, MANAGER: manager }, extendEnv: false, reject: false, timeout: 10 * 60_000, all: true });
  };
  /**
   * Type one command line (or a multi-line snippet) in bash; returns its exit code and output. With
   * `retryForMs`, a line that fails is typed again a moment later, as a learner would (a task just started
   * whose DNS does not know the others yet), within that bound.
   */
  const type = async (line: string, { mayFail = false, retryForMs = 0 } = {}) => {
    const deadline = Date.now() + retryForMs;
    for (;;) {
      const r = await once(line);
      if (r.exitCode === 0 || mayFail) return r;
      if (Date.now() >= deadline) throw new Error(`\`${line}\`${options.onNode ? ` on ${options.onNode.hostname}` : ''} failed (exit ${r.exitCode}):\n${String(r.all).slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
  };
  const check = (chapter: string, waitSeconds: number) => checkAs(env, chapter, waitSeconds);
  return { home, env, type, check, workspace: variables.WORKSPACE! };
}
export type Learner = ReturnType<typeof learner>;

type Script = Record<string, Record<string, string[]>>;
interface Mistake { step: string; mistake: string; when?: 'no-ipvs'; type: string[]; says: string; undo: string[] }
const byHand = join(packageRoot, 'test', 'by-hand');
/** The articles' commands, step by step, in their spelling (test/by-hand/articles.yaml). */
export const articles = parse(readFileSync(join(byHand, 'articles.yaml'), 'utf8')) as Script;
/** The plausible mistakes, each at its step (test/by-hand/mistakes.yaml). */
export const mistakes = parse(readFileSync(join(byHand, 'mistakes.yaml'), 'utf8')) as Mistake[];

/**
 * A chapter typed by hand as the articles print it, `check` after each step. Before each step's right
 * commands, that step's mistakes: each must not pass and must be named by what check says, then is
 * undone. After the right commands the step ticks, and so does every step before it (check never sends
 * the learner back). `afterStep` runs after a step has ticked (a fault in the middle of the chapter, say).
 * Returns a report, a line per mistake and per step.
 */
export async function typeChapter(me: Learner, chapter: 'ch3' | 'ch4', afterStep?: (step: string, report: string[]) => Promise<void>): Promise<string[]> {
  const steps = Object.entries(articles[chapter]!);
  // Chapter 4's first check makes the learner's copy of the source (the workspace) for them.
  if (chapter === 'ch4') await me.check('ch4', 0);
  const report: string[] = [];
  for (const [index, [step, commands]] of steps.entries()) {
    const startedAt = Date.now();
    for (const m of mistakes.filter((x) => x.step === `${chapter}/${step}`)) {
      if (m.when === 'no-ipvs' && profile.ipvs) {
        report.push(`${step}: ${m.mistake}: not typed (a mistake only without IPVS; this kernel has it)`);
        continue;
      }
      for (const line of m.type) await me.type(line, { mayFail: true });
      const r = await me.check(chapter, 5);
      // The message may come from the step itself or from an earlier step the mistake undid (a failed
      // re-create leaves the service missing), or from the notice about names in use.
      const said = r.all;
      report.push(`${step}: ${m.mistake}: ${r.status.get(step)}, ${said.includes(m.says) ? 'named' : `NOT NAMED (check said: ${said.replace(/\n+/g, ' | ').slice(0, 600)})`}`);
      // Judged, and not passed (a step check never reached has no status at all).
      expect.soft(['failed', 'pending'], `${step}, mistake "${m.mistake}": ${r.status.get(step)}`).toContain(r.status.get(step));
      expect.soft(said, `${step}, mistake "${m.mistake}"`).toContain(m.says);
      for (const line of m.undo) await me.type(line);
    }
    const typedAt = Date.now();
    for (const line of commands) await me.type(line);
    const r = await me.check(chapter, 90);
    const secs = (ms: number) => (ms / 1000).toFixed(0);
    report.push(`${step}: the articles' commands: ${r.status.get(step)} (mistakes ${secs(typedAt - startedAt)} s, the step ${secs(Date.now() - typedAt)} s)`);
    const behind = steps.slice(0, index).map(([id]) => id).filter((id) => r.status.get(id) !== 'done');
    expect({ step, status: r.status.get(step), failures: failures(r.events, step), behind }, `check said:\n${r.all.slice(0, 3000)}`)
      .toEqual({ step, status: 'done', failures: [], behind: [] });
    if (step === 'rolling-update') {
      // Check mode judges the speed-up against the speed it kept when chapter 3's scaling ticked, and says the ratio.
      const speedUp = r.events.find((e) => e.type === 'check-result' && e.step === step && e.check === 'speed-up');
      const judged = speedUp && speedUp.type === 'check-result' ? { expected: speedUp.expected, actual: speedUp.actual } : undefined;
      expect(judged?.expected, 'the speed before, kept by check mode').toMatch(/x the [\d.]+ measured at /);
      expect(judged?.actual).toMatch(/^[\d.]+ hashes\/s \(x[\d.]+ the speed before\)$/);
      report.push(`${step}: speed-up: ${judged?.actual}`);
    }
    await afterStep?.(step, report);
  }
  return report;
}

/** `check CH --json` as a learner with this environment: the step-finished events by step, and everything check said about each step. */
export async function checkAs(env: NodeJS.ProcessEnv, chapter: string, waitSeconds: number) {
  const r = await cli(['check', chapter, '--json', '--wait', String(waitSeconds)], env);
  const events = parseEvents(String(r.stdout));
  const status = new Map<string, string>();
  const said = new Map<string, string[]>();
  for (const e of events) {
    if (e.type === 'step-finished') {
      status.set(e.step, e.status);
      said.set(e.step, [...(said.get(e.step) ?? []), e.reason ?? '']);
    }
    if (e.type === 'check-result' && !e.ok) said.set(e.step, [...(said.get(e.step) ?? []), e.actual, e.hint ?? '']);
  }
  // Everything check said that is not a pass: every failing check of every step, the steps' reasons and
  // its notices (names in use).
  const all = [...said.values()].flat().join('\n') + `\n${String(r.stderr)}`;
  return { exitCode: r.exitCode, stderr: String(r.stderr), events, status, said, all };
}


/**
 * `check` again and again (no --wait: the next step is not typed yet) until every step of `steps` ticks,
 * within `timeoutMs`; what still does not, with what check said of it (empty when all tick).
 */
export async function checkUntilDone(env: NodeJS.ProcessEnv, chapter: string, steps: string[], timeoutMs: number, waitSeconds = 0): Promise<string[]> {
  let notDone: string[] = [];
  await eventually(`${chapter}: ${steps.length} step(s) ticking`, async () => {
    const r = await checkAs(env, chapter, waitSeconds);
    notDone = steps.filter((s) => r.status.get(s) !== 'done').map((s) => `${s}: ${r.said.get(s)?.join(' ')}`);
    return notDone.length ? undefined : true;
  }, { timeoutMs }).catch(() => undefined);
  return notDone;
}

/**
 * `check` as the same learner with no progress file (a lost one, or a second machine): a home of its own,
 * with a copy of the edited workspace, so only the cluster and the learner's files decide.
 */
export async function checkFromFreshHome(env: NodeJS.ProcessEnv, chapter: string, waitSeconds: number) {
  const fresh = { ...env, SWARM_WORKSHOP_HOME: mkdtempSync(join(tmpdir(), 'sw-fresh-check-')) };
  const workspace = join(env.SWARM_WORKSHOP_HOME!, 'workspace');
  if (existsSync(workspace)) cpSync(workspace, join(fresh.SWARM_WORKSHOP_HOME, 'workspace'), { recursive: true });
  const r = await checkAs(fresh, chapter, waitSeconds);
  const notDone = [...r.status].filter(([, s]) => s !== 'done').map(([step]) => step);
  return { ...r, notDone, failures: notDone.flatMap((step) => failures(r.events, step)) };
}
