import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../runner/paths.js';

/** What the published package may hold: a folder (ending in `/`) or one file. */
const ALLOWED = ['dist/bin/', 'lessons/', 'locales/', 'dockercoins/', 'lab/node/', 'README.md', 'LICENSE', 'package.json'];

/**
 * The files `npm pack` would put in the tarball. `--ignore-scripts` skips `prepack`, so this reads the
 * dist/ that is there instead of rebuilding it: the test stays fast, but needs a build first.
 */
function packedFiles(): string[] {
  if (!existsSync(join(packageRoot, 'dist', 'bin', 'cli.js'))) {
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

/**
 * The modules a file of the bundle imports. esbuild writes imports in a few fixed forms: `import ... from
 * "x";` at the start of a line, `import("x")`, and `require("x")` / `__require("x")` in the CommonJS
 * modules inside, and the relative ones always end in `.js`. Matching only those keeps words in the bundled
 * code (comments, highlight.js's grammars) out of the list.
 */
function importsOf(code: string): string[] {
  const spec = String.raw`"(\.{1,2}/[\w@/.-]*\.js|[\w@][\w@/.:-]*)"`;
  return [
    ...code.matchAll(new RegExp(String.raw`^import\b[^;]*?\bfrom\s*${spec};?$`, 'gm')),
    ...code.matchAll(new RegExp(String.raw`^import\s*${spec};?$`, 'gm')),
    ...code.matchAll(new RegExp(String.raw`\bimport\(${spec}\)`, 'g')),
    ...code.matchAll(new RegExp(String.raw`\b(?:__)?require\(${spec}\)`, 'g')),
  ].map((m) => m[1]!);
}

describe('the published package', () => {
  let files: string[] = [];
  beforeAll(() => {
    files = packedFiles();
  }, 20_000);

  it('holds only the bundled CLI, the lessons, DockerCoins and the docs', () => {
    expect(files.filter((f) => !ALLOWED.some((a) => (a.endsWith('/') ? f.startsWith(a) : f === a)))).toEqual([]);
  });

  it('holds no test-only file', () => {
    expect(files.filter((f) => /^(dist\/(test|bench)\/|scripts\/|test\/|bench\/)/.test(f))).toEqual([]);
  });

  it('holds what the CLI reads at run time: its entry point, every lesson and every DockerCoins file', () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    for (const bin of Object.values(pkg.bin)) expect(files).toContain(posix.normalize(bin));
    expect(files).toContain('dist/bin/cli.js');
    expect(files).toContain('dist/bin/lessons-index.json');
    expect(files).toContain('lessons/ch3-registry/chapter.yaml');
    expect(files.filter((f) => f.startsWith('lessons/'))).toEqual(filesUnder('lessons'));
    expect(files.filter((f) => f.startsWith('locales/'))).toEqual(['locales/en.json', 'locales/zh.json']);
    expect(files.filter((f) => f.startsWith('dockercoins/'))).toEqual(filesUnder('dockercoins'));
  });

  it('has every relative import of its compiled code inside it', () => {
    // The entry point loads its commands from chunks: none found would mean the matching missed them.
    expect(importsOf(readFileSync(join(packageRoot, 'dist/bin/cli.js'), 'utf8')).filter((s) => s.startsWith('./chunks/')).length).toBeGreaterThan(3);
    const missing = new Set<string>();
    for (const file of files.filter((f) => f.startsWith('dist/') && f.endsWith('.js'))) {
      for (const spec of importsOf(readFileSync(join(packageRoot, file), 'utf8')).filter((s) => s.startsWith('.'))) {
        const target = posix.join(posix.dirname(file), spec);
        if (!files.includes(target)) missing.add(`${file} imports ${target}`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it("imports, outside itself, only Node's modules and the packages it depends on", () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const declared = new Set(Object.keys(pkg.dependencies));
    const builtins = new Set(builtinModules);
    const undeclared = new Set<string>();
    for (const file of files.filter((f) => f.startsWith('dist/') && f.endsWith('.js'))) {
      const specs = importsOf(readFileSync(join(packageRoot, file), 'utf8')).filter((s) => !s.startsWith('.'));
      for (const spec of specs) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!spec.startsWith('node:') && !builtins.has(name) && !declared.has(name)) undeclared.add(`${file} imports ${spec}`);
      }
    }
    expect([...undeclared]).toEqual([]);
  });
});
