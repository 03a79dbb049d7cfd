/**
 * What one local NI's dnsmasq serves, as EVE configures it: a reservation per app adapter
 * (`dhcp-host=<MAC>,id:*,<IP>,<hostname>`) plus one for apply's DHCP probe (APPLY_PROBE_MAC
 * to the NI's probeIp, so a dnsmasq that serves reservations only answers the probe too), the router option plus a classless default
 * route only when the NI has an uplink (else an empty router option, so clients install no
 * default route), and the DNS servers. Pure: data in, dnsmasq config text out.
 */
import { type DhcpHost, type DnsmasqConfigOptions, renderDnsmasqConfig } from "../../netns/mod.ts";
import { APPLY_PROBE_MAC } from "./identity.ts";
import { intToIp, netmask } from "./ipv4.ts";
import type { Config, LocalNi } from "./model.ts";

export interface DnsmasqPaths {
  readonly confPath: string;
  readonly leaseFile: string;
  readonly pidFile: string;
  readonly logFile: string;
}

const DNSMASQ_FILE_PREFIX = "dnsmasq-";

/** Files of one NI's dnsmasq inside the state dir. */
export function dnsmasqPaths(stateDir: string, ni: Pick<LocalNi, "name">): DnsmasqPaths {
  const base = `${stateDir}/${DNSMASQ_FILE_PREFIX}${ni.name}`;
  return {
    confPath: `${base}.conf`,
    leaseFile: `${base}.leases`,
    pidFile: `${base}.pid`,
    logFile: `${base}.log`,
  };
}

/** The NI whose dnsmasq pid file `fileName` (a state dir entry) is, if it is one. */
export function niOfDnsmasqPidFile(fileName: string): string | undefined {
  if (!fileName.startsWith(DNSMASQ_FILE_PREFIX) || !fileName.endsWith(".pid")) return undefined;
  const name = fileName.slice(DNSMASQ_FILE_PREFIX.length, -".pid".length);
  return name === "" ? undefined : name;
}

/** The reservations of every app adapter on `ni`. */
export function reservations(config: Config, ni: LocalNi): DhcpHost[] {
  return config.apps.flatMap((app) =>
    app.adapters.filter((a) => a.niUuid === ni.uuid && a.ip !== null).map((a) => ({
      mac: a.mac,
      ip: a.ip!,
      // One name per adapter: two adapters of an app on one NI must not share a hostname.
      hostname: a.index === 0 ? app.kubeName : `${app.kubeName}-${a.index}`,
      anyClientId: true,
    }))
  );
}

/** The apply probe's reservation (apply_dhcp_probe.ts); config.ts keeps apps off it. */
export function probeReservation(ni: LocalNi): DhcpHost {
  return {
    mac: APPLY_PROBE_MAC,
    ip: ni.probeIp,
    hostname: APPLY_PROBE_HOSTNAME,
    anyClientId: true,
  };
}

/** A hostname no app gets: a kubeName ends in "-" and five hex digits, and "probe" is not hex. */
export const APPLY_PROBE_HOSTNAME = "fake-zedrouter-apply-probe";

export function dnsmasqOptions(
  config: Config,
  ni: LocalNi,
  paths: DnsmasqPaths,
): DnsmasqConfigOptions {
  const mask = netmask(ni.subnet);
  const range = ni.dhcpRange
    ? { start: intToIp(ni.dhcpRange.start), end: intToIp(ni.dhcpRange.end), netmask: mask }
    // No dynamic pool: serve the reservations only.
    : { start: intToIp(ni.subnet.network), end: "static", netmask: mask };
  const routerOptions = ni.defaultRoute
    ? [
      { option: "option:router", values: [ni.gateway] },
      { option: "option:classless-static-route", values: ["0.0.0.0/0", ni.gateway] },
    ]
    : [{ option: "option:router", values: [] }];
  return {
    interface: ni.bridge,
    dhcpRanges: [{ ...range, leaseTime: "1h" }],
    dhcpHosts: [...reservations(config, ni), probeReservation(ni)],
    dhcpOptions: [
      ...routerOptions,
      ...(ni.dns.length > 0 ? [{ option: "option:dns-server", values: [...ni.dns] }] : []),
    ],
    leaseFile: paths.leaseFile,
    pidFile: paths.pidFile,
    logDhcp: true,
    logFacility: paths.logFile,
  };
}

export function renderNiDnsmasqConfig(config: Config, ni: LocalNi, paths: DnsmasqPaths): string {
  return renderDnsmasqConfig(dnsmasqOptions(config, ni, paths));
}
