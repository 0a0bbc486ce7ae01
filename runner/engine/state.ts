import type { AbResult } from './ab.js';
import type { StepStatus, WorkshopEvent } from './events.js';

/** Lines of command output kept per command: the UI shows a bounded pane, the printers stream anyway. */
export const OUTPUT_LINES_KEPT = 200;

export interface CommandState {
  command: string;
  output: string[];
  exitCode?: number;
  durationMs?: number;
}

/** A check's verdict as the step keeps it: the check-result event without its routing fields. */
export type CheckState = Omit<Extract<WorkshopEvent, { type: 'check-result' }>, 'type' | 'chapter' | 'step'>;

export interface StepState {
  id: string;
  title: string;
  status: StepStatus;
  commands: CommandState[];
  checks: CheckState[];
  reason?: string;
  durationMs?: number;
}

export interface ChapterState {
  id: string;
  title: string;
  steps: StepState[];
  finished?: { ok: boolean; durationMs: number };
}

export interface WorkshopState {
  chapters: Record<string, ChapterState>;
  /** The step running now, if any. */
  current?: { chapter: string; step: string };
  ab: Record<string, AbResult>;
  measurements: { chapter: string; step: string; name: string; value: number; unit: string }[];
}

export const initialState: WorkshopState = { chapters: {}, ab: {}, measurements: [] };

function updateStep(state: WorkshopState, chapter: string, step: string, change: (s: StepState) => StepState): WorkshopState {
  const c = state.chapters[chapter];
  if (!c) return state;
  return {
    ...state,
    chapters: { ...state.chapters, [chapter]: { ...c, steps: c.steps.map((s) => (s.id === step ? change(s) : s)) } },
  };
}

/** Append output text to a bounded list of lines (the last line may still be open). */
export function appendOutput(lines: string[], text: string, keep = OUTPUT_LINES_KEPT): string[] {
  const [first = '', ...rest] = text.split('\n');
  const next = lines.length ? [...lines.slice(0, -1), (lines[lines.length - 1] ?? '') + first] : [first];
  next.push(...rest);
  return next.length > keep ? next.slice(next.length - keep) : next;
}

/** The pure reducer: state after one event. */
export function reduce(state: WorkshopState, event: WorkshopEvent): WorkshopState {
  switch (event.type) {
    case 'chapter-started':
      return {
        ...state,
        chapters: {
          ...state.chapters,
          [event.chapter]: {
            id: event.chapter,
            title: event.title,
            steps: event.steps.map((s) => ({ ...s, status: 'pending', commands: [], checks: [] })),
          },
        },
      };
    case 'step-started':
      return {
        ...updateStep(state, event.chapter, event.step, (s) => ({ ...s, status: 'running', commands: [], checks: [], reason: undefined })),
        current: { chapter: event.chapter, step: event.step },
      };
    case 'command-started':
      return updateStep(state, event.chapter, event.step, (s) => {
        const commands = [...s.commands];
        commands[event.index] = { command: event.command, output: [] };
        return { ...s, commands };
      });
    case 'command-output':
      return updateStep(state, event.chapter, event.step, (s) => {
        const commands = [...s.commands];
        const c = commands[event.index];
        if (c) commands[event.index] = { ...c, output: appendOutput(c.output, event.text) };
        return { ...s, commands };
      });
    case 'command-finished':
      return updateStep(state, event.chapter, event.step, (s) => {
        const commands = [...s.commands];
        const c = commands[event.index];
        if (c) commands[event.index] = { ...c, exitCode: event.exitCode, durationMs: event.durationMs };
        return { ...s, commands };
      });
    case 'check-result': {
      const { type: _t, chapter, step, ...check } = event;
      return updateStep(state, chapter, step, (s) => ({
        ...s,
        checks: [...s.checks.filter((c) => !(c.check === check.check && c.phase === check.phase && c.title === check.title)), check],
      }));
    }
    case 'ab-result':
      return { ...state, ab: { ...state.ab, [event.name]: event.result } };
    case 'measurement':
      return {
        ...state,
        measurements: [...state.measurements, { chapter: event.chapter, step: event.step, name: event.name, value: event.value, unit: event.unit }],
      };
    case 'step-finished':
      return {
        ...updateStep(state, event.chapter, event.step, (s) => ({ ...s, status: event.status, durationMs: event.durationMs, reason: event.reason })),
        current: undefined,
      };
    case 'resource-created':
    case 'resource-removed':
      return state;
    case 'chapter-finished': {
      const c = state.chapters[event.chapter];
      if (!c) return state;
      return { ...state, chapters: { ...state.chapters, [event.chapter]: { ...c, finished: { ok: event.ok, durationMs: event.durationMs } } } };
    }
  }
}
