import type { DockerClient } from '../runner/docker/client.js';
import type { Profile } from '../runner/docker/profile.js';

/** What a check may use: the cluster (through DockerClient), HTTP, and the learner's files. */
export interface CheckContext {
  docker: DockerClient;
  profile: Profile;
  fetch: typeof globalThis.fetch;
  /** The learner's copy of DockerCoins, and the copy shipped in the package. */
  paths: { workspace: string; package: string };
  signal: AbortSignal;
}

/** A verdict: pass or fail, and in both cases what was expected and what the cluster showed. */
export interface CheckOutcome {
  ok: boolean;
  expected: string;
  actual: string;
  /** Figures worth keeping (hashes per second, ...). */
  measurements?: Record<string, number>;
}

export type ParamType = 'string' | 'number' | 'replicas';

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

export const str = (params: Params, name: string): string => String(params[name]);
export const num = (params: Params, name: string): number => Number(params[name]);
