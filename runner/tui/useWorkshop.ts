import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { openSession, type Session } from '../commands/setup.js';
import { ChapterRunner } from '../engine/runner.js';
import type { WorkshopEvent } from '../engine/events.js';
import { initialState, reduce } from '../engine/state.js';
import { formatError } from '../errors.js';
import type { Chapter, Step } from '../lesson/load.js';
import { stepKey, type Progress } from '../progress.js';
import { ensureWorkspace } from '../workspace.js';

export type SessionState = { kind: 'connecting' } | { kind: 'ready'; session: Session } | { kind: 'failed'; message: string };

/**
 * The engine, as the UI sees it: the session (or why there is none), the reducer state fed by the
 * runner's events, the progress file, and the actions. Only this hook talks to the runner.
 */
export function useWorkshop(open: () => Promise<Session> = openSession, checkWaitMs = 15_000) {
  const [session, setSession] = useState<SessionState>({ kind: 'connecting' });
  const [state, dispatch] = useReducer(reduce, initialState);
  const [progress, setProgress] = useState<Progress | undefined>();
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | undefined>(undefined);
  // One action at a time: watch mode re-checks on every cluster change, and a check can take seconds.
  const inFlight = useRef(false);

  useEffect(() => {
    let live = true;
    open().then(
      (s) => {
        if (!live) return;
        setSession({ kind: 'ready', session: s });
        setProgress(s.store.load().progress);
      },
      (error: unknown) => live && setSession({ kind: 'failed', message: formatError(error) }),
    );
    return () => {
      live = false;
      abort.current?.abort();
    };
  }, [open]);

  const perform = useCallback(
    async (chapter: Chapter, step: Step, action: 'run' | 'check' | 'watch') => {
      if (session.kind !== 'ready' || busy || inFlight.current) return;
      inFlight.current = true;
      const { session: s } = session;
      if (!state.chapters[chapter.id]) {
        dispatch({ type: 'chapter-started', chapter: chapter.id, title: chapter.title, steps: chapter.steps.map((x) => ({ id: x.id, title: x.title })) });
      }
      if (chapter.steps.some((x) => x.commands.some((c) => c.template.includes('${workspace}')))) ensureWorkspace(s.paths.workspace);
      const controller = new AbortController();
      abort.current = controller;
      if (action !== 'watch') setBusy(true);
      const emit = (event: WorkshopEvent) => dispatch(event);
      const runner = new ChapterRunner({ ...s, emit, signal: controller.signal });
      try {
        if (action === 'run') await runner.runStep(chapter, step, {});
        else await runner.checkStep(chapter, step, action === 'check' ? checkWaitMs : 0);
      } catch (error) {
        dispatch({ type: 'step-finished', chapter: chapter.id, step: step.id, status: 'failed', durationMs: 0, reason: formatError(error).split('\n').slice(0, 2).map((l) => l.trim()).join(' ') });
      } finally {
        inFlight.current = false;
        if (action !== 'watch') setBusy(false);
        setProgress(s.store.load().progress);
      }
    },
    [session, busy, state.chapters, checkWaitMs],
  );

  const skip = useCallback(
    (chapter: Chapter, step: Step) => {
      if (session.kind !== 'ready') return;
      setProgress(session.session.store.update((p) => {
        p.steps[stepKey(chapter.id, step.id)] = { status: 'skipped', at: new Date().toISOString() };
      }));
    },
    [session],
  );

  const cancel = useCallback(() => abort.current?.abort(new Error('cancelled')), []);

  return { session, state, progress, busy, perform, skip, cancel };
}
