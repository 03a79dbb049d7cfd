/**
 * Value schemas shared by every layer: the one place for the rules of a MAC, an IP, a
 * CIDR, a UUID, a Linux interface name and a network-namespace path. These strings arrive
 * from untrusted input (CNI env and config, socket frames, CLI flags), so every boundary
 * validates them here and the rest of the code trusts the branded output.
 *
 * `core/` is a leaf below `rpc/` and `netns/` (which may import it and nothing else of
 * ours): both need the same rules, and a copy in each would drift.
 */
import * as v from "valibot";
import ipaddr from "ipaddr.js";

/** `02:16:3e:00:00:01`: lowercase, colon-separated; 6 bytes (Ethernet) up to 20 (InfiniBand). */
export const MacSchema = v.pipe(
  v.string(),
  v.toLowerCase(),
  v.regex(
    /^[0-9a-f]{2}(:[0-9a-f]{2}){5,19}$/,
    'Expected a MAC address such as "02:16:3e:00:00:01"',
  ),
);
export type Mac = v.InferOutput<typeof MacSchema>;

const MAC_SIX_BYTES = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/**
 * A pod interface's MAC (Ethernet, what a veth carries and zedrouter matches an adapter by):
 * exactly 6 bytes, unicast (the low bit of the first byte clear, so no multicast and no
 * broadcast) and not all-zero. Normalised to lowercase.
 */
export const UnicastMacSchema = v.pipe(
  v.string((issue) => `Expected a MAC address as a string, got ${issue.received}`),
  v.toLowerCase(),
  v.check(
    (s) => MAC_SIX_BYTES.test(s),
    (issue) => {
      const bytes = /^[0-9a-f]{2}(:[0-9a-f]{2})*$/.test(String(issue.input).toLowerCase())
        ? ` (got ${String(issue.input).split(":").length} bytes)`
        : "";
      return `Expected an Ethernet MAC of exactly 6 bytes such as "02:16:3e:00:00:01"${bytes}`;
    },
  ),
  v.check(
    (s) => (Number.parseInt(s.slice(0, 2), 16) & 1) === 0,
    (issue) =>
      `${JSON.stringify(issue.input)} is a ${
        issue.input === "ff:ff:ff:ff:ff:ff" ? "broadcast" : "multicast"
      } address (the low bit of its first byte is set); an interface needs a unicast MAC, ` +
      'e.g. a locally administered "02:..."',
  ),
  v.check(
    (s) => s !== "00:00:00:00:00:00",
    "00:00:00:00:00:00 is no interface's address; give the app adapter's MAC",
  ),
);

/**
 * ipaddr.parse and ipaddr.parseCIDR without their IPv6-first attempt: they run the IPv6
 * parser (its regexes, and for a CIDR a thrown Error) on every IPv4 text before the IPv4 one,
 * ~2.5 ms of an eth0 ADD's CPU (`--cpu-prof`). An address is IPv6 exactly when it has a colon
 * (the IPv4-mapped `::ffff:1.2.3.4` included), so the family is chosen first; what each accepts
 * is unchanged.
 */
export function parseIp(s: string): ipaddr.IPv4 | ipaddr.IPv6 {
  return s.includes(":") ? ipaddr.IPv6.parse(s) : ipaddr.IPv4.parse(s);
}

/** See parseIp: `[address, prefix length]` of `10.11.12.5/24` or `fd00::5/64`. */
export function parseCidr(s: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  return s.includes(":") ? ipaddr.IPv6.parseCIDR(s) : ipaddr.IPv4.parseCIDR(s);
}

/** An IPv4 or IPv6 address in text form, normalised (`10.0.0.1`, `fd00::1`). */
export const IpSchema = v.pipe(
  v.string(),
  v.check(isStrictIp, 'Expected an IP address such as "10.11.12.1"'),
  v.transform((s) => parseIp(s).toString()),
);
export type Ip = v.InferOutput<typeof IpSchema>;

const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * An IPv4 address as four decimal octets, no leading zeros: what ipaddr.js's
 * IPv4.isValidFourPartDecimal accepts, in one regex (that one first runs its parser through
 * every IPv4 form, ~1.5 ms of an eth0 ADD's CPU on its first calls).
 */
export function isDottedQuad(s: string): boolean {
  return DOTTED_QUAD.test(s);
}

/**
 * ipaddr.js also accepts the old short and octal IPv4 forms (`10.11.12` is read as
 * `10.11.0.12`); Go's net.ParseIP and iproute2 do not, so neither do we.
 */
export function isStrictIp(s: string): boolean {
  if (isDottedQuad(s)) return true;
  if (!s.includes(":") || !ipaddr.IPv6.isValid(s)) return false;
  // ipaddr.js reads the deprecated IPv4-compatible form `::1.2.3.4` as `::ffff:1.2.3.4`, a
  // different address; accept an embedded dotted quad only in the IPv4-mapped form.
  return !s.includes(".") || /^::ffff:[0-9.]+$/i.test(s);
}

/** `10.11.12.5/24`: an address with its prefix length (the host bits are kept). */
export const CidrSchema = v.pipe(
  v.string(),
  v.check((s) => {
    const [addr, bits, ...rest] = s.split("/");
    if (addr === undefined || bits === undefined || rest.length > 0) return false;
    if (!isStrictIp(addr) || !/^\d{1,3}$/.test(bits)) return false;
    try {
      parseCidr(s);
      return true;
    } catch {
      return false;
    }
  }, 'Expected an address with prefix length such as "10.11.12.5/24"'),
  v.transform((s) => {
    const [addr, bits] = parseCidr(s);
    return `${addr.toString()}/${bits}`;
  }),
);
export type Cidr = v.InferOutput<typeof CidrSchema>;

export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

/** Canonical lowercase UUID text. */
export const UuidSchema = v.pipe(
  v.string(),
  v.toLowerCase(),
  v.regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    'Expected a UUID such as "1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d"',
  ),
);
export type Uuid = v.InferOutput<typeof UuidSchema>;

/**
 * A Linux interface name as the kernel accepts it (dev_valid_name): 1 to 15 bytes, not
 * `.` or `..`, no `/`, `:` or white space. The CNI spec repeats the same rule for
 * CNI_IFNAME.
 */
export const IfNameSchema = v.pipe(
  v.string(),
  v.minLength(1, "An interface name must not be empty"),
  v.check(
    (s) => new TextEncoder().encode(s).length <= 15,
    "An interface name has at most 15 bytes",
  ),
  v.check((s) => s !== "." && s !== "..", 'An interface name must not be "." or ".."'),
  v.regex(/^[^/:\s]+$/, 'An interface name must not contain "/", ":" or white space'),
);
export type IfName = v.InferOutput<typeof IfNameSchema>;

/**
 * A network-namespace path: absolute, no `..` segments, no NUL or newline. Runtimes hand
 * us `/var/run/netns/<name>` or `/proc/<pid>/ns/net`.
 */
export const NetnsPathSchema = v.pipe(
  v.string(),
  v.startsWith("/", "A network namespace path must be absolute"),
  v.check(
    (s) => !s.split("/").includes(".."),
    'A network namespace path must not contain ".." segments',
  ),
  v.regex(/^[^\0\n]+$/, "A network namespace path must not contain NUL or newline"),
);
export type NetnsPath = v.InferOutput<typeof NetnsPathSchema>;

/** A named network namespace (`ip netns add NAME`): a file name under /var/run/netns. */
export const NetnsNameSchema = v.pipe(
  v.string(),
  v.regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    "A namespace name has letters, digits, '_', '.', '-' and at most 63 characters",
  ),
);
export type NetnsName = v.InferOutput<typeof NetnsNameSchema>;

/** Renders valibot issues as one line naming each field path: `Pod.Name: Expected ...`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues.map((issue) => {
    const path = v.getDotPath(issue);
    return path ? `${path}: ${issue.message}` : issue.message;
  }).join("; ");
}
