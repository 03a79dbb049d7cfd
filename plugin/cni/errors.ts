/**
 * CNI errors: the one error family that reaches a runtime. Every failure leaves the plugin as
 * `{"cniVersion","code","msg","details"}` on stdout; the codes below 100 are the spec's, the
 * ones from 100 up are eve-bridge's own (listed in `EveErrorCode`).
 */
import { describeOsError, errorMessage, osErrorCode } from "../../core/mod.ts";

/** Error codes defined by the CNI spec (SPEC.md "Error"). */
export const CniErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  ContainerUnknown: 3,
  InvalidEnv: 4,
  IoFailure: 5,
  DecodeFailure: 6,
  InvalidConfig: 7,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  PluginNotAvailableLimitedConnectivity: 51,
} as const;

/**
 * eve-bridge's own codes (the spec reserves 100 and up for plugins).
 * - 100: any failure that is not classified (a bug, an unexpected exception); the message
 *   carries the exception text, never a stack trace.
 * - 101: a delegated plugin (bridge, host-local) could not be run or printed nonsense.
 * - 102: retired (was "not implemented yet" before the zedrouter path landed); not reused.
 * - 103: zedrouter answered an RPC with an error.
 * - 104: GC released some attachments but failed on others (details list each failure).
 * - 105: ADD found CNI_IFNAME already present in the container's namespace.
 * - 106: no DHCP lease for a pod interface (server silent, udhcpc died, timeout).
 * - 107: CHECK found the attachment differs from what ADD set up.
 */
export const EveErrorCode = {
  Internal: 100,
  DelegateFailed: 101,
  ZedrouterFailed: 103,
  GcPartialFailure: 104,
  InterfaceExists: 105,
  DhcpFailed: 106,
  CheckFailed: 107,
} as const;

/** A failure with a CNI code; `msg` names the field and the fix, `details` adds context. */
export class CniError extends Error {
  readonly code: number;
  readonly msg: string;
  readonly details: string;

  constructor(code: number, msg: string, details = "") {
    super(details ? `${msg}: ${details}` : msg);
    this.name = "CniError";
    this.code = code;
    this.msg = msg;
    this.details = details;
  }
}

/** The error object printed on stdout (the same shape at every spec version). */
export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details: string;
}

/**
 * Turns anything thrown into a CniError: CniErrors pass through, OS errors become code 5 with
 * their cause, other exceptions become code 100 with their message (stack traces stay out of stdout; the caller logs them).
 */
export function toCniError(error: unknown): CniError {
  if (error instanceof CniError) return error;
  const errno = osErrorCode(error);
  if (errno !== undefined) {
    // An OS error is a fact about the node (a full or read-only file system, a path too
    // long), not a bug: code 5 (I/O failure) with the errno, the call, the path and the fix.
    return new CniError(
      CniErrorCode.IoFailure,
      `An operating-system call failed with ${errno}`,
      describeOsError(error),
    );
  }
  const text = errorMessage(error);
  return new CniError(EveErrorCode.Internal, "eve-bridge failed unexpectedly", text);
}

export function errorJson(error: CniError, cniVersion: string): CniErrorJson {
  return { cniVersion, code: error.code, msg: error.msg, details: error.details };
}
