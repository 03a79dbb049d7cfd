/**
 * scripts/sandbox/: a throwaway EVE node on this machine, the one `./run demo` narrates and
 * the root-only and end-to-end tests run on. `withSandbox` owns every namespace (`evetest-*`)
 * and process it makes and removes them when it ends; `startNode` runs the BUILT
 * fake-zedrouter in a node namespace with the CNI configs of a real node; `createPod` and
 * `cni` attach pods through libcni (cnidrive) as kubelet and Multus do; `findLeaks` says what
 * a run left behind.
 */
export * from "./sandbox.ts";
export * from "./node.ts";
export * from "./pod.ts";
export * from "./leaks.ts";
export * from "./paths.ts";
export * from "./processes.ts";
export * from "./zedrouter.ts";
export * from "./upstream_dnsmasq.ts";
