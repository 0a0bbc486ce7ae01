/**
 * The build cache of the prepared DockerCoins images, carried to another engine: a lab node (`lab up`) or
 * a class machine (`prepare --import`). A copied image is not a build cache. The legacy builder looks for
 * an image per Dockerfile step, child of the one before, made by the step's command; `docker save` and
 * `docker load` keep those step images (by id) but not which is whose child. A build with `--cache-from`
 * every step image, oldest first, links each to the one before; from then on a plain `docker build`, as
 * the learner types it, finds them. BuildKit keeps no step images, and engines whose builder is BuildKit
 * (or 26.1's legacy one, measured) do not take them: their builds download, and the caller says so.
 */
import { join } from 'node:path';
import type { CommandResult } from '../engine/executor.js';
import { APP_IMAGES, BASE_IMAGES, preparedRef } from './images.js';

/** `docker ARGS` on the engine in question, with its own time bound. */
export type DockerRun = (args: string[], timeoutMs?: number) => Promise<CommandResult>;

/**
 * The images the legacy builder made on the way to `ref`, one per step, oldest first (ids; not the base
 * image). Empty for an image BuildKit made.
 */
async function buildChain(run: DockerRun, ref: string, bases: Set<string>): Promise<string[]> {
  const history = await run(['history', '-q', '--no-trunc', ref]);
  if (history.exitCode !== 0) return [];
  const ids = history.stdout.split('\n').map((l) => l.trim()).filter((id) => id.startsWith('sha256:'));
  return ids.slice(1).reverse().filter((id) => !bases.has(id));
}

/** Each prepared image's build chain (prepared ref → step image ids), read once. */
export async function buildChains(run: DockerRun): Promise<Map<string, string[]>> {
  const bases = new Set<string>();
  for (const ref of BASE_IMAGES) bases.add((await run(['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim());
  const chains = new Map<string, string[]>();
  for (const name of APP_IMAGES) chains.set(preparedRef(name), await buildChain(run, preparedRef(name), bases));
  return chains;
}

export interface CacheFill {
  /** Images whose plain build, with no network, went through: their lesson builds need no download. */
  warmed: string[];
  /** Images whose build would download (no step images, or a builder that does not take them). */
  cold: string[];
  seconds: number;
}

/**
 * Link each prepared image's step images on the target engine, then prove it: a plain build of the
 * lesson's folder with no network must go through. `warm` runs docker with the legacy builder (the step
 * images are its cache); `plain` runs it as the learner's `docker build` would.
 */
export async function fillBuildCache(
  engines: { warm: DockerRun; plain: DockerRun },
  chains: Map<string, string[]>,
  sourceDir: string,
): Promise<CacheFill> {
  const t0 = Date.now();
  const warmed: string[] = [];
  const cold: string[] = [];
  for (const name of APP_IMAGES) {
    const ref = preparedRef(name);
    if ((await engines.warm(['image', 'inspect', '--format', '{{.Id}}', ref])).exitCode !== 0) continue;
    const chain = chains.get(ref) ?? [];
    const from = [...chain, ref].flatMap((id) => ['--cache-from', id]);
    const r = await engines.warm(['build', '-q', '--network', 'none', ...from, join(sourceDir, name)], 2 * 60_000);
    const plain = r.exitCode === 0 && chain.length ? await engines.plain(['build', '-q', '--network', 'none', join(sourceDir, name)], 2 * 60_000) : r;
    (r.exitCode === 0 && chain.length && plain.exitCode === 0 ? warmed : cold).push(name);
  }
  return { warmed, cold, seconds: (Date.now() - t0) / 1000 };
}
