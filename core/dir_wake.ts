/**
 * Waiting for a file that another process writes (udhcpc's hook appending a lease event):
 * woken by inotify on its directory (Deno.watchFs) instead of polling, with a timer as the
 * bound and as the fallback where inotify says nothing (a file system without it, a watch
 * limit reached). Polling every 10 ms cost an ADD ~5 ms on average after the event and a
 * read and parse of the file per tick (issue 11).
 */
import { after } from "./timers.ts";

export interface DirectoryWake {
  /** Resolves when something in the directory changed, or after `ms` at most. */
  wait(ms: number): Promise<void>;
  close(): void;
}

/** Watches `dir` (not recursively); falls back to plain timers when it cannot be watched. */
export function watchDirectory(dir: string): DirectoryWake {
  let watcher: Deno.FsWatcher | undefined;
  try {
    watcher = Deno.watchFs(dir, { recursive: false });
  } catch {
    watcher = undefined;
  }
  const events = watcher?.[Symbol.asyncIterator]();
  // One read of the watcher at a time: a change seen while nobody waited wakes the next wait.
  let pending: Promise<unknown> | undefined;
  return {
    wait(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const timer = after(ms, resolve);
        if (events === undefined) return;
        pending ??= events.next().then(
          () => (pending = undefined),
          () => (pending = undefined),
        );
        pending.then(() => {
          timer.cancel();
          resolve();
        });
      });
    },
    close(): void {
      try {
        watcher?.close();
      } catch {
        // Already closed.
      }
    },
  };
}
