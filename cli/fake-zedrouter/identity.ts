/**
 * Deterministic identities derived from the config: a network instance's UUID from its
 * name (when the config gives none) and an app adapter's MAC from (app UUID, NI UUID,
 * adapter index). Deterministic so that a restart or a re-read config gives every pod the
 * same MAC, and so the DHCP reservation keeps matching.
 */
import { createHash } from "node:crypto";

/** Our own namespace for name-based UUIDs (RFC 9562 UUIDv5 over SHA-1). */
const FAKE_ZEDROUTER_NAMESPACE = "5a0d3c1e-7b2f-4e8a-9c61-0f1e2d3c4b5a";

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replaceAll("-", "");
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

function formatUuid(bytes: Uint8Array): string {
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20, 32)
  }`;
}

/** UUIDv5 of `name` in fake-zedrouter's namespace: stable across runs and machines. */
export function uuidFromName(name: string): string {
  return uuidV5(FAKE_ZEDROUTER_NAMESPACE, name);
}

/** RFC 9562 UUIDv5: SHA-1 of namespace bytes + name, with version and variant bits set. */
export function uuidV5(namespace: string, name: string): string {
  const digest = createHash("sha1")
    .update(uuidBytes(namespace))
    .update(new TextEncoder().encode(name))
    .digest();
  const bytes = Uint8Array.from(digest.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  return formatUuid(bytes);
}

/** Prefix of switch-NI app MACs, as EVE uses (Xen's OUI with the local bit set). */
export const SWITCH_MAC_PREFIX = [0x02, 0x16, 0x3e] as const;

/**
 * The MAC of apply's DHCP probe port (apply_dhcp_probe.ts), reserved in every local NI's
 * dnsmasq for the NI's probeIp. Locally administered unicast, and refused as an app
 * adapter's MAC (config.ts), so the reservation can never hand an app's address away.
 */
export const APPLY_PROBE_MAC = "02:fa:2e:00:00:01";

export interface MacSeed {
  readonly appUuid: string;
  readonly niUuid: string;
  readonly adapterIndex: number;
  readonly switchNi: boolean;
  /** Bumped to step past a collision with another adapter's MAC. */
  readonly attempt?: number;
}

/**
 * A locally administered unicast MAC, deterministic per seed. Switch NIs get `02:16:3e:..`
 * (as EVE); local NIs use the whole hash with the first octet forced to locally
 * administered unicast, so the two kinds rarely look alike.
 */
export function deriveMac(seed: MacSeed): string {
  const digest = createHash("sha256")
    .update(`${seed.appUuid}|${seed.niUuid}|${seed.adapterIndex}|${seed.attempt ?? 0}`)
    .digest();
  const bytes = seed.switchNi
    ? [...SWITCH_MAC_PREFIX, digest[0]!, digest[1]!, digest[2]!]
    : [(digest[0]! & 0xfc) | 0x02, digest[1]!, digest[2]!, digest[3]!, digest[4]!, digest[5]!];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** A number in [0, n) from a string, stable across runs (for choosing addresses). */
export function stableIndex(key: string, n: number): number {
  const digest = createHash("sha256").update(key).digest();
  return digest.readUInt32BE(0) % n;
}
