/**
 * What the accept loop does when accept() fails (EMFILE/ENFILE when file descriptors run
 * out, ECONNABORTED, ENOBUFS...): wait a little longer each time, up to a second, and try
 * again; the pending connection waits in the kernel's backlog meanwhile. A burst of failures
 * is reported once when it starts and once when accepting works again, never per failure.
 */

const FIRST_PAUSE_MS = 5;
const LONGEST_PAUSE_MS = 1000;

/** Reports the start and the end of a run of like events, never each one. */
export class Burst {
  #count = 0;
  #since = 0;

  constructor(
    private readonly log: (message: string) => void,
    private readonly describeStart: (detail: string) => string,
    private readonly describeEnd: (count: number, ms: number) => string,
  ) {}

  get count(): number {
    return this.#count;
  }

  hit(detail: string): void {
    if (this.#count++ === 0) {
      this.#since = Date.now();
      this.log(this.describeStart(detail));
    }
  }

  end(): void {
    if (this.#count === 0) return;
    this.log(this.describeEnd(this.#count, Date.now() - this.#since));
    this.#count = 0;
  }
}

export class AcceptBackoff {
  readonly #burst: Burst;

  constructor(log: (message: string) => void) {
    this.#burst = new Burst(
      log,
      (detail) => `Cannot accept connections: ${detail}; retrying with a growing pause`,
      (count, ms) => `Accepting connections again after ${count} failed accept(s) in ${ms} ms`,
    );
  }

  /** Notes a failure and waits before the next try (less when `signal` aborts). */
  async failed(error: unknown, signal: AbortSignal): Promise<void> {
    this.#burst.hit(describeAcceptError(error));
    const pause = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (this.#burst.count - 1));
    await sleep(pause, signal);
  }

  succeeded(): void {
    this.#burst.end();
  }
}

function describeAcceptError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
