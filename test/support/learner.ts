/**
 * A learner at a shell, for the tests that type commands by hand: a home of their own (progress,
 * workspace), bash with the shell variables of test/by-hand/articles.yaml, and `swarm-workshop check`.
 */
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { defaultProfile, endpointArgs, probeIpvs, publishArgs, type Profile } from '../../runner/docker/profile.js';
import type { WorkshopEvent } from '../../runner/engine/events.js';
import { dockercoinsDir } from '../../runner/paths.js';
import { cli, parseEvents } from './cli.js';
import { docker, eventually, testDockerHost } from './engine.js';

export const profile: Profile = { ...defaultProfile, ipvs: probeIpvs() };

/** The failing checks of a step, leaving out history (what a later step changed, rightly). */
export const failures = (events: WorkshopEvent[], step: string) =>
  events.flatMap((e) => (e.type === 'check-result' && e.step === step && !e.ok && !e.history ? [`${e.title}: ${e.actual}`] : []));

/** A learner's home (progress, workspace) and the shell variables of articles.yaml. */
export function learner() {
  const home = mkdtempSync(join(tmpdir(), 'sw-articles-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: testDockerHost(), SWARM_WORKSHOP_HOME: home };
  const shellEnv = {
    ...env,
    PUBLISH_REGISTRY: publishArgs(profile, 5000, 5000).join(' '),
    PUBLISH_WEBUI: publishArgs(profile, 8000, 80).join(' '),
    ENDPOINT_MODE: endpointArgs(profile).join(' '),
    DOCKERCOINS: dockercoinsDir,
    WORKSPACE: join(home, 'workspace', 'dockercoins'),
  };
  const prelude = 'DEBUG() { docker ps -q --filter label=com.docker.swarm.service.name=debug | head -1; }\n';
  /** Type one command line (or a multi-line snippet) in bash; returns its exit code and output. */
  const type = async (line: string, options: { mayFail?: boolean } = {}) => {
    const manager = (await docker(['info', '--format', '{{.Name}}'])).stdout.trim();
    const r = await execa('bash', ['-c', `${prelude}set -e\n${line}`], { env: { ...shellEnv, MANAGER: manager }, extendEnv: false, reject: false, timeout: 10 * 60_000, all: true });
    if (!options.mayFail && r.exitCode !== 0) throw new Error(`\`${line}\` failed (exit ${r.exitCode}):\n${r.all}`);
    return r;
  };
  const check = (chapter: string, waitSeconds: number) => checkAs(env, chapter, waitSeconds);
  return { home, env, type, check, workspace: shellEnv.WORKSPACE };
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
