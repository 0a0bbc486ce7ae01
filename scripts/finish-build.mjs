// After tsc: make the CLI entry point executable (tsc keeps the shebang but not the mode).
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/runner/cli.js', import.meta.url), 0o755);
