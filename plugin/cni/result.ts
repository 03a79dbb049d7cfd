/**
 * CNI results. Internally there is ONE model, the 1.1 shape (`CniResult`); a result is
 * converted from the wire at the version it arrived in (prevResult, a delegate's output) and
 * printed in the request's version:
 * - 0.3.0/0.3.1/0.4.0: every `ips[]` has `"version":"4"|"6"`; interfaces carry no mtu.
 * - 1.0.0: no `ips[].version`; interface mtu allowed.
 * - 1.1.0: adds the route extras (mtu, advmss, priority, table, scope) and interface
 *   socketPath/pciID.
 * Parsing is strict on the fields we read and keeps going past fields we do not know
 * (results grow fields between versions and runtimes).
 */
import * as v from "valibot";
import { CidrSchema, describeIssues, IpSchema } from "../../core/mod.ts";
import { atLeast, type CniVersion } from "./versions.ts";

const Uint = v.pipe(v.number(), v.integer(), v.minValue(0));

export const CniInterfaceSchema = v.object({
  name: v.string(),
  mac: v.optional(v.string()),
  mtu: v.optional(Uint),
  sandbox: v.optional(v.string()),
  socketPath: v.optional(v.string()),
  pciID: v.optional(v.string()),
});
export type CniInterface = v.InferOutput<typeof CniInterfaceSchema>;

export const CniIpConfigSchema = v.object({
  address: CidrSchema,
  gateway: v.optional(IpSchema),
  /** Index into `interfaces` (Multus needs it to build the network-status annotation). */
  interface: v.optional(Uint),
});
export type CniIpConfig = v.InferOutput<typeof CniIpConfigSchema>;

export const CniRouteSchema = v.object({
  dst: CidrSchema,
  gw: v.optional(IpSchema),
  mtu: v.optional(Uint),
  advmss: v.optional(Uint),
  priority: v.optional(Uint),
  table: v.optional(Uint),
  scope: v.optional(Uint),
});
export type CniRoute = v.InferOutput<typeof CniRouteSchema>;

export const CniDnsSchema = v.object({
  nameservers: v.optional(v.array(v.string())),
  domain: v.optional(v.string()),
  search: v.optional(v.array(v.string())),
  options: v.optional(v.array(v.string())),
});
export type CniDns = v.InferOutput<typeof CniDnsSchema>;

/** The internal (1.1-shaped) result every part of the plugin works with. */
export interface CniResult {
  interfaces: CniInterface[];
  ips: CniIpConfig[];
  routes: CniRoute[];
  dns: CniDns;
}

export function emptyResult(): CniResult {
  return { interfaces: [], ips: [], routes: [], dns: {} };
}

// Wire schemas: loose (unknown keys pass), the fields each version defines are typed.
const WireInterface = v.looseObject(CniInterfaceSchema.entries);
const WireIp = v.looseObject({
  version: v.optional(v.picklist(["4", "6"], 'Expected "4" or "6"')),
  ...CniIpConfigSchema.entries,
});
const WireRoute = v.looseObject(CniRouteSchema.entries);
const WireResult = v.looseObject({
  cniVersion: v.optional(v.string()),
  interfaces: v.optional(v.nullable(v.array(WireInterface))),
  ips: v.optional(v.nullable(v.array(WireIp))),
  routes: v.optional(v.nullable(v.array(WireRoute))),
  dns: v.optional(v.nullable(v.looseObject({
    nameservers: v.optional(v.nullable(v.array(v.string()))),
    domain: v.optional(v.string()),
    search: v.optional(v.nullable(v.array(v.string()))),
    options: v.optional(v.nullable(v.array(v.string()))),
  }))),
});

export type ParsedResult = { ok: true; result: CniResult } | { ok: false; problem: string };

function familyOf(cidr: string): "4" | "6" {
  return cidr.includes(":") ? "6" : "4";
}

/** Reads a result printed at `version` into the internal model. */
export function fromWireResult(value: unknown, version: CniVersion): ParsedResult {
  const parsed = v.safeParse(WireResult, value);
  if (!parsed.success) return { ok: false, problem: describeIssues(parsed.issues) };
  const wire = parsed.output;
  const legacy = !atLeast(version, "1.0.0");
  const extras = atLeast(version, "1.1.0");
  const ips = wire.ips ?? [];
  for (const [index, ip] of ips.entries()) {
    if (legacy && ip.version !== undefined && ip.version !== familyOf(ip.address)) {
      return {
        ok: false,
        problem: `ips.${index}.version: "${ip.version}" does not match address "${ip.address}"`,
      };
    }
  }
  const dns = wire.dns ?? {};
  return {
    ok: true,
    result: {
      interfaces: (wire.interfaces ?? []).map((i) => interfaceAt(i, legacy, extras)),
      ips: ips.map((ip) => ({
        address: ip.address,
        ...(ip.gateway !== undefined && { gateway: ip.gateway }),
        ...(ip.interface !== undefined && { interface: ip.interface }),
      })),
      routes: (wire.routes ?? []).map((r) => routeAt(r, extras)),
      dns: {
        ...(dns.nameservers && { nameservers: [...dns.nameservers] }),
        ...(dns.domain !== undefined && { domain: dns.domain }),
        ...(dns.search && { search: [...dns.search] }),
        ...(dns.options && { options: [...dns.options] }),
      },
    },
  };
}

/**
 * An interface with the fields its version defines: no mtu before 1.0.0 (`legacy`), and
 * socketPath/pciID only from 1.1.0 (`extras`).
 */
function interfaceAt(i: CniInterface, legacy: boolean, extras: boolean): CniInterface {
  return {
    name: i.name,
    ...(i.mac !== undefined && { mac: i.mac }),
    ...(!legacy && i.mtu !== undefined && { mtu: i.mtu }),
    ...(i.sandbox !== undefined && { sandbox: i.sandbox }),
    ...(extras && i.socketPath !== undefined && { socketPath: i.socketPath }),
    ...(extras && i.pciID !== undefined && { pciID: i.pciID }),
  };
}

/** A route with the fields its version defines: the extras only from 1.1.0. */
function routeAt(r: CniRoute, extras: boolean): CniRoute {
  return {
    dst: r.dst,
    ...(r.gw !== undefined && { gw: r.gw }),
    ...(extras && routeExtras(r)),
  };
}

function routeExtras(r: Partial<CniRoute>): Partial<CniRoute> {
  return {
    ...(r.mtu !== undefined && { mtu: r.mtu }),
    ...(r.advmss !== undefined && { advmss: r.advmss }),
    ...(r.priority !== undefined && { priority: r.priority }),
    ...(r.table !== undefined && { table: r.table }),
    ...(r.scope !== undefined && { scope: r.scope }),
  };
}

/** The JSON object a result is printed as at `version` (empty lists left out, as Go does). */
export function toWireResult(result: CniResult, version: CniVersion): Record<string, unknown> {
  const legacy = !atLeast(version, "1.0.0");
  const extras = atLeast(version, "1.1.0");
  const out: Record<string, unknown> = { cniVersion: version };
  if (result.interfaces.length > 0) {
    out.interfaces = result.interfaces.map((i) => interfaceAt(i, legacy, extras));
  }
  if (result.ips.length > 0) {
    out.ips = result.ips.map((ip) => ({
      ...(legacy && { version: familyOf(ip.address) }),
      ...(ip.interface !== undefined && { interface: ip.interface }),
      address: ip.address,
      ...(ip.gateway !== undefined && { gateway: ip.gateway }),
    }));
  }
  if (result.routes.length > 0) {
    out.routes = result.routes.map((r) => routeAt(r, extras));
  }
  out.dns = { ...result.dns };
  return out;
}
