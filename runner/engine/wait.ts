import type { CheckContext, CheckDefinition, CheckOutcome, Params } from '../../checks/types.js';
import { say } from '../i18n/messages.js';

export interface ResolvedCheck {
  definition: CheckDefinition;
  params: Params;
}

export interface CheckVerdict extends CheckOutcome {
  check: string;
  title: string;
  hint: string;
}

/** Run each check once; a check that throws counts as failed, with the error as "actual". */
export async function evaluate(checks: ResolvedCheck[], ctx: CheckContext): Promise<CheckVerdict[]> {
  const verdicts: CheckVerdict[] = [];
  for (const { definition, params } of checks) {
    let outcome: CheckOutcome;
    try {
      outcome = await definition.run(params, ctx);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      outcome = { ok: false, expected: definition.title(params), actual: say('runner.couldNotRun', { error: (error as Error).message }) };
    }
    verdicts.push({ ...outcome, check: definition.id, title: definition.title(params), hint: outcome.hint ?? definition.hint(params) });
  }
  return verdicts;
}

export interface WaitOptions {
  /** Give up at this time (ms since epoch) and return the last, failing, verdicts. */
  deadline: number;
  /**
   * Re-check this often even without a Docker event. Events are the main trigger; this covers state no
   * event announces (HTTP answers, tasks on other nodes).
   */
  fallbackMs?: number;
  /** Polling checks (HTTP, speeds) re-run at this interval. */
  pollMs?: number;
  onAttempt?: (verdicts: CheckVerdict[]) => void;
  /** When the wait is over, given each attempt's verdicts; by default, when every check passes. */
  until?: (verdicts: CheckVerdict[]) => Promise<boolean>;
}

/**
 * After a Docker event, how soon to look again while nothing else happens: swarm's own view (a task's
 * state in the manager) can follow the container's event by a few hundred ms, and no further event
 * announces it. So an event starts a short burst of quick re-checks (every `FOLLOW_UP_MS`, for
 * `FOLLOW_UP_FOR_MS`), then the waiter falls back to its slow timer.
 */
export const FOLLOW_UP_MS = 50;
export const FOLLOW_UP_FOR_MS = 2000;

/**
 * Wait until every check passes or the deadline comes: evaluate, then sleep until the next Docker event
 * (any event can change what a check sees), the poll timer, or the deadline, and evaluate again.
 * `waitingMs` is the time spent asleep between evaluations (the cluster converging), the rest of the
 * call's time went into the checks themselves.
 */
export async function waitForChecks(checks: ResolvedCheck[], ctx: CheckContext, options: WaitOptions): Promise<{ ok: boolean; verdicts: CheckVerdict[]; timedOut: boolean; waitingMs: number }> {
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let wake: (() => void) | undefined;
  let pending = false;
  let lastEvent = 0;
  let waitingMs = 0;
  const poke = () => {
    pending = true;
    lastEvent = Date.now();
    wake?.();
  };
  // Subscribe before the first evaluation; events since just before it are replayed, so that no change
  // between the two is missed while the stream connects.
  const since = Date.now() - 1000;
  const watching = (async () => {
    try {
      for await (const _event of ctx.docker.events(signal, since)) poke();
    } catch {
      // The event stream broke (engine restarting?): the fallback timer keeps checking.
    }
  })();
  const polls = checks.some((c) => c.definition.polls);
  const interval = polls ? (options.pollMs ?? 1000) : (options.fallbackMs ?? 2000);
  try {
    for (;;) {
      pending = false;
      const verdicts = await evaluate(checks, { ...ctx, signal });
      options.onAttempt?.(verdicts);
      if (options.until ? await options.until(verdicts) : verdicts.every((v) => v.ok)) return { ok: true, verdicts, timedOut: false, waitingMs };
      const left = options.deadline - Date.now();
      if (left <= 0) return { ok: false, verdicts, timedOut: true, waitingMs };
      const asleep = Date.now();
      if (!pending) {
        const followingUp = !polls && Date.now() - lastEvent < FOLLOW_UP_FOR_MS;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(followingUp ? FOLLOW_UP_MS : interval, left));
          function done() {
            clearTimeout(timer);
            wake = undefined;
            signal.removeEventListener('abort', done);
            resolve();
          }
          wake = done;
          signal.addEventListener('abort', done, { once: true });
        });
      }
      if (ctx.signal.aborted) throw ctx.signal.reason;
      // Let a burst of events (a service update is dozens) settle into one re-check.
      if (pending) await new Promise((resolve) => setTimeout(resolve, FOLLOW_UP_MS));
      waitingMs += Date.now() - asleep;
    }
  } finally {
    stop.abort();
    await watching;
  }
}

/** Resolve after `ms`, or reject with the signal's reason when it aborts first. */
export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
