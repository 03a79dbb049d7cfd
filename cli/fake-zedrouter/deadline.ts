/**
 * Each RPC call has a deadline (DEFAULT_CALL_TIMEOUT_MS in core/eve, like EVE's 10 s
 * context): the client gets `context deadline exceeded` (EVE's text) instead of hanging
 * behind a stuck command.
 */
export const DEADLINE_MESSAGE = "context deadline exceeded";

export class DeadlineError extends Error {
  constructor() {
    super(DEADLINE_MESSAGE);
    this.name = "DeadlineError";
  }
}

/**
 * Runs `fn` and rejects with `context deadline exceeded` after `ms` or when `signal`
 * aborts. The work itself is not cancelled (a half-run `ip` command cannot be), so
 * handlers keep their own state consistent whatever the caller sees.
 */
export function withDeadline<T>(
  ms: number,
  fn: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError()), ms);
    const onAbort = () => reject(new DeadlineError());
    signal?.addEventListener("abort", onAbort, { once: true });
    fn().then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });
  });
}
