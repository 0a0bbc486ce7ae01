import type { T } from '../i18n/lite.js';
import { padLabels } from '../i18n/messages.js';
import { Box, Text } from 'ink';
import { useMemo, type ReactNode } from 'react';
import type { StepStatus } from '../engine/events.js';
import type { StepState } from '../engine/state.js';
import { proseFor, type Chapter, type Step } from '../lesson/load.js';
import { displayCommand, renderCommand, type Variables } from '../lesson/template.js';
import { truncateColumns } from './columns.js';
import { GLYPH } from './home.js';
import type { useMarkdown } from './useMarkdown.js';
import { panelRows, SidePanel } from './widgets.js';
import { wrapText } from './wrap.js';

/** A text as rows of at most `width` columns, Chinese broken between its characters (wrap.ts). */
const rowsOf = (text: string, width: number) => wrapText(text, width).split('\n');

export interface StepViewProps {
  chapter: Chapter;
  step: Step;
  stepIndex: number;
  status: StepStatus;
  /** The step as this session ran or checked it. */
  live: StepState | undefined;
  watch: boolean;
  busy: boolean;
  /** The engine line. */
  header: string;
  /** The UI's words in its language (locales/*.json). */
  t: T;
  /** The profile's template values (with the session), to show commands as they will run. */
  variables: Variables | undefined;
  ipvs: boolean;
  size: { columns: number; rows: number };
  showCluster: boolean;
  panel: { rows: number; node: ReactNode }[];
  scroll: number;
  hints: number;
  color: boolean;
  /** The Markdown renderer, once loaded: until then the prose shows as its source. */
  markdown: ReturnType<typeof useMarkdown>;
  footer: string;
  /** One line above the key line: a question, a catch-up's progress or its outcome. */
  message?: string;
}

/** One step: its prose (scrolled), its commands, their output, the checks' verdicts, the hints shown. */
export function StepView(props: StepViewProps) {
  const { chapter, step, stepIndex, status, live, watch, busy, header, variables, ipvs, size, showCluster, panel, scroll, hints, color, markdown, footer, message, t } = props;
  const width = size.columns;
  const wide = width >= 110;
  const mainWidth = wide && showCluster ? width - 42 : width;
  // Ink redraws the whole screen, and the terminal scrolls, once the output is as tall as the terminal.
  const usableRows = size.rows - 1;

  const proseWidth = Math.max(40, mainWidth - 2);
  // Rendering Markdown is the costly part of a frame: once per step, width and renderer, not per render.
  const prose = useMemo(() => {
    const source = proseFor(step.body, ipvs);
    return (markdown ? markdown(source, proseWidth, color) : wrapText(source.trim(), proseWidth)).split('\n');
  }, [step.body, ipvs, proseWidth, color, markdown]);
  const commands = step.commands.map((c) => (variables ? displayCommand(renderCommand(c.template, variables)) : c.template));
  const outputLines = (live?.commands ?? []).flatMap((c) => [`$ ${c.command}`, ...c.output.filter((l) => l !== '')]).slice(-6);
  const checks = (live?.checks ?? []).filter((c) => c.phase === 'after');
  // Each command and hint wrapped once per render: the fitting below counts their rows, the screen shows them.
  const commandRows = commands.map((c) => rowsOf(`$ ${c}`, mainWidth - 4));
  const rowsOfCommands = (n: number) => commandRows.slice(0, n).reduce((sum, r) => sum + r.length, 2) + (n < commands.length ? 1 : 0);
  const checkRows = checks.reduce((sum, c) => sum + (c.ok ? 1 : 3), 0) + (live?.reason && status === 'failed' ? 1 : 0);
  const hintLine = (h: string, i: number) => t('ui.hint', { n: i + 1, text: h });
  const hintRows = step.hints.slice(0, hints).map((h, i) => rowsOf(hintLine(h, i), mainWidth));
  const rowsOfHints = (from: number) => hintRows.reduce((sum, r, i) => sum + (i < from ? 0 : r.length), 0);
  const [expected, actual] = padLabels([t('ui.expected'), t('ui.actual')]);
  // Title, engine line, the "(lines x-y)" line, the key line: 4 rows besides the parts counted here.
  const rowsLeft = (shownCommands: number, firstHint: number, shownOutput = outputLines.length) => usableRows - 4 - (message ? 1 : 0) - rowsOfCommands(shownCommands) - shownOutput - checkRows - rowsOfHints(firstHint);
  // A short terminal with a long step and its hints open: keep at least one row of prose by showing the
  // latest hints only, then fewer commands (a line says how many more there are), rather than let the
  // screen grow taller than the terminal (ink would redraw it whole and scroll the title away).
  let firstHint = 0;
  while (rowsLeft(commands.length, firstHint) < 1 && firstHint < hints - 1) firstHint++;
  let shownCommands = commands.length;
  while (rowsLeft(shownCommands, firstHint) < 1 && shownCommands > 1) shownCommands--;
  // Then fewer lines of the commands' output (the last ones stay): the checks' verdicts matter more.
  let shownOutput = outputLines.length;
  while (rowsLeft(shownCommands, firstHint, shownOutput) < 1 && shownOutput > 0) shownOutput--;
  const lessonRows = rowsLeft(shownCommands, firstHint, shownOutput);
  // Below the lesson in a narrow terminal, the panel takes what the lesson can spare beyond 3 rows.
  const belowRows = !wide && showCluster ? panelRows(panel, Math.max(0, lessonRows - 3)) : 0;
  const proseRows = Math.max(1, lessonRows - belowRows);
  const top = Math.min(scroll, Math.max(0, prose.length - proseRows));

  /**
   * One row cut to `w` columns before ink sees it: ink's own truncation (cli-truncate) can leave a row one
   * column too wide when a Chinese character meets the edge, and the terminal then wraps its ellipsis onto
   * a row of its own (measured in tmux at 60 columns), pushing the title off the top.
   */
  const fit = (text: string, w = mainWidth) => truncateColumns(text, w);

  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {fit(t('ui.stepLine', { chapter: chapter.id, n: stepIndex + 1, total: chapter.steps.length, title: step.title, glyph: GLYPH[status], status: t(`ui.status.${status}`) }) + (watch ? t('ui.watching') : ''), width)}
      </Text>
      <Text dimColor wrap="truncate">{fit(header, width)}</Text>
      <Box flexDirection="row">
        <Box flexDirection="column" width={mainWidth}>
          {prose.slice(top, top + proseRows).map((line, i) => (
            <Text key={i} wrap="truncate">{line || ' '}</Text>
          ))}
          {prose.length > proseRows ? <Text dimColor>{t('ui.scroll', { from: top + 1, to: Math.min(prose.length, top + proseRows), total: prose.length })}</Text> : null}
          <Box borderStyle="round" flexDirection="column" paddingX={1}>
            {commandRows.slice(0, shownCommands).flatMap((rows, i) => rows.map((row, j) => (
              <Text key={`${i}.${j}`} wrap="truncate">{row}</Text>
            )))}
            {shownCommands < commands.length ? <Text dimColor wrap="truncate">{t('ui.moreCommands', { count: commands.length - shownCommands })}</Text> : null}
          </Box>
          {shownOutput ? (
            <Box flexDirection="column">
              {outputLines.slice(outputLines.length - shownOutput).map((l, i) => (
                <Text key={i} dimColor wrap="truncate">{fit(l)}</Text>
              ))}
            </Box>
          ) : null}
          {checks.map((c) => (
            <Box key={c.check + c.title} flexDirection="column">
              <Text wrap="truncate">{fit(`${c.ok ? '✓' : '✗'} ${c.title}`)}</Text>
              {!c.ok ? <Text wrap="truncate">{fit(`   ${expected} ${c.expected}`)}</Text> : null}
              {!c.ok ? <Text wrap="truncate">{fit(`   ${actual} ${c.actual}`)}</Text> : null}
            </Box>
          ))}
          {live?.reason && status === 'failed' ? <Text wrap="truncate">{fit(live.reason)}</Text> : null}
          {hintRows.flatMap((rows, i) => (i < firstHint ? [] : rows.map((row, j) => (
            <Text key={`${i}.${j}`} wrap="truncate">{row}</Text>
          ))))}
        </Box>
        {wide && showCluster ? <SidePanel parts={panel} rows={size.rows} wide /> : null}
      </Box>
      {!wide && showCluster ? <SidePanel parts={panel} rows={belowRows} wide={false} /> : null}
      {message ? <Text wrap="truncate" color="yellow">{fit(message, width)}</Text> : null}
      <Text dimColor wrap="truncate">
        {fit(busy ? t('ui.running') : footer, width)}
      </Text>
    </Box>
  );
}
