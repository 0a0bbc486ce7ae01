// After tsc: bundle the CLI (esbuild), and write the index of the shipped lessons that `list` and the UI's
// first frame read (runner/lesson/summary.ts).
//
// The CLI ships as one bundle, split where runner/cli.ts and the UI import lazily (`import()`), in
// dist/bin/. Node then reads a handful of files instead of some 400 modules (ink, React and their
// dependencies): the UI's first ink frame comes sooner and its memory is lower. tsc's output (dist/runner,
// dist/checks) stays for the tests, the bench and this script; it is not in the package.
import { chmodSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * ink connects to React's devtools when DEV=true, importing its devtools.js (react-devtools-core and a
 * WebSocket client, which are not our dependencies). In the bundle that import fails as it does in ink
 * without react-devtools-core installed, and ink says so.
 */
const noInkDevtools = {
  name: 'no-ink-devtools',
  setup(b) {
    b.onResolve({ filter: /^\.\/devtools\.js$/ }, (args) => (/[\\/]ink[\\/]/.test(args.importer) ? { path: 'ink-devtools', namespace: 'no-ink-devtools' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'no-ink-devtools' }, () => ({
      contents: "const e = new Error('React devtools are not part of swarm-workshop'); e.code = 'ERR_MODULE_NOT_FOUND'; throw e;",
      loader: 'js',
    }));
  },
};

const root = new URL('..', import.meta.url);
const bin = new URL('dist/bin/', root);
rmSync(bin, { recursive: true, force: true });
await build({
  absWorkingDir: root.pathname,
  entryPoints: ['runner/cli.ts'],
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  // dockerode (ssh2 and its optional native module) and write-file-atomic (loaded with createRequire) stay
  // packages of their own; so do fastify and its rate limiter (the board): the validators fastify compiles
  // require() ajv's runtime by name, which only resolves from fastify's own place in node_modules.
  external: ['dockerode', 'write-file-atomic', 'fastify', '@fastify/rate-limit'],
  plugins: [noInkDevtools],
  // React's production build: without NODE_ENV set, react/index.js picks its development build (checks
  // and warnings for authors; slower and larger).
  define: { 'process.env.NODE_ENV': '"production"' },
  // The CommonJS modules inside (React, yoga's loader) call require() for Node's own modules.
  banner: { js: "import { createRequire as __swCreateRequire } from 'node:module';\nconst require = __swCreateRequire(import.meta.url);" },
});
chmodSync(new URL('cli.js', bin), 0o755);

const { loadLessons, localize, TRANSLATED } = await import('../dist/runner/lesson/load.js');
const { writeIndex, indexFile } = await import('../dist/runner/lesson/summary.js');
const { lessonsDir } = await import('../dist/runner/paths.js');
const { chapters, problems } = loadLessons(lessonsDir);
// Lessons with problems get no index: the commands then parse them and report every problem.
if (problems.length) rmSync(indexFile, { force: true });
else writeIndex(lessonsDir, Object.fromEntries([['en', chapters], ...TRANSLATED.map((lang) => [lang, localize(chapters, lang)])]));
