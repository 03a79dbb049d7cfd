/**
 * How fake-zedrouter reaches the kernel: the command runner (netns/) and the namespace where
 * its NI bridges and host veth ends live. Every module that changes or reads links takes one.
 */
import type { Netns, Runner } from "../../netns/mod.ts";

export interface Kernel {
  readonly runner: Runner;
  /** Where the NI bridges and host veth ends live; undefined = our own netns. */
  readonly host: Netns | undefined;
  /**
   * Done with a pod's netns for now (its L3 is applied, or it is disconnected): the runner's
   * ip inside it ends, so a netns the runtime deletes goes at once, with its veths.
   */
  readonly leave?: (ns: { readonly name: string }) => Promise<void>;
}
