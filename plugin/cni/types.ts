/**
 * The contract between the CNI skeleton (which owns the protocol: env, versions, config,
 * results, errors, logging) and a plugin's logic. The skeleton validates everything before a
 * handler runs, so handlers trust their context.
 */
import type * as v from "valibot";
import type { CniArgs } from "./cni_args.ts";
import type { Attachment, NetConf } from "./config.ts";
import type { CniCommand } from "./env.ts";
import type { CniLogger } from "./logging.ts";
import type { CniResult } from "./result.ts";
import type { CniVersion } from "./versions.ts";

export interface CniContext<TConfig extends NetConf = NetConf> {
  readonly command: CniCommand;
  /** CNI_CONTAINERID ("" for STATUS and GC). */
  readonly containerId: string;
  /** CNI_NETNS ("" when DEL got none, and for STATUS and GC). */
  readonly netns: string;
  /** Whether `netns` exists; DEL with a missing namespace must still succeed. */
  readonly netnsExists: boolean;
  /** CNI_IFNAME ("" for STATUS and GC). */
  readonly ifname: string;
  readonly args: CniArgs;
  /** CNI_PATH directories, in order. */
  readonly path: readonly string[];
  /** The config, validated by the plugin's schema (unknown keys kept). */
  readonly config: TConfig;
  /** The config exactly as it came on stdin, for delegation. */
  readonly rawConfig: Readonly<Record<string, unknown>>;
  /** `prevResult`, read in the request's version and normalised to the internal model. */
  readonly prevResult?: CniResult;
  /** The version the request speaks; the result is printed in it. */
  readonly cniVersion: CniVersion;
  /** The CNI_* environment as received (delegates get the same). */
  readonly env: Readonly<Record<string, string>>;
  readonly logger: CniLogger;
}

export interface GcContext<TConfig extends NetConf = NetConf> extends CniContext<TConfig> {
  /** Attachments to keep (`cni.dev/valid-attachments`, or the older `cni.dev/attachments`). */
  readonly validAttachments: readonly Attachment[];
}

/**
 * What a plugin implements. Throw `CniError` for a failure with a spec code; anything else
 * thrown becomes code 100. DEL must be idempotent; GC should continue past errors and throw
 * one CniError that lists each failure (see `runAll`).
 */
export interface CniPlugin<TConfig extends NetConf = NetConf> {
  /** Program name, used in messages and as the log category. */
  readonly name: string;
  /** The plugin's config schema (see NET_CONF_ENTRIES in config.ts). */
  readonly configSchema: v.GenericSchema<unknown, TConfig>;
  /** Log file when the config names none. */
  readonly defaultLogFile: string;
  add(ctx: CniContext<TConfig>): Promise<CniResult>;
  del(ctx: CniContext<TConfig>): Promise<void>;
  check(ctx: CniContext<TConfig>): Promise<void>;
  status(ctx: CniContext<TConfig>): Promise<void>;
  gc(ctx: GcContext<TConfig>): Promise<void>;
}

/** What the entry point hands in, and gets back. */
export interface CniInput {
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string;
}

export interface CniOutput {
  readonly stdout: string;
  readonly exitCode: number;
}
