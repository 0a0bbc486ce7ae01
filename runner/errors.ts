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

/** Text for the terminal: the message, then one "→" line per next step. */
export function formatError(error: unknown): string {
  if (error instanceof AbortError) {
    return [`error: ${error.message}`, ...error.nextSteps.map((step) => `  → ${step}`)].join('\n');
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `internal error (this is a bug in swarm-workshop, please report it with the text below):\n${detail}`;
}
