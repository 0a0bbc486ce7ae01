import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../runner/paths.js';

/** What the published package may hold: a folder (ending in `/`) or one file. */
const ALLOWED = ['dist/runner/', 'dist/checks/', 'lessons/', 'dockercoins/', 'README.md', 'LICENSE', 'package.json'];

/**
 * The files `npm pack` would put in the tarball. `--ignore-scripts` skips `prepack`, so this reads the
 * dist/ that is there instead of rebuilding it: the test stays fast, but needs a build first.
 */
function packedFiles(): string[] {
  if (!existsSync(join(packageRoot, 'dist', 'runner', 'cli.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first, then this test again');
  }
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: packageRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();
}

/** Every file under a folder of the repository, as package paths (`lessons/ch3-registry/chapter.yaml`). */
const filesUnder = (folder: string) =>
  readdirSync(join(packageRoot, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(join(packageRoot, folder, name)).isFile())
    .map((name) => posix.join(folder, name.split('\\').join('/')))
    .sort();

describe('the published package', () => {
  let files: string[] = [];
  beforeAll(() => {
    files = packedFiles();
  }, 20_000);

  it('holds only the runner, the checks, the lessons, DockerCoins and the docs', () => {
    expect(files.filter((f) => !ALLOWED.some((a) => (a.endsWith('/') ? f.startsWith(a) : f === a)))).toEqual([]);
  });

  it('holds no test-only file', () => {
    expect(files.filter((f) => /^(dist\/(test|bench)\/|scripts\/|test\/|bench\/)/.test(f))).toEqual([]);
  });

  it('holds what the CLI reads at run time: its entry point, every lesson and every DockerCoins file', () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    for (const bin of Object.values(pkg.bin)) expect(files).toContain(posix.normalize(bin));
    expect(files).toContain('dist/runner/cli.js');
    expect(files).toContain('dist/checks/index.js');
    expect(files).toContain('lessons/ch3-registry/chapter.yaml');
    expect(files.filter((f) => f.startsWith('lessons/'))).toEqual(filesUnder('lessons'));
    expect(files.filter((f) => f.startsWith('dockercoins/'))).toEqual(filesUnder('dockercoins'));
  });

  it('has every relative import of its compiled code inside it', () => {
    const missing = new Set<string>();
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(join(packageRoot, file), 'utf8');
      for (const [, spec] of code.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = posix.join(posix.dirname(file), spec!);
        if (!files.includes(target)) missing.add(`${file} imports ${target}`);
      }
    }
    expect([...missing]).toEqual([]);
  });
});
