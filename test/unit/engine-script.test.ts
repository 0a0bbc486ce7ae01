import { execa } from 'execa';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../runner/paths.js';

const script = join(packageRoot, 'scripts', 'engine.sh');

describe('scripts/engine.sh purge', () => {
  it.skipIf(process.getuid?.() !== 0)('deletes only a folder it made: a folder without its marker is kept, and so is a system folder', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sw-not-an-engine-'));
    writeFileSync(join(folder, 'precious.txt'), 'mine');
    const r = await execa('bash', [script, 'purge'], { env: { ...process.env, SWARM_WORKSHOP_ENGINE_DIR: folder }, reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`refusing to delete ${folder}: it has no .swarm-workshop-engine file`);
    expect(readdirSync(folder)).toEqual(['precious.txt']);

    const system = await execa('bash', [script, 'purge'], { env: { ...process.env, SWARM_WORKSHOP_ENGINE_DIR: '/tmp' }, reject: false });
    expect(system.exitCode).toBe(1);
    expect(system.stderr).toContain('refusing to delete /tmp: a system folder');
  });
});
