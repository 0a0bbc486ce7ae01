import type { DockerClient } from '../runner/docker/client.js';
import type { Profile } from '../runner/docker/profile.js';
import { ct } from './text.js';

/** What a check may use: the cluster (through DockerClient), HTTP, and the learner's files. */
export interface CheckContext {
  docker: DockerClient;
  profile: Profile;
  fetch: typeof globalThis.fetch;
  /** The learner's copy of DockerCoins, and the copy shipped in the package. */
  paths: { workspace: string; package: string };
  signal: AbortSignal;
  /** A figure kept earlier (a step's mining speed, by `chapter/step` and name), in this run or in progress. */
  recorded?: (step: string, name: string) => number | undefined;
}

/** A verdict: pass or fail, and in both cases what was expected and what the cluster showed. */
export interface CheckOutcome {
  ok: boolean;
  expected: string;
  actual: string;
  /** Figures worth keeping (hashes per second, ...). */
  measurements?: Record<string, number>;
  /** What to do about what this check saw, when that is more precise than the check's general hint. */
  hint?: string;
}

/**
 * `replicas`: a number or `global`. `count`: a number (exactly), or `N+` (at least N, for a step that a
 * learner may have gone beyond, as scaling before checking).
 */
export type ParamType = 'string' | 'number' | 'replicas' | 'count';

/** A check, as data: the runner looks it up by id, the linter validates its parameters. */
export interface CheckDefinition {
  id: string;
  /** Parameter names and types; a `?` suffix on the name marks it optional. */
  params: Record<string, ParamType>;
  /** One line saying what the check proves, for these parameters. */
  title(params: Params): string;
  /** What to try when it fails. */
  hint(params: Params): string;
  /**
   * Whether to re-run on a timer too: the state it reads (HTTP answers, speeds, files in containers)
   * changes without a Docker event announcing it. Other checks re-run only on Docker events.
   */
  polls?: boolean;
  /**
   * A measurement over seconds (a mining speed): `check` takes it for the step the learner is on, and does
   * not take it again for steps done earlier (whose figure was kept when they were done).
   */
  costly?: boolean;
  run(params: Params, ctx: CheckContext): Promise<CheckOutcome>;
}

export type Params = Record<string, string | number>;

export const pass = (expected: string, actual: string, measurements?: Record<string, number>): CheckOutcome => ({
  ok: true,
  expected,
  actual,
  measurements,
});
export const fail = (expected: string, actual: string, measurements?: Record<string, number>): CheckOutcome => ({
  ok: false,
  expected,
  actual,
  measurements,
});

/** A failure with a hint about what was seen. */
export const failWith = (expected: string, actual: string, hint: string | undefined): CheckOutcome => ({ ok: false, expected, actual, hint });

/** A `count` parameter: `{ n, atLeast }` from `5` or `"1+"`. */
export function count(params: Params, name: string): { n: number; atLeast: boolean } {
  const value = params[name];
  if (typeof value === 'number') return { n: value, atLeast: false };
  const match = /^(\d+)\+$/.exec(String(value));
  return match ? { n: Number(match[1]), atLeast: true } : { n: Number(value), atLeast: false };
}

export const describeCount = ({ n, atLeast }: { n: number; atLeast: boolean }) => (atLeast ? ct('common.atLeast', { n }) : String(n));
export const countMatches = ({ n, atLeast }: { n: number; atLeast: boolean }, value: number) => (atLeast ? value >= n : value === n);

export const str = (params: Params, name: string): string => String(params[name]);
export const num = (params: Params, name: string): number => Number(params[name]);
