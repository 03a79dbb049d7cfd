/**
 * The standard part of a plugin's network configuration (stdin). A plugin builds its own
 * schema as `v.looseObject({ ...NET_CONF_ENTRIES, ...its fields })`: the fields we read are
 * typed, and every other key (bridge's `isGateway`, a runtime's `cni.dev/...`) is kept so it
 * can be handed on to a delegate unchanged.
 */
import * as v from "valibot";

export const NET_CONF_ENTRIES = {
  cniVersion: v.optional(v.string()),
  cniVersions: v.optional(v.array(v.string())),
  name: v.pipe(
    v.string("Expected the network name as a string"),
    v.minLength(1, "The network name must not be empty"),
  ),
  type: v.pipe(v.string(), v.minLength(1, "The plugin type must not be empty")),
  capabilities: v.optional(v.record(v.string(), v.boolean())),
  runtimeConfig: v.optional(v.looseObject({})),
  args: v.optional(v.looseObject({})),
  prevResult: v.optional(v.unknown()),
  ipam: v.optional(v.looseObject({ type: v.optional(v.string()) })),
  dns: v.optional(v.unknown()),
  /** eve-bridge's log file; read by the skeleton before the rest of the config is checked. */
  logFile: v.optional(v.pipe(v.string(), v.minLength(1))),
};

export const NetConfSchema = v.looseObject(NET_CONF_ENTRIES);
export type NetConf = v.InferOutput<typeof NetConfSchema>;

/** One `{containerID, ifname}` of GC's keep-list. */
export const AttachmentSchema = v.object({
  containerID: v.string(),
  ifname: v.string(),
});
export type Attachment = v.InferOutput<typeof AttachmentSchema>;

export const GC_ATTACHMENT_KEYS = ["cni.dev/valid-attachments", "cni.dev/attachments"] as const;
