/**
 * The one codec between friendly values and Go `encoding/json` values, driven by the
 * `GoType` descriptions of the contract. Everything Go-specific about the wire lives here:
 * base64 MACs and masks, `""` for a nil IP, `null` for nil slices, PascalCase keys,
 * case-insensitive key matching (exact match preferred) and ignored unknown keys.
 */
import * as v from "valibot";
import ipaddr from "ipaddr.js";
import { describeIssues, errorMessage, parseCidr, parseIp, ZERO_UUID } from "../core/mod.ts";
import type { Friendly, GoType } from "./go_types.ts";

/** A value that Go could not have written or would not accept; names the field path. */
export class GoDecodeError extends Error {
  constructor(readonly path: string, detail: string) {
    super(path ? `${path}: ${detail}` : detail);
    this.name = "GoDecodeError";
  }
}

export function macToBase64(mac: string): string {
  const bytes = Uint8Array.from(mac.split(":").map((h) => parseInt(h, 16)));
  return btoa(String.fromCharCode(...bytes));
}

export function base64ToMac(text: string): string {
  const bytes = base64Bytes(text);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function base64Bytes(text: string): Uint8Array {
  // Go's encoding/json uses padded standard base64 and rejects anything else.
  if (!/^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
    throw new Error(`"${text}" is not padded standard base64`);
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** `10.11.12.5/24` to Go's `{"IP":"10.11.12.5","Mask":"////AA=="}`. */
export function cidrToGo(cidr: string): { IP: string; Mask: string } {
  const [addr, bits] = parseCidr(cidr);
  const width = addr.kind() === "ipv4" ? 32 : 128;
  const mask = (addr.kind() === "ipv4" ? ipaddr.IPv4 : ipaddr.IPv6)
    .subnetMaskFromPrefixLength(bits).toByteArray();
  if (mask.length * 8 !== width) throw new Error(`bad mask for ${cidr}`);
  return { IP: addr.toString(), Mask: btoa(String.fromCharCode(...mask)) };
}

/** Go's `{IP, Mask}` back to `ip/prefix`; a non-contiguous mask is refused. */
export function goToCidr(ip: string, maskBase64: string): string {
  let mask = base64Bytes(maskBase64);
  const addr = parseIp(ip);
  // Go keeps IPv4 addresses in 16 bytes; a 16-byte mask on one is `ffff..ff` + the IPv4
  // mask (net.CIDRMask(96+n, 128)), and Go itself reads its last 4 bytes.
  if (addr.kind() === "ipv4" && mask.length === 16 && mask.slice(0, 12).every((b) => b === 0xff)) {
    mask = mask.slice(12);
  }
  const v4 = addr.kind() === "ipv4" ||
    (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress() && mask.length === 4);
  const wanted = v4 ? 4 : 16;
  if (mask.length !== wanted) {
    throw new Error(
      `mask of ${mask.length} bytes does not fit the ${v4 ? "IPv4" : "IPv6"} address ${ip}`,
    );
  }
  const bits = [...mask].map((b) => b.toString(2).padStart(8, "0")).join("");
  if (!/^1*0*$/.test(bits)) throw new Error(`mask "${maskBase64}" is not contiguous`);
  const host = v4 && addr.kind() === "ipv6" ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
  return `${host.toString()}/${bits.indexOf("0") === -1 ? bits.length : bits.indexOf("0")}`;
}

/** Friendly value to the JSON value Go's encoder would have written. */
export function encodeGo<T extends GoType>(type: T, value: Friendly<T>): unknown {
  return encode(type, value);
}

function encode(type: GoType, value: unknown): unknown {
  switch (type.kind) {
    case "string":
    case "uuid":
    case "bool":
    case "uint":
      return value;
    case "mac":
      return value === null ? null : macToBase64(value as string);
    case "ip":
      return value === null ? "" : value;
    case "ipnet":
      return value === null ? null : cidrToGo(value as string);
    case "slice":
      return value === null ? null : (value as unknown[]).map((e) => encode(type.elem!, e));
    case "struct": {
      if (!type.fields) return value; // our own methods: plain JSON
      const out: Record<string, unknown> = {};
      const obj = value as Record<string, unknown>;
      for (const [name, f] of Object.entries(type.fields)) {
        if (f.optional && obj[name] === undefined) continue;
        out[f.goName] = encode(f.type, obj[name]);
      }
      return out;
    }
  }
}

/**
 * A JSON value from a Go peer to the friendly form, validated by the type's schema. Missing
 * keys take Go's zero values; unknown keys are ignored; keys match case-insensitively.
 * Throws `GoDecodeError` naming the Go field path.
 */
export function decodeGo<T extends GoType>(type: T, wire: unknown): Friendly<T> {
  const friendly = decode(type, wire, "");
  const parsed = v.safeParse(type.schema, friendly);
  if (!parsed.success) {
    throw new GoDecodeError("", describeIssues(parsed.issues));
  }
  return parsed.output as Friendly<T>;
}

function zero(type: GoType): unknown {
  switch (type.kind) {
    case "string":
      return "";
    case "uuid":
      return "00000000-0000-0000-0000-000000000000";
    case "bool":
      return false;
    case "uint":
      return 0;
    case "struct":
      return type.fields ? decode(type, {}, "") : {};
    default:
      return null;
  }
}

function typeName(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

function decode(type: GoType, wire: unknown, path: string): unknown {
  // Go leaves a field at its zero value when the JSON holds null.
  if (wire === null && type.kind !== "struct") return zero(type);
  const expect = (kind: string, ok: boolean) => {
    if (!ok) throw new GoDecodeError(path, `expected ${kind}, got ${typeName(wire)}`);
  };
  try {
    switch (type.kind) {
      case "string":
      case "uuid":
        expect("a string", typeof wire === "string");
        return wire;
      case "bool":
        expect("a boolean", typeof wire === "boolean");
        return wire;
      case "uint":
        expect("an unsigned integer", Number.isInteger(wire) && (wire as number) >= 0);
        return wire;
      case "mac":
        expect("a base64 string (Go net.HardwareAddr)", typeof wire === "string");
        return (wire as string) === "" ? null : base64ToMac(wire as string);
      case "ip":
        expect("an IP string", typeof wire === "string");
        return wire === "" ? null : wire;
      case "ipnet": {
        expect("an object {IP, Mask}", typeof wire === "object" && !Array.isArray(wire));
        const ip = lookup(wire as Record<string, unknown>, "IP");
        const mask = lookup(wire as Record<string, unknown>, "Mask");
        if (typeof ip !== "string" || typeof mask !== "string") {
          throw new GoDecodeError(path, "expected string IP and base64 Mask");
        }
        return goToCidr(ip, mask);
      }
      case "slice":
        expect("an array", Array.isArray(wire));
        return (wire as unknown[]).map((e, i) => decode(type.elem!, e, `${path}[${i}]`));
      case "struct": {
        if (wire === null) return zero(type);
        expect("an object", typeof wire === "object" && !Array.isArray(wire));
        if (!type.fields) return wire;
        const obj = wire as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [name, f] of Object.entries(type.fields)) {
          const raw = lookup(obj, f.goName);
          const sub = path ? `${path}.${f.goName}` : f.goName;
          if (raw === undefined) {
            if (!f.optional) out[name] = zero(f.type);
            continue;
          }
          const value = decode(f.type, raw, sub);
          // An optional key sent as Go's zero value ("", null, the nil UUID) is absent:
          // a Go client with the newer types sends it even when it has nothing to say.
          if (f.optional && (value === "" || value === null || value === ZERO_UUID)) continue;
          out[name] = value;
        }
        return out;
      }
    }
  } catch (e) {
    if (e instanceof GoDecodeError) throw e;
    throw new GoDecodeError(path, errorMessage(e));
  }
}

/** Go's key match: the exact key if present, else the first case-insensitive match. */
function lookup(obj: Record<string, unknown>, goName: string): unknown {
  if (Object.hasOwn(obj, goName)) return obj[goName];
  const lower = goName.toLowerCase();
  for (const key of Object.keys(obj)) {
    if (key.toLowerCase() === lower) return obj[key];
  }
  return undefined;
}
