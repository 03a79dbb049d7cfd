import assert from "node:assert/strict";
import { CallJournal, type CallStart } from "./journal.ts";
import { JournalFile } from "./journal_file.ts";

const call = (pod: string, method = "RPCServer.ConnectPodAtL2"): CallStart => ({
  method,
  dialect: "go",
  pod,
  interface: "net1",
  params: { pod: { name: pod } },
  faults: [],
});

Deno.test("journal: the ring keeps the newest entries and counts the evicted", () => {
  const journal = new CallJournal({ maxEntries: 3 });
  for (let i = 1; i <= 5; i++) journal.end(journal.begin(call(`p${i}`)), { outcome: "ok" });
  const listed = journal.list();
  assert.deepEqual(listed.entries.map((e) => e.pod), ["p3", "p4", "p5"]);
  assert.equal(listed.total, 5);
  assert.equal(listed.evicted, 2);
  assert.equal(listed.capacity.entries, 3);
});

Deno.test("journal: the ring is bounded by bytes too, whatever the entry count", () => {
  const journal = new CallJournal({ maxEntries: 1000, maxBytes: 2000 });
  const big = "x".repeat(300); // the pod name is in the entry twice: ~850 bytes each
  for (let i = 1; i <= 10; i++) journal.end(journal.begin(call(`${big}${i}`)), { outcome: "ok" });
  const listed = journal.list();
  assert.equal(
    listed.entries.length,
    2,
    "two entries of ~850 bytes fit in 2000 bytes, three do not",
  );
  assert.equal(listed.entries.at(-1)!.pod, `${big}10`, "the newest stays");
  assert.equal(listed.evicted + listed.entries.length, 10);
  const huge = new CallJournal({ maxBytes: 100 });
  huge.end(huge.begin(call(big)), { outcome: "ok" });
  assert.equal(huge.list().entries.length, 1, "the newest stays even alone over the bound");
});

Deno.test("journal: running calls are listed as pending, in arrival order", () => {
  const journal = new CallJournal();
  const first = journal.begin(call("a"));
  const second = journal.begin(call("b"));
  journal.end(second, { outcome: "error", error: "boom" });
  assert.deepEqual(journal.list().entries.map((e) => [e.seq, e.pod, e.outcome, e.error]), [
    [1, "a", "pending", null],
    [2, "b", "error", "boom"],
  ]);
  journal.end(first, { outcome: "ok", result: { appUUID: "u" } });
  const [a] = journal.list().entries;
  assert.deepEqual([a!.outcome, a!.result], ["ok", { appUUID: "u" }]);
});

Deno.test("journal: filters by method (short or full), pod glob and since", () => {
  const journal = new CallJournal();
  journal.end(journal.begin(call("nginx-1a2b3-aaaaa")), { outcome: "ok" });
  journal.end(journal.begin(call("nginx-1a2b3-aaaaa", "RPCServer.ConnectPodAtL3")), {
    outcome: "ok",
  });
  journal.end(journal.begin(call("redis-2b3c4-bbbbb")), { outcome: "ok" });
  const seqs = (q: Parameters<CallJournal["list"]>[0]) => journal.list(q).entries.map((e) => e.seq);
  assert.deepEqual(seqs({ method: "ConnectPodAtL2" }), [1, 3]);
  assert.deepEqual(seqs({ method: "RPCServer.ConnectPodAtL3" }), [2]);
  assert.deepEqual(seqs({ method: "AtL3" }), [], "a method name is whole, not a suffix");
  assert.deepEqual(seqs({ pod: "nginx-*" }), [1, 2]);
  assert.deepEqual(seqs({ since: 2 }), [3]);
});

Deno.test("journal: the file gets one JSON line per finished call", async () => {
  const dir = await Deno.makeTempDir({ prefix: "journal-test-" });
  try {
    const path = `${dir}/journal.jsonl`;
    const journal = new CallJournal({ file: await JournalFile.open(path, () => {}) });
    journal.end(journal.begin(call("a")), { outcome: "ok", result: { x: 1 } });
    journal.begin(call("still running"));
    journal.end(journal.begin(call("b")), { outcome: "dropped" });
    await journal.close();
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.seq, l.pod, l.outcome, l.result]), [
      [1, "a", "ok", { x: 1 }],
      [3, "b", "dropped", null],
    ]);
    assert.equal(journal.list().file, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("journal: a file that cannot be opened is a clear error", async () => {
  await assert.rejects(
    JournalFile.open("/proc/journal.jsonl", () => {}),
    /Cannot open the journal file "\/proc\/journal.jsonl": /,
  );
});
