/**
 * The eve-cni library surface, for other TypeScript tools that talk to zedrouter or speak CNI:
 * the zedrouter RPC contract (friendly types, the method table), the Go codec, the client and
 * server, the shared value schemas, and the CNI result types. Named re-exports only, so this
 * file is the list of what we promise to keep stable.
 */
export {
  CidrSchema,
  IfNameSchema,
  IpSchema,
  MacSchema,
  NetnsNameSchema,
  NetnsPathSchema,
  UuidSchema,
  ZERO_UUID,
} from "./core/mod.ts";
export type { Cidr, IfName, Ip, Mac, NetnsName, NetnsPath, Uuid } from "./core/mod.ts";

// The contract: EVE's four methods and our read-only Inspect service.
export {
  ALL_METHODS,
  DEFAULT_SOCKET_PATH,
  EVE_METHODS,
  EVE_SERVICE,
  INSPECT_METHODS,
  INSPECT_SERVICE,
} from "./rpc/mod.ts";
export type {
  AppInfo,
  AttachmentInfo,
  CheckPodConnectionArgs,
  CheckPodConnectionResult,
  ConnectPodAtL2Args,
  ConnectPodAtL2Result,
  ConnectPodAtL3Args,
  ConnectPodAtL3Result,
  DisconnectPodArgs,
  DisconnectPodResult,
  Dns,
  Health,
  IpConfig,
  MethodName,
  MethodSpec,
  NetInterface,
  NetworkInstanceInfo,
  ParamsOf,
  Pod,
  PodInterface,
  ResultOf,
  Route,
} from "./rpc/mod.ts";

// The Go wire encoding (net/rpc/jsonrpc, encoding/json of EVE's types).
export { decodeGo, encodeGo, GoDecodeError } from "./rpc/mod.ts";

// Client and server, both dialects, over an AF-UNIX socket.
export {
  callOnce,
  DEFAULT_CALL_TIMEOUT_MS,
  RpcClient,
  RpcConnectionClosedError,
  RpcConnectionRefusedError,
  RpcError,
  RpcMalformedReplyError,
  RpcRemoteError,
  RpcSocketMissingError,
  RpcTimeoutError,
  serveRpc,
} from "./rpc/mod.ts";
export type {
  CallContext,
  CallOptions,
  ConnectOptions,
  Dialect,
  HandlerMap,
  RpcServer,
  ServeRpcOptions,
} from "./rpc/mod.ts";

// CNI results as eve-bridge models them (the 1.1 shape), and their wire conversion.
export { fromWireResult, SUPPORTED_VERSIONS, toWireResult } from "./plugin/cni/mod.ts";
export type {
  CniDns,
  CniInterface,
  CniIpConfig,
  CniResult,
  CniRoute,
  CniVersion,
} from "./plugin/cni/mod.ts";
