/**
 * The shape of a fake-zedrouter config file (YAML or JSON) as a person writes it. Field
 * rules that need only one value live here; rules across values (unique names, addresses
 * inside subnets, collisions) are in `config.ts`, which turns this into the resolved model.
 */
import * as v from "valibot";
import { IfNameSchema, IpSchema, MacSchema, UuidSchema } from "../../core/mod.ts";

/** A name people refer to from other entries: short, no spaces. */
const RefNameSchema = v.pipe(
  v.string(),
  v.regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    'Expected a name of letters, digits, "_", "." or "-" (at most 63), such as "ni-local"',
  ),
);

const MtuSchema = v.pipe(
  v.number(),
  v.integer("The MTU must be a whole number"),
  v.minValue(576, "The MTU must be at least 576"),
  v.maxValue(9000, "The MTU must be at most 9000"),
);

const Ipv4Schema = v.pipe(
  IpSchema,
  v.regex(/^\d+\.\d+\.\d+\.\d+$/, 'Expected an IPv4 address such as "10.11.12.1"'),
);

export const LocalNiConfigSchema = v.strictObject({
  name: RefNameSchema,
  uuid: v.optional(UuidSchema),
  type: v.literal("local"),
  bridge: IfNameSchema,
  /** IPv4 subnet such as `10.11.12.0/24`. */
  subnet: v.string(),
  /** Put on the bridge; defaults to the first host address of the subnet. */
  gateway: v.optional(Ipv4Schema),
  /** Dynamic pool for clients without a reservation; absent = reservations only. */
  dhcpRange: v.optional(v.string()),
  /** DNS servers offered by DHCP; defaults to the gateway. */
  dns: v.optional(v.array(Ipv4Schema)),
  /** Offer a default route (router option + classless route): the NI has an uplink. */
  defaultRoute: v.optional(v.boolean(), false),
  mtu: v.optional(MtuSchema),
});
export type LocalNiConfig = v.InferOutput<typeof LocalNiConfigSchema>;

export const SwitchNiConfigSchema = v.strictObject({
  name: RefNameSchema,
  uuid: v.optional(UuidSchema),
  type: v.literal("switch"),
  bridge: IfNameSchema,
  /** Host interface enslaved to the bridge; absent = air-gapped (no DHCP for pods). */
  port: v.optional(IfNameSchema),
  mtu: v.optional(MtuSchema),
});
export type SwitchNiConfig = v.InferOutput<typeof SwitchNiConfigSchema>;

export const NiConfigSchema = v.variant(
  "type",
  [LocalNiConfigSchema, SwitchNiConfigSchema],
  'Expected "type" to be "local" or "switch"',
);
export type NiConfig = v.InferOutput<typeof NiConfigSchema>;

export const AdapterConfigSchema = v.strictObject({
  /** Name of the network instance this adapter connects to. */
  networkInstance: RefNameSchema,
  /** Absent: derived from (app UUID, NI UUID, adapter index). */
  mac: v.optional(MacSchema),
  /** Static address on a local NI; absent: chosen from the subnet, stable per adapter. */
  ip: v.optional(Ipv4Schema),
});
export type AdapterConfig = v.InferOutput<typeof AdapterConfigSchema>;

export const AppConfigSchema = v.strictObject({
  /** Display name; the kubeName (and so the pod names) derive from it. */
  name: v.pipe(v.string(), v.minLength(1, "An app name must not be empty")),
  uuid: UuidSchema,
  adapters: v.nullish(v.array(AdapterConfigSchema), []),
});
export type AppConfig = v.InferOutput<typeof AppConfigSchema>;

/** Lists may be absent or null (`apps:` with nothing under it): both mean empty. */
export const ConfigFileSchema = v.strictObject({
  networkInstances: v.nullish(v.array(NiConfigSchema), []),
  apps: v.nullish(v.array(AppConfigSchema), []),
});
export type ConfigFile = v.InferOutput<typeof ConfigFileSchema>;
