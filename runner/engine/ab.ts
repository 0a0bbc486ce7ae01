import { say } from '../i18n/messages.js';

/** What one ApacheBench run measured, parsed from its text report. */
export interface AbResult {
  concurrency: number;
  completeRequests: number;
  failedRequests: number;
  /** "Requests per second" (mean). */
  requestsPerSecond: number;
  /** "Time per request" (mean), as one client sees it, in ms. */
  meanMs: number;
  /** Total time of the run, in seconds. */
  totalSeconds: number;
  /** "Percentage of the requests served within a certain time": percent -> ms. */
  percentiles: Record<number, number>;
}

function field(text: string, pattern: RegExp, name: string): number {
  const match = pattern.exec(text);
  if (!match?.[1]) throw new Error(`${say('runner.abNoLine', { name })}\n${text.slice(-400)}`);
  return Number(match[1]);
}

/** Parse the report `ab` prints. Throws with the tail of the text when a needed line is missing. */
export function parseAb(text: string): AbResult {
  const percentiles: Record<number, number> = {};
  const section = text.split(/Percentage of the requests served within a certain time \(ms\)/)[1] ?? '';
  for (const match of section.matchAll(/^\s*(\d+)%\s+(\d+)/gm)) {
    percentiles[Number(match[1])] = Number(match[2]);
  }
  return {
    concurrency: field(text, /^Concurrency Level:\s+(\d+)/m, 'Concurrency Level'),
    completeRequests: field(text, /^Complete requests:\s+(\d+)/m, 'Complete requests'),
    failedRequests: field(text, /^Failed requests:\s+(\d+)/m, 'Failed requests'),
    requestsPerSecond: field(text, /^Requests per second:\s+([\d.]+)/m, 'Requests per second'),
    meanMs: field(text, /^Time per request:\s+([\d.]+) \[ms\] \(mean\)$/m, 'Time per request (mean)'),
    totalSeconds: field(text, /^Time taken for tests:\s+([\d.]+) seconds/m, 'Time taken for tests'),
    percentiles,
  };
}
