/**
 * A private Open vSwitch: ovsdb-server and ovs-vswitchd with their database, sockets, pid
 * and log files in one directory, ovs-vswitchd in the namespace where its bridges are to
 * live, stopped by pid. For the tests and the demo; a real node runs Debian's services.
 * Both daemons `--detach`: each forks and its parent exits once the daemon is ready, so the
 * pid files name running daemons when we read them.
 */
import { checkAbsPath } from "./_validate.ts";
import { readPidFile, stopPid } from "./process.ts";
import { runChecked, systemRunner } from "./runner.ts";
import { execArgv, type Netns } from "./target.ts";
import type { OvsDb } from "./ovs.ts";
import { ovsVsctlArgv } from "./ovs.ts";

export const OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";

export interface OvsDaemons {
  readonly db: OvsDb;
  readonly dir: string;
  /** ovsdb-server's and ovs-vswitchd's pids (as their pid files said after start). */
  readonly pids: { readonly ovsdb: number; readonly vswitchd: number };
  /** Stops both by pid (vswitchd first: it deletes its kernel devices on exit). Idempotent. */
  stop(): Promise<void>;
}

/** Where OVS keeps run-time files: all in `dir`, away from a machine's /run/openvswitch. */
function ovsEnv(dir: string): Record<string, string> {
  return { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
}

function daemonArgs(dir: string, name: string): string[] {
  return [
    `--pidfile=${dir}/${name}.pid`,
    `--unixctl=${dir}/${name}.ctl`,
    `--log-file=${dir}/${name}.log`,
    "--detach",
    "--no-chdir",
  ];
}

async function pidOf(dir: string, name: string): Promise<number> {
  const pid = await readPidFile(`${dir}/${name}.pid`);
  if (pid === undefined) throw new Error(`${name} started but wrote no pid to ${dir}/${name}.pid`);
  return pid;
}

/** Starts both daemons; on a failure whatever already runs is stopped again. */
export async function startOvsDaemons(
  options: { dir: string; netns?: Netns },
): Promise<OvsDaemons> {
  const dir = checkAbsPath(options.dir, "OVS run directory");
  const env = ovsEnv(dir);
  const run = (argv: string[]) => runChecked(systemRunner, argv, { env, timeoutMs: 20_000 });
  const db: OvsDb = { socket: `${dir}/db.sock` };
  const pids: { ovsdb?: number; vswitchd?: number } = {};
  const stop = async () => {
    if (pids.vswitchd !== undefined) await stopPid(pids.vswitchd);
    if (pids.ovsdb !== undefined) await stopPid(pids.ovsdb);
  };
  try {
    await run(["ovsdb-tool", "create", `${dir}/conf.db`, OVS_SCHEMA]);
    // The database server needs no namespace of its own: it is reached by its unix socket.
    await run([
      "ovsdb-server",
      `${dir}/conf.db`,
      `--remote=punix:${db.socket}`,
      ...daemonArgs(dir, "ovsdb-server"),
    ]);
    pids.ovsdb = await pidOf(dir, "ovsdb-server");
    await run(ovsVsctlArgv(db, ["--no-wait", "init"]));
    const vswitchd = ["ovs-vswitchd", `unix:${db.socket}`, ...daemonArgs(dir, "ovs-vswitchd")];
    await run(execArgv(options.netns, vswitchd));
    pids.vswitchd = await pidOf(dir, "ovs-vswitchd");
  } catch (error) {
    await stop();
    throw error;
  }
  return { db, dir, pids: { ovsdb: pids.ovsdb, vswitchd: pids.vswitchd }, stop };
}
