/**
 * Keeps one dnsmasq running per local NI: starts them, restarts one that dies (with a
 * growing pause so a broken config does not spin), restarts one whose config changed on
 * reload (dnsmasq re-reads dhcp-host lines from its main config only on a restart), and
 * stops them all on exit. One left running by a previous run that was killed is found by its
 * pid file and stopped before ours starts (startDnsmasq), so a crash never leaves two; on the
 * first sync, so is one of an NI the config no longer has (removed while we were down).
 */
import { type Daemon, type Runner, startDnsmasq, stopLeftoverDnsmasq } from "../../netns/mod.ts";
import {
  type DnsmasqPaths,
  dnsmasqPaths,
  niOfDnsmasqPidFile,
  renderNiDnsmasqConfig,
} from "./dnsmasq_config.ts";
import type { Config, LocalNi } from "./model.ts";

const RESTART_PAUSE_MS = [200, 500, 1000, 2000, 5000];

interface Instance {
  ni: LocalNi;
  paths: DnsmasqPaths;
  confText: string;
  daemon: Daemon | null;
  restarts: number;
  /** Set when we stop it on purpose, so the watch does not bring it back. */
  retired: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface DnsmasqStatus extends DnsmasqPaths {
  readonly networkInstance: string;
  readonly pid: number | null;
  readonly running: boolean;
  readonly restarts: number;
}

export class DnsmasqSupervisor {
  readonly #instances = new Map<string, Instance>();
  #closed = false;
  #sweptLeftovers = false;

  constructor(
    private readonly runner: Runner,
    private readonly stateDir: string,
    private readonly log: (message: string) => void,
  ) {}

  /** Makes the running set match `config`'s local NIs. */
  async sync(config: Config): Promise<void> {
    const wanted = config.networkInstances.filter((ni): ni is LocalNi => ni.type === "local");
    const wantedNames = new Set(wanted.map((ni) => ni.name));
    if (!this.#sweptLeftovers) {
      this.#sweptLeftovers = true;
      await this.#stopLeftoversOfRemovedNis(wantedNames);
    }
    for (const [name, instance] of this.#instances) {
      if (!wantedNames.has(name)) {
        await this.#retire(instance);
        this.#instances.delete(name);
      }
    }
    for (const ni of wanted) {
      const paths = dnsmasqPaths(this.stateDir, ni);
      const confText = renderNiDnsmasqConfig(config, ni, paths);
      const existing = this.#instances.get(ni.name);
      if (existing && existing.confText === confText && existing.daemon) continue;
      if (existing) await this.#retire(existing);
      await Deno.writeTextFile(paths.confPath, confText);
      const instance: Instance = {
        ni,
        paths,
        confText,
        daemon: null,
        restarts: 0,
        retired: false,
        timer: undefined,
      };
      this.#instances.set(ni.name, instance);
      await this.#start(instance);
    }
  }

  /**
   * A killed earlier run may have left a dnsmasq for an NI that is gone from the config now:
   * nothing else would ever stop it (its pid file names it; stopLeftoverDnsmasq checks /proc
   * so a recycled pid is left alone).
   */
  async #stopLeftoversOfRemovedNis(wantedNames: ReadonlySet<string>): Promise<void> {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(this.stateDir)) {
        const name = niOfDnsmasqPidFile(entry.name);
        if (entry.isFile && name !== undefined && !wantedNames.has(name)) names.push(name);
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const name of names) {
      const paths = dnsmasqPaths(this.stateDir, { name });
      const stopped = await stopLeftoverDnsmasq({
        confPath: paths.confPath,
        pidPath: paths.pidFile,
      });
      await Deno.remove(paths.pidFile).catch(() => {});
      if (stopped !== undefined) {
        this.log(`Stopped dnsmasq pid ${stopped} of removed NI ${name}, left by an earlier run`);
      }
    }
  }

  async #start(instance: Instance): Promise<void> {
    const daemon = await startDnsmasq(this.runner, {
      confPath: instance.paths.confPath,
      pidPath: instance.paths.pidFile,
    });
    instance.daemon = daemon;
    if (daemon.replacedPid !== null) {
      // Only a crash of ours leaves one running (we stop our children on every other exit).
      this.log(
        `Stopped dnsmasq pid ${daemon.replacedPid} of ${instance.ni.name}, left by an earlier run`,
      );
    }
    this.log(`dnsmasq for ${instance.ni.name} running as pid ${daemon.pid}`);
    daemon.exited.then((status) => {
      if (instance.retired || this.#closed) return;
      instance.daemon = null;
      const pause = RESTART_PAUSE_MS[Math.min(instance.restarts, RESTART_PAUSE_MS.length - 1)]!;
      this.log(`dnsmasq for ${instance.ni.name} exited (${status.code}); restart in ${pause} ms`);
      instance.timer = setTimeout(() => {
        instance.timer = undefined;
        if (instance.retired || this.#closed) return;
        instance.restarts++;
        this.#start(instance).catch((error) => {
          this.log(`dnsmasq for ${instance.ni.name} did not restart: ${error}`);
          // Try again later: the watch must not give up while the daemon runs.
          instance.timer = setTimeout(() => {
            instance.timer = undefined;
            if (!instance.retired && !this.#closed) {
              this.#start(instance).catch((e) => this.log(String(e)));
            }
          }, RESTART_PAUSE_MS.at(-1));
        });
      }, pause);
    });
  }

  async #retire(instance: Instance): Promise<void> {
    instance.retired = true;
    if (instance.timer !== undefined) clearTimeout(instance.timer);
    const daemon = instance.daemon;
    instance.daemon = null;
    if (daemon) await stopChild(daemon);
  }

  status(): DnsmasqStatus[] {
    return [...this.#instances.values()].map((i) => ({
      networkInstance: i.ni.name,
      ...i.paths,
      pid: i.daemon?.pid ?? null,
      running: i.daemon !== null,
      restarts: i.restarts,
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#instances.values()].map((i) => this.#retire(i)));
    this.#instances.clear();
  }
}

/**
 * Stops a dnsmasq we spawned through its child handle (SIGTERM, then SIGKILL after 2 s)
 * and waits for it. Signalling our own child needs no /proc access, which Deno denies
 * without --allow-all, so this works under the launcher's narrower permissions too.
 */
async function stopChild(daemon: Daemon): Promise<void> {
  const signal = (name: Deno.Signal) => {
    try {
      daemon.child.kill(name);
    } catch {
      // Already exited.
    }
  };
  signal("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gone = await Promise.race([
    daemon.exited.then(() => true),
    new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 2000)),
  ]);
  clearTimeout(timer);
  if (!gone) signal("SIGKILL");
  await daemon.exited;
}
