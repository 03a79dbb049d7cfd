/**
 * `fake-zedrouter serve` as a library: bring up the network instances and their dnsmasqs,
 * reconcile the saved state with the kernel, and serve EVE's RPC plus our Inspect service
 * on the socket. Signals and exit codes belong to the entry point; this returns a handle.
 */
import { ensureTrustedDirectory } from "../../core/mod.ts";
import { type ApplyRecord, type HandlerMap, type RpcServer, serveRpc } from "../../rpc/mod.ts";
import { ipPoolRunner, type Runner } from "../../netns/mod.ts";
import { journalAndFaults } from "./call_interceptor.ts";
import { loadConfigFile, parseConfigText } from "./config.ts";
import { applyConfig, type ApplyTarget } from "./apply.ts";
import { makeControlHandlers } from "./control_handlers.ts";
import { DEFAULT_CALL_TIMEOUT_MS } from "../../core/eve/mod.ts";
import { defaultConfig } from "./default_config.ts";
import { DnsmasqSupervisor } from "./dnsmasq_supervisor.ts";
import { dnsmasqPaths } from "./dnsmasq_config.ts";
import { dropNiLease } from "./lease_drop.ts";
import { makeEveHandlers, type ZedrouterCore } from "./eve_handlers.ts";
import { makeInspectHandlers } from "./inspect_handlers.ts";
import { FaultTable } from "./fault_table.ts";
import { CallJournal } from "./journal.ts";
import { JournalFile } from "./journal_file.ts";
import { KeyedMutex } from "./keyed_mutex.ts";
import type { Config } from "./model.ts";
import { ensureNetworkInstance, ovsDbOf, removeNetworkInstance } from "./network_instances.ts";
import { removeReadyFile, writeReadyFile } from "./ready_file.ts";
import { reconcileWithKernel } from "./reconcile.ts";
import { type Attachment, attachmentKey, StateStore } from "./state.ts";
import { removePodVeth } from "./veth.ts";
import { type Kernel } from "./kernel.ts";
import { removeVxlanUplink } from "./vxlan_uplink.ts";

export interface ServeOptions {
  /** Config file; null = the built-in default. */
  readonly configPath: string | null;
  readonly socketPath: string;
  readonly stateDir: string;
  readonly callTimeoutMs?: number;
  /** Written (atomically) once serving with every NI up; removed on close. */
  readonly readyFile?: string | null;
  /** Every journaled call is appended here as a JSON line. */
  readonly journalPath?: string | null;
  /** Bound of the in-memory journal, in entries (default DEFAULT_JOURNAL_ENTRIES). */
  readonly journalEntries?: number;
  /** close() also removes the app veths it attached and the NI bridges (see README). */
  readonly teardown?: boolean;
  /** RPC connections served at once (default: what the open-file limit allows, <= 1024). */
  readonly maxConnections?: number;
  readonly runner?: Runner;
  readonly log?: (message: string) => void;
}

export interface RunningZedrouter {
  readonly socketPath: string;
  readonly stateDir: string;
  /** Re-reads the config file and applies it; a bad file leaves the old config in force. */
  reload(): Promise<void>;
  /**
   * Stops serving, stops dnsmasq, removes the socket and the ready file and closes the
   * journal; bridges and pod veths stay (restart-safe) unless `teardown` was asked for.
   */
  close(): Promise<void>;
}

async function readConfig(path: string | null): Promise<Config> {
  return path === null ? defaultConfig() : await loadConfigFile(path);
}

/** What the running daemon holds; the config is replaced on reload. */
interface Daemon {
  readonly options: ServeOptions;
  readonly core: ZedrouterCore;
  readonly dnsmasq: DnsmasqSupervisor;
  readonly journal: CallJournal;
  readonly faults: FaultTable;
  config: Config;
  loadedAt: Date;
  /** Ends what the kernel is reached through (the ip batch processes), last. */
  readonly closeKernel: () => Promise<void>;
  /** The recent applies and reloads with their outcomes (Inspect.Applies). */
  readonly applies: ApplyRecord[];
  /** Set once the daemon exists: reload (SIGHUP) and Control.Apply, one at a time. */
  applier: ReturnType<typeof applier>;
}

export async function startZedrouter(options: ServeOptions): Promise<RunningZedrouter> {
  const log = options.log ?? (() => {});
  // Every request reads or changes the kernel with ip: through a few long-lived `ip -batch`
  // processes, since each spawn would keep ~90 KB of our native memory (Deno 2.9.6). A
  // start that fails before dnsmasq runs exits the process, which ends them too.
  const batch = options.runner ? null : ipPoolRunner({ log });
  const closeKernel = async () => await batch?.close();
  const kernel: Kernel = {
    runner: options.runner ?? batch!,
    host: undefined,
    ...(batch && { leave: (ns: { readonly name: string }) => batch.leave(ns.name) }),
  };
  const config = await readConfig(options.configPath);
  // Root writes dnsmasq's configs and leases and its state here: a trusted directory only.
  ensureTrustedDirectory(options.stateDir, { create: true, mode: 0o700 });
  const state = await StateStore.open(`${options.stateDir}/state.json`);

  const report = await reconcileWithKernel(kernel, state);
  log(
    `State: ${report.kept} attachment(s) kept, ${report.dropped.length} dropped (veth gone), ` +
      `${report.orphansDeleted.length} orphan veth(s) deleted`,
  );
  for (const ni of config.networkInstances) {
    await ensureNetworkInstance(kernel, ni, config);
  }
  const dnsmasq = new DnsmasqSupervisor(kernel.runner, options.stateDir, log);
  let journal: CallJournal | undefined;
  try {
    await dnsmasq.sync(config);
    journal = await openJournal(options, log);
  } catch (error) {
    await dnsmasq.close();
    await closeKernel();
    throw error;
  }
  const faults = new FaultTable();
  faults.setConfigRules(config.faults);
  const daemon: Daemon = {
    options,
    dnsmasq,
    journal,
    faults,
    config,
    loadedAt: new Date(),
    closeKernel,
    applies: [],
    applier: undefined as unknown as ReturnType<typeof applier>,
    core: {
      kernel,
      state,
      config: () => daemon.config,
      locks: new KeyedMutex(),
      callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      log,
      dropLease: (ni, mac) =>
        dropNiLease(kernel.runner, {
          leaseFile: dnsmasqPaths(options.stateDir, ni).leaseFile,
          bridge: ni.bridge,
          mac,
        }),
    },
  };
  daemon.applier = applier(daemon);
  const server = await serve(daemon);
  log(`Serving on ${options.socketPath} (state in ${options.stateDir})`);
  return {
    socketPath: options.socketPath,
    stateDir: options.stateDir,
    reload: daemon.applier.reload,
    close: closer(daemon, server),
  };
}

async function openJournal(options: ServeOptions, log: (m: string) => void): Promise<CallJournal> {
  const file = options.journalPath ? await JournalFile.open(options.journalPath, log) : null;
  return new CallJournal({
    file,
    ...(options.journalEntries !== undefined && { maxEntries: options.journalEntries }),
  });
}

/** The handler of every method, EVE's and ours. */
function handlerTable(daemon: Daemon): HandlerMap {
  const { core, options } = daemon;
  const eve = makeEveHandlers(core);
  const inspect = makeInspectHandlers({
    core,
    dnsmasq: daemon.dnsmasq,
    configPath: options.configPath,
    socketPath: options.socketPath,
    stateDir: options.stateDir,
    startedAt: Date.now(),
    loadedAt: () => daemon.loadedAt,
  });
  const control = makeControlHandlers(daemon.journal, daemon.faults, core.log);
  return {
    "RPCServer.ConnectPodAtL2": (p, ctx) => eve.connectPodAtL2(p, ctx.signal),
    "RPCServer.ConnectPodAtL3": (p, ctx) => eve.connectPodAtL3(p, ctx.signal),
    "RPCServer.DisconnectPod": (p, ctx) => eve.disconnectPod(p, ctx.signal),
    "RPCServer.CheckPodConnection": (p, ctx) => eve.checkPodConnection(p, ctx.signal),
    "Inspect.Health": () => inspect.health(),
    "Inspect.NetworkInstances": () => inspect.networkInstances(),
    "Inspect.Apps": () => inspect.apps(),
    "Inspect.Attachments": () => inspect.attachments(),
    "Inspect.Leases": () => inspect.leases(),
    "Inspect.Config": () => inspect.config(),
    "Inspect.Journal": (p) => control.journal(p),
    "Inspect.Faults": () => control.faults(),
    "Control.AddFault": (p) => control.addFault(p),
    "Control.ClearFaults": (p) => control.clearFaults(p.id),
    "Control.Apply": (p) => daemon.applier.apply(p.configText, p.probeTimeoutMs),
    "Inspect.Applies": () => Promise.resolve({ applies: [...daemon.applies] }),
  };
}

/** Binds the socket (journal and faults around every call), then writes the ready file. */
async function serve(daemon: Daemon): Promise<RpcServer> {
  const { options, core } = daemon;
  let server: RpcServer | undefined;
  try {
    server = await serveRpc({
      path: options.socketPath,
      handlers: handlerTable(daemon),
      intercept: journalAndFaults(daemon.journal, daemon.faults),
      ...(options.maxConnections !== undefined && { maxConnections: options.maxConnections }),
      onError: (error) => core.log(`RPC: ${error instanceof Error ? error.message : error}`),
      log: (message) => core.log(`RPC: ${message}`),
    });
    if (options.readyFile) {
      await writeReadyFile(options.readyFile, {
        pid: Deno.pid,
        socket: options.socketPath,
        stateDir: options.stateDir,
        networkInstances: daemon.config.networkInstances.map((ni) => ni.name),
      });
    }
    return server;
  } catch (error) {
    await server?.close();
    await daemon.dnsmasq.close();
    await daemon.journal.close();
    await daemon.closeKernel();
    throw error;
  }
}

/** What an apply changes in this daemon (apply.ts). */
function applyTarget(daemon: Daemon): ApplyTarget {
  return {
    core: daemon.core,
    dnsmasq: daemon.dnsmasq,
    records: daemon.applies,
    stateDir: daemon.options.stateDir,
    loadedAt: () => daemon.loadedAt,
    swap(config, loadedAt = new Date()) {
      daemon.config = config;
      daemon.loadedAt = loadedAt;
      daemon.faults.setConfigRules(config.faults);
    },
    async finish(previous, next) {
      // What `next` removed is detached (under each app's lock, behind calls already
      // queued) before its bridges go.
      await detachRemoved(daemon.core, previous, next);
      await removeDropped(daemon.core.kernel, previous, next);
    },
  };
}

/**
 * SIGHUP's reload and Control.Apply, one at a time (a SIGHUP burst applies the file as it
 * is at the end). Both probe the changed NIs and roll back on failure (apply.ts); a reload
 * that fails rejects with the record's error, as a bad file always did.
 */
function applier(daemon: Daemon): {
  reload: () => Promise<void>;
  apply: (text: string, probeTimeoutMs?: number) => Promise<ApplyRecord>;
} {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.catch(() => {}).then(fn);
    queue = run;
    return run;
  };
  const target = applyTarget(daemon);
  return {
    reload: () =>
      serial(async () => {
        const next = await readConfig(daemon.options.configPath).catch((e: Error) => e);
        const r = await applyConfig(target, next, "reload");
        if (r.outcome !== "SuccessfullyConfigured") throw new Error(r.error ?? "reload failed");
        const { networkInstances, apps } = daemon.config;
        daemon.core.log(
          `Reloaded: ${networkInstances.length} network instance(s), ${apps.length} app(s)`,
        );
      }),
    apply: (text, probeTimeoutMs) =>
      serial(async () => {
        let next: Config | Error;
        try {
          next = parseConfigText(text, "(apply)");
        } catch (error) {
          next = error instanceof Error ? error : new Error(String(error));
        }
        const r = await applyConfig(target, next, "apply", probeTimeoutMs);
        // The file follows what is in force, so the next SIGHUP keeps it.
        if (r.outcome === "SuccessfullyConfigured" && daemon.options.configPath) {
          await writeConfigFile(daemon.options.configPath, text);
        }
        return r;
      }),
  };
}

/** Replaces the config file whole (a reader sees the old or the new text, never a mix). */
async function writeConfigFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.apply-${Deno.pid}`;
  await Deno.writeTextFile(tmp, text, { mode: 0o600 });
  await Deno.rename(tmp, path);
}

/** The bridges, and VXLAN devices, of `previous` that `next` no longer has. */
async function removeDropped(kernel: Kernel, previous: Config, next: Config): Promise<void> {
  const keep = new Set(next.networkInstances.map((ni) => ni.bridge));
  const vxlans = (c: Config) =>
    c.networkInstances.flatMap((ni) => ni.type === "switch" && ni.vxlan ? [ni.vxlan] : []);
  const keepVxlans = new Set(vxlans(next).map((x) => x.device));
  for (const ni of previous.networkInstances) {
    if (!keep.has(ni.bridge)) await removeNetworkInstance(kernel, ni, previous.ovs);
  }
  for (const x of vxlans(previous)) {
    if (!keepVxlans.has(x.device)) await removeVxlanUplink(kernel, x);
  }
}

function closer(daemon: Daemon, server: RpcServer): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => {
    closing ??= (async () => {
      // Not ready any more, first: a CI step polling the file must not see a dying server.
      if (daemon.options.readyFile) await removeReadyFile(daemon.options.readyFile);
      // Hung calls end here (their connections close) and are journaled as abandoned.
      await server.close();
      await daemon.dnsmasq.close();
      await daemon.journal.close();
      if (daemon.options.teardown) await tearDown(daemon.core, daemon.config);
      await daemon.closeKernel();
    })();
    return closing;
  };
}

/**
 * `--teardown`: what a stand-in leaves when a CI job is done with it: the veth of every
 * attachment it recorded, the bridges of its config's NIs (a switch NI's port is released,
 * not deleted) and the state file that described them.
 */
async function tearDown(core: ZedrouterCore, config: Config): Promise<void> {
  const appUuids = new Set([
    ...config.apps.map((app) => app.uuid),
    ...Object.values(core.state.current.attachments).map((a) => a.appUuid),
  ]);
  // Under each app's lock: a call still finishing (its caller gone) gets there first.
  for (const appUuid of appUuids) {
    await core.locks.run(appUuid, async () => {
      for (const a of core.state.attachmentsOf(appUuid)) {
        await removePodVeth(core.kernel, a.hostIfName, ovsDbOf(config));
      }
    });
  }
  for (const ni of config.networkInstances) {
    await removeNetworkInstance(core.kernel, ni, config.ovs);
  }
  // The last queued write lands first, then the file goes.
  await core.state.update((s) => {
    s.attachments = {};
    s.boundPods = {};
  });
  await Deno.remove(core.state.path).catch(() => {});
  core.log("Torn down: app veths, NI bridges and the state file removed");
}

/**
 * A reload that removes an app, one of its adapters or an NI takes the matching pod
 * interfaces down with it, as EVE does when an app's network config goes away: otherwise
 * their veths would outlive every call that could still remove them.
 */
async function detachRemoved(core: ZedrouterCore, previous: Config, next: Config): Promise<void> {
  const niUuids = new Set(next.networkInstances.map((ni) => ni.uuid));
  const isStale = (a: Attachment) => {
    const app = next.apps.find((x) => x.uuid === a.appUuid);
    const adapter = app?.adapters.find((ad) => ad.index === a.adapterIndex);
    return adapter === undefined || adapter.niUuid !== a.niUuid || !niUuids.has(a.niUuid);
  };
  // Every app a call may be attaching right now: those of the old config, and those with
  // attachments. Each is judged under its lock, after the calls queued before us.
  const appUuids = new Set([
    ...previous.apps.map((app) => app.uuid),
    ...Object.values(core.state.current.attachments).map((a) => a.appUuid),
  ]);
  for (const appUuid of appUuids) {
    await core.locks.run(appUuid, async () => {
      for (const a of core.state.attachmentsOf(appUuid).filter(isStale)) {
        await removePodVeth(core.kernel, a.hostIfName, ovsDbOf(previous) ?? ovsDbOf(next));
        await core.state.update((s) => {
          delete s.attachments[attachmentKey(a.appUuid, a.adapterIndex)];
        });
        core.log(`Removed ${a.hostIfName} of pod ${a.podName}: its adapter left the config`);
      }
    });
  }
}
