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
import type { DockerRun } from './run.js';
import { APP_IMAGES, BASE_IMAGES, LAB_ENGINES, NODE_IMAGE, PREPARED_LABEL, preparedLabelValue, preparedRef } from './images.js';

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

/** The lab's node images as `prepare` builds them: from lab/node, with BASE for engine 26. */
export const NODE_BUILDS = Object.values(LAB_ENGINES).map((e) => ({ ref: e.image, buildArgs: e.image === NODE_IMAGE ? [] : [`BASE=${e.base}`] }));

/** Each prepared image's build chain (prepared ref → step image ids; the node images' too), read once. */
export async function buildChains(run: DockerRun): Promise<Map<string, string[]>> {
  const bases = new Set<string>();
  for (const ref of [...BASE_IMAGES, ...Object.values(LAB_ENGINES).map((e) => e.base)]) {
    const id = (await run(['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
    if (id) bases.add(id);
  }
  const chains = new Map<string, string[]>();
  for (const ref of [...APP_IMAGES.map(preparedRef), ...NODE_BUILDS.map((n) => n.ref)]) chains.set(ref, await buildChain(run, ref, bases));
  return chains;
}

/**
 * The build, with no network, that links `ref`'s step images (`chain`, oldest first) as its cache: every
 * step image and the image itself as `--cache-from`, with prepare's build args and label. The legacy
 * builder makes `--label` a last LABEL step, so this links the prepared image itself too, and `prepare`
 * afterwards finds it up to date.
 */
function linkingBuild(ref: string, chain: string[], dir: string, buildArgs: string[] = []): string[] {
  return ['build', '-q', '--network', 'none', ...buildArgs.flatMap((a) => ['--build-arg', a]), '--label', `${PREPARED_LABEL}=${preparedLabelValue}`,
    ...[...chain, ref].flatMap((id) => ['--cache-from', id]), dir];
}

/**
 * Link the node images' step images as `prepare` would build them (same build args, same label), with no
 * network: afterwards `prepare` finds them up to date instead of building them again from Debian's mirror.
 * Returns the refs linked and those that could not be.
 */
export async function linkNodeImages(warm: DockerRun, chains: Map<string, string[]>, nodeDir: string): Promise<{ linked: string[]; cold: string[] }> {
  const linked: string[] = [];
  const cold: string[] = [];
  for (const { ref, buildArgs } of NODE_BUILDS) {
    const chain = chains.get(ref) ?? [];
    if ((await warm(['image', 'inspect', '--format', '{{.Id}}', ref])).exitCode !== 0) continue;
    const r = chain.length ? await warm(linkingBuild(ref, chain, nodeDir, buildArgs), 2 * 60_000) : undefined;
    (r?.exitCode === 0 ? linked : cold).push(ref);
  }
  return { linked, cold };
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
    const r = await engines.warm(linkingBuild(ref, chain, join(sourceDir, name)), 2 * 60_000);
    const plain = r.exitCode === 0 && chain.length ? await engines.plain(['build', '-q', '--network', 'none', join(sourceDir, name)], 2 * 60_000) : r;
    (r.exitCode === 0 && chain.length && plain.exitCode === 0 ? warmed : cold).push(name);
  }
  return { warmed, cold, seconds: (Date.now() - t0) / 1000 };
}
