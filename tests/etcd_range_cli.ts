/**
 * `deno run tests/etcd_range_cli.ts ENDPOINT PREFIX`: prints the keys and values under PREFIX
 * as JSON. The etcd harness runs it inside a network namespace (nsenter), where a test's own
 * process cannot reach an etcd that listens only there.
 */
import { EtcdClient } from "../store/mod.ts";

const [endpoint, prefix] = Deno.args;
if (!endpoint || prefix === undefined) throw new Error("Usage: etcd_range_cli.ts ENDPOINT PREFIX");
const kvs = await new EtcdClient({ endpoints: [endpoint], timeoutMs: 2000 }).range(prefix, {
  prefix: true,
});
// deno-lint-ignore no-console
console.log(JSON.stringify(kvs.map((kv) => ({ key: kv.key, value: kv.value }))));
