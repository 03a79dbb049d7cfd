/**
 * Exit codes scripts can rely on. One table, so the --help text and the code agree.
 */
export const ExitCode = {
  /** Everything looked at is fine. */
  Ok: 0,
  /** The command ran and found problems (check, doctor, show with a broken link). */
  ProblemsFound: 1,
  /** Bad flags or arguments. */
  Usage: 2,
  /** zedrouter's socket is missing, refuses connections or does not answer. */
  ZedrouterUnreachable: 3,
  /** The inspection itself failed (a tool missing, a file unreadable...). */
  Failure: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  0  ok: nothing wrong
  1  problems found (check, doctor, show, status)
  2  usage error (unknown flag, bad argument)
  3  zedrouter unreachable (socket missing, refused, no reply)
  4  the inspection itself failed (tool missing, file unreadable)`;

/** A bad argument the user can fix; exits with ExitCode.Usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
