/**
 * STATUS's question to zedrouter: does its socket answer? We dial it and send one request
 * for a method that does not exist; Go's net/rpc answers that at once ("rpc: can't find
 * method ...") without entering zedrouter's event loop, so any reply with our id proves a
 * live server without side effects. No reply within the timeout counts as down.
 */

export type ZedrouterProbe = (socketPath: string) => Promise<void>;

export const PROBE_TIMEOUT_MS = 2000;
const PROBE_REQUEST = '{"method":"RPCServer.StatusProbe","params":[{}],"id":0}\n';

export async function probeZedrouterSocket(
  socketPath: string,
  timeoutMs: number = PROBE_TIMEOUT_MS,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let conn: Deno.UnixConn | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([
      (async () => {
        conn = await Deno.connect({ transport: "unix", path: socketPath });
        await conn.write(new TextEncoder().encode(PROBE_REQUEST));
        const buffer = new Uint8Array(4096);
        let text = "";
        const decoder = new TextDecoder();
        while (!/"id"\s*:\s*0\b/.test(text)) {
          const n = await conn.read(buffer);
          if (n === null) throw new Error("the socket closed without an answer");
          text += decoder.decode(buffer.subarray(0, n), { stream: true });
        }
      })(),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // Already closed.
    }
  }
}
