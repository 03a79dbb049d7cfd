/**
 * netns/: the only code that spawns processes (iproute2, nsenter, sysctl, udhcpc, dnsmasq).
 * Every short command goes through a Runner; daemons through process.ts. A daemon that runs
 * ip commands per request uses ipPoolRunner (a few long-lived ips, not a spawn per command);
 * runIpBatch/readIpBatch send many commands through one short-lived ip.
 */
export {
  classifyStderr,
  CommandError,
  type CommandErrorKind,
  EXIT_NOT_EXECUTABLE,
  EXIT_TIMED_OUT,
  isCommandError,
  recordingRunner,
  runChecked,
  type Runner,
  type RunOptions,
  type RunResult,
  systemRunner,
} from "./runner.ts";
export { libcRunner } from "./libc_runner.ts";
export {
  type IpPoolOptions,
  type IpPoolRunner,
  ipPoolRunner,
  type IpPoolStats,
} from "./ip_pool.ts";
export { loadProcessSupport, spawn, type SpawnOutput } from "./spawn.ts";
export {
  bridgeArgv,
  describeNetns,
  execArgv,
  ipArgv,
  type Netns,
  NETNS_RUN_DIR,
  netnsPath,
} from "./target.ts";
export {
  createNetns,
  deleteNetns,
  listNetns,
  netnsExists,
  netnsInode,
  ownNetnsPath,
} from "./namespaces.ts";
export {
  createVethPair,
  createVethPairFromPeer,
  deleteLink,
  disableTxChecksumOffload,
  ensureBridge,
  getLink,
  type Link,
  listBridgePorts,
  listLinks,
  parseLinks,
  setLinkDown,
  setLinkUp,
  setMac,
  setMacCommand,
  setMaster,
  setMtu,
  type VethPairOptions,
} from "./links.ts";
export {
  addAddr,
  type AddressInfo,
  delAddr,
  flushAddrs,
  listAddrs,
  parseAddrs,
} from "./addresses.ts";
export {
  addRoute,
  checkTable,
  delRoute,
  listRoutes,
  parseRoutes,
  replaceRoute,
  routeCommand,
  type RouteInfo,
  type RouteQuery,
  type RouteSpec,
} from "./routes.ts";
export {
  addSourceRule,
  delSourceRule,
  listRules,
  parseRules,
  type RuleInfo,
  sourceRuleCommand,
  type SourceRuleSpec,
} from "./rules.ts";
export {
  delNeighbour,
  delNeighbourCommand,
  listNeighbours,
  type NeighbourInfo,
  type NeighbourSpec,
  parseNeighbours,
  permanentNeighbourCommand,
  setPermanentNeighbour,
} from "./neighbours.ts";
export { type IpCommand, readIpBatch, runIpBatch } from "./ip_batch.ts";
export {
  addFloodPeer,
  createVxlan,
  deleteFloodPeer,
  type FdbEntry,
  FLOOD_MAC,
  getVxlan,
  listFdb,
  listFloodPeers,
  type VxlanInfo,
  type VxlanSpec,
} from "./vxlan.ts";
export { getSysctl, getSysctls, interfaceSysctlKey, setSysctl, setSysctls } from "./sysctl.ts";
export {
  type Daemon,
  type DaemonOptions,
  type DetachedDaemon,
  isAlive,
  readPidFile,
  signalPid,
  spawnDaemon,
  startDetachedDaemon,
  stopPid,
  waitGone,
} from "./process.ts";
export {
  type DhcpEvent,
  type Lease,
  leaseFromEvent,
  parseDhcpEvents,
  readDhcpEvents,
  UDHCPC_HOOK_SCRIPT,
  waitForDhcpEvent,
  writeUdhcpcHookScript,
} from "./dhcp_events.ts";
export {
  acquireLease,
  type AcquireOptions,
  type DhcpClientIdentity,
  type DhcpClientOptions,
  releaseDhcpClient,
  releaseLease,
  type ReleaseOptions,
  renewDhcpClient,
  startDhcpClient,
} from "./udhcpc.ts";
export {
  type DhcpHost,
  type DhcpOption,
  type DhcpRange,
  type DnsmasqConfigOptions,
  type DnsmasqLease,
  parseDnsmasqLeases,
  readDnsmasqLeases,
  renderDnsmasqConfig,
  startDnsmasq,
  type StartDnsmasqOptions,
  stopDnsmasq,
  stopLeftoverDnsmasq,
} from "./dnsmasq.ts";
export {
  type InterfaceView,
  readInterfaceView,
  readRoutingView,
  type RoutingView,
} from "./routing_view.ts";
export {
  addOvsPort,
  deleteOvsBridge,
  deleteOvsPort,
  ensureOvsBridge,
  getOvsPort,
  listOvsPorts,
  ovsBridgeExists,
  type OvsDatapathType,
  type OvsDb,
  type OvsPortFacts,
  type OvsPortVlan,
  ovsVsctlArgv,
} from "./ovs.ts";
export { OVS_SCHEMA, type OvsDaemons, startOvsDaemons } from "./ovs_daemons.ts";
export {
  addTrunkVlans,
  bridgeVlanSupport,
  DEFAULT_PVID,
  enableVlanFiltering,
  setAccessVlan,
} from "./bridge_vlan.ts";
