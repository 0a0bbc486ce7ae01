import { checks as checkRegistry } from '../../checks/index.js';
import { measureMiningSpeed } from '../../checks/app.js';
import type { CheckContext, Params } from '../../checks/types.js';
import type { DockerClient } from '../docker/client.js';
import type { Profile } from '../docker/profile.js';
import { AbortError, BugError } from '../errors.js';
import type { Chapter, Step } from '../lesson/load.js';
import { displayCommand, fillText, renderCommand, type Variables } from '../lesson/template.js';
import { stepKey, type CreatedResource, type ProgressStore } from '../progress.js';
import { parseAb } from './ab.js';
import type { EventSink, StepStatus } from './events.js';
import { runCommand } from './executor.js';
import { evaluate, waitForChecks, type CheckVerdict, type ResolvedCheck } from './wait.js';

export interface RunnerDeps {
  docker: DockerClient;
  profile: Profile;
  /** Template variables of the profile (registry, publish flags, ...), plus the folders. */
  variables: Variables;
  /** Environment for the commands: the same DOCKER_HOST the API calls use. */
  env: NodeJS.ProcessEnv;
  paths: { workspace: string; package: string };
  store: ProgressStore;
  emit: EventSink;
  signal: AbortSignal;
  fetch?: typeof globalThis.fetch;
}

export interface RunOptions {
  /** `auto`: run each step's commands, then its checks. `check`: checks only (the learner types). */
  mode: 'auto' | 'check';
  /** Auto mode: require every step's checks to fail before the step runs (proves the lesson). */
  prove?: boolean;
  /** Check mode: how long to wait for the cluster to converge on the first unfinished step. */
  checkWaitMs?: number;
}

/** A step's checks could not be met. */
export class StepFailedError extends AbortError {}

/** Ctrl-C stopped the run. */
export class CancelledError extends AbortError {
  constructor(where: string) {
    super(`cancelled during ${where}; the running command was stopped and nothing else was run`, [
      'progress so far is kept: run the same command again to continue from the first unfinished step',
    ], 130);
  }
}

const MEASURE_WINDOW_SECONDS = 10;

/** The step's checks with their parameters filled in from the template variables. */
export function resolveChecks(step: Step, variables: Variables): ResolvedCheck[] {
  return step.checks.map(({ check, params }) => {
    const definition = checkRegistry.get(check);
    if (!definition) throw new BugError(`lesson ${step.file} names check ${check}, which lint should have rejected`);
    const filled: Params = {};
    for (const [name, value] of Object.entries(params)) {
      filled[name] = typeof value === 'string' ? fill(value, variables) : value;
    }
    return { definition, params: filled };
  });
}

function fill(value: string, variables: Variables): string {
  try {
    return fillText(value, variables);
  } catch (error) {
    // lint rejects unknown variables, so reaching this is our bug, not the author's.
    throw new BugError((error as Error).message);
  }
}

/** Services, networks and images a command made, read from its arguments and confirmed against Docker. */
async function createdBy(args: string[], docker: DockerClient): Promise<CreatedResource[]> {
  const at = new Date().toISOString();
  if (args[0] !== 'docker') return [];
  const [, group, verb] = args;
  if (group === 'service' && verb === 'create') {
    const i = args.findIndex((a) => a === '--name' || a.startsWith('--name='));
    const name = i < 0 ? undefined : args[i]!.includes('=') ? args[i]!.split('=')[1] : args[i + 1];
    const service = (await docker.services()).find((s) => s.name === name);
    return service ? [{ kind: 'service', id: service.id, name: service.name, at }] : [];
  }
  if (group === 'network' && verb === 'create') {
    const name = args[args.length - 1];
    const network = (await docker.networks()).find((n) => n.name === name);
    return network ? [{ kind: 'network', id: network.id, name: network.name, at }] : [];
  }
  if (group === 'build') {
    const i = args.indexOf('-t');
    return i > 0 && args[i + 1] ? [{ kind: 'image', ref: args[i + 1]!, at }] : [];
  }
  if (group === 'tag' && args[3]) return [{ kind: 'image', ref: args[3], at }];
  return [];
}

function forgetRemoved(args: string[], created: CreatedResource[]): CreatedResource[] {
  if (args[0] === 'docker' && args[1] === 'service' && (args[2] === 'rm' || args[2] === 'remove')) {
    const names = new Set(args.slice(3));
    return created.filter((r) => !(r.kind === 'service' && (names.has(r.name) || names.has(r.id))));
  }
  return created;
}

/** Runs chapters: commands through the executor, verdicts through the checks, all reported as events. */
export class ChapterRunner {
  constructor(private readonly deps: RunnerDeps) {}

  private context(): CheckContext {
    return {
      docker: this.deps.docker,
      profile: this.deps.profile,
      fetch: this.deps.fetch ?? globalThis.fetch,
      paths: this.deps.paths,
      signal: this.deps.signal,
    };
  }

  /** Variables for one command: the fixed ones, plus `debug` looked up now if the command uses it. */
  private async variablesFor(template: string): Promise<Variables> {
    if (!template.includes('${debug}')) return this.deps.variables;
    const containers = await this.deps.docker.containers({ label: ['com.docker.swarm.service.name=debug'] });
    const running = containers.find((c) => c.state === 'running');
    if (!running) {
      throw new AbortError('no running container of the debug service on this node', [
        'create it first (chapter 3, step "debug-service"), then check `docker service ps debug`',
      ]);
    }
    return { ...this.deps.variables, debug: running.id.slice(0, 12) };
  }

  private report(chapter: string, step: string, phase: 'before' | 'after', verdicts: CheckVerdict[]) {
    for (const v of verdicts) {
      this.deps.emit({
        type: 'check-result', chapter, step, check: v.check, title: v.title, phase,
        ok: v.ok, expected: v.expected, actual: v.actual, hint: v.ok ? undefined : v.hint,
      });
    }
  }

  private finish(chapter: string, step: string, status: StepStatus, started: number, reason?: string) {
    this.deps.emit({ type: 'step-finished', chapter, step, status, durationMs: Date.now() - started, reason });
    if (status === 'done' || status === 'skipped') {
      this.deps.store.update((p) => {
        p.steps[stepKey(chapter, step)] = { status, at: new Date().toISOString() };
      });
    }
  }

  async runChapter(chapter: Chapter, options: RunOptions): Promise<{ ok: boolean; done: number }> {
    const started = Date.now();
    const { emit, store } = this.deps;
    emit({ type: 'chapter-started', chapter: chapter.id, title: chapter.title, steps: chapter.steps.map((s) => ({ id: s.id, title: s.title })) });
    let done = 0;
    let ok = true;
    let firstUnfinished = true;
    try {
      for (const step of chapter.steps) {
        if (options.mode === 'check' && store.load().progress.steps[stepKey(chapter.id, step.id)]?.status === 'done') {
          emit({ type: 'step-finished', chapter: chapter.id, step: step.id, status: 'done', durationMs: 0, reason: 'done earlier' });
          done++;
          continue;
        }
        // In check mode only the first unfinished step may wait for the cluster to converge; the ones
        // after it are looked at once (the learner has most likely not done them yet).
        const passed = options.mode === 'auto'
          ? await this.runStep(chapter, step, options)
          : await this.checkStep(chapter, step, firstUnfinished ? (options.checkWaitMs ?? 10_000) : 0);
        firstUnfinished = false;
        if (!passed) {
          ok = false;
          break;
        }
        done++;
      }
    } catch (error) {
      if (this.deps.signal.aborted && !(error instanceof CancelledError)) throw new CancelledError(`chapter ${chapter.id}`);
      throw error;
    } finally {
      emit({ type: 'chapter-finished', chapter: chapter.id, ok: ok && done === chapter.steps.length, durationMs: Date.now() - started });
    }
    return { ok, done };
  }

  /** Check one step (the learner did it), waiting up to `waitMs` for the cluster to converge. */
  async checkStep(chapter: Chapter, step: Step, waitMs: number): Promise<boolean> {
    const started = Date.now();
    this.deps.emit({ type: 'step-started', chapter: chapter.id, step: step.id, title: step.title });
    const resolved = resolveChecks(step, this.deps.variables);
    const result = await waitForChecks(resolved, this.context(), { deadline: Date.now() + waitMs });
    this.report(chapter.id, step.id, 'after', result.verdicts);
    this.finish(chapter.id, step.id, result.ok ? 'done' : 'failed', started, result.ok ? undefined : 'checks not met yet');
    return result.ok;
  }

  /** Run one step's commands, then wait for its checks. */
  async runStep(chapter: Chapter, step: Step, options: Pick<RunOptions, 'prove'>): Promise<boolean> {
    const { emit, docker, store } = this.deps;
    const started = Date.now();
    emit({ type: 'step-started', chapter: chapter.id, step: step.id, title: step.title });
    const resolved = resolveChecks(step, this.deps.variables);

    // Before the step: its checks must fail (with --prove), or else the step is already done.
    const before = await evaluate(resolved, this.context());
    if (options.prove) {
      this.report(chapter.id, step.id, 'before', before);
      if (before.every((v) => v.ok)) {
        this.finish(chapter.id, step.id, 'failed', started, 'every check passed before the step ran: the step proves nothing');
        return false;
      }
    } else if (before.every((v) => v.ok)) {
      this.report(chapter.id, step.id, 'after', before);
      this.finish(chapter.id, step.id, 'done', started, 'already done: its checks pass');
      return true;
    }

    for (const [index, spec] of step.commands.entries()) {
      const args = renderCommand(spec.template, await this.variablesFor(spec.template));
      const command = displayCommand(args);
      const result = await runCommand(args, {
        env: this.deps.env,
        signal: this.deps.signal,
        timeoutMs: Math.max(step.timeout, 600) * 1000,
        onStart: (pid) => emit({ type: 'command-started', chapter: chapter.id, step: step.id, index, command, pid }),
        onOutput: (stream, text) => emit({ type: 'command-output', chapter: chapter.id, step: step.id, index, stream, text }),
      });
      emit({ type: 'command-finished', chapter: chapter.id, step: step.id, index, exitCode: result.exitCode, durationMs: result.durationMs });
      if (result.cancelled || this.deps.signal.aborted) throw new CancelledError(`step ${step.id} (${command})`);
      if (result.exitCode !== 0) {
        const why = result.timedOut ? 'timed out' : `exited with code ${result.exitCode}`;
        this.finish(chapter.id, step.id, 'failed', started, `\`${command}\` ${why}: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`);
        return false;
      }
      const made = await createdBy(args, docker);
      store.update((p) => {
        p.created = forgetRemoved(args, p.created);
        for (const r of made) {
          const same = (x: CreatedResource) => (r.kind === 'image' ? x.kind === 'image' && x.ref === r.ref : x.kind === r.kind && 'id' in x && x.id === r.id);
          if (!p.created.some(same)) p.created.push(r);
        }
      });
      if (spec.record) {
        const name = spec.record.replace(/^ab:/, '');
        const ab = parseAb(result.stdout);
        emit({ type: 'ab-result', chapter: chapter.id, step: step.id, name, command, result: ab });
        store.update((p) => {
          p.ab[name] = ab;
        });
      }
    }

    const after = await waitForChecks(resolved, this.context(), { deadline: Date.now() + step.timeout * 1000 });
    this.report(chapter.id, step.id, 'after', after.verdicts);
    if (!after.ok) {
      this.finish(chapter.id, step.id, 'failed', started, after.timedOut ? `checks still failing after ${step.timeout} s` : 'checks failed');
      return false;
    }
    if (step.measure === 'mining-speed') {
      const value = await measureMiningSpeed(this.context(), MEASURE_WINDOW_SECONDS);
      emit({ type: 'measurement', chapter: chapter.id, step: step.id, name: 'mining-speed', value, unit: 'hashes/s' });
      store.update((p) => {
        p.measurements.push({ chapter: chapter.id, step: step.id, name: 'mining-speed', value, unit: 'hashes/s', at: new Date().toISOString() });
      });
    }
    this.finish(chapter.id, step.id, 'done', started);
    return true;
  }
}
