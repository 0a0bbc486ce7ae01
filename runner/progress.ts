import envPaths from 'env-paths';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { AbResult } from './engine/ab.js';
import type { StepStatus } from './engine/events.js';

/**
 * The progress file, `<data dir>/progress.json` (data dir: `SWARM_WORKSHOP_HOME`, else the platform's
 * user data folder, e.g. ~/.local/share/swarm-workshop). Written atomically (temp file + rename).
 * A missing file means a fresh start; an unreadable one is moved aside (nothing is lost) and the workshop
 * starts fresh: the cluster itself can be re-checked with `swarm-workshop check <chapter>`.
 *
 * {
 *   "version": 1,
 *   "steps":   { "ch3/registry-service": { "status": "done", "at": "2026-11-23T14:00:00.000Z" } },
 *   "ab":      { "rng-c1": { "requestsPerSecond": 9.8, "meanMs": 102, ... } },
 *   "measurements": [ { "chapter": "ch3", "step": "scale-rng", "name": "mining-speed", "value": 29.5, "unit": "hashes/s", "at": "..." } ],
 *   "created": [ { "kind": "service", "id": "k3x...", "name": "registry", "at": "..." } ]
 * }
 */
export const PROGRESS_VERSION = 1;

export type CreatedResource =
  | { kind: 'service'; id: string; name: string; at: string }
  | { kind: 'network'; id: string; name: string; at: string }
  | { kind: 'image'; ref: string; at: string };

export interface Progress {
  version: number;
  steps: Record<string, { status: StepStatus; at: string }>;
  ab: Record<string, AbResult>;
  measurements: { chapter: string; step: string; name: string; value: number; unit: string; at: string }[];
  created: CreatedResource[];
}

export const emptyProgress = (): Progress => ({ version: PROGRESS_VERSION, steps: {}, ab: {}, measurements: [], created: [] });

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SWARM_WORKSHOP_HOME ?? envPaths('swarm-workshop', { suffix: '' }).data;
}

export type LoadStatus = { kind: 'fresh' } | { kind: 'loaded' } | { kind: 'corrupt'; movedTo: string; reason: string };

export class ProgressStore {
  readonly file: string;

  constructor(readonly dir: string = dataDir()) {
    this.file = join(dir, 'progress.json');
  }

  load(): { progress: Progress; status: LoadStatus } {
    if (!existsSync(this.file)) return { progress: emptyProgress(), status: { kind: 'fresh' } };
    let reason: string;
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<Progress>;
      if (parsed && parsed.version === PROGRESS_VERSION && typeof parsed.steps === 'object' && Array.isArray(parsed.created)) {
        return { progress: { ...emptyProgress(), ...parsed } as Progress, status: { kind: 'loaded' } };
      }
      reason = `unknown layout (version ${JSON.stringify(parsed?.version)})`;
    } catch (error) {
      reason = (error as Error).message;
    }
    const movedTo = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(this.file, movedTo);
    return { progress: emptyProgress(), status: { kind: 'corrupt', movedTo, reason } };
  }

  save(progress: Progress): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic.sync(this.file, `${JSON.stringify(progress, null, 2)}\n`);
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
