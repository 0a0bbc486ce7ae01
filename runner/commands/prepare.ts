import { join } from 'node:path';
import { APP_IMAGES, BASE_IMAGES, LAB_ENGINES, NODE_IMAGE, PREPARED_LABEL, type LabEngine, preparedLabelValue, preparedRef } from '../docker/images.js';
import { runCommand, type CommandResult } from '../engine/executor.js';
import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';
import { dockercoinsDir, labNodeDir } from '../paths.js';
import { inspectImage, requireEngine, type DockerRun } from '../docker/run.js';

/**
 * `prepare`: get every image the chapters need onto this engine ahead of time, so that a class does not
 * wait on Docker Hub or Debian's mirror. The base images are pulled when missing; the five DockerCoins
 * images are built from the package's sources under names of the workshop's own
 * (swarm-workshop/dockercoins_NAME:prepared). The lessons still build `dockercoins_NAME` themselves, but
 * every layer then comes from the cache: seconds instead of minutes of apt downloads.
 *
 * The builds go through the same `docker` command the learner types, so they use the same builder
 * (BuildKit or the legacy one) and fill the cache that the learner's builds will read.
 */

type Out = (text: string) => void;

export interface PrepareOptions {
  /** Remove the images `prepare` built (by name and label) instead of building them. */
  remove?: boolean;
  /** Also build the lab's node image for this engine generation (`lab up --engine 26`), so that lab needs no download either. */
  labEngine?: LabEngine;
  /** Write every image of the class into this file (the class bundle), instead of preparing. */
  exportTo?: string;
  /** Load a class bundle made by `--export`, instead of preparing from the network. */
  importFrom?: string;
}

/** What happened to one image: one line of prepare's report. */
export interface PreparedImage {
  ref: string;
  action: 'present' | 'pulled' | 'built' | 'up to date' | 'failed';
  seconds: number;
  bytes?: number;
  detail?: string;
}

const docker = (args: string[], signal: AbortSignal, onOutput?: (text: string) => void): Promise<CommandResult> =>
  runCommand(['docker', ...args], {
    env: process.env,
    signal,
    timeoutMs: 30 * 60_000,
    onOutput: onOutput && ((_stream, text) => onOutput(text)),
  }).then((result) => {
    if (result.cancelled || signal.aborted) {
      throw new AbortError(say('prepare.interrupted'), [say('prepare.finishRest')], 130);
    }
    return result;
  });

const lastLines = (text: string, n: number) => text.trimEnd().split('\n').slice(-n).map((l) => `    ${l}`).join('\n');

/** The same docker, for what prepare shares with the bundle. */
const dockerRun = (signal: AbortSignal): DockerRun => (args) => docker(args, signal);
const inspect = (ref: string, signal: AbortSignal) => inspectImage(dockerRun(signal), ref);

async function pullIfMissing(ref: string, signal: AbortSignal): Promise<PreparedImage> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  const there = await inspect(ref, signal);
  if (there) return { ref, action: 'present', seconds: seconds(), bytes: there.bytes };
  const r = await docker(['pull', ref], signal);
  if (r.exitCode !== 0) return { ref, action: 'failed', seconds: seconds(), detail: (r.stderr.trim().split('\n').pop() ?? '').trim() };
  return { ref, action: 'pulled', seconds: seconds(), bytes: (await inspect(ref, signal))?.bytes };
}

/**
 * The build progress worth showing from one line of `docker build` output: the legacy builder's
 * `Step 2/4 : RUN ...` or BuildKit's `#6 [2/3] RUN ...` (its plain output, as it writes when not on a
 * terminal). Everything else (apt's download lines and so on) is left out.
 */
export function buildStepLine(line: string): string | undefined {
  const step = /^(Step \d+\/\d+ : .*|#\d+ \[[^\]]*\d+\/\d+\] .*)$/.exec(line.trim());
  return step ? step[1]!.slice(0, 100) : undefined;
}

async function build(ref: string, dir: string, signal: AbortSignal, out: Out, buildArgs: string[] = []): Promise<PreparedImage> {
  const started = Date.now();
  const before = await inspect(ref, signal);
  let pending = '';
  const progress = (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const step = buildStepLine(line);
      if (step) out(`      ${step}\n`);
    }
  };
  const r = await docker(['build', ...buildArgs.flatMap((a) => ['--build-arg', a]), '--label', `${PREPARED_LABEL}=${preparedLabelValue}`, '-t', ref, dir], signal, progress);
  const seconds = (Date.now() - started) / 1000;
  if (r.exitCode !== 0) return { ref, action: 'failed', seconds, detail: lastLines(`${r.stdout}\n${r.stderr}`, 15) };
  const after = await inspect(ref, signal);
  return { ref, action: before && after && before.id === after.id ? 'up to date' : 'built', seconds, bytes: after?.bytes };
}

const describe = (r: PreparedImage) => {
  const size = r.bytes ? say('prepare.size', { mb: (r.bytes / 1e6).toFixed(0) }) : '';
  const time = r.action === 'present' ? '' : say('prepare.time', { seconds: r.seconds.toFixed(1) });
  const action = say(`prepare.action.${r.action === 'up to date' ? 'upToDate' : r.action}`);
  return `${r.action === 'failed' ? '✗' : '✓'} ${r.ref.padEnd(44)} ${action}${time}${size}`;
};

/** Pull what is missing, build the DockerCoins images; returns what happened to each image. */
export async function prepareImages(signal: AbortSignal, out: Out, labEngine: LabEngine = '20'): Promise<PreparedImage[]> {
  const version = await requireEngine(dockerRun(signal));
  out(say('prepare.preparing', { version }));
  const results: PreparedImage[] = [];
  const extraNode = labEngine === '20' ? undefined : LAB_ENGINES[labEngine];
  for (const ref of [...BASE_IMAGES, ...(extraNode ? [extraNode.base] : [])]) {
    const r = await pullIfMissing(ref, signal);
    results.push(r);
    out(`  ${describe(r)}\n`);
    if (r.action === 'failed') {
      out(`      ${r.detail}\n`);
      if (ref.startsWith('debian:')) {
        throw new AbortError(say('prepare.noBase', { ref }), [say('prepare.reachHub', { ref }), say('prepare.bringBase', { ref })]);
      }
    }
  }
  const builds: [string, string, string[]][] = [
    ...APP_IMAGES.map((name): [string, string, string[]] => [preparedRef(name), join(dockercoinsDir, name), []]),
    [NODE_IMAGE, labNodeDir, []],
    ...(extraNode ? [[extraNode.image, labNodeDir, [`BASE=${extraNode.base}`]] as [string, string, string[]]] : []),
  ];
  for (const [ref, dir, buildArgs] of builds) {
    out(`  … ${ref}\n`);
    const r = await build(ref, dir, signal, out, buildArgs);
    results.push(r);
    out(`  ${describe(r)}\n`);
    if (r.action === 'failed') {
      throw new AbortError(say('prepare.buildFailed', { ref, detail: r.detail }), [say('prepare.aptMirror'), say('prepare.again')]);
    }
  }
  const nodes = Number((await docker(['info', '--format', '{{.Swarm.Nodes}}'], signal)).stdout.trim()) || 0;
  if (nodes > 1) {
    out(say('prepare.thisNodeOnly', { count: nodes }));
  }
  return results;
}

/** Remove the images `prepare` built: only those with its name *and* its label. */
async function removePrepared(signal: AbortSignal, out: Out): Promise<number> {
  await requireEngine(dockerRun(signal));
  const listed = await docker(['image', 'ls', '--filter', `label=${PREPARED_LABEL}`, '--format', '{{.Repository}}:{{.Tag}}'], signal);
  const ours = new Set<string>([...APP_IMAGES.map(preparedRef), ...Object.values(LAB_ENGINES).map((e) => e.image)]);
  const refs = listed.stdout.split('\n').map((l) => l.trim()).filter((ref) => ours.has(ref));
  if (!refs.length) return out(say('prepare.noneHere')), 0;
  const r = await docker(['image', 'rm', ...refs], signal);
  for (const ref of refs) out(say('prepare.removed', { ref }));
  if (r.exitCode !== 0) throw new AbortError(say('prepare.notAllRemoved', { error: r.stderr.trim() }), [say('prepare.seeRemaining')]);
  out(say('prepare.removedDone'));
  return 0;
}

export async function prepare(options: PrepareOptions, signal: AbortSignal, out: Out): Promise<number> {
  if (options.remove) return removePrepared(signal, out);
  if (options.exportTo) return (await import('../docker/bundle.js')).exportBundle(options.exportTo, signal, out);
  if (options.importFrom) return (await import('../docker/bundle.js')).importBundle(options.importFrom, signal, out);
  const started = Date.now();
  const results = await prepareImages(signal, out, options.labEngine);
  const failed = results.filter((r) => r.action === 'failed');
  if (failed.length) {
    out(say('prepare.notPulled', { count: failed.length, refs: failed.map((r) => r.ref).join(', ') }));
    return 1;
  }
  out(say('prepare.ready', { seconds: ((Date.now() - started) / 1000).toFixed(0) }));
  return 0;
}
