import type { TFunction } from 'i18next';
import type { AbResult } from './engine/ab.js';
import type { WorkshopEvent } from './engine/events.js';
import { padLabels, translator } from './i18n/messages.js';

let english: TFunction | undefined;
/** English, made on first use: the default of the printers. */
const en = (): TFunction => (english ??= translator('en'));

export function formatAb(name: string, r: AbResult, t: TFunction = en()): string {
  const p50 = r.percentiles[50];
  return t('printer.ab', {
    name, rps: r.requestsPerSecond, mean: r.meanMs, median: p50 !== undefined ? t('printer.abMedian', { value: p50 }) : '',
    count: r.completeRequests, failed: r.failedRequests, concurrency: r.concurrency,
  });
}

/**
 * The plain-text view of a run: one function per event, writing to `out`. Command output is indented
 * under its command; a failed check shows expected, actual and a hint.
 */
export function textPrinter(out: (text: string) => void, t: TFunction = en()): (event: WorkshopEvent) => void {
  const seconds = (ms: number) => t('printer.seconds', { value: (ms / 1000).toFixed(1) });
  const [expected, actual, hint] = padLabels([t('printer.expected'), t('printer.actual'), t('printer.hint')]);
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
        if (event.exitCode !== 0) out(`  ${t('printer.exited', { code: event.exitCode, seconds: seconds(event.durationMs) })}\n`);
        break;
      case 'check-result':
        if (event.phase === 'before') {
          out(`  ${event.ok ? '!' : '·'} ${t('printer.before')} ${event.title}: ${event.actual}\n`);
        } else if (event.ok) {
          out(`  ✓ ${event.title} (${event.actual})\n`);
        } else if (event.history) {
          out(`  ~ ${event.title}: ${t('printer.changedSince', { step: event.history })} (${event.actual})\n`);
        } else {
          out(`  ✗ ${event.title}\n      ${expected} ${event.expected}\n      ${actual} ${event.actual}\n${event.hint ? `      ${hint} ${event.hint}\n` : ''}`);
        }
        break;
      case 'ab-result':
        out(`  ${formatAb(event.name, event.result, t)}\n`);
        break;
      case 'measurement':
        out(`  ${event.name}: ${event.value.toFixed(1)} ${event.unit}\n`);
        break;
      case 'step-finished':
        // Check mode, a step ahead of the learner: one line, with its number and name.
        if (event.status === 'pending') return void out(`\n· ${number(event.step)} ${event.step}: ${event.reason ?? t('printer.notYet')}\n`);
        out(`  → ${t(`printer.status.${event.status}`)}${event.reason ? ` (${event.reason})` : ''}${event.durationMs ? ` ${t('printer.in', { seconds: seconds(event.durationMs) })}` : ''}\n`);
        break;
      case 'chapter-finished':
        out(`\n${event.chapter}: ${event.ok ? t('printer.allDone') : t('printer.stopped')} (${seconds(event.durationMs)})\n`);
        break;
    }
  };
}

export const jsonPrinter = (out: (text: string) => void) => (event: WorkshopEvent) => out(`${JSON.stringify(event)}\n`);
