/**
 * A pod's whole network life as kubelet + Multus run it: ADD the primary network (eth0) and
 * then each NetworkAttachmentDefinition in order; CHECK every attachment; DEL them in
 * reverse. Each step is one libcni invocation (cnidrive) inside the node namespace.
 */
import {
  type Attachment,
  cni,
  cniOk,
  type CniResultJson,
  type E2ePod,
} from "../../scripts/sandbox/pod.ts";
import type { E2eNode } from "../../scripts/sandbox/node.ts";

/** eth0 on the node's primary conflist. */
export function eth0(node: E2eNode): Attachment {
  return { ifname: "eth0", conflist: node.primaryConflist };
}

/** `netN` on the NAD of a network instance, with the adapter MAC from the pod annotation. */
export function netX(node: E2eNode, ifname: string, niName: string, mac?: string): Attachment {
  return { ifname, conflist: node.nad(niName), ...(mac ? { mac } : {}) };
}

export interface AttachedPod {
  pod: E2ePod;
  attachments: Attachment[];
  /** The ADD result of each attachment, by ifname. */
  results: Map<string, CniResultJson>;
}

/** ADD every attachment in order; on a failure, DEL what was added (as Multus does) and throw. */
export async function attach(
  cnidrive: string,
  node: E2eNode,
  pod: E2ePod,
  attachments: Attachment[],
): Promise<AttachedPod> {
  const results = new Map<string, CniResultJson>();
  const done: Attachment[] = [];
  try {
    for (const attachment of attachments) {
      results.set(attachment.ifname, await cniOk(cnidrive, node, "add", pod, attachment));
      done.push(attachment);
    }
  } catch (error) {
    for (const attachment of done.reverse()) await cni(cnidrive, node, "del", pod, attachment);
    throw error;
  }
  return { pod, attachments, results };
}

export async function checkAll(
  cnidrive: string,
  node: E2eNode,
  attached: AttachedPod,
): Promise<void> {
  for (const attachment of attached.attachments) {
    await cniOk(cnidrive, node, "check", attached.pod, attachment);
  }
}

/** DEL every attachment in reverse order; each DEL must succeed. */
export async function detach(
  cnidrive: string,
  node: E2eNode,
  attached: AttachedPod,
): Promise<void> {
  for (const attachment of [...attached.attachments].reverse()) {
    await cniOk(cnidrive, node, "del", attached.pod, attachment);
  }
}
