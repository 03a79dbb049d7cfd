/**
 * ADD of an interface on an EVE network instance, as named steps, each registering its own
 * undo before (or as soon as) it creates something:
 *
 *   connectL2   ConnectPodAtL2                      undo: DisconnectPod
 *   record      the state file, phase "adding"      undo: remove the attachment's files
 *   startDhcp   udhcpc in the pod netns, 1st lease   undo: release the lease, stop the client
 *   connectL3   ConnectPodAtL3 with the lease       (DisconnectPod undoes it)
 *   routing     the config's routingPolicy, if any   undo: release it (routing_policy.ts)
 *   ready       the state file, phase "ready"
 *
 * L2-only attachments (an air-gapped switch NI, or a VMI whose guest runs DHCP itself) skip
 * startDhcp and connectL3. Any failure unwinds the registered undos, newest first.
 */
import { DEFAULT_LEASE_POLICY, leasePolicyRecord, requireAcceptableLease } from "./lease_guard.ts";
import { errorMessage, isoTime } from "../../core/mod.ts";
import { type ConnectPodAtL2Result, DEFAULT_CALL_TIMEOUT_MS, type Pod } from "../../rpc/mod.ts";
import { getLink, loadProcessSupport, type Runner } from "../../netns/mod.ts";
import {
  CniError,
  CniErrorCode,
  type CniResult,
  EveErrorCode,
  type UndoStack,
  withUndo,
} from "../cni/mod.ts";
import {
  type AttachmentPaths,
  attachmentPaths,
  type AttachmentState,
  isVmi,
  type LeasePolicyRecord,
  STATE_VERSION,
} from "../../core/eve/mod.ts";
import {
  readState,
  removeAttachmentFiles,
  reserveUsed,
  withAttachmentLock,
  writeReserve,
  writeState,
} from "./attachment_state.ts";
import { installHook, startLeaseClient, stopAttachmentDhcp, waitFirstLease } from "./dhcp/mod.ts";
import type { EveContext } from "./handler.ts";
import { l3Fields } from "./l3_request.ts";
import { mergeResults, podResult, resultInterfaces } from "./pod_result.ts";
import { addRoutingPolicy, checkRoutingPolicyConfig, hostEndOf } from "./routing_policy.ts";
import { resolveMac } from "./mac_source.ts";
import { podInterfaceOf, podOf } from "./pod_args.ts";
import { withZedrouter, ZedrouterSession } from "./zedrouter_session.ts";

export interface AddDeps {
  readonly runner: Runner;
  /** How the udhcpc hook calls eve-bridge back (see dhcp/hook.ts); undefined: no callback. */
  readonly selfCommand: () => string[] | undefined;
}

/** What the steps share: the invocation, its zedrouter session and the state so far. */
interface Attaching {
  readonly ctx: EveContext;
  readonly deps: AddDeps;
  readonly session: ZedrouterSession;
  readonly undo: UndoStack;
  readonly paths: AttachmentPaths;
  readonly pod: Pod;
  /** The state file's record, as the steps fill it in. */
  state: AttachmentState;
  readonly timings: { l2Ms: number; dhcpMs: number; l3Ms: number };
}

/** The whole rollback of a failed ADD waits at most one zedrouter call timeout. */
const ROLLBACK_BUDGET_MS = DEFAULT_CALL_TIMEOUT_MS;
/** Below this a fresh dial and call are not worth starting. */
const MIN_RETRY_MS = 100;

const ms = (since: number): number => Math.round(performance.now() - since);

/** ADD: refuses an interface already attached, then runs the steps under the lock. */
export async function addPodInterface(ctx: EveContext, deps: AddDeps): Promise<CniResult> {
  checkRoutingPolicyConfig(ctx);
  requirePodName(ctx);
  const mac = resolveMac(ctx);
  const paths = attachmentPaths(ctx.config.stateDir, ctx.containerId, ctx.ifname);
  return await withAttachmentLock(paths, async () => {
    if (await readState(paths.state).catch(() => undefined)) {
      throw new CniError(
        EveErrorCode.InterfaceExists,
        `Interface "${ctx.ifname}" of container "${ctx.containerId}" is already attached`,
        `State "${paths.state}" exists; DEL the attachment before adding it again`,
      );
    }
    // A failure before the state file exists leaves nothing worth keeping: drop the lock
    // file (and the container dir) this ADD created.
    const forget = async (error: unknown): Promise<never> => {
      if (!(await readState(paths.state).catch(() => undefined))) {
        try {
          removeAttachmentFiles(paths);
        } catch {
          // Best effort: the error that matters is the one thrown below.
        }
      }
      throw error;
    };
    const session = await ZedrouterSession.open(ctx.config.zedrouterSocket, ctx.logger)
      .catch(forget);
    try {
      return await withUndo(
        ctx.logger,
        (undo) => attach({ ctx, deps, session, undo, paths }, mac),
        ROLLBACK_BUDGET_MS,
      ).catch(forget);
    } finally {
      await session.close();
    }
  });
}

/** The invocation, its zedrouter session, its undo stack and its files. */
type Invocation = Pick<Attaching, "ctx" | "deps" | "session" | "undo" | "paths">;

async function attach(
  invocation: Invocation,
  { mac: requestedMac, source: macSource }: ReturnType<typeof resolveMac>,
): Promise<CniResult> {
  const { ctx, deps, session, undo, paths } = invocation;
  const started = performance.now();
  const pod = podOf({
    podName: ctx.args.podName ?? "",
    podNamespace: ctx.args.podNamespace ?? "",
    netnsPath: ctx.netns,
  });
  // While zedrouter connects the pod at L2, what the first process this ADD starts (udhcpc)
  // needs is loaded (netns/spawn.ts: libc's symbols) and the node's addresses are read for
  // the lease policy: that work overlaps zedrouter's instead of following it. A microtask
  // later, so the request is written first (the client writes it in a microtask of its own,
  // and Deno sends at once). Handled here so a failed L2 call leaves no unhandled rejection.
  const l2Call = connectL2(ctx, session, undo, pod, requestedMac);
  const leasePolicy = Promise.resolve().then(() => {
    loadProcessSupport();
    return leasePolicyRecord(ctx.config);
  });
  leasePolicy.catch(() => {});
  const l2 = await l2Call;
  const mac = await podEndMac(deps.runner, l2.result, ctx.netns, ctx.ifname);
  if (requestedMac !== null && mac !== requestedMac) {
    // The pod would run with a MAC its spec does not say (and dnsmasq reserves the address
    // for the adapter's): refused, and the undo disconnects what zedrouter wired up.
    throw macConflict(ctx, { requested: requestedMac, source: macSource, given: mac });
  }
  const attaching: Attaching = {
    ...invocation,
    pod,
    state: await record(ctx, undo, paths, l2.result, mac, await leasePolicy),
    timings: { l2Ms: l2.ms, dhcpMs: 0, l3Ms: 0 },
  };
  if (l2.result.useDHCP && !attaching.state.vmi) {
    await startDhcp(attaching);
    await connectL3(attaching);
  }
  await routing(attaching, l2.result);
  await ready(attaching);
  ctx.logger.info("Attached {ifname} to app {appUUID}", {
    appUUID: l2.result.appUUID,
    mac,
    macSource,
    useDHCP: l2.result.useDHCP,
    vmi: attaching.state.vmi,
    address: attaching.state.lease?.address ?? null,
    dhcpPid: attaching.state.dhcp?.pid ?? null,
    ...attaching.timings,
    totalMs: ms(started),
  });
  return mergeResults(
    ctx.prevResult,
    podResult(l2.result, ctx.ifname, ctx.netns, attaching.state.lease),
  );
}

/**
 * zedrouter finds the app by the pod's name (K8S_POD_NAME); without it ConnectPodAtL2 can
 * only fail, after a lock file and a dial: say so first.
 */
function requirePodName(ctx: EveContext): void {
  if ((ctx.args.podName ?? "") !== "") return;
  throw new CniError(
    CniErrorCode.InvalidEnv,
    `Missing K8S_POD_NAME in CNI_ARGS for interface "${ctx.ifname}"`,
    "zedrouter finds the app by its pod's name: the runtime (Multus, containerd) sets " +
      'CNI_ARGS "IgnoreUnknown=1;K8S_POD_NAMESPACE=...;K8S_POD_NAME=..."; add it when calling ' +
      "eve-bridge by hand",
  );
}

/** The MAC asked for is not the one of the adapter zedrouter chose: code 7 naming both. */
function macConflict(
  ctx: EveContext,
  mac: { requested: string; source: string; given: string },
): CniError {
  const ni = ctx.config.networkInstance;
  return new CniError(
    CniErrorCode.InvalidConfig,
    `${mac.source} ${mac.requested} is not the MAC of the app adapter zedrouter chose for ` +
      `"${ctx.ifname}" (${mac.given}${ni === undefined ? "" : ` on network instance ${ni}`})`,
    ni === undefined
      ? `Set ${mac.source} to the adapter's MAC ${mac.given}`
      : `Set ${mac.source} to ${mac.given}, leave it out (zedrouter picks the adapter by ` +
        '"networkInstance"), or fix "networkInstance" to the adapter\'s network instance',
  );
}

/** ConnectPodAtL2; its undo (DisconnectPod) is registered before the call. */
async function connectL2(
  ctx: EveContext,
  session: ZedrouterSession,
  undo: UndoStack,
  pod: Pod,
  requestedMac: string | null,
): Promise<{ result: ConnectPodAtL2Result; ms: number }> {
  const disconnectArgs = { pod, podInterface: podInterfaceOf(ctx.ifname, ctx.netns, null) };
  // Registered before the call: an L2 call that times out on our side may still be carried
  // out by zedrouter, and DisconnectPod of nothing is a success.
  // Both tries share the rollback's one deadline (ROLLBACK_BUDGET_MS): a hung zedrouter
  // costs one call timeout for ConnectPodAtL2 and at most one more for the whole rollback.
  const budget = () => Math.floor(Math.min(undo.remainingMs(), ROLLBACK_BUDGET_MS));
  undo.push("DisconnectPod", async () => {
    try {
      // On the same connection first: queued behind the ConnectPodAtL2 it undoes, so a
      // zedrouter that wakes up later still carries out both, in order.
      await session.call("RPCServer.DisconnectPod", disconnectArgs, { timeoutMs: budget() });
    } catch (error) {
      // No reply within the budget (it is spent): another try could only wait past it.
      if (budget() < MIN_RETRY_MS) throw error;
      // The connection itself failed: one more try on a fresh one, in what is left.
      await withZedrouter(
        ctx.config.zedrouterSocket,
        ctx.logger,
        (fresh) => fresh.call("RPCServer.DisconnectPod", disconnectArgs),
        budget(),
      );
    }
  });
  const started = performance.now();
  const result = await session.call("RPCServer.ConnectPodAtL2", {
    pod,
    podInterface: podInterfaceOf(ctx.ifname, ctx.netns, requestedMac),
    ...(ctx.config.networkInstance !== undefined &&
      { networkInstance: ctx.config.networkInstance }),
  });
  return { result, ms: ms(started) };
}

/**
 * The MAC of the pod end zedrouter created. A newer zedrouter picks the adapter by the NI
 * (`networkInstance`) and gives the pod end the adapter's MAC, which need not be the one
 * asked for (or none was), so its answer is the truth; a zedrouter that only echoes the
 * request's null MAC leaves the kernel to say.
 */
async function podEndMac(
  runner: Runner,
  l2: ConnectPodAtL2Result,
  netns: string,
  ifname: string,
): Promise<string> {
  const mac = l2.interfaces?.find((i) => i.name === ifname && i.netNsPath !== "")?.mac ??
    (await getLink(runner, { path: netns }, ifname))?.mac;
  if (!mac) {
    throw new CniError(
      EveErrorCode.ZedrouterFailed,
      `zedrouter reported no MAC for "${ifname}"`,
      "ConnectPodAtL2's answer lists no pod interface with a MAC; give the MAC in the pod's " +
        "network annotation",
    );
  }
  return mac;
}

/**
 * The state file, phase "adding": written before anything else is started, so a killed ADD
 * can still be GC'd or DEL'd. Undo: remove the attachment's files.
 */
async function record(
  ctx: EveContext,
  undo: UndoStack,
  paths: AttachmentPaths,
  l2: ConnectPodAtL2Result,
  mac: string,
  leasePolicy: LeasePolicyRecord,
): Promise<AttachmentState> {
  const now = isoTime();
  const state: AttachmentState = {
    version: STATE_VERSION,
    containerID: ctx.containerId,
    ifname: ctx.ifname,
    network: ctx.config.name,
    podName: ctx.args.podName ?? "",
    podNamespace: ctx.args.podNamespace ?? "",
    netnsPath: ctx.netns,
    mac,
    vmi: isVmi(ctx.args),
    useDHCP: l2.useDHCP,
    appUUID: l2.appUUID,
    zedrouterSocket: ctx.config.zedrouterSocket,
    logFile: ctx.config.logFile,
    leasePolicy,
    phase: "adding",
    dhcp: null,
    lease: null,
    createdAt: now,
    updatedAt: now,
  };
  await writeState(paths.state, state);
  undo.push("remove state", () => Promise.resolve().then(() => removeAttachmentFiles(paths)));
  return state;
}

/** udhcpc in the pod netns and its first lease; undo: release the lease, stop the client. */
async function startDhcp(attaching: Attaching): Promise<void> {
  const { ctx, paths } = attaching;
  const started = performance.now();
  const hook = await installHook(ctx.config.stateDir, attaching.deps.selfCommand());
  // Before the client: a state dir too full for it fails here, before any lease exists.
  writeReserve(paths);
  const client = await startLeaseClient(paths, ctx.netns, ctx.ifname, hook);
  attaching.state = { ...attaching.state, dhcp: client.record, updatedAt: isoTime() };
  // Registered before the state write: a client running is ours to stop even when the write
  // fails. Reads the state at unwind time: the lease, if one came, is in it.
  attaching.undo.push(
    "release DHCP lease",
    () =>
      stopAttachmentDhcp(attaching.deps.runner, attaching.state.dhcp, attaching.state, ctx.logger),
  );
  await writeState(paths.state, attaching.state);
  const lease = await waitFirstLease(client, ctx.config.dhcp, ctx.ifname, ctx.logger)
    .catch((error) => {
      throw reserveUsed(paths) ? stateDirFull(paths) : error;
    });
  // Policy before anything is applied: a refused lease is undone (released) like a failed one.
  requireAcceptableLease(attaching.state.leasePolicy ?? DEFAULT_LEASE_POLICY, lease, ctx.ifname);
  attaching.state = { ...attaching.state, lease, updatedAt: isoTime() };
  // The undo above releases the lease: its hook had to use the reserve to record it.
  if (reserveUsed(paths)) throw stateDirFull(paths);
  await writeState(paths.state, attaching.state).catch((error) => {
    throw (error as { code?: string }).code === "ENOSPC" ? stateDirFull(paths, error) : error;
  });
  attaching.timings.dhcpMs = ms(started);
}

/**
 * The state dir filled up while DHCP ran: the hook could record the lease dnsmasq granted
 * only in the attachment's reserve, or the lease could not be written into the state file.
 * Either way it is the cause to name, not "no DHCP lease".
 */
function stateDirFull(paths: AttachmentPaths, error?: unknown): CniError {
  return new CniError(
    CniErrorCode.IoFailure,
    `The state dir "${paths.dir}" is full (ENOSPC: no space left on device)`,
    `${error === undefined ? "" : `${errorMessage(error)}; `}dnsmasq granted a lease that ` +
      "cannot be recorded, and ADD gives it back as it undoes itself. Free space there, or " +
      'point "stateDir" at a file system with room',
  );
}

/** ConnectPodAtL3 with the lease (undone by the DisconnectPod connectL2 registered). */
async function connectL3(attaching: Attaching): Promise<void> {
  const lease = attaching.state.lease;
  if (lease === null) throw new Error("connectL3 runs after startDhcp has a lease");
  const started = performance.now();
  await attaching.session.call("RPCServer.ConnectPodAtL3", {
    pod: attaching.pod,
    podInterface: podInterfaceOf(attaching.ctx.ifname, attaching.ctx.netns, attaching.state.mac),
    ...l3Fields(lease),
  });
  attaching.timings.l3Ms = ms(started);
}

/**
 * The config's routingPolicy once the address is in place (nothing without one, or for an
 * L2-only attachment); its release is registered first.
 */
async function routing(attaching: Attaching, l2: ConnectPodAtL2Result): Promise<void> {
  const { ctx, deps, undo, state } = attaching;
  const hostEnd = hostEndOf(resultInterfaces(l2, ctx.ifname, ctx.netns));
  await addRoutingPolicy(deps.runner, ctx, undo, { hostEnd, lease: state.lease });
}

/** The state file, phase "ready": ADD succeeded. */
async function ready(attaching: Attaching): Promise<void> {
  attaching.state = { ...attaching.state, phase: "ready", updatedAt: isoTime() };
  await writeState(attaching.paths.state, attaching.state);
}
