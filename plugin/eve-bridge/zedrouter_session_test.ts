import assert from "node:assert/strict";
import {
  RpcConnectionClosedError,
  RpcConnectionRefusedError,
  RpcRemoteError,
  RpcSocketMissingError,
  RpcTimeoutError,
} from "../../rpc/mod.ts";
import { silentLogger } from "../cni/mod.ts";
import { zedrouterError, ZedrouterSession } from "./zedrouter_session.ts";

const SOCK = "/run/zedrouter/rpc.sock";

Deno.test("zedrouterError: unavailable is 11 naming the socket, a refusal is 103 with zedrouter's words", () => {
  for (
    const error of [
      new RpcSocketMissingError(SOCK),
      new RpcConnectionRefusedError(SOCK, "connection refused"),
      new RpcTimeoutError(SOCK, "RPCServer.ConnectPodAtL2", 10000),
    ]
  ) {
    const cni = zedrouterError(error, SOCK, "ConnectPodAtL2");
    assert.equal(cni.code, 11);
    assert.equal(cni.msg, `zedrouter is not reachable on "${SOCK}" (ConnectPodAtL2)`);
  }
  const remote = zedrouterError(
    new RpcRemoteError(SOCK, "RPCServer.ConnectPodAtL2", "failed to find adapter with MAC x"),
    SOCK,
    "ConnectPodAtL2",
  );
  assert.equal(remote.code, 103);
  assert.equal(remote.msg, "zedrouter refused ConnectPodAtL2: failed to find adapter with MAC x");
  const closed = zedrouterError(
    new RpcConnectionClosedError(SOCK, "hung up"),
    SOCK,
    "DisconnectPod",
  );
  assert.equal(closed.code, 103);
  assert.match(closed.details, /hung up/);
});

Deno.test("ZedrouterSession.open: no socket is code 11", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-bridge-zr-" });
  try {
    await assert.rejects(
      ZedrouterSession.open(`${dir}/rpc.sock`, silentLogger),
      (e: { code: number; msg: string }) =>
        e.code === 11 && e.msg === `zedrouter is not reachable on "${dir}/rpc.sock" (dial)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
