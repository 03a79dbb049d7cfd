/**
 * Pods and the runtime side: a pod is a network namespace plus the identity Kubernetes gives
 * it (name after EVE's rules, namespace, uid, sandbox container id), and `cni()` runs one
 * CNI operation through libcni (cnidrive) inside the node namespace with CNI_ARGS exactly as
 * Multus sends them, so conflist parsing, prevResult chaining and the result cache are the
 * real runtime's.
 */
import { EVE_APP_NAMESPACE, kubeName, VMI_POD_PREFIX } from "../../core/eve/mod.ts";
import { netnsInode, systemRunner } from "../../netns/mod.ts";
import type { SandboxNetns } from "./sandbox.ts";
import type { E2eNode } from "./node.ts";

export interface E2ePod {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  /** The pod sandbox's container id (64 hex, as containerd makes them). */
  readonly containerId: string;
  readonly netns: SandboxNetns;
  /** The netns inode, recorded at creation (identifies the pod's processes after deletion). */
  readonly netnsInode: number;
}

export interface CniRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Attachment {
  /** `eth0`, `net1`, ... */
  ifname: string;
  /** The conflist file (primary or a NAD's). */
  conflist: string;
  /** The MAC the pod's network annotation asks for (Multus passes it as CNI_ARGS MAC). */
  mac?: string;
  /** CNI_PATH for this attachment when it is not the node's (extra plugins such as flannel). */
  path?: string;
}

/** Kubernetes' random-suffix alphabet (no vowels, no look-alikes). */
const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return Array.from(bytes, (b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join("");
}

function hex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** EVE's pod name of an app: `<kubeName>-<5>`, or `virt-launcher-<kubeName>-<5>` for a VMI. */
export function podNameFor(app: { name: string; uuid: string }, vmi = false): string {
  const name = `${kubeName(app.name, app.uuid)}-${randomSuffix()}`;
  return vmi ? `${VMI_POD_PREFIX}${name}` : name;
}

export interface PodOptions {
  /** A VMI's launcher pod (`virt-launcher-<kubeName>-<5>`). */
  vmi?: boolean;
  /** The Kubernetes namespace (default EVE's app namespace). */
  namespace?: string;
  /** The pod's name when it is not named after the app (a CDI upload pod, coredns...). */
  name?: string;
}

/** A pod of `app` with its own namespace `<prefix>-<role>` in the node's sandbox. */
export async function createPod(
  node: E2eNode,
  role: string,
  app: { name: string; uuid: string },
  options: PodOptions = {},
): Promise<E2ePod> {
  const netns = await node.sb.netns(role);
  const inode = await netnsInode(netns.path);
  if (inode === undefined) throw new Error(`Cannot stat the namespace of pod "${role}"`);
  return {
    name: options.name ?? podNameFor(app, options.vmi ?? false),
    namespace: options.namespace ?? EVE_APP_NAMESPACE,
    uid: crypto.randomUUID(),
    containerId: hex(32),
    netns,
    netnsInode: inode,
  };
}

/** CNI_ARGS as Multus sends them (MAC only when the network annotation asks for one). */
export function multusArgs(pod: E2ePod, mac?: string): string {
  return [
    "IgnoreUnknown=true",
    `K8S_POD_NAMESPACE=${pod.namespace}`,
    `K8S_POD_NAME=${pod.name}`,
    `K8S_POD_INFRA_CONTAINER_ID=${pod.containerId}`,
    `K8S_POD_UID=${pod.uid}`,
    ...(mac ? [`MAC=${mac}`] : []),
  ].join(";");
}

export type CniOp = "add" | "check" | "del";

/** The argv of one cnidrive run inside the node namespace. */
export function cnidriveArgv(
  cnidrive: string,
  node: E2eNode,
  op: CniOp,
  pod: E2ePod,
  attachment: Attachment,
): string[] {
  return [
    "nsenter",
    `--net=${node.ns.path}`,
    cnidrive,
    "-op",
    op,
    "-conf",
    attachment.conflist,
    "-netns",
    pod.netns.path,
    "-if",
    attachment.ifname,
    "-id",
    pod.containerId,
    "-args",
    multusArgs(pod, attachment.mac),
    "-path",
    attachment.path ?? node.cniPath,
    "-cache",
    node.cacheDir,
  ];
}

/** One CNI operation through libcni, as the runtime (or Multus for a NAD) runs it. */
export function cni(
  cnidrive: string,
  node: E2eNode,
  op: CniOp,
  pod: E2ePod,
  attachment: Attachment,
): Promise<CniRun> {
  return systemRunner(cnidriveArgv(cnidrive, node, op, pod, attachment));
}

/** cni() that must succeed; returns the parsed result of ADD (or the ack of CHECK/DEL). */
export async function cniOk(
  cnidrive: string,
  node: E2eNode,
  op: CniOp,
  pod: E2ePod,
  attachment: Attachment,
): Promise<CniResultJson> {
  const run = await cni(cnidrive, node, op, pod, attachment);
  if (run.code !== 0) {
    throw new Error(
      `CNI ${op.toUpperCase()} of ${pod.name} ${attachment.ifname} failed (exit ${run.code}): ` +
        `${run.stderr.trim()}${await logTail(node)}`,
    );
  }
  return JSON.parse(run.stdout) as CniResultJson;
}

/** The last lines of eve-bridge's log, for failure messages. */
export async function logTail(node: E2eNode, lines = 15): Promise<string> {
  const text = await Deno.readTextFile(node.logFile).catch(() => "");
  const tail = text.trim().split("\n").slice(-lines).join("\n");
  return tail ? `\n--- eve-bridge log (tail) ---\n${tail}` : "";
}

/** The CNI result fields the tests look at. */
export interface CniResultJson {
  cniVersion?: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  dns?: { nameservers?: string[] };
}
