/**
 * `prepare` on the real test engine: it builds the DockerCoins images under its own names, a lesson's
 * build afterwards takes every layer from the cache, a second run changes nothing, and `--remove` takes
 * away only what carries both its name and its label.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_IMAGES, LAB_ENGINES, PREPARED_LABEL, preparedRef } from '../../runner/docker/images.js';
import { dockercoinsDir } from '../../runner/paths.js';
import { cli } from '../support/cli.js';
import { docker, requireTestEngine, testEnv } from '../support/engine.js';

const imageId = async (ref: string) =>
  (await docker(['image', 'inspect', '--format', '{{.Id}}', ref]).catch(() => ({ stdout: '' }))).stdout.trim() || undefined;
const prepare = (...args: string[]) => cli(['prepare', ...args], testEnv(), { timeoutMs: 15 * 60_000 });

describe('prepare', () => {
  beforeAll(requireTestEngine);

  it('builds what is missing, labels it, and a lesson build then comes from the cache', async () => {
    // Nothing may hold the tools layers, so that prepare has a real build to do.
    for (const ref of [preparedRef('tools'), 'dockercoins_tools']) await docker(['image', 'rm', ref]).catch(() => undefined);
    expect(await imageId(preparedRef('tools'))).toBeUndefined();

    const r = await prepare();
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stdout).toMatch(/✓ swarm-workshop\/dockercoins_tools:prepared +built in/);
    expect(r.stdout).toMatch(/✓ debian:bookworm-slim +present/);
    for (const name of APP_IMAGES) expect(await imageId(preparedRef(name)), name).toBeDefined();
    const labels = (await docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', preparedRef('tools')])).stdout;
    expect(JSON.parse(labels)).toHaveProperty([PREPARED_LABEL]);

    // The lesson's own build: every step from the cache, no package downloaded.
    const build = await docker(['build', '-t', 'dockercoins_tools', join(dockercoinsDir, 'tools')]);
    expect(build.stdout).toContain('Using cache');
    expect(build.stdout).not.toMatch(/Get:\d+ http/);
  });

  it('a second run finds everything up to date and changes no image', async () => {
    const before = await Promise.all(APP_IMAGES.map((n) => imageId(preparedRef(n))));
    const r = await prepare();
    expect(r.exitCode, String(r.stderr)).toBe(0);
    for (const name of APP_IMAGES) expect(r.stdout).toMatch(new RegExp(`dockercoins_${name}:prepared +up to date`));
    expect(r.stdout).not.toContain('This swarm has'); // one node: nothing to say about the others
    expect(await Promise.all(APP_IMAGES.map((n) => imageId(preparedRef(n))))).toEqual(before);
  });

  it('--remove takes only its own images: a same-named image without the label stays', async () => {
    // Keep the layers alive through the lesson-named images, so that preparing again afterwards is quick.
    for (const name of APP_IMAGES) await docker(['build', '-q', '-t', `dockercoins_${name}`, join(dockercoinsDir, name)]);
    // The lab's node images (engine 20 and, as scripts/test.sh prepares it, 26): kept alive by a tag of the test's.
    const nodes = Object.values(LAB_ENGINES).map((e) => e.image);
    for (const [i, ref] of nodes.entries()) await docker(['tag', ref, `sw-test/keep-node:${i}`]);
    const r = await prepare('--remove');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    for (const ref of [...APP_IMAGES.map(preparedRef), ...nodes]) {
      expect(r.stdout).toContain(`removed ${ref}`);
      expect(await imageId(ref), ref).toBeUndefined();
    }
    // Somebody's own image that happens to use one of prepare's names.
    await docker(['tag', 'debian:bookworm-slim', preparedRef('worker')]);
    const again = await prepare('--remove');
    expect(again.stdout).toContain('No prepared images here');
    expect(await imageId(preparedRef('worker'))).toBe(await imageId('debian:bookworm-slim'));
    await docker(['image', 'rm', preparedRef('worker')]);

    const restored = await prepare('--lab-engine', '26');
    expect(restored.exitCode, String(restored.stderr)).toBe(0);
    for (const ref of [...APP_IMAGES.map(preparedRef), ...nodes]) expect(await imageId(ref), ref).toBeDefined();
    for (const i of nodes.keys()) await docker(['image', 'rm', `sw-test/keep-node:${i}`]);
  });
});
