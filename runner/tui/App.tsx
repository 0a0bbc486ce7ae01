import { Box, Text, useApp, useInput, useStdout, type Key } from 'ink';
import { useEffect, useRef, useState } from 'react';
import wrapAnsi from 'wrap-ansi';
import type { Session } from '../commands/setup.js';
import type { StepStatus } from '../engine/events.js';
import type { StepState } from '../engine/state.js';
import { proseFor, type Chapter } from '../lesson/load.js';
import { displayCommand, renderCommand } from '../lesson/template.js';
import { stepKey, type Progress } from '../progress.js';
import { commandFor, footerFor, KEY_TABLE } from './keys.js';
import { renderMarkdown } from './markdown.js';
import { useCluster, useMiningSpeed } from './useCluster.js';
import { useWorkshop } from './useWorkshop.js';
import { BenchBars, ClusterPanel, MiningChart } from './widgets.js';

const GLYPH: Record<StepStatus, string> = { done: '✓', failed: '✗', skipped: '-', running: '▶', pending: '·' };

function statusOf(chapter: Chapter, stepId: string, progress: Progress | undefined, live: StepState | undefined): StepStatus {
  if (live && live.status !== 'pending') return live.status;
  return progress?.steps[stepKey(chapter.id, stepId)]?.status ?? 'pending';
}

/** Rows a text takes once wrapped to `width`, the way ink wraps `<Text wrap="wrap">`. */
const wrappedRows = (text: string, width: number) => wrapAnsi(text, Math.max(1, width), { hard: true, trim: false }).split('\n').length;

/** The first step not done or skipped: where a learner resumes. */
export function resumeIndex(chapter: Chapter, progress: Progress | undefined): number {
  const i = chapter.steps.findIndex((s) => !['done', 'skipped'].includes(progress?.steps[stepKey(chapter.id, s.id)]?.status ?? ''));
  return i < 0 ? chapter.steps.length - 1 : i;
}

export interface AppProps {
  chapters: Chapter[];
  /** How to reach Docker; tests pass their own. */
  open?: () => Promise<Session>;
  color?: boolean;
  /** How long "check" waits for the cluster to converge. */
  checkWaitMs?: number;
}

/** The terminal UI: the chapter list, then one step at a time. A view of the engine's state. */
export function App({ chapters, open, color = true, checkWaitMs }: AppProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);

  const workshop = useWorkshop(open, checkWaitMs);
  const { session, state, progress, busy } = workshop;
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
  const [watch, setWatch] = useState(false);
  // In 80 columns the panel would crowd out the lesson: there it starts hidden (l shows it).
  const [showCluster, setShowCluster] = useState(() => (stdout.columns || 80) >= 110);

  const chapter = chapters[chapterIndex]!;
  // The step index belongs to the chapter last opened; another chapter may have fewer steps.
  const step = chapter.steps[Math.min(stepIndex, chapter.steps.length - 1)]!;
  const live = state.chapters[chapter.id]?.steps.find((s) => s.id === step.id);
  const status = statusOf(chapter, step.id, progress, live);

  // Watch mode: every cluster change re-checks the current step, once, until it is done.
  useEffect(() => {
    if (watch && screen === 'step' && status !== 'done' && !busy && session.kind === 'ready') {
      void workshop.perform(chapter, step, 'watch');
    }
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
    const command = commandFor(input, key, screen, busy);
    if (!command) return;
    if (help && command !== 'cancel' && command !== 'quit') return setHelp(false);
    switch (command) {
      case 'cancel':
        if (busy) workshop.cancel();
        else exit();
        return;
      case 'quit':
        return exit();
      case 'help':
        return setHelp(true);
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
      case 'run':
      case 'check':
        return void workshop.perform(chapter, step, command);
    }
  };

  const width = size.columns;
  const wide = width >= 110;
  const mainWidth = wide && showCluster ? width - 42 : width;

  const header = (() => {
    if (session.kind === 'connecting') return 'connecting to Docker...';
    if (session.kind === 'failed') return session.message.split('\n')[0]!;
    const { report } = session.session;
    const info = report.engine.ok ? report.engine.info : undefined;
    return `engine ✓ ${info?.serverVersion ?? ''} · swarm ${info?.swarmState} · ${info?.nodes} node(s) · IPVS ${report.ipvs ? '✓' : '✗ (dnsrr, host-mode ports)'}`;
  })();

  // The side panel's parts, each with its height, so that a short terminal can leave the later ones out.
  const panelWidth = wide ? 40 : width;
  const benchResults = { ...(progress?.ab ?? {}), ...state.ab };
  const updating = cluster.rows.filter((r) => r.updateState === 'updating' || r.updateState === 'rollback_started').length;
  const panelParts = [
    { rows: 1 + Math.max(1, cluster.rows.length) + updating + (cluster.error ? 1 : 0), node: <ClusterPanel key="cluster" rows={cluster.rows} error={cluster.error} width={panelWidth} /> },
    { rows: rates.length ? 1 : 0, node: <MiningChart key="mining" rates={rates} width={panelWidth} /> },
    { rows: Object.keys(benchResults).length ? 1 + Object.keys(benchResults).length : 0, node: <BenchBars key="bench" results={benchResults} width={panelWidth} /> },
  ];
  /** The panel's parts that fit in `rows` rows, in order, skipping any that would not fit. */
  const fitting = (rows: number) => {
    let left = rows;
    return panelParts.filter((p) => (p.rows <= left ? ((left -= p.rows), true) : false));
  };
  const panelRows = (rows: number) => fitting(rows).reduce((sum, p) => sum + p.rows, 0);
  const sidePanel = (rows: number) => (
    <Box flexDirection="column" width={wide ? 40 : undefined} marginLeft={wide ? 2 : 0}>
      {fitting(rows).map((p) => p.node)}
    </Box>
  );
  // Ink redraws the whole screen, and the terminal scrolls, once the output is as tall as the terminal.
  const usableRows = size.rows - 1;

  if (help) {
    return (
      <Box flexDirection="column">
        <Text bold>Keys</Text>
        {KEY_TABLE.map((b) => (
          <Text key={b.command}>
            {b.keys.join(' / ').padEnd(16)} {b.label}
            {b.where === 'everywhere' ? '' : ` (${b.where === 'home' ? 'chapter list' : 'step'})`}
          </Text>
        ))}
        <Text dimColor>any key closes this help</Text>
      </Box>
    );
  }

  const unprepared = session.kind === 'ready' ? session.session.report.prepared.filter((p) => !p.present).length : 0;
  if (screen === 'home') {
    return (
      <Box flexDirection="column">
        <Text bold>swarm-workshop</Text>
        <Text wrap="truncate">{header}</Text>
        {session.kind === 'failed' ? <Text>{session.message}</Text> : null}
        {unprepared ? <Text dimColor wrap="truncate">{`images not prepared (${unprepared}/${session.kind === 'ready' ? session.session.report.prepared.length : 0}): \`swarm-workshop prepare\` makes the build step quick`}</Text> : null}
        <Box marginTop={1} flexDirection="column">
          {chapters.map((c, i) => {
            const glyphs = c.steps.map((s) => GLYPH[statusOf(c, s.id, progress, state.chapters[c.id]?.steps.find((x) => x.id === s.id))]).join('');
            const done = c.steps.filter((s) => progress?.steps[stepKey(c.id, s.id)]?.status === 'done').length;
            return (
              <Box key={c.id} flexDirection="column">
                <Text inverse={i === chapterIndex} wrap="truncate">
                  {i === chapterIndex ? '›' : ' '} {c.id}  {c.title}
                </Text>
                <Text>
                  {'     '}
                  {glyphs} {done}/{c.steps.length} done{done > 0 && done < c.steps.length ? `, resume at "${c.steps[resumeIndex(c, progress)]!.title}"` : ''}
                </Text>
              </Box>
            );
          })}
        </Box>
        {session.kind === 'ready' ? <Box marginTop={1}>{sidePanel(usableRows - 6 - (unprepared ? 1 : 0) - 2 * chapters.length)}</Box> : null}
        <Text dimColor wrap="truncate">{footerFor('home', width)}</Text>
      </Box>
    );
  }

  // The step view.
  const variables = session.kind === 'ready' ? { ...session.session.variables, debug: '<debug container>' } : undefined;
  const commands = step.commands.map((c) => (variables ? displayCommand(renderCommand(c.template, variables)) : c.template));
  const prose = renderMarkdown(proseFor(step.body, session.kind === 'ready' ? session.session.profile.ipvs : true), Math.max(40, mainWidth - 2), color).split('\n');
  const outputLines = (live?.commands ?? []).flatMap((c) => [`$ ${c.command}`, ...c.output.filter((l) => l !== '')]).slice(-6);
  const checks = (live?.checks ?? []).filter((c) => c.phase === 'after');
  const commandRows = commands.reduce((sum, c) => sum + wrappedRows(`$ ${c}`, mainWidth - 4), 2);
  const checkRows = checks.reduce((sum, c) => sum + (c.ok ? 1 : 3), 0) + (live?.reason && status === 'failed' ? 1 : 0);
  const hintRows = step.hints.slice(0, hints).reduce((sum, h, i) => sum + wrappedRows(`hint ${i + 1}: ${h}`, mainWidth), 0);
  // Title, engine line, the "(lines x-y)" line, the key line: 4 rows besides the parts counted here.
  const lessonRows = usableRows - 4 - commandRows - outputLines.length - checkRows - hintRows;
  // Below the lesson in a narrow terminal, the panel takes what the lesson can spare beyond 3 rows.
  const belowRows = !wide && showCluster ? panelRows(Math.max(0, lessonRows - 3)) : 0;
  const proseRows = Math.max(1, lessonRows - belowRows);
  const top = Math.min(scroll, Math.max(0, prose.length - proseRows));

  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {chapter.id} · step {stepIndex + 1}/{chapter.steps.length} · {step.title} · {GLYPH[status]} {status}
        {watch ? ' · watching' : ''}
      </Text>
      <Text dimColor wrap="truncate">{header}</Text>
      <Box flexDirection="row">
        <Box flexDirection="column" width={mainWidth}>
          {prose.slice(top, top + proseRows).map((line, i) => (
            <Text key={i} wrap="truncate">{line || ' '}</Text>
          ))}
          {prose.length > proseRows ? <Text dimColor>{`(${top + 1}-${Math.min(prose.length, top + proseRows)} of ${prose.length} lines, ↑↓ to scroll)`}</Text> : null}
          <Box borderStyle="round" flexDirection="column" paddingX={1}>
            {commands.map((c, i) => (
              <Text key={i} wrap="wrap">$ {c}</Text>
            ))}
          </Box>
          {outputLines.length ? (
            <Box flexDirection="column">
              {outputLines.map((l, i) => (
                <Text key={i} dimColor wrap="truncate">{l}</Text>
              ))}
            </Box>
          ) : null}
          {checks.map((c) => (
            <Box key={c.check + c.title} flexDirection="column">
              <Text wrap="truncate">{c.ok ? '✓' : '✗'} {c.title}</Text>
              {!c.ok ? <Text wrap="truncate">{`   expected: ${c.expected}`}</Text> : null}
              {!c.ok ? <Text wrap="truncate">{`   actual:   ${c.actual}`}</Text> : null}
            </Box>
          ))}
          {live?.reason && status === 'failed' ? <Text wrap="truncate">{live.reason}</Text> : null}
          {step.hints.slice(0, hints).map((h, i) => (
            <Text key={i} wrap="wrap">hint {i + 1}: {h}</Text>
          ))}
        </Box>
        {wide && showCluster ? sidePanel(size.rows) : null}
      </Box>
      {!wide && showCluster ? sidePanel(belowRows) : null}
      <Text dimColor wrap="truncate">
        {busy ? 'running... Ctrl-C stops it' : footerFor('step', width)}
      </Text>
    </Box>
  );
}

