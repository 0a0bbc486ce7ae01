import { checks } from '../../checks/index.js';
import type { DockerClient } from '../docker/client.js';
import { DockerodeClient } from '../docker/dockerode-client.js';
import { probeEnvironment, profileFor, profileVariables, requireSwarmManager, type EnvironmentReport } from '../docker/probe.js';
import type { Profile } from '../docker/profile.js';
import { AbortError } from '../errors.js';
import { findChapter, formatProblem, loadLessons, type Chapter } from '../lesson/load.js';
import type { Variables } from '../lesson/template.js';
import { dockercoinsDir, lessonsDir } from '../paths.js';
import { ProgressStore, type LoadStatus } from '../progress.js';
import { workspaceDir } from '../workspace.js';

/** Options every command understands. */
export interface GlobalOptions {
  lessons?: string;
}

/** Load the lessons or stop with every problem listed, file and line first. */
export function lessonsOrAbort(dir = lessonsDir): Chapter[] {
  const { chapters, problems } = loadLessons(dir);
  if (problems.length) {
    throw new AbortError(`the lesson files have ${problems.length} problem(s):\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, [
      `fix them and check with \`swarm-workshop lint${dir === lessonsDir ? '' : ` --lessons ${dir}`}\``,
    ]);
  }
  return chapters;
}

export function chapterOrAbort(chapters: Chapter[], name: string | undefined): Chapter {
  const list = chapters.map((c) => `${c.id} (${c.title})`).join(', ');
  if (!name) throw new AbortError('which chapter?', [`name one: ${list}`], 2);
  const chapter = findChapter(chapters, name);
  if (!chapter) throw new AbortError(`unknown chapter "${name}"`, [`the chapters are: ${list}`, 'see them with `swarm-workshop list`'], 2);
  return chapter;
}

export interface Session {
  docker: DockerClient;
  host: string;
  report: EnvironmentReport;
  profile: Profile;
  variables: Variables;
  env: NodeJS.ProcessEnv;
  store: ProgressStore;
  paths: { workspace: string; package: string };
  /** HTTP for the checks (registry API, web UI); the global fetch unless a test gives its own. */
  fetch?: typeof globalThis.fetch;
}

/** Connect, probe, and stop with a clear message when this engine cannot run the workshop. */
export async function openSession(): Promise<Session> {
  const docker = new DockerodeClient();
  const report = await probeEnvironment(docker, docker.host);
  const info = requireSwarmManager(report);
  const profile = profileFor(report);
  const paths = { workspace: workspaceDir(), package: dockercoinsDir };
  return {
    docker,
    host: docker.host,
    report,
    profile,
    variables: { ...profileVariables(profile, info), dockercoins: paths.package, workspace: paths.workspace },
    env: { ...process.env, DOCKER_HOST: docker.host },
    store: new ProgressStore(),
    paths,
  };
}

/** Say so, once, when the progress file was unreadable and has been moved aside. */
export function noticeProgress(status: LoadStatus, write: (text: string) => void): void {
  if (status.kind === 'corrupt') {
    write(`notice: the progress file could not be read (${status.reason}); it was kept as ${status.movedTo} and progress starts fresh.\n` +
      '        `swarm-workshop check <chapter>` ticks off again the steps your cluster already shows done.\n');
  }
}

export const knownChecks = () => [...checks.values()];
