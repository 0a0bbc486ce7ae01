/**
 * The class bundle: every image the lessons and the lab need, in one file that a class carries to twenty
 * machines with no network on the day (`prepare --export FILE`, `prepare --import FILE`).
 *
 * The file is a tar of two entries: `swarm-workshop-bundle.json` (the manifest: each image's name, id and
 * size, the build-step images of the prepared ones, and the size and SHA-256 of the second entry), then
 * `images.tar`, what `docker save` wrote. Import reads the file twice: once to check it whole against its
 * manifest (a truncated, damaged or foreign file is refused before docker sees a byte of it), then to
 * stream the images into `docker load`. After the load every image is checked against the manifest, and
 * the build cache is linked and proven with a build that has no network (build-cache.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, openSync, readSync, closeSync, renameSync, rmSync, statSync, createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import tar from 'tar-stream';
import * as v from 'valibot';
import { runCommand, type CommandResult } from '../engine/executor.js';
import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';
import { dockercoinsDir, packageVersion } from '../paths.js';
import { buildChains, fillBuildCache, type DockerRun } from './build-cache.js';
import { APP_IMAGES, BASE_IMAGES, LAB_ENGINES, NODE_IMAGE, preparedRef } from './images.js';

export const BUNDLE_FORMAT = 'swarm-workshop-bundle';
export const MANIFEST_ENTRY = 'swarm-workshop-bundle.json';
export const IMAGES_ENTRY = 'images.tar';

const imageSchema = v.object({ ref: v.string(), id: v.pipe(v.string(), v.regex(/^sha256:[0-9a-f]{64}$/)), bytes: v.number() });
const manifestSchema = v.object({
  format: v.literal(BUNDLE_FORMAT),
  version: v.literal(1),
  workshop: v.string(),
  createdAt: v.string(),
  engine: v.string(),
  images: v.array(imageSchema),
  buildSteps: v.record(v.string(), v.array(v.pipe(v.string(), v.regex(/^sha256:[0-9a-f]{64}$/)))),
  archive: v.object({ bytes: v.number(), sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)) }),
});
export type BundleManifest = v.InferOutput<typeof manifestSchema>;

type Out = (text: string) => void;

/** The images a class needs: required ones, and those included when this engine has them. */
export function bundleImages(): { required: string[]; optional: string[] } {
  const node26 = LAB_ENGINES['26'];
  return { required: [...BASE_IMAGES, ...APP_IMAGES.map(preparedRef), NODE_IMAGE], optional: [node26.base, node26.image] };
}

function dockerRun(env: NodeJS.ProcessEnv, signal: AbortSignal): DockerRun {
  return async (args, timeoutMs = 120_000) => {
    const r = await runCommand(['docker', ...args], { env, signal, timeoutMs });
    if (r.cancelled || signal.aborted) throw new AbortError(say('bundle.interrupted'), [say('bundle.interruptedNext')], 130);
    return r;
  };
}

const lastLine = (r: CommandResult) => (r.stderr || r.stdout).trim().split('\n').filter(Boolean).pop() ?? say('prepare.dockerExited', { code: r.exitCode });
const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

async function inspect(run: DockerRun, ref: string): Promise<{ id: string; bytes: number } | undefined> {
  const r = await run(['image', 'inspect', '--format', '{{.Id}} {{.Size}}', ref]);
  if (r.exitCode !== 0) return undefined;
  const [id = '', size = '0'] = r.stdout.trim().split(' ');
  return { id, bytes: Number(size) };
}

async function requireEngine(run: DockerRun): Promise<string> {
  const r = await run(['version', '--format', '{{.Server.Version}}']);
  if (r.exitCode !== 0) throw new AbortError(say('prepare.noEngine', { error: lastLine(r) }), [say('prepare.startDocker'), say('prepare.checkDockerInfo')]);
  return r.stdout.trim();
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** `prepare --export FILE`: every image of the class into FILE, written whole or not at all. */
export async function exportBundle(file: string, signal: AbortSignal, out: Out, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const target = resolve(file);
  if (!existsSync(dirname(target))) throw new AbortError(say('bundle.noFolder', { dir: dirname(target) }), [say('bundle.noFolderNext')]);
  const run = dockerRun(env, signal);
  const engine = await requireEngine(run);
  const { required, optional } = bundleImages();
  const images: BundleManifest['images'] = [];
  const missing: string[] = [];
  for (const ref of [...required, ...optional]) {
    const there = await inspect(run, ref);
    if (there) images.push({ ref, ...there });
    else if (required.includes(ref)) missing.push(ref);
  }
  if (missing.length) throw new AbortError(say('bundle.missing', { refs: missing.join(', ') }), [say('bundle.missingNext')]);
  const chains = await buildChains(run);
  const buildSteps = Object.fromEntries([...chains].filter(([, ids]) => ids.length));
  const steps = [...new Set(Object.values(buildSteps).flat())];
  out(say('bundle.saving', { count: images.length, steps: steps.length, engine }));

  // Next to the target (same file system, so the rename is atomic), removed whatever happens.
  const work = mkdtempSync(join(dirname(target), '.swarm-workshop-bundle-'));
  try {
    const t0 = Date.now();
    const saved = join(work, IMAGES_ENTRY);
    const save = await run(['save', '-o', saved, ...images.map((i) => i.ref), ...steps], 30 * 60_000);
    if (save.exitCode !== 0) throw new AbortError(say('bundle.saveFailed', { error: lastLine(save) }), [say('bundle.saveFailedNext')]);
    const archive = { bytes: statSync(saved).size, sha256: await sha256Of(saved) };
    const manifest: BundleManifest = { format: BUNDLE_FORMAT, version: 1, workshop: packageVersion, createdAt: new Date().toISOString(), engine, images, buildSteps, archive };
    const partial = join(work, 'bundle.partial');
    const pack = tar.pack();
    const written = pipeline(pack, createWriteStream(partial));
    pack.entry({ name: MANIFEST_ENTRY }, JSON.stringify(manifest, null, 2) + '\n');
    const entry = pack.entry({ name: IMAGES_ENTRY, size: archive.bytes });
    await pipeline(createReadStream(saved), entry);
    pack.finalize();
    await written;
    renameSync(partial, target);
    for (const image of images) out(`  ✓ ${image.ref.padEnd(44)} ${image.id.slice(7, 19)}  ${mb(image.bytes)} MB\n`);
    if (steps.length) out(say('bundle.stepImages', { count: steps.length }));
    out(say('bundle.written', { file: target, mb: mb(statSync(target).size), seconds: ((Date.now() - t0) / 1000).toFixed(0) }));
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The file as a stream of its tar, gunzipped when it was compressed (`gzip bundle.tar` for the copy). */
function openArchive(file: string): Readable {
  const fd = openSync(file, 'r');
  const magic = Buffer.alloc(2);
  readSync(fd, magic, 0, 2, 0);
  closeSync(fd);
  const stream = createReadStream(file);
  return magic[0] === 0x1f && magic[1] === 0x8b ? stream.pipe(createGunzip()) : stream;
}

/**
 * Read the bundle's entries in order: its manifest first, then the images entry handed to `onImages`.
 * Anything else (another first entry, a manifest that is not ours, a tar that is not one) is refused.
 */
async function readBundle(file: string, onImages: (images: AsyncIterable<Buffer>, manifest: BundleManifest) => Promise<void>): Promise<BundleManifest> {
  const foreign = (why: string) => new AbortError(say('bundle.foreign', { file, why }), [say('bundle.foreignNext')]);
  const extract = tar.extract();
  const source = openArchive(file);
  source.on('error', (error) => extract.destroy(error));
  source.pipe(extract);
  let manifest: BundleManifest | undefined;
  let imagesRead = false;
  try {
    for await (const entry of extract) {
      if (!manifest) {
        if (entry.header.name !== MANIFEST_ENTRY || (entry.header.size ?? 0) > 1_000_000) {
          entry.resume();
          throw foreign(say('bundle.noManifest', { name: entry.header.name }));
        }
        let text = '';
        for await (const chunk of entry) text += String(chunk);
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw foreign(say('bundle.manifestNotJson'));
        }
        const parsed = v.safeParse(manifestSchema, json);
        if (!parsed.success) throw foreign(say('bundle.manifestInvalid', { issue: parsed.issues.map((i) => `${v.getDotPath(i) ?? ''} ${i.message}`.trim())[0] }));
        manifest = parsed.output;
      } else if (entry.header.name === IMAGES_ENTRY && !imagesRead) {
        imagesRead = true;
        await onImages(entry as AsyncIterable<Buffer>, manifest);
      } else {
        entry.resume();
      }
    }
  } catch (error) {
    if (error instanceof AbortError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/unexpected end|premature|truncated/i.test(message)) throw new AbortError(say('bundle.truncated', { file }), [say('bundle.truncatedNext')]);
    if (!manifest) throw foreign(message);
    throw new AbortError(say('bundle.unreadable', { file, error: message }), [say('bundle.truncatedNext')]);
  } finally {
    source.destroy();
  }
  if (!manifest) throw foreign(say('bundle.empty'));
  if (!imagesRead) throw new AbortError(say('bundle.truncated', { file }), [say('bundle.truncatedNext')]);
  return manifest;
}

/** Check a bundle whole against its manifest without loading anything; returns the manifest. */
export async function verifyBundle(file: string): Promise<BundleManifest> {
  if (!existsSync(file)) throw new AbortError(say('bundle.noFile', { file }), [say('bundle.noFileNext')]);
  let seen = { bytes: 0, sha256: '' };
  const manifest = await readBundle(file, async (images) => {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of images) {
      bytes += chunk.length;
      hash.update(chunk);
    }
    seen = { bytes, sha256: hash.digest('hex') };
  });
  if (seen.bytes !== manifest.archive.bytes) throw new AbortError(say('bundle.truncated', { file }), [say('bundle.truncatedNext')]);
  if (seen.sha256 !== manifest.archive.sha256) throw new AbortError(say('bundle.damaged', { file }), [say('bundle.truncatedNext')]);
  return manifest;
}

/** `prepare --import FILE`: check the file whole, load it, check every image, link the build cache. */
export async function importBundle(file: string, signal: AbortSignal, out: Out, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const path = resolve(file);
  out(say('bundle.checking', { file: path }));
  const checked = await verifyBundle(path);
  out(say('bundle.checked', { count: checked.images.length, mb: mb(checked.archive.bytes), engine: checked.engine, workshop: checked.workshop }));
  const run = dockerRun(env, signal);
  const engine = await requireEngine(run);
  const t0 = Date.now();
  await readBundle(path, async (images) => {
    const load = execa('docker', ['load'], { env, extendEnv: false, reject: false, cancelSignal: signal, all: true, timeout: 30 * 60_000 });
    await Promise.all([pipeline(images, load.stdin!).catch(() => undefined), load]);
    const r = await load;
    if (signal.aborted) throw new AbortError(say('bundle.interrupted'), [say('bundle.interruptedNext')], 130);
    if (r.exitCode !== 0) throw new AbortError(say('bundle.loadFailed', { error: String(r.all ?? '').trim().split('\n').pop() ?? '' }), [say('bundle.loadFailedNext')]);
  });
  // Every image as the manifest says: the same id under the same name; every build-step image there.
  const wrong: string[] = [];
  for (const image of checked.images) {
    const there = await inspect(run, image.ref);
    if (there?.id !== image.id) wrong.push(`${image.ref} (${there ? there.id.slice(7, 19) : say('bundle.absent')})`);
    else out(`  ✓ ${image.ref.padEnd(44)} ${image.id.slice(7, 19)}  ${mb(image.bytes)} MB\n`);
  }
  const steps = [...new Set(Object.values(checked.buildSteps).flat())];
  for (const id of steps) if (!(await inspect(run, id))) wrong.push(id.slice(7, 19));
  if (wrong.length) throw new AbortError(say('bundle.mismatch', { images: wrong.join(', ') }), [say('bundle.loadFailedNext')]);
  out(say('bundle.loaded', { count: checked.images.length, steps: steps.length, seconds: ((Date.now() - t0) / 1000).toFixed(0), engine }));
  const chains = new Map(Object.entries(checked.buildSteps));
  const learner = dockerRun(env, signal);
  const legacy = dockerRun({ ...env, DOCKER_BUILDKIT: '0' }, signal);
  const cache = await fillBuildCache({ warm: legacy, plain: learner }, chains, dockercoinsDir);
  if (cache.warmed.length) out(say('bundle.cacheFilled', { images: cache.warmed.join(', '), seconds: cache.seconds.toFixed(1) }));
  if (cache.cold.length) out(say('bundle.cacheCold', { images: cache.cold.join(', ') }));
  out(say('bundle.ready'));
  return 0;
}
