/**
 * bench:attach's per-slice table: where a path's runtime wall time goes, from eve-bridge's own
 * log lines of the same run (p50s, ms). "Start-up" is Deno's time origin to the CNI call
 * (loading the program, reading stdin: the Started line's startupMs); each later slice is the
 * difference of two lines' durationMs; "outside" is what the runtime's wall time has beyond
 * those (Deno's own start before its time origin, the exit, libcni, and the plugins chained
 * after eve-bridge, if any).
 */
import { logField, type LogLine, logValues } from "./attach_log.ts";
import { p50 } from "./attach_floors.ts";

interface Run {
  readonly add: number[];
  readonly del: number[];
  readonly containers: Set<string>;
}

type Slice = [name: string, ms: number];

/** One path's slices: start-up, the slices its own lines give, then what is outside. */
function slices(
  log: LogLine[],
  run: Run,
  command: "ADD" | "DEL",
  inner: (values: (prefix: string, f: (p: Record<string, unknown>) => number) => number) => Slice[],
): Slice[] {
  const values = (prefix: string, f: (p: Record<string, unknown>) => number) =>
    p50(logValues(log, run.containers, command, prefix, f));
  const startup = p50(logField(log, run.containers, command, "Started", "startupMs"));
  const finished = p50(logField(log, run.containers, command, "Finished", "durationMs"));
  const wall = p50(command === "ADD" ? run.add : run.del);
  return [
    ["start-up (program load, stdin)", startup],
    ...inner(values),
    ["outside (Deno init, exit, libcni, chained plugins)", wall - startup - finished],
    ["= runtime wall time", wall],
  ];
}

/** eth0 ADD/DEL: checks, the bridge delegate, the rest. */
function eth0Slices(log: LogLine[], run: Run, command: "ADD" | "DEL"): Slice[] {
  return slices(log, run, command, (values) => {
    const delegated = values("Delegated", (p) => Number(p.durationMs));
    const bridge = values("Delegated", (p) => Number(p.delegateMs));
    return [
      ["config, checks, log until the delegate", delegated - bridge],
      ["bridge + host-local (the delegate)", bridge],
      [
        "result, state, log until Finished",
        values("Finished", (p) => Number(p.durationMs)) - delegated,
      ],
    ];
  });
}

/** net1 ADD: L2, DHCP, L3 from the Attached line, and what surrounds them. */
function netxAddSlices(log: LogLine[], run: Run): Slice[] {
  return slices(log, run, "ADD", (values) => {
    const l2 = values("Attached", (p) => Number(p.l2Ms));
    const dhcp = values("Attached", (p) => Number(p.dhcpMs));
    const l3 = values("Attached", (p) => Number(p.l3Ms));
    const total = values("Attached", (p) => Number(p.totalMs));
    const attached = values("Attached", (p) => Number(p.durationMs));
    return [
      ["config, checks, lock, state, dial", attached - total],
      ["L2 (ConnectPodAtL2)", l2],
      ["DHCP (udhcpc start to first lease seen)", dhcp],
      ["L3 (ConnectPodAtL3)", l3],
      ["state writes between the steps", total - l2 - dhcp - l3],
      ["result, log until Finished", values("Finished", (p) => Number(p.durationMs)) - attached],
    ];
  });
}

/** net1 DEL: the release, DisconnectPod and the rest. */
function netxDelSlices(log: LogLine[], run: Run): Slice[] {
  return slices(log, run, "DEL", (values) => {
    const release = values("Detached", (p) => Number(p.releaseMs));
    const disconnect = values("Detached", (p) => Number(p.disconnectMs));
    const finished = values("Finished", (p) => Number(p.durationMs));
    return [
      ["DHCP release (SIGUSR2 to deconfig, SIGKILL)", release],
      ["DisconnectPod", disconnect],
      ["config, checks, lock, state, log", finished - release - disconnect],
    ];
  });
}

/** The table's rows: ["<path>  <slice>", p50 ms]. */
export function sliceTable(log: LogLine[], runs: { netx: Run; eth0: Run }): string[][] {
  const rows: string[][] = [];
  const add = (path: string, list: Slice[]) => {
    for (const [name, ms] of list) {
      rows.push([`${path}  ${name}`, Number.isFinite(ms) ? ms.toFixed(1) : "-"]);
    }
  };
  add("eth0 ADD", eth0Slices(log, runs.eth0, "ADD"));
  add("eth0 DEL", eth0Slices(log, runs.eth0, "DEL"));
  add("net1 ADD", netxAddSlices(log, runs.netx));
  add("net1 DEL", netxDelSlices(log, runs.netx));
  return rows;
}
