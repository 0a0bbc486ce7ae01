/**
 * The lab on the real engine: `lab up --nodes 3` makes three nodes (Docker engines in containers of the
 * test engine), forms the swarm and makes the docker context current; the docker CLI then reaches node1
 * through that context (TCP with TLS), and a service spreads over more than one node. `lab up` again
 * repairs without making anything new; `lab down` leaves the test engine exactly as it was (containers,
 * volumes, networks, images' count) and the docker config without the context.
 *
 * The docker config (contexts) and the workshop's home are the test's own folders, never the machine's.
 */
import { execa } from 'execa';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, parseEvents } from '../support/cli.js';
import { docker, eventually, requireTestEngine, testDockerHost } from '../support/engine.js';

const home = mkdtempSync(join(tmpdir(), 'sw-lab-'));
const config = mkdtempSync(join(tmpdir(), 'sw-lab-docker-'));
/** The learner's shell: the host engine by DOCKER_HOST (as the tests reach it), their own docker config. */
const hostShell: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: testDockerHost(), DOCKER_CONFIG: config, SWARM_WORKSHOP_HOME: home };
/** The same shell once DOCKER_HOST is unset: the current context (the lab's, after `lab up`) decides. */
const labShell: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: config, SWARM_WORKSHOP_HOME: home };
const inLab = (args: string[]) => execa('docker', args, { env: labShell, extendEnv: false, reject: false, timeout: 120_000 });

/** What the host engine holds, by name, for the before/after comparison. */
async function hostSnapshot() {
  const list = async (args: string[]) => (await docker(args)).stdout.split('\n').filter(Boolean).sort();
  return {
    containers: await list(['ps', '-a', '--format', '{{.Names}} {{.Image}}']),
    volumes: await list(['volume', 'ls', '--format', '{{.Name}}']),
    networks: await list(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']),
    images: await list(['image', 'ls', '-a', '--format', '{{.ID}}']),
  };
}

describe('lab: several nodes on one machine', () => {
  let before: Awaited<ReturnType<typeof hostSnapshot>>;
  beforeAll(async () => {
    await requireTestEngine();
    const node = await docker(['image', 'inspect', '--format', '{{.Id}}', 'swarm-workshop/node:prepared']).catch(() => undefined);
    if (!node) throw new Error('the node image swarm-workshop/node:prepared is missing: `swarm-workshop prepare` builds it (scripts/test.sh runs prepare)');
    before = await hostSnapshot();
  });

  afterAll(async () => {
    // Whatever happened above, leave no lab behind for the next test file.
    await cli(['lab', 'down'], hostShell);
  });

  it('lab up --nodes 3: three engines, one swarm, the context current and reaching node1 over TLS', async () => {
    const up = await cli(['lab', 'up', '--nodes', '3'], hostShell, { timeoutMs: 10 * 60_000 });
    console.log(String(up.stdout));
    expect({ exit: up.exitCode, stderr: String(up.stderr) }).toEqual({ exit: 0, stderr: '' });
    expect(up.stdout).toContain('node1 (manager, 172.');
    expect(up.stdout).toContain('node3 (worker, 172.');

    const nodes = await inLab(['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}']);
    expect(nodes.stdout.split('\n').sort()).toEqual(['node1 Ready Leader', 'node2 Ready ', 'node3 Ready ']);
    const ctx = await inLab(['context', 'inspect', '--format', '{{.Endpoints.docker.Host}} {{.Endpoints.docker.SkipTLSVerify}}', 'swarm-workshop-lab']);
    expect(ctx.stdout.trim()).toBe('tcp://127.0.0.1:23760 false');

    const status = await cli(['lab', 'status'], hostShell);
    expect(status.exitCode, String(status.stdout)).toBe(0);
    expect(String(status.stdout).match(/swarm active/g)).toHaveLength(3);
  });

  it('the workshop reaches node1 in each form the docker CLI takes: the context, DOCKER_HOST with TLS variables, ssh://', async () => {
    // The learner's own ssh config for the lab's key (the docker CLI and the workshop both use the system ssh).
    const sshHome = mkdtempSync(join(tmpdir(), 'sw-lab-home-'));
    mkdirSync(join(sshHome, '.ssh'), { mode: 0o700 });
    writeFileSync(join(sshHome, '.ssh', 'config'), `Host 127.0.0.1\n  IdentityFile ${join(home, 'lab-ssh', 'id_ed25519')}\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n`, { mode: 0o600 });
    const forms: Record<string, NodeJS.ProcessEnv> = {
      context: labShell,
      'DOCKER_HOST + TLS': { ...labShell, DOCKER_HOST: 'tcp://127.0.0.1:23760', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(home, 'lab-tls') },
      ssh: { ...labShell, HOME: sshHome, DOCKER_HOST: 'ssh://root@127.0.0.1:23761' },
    };
    for (const [form, env] of Object.entries(forms)) {
      // The docker CLI itself reaches node1 that way...
      const cliName = await execa('docker', ['info', '--format', '{{.Name}}'], { env, extendEnv: false, reject: false, timeout: 60_000 });
      expect({ form, name: cliName.stdout.trim(), err: cliName.stderr.trim().slice(-300) }).toEqual({ form, name: 'node1', err: '' });
      // ...and so does the workshop: chapter 3 judged on node1's empty swarm (no registry there yet).
      const r = await cli(['check', 'ch3', '--json', '--wait', '0'], { ...env, SWARM_WORKSHOP_HOME: mkdtempSync(join(tmpdir(), 'sw-lab-form-')) }, { timeoutMs: 120_000 });
      const first = parseEvents(String(r.stdout)).find((e) => e.type === 'check-result' && e.step === 'registry-service' && !e.ok);
      expect({ form, exit: r.exitCode, stderr: String(r.stderr).slice(-300), actual: first && 'actual' in first ? first.actual : undefined })
        .toMatchObject({ form, exit: 1, stderr: '', actual: expect.stringContaining('registry') });
    }
    // A DOCKER_HOST docker could not use either is said as such, with what to do.
    const bad = await cli(['check', 'ch3'], { ...labShell, DOCKER_HOST: 'udp://node1:2376' });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('DOCKER_HOST=udp://node1:2376 is not an address docker can use');
  });

  it('a service spreads over the nodes, from an image every node got from the host engine', async () => {
    const create = await inLab(['service', 'create', '--detach', '--name', 'spread', '--replicas', '6', 'debian:bookworm-slim', 'sleep', 'infinity']);
    expect(create.exitCode, String(create.stderr)).toBe(0);
    const placed = await eventually('six running tasks', async () => {
      const ps = await inLab(['service', 'ps', 'spread', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}']);
      const running = ps.stdout.split('\n').filter((l) => / Running /.test(l));
      return running.length === 6 ? running : undefined;
    }, { timeoutMs: 120_000 });
    expect(new Set(placed.map((l) => l.split(' ')[0])).size).toBeGreaterThanOrEqual(2);
    expect((await inLab(['service', 'rm', 'spread'])).exitCode).toBe(0);
  });

  it('chapters 3 and 4 in auto mode across the lab: tasks on several nodes, a worker node pulled from the registry, check agrees', async () => {
    const learner = { ...labShell, SWARM_WORKSHOP_HOME: mkdtempSync(join(tmpdir(), 'sw-lab-learner-')) };
    const doctor = await cli(['doctor'], learner, { timeoutMs: 5 * 60_000 });
    console.log(String(doctor.stdout));
    expect(doctor.stdout).toContain('engine 20.10');
    expect(doctor.stdout).toMatch(/on node1\n/);
    expect(doctor.stdout).toMatch(/routing mesh works|no routing mesh/);
    for (const chapter of ['ch3', 'ch4']) {
      const r = await cli(['run', chapter, '--yes', '--json'], learner, { timeoutMs: 30 * 60_000 });
      const events = parseEvents(String(r.stdout));
      const notDone = events.flatMap((e) => (e.type === 'step-finished' && e.status !== 'done' ? [`${e.step}: ${e.status} (${e.reason})`] : []));
      const failing = events.flatMap((e) => (e.type === 'check-result' && !e.ok && e.phase === 'after' ? [`${e.step}: ${e.title}: ${e.actual}`] : []));
      expect({ chapter, exit: r.exitCode, notDone, failing, stderr: String(r.stderr).slice(-1500) }).toEqual({ chapter, exit: 0, notDone: [], failing: [], stderr: '' });
    }
    // Chapter 4 ends with 10 workers on v0.1: spread over the nodes, pulled from the registry on node1.
    const ps = await inLab(['service', 'ps', 'worker', '--filter', 'desired-state=running', '--format', '{{.Node}}']);
    const nodes = new Set(ps.stdout.split('\n').filter(Boolean));
    console.log(`worker tasks on: ${[...nodes].join(', ')}`);
    expect(nodes.size).toBeGreaterThanOrEqual(2);
    const pulled = await docker(['exec', 'swarm-workshop-node3', 'docker', 'image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(pulled.stdout.split('\n')).toContain('127.0.0.1:5000/dockercoins_worker:v0.1');
    // check, from the cluster alone (a learner's second machine), ticks every step: its checks are right on several nodes.
    const fresh = { ...learner, SWARM_WORKSHOP_HOME: mkdtempSync(join(tmpdir(), 'sw-lab-check-')) };
    cpSync(join(learner.SWARM_WORKSHOP_HOME, 'workspace'), join(fresh.SWARM_WORKSHOP_HOME, 'workspace'), { recursive: true });
    for (const chapter of ['ch3', 'ch4']) {
      const r = await cli(['check', chapter, '--json', '--wait', '30'], fresh);
      const notDone = parseEvents(String(r.stdout)).flatMap((e) => (e.type === 'step-finished' && e.status !== 'done' ? [`${e.step}: ${e.status} (${e.reason})`] : []));
      expect({ chapter, exit: r.exitCode, notDone }).toEqual({ chapter, exit: 0, notDone: [] });
    }
  }, 60 * 60_000);

  it('lab up on the lab there is repairs it: a stopped node is started and rejoins, nothing is made twice', async () => {
    await docker(['stop', 'swarm-workshop-node3']);
    const again = await cli(['lab', 'up'], hostShell, { timeoutMs: 5 * 60_000 });
    expect({ exit: again.exitCode, stderr: String(again.stderr) }).toEqual({ exit: 0, stderr: '' });
    expect(again.stdout).toContain('node3: stopped, started');
    await eventually('node3 Ready again', async () => {
      const ls = await inLab(['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']);
      return ls.stdout.includes('node3 Ready') ? true : undefined;
    }, { timeoutMs: 120_000 });
    const containers = (await docker(['ps', '-a', '--filter', 'label=io.swarm-workshop.lab', '--format', '{{.Names}}'])).stdout.split('\n').sort();
    expect(containers).toEqual(['swarm-workshop-node1', 'swarm-workshop-node2', 'swarm-workshop-node3']);
  });

  it('lab down removes the nodes, their volumes, the network and the context, and nothing else', async () => {
    const down = await cli(['lab', 'down'], hostShell, { timeoutMs: 5 * 60_000 });
    expect({ exit: down.exitCode, stderr: String(down.stderr) }).toEqual({ exit: 0, stderr: '' });
    expect(down.stdout).toContain('removed network swarm-workshop-lab');
    expect(down.stdout).toContain('removed docker context swarm-workshop-lab');
    expect(await hostSnapshot()).toEqual(before);
    const contexts = await execa('docker', ['context', 'ls', '--format', '{{.Name}}'], { env: labShell, extendEnv: false });
    expect(contexts.stdout.split('\n')).toEqual(['default']);
    const again = await cli(['lab', 'down'], hostShell);
    expect(again.stdout).toContain('No lab here; nothing removed.');
  });
});
