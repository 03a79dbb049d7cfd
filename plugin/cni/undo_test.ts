import assert from "node:assert/strict";
import { CniError } from "./errors.ts";
import { silentLogger } from "./logging.ts";
import { runAll } from "./run_all.ts";
import { withUndo } from "./undo.ts";

Deno.test("undo: steps run newest first on failure, the original error wins", async () => {
  const order: string[] = [];
  await assert.rejects(
    withUndo(silentLogger, async (undo) => {
      undo.push("a", () => Promise.resolve(order.push("a")));
      undo.push("b", () => Promise.reject(new Error("undo b failed")));
      undo.push("c", () => Promise.resolve(order.push("c")));
      await Promise.resolve();
      throw new CniError(7, "Original");
    }),
    (error: unknown) => error instanceof CniError && error.msg === "Original",
  );
  assert.deepEqual(order, ["c", "a"]);
});

Deno.test("undo: nothing runs on success", async () => {
  let ran = false;
  const value = await withUndo(silentLogger, (undo) => {
    undo.push("x", () => Promise.resolve(ran = true));
    return Promise.resolve(42);
  });
  assert.equal(value, 42);
  assert.equal(ran, false);
});

Deno.test("runAll: continues past failures and lists each one", async () => {
  const ran: string[] = [];
  await assert.rejects(
    runAll(
      [
        { label: "one", run: () => Promise.reject(new CniError(5, "Disk gone")) },
        { label: "two", run: () => Promise.resolve(ran.push("two")) },
        { label: "three", run: () => Promise.reject(new Error("odd")) },
      ],
      silentLogger,
      { code: 104, msg: "GC failed" },
    ),
    (error: unknown) =>
      error instanceof CniError && error.code === 104 &&
      /one: Disk gone \(code 5\)/.test(error.details) &&
      /three: .*odd.*\(code 100\)/.test(error.details),
  );
  assert.deepEqual(ran, ["two"]);
  await runAll([], silentLogger, { code: 104, msg: "x" });
});

Deno.test("undo: one budget for the whole rollback, set when it starts", async () => {
  const seen: number[] = [];
  await assert.rejects(
    withUndo(silentLogger, async (undo) => {
      assert.equal(undo.remainingMs(), Number.POSITIVE_INFINITY, "no deadline before");
      undo.push("second", () => Promise.resolve(seen.push(undo.remainingMs())));
      undo.push("first", async () => {
        seen.push(undo.remainingMs());
        await new Promise((resolve) => setTimeout(resolve, 30));
      });
      await Promise.resolve();
      throw new Error("failed");
    }, 1000),
  );
  assert.equal(seen.length, 2);
  assert.ok(seen[0]! <= 1000 && seen[0]! > 0, String(seen[0]));
  assert.ok(seen[1]! < seen[0]!, "the later step has less left: one deadline, not one each");
});
