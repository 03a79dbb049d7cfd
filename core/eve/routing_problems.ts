/**
 * Does the kernel still hold what a routing-policy record says was applied? One pure check
 * that eve-bridge's CHECK and eve-cni-debug's `show` both run, on facts each of them read
 * (netns/'s RoutingView and neighbour lists fit these shapes). One sentence per problem,
 * naming the object and what is wrong; an empty list means the policy holds.
 */
import { hostPrefix, type RoutingRecord } from "./routing_record.ts";

export interface RoutingFacts {
  pod: {
    links: readonly { name: string; mac: string | null }[];
    addresses: readonly { ifname: string; cidr: string }[];
    /** Every table; `table` null is main. */
    routes: readonly {
      dst: string;
      gateway: string | null;
      dev: string | null;
      table: string | null;
    }[];
    rules: readonly { src: string; table: string | null; priority: number | null }[];
    neighbours: readonly { ip: string; dev: string | null; mac: string | null; state: string[] }[];
    /** `net.ipv4.conf.all.rp_filter` and the interface's own; null when not read. */
    rpFilter: { all: number; own: number } | null;
  };
  /** The node's neighbour entries; null when they were not read. */
  hostNeighbours:
    | readonly { ip: string; dev: string | null; mac: string | null; state: string[] }[]
    | null;
}

/** Routes of an interface that stay in main whatever the policy: IPv6 link-local. */
export function staysInMain(dst: string): boolean {
  return dst === "fe80::/64";
}

function neighbourProblems(
  where: string,
  wanted: RoutingRecord["applied"]["podNeighbours"],
  present: RoutingFacts["hostNeighbours"],
): string[] {
  if (present === null) return [];
  const problems: string[] = [];
  for (const entry of wanted) {
    const found = present.find((n) => n.ip === entry.ip && n.dev === entry.dev);
    const what = `${where} neighbour ${entry.ip} on "${entry.dev}"`;
    if (!found) problems.push(`${what} is missing`);
    else if (found.mac !== entry.mac) {
      problems.push(`${what} is at ${found.mac ?? "no MAC"}, expected ${entry.mac}`);
    } else if (!found.state.includes("PERMANENT")) {
      problems.push(`${what} is ${found.state.join(",") || "not permanent"}, expected PERMANENT`);
    }
  }
  return problems;
}

function tableProblems(record: RoutingRecord, facts: RoutingFacts): string[] {
  const { ifname, intent, applied } = record;
  if (intent.table === null) return [];
  const table = String(intent.table);
  const problems: string[] = [];
  for (const rule of applied.rules) {
    const found = facts.pod.rules.some((r) =>
      (r.src.includes("/") ? r.src : hostPrefix(r.src)) === rule.src && r.table === table &&
      r.priority === rule.priority
    );
    if (!found) {
      problems.push(`Rule "from ${rule.src} lookup ${table} pref ${rule.priority}" is missing`);
    }
  }
  for (const route of applied.tableRoutes) {
    const found = facts.pod.routes.some((r) =>
      r.table === table && r.dev === ifname && r.dst === route.dst &&
      r.gateway === route.gateway
    );
    if (!found) {
      const via = route.gateway ? ` via ${route.gateway}` : "";
      problems.push(`Route ${route.dst}${via} dev "${ifname}" is missing from table ${table}`);
    }
  }
  const hijacked = new Set(applied.hijackRoutes.map((r) => r.dst));
  for (const r of facts.pod.routes) {
    if (r.table === null && r.dev === ifname && !staysInMain(r.dst) && !hijacked.has(r.dst)) {
      problems.push(`Main table still routes ${r.dst} via "${ifname}" (table ${table} should)`);
    }
  }
  return problems;
}

export function routingProblems(record: RoutingRecord, facts: RoutingFacts): string[] {
  const { ifname, intent, applied } = record;
  const link = facts.pod.links.find((l) => l.name === ifname);
  if (!link) return [`Interface "${ifname}" is missing`];
  const problems: string[] = [];
  if (applied.mac !== null && link.mac !== applied.mac) {
    problems.push(`Interface "${ifname}" has MAC ${link.mac ?? "none"}, expected ${applied.mac}`);
  }
  const have = facts.pod.addresses.filter((a) => a.ifname === ifname).map((a) => a.cidr);
  for (const address of applied.addresses) {
    if (!have.includes(address)) {
      problems.push(
        `The policy was applied for ${address}, "${ifname}" has ${have.join(", ") || "none"}`,
      );
    }
  }
  problems.push(...tableProblems(record, facts));
  for (const route of applied.hijackRoutes) {
    const table = route.table === "main" ? null : route.table;
    const found = facts.pod.routes.some((r) =>
      r.table === table && r.dst === route.dst && r.dev === route.dev &&
      r.gateway === route.gateway
    );
    if (!found) {
      problems.push(
        `Hijack route ${route.dst} via ${route.gateway} dev "${route.dev}" is missing from ` +
          `table ${route.table}`,
      );
    }
  }
  const rp = facts.pod.rpFilter;
  if (intent.rpFilter !== null && rp !== null && Math.max(rp.all, rp.own) !== intent.rpFilter) {
    problems.push(
      `rp_filter of "${ifname}" is ${Math.max(rp.all, rp.own)} (all ${rp.all}, own ${rp.own}), ` +
        `expected ${intent.rpFilter}`,
    );
  }
  problems.push(...neighbourProblems("Pod", applied.podNeighbours, facts.pod.neighbours));
  problems.push(...neighbourProblems("Host", applied.hostNeighbours, facts.hostNeighbours));
  return problems;
}
