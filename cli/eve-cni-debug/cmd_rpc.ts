/**
 * `rpc call METHOD`: one call to zedrouter with the request and reply printed as they went
 * over the wire. Params from friendly flags (--pod, --netns, --ifname, --mac), from
 * --params (friendly JSON: camelCase, MAC text, CIDRs) or verbatim from --wire.
 */
import * as v from "valibot";
import { describeIssues } from "../../core/mod.ts";
import { ALL_METHODS, encodeGo, type MethodSpec, methodSpec } from "../../rpc/mod.ts";
import type { CommandContext, Outcome } from "./context.ts";
import { ExitCode, UsageError } from "./exit_codes.ts";
import type { Executor, Root } from "./root_command.ts";
import { replyErrorText, withClient } from "./zedrouter_client.ts";

export const RpcCallModelSchema = v.strictObject({
  socket: v.string(),
  dialect: v.picklist(["go", "jsonrpc2"]),
  method: v.string(),
  request: v.string(),
  reply: v.string(),
  ok: v.boolean(),
  error: v.nullable(v.string()),
});
export type RpcCallModel = v.InferOutput<typeof RpcCallModelSchema>;

export interface RpcCallOptions {
  pod?: string;
  podNamespace?: string;
  netns?: string;
  ifname?: string;
  mac?: string;
  ni?: string;
  params?: string;
  wire?: string;
}

/** `CheckPodConnection` -> `RPCServer.CheckPodConnection`, `Health` -> `Inspect.Health`. */
export function resolveMethod(name: string): string {
  if (name.includes(".")) return name;
  const hit = Object.keys(ALL_METHODS).find((m) => m.endsWith(`.${name}`));
  if (!hit) {
    throw new UsageError(`Unknown method "${name}"; known: ${Object.keys(ALL_METHODS).join(", ")}`);
  }
  return hit;
}

function parseJson(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `Invalid ${flag}: not JSON (${error instanceof Error ? error.message : error})`,
    );
  }
}

/** The friendly params of an EVE method from the flags: Pod, PodInterface, NetworkInstance. */
export function paramsFromFlags(options: RpcCallOptions): Record<string, unknown> {
  if (options.pod === undefined || options.netns === undefined || options.ifname === undefined) {
    throw new UsageError(
      "Give --pod, --netns and --ifname (and --mac for ConnectPodAtL2), or --params JSON",
    );
  }
  const netNsPath = options.netns.includes("/") ? options.netns : `/var/run/netns/${options.netns}`;
  return {
    pod: {
      name: options.pod,
      netNsPath,
      ...(options.podNamespace !== undefined && { namespace: options.podNamespace }),
    },
    podInterface: { name: options.ifname, mac: options.mac ?? null, netNsPath },
    ...(options.ni !== undefined && { networkInstance: options.ni }),
  };
}

/** The `params` member to send, in the dialect's wire form (validated for known methods). */
export function wireParams(
  method: string,
  dialect: "go" | "jsonrpc2",
  options: RpcCallOptions,
): unknown {
  if (options.wire !== undefined) return parseJson("--wire", options.wire);
  const spec: MethodSpec | undefined = methodSpec(method);
  const friendly = options.params !== undefined
    ? parseJson("--params", options.params)
    : spec?.go
    ? paramsFromFlags(options)
    : {};
  if (!spec) return dialect === "go" ? [friendly] : friendly;
  const parsed = v.safeParse(spec.params.schema, friendly);
  if (!parsed.success) {
    throw new UsageError(`Invalid params for ${method}: ${describeIssues(parsed.issues)}`);
  }
  const encoded = spec.go && dialect === "go"
    ? encodeGo(spec.params, parsed.output)
    : parsed.output;
  return dialect === "go" ? [encoded] : encoded;
}

export async function rpcCall(
  ctx: CommandContext,
  name: string,
  options: RpcCallOptions,
): Promise<RpcCallModel> {
  const { globals: g, deps } = ctx;
  const method = resolveMethod(name);
  const params = wireParams(method, g.dialect, options);
  const x = await withClient(deps.connect, g.socket, g, (c) => c.callRaw(method, params));
  const error = replyErrorText(x.reply);
  return {
    socket: g.socket,
    dialect: g.dialect,
    method,
    request: x.request.trimEnd(),
    reply: x.replyText,
    ok: error === null,
    error,
  };
}

export function formatRpcCall(model: RpcCallModel): string {
  return [
    `# ${model.method} on ${model.socket} (${model.dialect} dialect)`,
    `-> ${model.request}`,
    `<- ${model.reply}`,
    model.ok ? "ok" : `error: ${model.error}`,
  ].join("\n");
}

export function registerRpc(root: Root, exec: Executor): void {
  const rpc = root.command("rpc").description("Talk to zedrouter directly");
  rpc.command("call")
    .description("Call one method and print the request and reply as they went over the wire")
    .argument("<method>", "e.g. RPCServer.CheckPodConnection, CheckPodConnection, Inspect.Health")
    .option("--pod <name>", "Pod.Name")
    .option("--pod-namespace <ns>", "Pod.Namespace (newer EVE clients send it)")
    .option("--netns <name|path>", "Pod.NetNsPath and PodInterface.NetNsPath")
    .option("--ifname <name>", "PodInterface.Name")
    .option("--mac <mac>", "PodInterface.MAC (ConnectPodAtL2); omitted = null")
    .option("--ni <uuid>", "NetworkInstance (newer EVE clients send it)")
    .option("--params <json>", "friendly params: camelCase keys, MAC and CIDR as text")
    .option("--wire <json>", "the params member verbatim (Go dialect: an array of one object)")
    .addHelpText(
      "after",
      `
The global --dialect picks the wire (go: EVE's net/rpc/jsonrpc; jsonrpc2: JSON-RPC 2.0).
Exit 0 when the server answered without error, 1 when it answered with an error.

Examples:
  eve-cni-debug rpc call Inspect.Health
  eve-cni-debug rpc call CheckPodConnection --pod nginx-1a2b3-x7k2p --netns cni-5e0c --ifname net1
  eve-cni-debug --dialect jsonrpc2 rpc call Inspect.Attachments --json
  eve-cni-debug rpc call RPCServer.ConnectPodAtL3 --params '{"pod":{...},"podInterface":{...},"ips":[...]}'`,
    )
    .action(async (method, opts, cmd) => {
      await exec.run(cmd.optsWithGlobals(), async (ctx): Promise<Outcome> => {
        const model = await rpcCall(ctx, method, opts);
        return {
          model,
          human: formatRpcCall(model),
          exitCode: model.ok ? ExitCode.Ok : ExitCode.ProblemsFound,
        };
      });
    });
}
