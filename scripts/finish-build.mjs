// After tsc: make the CLI entry point executable (tsc keeps the shebang but not the mode), and write the
// index of the shipped lessons that `list` and the UI's first frame read (runner/lesson/summary.ts).
import { chmodSync, rmSync } from 'node:fs';
chmodSync(new URL('../dist/runner/cli.js', import.meta.url), 0o755);
const { loadLessons } = await import('../dist/runner/lesson/load.js');
const { writeIndex } = await import('../dist/runner/lesson/summary.js');
const { lessonsDir } = await import('../dist/runner/paths.js');
const { indexFile } = await import('../dist/runner/lesson/summary.js');
const { chapters, problems } = loadLessons(lessonsDir);
// Lessons with problems get no index: the commands then parse them and report every problem.
if (problems.length) rmSync(indexFile, { force: true });
else writeIndex(lessonsDir, chapters);
