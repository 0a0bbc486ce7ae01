import type { AbResult } from './engine/ab.js';
import type { WorkshopEvent } from './engine/events.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function formatAb(name: string, r: AbResult): string {
  const p50 = r.percentiles[50];
  return `ab ${name}: ${r.requestsPerSecond} req/s, mean ${r.meanMs} ms${p50 !== undefined ? `, median ${p50} ms` : ''}, ${r.completeRequests} requests, ${r.failedRequests} failed (-c ${r.concurrency})`;
}

/**
 * The plain-text view of a run: one function per event, writing to `out`. Command output is indented
 * under its command; a failed check shows expected, actual and a hint.
 */
export function textPrinter(out: (text: string) => void): (event: WorkshopEvent) => void {
  let steps: string[] = [];
  let atLineStart = true;
  const number = (step: string) => `[${steps.indexOf(step) + 1}/${steps.length}]`;
  return (event) => {
    switch (event.type) {
      case 'chapter-started':
        steps = event.steps.map((s) => s.id);
        out(`\n${event.title}\n`);
        break;
      case 'step-started':
        out(`\n▶ ${number(event.step)} ${event.step}: ${event.title}\n`);
        break;
      case 'command-started':
        out(`  $ ${event.command}\n`);
        atLineStart = true;
        break;
      case 'command-output': {
        const text = event.text.replace(/\r/g, '');
        let indented = '';
        for (const ch of text) {
          if (atLineStart) indented += '    ';
          indented += ch;
          atLineStart = ch === '\n';
        }
        out(indented);
        break;
      }
      case 'command-finished':
        if (!atLineStart) out('\n');
        atLineStart = true;
        if (event.exitCode !== 0) out(`  ✗ exited with code ${event.exitCode} after ${seconds(event.durationMs)}\n`);
        break;
      case 'check-result':
        if (event.phase === 'before') {
          out(`  ${event.ok ? '!' : '·'} before the step: ${event.title}: ${event.actual}\n`);
        } else if (event.ok) {
          out(`  ✓ ${event.title} (${event.actual})\n`);
        } else if (event.history) {
          out(`  ~ ${event.title}: changed since by ${event.history}, as the lessons do (${event.actual})\n`);
        } else {
          out(`  ✗ ${event.title}\n      expected: ${event.expected}\n      actual:   ${event.actual}\n${event.hint ? `      hint:     ${event.hint}\n` : ''}`);
        }
        break;
      case 'ab-result':
        out(`  ${formatAb(event.name, event.result)}\n`);
        break;
      case 'measurement':
        out(`  ${event.name}: ${event.value.toFixed(1)} ${event.unit}\n`);
        break;
      case 'step-finished':
        // Check mode, a step ahead of the learner: one line, with its number and name.
        if (event.status === 'pending') return void out(`\n· ${number(event.step)} ${event.step}: ${event.reason ?? 'not yet'}\n`);
        out(`  → ${event.status}${event.reason ? ` (${event.reason})` : ''}${event.durationMs ? ` in ${seconds(event.durationMs)}` : ''}\n`);
        break;
      case 'chapter-finished':
        out(`\n${event.chapter}: ${event.ok ? 'all steps done' : 'stopped before the end'} (${seconds(event.durationMs)})\n`);
        break;
    }
  };
}

export const jsonPrinter = (out: (text: string) => void) => (event: WorkshopEvent) => out(`${JSON.stringify(event)}\n`);
