import { AbortError } from '../errors.js';
import { say } from '../i18n/messages.js';
import { checks } from '../../checks/index.js';
import type { DockerClient } from '../docker/client.js';
import { commandEnv, isLocalEngine } from '../docker/endpoint.js';
import { engineFetch } from '../docker/engine-fetch.js';
import { DockerodeClient } from '../docker/dockerode-client.js';
import { portCheckFor, probeEnvironment, profileFor, profileVariables, requireSwarmManager, type EnvironmentReport } from '../docker/probe.js';
import type { Profile } from '../docker/profile.js';
import type { Variables } from '../lesson/template.js';
import { dockercoinsDir } from '../paths.js';
import { preparedRef } from '../docker/images.js';
import { ProgressStore } from '../progress.js';
import { workspaceDir } from '../workspace.js';

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
  /** Whether a port is free on this machine; a real listen unless a test gives its own. */
  portIsFree?: (port: number) => Promise<boolean>;
  /** The lessons' curl, run on the engine's machine when it is not this one (RunnerDeps.onEngine). */
  onEngine?: (args: string[]) => string[] | undefined;
}

/** Connect, probe, and stop with a clear message when this engine cannot run the workshop. */
export async function openSession(): Promise<Session> {
  const docker = new DockerodeClient();
  // Ports 5000 and 8000 are the engine's machine's: asked there when it is not this one.
  const local = isLocalEngine(docker.endpoint);
  const portIsFree = local ? undefined : portCheckFor(docker);
  const report = await probeEnvironment(docker, docker.host, portIsFree);
  if (!report.engine.ok && !local) {
    // The lab's node1 stopped (a restart of the machine, `docker stop`): say so, and how to bring it back.
    const { isLabEngine } = await import('../lab/lab.js');
    if (isLabEngine(docker.endpoint)) {
      throw new AbortError(say('setup.labDown', { host: docker.host, error: report.engine.error }), [say('setup.labDownNext')]);
    }
  }
  const info = requireSwarmManager(report);
  const profile = profileFor(report);
  const paths = { workspace: workspaceDir(), package: dockercoinsDir };
  return {
    docker,
    host: docker.host,
    report,
    profile,
    variables: { ...profileVariables(profile, info), dockercoins: paths.package, workspace: paths.workspace },
    env: commandEnv(docker.endpoint),
    // 127.0.0.1:5000 and :8000 are the manager's: from here only when the engine is on this machine.
    fetch: local ? undefined : engineFetch(docker),
    store: new ProgressStore(),
    paths,
    ...(portIsFree ? { portIsFree } : {}),
    ...(portIsFree && (await docker.imageExists(CURL_IMAGE).catch(() => false)) ? { onEngine: curlOnEngine } : {}),
  };
}

/** An image with curl that `prepare` builds and `lab up` copies to every node: the debug toolbox. */
const CURL_IMAGE = preparedRef('tools');

/** `curl ...` as a throwaway container on the engine's host network: 127.0.0.1 there is the manager's. */
export function curlOnEngine(args: string[]): string[] | undefined {
  return args[0] === 'curl' ? ['docker', 'run', '--rm', '--network', 'host', CURL_IMAGE, ...args] : undefined;
}

export const knownChecks = () => [...checks.values()];
