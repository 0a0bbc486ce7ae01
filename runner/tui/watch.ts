/**
 * Watch mode's re-checks, spaced out. Every cluster change asks for one, and a burst of changes (a service
 * update is dozens of Docker events) must not become a burst of checks that each talk to the engine:
 *
 * - a request when nothing ran in the last `gapMs` starts a re-check at once (on the next tick);
 * - requests while one runs, or less than `gapMs` after one finished, fold into a single trailing
 *   re-check `gapMs` after the last one finished, so the final state of the cluster is always checked;
 * - never two at once.
 *
 * No React here: App drives it from the cluster's ticks, the tests from fake timers.
 */
export interface RecheckScheduler {
  /** The cluster changed: re-check now or soon. */
  request(): void;
  /** Drop a pending re-check and accept no more (the UI unmounts). */
  stop(): void;
}

export function recheckScheduler(run: () => Promise<unknown>, gapMs = 1000): RecheckScheduler {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let wanted = false;
  let stopped = false;
  let lastEnd = Number.NEGATIVE_INFINITY;

  const start = async () => {
    timer = undefined;
    if (stopped) return;
    wanted = false;
    running = true;
    try {
      await run();
    } catch {
      // The re-check reports its own failure (a failed step); the next change tries again.
    } finally {
      running = false;
      lastEnd = Date.now();
      if (wanted) schedule();
    }
  };

  function schedule() {
    // While one runs, its end schedules the next; a timer already set covers this request too.
    if (stopped || running || timer) return;
    timer = setTimeout(start, Math.max(0, lastEnd + gapMs - Date.now()));
  }

  return {
    request() {
      wanted = true;
      schedule();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
