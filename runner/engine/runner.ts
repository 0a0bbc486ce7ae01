import pLimit from 'p-limit';
import { checks as checkRegistry } from '../../checks/index.js';
import { measureMiningSpeed } from '../../checks/app.js';
import type { CheckContext, Params } from '../../checks/types.js';
import type { DockerClient } from '../docker/client.js';
import type { Profile } from '../docker/profile.js';
import { AbortError, BugError } from '../errors.js';
import { say } from '../i18n/messages.js';
import type { Chapter, Step } from '../lesson/load.js';
import { displayCommand, fillText, renderCommand, type Variables } from '../lesson/template.js';
import { parseAb } from './ab.js';
import type { EventSink, StepStatus, WorkshopEvent } from './events.js';
import { runCommand, type CommandResult } from './executor.js';
import { createsObject, imagesMade, optionValues, removes } from './resources.js';
import { evaluate, sleep, waitForChecks, type CheckVerdict, type ResolvedCheck } from './wait.js';

export interface RunnerDeps {
  docker: DockerClient;
  profile: Profile;
  /** Template variables of the profile (registry, publish flags, ...), plus the folders. */
  variables: Variables;
  /** Environment for the commands: the same DOCKER_HOST the API calls use. */
  env: NodeJS.ProcessEnv;
  paths: { workspace: string; package: string };
  /** What the progress file says of a step, and when (check mode tells drift from work not done yet). */
  previously?: (chapter: string, step: string) => { status: StepStatus; at?: string } | undefined;
  /** Every chapter: check mode looks at later chapters' steps named by `changed-by`. */
  chapters?: Chapter[];
  /** Where everything that happens goes: printers, the UI's reducer, progress, the board. */
  emit: EventSink;
  signal: AbortSignal;
  fetch?: typeof globalThis.fetch;
  /** Figures kept in progress (by `chapter/step` and name): the speed before a fix, for the speed-up check. */
  recorded?: (step: string, name: string) => number | undefined;
  /**
   * A command that must run on the engine's machine rather than here (curl to 127.0.0.1, when the engine
   * is a lab node or a remote manager): the arguments to run instead, or undefined to run it as it is.
   */
  onEngine?: (args: string[]) => string[] | undefined;
  /** Seconds between the two samples of a mining-speed measure (10; tests use less). */
  measureWindowSeconds?: number;
}

export interface RunOptions {
  /** `auto`: run each step's commands, then its checks. `check`: checks only (the learner types). */
  mode: 'auto' | 'check';
  /** Auto mode: require every step's checks to fail before the step runs (proves the lesson). */
  prove?: boolean;
  /** Check mode: how long to wait for the cluster to converge on the first unfinished step. */
  checkWaitMs?: number;
  /**
   * Auto mode, catching up: bring the cluster to where this step (an id) starts, from whatever state it is
   * in, and stop there. Steps whose checks already hold are left alone; the others run, re-creating what
   * is there in the wrong shape; benchmarks and measurements are not run, and the output says so.
   */
  to?: string;
}

/** A step's checks could not be met. */
export class StepFailedError extends AbortError {}

/** Ctrl-C stopped the run. */
export class CancelledError extends AbortError {
  constructor(where: string) {
    super(say('runner.cancelled', { where }), [say('runner.cancelledHint')], 130);
  }
}

const MEASURE_WINDOW_SECONDS = 10;

/** The step's checks with their parameters filled in from the template variables. */
export function resolveChecks(step: Pick<Step, 'checks' | 'file'>, variables: Variables): ResolvedCheck[] {
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
      recorded: (step, name) => this.measured.get(`${step}#${name}`) ?? this.deps.recorded?.(step, name),
    };
  }

  /** Figures measured in this run, by `chapter/step#name`: the newest wins. */
  private readonly measured = new Map<string, number>();

  /** Variables for one command: the fixed ones, plus `debug` looked up now if the command uses it. */
  private async variablesFor(template: string): Promise<Variables> {
    if (!template.includes('${debug}')) return this.deps.variables;
    const containers = await this.deps.docker.containers({ label: ['com.docker.swarm.service.name=debug'] });
    const running = containers.find((c) => c.state === 'running');
    if (!running) {
      throw new AbortError(say('runner.noDebug'), [say('runner.noDebugHint')]);
    }
    return { ...this.deps.variables, debug: running.id.slice(0, 12) };
  }

  private report(chapter: string, step: string, phase: 'before' | 'after', verdicts: (CheckVerdict & { history?: string })[]) {
    for (const v of verdicts) {
      this.deps.emit({
        type: 'check-result', chapter, step, check: v.check, title: v.title, phase,
        ok: v.ok, expected: v.expected, actual: v.actual, hint: v.ok || v.history ? undefined : v.hint,
        ...(v.history && !v.ok ? { history: v.history } : {}),
      });
    }
  }

  private finish(chapter: string, step: string, status: StepStatus, started: number, reason?: string, extra: Partial<Extract<WorkshopEvent, { type: 'step-finished' }>> = {}) {
    this.deps.emit({ type: 'step-finished', chapter, step, status, durationMs: Date.now() - started, reason, ...extra });
  }

  async runChapter(chapter: Chapter, options: RunOptions): Promise<{ ok: boolean; done: number; failure?: 'command' | 'checks' }> {
    this.current = chapter.id;
    if (options.mode === 'check') return this.checkChapter(chapter, options.checkWaitMs ?? 10_000);
    const started = Date.now();
    const { emit } = this.deps;
    emit({ type: 'chapter-started', chapter: chapter.id, title: chapter.title, steps: chapter.steps.map((s) => ({ id: s.id, title: s.title })) });
    let done = 0;
    let ok = true;
    let failure: 'command' | 'checks' | undefined;
    const stopAt = options.to === undefined ? chapter.steps.length : chapter.steps.findIndex((st) => st.id === options.to);
    if (stopAt < 0) throw new BugError(`--to ${options.to}: no such step in ${chapter.id} (run.ts checks this)`);
    try {
      for (const [i, step] of chapter.steps.entries()) {
        if (i >= stopAt) break;
        const outcome = options.to === undefined ? await this.runStep(chapter, step, options) : await this.catchUpStep(chapter, step, chapter.steps.slice(i + 1, stopAt));
        if (outcome !== 'done') {
          ok = false;
          failure = outcome;
          break;
        }
        done++;
      }
    } catch (error) {
      if (this.deps.signal.aborted && !(error instanceof CancelledError)) throw new CancelledError(say('runner.where.chapter', { chapter: chapter.id }));
      throw error;
    } finally {
      emit({ type: 'chapter-finished', chapter: chapter.id, ok: ok && done === stopAt, durationMs: Date.now() - started });
    }
    return { ok, done, failure };
  }

  /**
   * Run one command of a step and record what it made or removed. `failed` says why when it did not
   * succeed; Ctrl-C throws.
   */
  private async execute(chapter: Chapter, step: Step, index: number, args: string[], command: string): Promise<{ result: CommandResult; failed?: string }> {
    const { docker } = this.deps;
    const kind = createsObject(args);
    const existing = kind ? new Set((kind === 'service' ? await docker.services() : await docker.networks()).map((o) => o.id)) : undefined;
    const result = await this.runOne(chapter, step, index, args, command);
    this.deps.emit({ type: 'command-finished', chapter: chapter.id, step: step.id, index, exitCode: result.exitCode, durationMs: result.durationMs });
    if (result.cancelled || this.deps.signal.aborted) throw new CancelledError(say('runner.where.step', { step: step.id, command }));
    if (result.exitCode !== 0) {
      const why = result.timedOut ? say('runner.timedOut') : say('runner.exited', { code: result.exitCode });
      return { result, failed: say('runner.commandFailed', { command, why, stderr: result.stderr.trim().split('\n').slice(-2).join(' ') }) };
    }
    await this.recordResources(chapter, step, args, existing);
    return { result };
  }

  /**
   * Catching up (`run --to`): one step before the target. Its checks are looked at first, leaving out those
   * a step still to come before the target changes anyway (scaling the workers to 10, when the benchmark
   * then scales them to 0); if the rest hold, the step is left as it is. Otherwise its commands run, with
   * what is in the way cleared first and said: a service the step creates that exists in the wrong shape
   * is removed and created again, a network that exists is kept, a removal of what is not there is skipped;
   * a benchmark (a command that records its output) and the mining-speed measure are not run.
   */
  private async catchUpStep(chapter: Chapter, step: Step, later: Step[]): Promise<StepOutcome> {
    const { emit, docker } = this.deps;
    const started = Date.now();
    const laterKeys = new Set(later.map((l) => `${chapter.id}/${l.id}`));
    const relevant = step.checks.flatMap((ref, k) => (ref.changedBy?.some((key) => laterKeys.has(key)) ? [] : [k]));
    const resolved = resolveChecks(step, this.deps.variables);
    emit({ type: 'step-started', chapter: chapter.id, step: step.id, title: step.title });
    const now = await evaluate(relevant.map((k) => resolved[k]!), this.context());
    if (now.every((v) => v.ok)) {
      this.report(chapter.id, step.id, 'after', now);
      this.finish(chapter.id, step.id, 'done', started, say('runner.alreadyThere'));
      return 'done';
    }
    const tell = (index: number, text: string) => emit({ type: 'command-output', chapter: chapter.id, step: step.id, index, stream: 'stderr', text: `${say('runner.catchingUp', { text })}\n` });
    /** A command not run, shown as run with what was done instead. */
    const notice = (index: number, command: string, text: string) => {
      emit({ type: 'command-started', chapter: chapter.id, step: step.id, index, command });
      tell(index, text);
      emit({ type: 'command-finished', chapter: chapter.id, step: step.id, index, exitCode: 0, durationMs: 0 });
    };
    const skipped: string[] = [];
    for (const [index, spec] of step.commands.entries()) {
      const args = renderCommand(spec.template, await this.variablesFor(spec.template).catch(() => ({ ...this.deps.variables, debug: '<debug>' })));
      const command = displayCommand(args);
      if (spec.record) {
        skipped.push(command);
        continue;
      }
      const kind = createsObject(args);
      if (kind === 'service') {
        const name = optionValues(args, undefined, 'name')[0];
        const there = name && (await docker.services()).find((x) => x.name === name);
        // What this step checks of that service: if it holds, the service is kept as it is.
        const about = resolved.filter((c, k) => relevant.includes(k) && c.params.service === name);
        if (there && about.length && (await evaluate(about, this.context())).every((v) => v.ok)) {
          notice(index, command, say('runner.keptService', { name }));
          continue;
        }
        if (there) {
          const t = Date.now();
          emit({ type: 'command-started', chapter: chapter.id, step: step.id, index, command: `docker service rm ${name}` });
          tell(index, say('runner.recreated', { name }));
          await docker.removeService(there.id);
          await this.waitGone(name);
          emit({ type: 'command-finished', chapter: chapter.id, step: step.id, index, exitCode: 0, durationMs: Date.now() - t });
          emit({ type: 'resource-removed', chapter: chapter.id, step: step.id, kind: 'service', names: [name] });
        }
      } else if (kind === 'network') {
        const name = args[args.length - 1]!;
        if ((await docker.networks()).some((n) => n.name === name)) {
          notice(index, command, say('runner.keptNetwork', { name }));
          continue;
        }
      } else {
        const removal = removes(args);
        if (removal?.kind === 'service') {
          const services = new Set((await docker.services()).map((x) => x.name));
          if (!removal.names.some((n) => services.has(n))) {
            notice(index, command, say('runner.nothingToRemove', { names: removal.names.join(', ') }));
            continue;
          }
        }
      }
      const { failed } = await this.execute(chapter, step, index, args, command);
      if (failed) {
        this.finish(chapter.id, step.id, 'failed', started, failed, { failure: 'command' });
        return 'command';
      }
    }
    const after = await waitForChecks(relevant.map((k) => resolved[k]!).filter((c) => !c.definition.costly || !skipped.length), this.context(), { deadline: Date.now() + step.timeout * 1000 });
    this.report(chapter.id, step.id, 'after', after.verdicts);
    if (!after.ok) {
      this.finish(chapter.id, step.id, 'failed', started, say('runner.stillFailing', { seconds: step.timeout }), { failure: 'checks' });
      return 'checks';
    }
    const notes = [
      ...(skipped.length ? [say('runner.benchmarkSkipped', { commands: skipped.join('; ') })] : []),
      ...(step.measure ? [say('runner.notMeasured')] : []),
    ];
    // A step caught up without its benchmark is where the learner can go on from, not a step they did.
    this.finish(chapter.id, step.id, skipped.length ? 'skipped' : 'done', started, [say('runner.caughtUp'), ...notes].join(say('runner.sep')));
    return 'done';
  }

  /** After `service rm`: until the service is gone from the list (its name free for the create). */
  private async waitGone(name: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (await this.deps.docker.services()).some((x) => x.name === name)) await sleep(250, this.deps.signal);
  }

  /**
   * Check mode for a whole chapter: every step is judged against the cluster as it is now, done earlier
   * or not, so that what changed since (a service removed by hand) is seen and said, and a learner who
   * typed several steps before checking gets all of them ticked.
   *
   * A check whose `changed-by` step is done is history: a later step changed what it reads (step 12
   * scales the workers to 0, so step 9's "10 workers" no longer holds, rightly). A later step counts as
   * done when its own checks hold (or it is history in turn), or, in another chapter, when progress says
   * so or its checks hold now. Measurements (`costly` checks) are taken for the step the learner is on,
   * not again for steps done earlier. The learner's current step (the first not done earlier) waits up to
   * `waitMs` for the cluster to converge if it does not pass at once; steps after the first one not done
   * are reported in one line each ("not yet").
   */
  async checkChapter(chapter: Chapter, waitMs: number): Promise<{ ok: boolean; done: number; failure?: 'checks' }> {
    const started = Date.now();
    const { emit } = this.deps;
    emit({ type: 'chapter-started', chapter: chapter.id, title: chapter.title, steps: chapter.steps.map((s) => ({ id: s.id, title: s.title })) });
    let done = 0;
    let allDone = false;
    try {
      const judged = await this.judgeChapter(chapter, waitMs);
      const firstOpen = judged.findIndex((j) => !j.done);
      for (const [i, j] of judged.entries()) {
        const { step } = j;
        const t = Date.now();
        if (j.done) done++;
        const previously = this.deps.previously?.(chapter.id, step.id);
        const wasDone = previously?.status === 'done';
        if (!j.done && !wasDone && firstOpen >= 0 && i > firstOpen) {
          // Ahead of the learner: one line, no check details.
          emit({ type: 'step-finished', chapter: chapter.id, step: step.id, status: 'pending', durationMs: 0, reason: say('runner.notYet') });
          continue;
        }
        emit({ type: 'step-started', chapter: chapter.id, step: step.id, title: step.title });
        this.report(chapter.id, step.id, 'after', j.verdicts);
        // Done for the first time: keep its figure, as auto mode does (the speed-up check compares with it).
        const note = j.done && !wasDone && step.measure === 'mining-speed' && !j.verdicts.some((v) => v.history) ? await this.measure(chapter, step) : undefined;
        if (j.done) {
          const history = j.verdicts.filter((v) => v.history);
          const steps = [...new Set(history.map((v) => v.history!))].join(say('runner.and'));
          const reason = history.length
            ? (wasDone ? say('runner.changedSinceEarlier', { steps }) : say('runner.changedSince', { steps }))
            : wasDone ? say('runner.stillHolds') : note;
          this.finish(chapter.id, step.id, 'done', t, reason);
        } else if (wasDone) {
          const broken = j.verdicts.find((v) => !v.ok && !v.history);
          const actual = broken?.actual ?? say('runner.aCheckFails');
          const reason = previously?.at ? say('runner.noLongerHoldsAt', { actual, time: previously.at.slice(11, 16) }) : say('runner.noLongerHolds', { actual });
          this.finish(chapter.id, step.id, 'failed', t, reason, { failure: 'checks', drifted: true });
        } else {
          this.finish(chapter.id, step.id, 'failed', t, say('runner.notMet'), { failure: 'checks' });
        }
      }
      allDone = done === chapter.steps.length;
    } catch (error) {
      if (this.deps.signal.aborted && !(error instanceof CancelledError)) throw new CancelledError(say('runner.where.chapter', { chapter: chapter.id }));
      throw error;
    } finally {
      emit({ type: 'chapter-finished', chapter: chapter.id, ok: allDone, durationMs: Date.now() - started });
    }
    return allDone ? { ok: true, done } : { ok: false, done, failure: 'checks' };
  }

  /** Every step's verdicts, with history applied (see checkChapter); the first open step waits. */
  private async judgeChapter(chapter: Chapter, waitMs: number): Promise<JudgedStep[]> {
    const ctx = this.context();
    const judged: JudgedStep[] = chapter.steps.map((step) => ({ step, resolved: resolveChecks(step, this.deps.variables), verdicts: [], done: false }));
    // Every check that only reads the cluster, three at a time: each asks the engine or an
    // address, and one after another they made `check` of a whole chapter take a minute through a lab's
    // context, where an HTTP check runs in a throwaway container on the manager.
    const limit = pLimit(CHECKS_AT_ONCE);
    await Promise.all(judged.flatMap((j) => j.resolved.flatMap((check, k) => (check.definition.costly ? [] : [limit(async () => {
      const [v] = await evaluate([check], ctx);
      j.verdicts[k] = { ...v!, changedBy: j.step.checks[k]!.changedBy ?? [] };
    })]))));
    // Measurements after, one at a time, and only when the step's other checks hold (else the step is not
    // done anyway) and it was not done before.
    for (const j of judged) {
      const wasDone = this.deps.previously?.(chapter.id, j.step.id)?.status === 'done';
      for (const [k, check] of j.resolved.entries()) {
        if (!check.definition.costly) continue;
        const changedBy = j.step.checks[k]!.changedBy ?? [];
        const othersFail = j.verdicts.some((v) => v && !v.ok);
        if (wasDone || othersFail) {
          j.verdicts[k] = { ...(wasDone ? skipped(check) : notYet(check)), changedBy };
          continue;
        }
        const [v] = await evaluate([check], ctx);
        j.verdicts[k] = { ...v!, changedBy };
      }
    }
    // The learner's current step: the first one not done earlier (by progress). Its commands may already
    // have changed what earlier steps read (scaling the workers down for the benchmark) before its own checks
    // pass: those earlier facts are history too, not drift.
    const currentIndex = judged.findIndex((j) => this.deps.previously?.(chapter.id, j.step.id)?.status !== 'done');
    const current = judged[currentIndex];
    const currentKey = current && this.deps.previously ? `${chapter.id}/${current.step.id}` : undefined;
    const resolve = async () => {
      // From the last step back: a check's `changed-by` steps are judged before it.
      const isDone = new Map<string, boolean>();
      for (let i = judged.length - 1; i >= 0; i--) {
        const j = judged[i]!;
        for (const v of j.verdicts) {
          v.history = undefined;
          if (v.ok || !v.changedBy.length) continue;
          v.history = await this.changedSince(v.changedBy, isDone, currentIndex > i ? currentKey : undefined);
        }
        j.done = j.verdicts.every((v) => v.ok || v.history);
        isDone.set(`${chapter.id}/${j.step.id}`, j.done);
      }
    };
    await resolve();
    // Only the learner's current step may wait for the cluster to converge, and only if it does not pass
    // already: the step after a passing one is most likely not typed yet, and waiting on it would only make
    // every `check` slow.
    const open = current && !current.done ? current : undefined;
    if (open && waitMs > 0) {
      // The learner's current step: wait for the cluster to converge on its checks that are not history.
      // Read again with them, each time: the steps before it that no longer tick, and the steps whose being
      // done would make a failing check of these history (changed-by, down the chain); never steps not typed
      // yet for nothing. What was just typed may still be settling (engine 26 reports an update "updating"
      // for a few seconds after `docker service update` returns), and a failure read then would otherwise
      // break the earlier steps' history for the whole wait. The wait ends when the current step is done,
      // its history judged anew after each reading.
      const byKey = new Map(judged.map((j) => [`${chapter.id}/${j.step.id}`, j]));
      const chain = new Set<JudgedStep>();
      const add = (j: JudgedStep) => {
        if (j === open || chain.has(j)) return;
        chain.add(j);
        follow(j);
      };
      const follow = (j: JudgedStep) => {
        for (const v of j.verdicts) if (!v.ok) for (const key of v.changedBy) if (byKey.has(key)) add(byKey.get(key)!);
      };
      follow(open);
      for (const j of judged.slice(0, currentIndex)) if (!j.done) add(j);
      const watched = [
        ...open.verdicts.flatMap((v, k) => (v.history ? [] : [{ j: open, k }])),
        ...[...chain].flatMap((j) => j.verdicts.flatMap((v, k) => (!v.ok && !j.resolved[k]!.definition.costly ? [{ j, k }] : []))),
      ];
      // Every reading, the last one too, goes through `until`: the verdicts are in place when the wait returns.
      await waitForChecks(watched.map(({ j, k }) => j.resolved[k]!), ctx, {
        deadline: Date.now() + waitMs,
        until: async (verdicts) => {
          watched.forEach(({ j, k }, n) => (j.verdicts[k] = { ...verdicts[n]!, changedBy: j.verdicts[k]!.changedBy }));
          await resolve();
          return open.done;
        },
      });
    }
    return judged;
  }

  /**
   * Which of a check's `changed-by` steps changed what it reads, as the learner reads it ("step 12
   * (bench-rng)"): the first one done (in `isDone`, judged in this pass, else by progress or its checks
   * now), or the step the learner is on (`current`, a key). Undefined when none did.
   */
  private async changedSince(keys: string[], isDone: Map<string, boolean> = new Map(), current?: string): Promise<string | undefined> {
    for (const key of keys) {
      const { label, chapter } = this.stepLabel(key);
      if (isDone.get(key) ?? (await this.doneElsewhere(key))) return chapter ? say('runner.history.stepOf', { label, chapter }) : say('runner.history.step', { label });
      if (key === current) return chapter ? say('runner.history.currentOf', { label, chapter }) : say('runner.history.current', { label });
    }
    return undefined;
  }

  private readonly elsewhere = new Map<string, Promise<boolean>>();

  /** A step of another chapter (named by `changed-by`): done by progress, or by its checks now. */
  private doneElsewhere(key: string): Promise<boolean> {
    let known = this.elsewhere.get(key);
    if (!known) {
      const [chapterId, stepId] = key.split('/') as [string, string];
      known = (async () => {
        if (this.deps.previously?.(chapterId, stepId)?.status === 'done') return true;
        const step = this.deps.chapters?.find((c) => c.id === chapterId)?.steps.find((s) => s.id === stepId);
        if (!step) return false;
        const resolved = resolveChecks(step, this.deps.variables).filter((c) => !c.definition.costly);
        return (await evaluate(resolved, this.context())).every((v) => v.ok);
      })();
      this.elsewhere.set(key, known);
    }
    return known;
  }

  /**
   * `ch4/rollback` as the learner sees it: "5 (rollback)", and the chapter when it is another one ("step 5
   * (rollback) of ch4", in the catalogue's words).
   */
  private stepLabel(key: string): { label: string; chapter?: string } {
    const [chapterId, stepId] = key.split('/') as [string, string];
    const chapter = this.deps.chapters?.find((c) => c.id === chapterId);
    const n = chapter ? chapter.steps.findIndex((s) => s.id === stepId) + 1 : 0;
    return { label: `${n ? n : ''} (${stepId})`.trim(), chapter: chapterId && this.current !== chapterId ? chapterId : undefined };
  }

  private current?: string;

  /** Check one step (the learner did it), waiting up to `waitMs` for the cluster to converge. */
  async checkStep(chapter: Chapter, step: Step, waitMs: number): Promise<boolean> {
    const started = Date.now();
    this.current = chapter.id;
    this.deps.emit({ type: 'step-started', chapter: chapter.id, step: step.id, title: step.title });
    const resolved = resolveChecks(step, this.deps.variables);
    // As in checkChapter: a fact that a later step, done (by progress or by its checks now), changed is
    // history, not a failure of this step.
    const history = new Map<number, string>();
    for (const [k, ref] of step.checks.entries()) {
      const by = await this.changedSince(ref.changedBy ?? []);
      if (by) history.set(k, by);
    }
    const live = resolved.filter((_c, k) => !history.has(k));
    const result = await waitForChecks(live, this.context(), { deadline: Date.now() + waitMs });
    const historyVerdicts = [...history].map(([k, by]) => {
      const c = resolved[k]!;
      const title = c.definition.title(c.params);
      return { ok: false, expected: title, actual: say('runner.notLookedAgain'), check: c.definition.id, title, hint: '', history: by };
    });
    this.report(chapter.id, step.id, 'after', [...result.verdicts, ...historyVerdicts]);
    const reason = result.ok && history.size ? say('runner.changedSince', { steps: [...new Set(history.values())].join(say('runner.and')) }) : result.ok ? undefined : say('runner.notMet');
    this.finish(chapter.id, step.id, result.ok ? 'done' : 'failed', started, reason);
    return result.ok;
  }

  /**
   * Run one command; a read-only probe (`curl`) that cannot connect yet is tried again for a while: right
   * after `service create` returns, the task runs but the program in it may not listen yet.
   */
  private async runOne(chapter: Chapter, step: Step, index: number, args: string[], command: string): Promise<CommandResult> {
    const { emit } = this.deps;
    const deadline = Date.now() + PROBE_RETRY_MS;
    // A program that must run where the engine is (curl to 127.0.0.1 on the manager): the session says how.
    const run = this.deps.onEngine?.(args) ?? args;
    for (let attempt = 0; ; attempt++) {
      const result = await runCommand(run, {
        env: this.deps.env,
        signal: this.deps.signal,
        timeoutMs: Math.max(step.timeout, 600) * 1000,
        onStart: (pid) => {
          if (attempt > 0) return;
          emit({ type: 'command-started', chapter: chapter.id, step: step.id, index, command, pid });
          if (run !== args) emit({ type: 'command-output', chapter: chapter.id, step: step.id, index, stream: 'stderr', text: `${say('runner.onEngine', { command: displayCommand(run) })}\n` });
        },
        onOutput: (stream, text) => emit({ type: 'command-output', chapter: chapter.id, step: step.id, index, stream, text }),
      });
      if (result.cancelled || this.deps.signal.aborted) return result;
      const notYet = args[0] === 'curl' && CURL_NOT_LISTENING.has(result.exitCode);
      if (!notYet || Date.now() > deadline) return result;
      if (attempt === 0) {
        emit({ type: 'command-output', chapter: chapter.id, step: step.id, index, stream: 'stderr', text: `${say('runner.notListening', { seconds: PROBE_RETRY_MS / 1000 })}\n` });
      }
      await sleep(1000, this.deps.signal).catch(() => undefined);
    }
  }

  /** Record what a successful command created or removed, as events (progress subscribes to them). */
  private async recordResources(chapter: Chapter, step: Step, args: string[], before: Set<string> | undefined) {
    const { emit, docker } = this.deps;
    const at = new Date().toISOString();
    const kind = createsObject(args);
    if (kind && before) {
      const now = kind === 'service' ? await docker.services() : await docker.networks();
      for (const o of now) {
        // New since the command started, and named by it (`--name web`, `--name=web`, or the network's name).
        if (!before.has(o.id) && (args.includes(o.name) || args.includes(`--name=${o.name}`))) {
          emit({ type: 'resource-created', chapter: chapter.id, step: step.id, resource: { kind, id: o.id, name: o.name, at } });
        }
      }
    }
    for (const resource of imagesMade(args, at)) emit({ type: 'resource-created', chapter: chapter.id, step: step.id, resource });
    const removed = removes(args);
    if (removed) emit({ type: 'resource-removed', chapter: chapter.id, step: step.id, ...removed });
  }

  /** Run one step's commands, then wait for its checks. */
  async runStep(chapter: Chapter, step: Step, options: Pick<RunOptions, 'prove'>): Promise<StepOutcome> {
    const { emit } = this.deps;
    const started = Date.now();
    emit({ type: 'step-started', chapter: chapter.id, step: step.id, title: step.title });
    const resolved = resolveChecks(step, this.deps.variables);
    const timing = { commandsMs: 0, convergeMs: 0, checksMs: 0, measureMs: 0 };

    // Before the step: its checks must fail (with --prove), or else the step is already done.
    let t = Date.now();
    const before = await evaluate(resolved, this.context());
    timing.checksMs += Date.now() - t;
    if (options.prove) {
      this.report(chapter.id, step.id, 'before', before);
      if (before.every((v) => v.ok)) {
        this.finish(chapter.id, step.id, 'failed', started, say('runner.provesNothing'), { failure: 'checks', timing });
        return 'checks';
      }
    } else if (before.every((v) => v.ok) && !step.commands.some((c) => c.record)) {
      // Already done. A step that records a benchmark still runs: its figures are what it is for.
      this.report(chapter.id, step.id, 'after', before);
      this.finish(chapter.id, step.id, 'done', started, say('runner.alreadyDone'), { timing });
      return 'done';
    }

    for (const [index, spec] of step.commands.entries()) {
      const args = renderCommand(spec.template, await this.variablesFor(spec.template));
      const command = displayCommand(args);
      const { result, failed } = await this.execute(chapter, step, index, args, command);
      timing.commandsMs += result.durationMs;
      if (failed) {
        this.finish(chapter.id, step.id, 'failed', started, failed, { failure: 'command', timing });
        return 'command';
      }
      if (spec.record) {
        const name = spec.record.replace(/^ab:/, '');
        emit({ type: 'ab-result', chapter: chapter.id, step: step.id, name, command, result: parseAb(result.stdout) });
      }
    }

    t = Date.now();
    const after = await waitForChecks(resolved, this.context(), { deadline: Date.now() + step.timeout * 1000 });
    timing.convergeMs += after.waitingMs;
    timing.checksMs += Date.now() - t - after.waitingMs;
    this.report(chapter.id, step.id, 'after', after.verdicts);
    if (!after.ok) {
      this.finish(chapter.id, step.id, 'failed', started, after.timedOut ? say('runner.stillFailing', { seconds: step.timeout }) : say('runner.checksFailed'), { failure: 'checks', timing });
      return 'checks';
    }
    let note: string | undefined;
    if (step.measure === 'mining-speed') {
      t = Date.now();
      note = await this.measure(chapter, step);
      timing.measureMs += Date.now() - t;
    }
    this.finish(chapter.id, step.id, 'done', started, note, { timing });
    return 'done';
  }

  /**
   * Sample the mining speed once the checks passed. A blip of the web UI in the window is tried again;
   * if it keeps failing the step still counts as done (its checks passed) and the note says why.
   */
  private async measure(chapter: Chapter, step: Step): Promise<string | undefined> {
    let last = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const value = await measureMiningSpeed(this.context(), this.deps.measureWindowSeconds ?? MEASURE_WINDOW_SECONDS);
        this.measured.set(`${chapter.id}/${step.id}#mining-speed`, value);
        this.deps.emit({ type: 'measurement', chapter: chapter.id, step: step.id, name: 'mining-speed', value, unit: 'hashes/s' });
        return undefined;
      } catch (error) {
        if (this.deps.signal.aborted) throw new CancelledError(say('runner.where.measuring', { step: step.id }));
        last = (error as Error).message;
      }
    }
    return say('runner.notMeasuredNote', { error: last });
  }
}

interface JudgedVerdict extends CheckVerdict {
  changedBy: string[];
  /** Set when this check fails because a later step, done, changed what it reads: "step 12 (bench-rng)". */
  history?: string;
}

/**
 * How many of a chapter's checks `check` runs at once. Few: through a lab's context an HTTP check is a
 * throwaway container on the manager, and each such check must answer within its own 5 s.
 */
const CHECKS_AT_ONCE = 3;

interface JudgedStep {
  step: Step;
  resolved: ResolvedCheck[];
  verdicts: JudgedVerdict[];
  done: boolean;
}

/** A measurement not taken again for a step done earlier: it passes, and says so. */
function skipped(check: ResolvedCheck): CheckVerdict {
  const title = check.definition.title(check.params);
  return { ok: true, expected: title, actual: say('runner.measuredBefore'), check: check.definition.id, title, hint: check.definition.hint(check.params) };
}

/** A measurement not taken because the step's other checks fail: it fails with them. */
function notYet(check: ResolvedCheck): CheckVerdict {
  const title = check.definition.title(check.params);
  return { ok: false, expected: title, actual: say('runner.notMeasuredYet'), check: check.definition.id, title, hint: check.definition.hint(check.params) };
}

/** How a step ended: done, or which part failed (the advice differs). */
export type StepOutcome = 'done' | 'command' | 'checks';

const PROBE_RETRY_MS = 20_000;
/** curl's exit codes for "could not connect" (7), "empty reply" (52) and "receive failure" (56). */
const CURL_NOT_LISTENING = new Set([7, 52, 56]);
