/**
 * The zedrouter CNI RPC contract: EVE's four `RPCServer.*` methods with exactly EVE's Go
 * field names, and our read-only `Inspect.*` service for eve-cni-debug. One table,
 * `METHODS`, drives the client, the server dispatch and both wire dialects.
 *
 * Friendly forms use camelCase keys, MACs as `"02:16:3e:00:00:01"`, CIDRs as
 * `"10.11.12.5/24"` and IPs as text; `go_codec.ts` converts to and from Go's encoding.
 * Note EVE's three spellings `useDHCP` / `usedDHCP` / `usesDHCP`: they are the wire's.
 */
import * as v from "valibot";
import {
  field,
  type Friendly,
  goBool,
  goIfName,
  goIp,
  goIpNet,
  goMac,
  goSlice,
  goString,
  goStruct,
  type GoType,
  goUuid,
  optionalField,
} from "./go_types.ts";

/** The service name of EVE's zedrouter RPC server. */
export const EVE_SERVICE = "RPCServer";
/** Our own read-only service (fake-zedrouter only; EVE's zedrouter does not serve it). */
export const INSPECT_SERVICE = "Inspect";
/** Where EVE's zedrouter listens (the library's name for core/eve's DEFAULT_ZEDROUTER_SOCKET). */
export { DEFAULT_ZEDROUTER_SOCKET as DEFAULT_SOCKET_PATH } from "../core/eve/mod.ts";

export const PodType = goStruct({
  name: field("Name", goString()),
  netNsPath: field("NetNsPath", goString()),
  /** Sent by newer EVE clients only. */
  namespace: optionalField("Namespace", goString()),
});
export type Pod = Friendly<typeof PodType>;

export const PodInterfaceType = goStruct({
  name: field("Name", goIfName),
  mac: field("MAC", goMac),
  netNsPath: field("NetNsPath", goString()),
});
export type PodInterface = Friendly<typeof PodInterfaceType>;

/** An interface as zedrouter reports it (bridge, host veth, pod end): name not re-checked. */
export const NetInterfaceType = goStruct({
  name: field("Name", goString()),
  mac: field("MAC", goMac),
  netNsPath: field("NetNsPath", goString()),
});
export type NetInterface = Friendly<typeof NetInterfaceType>;

const podArgsFields = {
  pod: field("Pod", PodType),
  podInterface: field("PodInterface", PodInterfaceType),
  /** NI UUID; sent by newer EVE clients, used to pick the adapter when present. */
  networkInstance: optionalField("NetworkInstance", goUuid),
};

export const IpConfigType = goStruct({
  address: field("Address", goIpNet),
  gateway: field("Gateway", goIp),
});
export type IpConfig = Friendly<typeof IpConfigType>;

export const RouteType = goStruct({
  dst: field("Dst", goIpNet),
  gw: field("GW", goIp),
});
export type Route = Friendly<typeof RouteType>;

export const DnsType = goStruct({
  nameservers: field("Nameservers", goSlice(goString())),
  domain: field("Domain", goString()),
  search: field("Search", goSlice(goString())),
  options: field("Options", goSlice(goString())),
});
export type Dns = Friendly<typeof DnsType>;

export const ConnectPodAtL2ArgsType = goStruct(podArgsFields);
export const ConnectPodAtL2ResultType = goStruct({
  appUUID: field("AppUUID", goUuid),
  useDHCP: field("UseDHCP", goBool),
  interfaces: field("Interfaces", goSlice(NetInterfaceType)),
});
export const ConnectPodAtL3ArgsType = goStruct({
  ...podArgsFields,
  ips: field("IPs", goSlice(IpConfigType)),
  routes: field("Routes", goSlice(RouteType)),
  dns: field("DNS", DnsType),
});
export const ConnectPodAtL3ResultType = goStruct({ appUUID: field("AppUUID", goUuid) });
export const DisconnectPodArgsType = goStruct(podArgsFields);
export const DisconnectPodResultType = goStruct({
  appUUID: field("AppUUID", goUuid),
  usedDHCP: field("UsedDHCP", goBool),
  /**
   * Ours, not EVE's (Go's decoder ignores it; EVE's zedrouter never sends it): what the
   * server did with the lease its DHCP server held for the adapter: "released" (it held one
   * and dropped it), "none" (it held none), "kept" (it could not drop it). Absent: unknown.
   */
  dhcpLease: optionalField("DHCPLease", goString()),
});
export const CheckPodConnectionArgsType = goStruct(podArgsFields);
export const CheckPodConnectionResultType = goStruct({
  appUUID: field("AppUUID", goUuid),
  usesDHCP: field("UsesDHCP", goBool),
});

export type ConnectPodAtL2Args = Friendly<typeof ConnectPodAtL2ArgsType>;
export type ConnectPodAtL2Result = Friendly<typeof ConnectPodAtL2ResultType>;
export type ConnectPodAtL3Args = Friendly<typeof ConnectPodAtL3ArgsType>;
export type ConnectPodAtL3Result = Friendly<typeof ConnectPodAtL3ResultType>;
export type DisconnectPodArgs = Friendly<typeof DisconnectPodArgsType>;
export type DisconnectPodResult = Friendly<typeof DisconnectPodResultType>;
export type CheckPodConnectionArgs = Friendly<typeof CheckPodConnectionArgsType>;
export type CheckPodConnectionResult = Friendly<typeof CheckPodConnectionResultType>;

/**
 * A method of the contract. `go` methods travel Go-encoded in the Go dialect; our own
 * (`go: false`) travel in their friendly form in both dialects, as no Go peer calls them.
 */
export interface MethodSpec<P extends GoType = GoType, R extends GoType = GoType> {
  readonly params: P;
  readonly result: R;
  readonly go: boolean;
  readonly summary: string;
}

function eveMethod<P extends GoType, R extends GoType>(
  params: P,
  result: R,
  summary: string,
): MethodSpec<P, R> {
  return { params, result, go: true, summary };
}

/**
 * Our own read-only methods carry plain JSON: the params and results are described by
 * valibot schemas only (wrapped as a Go "struct" whose fields are not walked).
 */
export function inspectMethod<P extends v.GenericSchema, R extends v.GenericSchema>(
  params: P,
  result: R,
  summary: string,
): MethodSpec<GoType<P>, GoType<R>> {
  return {
    params: { kind: "struct", schema: params },
    result: { kind: "struct", schema: result },
    go: false,
    summary,
  };
}

/** EVE's methods. The Inspect service is added by `inspect_contract.ts`. */
export const EVE_METHODS = {
  "RPCServer.ConnectPodAtL2": eveMethod(
    ConnectPodAtL2ArgsType,
    ConnectPodAtL2ResultType,
    "Create the veth between the NI bridge and the pod, with the adapter's MAC; no IP",
  ),
  "RPCServer.ConnectPodAtL3": eveMethod(
    ConnectPodAtL3ArgsType,
    ConnectPodAtL3ResultType,
    "Apply the DHCP-obtained addresses and routes to the pod interface",
  ),
  "RPCServer.DisconnectPod": eveMethod(
    DisconnectPodArgsType,
    DisconnectPodResultType,
    "Remove the pod's veth (idempotent; a stale pod's late call is ignored)",
  ),
  "RPCServer.CheckPodConnection": eveMethod(
    CheckPodConnectionArgsType,
    CheckPodConnectionResultType,
    "Verify the pod interface is fully configured (read-only)",
  ),
} as const;
