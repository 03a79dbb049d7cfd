/** The etcd client against a real etcd on loopback: range, compare-and-swap, errors. */
import assert from "node:assert/strict";
import { EtcdClient, EtcdUnreachableError, prefixEnd } from "../store/mod.ts";
import { etcdTest, freePort } from "./etcd_harness.ts";

Deno.test("prefixEnd: the first key after every key with the prefix", () => {
  assert.equal(prefixEnd("/a/"), "/a0");
});

etcdTest("etcd client: a create-if-absent transaction wins once; range by prefix", async (etcd) => {
  const c = etcd.client();
  const create = (key: string, value: string) =>
    c.txn([{ key, createRevision: 0 }], [{ put: key, value }], [{ get: key }]);
  const first = await create("/t/x", "one");
  assert.equal(first.succeeded, true);
  const second = await create("/t/x", "two");
  assert.equal(second.succeeded, false);
  assert.equal(second.ranges[0]?.[0]?.value, "one", "the failure branch read the winner");
  await create("/t/y ü", "drei");
  await create("/u", "outside");
  const listed = await c.range("/t/", { prefix: true });
  assert.deepEqual(listed.map((kv) => [kv.key, kv.value]), [["/t/x", "one"], ["/t/y ü", "drei"]]);
  // Compare on the value: a delete only if it is still ours.
  const stale = await c.txn([{ key: "/t/x", value: "two" }], [{ delete: "/t/x" }]);
  assert.equal(stale.succeeded, false);
  assert.equal((await c.range("/t/x")).length, 1);
  const ours = await c.txn([{ key: "/t/x", value: "one" }], [{ delete: "/t/x" }]);
  assert.equal(ours.succeeded, true);
  assert.deepEqual(await c.range("/t/x"), []);
});

etcdTest("etcd client: a stopped etcd is a clear error naming the endpoint", async (etcd) => {
  const nobody = `http://127.0.0.1:${freePort()}`;
  const down = new EtcdClient({ endpoints: [nobody], timeoutMs: 2000 });
  const error = await down.range("/x").catch((e) => e);
  assert.ok(error instanceof EtcdUnreachableError);
  assert.equal(
    error.message,
    `Cannot reach etcd at ${nobody} (connection refused); start it or pass the right endpoint`,
  );
  // With a second endpoint that answers, the first one's failure is skipped.
  const both = new EtcdClient({ endpoints: [nobody, etcd.endpoint] });
  assert.deepEqual(await both.range("/nothing"), []);
  assert.throws(() => new EtcdClient({ endpoints: ["127.0.0.1:2379"] }), /etcd client URL/);
});
