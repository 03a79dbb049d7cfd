import assert from "node:assert/strict";
import { KeyedMutex } from "./keyed_mutex.ts";
import { DEADLINE_MESSAGE, withDeadline } from "./deadline.ts";

function gate(): { open: () => void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => open = resolve);
  return { open, wait };
}

Deno.test("calls for one key run in order; other keys are not blocked", async () => {
  const mutex = new KeyedMutex();
  const log: string[] = [];
  const g = gate();
  const a1 = mutex.run("a", async () => {
    log.push("a1 start");
    await g.wait;
    log.push("a1 end");
  });
  const a2 = mutex.run("a", () => {
    log.push("a2");
    return Promise.resolve();
  });
  await mutex.run("b", () => {
    log.push("b");
    return Promise.resolve();
  });
  assert.deepEqual(log, ["a1 start", "b"], "b ran while a1 held a");
  g.open();
  await Promise.all([a1, a2]);
  assert.deepEqual(log, ["a1 start", "b", "a1 end", "a2"]);
  assert.deepEqual(mutex.busyKeys, []);
});

Deno.test("a failing call releases the key", async () => {
  const mutex = new KeyedMutex();
  await assert.rejects(mutex.run("a", () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await mutex.run("a", () => Promise.resolve(7)), 7);
});

Deno.test("withDeadline rejects with EVE's text when the work is too slow", async () => {
  const g = gate();
  await assert.rejects(withDeadline(5, () => g.wait), { message: DEADLINE_MESSAGE });
  g.open();
  assert.equal(await withDeadline(1000, () => Promise.resolve("ok")), "ok");
  const controller = new AbortController();
  const g2 = gate();
  const p = withDeadline(10_000, () => g2.wait, controller.signal);
  controller.abort();
  await assert.rejects(p, { message: DEADLINE_MESSAGE });
  g2.open();
});
