/**
 * The directory name of a container's files under eve-bridge's state dir. A container id is
 * used as is while it is short (containerd and CRI-O make 64 hex digits: readable, and the
 * name eve-cni-debug and operators look for); a longer one (the CNI spec sets no limit, and a
 * 10 kB id is valid) would exceed NAME_MAX (255) and fail every ADD and DEL with
 * ENAMETOOLONG, so it becomes its first characters, "~", and its SHA-256. "~" is outside the
 * spec's container-id alphabet, so a hashed name never equals a real id, and it is short, so
 * mapping it again gives itself (the DHCP hook gets the directory name back from a path).
 */
import { sha256Hex } from "./sha256.ts";

/** Ids up to this many characters name their directory themselves. */
export const MAX_READABLE_CONTAINER_ID = 128;
const PREFIX_CHARS = 32;

export function containerDirName(containerId: string): string {
  if (containerId.length <= MAX_READABLE_CONTAINER_ID) return containerId;
  const digest = sha256Hex(containerId);
  return `${containerId.slice(0, PREFIX_CHARS)}~${digest}`;
}
