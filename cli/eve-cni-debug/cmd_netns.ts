/** `netns NAME|PATH`: interfaces, addresses, routes, rules and neighbours of one namespace. */
import * as v from "valibot";
import {
  type Link,
  listAddrs,
  listLinks,
  listNeighbours,
  listRoutes,
  listRules,
  netnsExists,
} from "../../netns/mod.ts";
import type { CommandContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import {
  AddressSchema,
  LinkSchema,
  NeighbourSchema,
  RouteSchema,
  RuleSchema,
} from "./kernel_facts.ts";
import { netnsPathOf, parseNetnsArg } from "./netns_target.ts";
import type { Executor, Root } from "./root_command.ts";
import { orDash, table } from "./table.ts";

export const NetnsModelSchema = v.strictObject({
  /** The argument as given: a name under /var/run/netns, or a path. */
  target: v.string(),
  path: v.string(),
  /** false: nothing to inspect (exit 4); every list is then empty. */
  exists: v.boolean(),
  links: v.array(LinkSchema),
  addresses: v.array(AddressSchema),
  routes: v.array(RouteSchema),
  rules: v.array(RuleSchema),
  neighbours: v.array(NeighbourSchema),
});
export type NetnsModel = v.InferOutput<typeof NetnsModelSchema>;

/**
 * A well-formed name or path of a namespace that is not there: the inspection could not run
 * (4), which is neither a bad argument (2) nor a problem found in a namespace (1).
 */
export function netnsExitCode(model: NetnsModel): ExitCode {
  return model.exists ? ExitCode.Ok : ExitCode.Failure;
}

export async function inspectNetns(ctx: CommandContext, arg: string): Promise<NetnsModel> {
  const ns = parseNetnsArg(arg);
  const path = netnsPathOf(ns);
  const base = { target: arg, path };
  if (!(await netnsExists(path))) {
    return {
      ...base,
      exists: false,
      links: [],
      addresses: [],
      routes: [],
      rules: [],
      neighbours: [],
    };
  }
  const r = ctx.deps.runner;
  const [links, addresses, routes, rules, neighbours] = await Promise.all([
    listLinks(r, ns),
    listAddrs(r, ns),
    listRoutes(r, ns, { table: "all" }),
    listRules(r, ns),
    listNeighbours(r, ns),
  ]);
  return { ...base, exists: true, links, addresses, routes, rules, neighbours };
}

function linkState(link: Link): string {
  return `${link.adminUp ? "up" : "down"}/${link.operState.toLowerCase()}`;
}

export function formatNetns(model: NetnsModel): string {
  if (!model.exists) {
    return `netns ${model.target} (${model.path}): does not exist; see "ip netns list" or /proc/PID/ns/net`;
  }
  const addrsOf = (name: string) =>
    model.addresses.filter((a) => a.ifname === name).map((a) => a.cidr).join(" ");
  const sections = [
    `netns ${model.target} (${model.path})`,
    "",
    "Interfaces",
    table(
      ["IDX", "NAME", "KIND", "MAC", "MTU", "STATE", "MASTER", "PEER", "ADDRESSES"],
      model.links.map((l) => [
        String(l.index),
        l.name,
        orDash(l.kind),
        orDash(l.mac),
        String(l.mtu),
        linkState(l),
        orDash(l.master),
        l.peerIndex === null
          ? "-"
          : `${l.peerIndex}${l.linkNetnsId === null ? "" : `@nsid${l.linkNetnsId}`}`,
        orDash(addrsOf(l.name)),
      ]),
    ),
    "",
    "Routes",
    model.routes.length
      ? table(
        ["TABLE", "DST", "GATEWAY", "DEV", "SCOPE", "PROTO", "METRIC"],
        model.routes.map((r) => [
          orDash(r.table ?? "main"),
          r.dst,
          orDash(r.gateway),
          orDash(r.dev),
          orDash(r.scope),
          orDash(r.protocol),
          orDash(r.metric),
        ]),
      )
      : "(none)",
    "",
    "Rules",
    table(
      ["PRIO", "FROM", "TO", "IIF", "OIF", "TABLE"],
      model.rules.map((
        r,
      ) => [orDash(r.priority), r.src, r.dst, orDash(r.iif), orDash(r.oif), orDash(r.table)]),
    ),
    "",
    "Neighbours",
    model.neighbours.length
      ? table(
        ["IP", "DEV", "MAC", "STATE"],
        model.neighbours.map((n) => [n.ip, orDash(n.dev), orDash(n.mac), n.state.join(",")]),
      )
      : "(none)",
  ];
  return sections.join("\n");
}

export function registerNetns(root: Root, exec: Executor): void {
  root.command("netns")
    .description("Interfaces, addresses, routes, rules and neighbours of a network namespace")
    .argument("<name|path>", "a name under /var/run/netns, or a path such as /proc/PID/ns/net")
    .addHelpText(
      "after",
      `
Exit ${ExitCode.Ok} when the namespace was read, ${ExitCode.Usage} for a malformed name or path, ${ExitCode.Failure} when it does not exist.

Examples:
  eve-cni-debug netns cni-5e0c-1234
  eve-cni-debug netns /proc/4242/ns/net --json`,
    )
    .action(async (target, _opts, cmd) => {
      await exec.run(cmd.optsWithGlobals(), async (ctx) => {
        const model = await inspectNetns(ctx, target);
        return {
          model,
          human: formatNetns(model),
          exitCode: netnsExitCode(model),
        };
      });
    });
}
