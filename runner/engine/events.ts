import type { AbResult } from './ab.js';

/** Something a command made that `reset` may remove later: services and networks by id, images by reference. */
export type CreatedResource =
  | { kind: 'service'; id: string; name: string; at: string }
  | { kind: 'network'; id: string; name: string; at: string }
  | { kind: 'image'; ref: string; at: string };

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

/**
 * Everything that happens while a chapter runs, as one discriminated union. The engine emits these; the
 * reducer (state.ts) folds them into state; printers and the terminal UI only read that state or these
 * events. With `--json`, each is printed as one line.
 */
export type WorkshopEvent =
  | { type: 'chapter-started'; chapter: string; title: string; steps: { id: string; title: string }[] }
  | { type: 'step-started'; chapter: string; step: string; title: string }
  | { type: 'command-started'; chapter: string; step: string; index: number; command: string; pid?: number }
  | { type: 'command-output'; chapter: string; step: string; index: number; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'command-finished'; chapter: string; step: string; index: number; exitCode: number; durationMs: number }
  | {
      type: 'check-result';
      chapter: string;
      step: string;
      check: string;
      title: string;
      /** `before`: proving the check fails before its step; `after`: the verdict after it. */
      phase: 'before' | 'after';
      ok: boolean;
      expected: string;
      actual: string;
      hint?: string;
      /**
       * Check mode: the check fails because a later step, done, changed what it reads ("step 12
       * (bench-rng)"); it does not count against its step.
       */
      history?: string;
    }
  | { type: 'ab-result'; chapter: string; step: string; name: string; command: string; result: AbResult }
  | { type: 'measurement'; chapter: string; step: string; name: string; value: number; unit: string }
  | { type: 'resource-created'; chapter: string; step: string; resource: CreatedResource }
  | { type: 'resource-removed'; chapter: string; step: string; kind: CreatedResource['kind']; names: string[] }
  | {
      type: 'step-finished';
      chapter: string;
      step: string;
      status: StepStatus;
      durationMs: number;
      reason?: string;
      /** A failed step: did a command fail, or its checks? */
      failure?: 'command' | 'checks';
      /** Check mode: a step done earlier that no longer holds (its reason says what changed, in the run's language). */
      drifted?: boolean;
      /**
       * Where the time of an auto-mode step went: inside its commands, waiting for the cluster to converge
       * after them, running the checks themselves, sampling the mining speed. The rest is the runner's own.
       */
      timing?: { commandsMs: number; convergeMs: number; checksMs: number; measureMs: number };
    }
  | { type: 'chapter-finished'; chapter: string; ok: boolean; durationMs: number };

export type EventSink = (event: WorkshopEvent) => void;

/** Every event to each sink, in order. */
export const fanOut = (...sinks: EventSink[]): EventSink => (event) => {
  for (const sink of sinks) sink(event);
};
