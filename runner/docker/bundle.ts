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
import { closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, mkdtempSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import tar from 'tar-stream';
import * as v from 'valibot';
import { runCommand } from '../engine/executor.js';
import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';
import { dockercoinsDir, labNodeDir, packageVersion } from '../paths.js';
import { buildChains, fillBuildCache, linkNodeImages } from './build-cache.js';
import { inspectImage as inspect, lastLine, requireEngine, type DockerRun } from './run.js';
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

const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
/** One image's line in export's and import's reports. */
const imageLine = (image: { ref: string; id: string; bytes: number }) => `  ✓ ${image.ref.padEnd(44)} ${image.id.slice(7, 19)}  ${mb(image.bytes)} MB\n`;

async function sha256Of(file: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash, { signal });
  return hash.digest('hex');
}

/** An interruption (Ctrl-C) or a full disk said in the workshop's words; anything else as it is. */
function fileError(error: unknown, signal: AbortSignal, where: string): unknown {
  if (signal.aborted || (error as { name?: string }).name === 'AbortError') return new AbortError(say('bundle.interrupted'), [say('bundle.interruptedNext')], 130);
  const code = (error as { code?: string }).code;
  if (code === 'ENOSPC' || code === 'EFBIG') return new AbortError(say('bundle.noRoom', { where, error: (error as Error).message }), [say('bundle.noRoomNext')]);
  return error;
}

/** `prepare --export FILE`: every image of the class into FILE, written whole or not at all. */
export async function exportBundle(file: string, signal: AbortSignal, out: Out, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const target = resolve(file);
  if (!existsSync(dirname(target))) throw new AbortError(say('bundle.noFolder', { dir: dirname(target) }), [say('bundle.noFolderNext')]);
  if (existsSync(target) && statSync(target).isDirectory()) throw new AbortError(say('bundle.isFolder', { file: target }), [say('bundle.noFolderNext')]);
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
    const archive = { bytes: statSync(saved).size, sha256: await sha256Of(saved, signal).catch((e: unknown) => Promise.reject(fileError(e, signal, saved))) };
    const manifest: BundleManifest = { format: BUNDLE_FORMAT, version: 1, workshop: packageVersion, createdAt: new Date().toISOString(), engine, images, buildSteps, archive };
    const partial = join(work, 'bundle.partial');
    const pack = tar.pack();
    const written = pipeline(pack, createWriteStream(partial), { signal });
    pack.entry({ name: MANIFEST_ENTRY }, JSON.stringify(manifest, null, 2) + '\n');
    const entry = pack.entry({ name: IMAGES_ENTRY, size: archive.bytes });
    try {
      // Both sides awaited together: a writer that fails (a full disk) ends the copy, and the other way round.
      await Promise.all([pipeline(createReadStream(saved), entry, { signal }).then(() => pack.finalize()), written]);
    } catch (error) {
      pack.destroy();
      await written.catch(() => undefined);
      throw fileError(error, signal, target);
    }
    // On the disk before it is called written: a stick pulled at once must not carry a bundle cut short.
    const fd = openSync(partial, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const existed = existsSync(target);
    renameSync(partial, target);
    if (existed) out(say('bundle.replaced', { file: target }));
    for (const image of images) out(imageLine(image));
    if (steps.length) out(say('bundle.stepImages', { count: steps.length }));
    out(say('bundle.written', { file: target, mb: mb(statSync(target).size), seconds: ((Date.now() - t0) / 1000).toFixed(0) }));
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The file as a stream of its tar, gunzipped when it was compressed (`gzip bundle.tar` for the copy). */
function openArchive(file: string): { stream: Readable; close: () => void } {
  const fd = openSync(file, 'r');
  const magic = Buffer.alloc(2);
  readSync(fd, magic, 0, 2, 0);
  closeSync(fd);
  const raw = createReadStream(file);
  if (!(magic[0] === 0x1f && magic[1] === 0x8b)) return { stream: raw, close: () => raw.destroy() };
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  raw.pipe(gunzip);
  return { stream: gunzip, close: () => (raw.destroy(), gunzip.destroy()) };
}

/**
 * Read the bundle's entries in order: its manifest first, then the images entry handed to `onImages`.
 * Anything else (another first entry, a manifest that is not ours, a tar that is not one) is refused.
 * `loading`: the second pass, whose images are streaming into docker load (its failures are said so).
 */
async function readBundle(file: string, signal: AbortSignal, onImages: (images: AsyncIterable<Buffer>, manifest: BundleManifest) => Promise<void>, loading = false): Promise<BundleManifest> {
  const foreign = (why: string) => new AbortError(say('bundle.foreign', { file, why }), [say('bundle.foreignNext')]);
  const cut = () => (loading ? new AbortError(say('bundle.changed', { file }), [say('bundle.loadFailedNext')]) : new AbortError(say('bundle.truncated', { file }), [say('bundle.truncatedNext')]));
  if (signal.aborted) throw new AbortError(say('bundle.interrupted'), [say('bundle.interruptedNext')], 130);
  const extract = tar.extract();
  const source = openArchive(file);
  source.stream.on('error', (error) => extract.destroy(error));
  const stop = () => extract.destroy(new Error('interrupted'));
  signal.addEventListener('abort', stop, { once: true });
  source.stream.pipe(extract);
  let manifest: BundleManifest | undefined;
  let imagesRead = false;
  try {
    for await (const entry of extract) {
      if (!manifest) {
        if (entry.header.name !== MANIFEST_ENTRY || (entry.header.size ?? 0) > 1_000_000) {
          entry.resume();
          throw foreign(say('bundle.noManifest', { name: entry.header.name }));
        }
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        let json: unknown;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
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
    if (signal.aborted) throw new AbortError(say('bundle.interrupted'), [say('bundle.interruptedNext')], 130);
    if (error instanceof AbortError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    // Cut short only once it has shown to be a bundle: a few bytes of anything else are not one.
    if (!manifest) throw foreign(message);
    if (/unexpected end|premature|truncated/i.test(message)) throw cut();
    if (loading) throw new AbortError(say('bundle.loadFailed', { file, error: message }), [say('bundle.loadFailedNext')]);
    throw new AbortError(say('bundle.unreadable', { file, error: message }), [say('bundle.truncatedNext')]);
  } finally {
    signal.removeEventListener('abort', stop);
    source.close();
  }
  if (!manifest) throw foreign(say('bundle.empty'));
  if (!imagesRead) throw cut();
  return manifest;
}

/** Bytes and SHA-256 of a stream, as it goes by. */
async function measure(images: AsyncIterable<Buffer>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of images) {
    bytes += chunk.length;
    hash.update(chunk);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Check a bundle whole against its manifest without loading anything; returns the manifest. */
export async function verifyBundle(file: string, signal: AbortSignal = new AbortController().signal): Promise<BundleManifest> {
  if (!existsSync(file)) throw new AbortError(say('bundle.noFile', { file }), [say('bundle.noFileNext')]);
  if (statSync(file).isDirectory()) throw new AbortError(say('bundle.isFolder', { file }), [say('bundle.noFileNext')]);
  let seen = { bytes: 0, sha256: '' };
  const manifest = await readBundle(file, signal, async (images) => void (seen = await measure(images)));
  if (seen.bytes !== manifest.archive.bytes) throw new AbortError(say('bundle.truncated', { file }), [say('bundle.truncatedNext')]);
  if (seen.sha256 !== manifest.archive.sha256) throw new AbortError(say('bundle.damaged', { file }), [say('bundle.truncatedNext')]);
  return manifest;
}

/** `prepare --import FILE`: check the file whole, load it, check every image, link the build cache. */
export async function importBundle(file: string, signal: AbortSignal, out: Out, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const path = resolve(file);
  out(say('bundle.checking', { file: path }));
  const checked = await verifyBundle(path, signal);
  out(say('bundle.checked', { count: checked.images.length, mb: mb(checked.archive.bytes), engine: checked.engine, workshop: checked.workshop }));
  const run = dockerRun(env, signal);
  const engine = await requireEngine(run);
  const t0 = Date.now();
  await readBundle(path, signal, async (images) => {
    // The same bytes as checked, streamed into docker load and hashed again on the way: a file that
    // changed between the two reads is said, and the ids below show what it left.
    const load = execa('docker', ['load'], { env, extendEnv: false, reject: false, cancelSignal: signal, all: true, timeout: 30 * 60_000 });
    const hash = createHash('sha256');
    async function* tap(source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        yield chunk;
      }
    }
    const fed = pipeline(images, tap, load.stdin!).then(() => ({ sha256: hash.digest('hex') }));
    const [r, seen] = await Promise.all([load, fed.catch(() => undefined)]);
    if (signal.aborted) throw new AbortError(say('bundle.interrupted'), [say('bundle.interruptedNext')], 130);
    const why = String(r.all ?? '').trim().split('\n').pop() || r.shortMessage || say('prepare.dockerExited', { code: r.exitCode ?? '?' });
    if (r.exitCode !== 0) throw new AbortError(say('bundle.loadFailed', { file: path, error: why }), [say('bundle.loadFailedNext')]);
    if (!seen || seen.sha256 !== checked.archive.sha256) throw new AbortError(say('bundle.changed', { file: path }), [say('bundle.loadFailedNext')]);
  }, true);
  // Every image as the manifest says: the same id under the same name; every build-step image there.
  const wrong: string[] = [];
  for (const image of checked.images) {
    const there = await inspect(run, image.ref);
    if (there?.id !== image.id) wrong.push(`${image.ref} (${there ? there.id.slice(7, 19) : say('bundle.absent')})`);
    else out(imageLine(image));
  }
  const steps = [...new Set(Object.values(checked.buildSteps).flat())];
  for (const id of steps) if (!(await inspect(run, id))) wrong.push(id.slice(7, 19));
  if (wrong.length) throw new AbortError(say('bundle.mismatch', { images: wrong.join(', ') }), [say('bundle.loadFailedNext')]);
  out(say('bundle.loaded', { count: checked.images.length, steps: steps.length, seconds: ((Date.now() - t0) / 1000).toFixed(0), engine }));
  const chains = new Map(Object.entries(checked.buildSteps));
  const legacy = dockerRun({ ...env, DOCKER_BUILDKIT: '0' }, signal);
  const cache = await fillBuildCache({ warm: legacy, plain: run }, chains, dockercoinsDir);
  if (cache.warmed.length) out(say('bundle.cacheFilled', { images: cache.warmed.join(', '), seconds: cache.seconds.toFixed(1) }));
  if (cache.cold.length) out(say('bundle.cacheCold', { images: cache.cold.join(', ') }));
  // The lab's node images, so that a `prepare` run afterwards finds them up to date with no network.
  const nodes = await linkNodeImages(legacy, chains, labNodeDir);
  if (nodes.linked.length) out(say('bundle.nodesLinked', { images: nodes.linked.join(', ') }));
  if (nodes.cold.length) out(say('bundle.nodesCold', { images: nodes.cold.join(', ') }));
  out(say('bundle.ready'));
  return 0;
}
