/**
 * On start, the state file meets the kernel: attachments whose host veth is gone (the pod
 * died, or the node rebooted) are dropped, and `nbu*` veths nobody recorded (a crash
 * between creating a veth and saving the state) are deleted. Everything else survives a
 * restart untouched, so a DisconnectPod after a restart finds what ConnectPodAtL2 made.
 */
import { deleteLink, listLinks } from "../../netns/mod.ts";
import { isHostVethName } from "../../core/eve/mod.ts";
import type { StateStore } from "./state.ts";
import type { Kernel } from "./kernel.ts";

export interface ReconcileReport {
  readonly kept: number;
  readonly dropped: readonly string[];
  readonly orphansDeleted: readonly string[];
}

export async function reconcileWithKernel(
  kernel: Kernel,
  state: StateStore,
): Promise<ReconcileReport> {
  const links = await listLinks(kernel.runner, kernel.host);
  const present = new Set(links.map((l) => l.name));
  const dropped: string[] = [];
  const recorded = new Set<string>();
  for (const [key, a] of Object.entries(state.current.attachments)) {
    if (present.has(a.hostIfName)) recorded.add(a.hostIfName);
    else dropped.push(key);
  }
  if (dropped.length > 0) {
    await state.update((s) => {
      for (const key of dropped) delete s.attachments[key];
    });
  }
  const orphans = links.filter((l) =>
    l.kind === "veth" && isHostVethName(l.name) && !recorded.has(l.name)
  );
  for (const orphan of orphans) await deleteLink(kernel.runner, kernel.host, orphan.name);
  return { kept: recorded.size, dropped, orphansDeleted: orphans.map((l) => l.name) };
}
