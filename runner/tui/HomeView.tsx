import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Line } from './home.js';
import { SidePanel } from './widgets.js';

/** One line of home.ts's layout as ink text. */
export function LineText({ line }: { line: Line }) {
  return (
    <Text bold={line.style === 'bold'} dimColor={line.style === 'dim'} inverse={line.style === 'inverse'} wrap={line.truncate ? 'truncate' : 'wrap'}>
      {line.text}
    </Text>
  );
}

export interface HomeViewProps {
  /** The chapter list (home.ts `homeLines`). */
  lines: Line[];
  /** The cluster panel's parts, once there is a session; absent before. */
  panel?: { rows: number; node: ReactNode }[];
  /** Rows the panel may take. */
  panelRows: number;
  /** A terminal of 110 columns or more: the panel is 40 columns wide, indented. */
  wide: boolean;
  footer: string;
  /** One line above the key line (a joined learner's board: the hand's input, a broadcast). */
  message?: string;
}

/** The chapter list: the same lines the plain first frame drew, then the cluster panel and the key line. */
export function HomeView({ lines, panel, panelRows, wide, footer, message }: HomeViewProps) {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <LineText key={i} line={line} />
      ))}
      {panel ? (
        <Box marginTop={1}>
          <SidePanel parts={panel} rows={panelRows} wide={wide} />
        </Box>
      ) : null}
      {message ? <Text wrap="truncate" color="yellow">{message}</Text> : null}
      <Text dimColor wrap="truncate">{footer}</Text>
    </Box>
  );
}
