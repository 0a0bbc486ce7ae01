/** `reset` removes what the workshop created, by id, and nothing else. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_IMAGES, preparedRef } from '../../runner/docker/images.js';
import { packageRoot } from '../../runner/paths.js';
import { cli } from '../support/cli.js';
import { docker, emptySwarm, requireTestEngine, testDockerHost } from '../support/engine.js';

const home = mkdtempSync(join(tmpdir(), 'sw-reset-'));
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: testDockerHost(), SWARM_WORKSHOP_HOME: home };
const preparedIds = async () =>
  (await Promise.all(APP_IMAGES.map((n) => docker(['image', 'inspect', '--format', '{{.Id}}', preparedRef(n)]).then((r) => r.stdout.trim(), () => '')))).filter(Boolean);
const names = async (kind: 'service' | 'network') => (await docker([kind, 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter(Boolean);

describe('reset', () => {
  beforeAll(async () => {
    await requireTestEngine();
    await emptySwarm();
  });

  it('removes the service and network the workshop made; a foreign service and network survive', async () => {
    await docker(['network', 'create', '--driver', 'overlay', 'foreign-net']);
    await docker(['service', 'create', '--detach', '--name', 'foreign-svc', '--network', 'foreign-net', 'redis:7']);

    const made = await cli(['run', 'chr', '--yes', '--lessons', join(packageRoot, 'test/fixtures/lessons/reset')], env);
    expect(made.exitCode, String(made.stdout) + String(made.stderr)).toBe(0);
    const recorded = JSON.parse(readFileSync(join(home, 'progress.json'), 'utf8')).created as { kind: string; name: string }[];
    expect(recorded.map((r) => `${r.kind} ${r.name}`).sort()).toEqual(['network ws-net', 'service ws-made']);
    expect(await names('service')).toEqual(expect.arrayContaining(['ws-made', 'foreign-svc']));

    const noTty = await cli(['reset'], env);
    expect(noTty.exitCode).toBe(2);
    expect(noTty.stderr).toContain('run `swarm-workshop reset --yes`');
    expect(await names('service')).toContain('ws-made'); // nothing removed without a yes

    const prepared = await preparedIds();
    const r = await cli(['reset', '--yes'], env);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stdout).toContain('removed service ws-made');
    // prepare's images are the next class's build cache: reset keeps them, and says so when there are any.
    expect(await preparedIds()).toEqual(prepared);
    if (prepared.length) expect(r.stdout).toContain(`The ${prepared.length} prepared image(s) stay`);
    else expect(r.stdout).not.toContain('prepared image(s) stay');
    expect(r.stdout).toContain('removed network ws-net');
    expect(await names('service')).not.toContain('ws-made');
    expect(await names('network')).not.toContain('ws-net');
    expect(await names('service')).toContain('foreign-svc');
    expect(await names('network')).toContain('foreign-net');
    expect(JSON.parse(readFileSync(join(home, 'progress.json'), 'utf8')).created).toEqual([]);
  });

  it('does not remove a foreign service that took the name of one the workshop made', async () => {
    const made = await cli(['run', 'chr', '--yes', '--lessons', join(packageRoot, 'test/fixtures/lessons/reset')], env);
    expect(made.exitCode).toBe(0);
    // Someone removes the workshop's service and makes their own under the same name.
    await docker(['service', 'rm', 'ws-made']);
    await docker(['service', 'create', '--detach', '--name', 'ws-made', 'redis:7']);
    const r = await cli(['reset', '--yes'], env);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(await names('service')).toContain('ws-made');
    expect(r.stdout).not.toContain('removed service ws-made');
  });
});
