/** What the entry point hands the CLI: its output streams and signals. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Calls `handler` on each delivery of `signal` until the returned function is called. */
  readonly onSignal: (signal: "SIGTERM" | "SIGINT" | "SIGHUP", handler: () => void) => () => void;
}

/** A usage error (exit 2): the message names the flag and the fix. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
