/**
 * STATUS's question to zedrouter: does its socket answer? We dial it with rpc's client and
 * send one request for a method that does not exist; Go's net/rpc answers that at once
 * ("rpc: can't find method ...") without entering zedrouter's event loop, so any reply proves
 * a live server without side effects. No reply within the timeout counts as down.
 */
import { RpcClient } from "../../rpc/mod.ts";

export type ZedrouterProbe = (socketPath: string) => Promise<void>;

export const PROBE_TIMEOUT_MS = 2000;
/** Not part of any contract: the point is the (error) reply, not a result. */
export const PROBE_METHOD = "RPCServer.StatusProbe";

export async function probeZedrouterSocket(
  socketPath: string,
  timeoutMs: number = PROBE_TIMEOUT_MS,
): Promise<void> {
  const client = await RpcClient.connect(socketPath, { timeoutMs });
  try {
    // A remote error is part of the reply (not thrown): any reply means zedrouter answers.
    await client.callRaw(PROBE_METHOD, [{}]);
  } finally {
    await client.close();
  }
}
