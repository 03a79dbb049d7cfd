/**
 * The ready file (`serve --ready-file PATH`): written once the socket accepts calls and
 * every network instance is up (bridges made, dnsmasqs started), so a CI step can wait for
 * it instead of polling the socket; removed when the daemon stops. It is replaced
 * atomically, so a reader sees all of it or none.
 */
import { writeFileAtomic } from "../../core/mod.ts";
import { PROGRAM, VERSION } from "./version.ts";

export interface ReadyInfo {
  readonly pid: number;
  readonly socket: string;
  readonly stateDir: string;
  readonly networkInstances: readonly string[];
}

export async function writeReadyFile(path: string, info: ReadyInfo): Promise<void> {
  const text = JSON.stringify({
    ...info,
    version: `${PROGRAM} ${VERSION}`,
    readyAt: new Date().toISOString(),
  });
  try {
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    await writeFileAtomic(path, `${text}\n`, { mode: 0o644 });
  } catch (error) {
    throw new Error(
      `Cannot write the ready file "${path}": ${error instanceof Error ? error.message : error}`,
    );
  }
}

export async function removeReadyFile(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
}
