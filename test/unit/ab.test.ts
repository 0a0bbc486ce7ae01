import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAb } from '../../runner/engine/ab.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe('parseAb', () => {
  it('reads the figures of a serial rng run', () => {
    const result = parseAb(fixture('ab-rng-c1.txt'));
    expect(result).toMatchObject({
      concurrency: 1,
      completeRequests: 20,
      failedRequests: 0,
      requestsPerSecond: 9.82,
      meanMs: 101.798,
      totalSeconds: 2.036,
    });
    expect(result.percentiles[50]).toBe(102);
    expect(result.percentiles[100]).toBe(103);
  });

  it('reads a POST run against hasher, whose report has extra "sent" lines', () => {
    const result = parseAb(fixture('ab-hasher-c10.txt'));
    expect(result.concurrency).toBe(10);
    expect(result.requestsPerSecond).toBe(80.8);
    expect(result.meanMs).toBe(123.756);
    expect(Object.keys(result.percentiles)).toHaveLength(9);
  });

  it('names the missing line when the report is cut short', () => {
    expect(() => parseAb('This is ApacheBench, Version 2.3\nBenchmarking rng (be patient)...apr_socket_recv: Connection refused (111)\n'))
      .toThrow(/no "Concurrency Level" line/);
  });
});
