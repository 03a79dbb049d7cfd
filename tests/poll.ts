/**
 * Waiting in tests for something that happens on its own time (a daemon reloads, udhcpc
 * renews): poll a probe, bounded. The one implementation the harnesses share.
 */

/** What `eventually` throws when the probe never answered within its bound. */
export class PollTimeoutError extends Error {}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined; throws
 * `Timed out waiting for <what>` after `timeoutMs`. A probe that throws ends the wait.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new PollTimeoutError(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Polls `probe` until it returns true (bounded); false on timeout, for `assert.ok(…, why)`. */
export async function eventuallyTrue(
  probe: () => Promise<boolean>,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<boolean> {
  try {
    return await eventually(
      "a condition",
      async () => (await probe()) ? true : undefined,
      timeoutMs,
      intervalMs,
    );
  } catch (error) {
    if (error instanceof PollTimeoutError) return false;
    throw error;
  }
}
