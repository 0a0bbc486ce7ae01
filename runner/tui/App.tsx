import { Box, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Session } from '../commands/setup.js';
import { currentLanguage, setLanguage, type Language } from '../i18n/language.js';
import type { T } from '../i18n/lite.js';
import { uiT } from '../i18n/messages.js';
import { localize, type Chapter } from '../lesson/load.js';
import type { Progress } from '../progress.js';
import { homeLines, resumeIndex, statusOf, type Line } from './home.js';
import { HomeView } from './HomeView.js';
import { commandFor, footerFor, KEY_TABLE } from './keys.js';
import { StepView } from './StepView.js';
import { HAND_TEXT_MAX, inputLine, useBoard } from './useBoard.js';
import { truncateColumns } from './columns.js';
import { useCluster, useMiningSpeed } from './useCluster.js';
import { useMarkdown } from './useMarkdown.js';
import { useWorkshop, type SessionState } from './useWorkshop.js';
import { recheckScheduler } from './watch.js';
import { panelParts } from './widgets.js';

/** The process's exit code for each way out of the UI: `q` is a normal end, Ctrl-C an interruption. */
export const EXIT_CODES = { quit: 0, cancel: 130 } as const;

export interface AppProps {
  /** The lessons as loaded (English, with their translations); shown in `lang`, which L switches. */
  chapters: Chapter[];
  /** The language to start in; default: the run's (--lang, SWARM_WORKSHOP_LANG, the locale). */
  lang?: Language;
  /** How to reach Docker; tests pass their own. Default: setup.ts's openSession, loaded after the first frame. */
  open?: () => Promise<Session>;
  /** The progress file as read before the first frame (main.ts); the session's store takes over once open. */
  progress?: Progress;
  color?: boolean;
  /** How long "check" waits for the cluster to converge. */
  checkWaitMs?: number;
  /** Watch mode: the least time between the end of one re-check and the start of the next. */
  watchGapMs?: number;
  /** A joined learner's UI asks the board for broadcasts this often. */
  boardPollMs?: number;
}

/** The engine line: probing, the engine's state, or the first line of why there is no session. */
function headerOf(session: SessionState, t: T): string {
  if (session.kind === 'connecting') return t('ui.probing');
  if (session.kind === 'failed') return session.message.split('\n')[0]!;
  const { report } = session.session;
  const info = report.engine.ok ? report.engine.info : undefined;
  return t('ui.engineLine', { version: info?.serverVersion ?? '', swarm: info?.swarmState, nodes: info?.nodes, ipvs: report.ipvs ? '✓' : t('ui.ipvsMissing') });
}

/**
 * The terminal UI: the chapter list, then one step at a time. Holds the navigation and the keys; the
 * views draw, useWorkshop talks to the engine. Leaves through ink's `exit` with the process's exit code.
 */
export function App({ chapters: loaded, lang: initialLang, open, progress: initialProgress, color = true, checkWaitMs, watchGapMs = 1000, boardPollMs = 3000 }: AppProps) {
  const [lang, setLang] = useState<Language>(() => initialLang ?? currentLanguage().lang);
  // Only the text changes with the language: ids, commands and checks are the same, so the place (chapter,
  // step, hints shown, progress) stays as it is.
  const chapters = useMemo(() => localize(loaded, lang === 'zh' ? 'zh' : 'en'), [loaded, lang]);
  // The program's own words, in the same language (locales/*.json).
  const t = useMemo(() => uiT(lang), [lang]);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);

  const workshop = useWorkshop(open, checkWaitMs, initialProgress, chapters, t);
  const { session, state, progress, busy, notice } = workshop;
  const docker = session.kind === 'ready' ? session.session.docker : undefined;
  const cluster = useCluster(docker);
  const webuiUp = cluster.rows.some((r) => r.name === 'webui' && r.running > 0);
  const rates = useMiningSpeed(webuiUp);

  const [screen, setScreen] = useState<'home' | 'step'>('home');
  const [chapterIndex, setChapterIndex] = useState(0);
  const [stepIndex, setStepIndex] = useState(0);
  const [scroll, setScroll] = useState(0);
  const [hints, setHints] = useState(0);
  const [help, setHelp] = useState(false);
  // The board this learner joined, if any: raising a hand (!, then a line of text) and the broadcasts.
  const board = useBoard(boardPollMs);
  // The hand's line being typed; undefined when there is no input open. A ref too, as for the question.
  const [handText, setHandTextState] = useState<string | undefined>(undefined);
  const typing = useRef<string | undefined>(undefined);
  const setHandText = (v: string | undefined) => {
    typing.current = v;
    setHandTextState(v);
  };
  const [watch, setWatch] = useState(false);
  // Catching up runs commands that may re-create services: the first u asks, the second goes.
  // At step 1 there is nothing to catch up on: u says so until the next key.
  // A ref as well as state: keys that arrive together are handled by one render's closure.
  const [confirmCatchUp, setConfirmState] = useState<'ask' | 'first' | undefined>(undefined);
  const asking = useRef<'ask' | 'first' | undefined>(undefined);
  const setConfirmCatchUp = (v: 'ask' | 'first' | undefined) => {
    asking.current = v;
    setConfirmState(v);
  };
  // In 80 columns the panel would crowd out the lesson: there it starts hidden (l shows it).
  const [showCluster, setShowCluster] = useState(() => (stdout.columns || 80) >= 110);
  // Lesson prose needs marked-terminal: loaded on opening the first step, not before (useMarkdown.ts).
  const markdown = useMarkdown(screen === 'step');

  const chapter = chapters[chapterIndex]!;
  // The step index belongs to the chapter last opened; another chapter may have fewer steps.
  const step = chapter.steps[Math.min(stepIndex, chapter.steps.length - 1)]!;
  const live = state.chapters[chapter.id]?.steps.find((s) => s.id === step.id);
  const status = statusOf(chapter, step.id, progress, state);

  // Watch mode: cluster changes re-check the current step until it is done, spaced out (watch.ts). The
  // scheduler calls the latest render's closure, so a re-check always looks at the step on screen now.
  const recheck = useRef<() => Promise<void>>(async () => {});
  recheck.current = async () => {
    if (watch && screen === 'step' && status !== 'done' && !busy && session.kind === 'ready') await workshop.perform(chapter, step, 'watch');
  };
  const rechecks = useMemo(() => recheckScheduler(() => recheck.current(), watchGapMs), [watchGapMs]);
  useEffect(() => () => rechecks.stop(), [rechecks]);
  useEffect(() => {
    if (watch && screen === 'step' && status !== 'done' && session.kind === 'ready') rechecks.request();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cluster.tick, watch, screen]);

  /** Go to a step: an index, or a function of the current one (keys that arrive together each count). */
  const goTo = (index: number | ((current: number) => number)) => {
    const last = chapter.steps.length - 1;
    setStepIndex((current) => Math.max(0, Math.min(last, typeof index === 'number' ? index : index(Math.min(current, last)))));
    setScroll(0);
    setHints(0);
  };

  // Keys go to the handler of the latest render: ink attaches useInput's handler in an effect, which
  // can run after a key typed right after a screen change.
  const onKey = useRef<(input: string, key: Key) => void>(() => {});
  // Keys typed faster than the UI reads them (or pasted) arrive as one string: take them one by one.
  useInput((input, key) => {
    if (input.length > 1 && !key.ctrl && !key.meta) for (const ch of input) onKey.current(ch, { ...key, shift: false });
    else onKey.current(input, key);
  });
  onKey.current = (input, key) => {
    const typed = typing.current;
    if (typed !== undefined) {
      // The hand's line takes every key: Enter sends it, Esc drops it (Ctrl-C still does what it does).
      // Typed or pasted together, Enter and Backspace come as characters of the string.
      if (key.return || input === '\r' || input === '\n') {
        setHandText(undefined);
        return board.raise(typed.trim(), screen === 'step' ? { chapter: chapter.id, step: step.id } : {});
      }
      if (key.escape) return setHandText(undefined);
      if (!(key.ctrl && input === 'c')) {
        if (key.backspace || key.delete || input === '\u007f' || input === '\b') return setHandText([...typed].slice(0, -1).join(''));
        if (!key.ctrl && !key.meta && input && !/[\u0000-\u001f\u007f]/.test(input) && [...typed].length < HAND_TEXT_MAX) setHandText(typed + input);
        return;
      }
      setHandText(undefined);
    }
    board.dismiss();
    let command = commandFor(input, key, screen, busy);
    // Raising a hand is for a learner who joined a board; for anyone else `!` is no key at all.
    if (command === 'hand' && !board.joined) command = undefined;
    const question = asking.current;
    if (question) {
      // The question takes the next key, whatever it is: u goes, anything else stays (q and Ctrl-C still leave).
      setConfirmCatchUp(undefined);
      if (command === 'catchup' && question === 'ask') return void workshop.perform(chapter, step, 'catchup');
      if (command !== 'cancel' && command !== 'quit') return;
    }
    if (!command) return;
    if (help && command !== 'cancel' && command !== 'quit') return setHelp(false);
    switch (command) {
      case 'cancel':
        if (busy) workshop.cancel();
        else exit(EXIT_CODES.cancel);
        return;
      case 'quit':
        return exit(EXIT_CODES.quit);
      case 'help':
        return setHelp(true);
      case 'language': {
        // The checks' words (titles, hints) follow too: they read the run's language (checks/text.ts).
        const next: Language = lang === 'zh' ? 'en' : 'zh';
        setLanguage({ lang: next, source: '--lang' });
        return setLang(next);
      }
      case 'cluster':
        return setShowCluster((v) => !v);
      case 'up':
        if (screen === 'home') setChapterIndex((i) => Math.max(0, i - 1));
        else setScroll((s) => Math.max(0, s - 3));
        return;
      case 'down':
        if (screen === 'home') setChapterIndex((i) => Math.min(chapters.length - 1, i + 1));
        else setScroll((s) => s + 3);
        return;
      case 'open':
        setScreen('step');
        goTo(resumeIndex(chapter, progress));
        return;
      case 'back':
        return setScreen('home');
      case 'next':
        return goTo((i) => i + 1);
      case 'previous':
        return goTo((i) => i - 1);
      case 'hint':
        return setHints((h) => Math.min(step.hints.length, h + 1));
      case 'watch':
        return setWatch((w) => !w);
      case 'skip':
        workshop.skip(chapter, step);
        return goTo((i) => i + 1);
      case 'hand':
        return setHandText('');
      case 'catchup':
        return setConfirmCatchUp(chapter.steps.indexOf(step) === 0 ? 'first' : 'ask');
      case 'run':
      case 'check':
        return void workshop.perform(chapter, step, command);
    }
  };

  /**
   * The line above the keys: asking before a catch-up, which step a catch-up is at, or what it came to.
   * Step 1 has nothing before it: u there says so.
   */
  function bottomLine(): string | undefined {
    const n = chapter.steps.indexOf(step);
    if (handText !== undefined) return boardLine();
    if (confirmCatchUp === 'first') return t('ui.firstStep', { from: chapter.id === chapters[0]?.id ? t('ui.emptySwarm') : t('ui.chapterBefore') });
    if (confirmCatchUp) return t('ui.catchUpAsk', { n: n + 1, before: n });
    if (board.notice) return boardLine();
    const at = state.current?.chapter === chapter.id && state.current.step !== step.id ? chapter.steps.findIndex((x) => x.id === state.current!.step) : -1;
    if (busy && at >= 0) return t('ui.catchingUp', { n: at + 1, total: chapter.steps.length, title: chapter.steps[at]!.title });
    if (notice && notice.chapter === chapter.id && notice.step === step.id) return notice.text;
    return undefined;
  }

  /**
   * The board's line: the hand's input while it is open, else a broadcast or how the hand went. Cut to
   * the terminal's width in columns (a Chinese character takes two), so that it stays one row.
   */
  function boardLine(): string | undefined {
    const columns = size.columns;
    if (handText !== undefined) return inputLine(t('ui.hand.prompt'), handText, columns);
    const n = board.notice;
    if (!n) return undefined;
    const text = n.kind === 'broadcast' ? t('ui.hand.broadcast', { text: n.text }) : n.kind === 'sending' ? t('ui.hand.sending') : n.kind === 'raised' ? t('ui.hand.raised') : n.kind === 'lowered' ? t('ui.hand.lowered') : t('ui.hand.unreachable');
    return truncateColumns(text.replace(/\s+/g, ' '), columns);
  }

  if (help) {
    const bindings = KEY_TABLE.filter((b) => !b.joined || board.joined);
    // The title, the keys and the closing line, within the terminal's rows (ink scrolls a taller frame):
    // a joined learner's extra key takes the closing line's row in a short terminal.
    const closing = !board.joined || bindings.length + 2 <= size.rows - 1;
    return (
      <Box flexDirection="column">
        <Text bold>{t('ui.helpTitle')}</Text>
        {bindings.map((b) => (
          <Text key={b.command}>
            {b.keys.join(' / ').padEnd(16)} {t(`ui.keys.${b.command}`)}
            {b.where === 'everywhere' ? '' : ` (${t(`ui.where.${b.where}`)})`}
          </Text>
        ))}
        {closing ? <Text dimColor>{t('ui.helpClose')}</Text> : null}
      </Box>
    );
  }

  const width = size.columns;
  const wide = width >= 110;
  // The language first: the rest of the line is cut on narrow terminals.
  const header = `${t('ui.language')} · ${headerOf(session, t)}`;
  const panel = panelParts({ rows: cluster.rows, error: cluster.error, rates, bench: { ...(progress?.ab ?? {}), ...state.ab } }, wide ? 40 : width, t);

  if (screen === 'home') {
    const ready = session.kind === 'ready' ? session.session : undefined;
    const unprepared = ready ? ready.report.prepared.filter((p) => !p.present).length : 0;
    const notices: Line[] = [
      ...(session.kind === 'failed' ? [{ text: session.message }] : []),
      ...(unprepared ? [{ text: t('ui.imagesNotPrepared', { missing: unprepared, total: ready!.report.prepared.length }), style: 'dim', truncate: true } as const] : []),
    ];
    const lines = homeLines({ chapters, selected: chapterIndex, progress, live: state, header, notices }, t);
    // Ink redraws the whole screen, and the terminal scrolls, once the output is as tall as the terminal.
    const usableRows = size.rows - 1;
    const message = boardLine();
    return (
      <HomeView
        lines={lines}
        panel={ready ? panel : undefined}
        panelRows={usableRows - 6 - (unprepared ? 1 : 0) - 2 * chapters.length - (message ? 1 : 0)}
        wide={wide}
        footer={footerFor('home', width, t, board.joined)}
        message={message}
      />
    );
  }

  return (
    <StepView
      chapter={chapter}
      step={step}
      stepIndex={stepIndex}
      status={status}
      live={live}
      watch={watch}
      busy={busy}
      header={header}
      variables={session.kind === 'ready' ? { ...session.session.variables, debug: '<debug container>' } : undefined}
      ipvs={session.kind === 'ready' ? session.session.profile.ipvs : true}
      size={size}
      showCluster={showCluster}
      panel={panel}
      scroll={scroll}
      hints={hints}
      color={color}
      markdown={markdown}
      footer={footerFor('step', width, t, board.joined)}
      message={bottomLine()}
      t={t}
    />
  );
}
