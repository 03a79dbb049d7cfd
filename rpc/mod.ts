export * from "./contract.ts";
export * from "./go_types.ts";
export * from "./go_codec.ts";
export * from "./inspect_contract.ts";
export * from "./control_contract.ts";
export * from "./errors.ts";
export type { CallContext, Dialect, Handler, HandlerMap, ParamsOf, ResultOf } from "./methods.ts";
export { methodSpec } from "./methods.ts";
export { type ByteStream, memoryStreamPair } from "./byte_stream.ts";
export { DEFAULT_MAX_FRAME_BYTES, JsonValueSplitter, type SplitEvent } from "./json_splitter.ts";
export {
  type Classified,
  type DispatcherOptions,
  type DispatchOutcome,
  type DispatchReply,
  DROP_CONNECTION,
  RpcDispatcher,
} from "./dispatcher.ts";
export {
  type CallInterceptor,
  type DropConnection,
  type InterceptedCall,
  type InterceptOutcome,
  type RunOutcome,
  SERVER_ERROR_CODE,
} from "./intercept.ts";
export { type ConnectionOptions, serveConnection } from "./connection.ts";
export { type RpcServer, serveRpc, type ServeRpcOptions } from "./server.ts";
export {
  callOnce,
  type CallOptions,
  type ConnectOptions,
  DEFAULT_CALL_TIMEOUT_MS,
  type RawExchange,
  RpcClient,
} from "./client.ts";
export { goRpcErrors } from "./wire_go.ts";
