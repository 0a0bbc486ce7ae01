import envPaths from 'env-paths';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import * as v from 'valibot';
import type { AbResult } from './engine/ab.js';
import type { CreatedResource as Created, EventSink, StepStatus } from './engine/events.js';
import { AbortError } from './errors.js';
import { currentLanguage } from './i18n/language.js';
import { liteT } from './i18n/lite.js';

/**
 * The progress file, `<data dir>/progress.json` (data dir: `SWARM_WORKSHOP_HOME`, else the platform's
 * user data folder, e.g. ~/.local/share/swarm-workshop). Written atomically (temp file + rename).
 *
 * {
 *   "version": 1,
 *   "steps":   { "ch3/registry-service": { "status": "done", "at": "2026-11-23T14:00:00.000Z" } },
 *   "ab":      { "rng-c1": { "requestsPerSecond": 9.8, "meanMs": 102, ... } },
 *   "measurements": [ { "chapter": "ch3", "step": "scale-rng", "name": "mining-speed", "value": 29.5, "unit": "hashes/s", "at": "..." } ],
 *   "created": [ { "kind": "service", "id": "k3x...", "name": "registry", "at": "..." } ]
 * }
 *
 * Reading it tells four cases apart:
 * - missing: a fresh start;
 * - unreadable for lack of permission (a run with sudo left it owned by root): stop and say how to fix
 *   the owner, changing nothing;
 * - written by a newer swarm-workshop (a higher `version`): keep it untouched, run without saving;
 * - corrupt (not JSON, or not the shape below): move it aside (nothing is lost) and start fresh; the
 *   cluster itself can be re-checked with `swarm-workshop check <chapter>`.
 */
export const PROGRESS_VERSION = 1;

// write-file-atomic only when a command writes: `list` and the UI's first frame only read.
const writeFileAtomicSync = (file: string, data: string) =>
  (createRequire(import.meta.url)('write-file-atomic') as { sync(file: string, data: string): void }).sync(file, data);

// valibot rather than zod: the same kind of schema, and it loads in a sixth of the time (this file is on
// the path of `list`, which must answer at once).
const stepStatus = v.picklist(['pending', 'running', 'done', 'failed', 'skipped'] satisfies StepStatus[]);
const abResult = v.object({
  concurrency: v.number(),
  completeRequests: v.number(),
  failedRequests: v.number(),
  requestsPerSecond: v.number(),
  meanMs: v.number(),
  totalSeconds: v.number(),
  percentiles: v.record(v.string(), v.number()),
});
const created = v.variant('kind', [
  v.object({ kind: v.literal('service'), id: v.string(), name: v.string(), at: v.string() }),
  v.object({ kind: v.literal('network'), id: v.string(), name: v.string(), at: v.string() }),
  v.object({ kind: v.literal('image'), ref: v.string(), at: v.string() }),
]);
/** A record, and not a list (which valibot's record would take too). */
const table = <T extends v.GenericSchema>(value: T) =>
  v.pipe(v.custom<object>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), 'must be a mapping, not a list'), v.record(v.string(), value));
const progressSchema = v.object({
  version: v.literal(PROGRESS_VERSION),
  steps: v.optional(table(v.object({ status: stepStatus, at: v.string() })), () => ({})),
  ab: v.optional(table(abResult), () => ({})),
  measurements: v.optional(v.array(v.object({ chapter: v.string(), step: v.string(), name: v.string(), value: v.number(), unit: v.string(), at: v.string() })), () => []),
  created: v.optional(v.array(created), () => []),
});

// The schema and the engine's own types describe the same thing: let the compiler hold them together.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _created: Same<v.InferOutput<typeof created>, Created> = true;
const _ab: Same<v.InferOutput<typeof abResult>, AbResult> = true;
void _created, void _ab;

export type CreatedResource = Created;
export type Progress = v.InferOutput<typeof progressSchema>;

export const emptyProgress = (): Progress => ({ version: PROGRESS_VERSION, steps: {}, ab: {}, measurements: [], created: [] });

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SWARM_WORKSHOP_HOME ?? envPaths('swarm-workshop', { suffix: '' }).data;
}

export type LoadStatus =
  | { kind: 'fresh' }
  | { kind: 'loaded' }
  | { kind: 'corrupt'; movedTo: string; reason: string }
  | { kind: 'newer'; version: number };

const isPermission = (error: unknown) => ['EACCES', 'EPERM', 'EROFS'].includes((error as NodeJS.ErrnoException)?.code ?? '');

/** The file (or its folder) cannot be read or written by this user: say whose it is and how to fix it. */
export class ProgressAccessError extends AbortError {
  constructor(path: string, action: 'read' | 'write', error: NodeJS.ErrnoException) {
    const t = liteT(currentLanguage().lang);
    const owner = (() => {
      try {
        const s = statSync(path);
        return s.uid === 0 ? t('runner.progressAccess.root') : t('runner.progressAccess.uid', { uid: s.uid });
      } catch {
        return undefined;
      }
    })();
    const uid = process.getuid?.();
    super(t('runner.progressAccess.message', {
      action: action === 'read' ? t('runner.progressAccess.read') : t('runner.progressAccess.write'),
      what: path.endsWith('.json') ? t('runner.progressAccess.file') : t('runner.progressAccess.folder'),
      path,
      why: error.code === 'EROFS' ? t('runner.progressAccess.readOnly') : t('runner.progressAccess.denied'),
      owner: owner ? t('runner.progressAccess.owner', { owner }) : '',
    }), [
      t('runner.progressAccess.chown', { command: `sudo chown -R ${uid ?? '$(id -u)'}:${process.getgid?.() ?? '$(id -g)'} ${path.endsWith('progress.json') ? join(path, '..') : path}` }),
      t('runner.progressAccess.elsewhere'),
    ]);
  }
}

/** Why a parsed value is not a progress file, in one line: the first problem the schema found. */
function describeIssue(issues: v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (!issue) return 'unknown layout';
  const path = issue.path?.map((p) => String(p.key)).join('.');
  return `${path || 'the file'}: ${issue.message}`;
}

export class ProgressStore {
  readonly file: string;

  constructor(readonly dir: string = dataDir()) {
    this.file = join(dir, 'progress.json');
  }

  load(): { progress: Progress; status: LoadStatus } {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { progress: emptyProgress(), status: { kind: 'fresh' } };
      if (isPermission(error)) throw new ProgressAccessError(this.file, 'read', error as NodeJS.ErrnoException);
      throw error;
    }
    let reason: string;
    try {
      const parsed: unknown = JSON.parse(text);
      const version = (parsed as { version?: unknown } | null)?.version;
      if (typeof version === 'number' && version > PROGRESS_VERSION) {
        return { progress: emptyProgress(), status: { kind: 'newer', version } };
      }
      const result = v.safeParse(progressSchema, parsed);
      if (result.success) return { progress: result.output, status: { kind: 'loaded' } };
      reason = describeIssue(result.issues);
    } catch (error) {
      reason = (error as Error).message;
    }
    const movedTo = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(this.file, movedTo);
    } catch (error) {
      if (isPermission(error)) throw new ProgressAccessError(this.dir, 'write', error as NodeJS.ErrnoException);
      throw error;
    }
    return { progress: emptyProgress(), status: { kind: 'corrupt', movedTo, reason } };
  }

  /**
   * Write the file. A file of a newer version is left as it is (this version would lose what it does not
   * know): returns false then. Permission problems stop with the fix.
   */
  save(progress: Progress): boolean {
    if (existsSync(this.file)) {
      try {
        const version = (JSON.parse(readFileSync(this.file, 'utf8')) as { version?: unknown } | null)?.version;
        if (typeof version === 'number' && version > PROGRESS_VERSION) return false;
      } catch (error) {
        if (isPermission(error)) throw new ProgressAccessError(this.file, 'read', error as NodeJS.ErrnoException);
        // A corrupt file is replaced: load() already moved the unreadable bytes aside.
      }
    }
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileAtomicSync(this.file, `${JSON.stringify(progress, null, 2)}\n`);
    } catch (error) {
      if (isPermission(error)) throw new ProgressAccessError(this.dir, 'write', error as NodeJS.ErrnoException);
      throw error;
    }
    return true;
  }

  /** Load, change, save: the one way commands write progress. */
  update(change: (p: Progress) => void): Progress {
    const { progress } = this.load();
    change(progress);
    this.save(progress);
    return progress;
  }
}

export const stepKey = (chapter: string, step: string) => `${chapter}/${step}`;

const sameResource = (a: CreatedResource, b: CreatedResource) =>
  a.kind === 'image' ? b.kind === 'image' && a.ref === b.ref : b.kind === a.kind && 'id' in b && b.id === a.id;

/**
 * Progress as a subscriber of the engine's events: steps done or skipped, ab reports, measurements, and
 * the resources commands created or removed go to the file. The engine itself never writes progress.
 */
export function progressRecorder(store: ProgressStore, onChange?: (progress: Progress) => void): EventSink {
  const write = (change: (p: Progress) => void) => {
    const progress = store.update(change);
    onChange?.(progress);
  };
  const at = () => new Date().toISOString();
  return (event) => {
    switch (event.type) {
      case 'step-finished':
        if (event.status === 'done' || event.status === 'skipped') {
          // A step already done keeps the time it was first done (check mode says "since you finished it").
          write((p) => {
            const key = stepKey(event.chapter, event.step);
            if (p.steps[key]?.status !== event.status) p.steps[key] = { status: event.status, at: at() };
          });
        } else if (event.status === 'failed') {
          // Done once, not any more (check mode saw it change): no longer ticked in `list` or the UI.
          write((p) => void delete p.steps[stepKey(event.chapter, event.step)]);
        }
        return;
      case 'ab-result':
        return write((p) => void (p.ab[event.name] = event.result));
      case 'measurement':
        return write((p) => void p.measurements.push({ chapter: event.chapter, step: event.step, name: event.name, value: event.value, unit: event.unit, at: at() }));
      case 'resource-created':
        return write((p) => {
          if (!p.created.some((r) => sameResource(r, event.resource))) p.created.push(event.resource);
        });
      case 'resource-removed':
        return write((p) => {
          p.created = p.created.filter((r) => !(r.kind === event.kind && (r.kind === 'image' ? event.names.includes(r.ref) : event.names.includes(r.name) || event.names.includes(r.id))));
        });
      default:
        return;
    }
  };
}

/** Say so, once, when the progress file was unreadable and has been moved aside. */
export function noticeProgress(status: LoadStatus, write: (text: string) => void): void {
  if (status.kind !== 'corrupt' && status.kind !== 'newer') return;
  // lite.ts, not i18next: `list` and the UI's first frame load this file, and must answer at once.
  const t = liteT(currentLanguage().lang);
  if (status.kind === 'corrupt') {
    write(t('runner.progressCorrupt', { reason: status.reason, movedTo: status.movedTo }));
  } else {
    write(t('runner.progressNewer', { version: status.version }));
  }
}
