import { currentLanguage } from './i18n/language.js';
import { liteT } from './i18n/lite.js';

/**
 * Two kinds of failure, as the top-level handler in cli.ts sees them:
 * - {@link AbortError}: the user can fix it; the message says what is wrong and `nextSteps` what to do.
 * - {@link BugError}: our fault; the message asks for a report.
 */
export class AbortError extends Error {
  constructor(
    message: string,
    /** Concrete things to try next, each naming the command or flag. */
    readonly nextSteps: string[] = [],
    /** Process exit code when this error ends the command. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'AbortError';
  }
}

export class BugError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BugError';
  }
}

/**
 * Text for the terminal, in the run's language: the message, then one "→" line per next step. The
 * catalogue's small reader (i18n/lite.ts): cli.ts loads this module at start, before any i18next.
 */
export function formatError(error: unknown): string {
  const t = liteT(currentLanguage().lang);
  if (error instanceof AbortError) {
    return [t('errors.error', { message: error.message }), ...error.nextSteps.map((step) => `  → ${step}`)].join('\n');
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return t('errors.internal', { detail });
}
