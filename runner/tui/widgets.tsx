import type { T } from '../i18n/lite.js';
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { AbResult } from '../engine/ab.js';
import type { ServiceRow } from './useCluster.js';

const BLOCKS = '▁▂▃▄▅▆▇█';

/** A one-line chart of a series, scaled to its own maximum. */
export function sparkline(values: number[], width: number): string {
  const shown = values.slice(-width);
  const top = Math.max(1, ...shown);
  return shown.map((v) => BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, Math.round((v / top) * (BLOCKS.length - 1))))]).join('');
}

/** A horizontal bar of `value` out of `max`, `width` cells wide. */
export function bar(value: number, max: number, width: number): string {
  const filled = max > 0 ? Math.round((Math.min(value, max) / max) * width) : 0;
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export function ClusterPanel({ rows, error, width, t }: { rows: ServiceRow[]; error?: string; width: number; t: T }) {
  const imageWidth = Math.max(10, width - 24);
  return (
    <Box flexDirection="column">
      <Text bold>{t('ui.cluster')}</Text>
      {error ? <Text>{t('ui.clusterError', { error })}</Text> : null}
      {!rows.length && !error ? <Text dimColor>{t('ui.noServices')}</Text> : null}
      {rows.map((r) => (
        <Text key={r.name} wrap="truncate">
          {r.name.padEnd(9)} {`${r.running}/${r.desired === 'global' ? 'g' : r.desired}`.padStart(5)}  {r.image.replace(/^127\.0\.0\.1:5000\/(dockercoins_)?/, '').slice(0, imageWidth)}
        </Text>
      ))}
      {rows
        .filter((r) => r.updateState === 'updating' || r.updateState === 'rollback_started')
        .map((r) => {
          const total = r.desired === 'global' ? r.running : r.desired;
          return (
            <Text key={`${r.name}-update`}>
              {r.updateState === 'updating' ? t('ui.updating') : t('ui.rollingBack')} {r.name} {bar(r.onImage, total, 16)} {r.onImage}/{total} {t('ui.onNewImage')}
            </Text>
          );
        })}
    </Box>
  );
}

export function MiningChart({ rates, width, t }: { rates: number[]; width: number; t: T }) {
  if (!rates.length) return null;
  const now = rates[rates.length - 1]!;
  return (
    <Text wrap="truncate">
      {t('ui.mining', { rate: now.toFixed(1).padStart(5) })} {sparkline(rates, Math.max(10, width - 26))}
    </Text>
  );
}

const BENCH_ORDER = ['rng-c1', 'rng-c50', 'hasher-c1', 'hasher-c50'];

export function BenchBars({ results, width }: { results: Record<string, AbResult>; width: number }) {
  const names = BENCH_ORDER.filter((n) => results[n]);
  if (!names.length) return null;
  const max = Math.max(...names.map((n) => results[n]!.requestsPerSecond));
  return (
    <Box flexDirection="column">
      <Text bold>Benchmarks (requests/s)</Text>
      {names.map((n) => (
        <Text key={n} wrap="truncate">
          {n.padEnd(11)} {bar(results[n]!.requestsPerSecond, max, Math.max(10, width - 32))} {results[n]!.requestsPerSecond.toFixed(1).padStart(6)} ({results[n]!.meanMs.toFixed(0)} ms)
        </Text>
      ))}
    </Box>
  );
}

/** What the side panel shows: the services, the mining speed, the benchmark results. */
export interface PanelData {
  rows: ServiceRow[];
  error?: string;
  rates: number[];
  bench: Record<string, AbResult>;
}

/** The panel's parts, each with its height, so that a short terminal can leave the later ones out. */
export function panelParts({ rows, error, rates, bench }: PanelData, width: number, t: T): { rows: number; node: ReactNode }[] {
  const updating = rows.filter((r) => r.updateState === 'updating' || r.updateState === 'rollback_started').length;
  return [
    { rows: 1 + Math.max(1, rows.length) + updating + (error ? 1 : 0), node: <ClusterPanel key="cluster" rows={rows} error={error} width={width} t={t} /> },
    { rows: rates.length ? 1 : 0, node: <MiningChart key="mining" rates={rates} width={width} t={t} /> },
    { rows: Object.keys(bench).length ? 1 + Object.keys(bench).length : 0, node: <BenchBars key="bench" results={bench} width={width} /> },
  ];
}

/** The parts that fit in `rows` rows, in order, skipping any that would not fit. */
export function fitting<P extends { rows: number }>(parts: P[], rows: number): P[] {
  let left = rows;
  return parts.filter((p) => (p.rows <= left ? ((left -= p.rows), true) : false));
}

/** Rows the fitting parts take. */
export const panelRows = (parts: { rows: number }[], rows: number) => fitting(parts, rows).reduce((sum, p) => sum + p.rows, 0);

/** The panel in `rows` rows: at the right of a wide terminal (40 columns), else below the main view. */
export function SidePanel({ parts, rows, wide }: { parts: { rows: number; node: ReactNode }[]; rows: number; wide: boolean }) {
  return (
    <Box flexDirection="column" width={wide ? 40 : undefined} marginLeft={wide ? 2 : 0}>
      {fitting(parts, rows).map((p) => p.node)}
    </Box>
  );
}
