/**
 * `fake-zedrouter serve` as a library: bring up the network instances and their dnsmasqs,
 * reconcile the saved state with the kernel, and serve EVE's RPC plus our Inspect service
 * on the socket. Signals and exit codes belong to the entry point; this returns a handle.
 */
import { type HandlerMap, serveRpc } from "../../rpc/mod.ts";
import { type Runner, systemRunner } from "../../netns/mod.ts";
import { loadConfigFile } from "./config.ts";
import { DEFAULT_CALL_TIMEOUT_MS } from "../../core/eve/mod.ts";
import { defaultConfig } from "./default_config.ts";
import { DnsmasqSupervisor } from "./dnsmasq_supervisor.ts";
import { type EveHandlers, makeEveHandlers, type ZedrouterCore } from "./eve_handlers.ts";
import { type InspectHandlers, makeInspectHandlers } from "./inspect_handlers.ts";
import { KeyedMutex } from "./keyed_mutex.ts";
import type { Config } from "./model.ts";
import { ensureNetworkInstance, removeNetworkInstance } from "./network_instances.ts";
import { reconcileWithKernel } from "./reconcile.ts";
import { type Attachment, attachmentKey, StateStore } from "./state.ts";
import { type Kernel, removePodVeth } from "./veth.ts";

export interface ServeOptions {
  /** Config file; null = the built-in default. */
  readonly configPath: string | null;
  readonly socketPath: string;
  readonly stateDir: string;
  readonly callTimeoutMs?: number;
  readonly runner?: Runner;
  readonly log?: (message: string) => void;
}

export interface RunningZedrouter {
  readonly socketPath: string;
  readonly stateDir: string;
  /** Re-reads the config file and applies it; a bad file leaves the old config in force. */
  reload(): Promise<void>;
  /** Stops serving and stops dnsmasq; bridges and pod veths stay (restart-safe). */
  close(): Promise<void>;
}

async function readConfig(path: string | null): Promise<Config> {
  return path === null ? defaultConfig() : await loadConfigFile(path);
}

/** The config in force and when it was loaded; a reload replaces both. */
interface LiveConfig {
  config: Config;
  loadedAt: Date;
}

export async function startZedrouter(options: ServeOptions): Promise<RunningZedrouter> {
  const log = options.log ?? (() => {});
  const kernel: Kernel = { runner: options.runner ?? systemRunner, host: undefined };
  const live: LiveConfig = { config: await readConfig(options.configPath), loadedAt: new Date() };
  const { state, dnsmasq } = await bringUp(kernel, options, live.config, log);
  const core: ZedrouterCore = {
    kernel,
    state,
    config: () => live.config,
    locks: new KeyedMutex(),
    callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
    log,
  };
  const inspect = makeInspectHandlers({
    core,
    dnsmasq,
    configPath: options.configPath,
    socketPath: options.socketPath,
    stateDir: options.stateDir,
    startedAt: Date.now(),
    loadedAt: () => live.loadedAt,
  });
  let server;
  try {
    server = await serveRpc({
      path: options.socketPath,
      handlers: rpcHandlers(makeEveHandlers(core), inspect),
      onError: (error) => log(`RPC: ${error instanceof Error ? error.message : error}`),
    });
  } catch (error) {
    await dnsmasq.close();
    throw error;
  }
  log(`Serving on ${options.socketPath} (state in ${options.stateDir})`);

  let reloading = Promise.resolve();
  return {
    socketPath: options.socketPath,
    stateDir: options.stateDir,
    reload() {
      // One reload at a time; a SIGHUP burst applies the file as it is at the end.
      const run = reloading.catch(() => {}).then(async () => {
        await applyConfig(core, dnsmasq, live, await readConfig(options.configPath));
      });
      reloading = run;
      return run;
    },
    async close() {
      await server.close();
      await dnsmasq.close();
    },
  };
}

/**
 * The saved state reconciled with the kernel, every NI's bridge, and their dnsmasqs: what
 * must be in place before the first call is served.
 */
async function bringUp(
  kernel: Kernel,
  options: ServeOptions,
  config: Config,
  log: (message: string) => void,
): Promise<{ state: StateStore; dnsmasq: DnsmasqSupervisor }> {
  await Deno.mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const state = await StateStore.open(`${options.stateDir}/state.json`);
  const report = await reconcileWithKernel(kernel, state);
  log(
    `State: ${report.kept} attachment(s) kept, ${report.dropped.length} dropped (veth gone), ` +
      `${report.orphansDeleted.length} orphan veth(s) deleted`,
  );
  for (const ni of config.networkInstances) await ensureNetworkInstance(kernel, ni);
  const dnsmasq = new DnsmasqSupervisor(kernel.runner, options.stateDir, log);
  try {
    await dnsmasq.sync(config);
  } catch (error) {
    await dnsmasq.close();
    throw error;
  }
  return { state, dnsmasq };
}

/** EVE's four methods and our Inspect service, as the RPC server's method table. */
function rpcHandlers(eve: EveHandlers, inspect: InspectHandlers): HandlerMap {
  return {
    "RPCServer.ConnectPodAtL2": (params, ctx) => eve.connectPodAtL2(params, ctx.signal),
    "RPCServer.ConnectPodAtL3": (params, ctx) => eve.connectPodAtL3(params, ctx.signal),
    "RPCServer.DisconnectPod": (params, ctx) => eve.disconnectPod(params, ctx.signal),
    "RPCServer.CheckPodConnection": (params, ctx) => eve.checkPodConnection(params, ctx.signal),
    "Inspect.Health": () => inspect.health(),
    "Inspect.NetworkInstances": () => inspect.networkInstances(),
    "Inspect.Apps": () => inspect.apps(),
    "Inspect.Attachments": () => inspect.attachments(),
    "Inspect.Leases": () => inspect.leases(),
    "Inspect.Config": () => inspect.config(),
  };
}

/**
 * A reload: new NIs' bridges exist before any call can see them; then the swap, so that every
 * call from here on resolves against `next`; then what `next` removed is detached (under each
 * app's lock, behind calls already queued) before its bridges go.
 */
async function applyConfig(
  core: ZedrouterCore,
  dnsmasq: DnsmasqSupervisor,
  live: LiveConfig,
  next: Config,
): Promise<void> {
  for (const ni of next.networkInstances) await ensureNetworkInstance(core.kernel, ni);
  const previous = live.config;
  live.config = next;
  live.loadedAt = new Date();
  await detachRemoved(core, previous, next);
  const keep = new Set(next.networkInstances.map((ni) => ni.bridge));
  for (const ni of previous.networkInstances) {
    if (!keep.has(ni.bridge)) await removeNetworkInstance(core.kernel, ni);
  }
  await dnsmasq.sync(next);
  core.log(
    `Reloaded: ${next.networkInstances.length} network instance(s), ${next.apps.length} app(s)`,
  );
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
        await removePodVeth(core.kernel, a.hostIfName);
        await core.state.update((s) => {
          delete s.attachments[attachmentKey(a.appUuid, a.adapterIndex)];
        });
        core.log(`Removed ${a.hostIfName} of pod ${a.podName}: its adapter left the config`);
      }
    });
  }
}
