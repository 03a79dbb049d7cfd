/**
 * Exit codes scripts can rely on. One table, so the --help text and the code agree: the
 * per-command help texts interpolate these constants rather than spelling the numbers.
 */
export const ExitCode = {
  /** Everything looked at is fine. */
  Ok: 0,
  /** The command ran and found problems (a broken chain, a leak, no attachment of the pod). */
  ProblemsFound: 1,
  /** Bad flags or arguments. */
  Usage: 2,
  /** zedrouter's socket is missing, refuses connections or does not answer. */
  ZedrouterUnreachable: 3,
  /** The inspection itself failed (a tool missing, a file unreadable, a netns not there...). */
  Failure: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  ${ExitCode.Ok}  ok: nothing wrong
  ${ExitCode.ProblemsFound}  problems found (pods, show, check, doctor, status; a pod with no attachment)
  ${ExitCode.Usage}  usage error (unknown flag, bad or missing argument)
  ${ExitCode.ZedrouterUnreachable}  zedrouter unreachable (socket missing, refused, no reply; its checks not run)
  ${ExitCode.Failure}  the inspection failed (tool missing, file unreadable, no such netns)`;

/** A bad argument the user can fix; exits with ExitCode.Usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A verdict that ends a command before it has a model to print: the message goes to stderr
 * and the process exits with `exitCode`. A pod with no attachment is a problem found (1),
 * not a usage error: the arguments were fine, the node is what lacks the attachment.
 */
export class VerdictError extends Error {
  constructor(message: string, readonly exitCode: ExitCode) {
    super(message);
    this.name = "VerdictError";
  }
}
