import assert from "node:assert/strict";
import {
  type Attachment,
  attachmentKey,
  emptyState,
  nextAppNum,
  readStateFile,
  StateStore,
} from "./state.ts";

const APP = "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d";
const NI = "8f9c1e2a-1111-4a1b-9c2d-3e4f5a6b7c8d";

function attachment(): Attachment {
  return {
    appUuid: APP,
    adapterIndex: 0,
    niUuid: NI,
    bridge: "bn1",
    podName: "nginx-1a2b3-abcde",
    podNetnsPath: "/var/run/netns/x",
    podIfName: "net1",
    hostIfName: "nbu1x1",
    mac: "02:16:3e:00:00:01",
    mtu: 1500,
    usesDhcp: true,
    l3: null,
    connectedAt: new Date(0).toISOString(),
  };
}

Deno.test("app numbers are the lowest free ones", () => {
  const s = emptyState();
  assert.equal(nextAppNum(s), 1);
  s.appNums[APP] = 1;
  s.appNums[NI] = 3;
  assert.equal(nextAppNum(s), 2);
});

Deno.test("the store persists every update and reads it back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/state.json`;
    const store = await StateStore.open(path);
    assert.deepEqual(store.current, emptyState());
    assert.equal(await store.appNum(APP), 1);
    assert.equal(await store.appNum(APP), 1);
    const writes = [];
    for (let i = 0; i < 20; i++) {
      writes.push(store.update((s) => {
        s.attachments[attachmentKey(APP, 0)] = { ...attachment(), adapterIndex: i };
      }));
    }
    await Promise.all(writes);
    const back = await readStateFile(path);
    assert.equal(back.appNums[APP], 1);
    assert.equal(back.attachments[attachmentKey(APP, 0)]!.adapterIndex, 19, "last write wins");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["state.json"], "no temp left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("each update's promise settles once the file holds its change", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/state.json`;
    const store = await StateStore.open(path);
    const keys = Array.from({ length: 12 }, (_, i) => attachmentKey(APP, i));
    // Fired together: they share writes, but none may settle before its change is on disk.
    const seen = await Promise.all(keys.map(async (key, i) => {
      await store.update((s) => s.attachments[key] = { ...attachment(), adapterIndex: i });
      return Object.keys((await readStateFile(path)).attachments);
    }));
    for (const [i, onDisk] of seen.entries()) assert.ok(onDisk.includes(keys[i]!), keys[i]);
    // An update made once the others settled gets a write of its own.
    await store.update((s) => delete s.attachments[keys[0]!]);
    assert.equal(Object.keys((await readStateFile(path)).attachments).length, 11);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failed state write fails its updates and not the ones after it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sub/state.json`;
    await Deno.mkdir(`${dir}/sub`);
    const store = await StateStore.open(path);
    await Deno.remove(`${dir}/sub`, { recursive: true });
    await assert.rejects(store.update((s) => s.appNums[APP] = 1), Deno.errors.NotFound);
    await Deno.mkdir(`${dir}/sub`);
    await store.update((s) => s.appNums[NI] = 2);
    assert.deepEqual((await readStateFile(path)).appNums, { [APP]: 1, [NI]: 2 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a corrupt state file is a clear error, a missing one is empty", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await readStateFile(`${dir}/none.json`), emptyState());
    await Deno.writeTextFile(`${dir}/bad.json`, "{nope");
    await assert.rejects(readStateFile(`${dir}/bad.json`), /is not JSON; move it aside/);
    await Deno.writeTextFile(`${dir}/bad2.json`, JSON.stringify({ version: 2 }));
    await assert.rejects(readStateFile(`${dir}/bad2.json`), /is not valid \(version/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
