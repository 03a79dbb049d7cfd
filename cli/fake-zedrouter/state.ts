/**
 * What fake-zedrouter must remember across restarts: each app's number (it names the host
 * veths), the pod each app is bound to (the stale-pod guard), and every attachment (which
 * veth belongs to which pod interface, and what L3 was applied). Kept as one JSON file in
 * the state dir, replaced atomically (temp file + rename) after every change.
 */
import * as v from "valibot";
import {
  CidrSchema,
  describeIssues,
  IpSchema,
  MacSchema,
  readTextFileIfExists,
  UuidSchema,
  writeFileAtomic,
} from "../../core/mod.ts";

export const L3RecordSchema = v.strictObject({
  ips: v.array(v.strictObject({ address: CidrSchema, gateway: v.nullable(IpSchema) })),
  routes: v.array(v.strictObject({ dst: CidrSchema, gw: v.nullable(IpSchema) })),
  dns: v.strictObject({
    nameservers: v.array(v.string()),
    domain: v.string(),
    search: v.array(v.string()),
    options: v.array(v.string()),
  }),
});
export type L3Record = v.InferOutput<typeof L3RecordSchema>;

export const AttachmentSchema = v.strictObject({
  appUuid: UuidSchema,
  adapterIndex: v.number(),
  niUuid: UuidSchema,
  bridge: v.string(),
  podName: v.string(),
  podNetnsPath: v.string(),
  podIfName: v.string(),
  hostIfName: v.string(),
  mac: MacSchema,
  mtu: v.number(),
  /** EVE's UseDHCP at connect time (answers DisconnectPod even if the NI was removed). */
  usesDhcp: v.boolean(),
  l3: v.nullable(L3RecordSchema),
  connectedAt: v.string(),
});
export type Attachment = v.InferOutput<typeof AttachmentSchema>;

export const BoundPodSchema = v.strictObject({ podName: v.string(), podNetnsPath: v.string() });
export type BoundPod = v.InferOutput<typeof BoundPodSchema>;

export const StateSchema = v.strictObject({
  version: v.literal(1),
  appNums: v.record(UuidSchema, v.pipe(v.number(), v.integer(), v.minValue(1))),
  boundPods: v.record(UuidSchema, BoundPodSchema),
  /** Keyed by `attachmentKey(appUuid, adapterIndex)`. */
  attachments: v.record(v.string(), AttachmentSchema),
});
export type State = v.InferOutput<typeof StateSchema>;

export function emptyState(): State {
  return { version: 1, appNums: {}, boundPods: {}, attachments: {} };
}

export function attachmentKey(appUuid: string, adapterIndex: number): string {
  return `${appUuid}/${adapterIndex}`;
}

/** The lowest app number not in use (EVE numbers apps from 1). */
export function nextAppNum(state: State): number {
  const used = new Set(Object.values(state.appNums));
  let n = 1;
  while (used.has(n)) n++;
  return n;
}

/** Reads the state file; a missing file is an empty state, a corrupt one an error. */
export async function readStateFile(path: string): Promise<State> {
  const text = await readTextFileIfExists(path);
  if (text === undefined) return emptyState();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`State file "${path}" is not JSON; move it aside to start afresh`);
  }
  const parsed = v.safeParse(StateSchema, raw);
  if (!parsed.success) {
    throw new Error(
      `State file "${path}" is not valid (${
        describeIssues(parsed.issues)
      }); move it aside to start afresh`,
    );
  }
  return parsed.output;
}

/** Writes the whole state atomically: a reader sees the old file or the new one. */
export async function writeStateFile(path: string, state: State): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
}

/**
 * The live state plus its file. Changes go through `update`, which applies them in memory
 * at once; writes run one after another, so concurrent handlers never interleave
 * half-written files and the file always ends up matching memory.
 *
 * A write serialises the live state when it starts, so it carries every change made before
 * then, and updates made before a queued write starts share it (writes are synchronous, so
 * in practice only updates of one turn of the event loop do). What this replaced, a copy of
 * the whole state per update, grew with the node's apps: in a burst of 8 parallel attachments
 * (bench:attach) structuredClone alone was 14% of fake-zedrouter's CPU.
 */
export class StateStore {
  #state: State;
  /** The write running now (settled when none is). */
  #running: Promise<void> = Promise.resolve();
  /** The write that starts after it, shared by every update made before it starts. */
  #next: Promise<void> | undefined;

  private constructor(readonly path: string, state: State) {
    this.#state = state;
  }

  static async open(path: string): Promise<StateStore> {
    return new StateStore(path, await readStateFile(path));
  }

  get current(): Readonly<State> {
    return this.#state;
  }

  /** Applies `change` to the state and waits until the file holds the result (or later). */
  update(change: (state: State) => void): Promise<void> {
    change(this.#state);
    if (this.#next) return this.#next;
    const next = this.#running.then(() => {
      this.#next = undefined;
      return writeStateFile(this.path, this.#state);
    });
    this.#next = next;
    // A failed write must not poison later ones; the callers it covered still see it.
    this.#running = next.catch(() => {});
    return next;
  }

  /** The app's number, allocated (and persisted) on first use. */
  async appNum(appUuid: string): Promise<number> {
    const known = this.#state.appNums[appUuid];
    if (known !== undefined) return known;
    const n = nextAppNum(this.#state);
    await this.update((s) => s.appNums[appUuid] = n);
    return n;
  }

  attachmentsOf(appUuid: string): Attachment[] {
    return Object.values(this.#state.attachments).filter((a) => a.appUuid === appUuid);
  }
}
