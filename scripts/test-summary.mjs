// Prints the closing line of a test run ("tests: N passed, N failed") from vitest's JSON report, and fails
// when no end-to-end test ran: an engine that could not be reached must not pass as "nothing to test".
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file || !existsSync(file)) {
  console.error(`test-summary: no report at ${file}; vitest did not finish`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const all = report.testResults.flatMap((suite) => suite.assertionResults.map((test) => ({ suite: suite.name, ...test })));
const count = (status) => all.filter((test) => test.status === status).length;
const e2e = all.filter((test) => test.suite.includes('/test/e2e/') && test.status === 'passed').length;
// A file whose set-up failed (beforeAll) fails without any failed test: count it as one failure.
const brokenFiles = report.testResults.filter((suite) => suite.status === 'failed' && !suite.assertionResults.some((t) => t.status === 'failed')).length;
// The slowest files, so that a CI log (of which only the tail may be kept) shows where the time went.
const files = report.testResults.map((suite) => ({ name: suite.name.replace(/.*\/test\//, 'test/'), s: (suite.endTime - suite.startTime) / 1000 }));
const total = files.reduce((sum, f) => sum + f.s, 0);
console.log(`time by file (${Math.round(total)} s in all):`);
for (const f of files.sort((a, b) => b.s - a.s).slice(0, 10)) console.log(`  ${String(Math.round(f.s)).padStart(5)} s  ${f.name}`);
console.log(`tests: ${count('passed')} passed, ${count('failed') + brokenFiles} failed, ${count('skipped') + count('pending')} skipped`);
// A run narrowed to some files on purpose (arguments given) may leave out the end-to-end tests.
if (e2e === 0 && process.env.SWARM_WORKSHOP_ALLOW_NO_E2E !== '1') {
  console.error('test-summary: no end-to-end test passed; the real-engine tests must run (see scripts/engine.sh)');
  process.exit(1);
}
