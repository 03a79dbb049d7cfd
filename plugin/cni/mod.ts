/** The CNI spec layer: skeleton, context, results, errors, delegation, logging. */
export { run } from "./skeleton.ts";
export type { CniContext, CniInput, CniOutput, CniPlugin, GcContext } from "./types.ts";
export { CniError, CniErrorCode, type CniErrorJson, EveErrorCode, toCniError } from "./errors.ts";
export { type CniArgs, KNOWN_CNI_ARGS, parseCniArgs } from "./cni_args.ts";
export { type CniCommand, type CniEnv, COMMANDS, parseEnv } from "./env.ts";
export {
  type Attachment,
  AttachmentSchema,
  NET_CONF_ENTRIES,
  type NetConf,
  NetConfSchema,
} from "./config.ts";
export {
  type CniDns,
  type CniInterface,
  type CniIpConfig,
  type CniResult,
  type CniRoute,
  emptyResult,
  fromWireResult,
  toWireResult,
} from "./result.ts";
export {
  atLeast,
  type CniVersion,
  compareVersions,
  isSupportedVersion,
  LATEST_VERSION,
  SUPPORTED_VERSIONS,
} from "./versions.ts";
export {
  delegate,
  DELEGATE_MAX_VERSION,
  type DelegateOptions,
  type DelegateOutcome,
  delegateSupports,
  findPlugin,
} from "./delegate.ts";
export { UndoStack, withUndo } from "./undo.ts";
export { runAll, type Step } from "./run_all.ts";
export { type CniLogger, openLog, silentLogger } from "./logging.ts";
