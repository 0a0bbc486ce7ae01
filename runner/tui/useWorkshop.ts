import { liteT, type T } from '../i18n/lite.js';
import { setMaxListeners } from 'node:events';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import type { Session } from '../commands/setup.js';
import type { DockerClient, DockerEvent } from '../docker/client.js';
import { fanOut, type EventSink } from '../engine/events.js';
import { initialState, reduce } from '../engine/state.js';
import { formatError } from '../errors.js';
import type { Chapter, Step } from '../lesson/load.js';
import { progressRecorder, type Progress } from '../progress.js';
import { ensureWorkspace } from '../workspace.js';
import { attachBoard } from '../board/attach.js';
import type { Reporter } from '../board/reporter.js';
import type { Mode } from '../board/store.js';

/** The joined board's reporter once loaded, and the chapter and mode it was last told. */
type JoinedBoard = { ready: Promise<Reporter | undefined>; reporter?: Reporter; told?: string };

export type SessionState = { kind: 'connecting' } | { kind: 'ready'; session: Session } | { kind: 'failed'; message: string };

/**
 * How the UI reaches Docker unless a test gives its own: setup.ts brings dockerode, the probe and the
 * checks, so it is loaded here, once the chapter list is on screen, never before the first frame.
 */
export async function openDefaultSession(): Promise<Session> {
  return (await import('../commands/setup.js')).openSession();
}

/**
 * The same client, whose event stream stays silent until the listener stops. Watch mode checks a step
 * once, without waiting (the cluster panel's one stream told it that something changed): the checker
 * would otherwise open an event stream of its own on every re-check, and drop it at once.
 */
function withoutEvents(docker: DockerClient): DockerClient {
  return Object.assign(Object.create(docker) as DockerClient, {
    async *events(signal: AbortSignal): AsyncIterable<DockerEvent> {
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  });
}

/**
 * The engine, as the UI sees it: the session (or why there is none), the reducer state fed by the
 * runner's events, the progress file, and the actions. Only this hook talks to the runner, which is
 * loaded on the first action (with execa and the executor).
 */
export function useWorkshop(open: () => Promise<Session> = openDefaultSession, checkWaitMs = 15_000, initialProgress?: Progress, chapters: Chapter[] = [], t: T = liteT('en')) {
  const [session, setSession] = useState<SessionState>({ kind: 'connecting' });
  const [state, dispatch] = useReducer(reduce, initialState);
  const [progress, setProgress] = useState<Progress | undefined>(initialProgress);
  const [busy, setBusy] = useState(false);
  // What the last catch-up came to, for the step it was asked on: the step's own state says nothing of it.
  const [notice, setNotice] = useState<{ chapter: string; step: string; text: string } | undefined>(undefined);
  const abort = useRef<AbortController | undefined>(undefined);
  // One action at a time: watch mode re-checks on cluster changes, and a check can take seconds.
  const inFlight = useRef(false);
  // Chapters whose preflight passed (names free, starting point there): watch re-checks skip it then.
  const cleared = useRef(new Set<string>());
  // The board this learner joined, if any: one more subscriber of the events (board/attach.ts), loaded
  // only when there is one; and what it was last told of the mode, so that watch's re-checks say it once.
  const board = useRef<JoinedBoard | undefined>(undefined);

  useEffect(() => {
    let live = true;
    if (!board.current) {
      const attached: JoinedBoard = { ready: attachBoard('ui').catch(() => undefined) };
      void attached.ready.then((r) => void (attached.reporter = r));
      board.current = attached;
    }
    open()
      .then((s) => {
        if (!live) return;
        setSession({ kind: 'ready', session: s });
        setProgress(s.store.load().progress);
      })
      .catch((error: unknown) => live && setSession({ kind: 'failed', message: formatError(error) }));
    return () => {
      live = false;
      abort.current?.abort();
    };
  }, [open]);

  /** Every event to the reducer and to the progress file (which tells the UI what it now holds). */
  const sinkFor = (s: Session): EventSink => {
    const reporter = board.current?.reporter;
    return fanOut(dispatch, progressRecorder(s.store, setProgress), ...(reporter ? [reporter] : []));
  };

  const perform = useCallback(
    async (chapter: Chapter, step: Step, action: 'run' | 'check' | 'watch' | 'catchup') => {
      if (session.kind !== 'ready' || busy || inFlight.current) return;
      inFlight.current = true;
      const { session: s } = session;
      if (!state.chapters[chapter.id]) {
        dispatch({ type: 'chapter-started', chapter: chapter.id, title: chapter.title, steps: chapter.steps.map((x) => ({ id: x.id, title: x.title })) });
      }
      const controller = new AbortController();
      setMaxListeners(0, controller.signal); // as in cli.ts: each check ties short-lived signals to it
      abort.current = controller;
      if (action !== 'watch') setBusy(true);
      if (action !== 'watch') setNotice(undefined);
      try {
        if (chapter.steps.some((x) => x.commands.some((c) => c.template.includes('${workspace}')))) ensureWorkspace(s.paths.workspace);
        // As `run` and `check` do: no names held by something else (no check may pass on a foreign
        // object), and the chapter's starting point there; the message says what to do otherwise.
        if (action !== 'watch' || !cleared.current.has(chapter.id)) {
          const { preflight } = await import('../commands/preflight.js');
          await preflight(chapter, chapters.length ? chapters : [chapter], s, action === 'run' || action === 'catchup' ? 'auto' : 'check');
          cleared.current.add(chapter.id);
        }
        const { ChapterRunner } = await import('../engine/runner.js');
        const reporter = await board.current?.ready;
        if (reporter) {
          const mode: Mode = action === 'watch' ? 'watch' : action === 'catchup' ? 'catch-up' : 'ui';
          if (board.current!.told !== `${chapter.id}/${mode}`) reporter.setMode(mode, chapter.id);
          board.current!.told = `${chapter.id}/${mode}`;
        }
        const emit = sinkFor(s);
        const docker = action === 'watch' ? withoutEvents(s.docker) : s.docker;
        const known = s.store.load().progress;
        const runner = new ChapterRunner({
          ...s, docker, emit, signal: controller.signal, chapters: chapters.length ? chapters : [chapter],
          previously: (c, st) => known.steps[`${c}/${st}`],
        });
        if (action === 'catchup') {
          // As `run CH --yes --to STEP`: only what is missing of the steps before this one.
          const n = chapter.steps.indexOf(step) + 1;
          const result = await runner.runChapter(chapter, { mode: 'auto', to: step.id });
          const stopped = chapter.steps[result.done];
          setNotice({
            chapter: chapter.id, step: step.id,
            text: result.ok
              ? t('ui.caughtUp', { n })
              : t('ui.catchUpStopped', { n: result.done + 1, title: stopped?.title ?? '?' }),
          });
        } else if (action === 'run') await runner.runStep(chapter, step, {});
        else await runner.checkStep(chapter, step, action === 'check' ? checkWaitMs : 0);
      } catch (error) {
        cleared.current.delete(chapter.id);
        // A catch-up that did not get there says so on the step it was asked on, without marking it failed.
        if (action === 'catchup') setNotice({ chapter: chapter.id, step: step.id, text: t('ui.catchUpFailed', { reason: formatError(error).split('\n')[0] }) });
        else dispatch({ type: 'step-finished', chapter: chapter.id, step: step.id, status: 'failed', durationMs: 0, reason: formatError(error).split('\n').slice(0, 3).map((l) => l.trim()).join(' ') });
      } finally {
        inFlight.current = false;
        if (action !== 'watch') setBusy(false);
      }
    },
    [session, busy, state.chapters, checkWaitMs, chapters, t],
  );

  const skip = useCallback(
    (chapter: Chapter, step: Step) => {
      if (session.kind !== 'ready') return;
      sinkFor(session.session)({ type: 'step-finished', chapter: chapter.id, step: step.id, status: 'skipped', durationMs: 0 });
    },
    [session],
  );

  const cancel = useCallback(() => abort.current?.abort(new Error('cancelled')), []);

  return { session, state, progress, busy, notice, perform, skip, cancel };
}
