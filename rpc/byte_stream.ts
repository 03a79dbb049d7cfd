/**
 * The one thing the RPC connection code needs from a transport: read bytes, write bytes,
 * close. A `Deno.UnixConn` is one; `memoryStreamPair()` gives two connected in-memory ends
 * so dispatch and client logic can be tested without sockets.
 */

export interface ByteStream {
  /** Reads into `buffer`; resolves the byte count, or null at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `data`; resolves how many bytes were taken. */
  write(data: Uint8Array): Promise<number>;
  close(): void;
}

export async function writeAll(stream: ByteStream, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await stream.write(data.subarray(at));
}

class MemoryEnd implements ByteStream {
  #inbox: Uint8Array[] = [];
  #waiter: (() => void) | null = null;
  #ended = false; // the peer closed: reads drain the inbox, then end
  #closed = false;
  peer!: MemoryEnd;

  deliver(data: Uint8Array): void {
    this.#inbox.push(data);
    this.#wake();
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#inbox.length === 0) {
      if (this.#ended || this.#closed) return null;
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
    const head = this.#inbox[0]!;
    const n = Math.min(head.length, buffer.length);
    buffer.set(head.subarray(0, n));
    if (n === head.length) this.#inbox.shift();
    else this.#inbox[0] = head.subarray(n);
    return n;
  }

  write(data: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("Stream is closed"));
    if (this.#ended) return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe"));
    this.peer.deliver(data.slice());
    return Promise.resolve(data.length);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake();
    this.peer.end();
  }
}

/** Two connected in-memory ends: what one writes, the other reads. */
export function memoryStreamPair(): [ByteStream, ByteStream] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
