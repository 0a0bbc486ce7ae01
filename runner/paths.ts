import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the folder holding our package.json. Found by walking up from this file, so the same
 * code works from the TypeScript sources (tests) and from the compiled `dist/` (npx).
 */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'swarm-workshop') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('swarm-workshop: cannot find its own package.json');
    dir = parent;
  }
})();

export const packageVersion: string = (
  JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }
).version;

/** Where the DockerCoins sources ship inside the package (read-only: learners edit a copy). */
export const dockercoinsDir = join(packageRoot, 'dockercoins');
export const lessonsDir = join(packageRoot, 'lessons');
/** The lab's node image: Dockerfile and entrypoint. */
export const labNodeDir = join(packageRoot, 'lab', 'node');
