import type { AbResult } from './ab.js';

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
    }
  | { type: 'ab-result'; chapter: string; step: string; name: string; command: string; result: AbResult }
  | { type: 'measurement'; chapter: string; step: string; name: string; value: number; unit: string }
  | { type: 'step-finished'; chapter: string; step: string; status: StepStatus; durationMs: number; reason?: string }
  | { type: 'chapter-finished'; chapter: string; ok: boolean; durationMs: number };

export type EventSink = (event: WorkshopEvent) => void;
