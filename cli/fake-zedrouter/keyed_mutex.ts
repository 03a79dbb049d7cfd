/**
 * One async mutex per key: calls for the same app run one after another, calls for
 * different apps run side by side (EVE's zedrouter serializes everything through one loop;
 * per-app is enough for correctness and keeps one slow pod from stalling the node).
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier call for `key` has finished. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => release = resolve);
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    try {
      await previous;
      return await fn();
    } finally {
      release();
      // Forget the key once nobody queues behind us, so the map does not grow forever.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys with a call running or queued (for tests and inspection). */
  get busyKeys(): string[] {
    return [...this.#tails.keys()];
  }
}
