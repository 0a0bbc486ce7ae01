/**
 * Names and ports the lessons use, already taken by something that is not what the lessons make: doctor,
 * run and check name them and say the choices; no check passes on them; reset leaves them alone.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { docker, emptySwarm, eventually, requireTestEngine, testDockerHost } from '../support/engine.js';

const home = mkdtempSync(join(tmpdir(), 'sw-names-'));
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: testDockerHost(), SWARM_WORKSHOP_HOME: home };
const names = async (kind: 'service' | 'network') => (await docker([kind, 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter(Boolean);

describe('names the lessons use, held by something else', () => {
  beforeAll(async () => {
    await requireTestEngine();
    await emptySwarm();
    // A service called registry that is no registry, and a plain bridge network called dockercoins.
    await docker(['service', 'create', '--detach', '--name', 'registry', 'redis:7']);
    await docker(['network', 'create', 'dockercoins']);
  });
  afterAll(async () => {
    await docker(['service', 'rm', 'registry']).catch(() => undefined);
    await eventually('the foreign network to go', async () => (await docker(['network', 'rm', 'dockercoins']).then(() => true, async () => !(await names('network')).includes('dockercoins') || undefined)), { timeoutMs: 30_000 });
    await emptySwarm();
  });

  it('doctor names them, says why they are not the lessons\' and what to do', async () => {
    const r = await cli(['doctor'], env);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("✗ name in use: service registry: the lessons' registry runs the image registry, this one runs redis:7");
    expect(r.stdout).toContain("✗ name in use: network dockercoins: the lessons' dockercoins is an overlay network, this one is bridge (scope local)");
    expect(r.stdout).toContain('→ if the service registry is yours and you no longer need it, remove it: `docker service rm registry`');
    expect(r.stdout).toContain('`swarm-workshop reset` removes what it made');
  });

  it('run stops before anything and check goes on, both naming them; nothing is created and no step passes on them', async () => {
    for (const args of [['run', 'ch3', '--yes'], ['check', 'ch3']]) {
      const r = await cli(args, env);
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('ch3 uses names and ports that something else holds here:');
      expect(r.stderr).toContain('service registry: ');
      expect(r.stderr).toContain('network dockercoins: ');
      expect(r.stderr).toContain('→ if the network dockercoins is yours and you no longer need it, remove it: `docker network rm dockercoins`');
      if (args[0] === 'run') expect(r.stdout).not.toContain('✓');
      else {
        // check judges the steps: the step of the registry does not pass on a registry that is not one, and
        // says why (steps that do not use them, as the builds, may be done: their images are there).
        expect(r.stdout).toMatch(/\[1\/13\] registry-service: [^\n]*\n(?:(?!\n▶)[\s\S])*?→ failed/);
        expect(r.stdout).toContain('registry: no published ports');
      }
    }
    expect(await names('service')).toEqual(['registry']);
  });

  it('a port held by another program is named too', async () => {
    await docker(['service', 'rm', 'registry']);
    await eventually('the foreign registry to go', async () => ((await docker(['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=registry'])).stdout.trim() ? undefined : true));
    await eventually('the bridge network to go', async () => docker(['network', 'rm', 'dockercoins']).then(() => true));
    const server = createServer().listen(5000, '0.0.0.0');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const r = await cli(['run', 'ch3', '--yes'], env);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('port 5000: in use by another process; the lessons publish the registry service there');
      expect(r.stderr).toContain("ss -ltnp 'sport = :5000'");
    } finally {
      server.close();
    }
  });

  it('reset leaves a foreign object alone and says so', async () => {
    await docker(['service', 'create', '--detach', '--name', 'registry', 'redis:7']);
    const r = await cli(['reset', '--yes'], env);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stdout).toContain('Left alone: these only share a name with what the lessons make:');
    expect(r.stdout).toContain('service registry: ');
    expect(await names('service')).toContain('registry');
  });
});
