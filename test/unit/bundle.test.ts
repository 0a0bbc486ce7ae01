/**
 * The class bundle's file format, without an engine: a whole bundle is read back with its manifest, and
 * every kind of bad file (cut short, damaged, compressed and cut, another tar, not a tar, no file) is
 * refused with words that say which, before anything would reach `docker load`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT, IMAGES_ENTRY, MANIFEST_ENTRY, verifyBundle, type BundleManifest } from '../../runner/docker/bundle.js';
import { AbortError } from '../../runner/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sw-bundle-'));
const id = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

async function tarOf(entries: { name: string; body: Buffer | string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name }, e.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function manifestFor(images: Buffer, over: Partial<BundleManifest> = {}): BundleManifest {
  return {
    format: BUNDLE_FORMAT, version: 1, workshop: '0.1.0', createdAt: '2026-11-26T00:00:00Z', engine: '20.10.24',
    images: [{ ref: 'debian:bookworm-slim', id: id(1), bytes: 74_000_000 }],
    buildSteps: { 'swarm-workshop/dockercoins_rng:prepared': [id(2), id(3)] },
    archive: { bytes: images.length, sha256: createHash('sha256').update(images).digest('hex') },
    ...over,
  };
}

async function write(name: string, body: Buffer): Promise<string> {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

async function refusal(file: string): Promise<string> {
  const error = await verifyBundle(file).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AbortError);
  return (error as AbortError).message;
}

describe('a class bundle read back', () => {
  const images = randomBytes(300_000);

  it('a whole bundle gives its manifest; gzipped for the copy, too', async () => {
    const bundle = await tarOf([{ name: MANIFEST_ENTRY, body: JSON.stringify(manifestFor(images)) }, { name: IMAGES_ENTRY, body: images }]);
    const m = await verifyBundle(await write('whole.tar', bundle));
    expect(m.images.map((i) => i.ref)).toEqual(['debian:bookworm-slim']);
    expect(m.archive.bytes).toBe(images.length);
    expect((await verifyBundle(await write('whole.tar.gz', gzipSync(bundle)))).archive.sha256).toBe(m.archive.sha256);
    // Ctrl-C while it is read: said as an interruption (exit 130), not as a bad file.
    const stop = new AbortController();
    stop.abort();
    const error = await verifyBundle(join(dir, 'whole.tar'), stop.signal).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect({ message: (error as AbortError).message, code: (error as AbortError).exitCode }).toMatchObject({ message: expect.stringContaining('interrupted'), code: 130 });
  });

  it('refuses each bad file and says which kind it is', async () => {
    const bundle = await tarOf([{ name: MANIFEST_ENTRY, body: JSON.stringify(manifestFor(images)) }, { name: IMAGES_ENTRY, body: images }]);
    // Cut in the middle of the images, and cut right after the manifest.
    expect(await refusal(await write('half.tar', bundle.subarray(0, bundle.length / 2)))).toMatch(/is cut short.*nothing was loaded/);
    expect(await refusal(await write('head.tar', bundle.subarray(0, 2048)))).toMatch(/is cut short/);
    expect(await refusal(await write('half.tar.gz', gzipSync(bundle).subarray(0, 100_000)))).toMatch(/is cut short/);
    // Whole, but one byte of the images changed.
    const flipped = Buffer.from(bundle);
    flipped[bundle.length - 5000] = flipped[bundle.length - 5000]! ^ 0xff;
    expect(await refusal(await write('flipped.tar', flipped))).toMatch(/is damaged/);
    // Foreign: a `docker save` archive (its own manifest.json, no bundle manifest), random bytes, an empty
    // tar, a manifest of another program, a manifest of ours but mistyped.
    expect(await refusal(await write('save.tar', await tarOf([{ name: 'manifest.json', body: '[]' }, { name: 'repositories', body: '{}' }])))).toMatch(/not a swarm-workshop class bundle \(its first entry is manifest.json/);
    expect(await refusal(await write('noise.tar', randomBytes(4096)))).toMatch(/not a swarm-workshop class bundle/);
    expect(await refusal(await write('tiny.tar', randomBytes(100)))).toMatch(/not a swarm-workshop class bundle/);
    expect(await refusal(dir)).toMatch(/is a folder/);
    expect(await refusal(await write('empty.tar', await tarOf([])))).toMatch(/not a swarm-workshop class bundle \(it holds no entries/);
    expect(await refusal(await write('other.tar', await tarOf([{ name: MANIFEST_ENTRY, body: '{"format":"other"}' }, { name: IMAGES_ENTRY, body: images }])))).toMatch(/manifest is not one this version reads/);
    expect(await refusal(await write('notjson.tar', await tarOf([{ name: MANIFEST_ENTRY, body: '{format' }])))).toMatch(/manifest is not JSON/);
    const badId = manifestFor(images, { images: [{ ref: 'x', id: 'sha256:nothex', bytes: 1 }] });
    expect(await refusal(await write('badid.tar', await tarOf([{ name: MANIFEST_ENTRY, body: JSON.stringify(badId) }, { name: IMAGES_ENTRY, body: images }])))).toMatch(/images\.0\.id/);
    // No images entry at all.
    expect(await refusal(await write('noimages.tar', await tarOf([{ name: MANIFEST_ENTRY, body: JSON.stringify(manifestFor(images)) }])))).toMatch(/is cut short/);
    expect(await refusal(join(dir, 'nothing-here.tar'))).toMatch(/there is no file/);
    // The whole bundle is still fine: nothing above was a fluke of the reader.
    expect(readFileSync(await write('again.tar', bundle)).length).toBe(bundle.length);
    await expect(verifyBundle(join(dir, 'again.tar'))).resolves.toBeDefined();
  });
});
