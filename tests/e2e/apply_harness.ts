/** `fake-zedrouter apply --config NEW --json` against an e2e node, as the apply tests run it. */
import { execArgv, systemRunner } from "../../netns/mod.ts";
import type { ApplyRecord } from "../../rpc/mod.ts";
import type { E2eNode, ZedrouterConfig } from "../../scripts/sandbox/node.ts";
import { FAKE_ZEDROUTER } from "../../scripts/sandbox/paths.ts";

/** Writes `config` into the node's dir and applies it; the exit code and the record. */
export async function applyToNode(
  node: E2eNode,
  config: ZedrouterConfig,
  extraArgs: readonly string[] = [],
): Promise<{ code: number; record: ApplyRecord }> {
  const path = `${node.dir}/new-${crypto.randomUUID()}.json`;
  await Deno.writeTextFile(path, JSON.stringify(config));
  const argv = [FAKE_ZEDROUTER, "apply", "--config", path, "--socket", node.socket, "--json"];
  const r = await systemRunner(execArgv(node.ns.ns, [...argv, ...extraArgs]));
  const record: ApplyRecord = JSON.parse(r.stdout.trim().split("\n")[0]!);
  return { code: r.code, record };
}

/** One NI's result in an apply record. */
export function niResult(
  r: ApplyRecord,
  name: string,
): ApplyRecord["networkInstances"][number] | undefined {
  return r.networkInstances.find((ni) => ni.name === name);
}
