/**
 * Snapshot tests of the human output: a Snapshot captured from a live node with faults
 * (tests/fixtures/eve_cni_debug/snapshot_faults.json, made by
 * tests/eve_cni_debug_capture_snapshot.ts) goes through the pure chain/doctor/render
 * functions, and the text must match the stored .txt files beside it.
 * `UPDATE_SNAPSHOTS=1 deno test -A cli/eve-cni-debug/snapshot_test.ts` rewrites them.
 * The --json models are validated by their valibot schemas on the way.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { buildChains, ChainSchema, selectChains } from "./chain.ts";
import { type DoctorModel, DoctorModelSchema, formatDoctor } from "./cmd_doctor.ts";
import { doctorFindings } from "./findings.ts";
import { formatChains, formatPodsTable } from "./format_chains.ts";
import { formatStatus, type StatusModel, StatusModelSchema, statusProblems } from "./cmd_status.ts";
import { type CheckModel, CheckModelSchema, formatCheck } from "./cmd_check.ts";
import type { Snapshot } from "./snapshot.ts";
import { PodsModelSchema, podsOutcome, showOutcome } from "./cmd_pods.ts";
import { doctorExitCode } from "./cmd_doctor.ts";
import { ExitCode, VerdictError } from "./exit_codes.ts";

const FIXTURES = new URL("../../tests/fixtures/eve_cni_debug/", import.meta.url);
const UPDATE = Deno.env.get("UPDATE_SNAPSHOTS") === "1";

async function matchSnapshot(name: string, actual: string): Promise<void> {
  const url = new URL(`${name}.txt`, FIXTURES);
  if (UPDATE) {
    await Deno.writeTextFile(url, actual + "\n");
    return;
  }
  const expected = await Deno.readTextFile(url);
  assert.equal(
    actual + "\n",
    expected,
    `snapshot ${name}.txt differs (UPDATE_SNAPSHOTS=1 to accept)`,
  );
}

async function loadSnapshot(): Promise<Snapshot> {
  return JSON.parse(await Deno.readTextFile(new URL("snapshot_faults.json", FIXTURES))) as Snapshot;
}

Deno.test("snapshot: pods table and chains of a node with faults", async () => {
  const s = await loadSnapshot();
  const chains = v.parse(v.array(ChainSchema), buildChains(s));
  assert.deepEqual(chains.map((c) => [c.podName, c.ok]), [
    ["nginx-1a2b3-x7k2p", false],
    ["old-pod", false],
    ["redis-2b3c4-abcde", true],
  ]);
  assert.ok(chains[0]!.problems.includes('host veth nbu1x1: master is "bn2", expected "bn1"'));
  await matchSnapshot("pods", formatPodsTable(chains, s.zedrouter));
  await matchSnapshot(
    "show_nginx",
    formatChains(selectChains(chains, "nginx-1a2b3-x7k2p"), s.zedrouter),
  );
  // A container ID selects the same chain as the pod name.
  assert.deepEqual(selectChains(chains, "c0ffeepod1"), selectChains(chains, "nginx-1a2b3-x7k2p"));
  // The --json of pods and show, exactly as the schema says (strict: the shape is ours).
  const pods = v.parse(PodsModelSchema, podsOutcome(s).model);
  assert.deepEqual(pods.zedrouter, s.zedrouter);
  assert.equal(pods.chains.length, 3);
  const show = showOutcome(s, "nginx-1a2b3-x7k2p");
  assert.deepEqual(v.parse(PodsModelSchema, show.model).chains.map((c) => c.podName), [
    "nginx-1a2b3-x7k2p",
  ]);
  assert.equal(show.exitCode, ExitCode.ProblemsFound);
});

Deno.test("snapshot: doctor findings of a node with faults", async () => {
  const s = await loadSnapshot();
  const findings = doctorFindings(s);
  const model: DoctorModel = v.parse(DoctorModelSchema, {
    zedrouter: s.zedrouter,
    findings: findings.map((f) => ({ ...f, fixed: null })),
    fixApplied: false,
    remaining: findings,
  });
  assert.deepEqual(model.findings.map((f) => f.kind).sort(), ["orphan-state-file", "orphan-veth"]);
  await matchSnapshot("doctor", formatDoctor(model));
});

Deno.test("snapshot: a clean node and a node without zedrouter", async () => {
  const s = await loadSnapshot();
  const clean: Snapshot = {
    ...s,
    hostLinks: s.hostLinks.map((l) => l.name === "nbu1x1" ? { ...l, master: "bn1" } : l)
      .filter((l) => l.name !== "nbu9x9"),
    eveBridge: {
      ...s.eveBridge,
      records: s.eveBridge.records.filter((r) => r.containerId !== "deadbeef"),
    },
  };
  assert.ok(
    buildChains(clean).every((c) => c.ok),
    JSON.stringify(buildChains(clean).map((c) => c.problems)),
  );
  assert.deepEqual(doctorFindings(clean), []);
  const none: Snapshot = {
    ...s,
    zedrouter: {
      reachable: false,
      source: "none",
      note: 'Cannot connect to "/run/zedrouter/rpc.sock": no such socket (is zedrouter running?)',
    },
    networkInstances: [],
    apps: [],
    attachments: [],
    dnsmasq: [],
    eveBridge: { ...s.eveBridge, records: [] },
  };
  await matchSnapshot("pods_no_zedrouter", formatPodsTable(buildChains(none), none.zedrouter));
  // With no zedrouter view, veths on bridges are not called orphans.
  assert.deepEqual(doctorFindings(none), []);
  // ...and the doctor says what it could not check instead of claiming a clean node (exit 3).
  const blind: DoctorModel = v.parse(DoctorModelSchema, {
    zedrouter: none.zedrouter,
    findings: [],
    fixApplied: false,
    remaining: [],
  });
  assert.equal(doctorExitCode(blind), ExitCode.ZedrouterUnreachable);
  // A state file whose pod netns is gone may still be what eve-bridge's DEL needs to tell
  // zedrouter: without zedrouter's view it is reported, never removed by --fix.
  const orphans = doctorFindings({ ...none, eveBridge: s.eveBridge })
    .filter((f) => f.kind === "orphan-state-file");
  assert.deepEqual(orphans.map((f) => [f.subject.endsWith("/deadbeef/net1.json"), f.fix]), [
    [true, null],
  ]);
  assert.match(orphans[0]!.message, /zedrouter could not be asked/);
  const text = formatDoctor(blind);
  assert.doesNotMatch(text, /^No leaks or drift found$/m);
  await matchSnapshot("doctor_no_zedrouter", text);
});

Deno.test("snapshot: check and status from fixed models", async () => {
  const s = await loadSnapshot();
  const chain = selectChains(buildChains(s), "nginx-1a2b3-x7k2p")[0]!;
  const check: CheckModel = v.parse(CheckModelSchema, {
    pod: "nginx-1a2b3-x7k2p",
    ok: false,
    results: [{
      rpc: {
        ok: false,
        unreachable: false,
        appUuid: null,
        usesDhcp: null,
        error:
          "pod interface net1 of app 1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d is not fully configured",
      },
      chain,
    }],
    note: null,
  });
  await matchSnapshot("check_nginx", formatCheck(check));
  const status: StatusModel = v.parse(StatusModelSchema, {
    zedrouter: {
      socket: "/run/zedrouter/rpc.sock",
      exists: true,
      isSocket: true,
      probes: [
        { dialect: "go", answered: true, rttMs: 0.8, server: "fake-zedrouter 0.1.0", error: null },
        {
          dialect: "jsonrpc2",
          answered: true,
          rttMs: 0.6,
          server: "fake-zedrouter 0.1.0",
          error: null,
        },
      ],
    },
    tools: [
      { name: "ip", found: true, version: "6.1.0" },
      { name: "nsenter", found: true, version: "2.38.1" },
      { name: "udhcpc", found: false, version: null },
      { name: "dnsmasq", found: true, version: "2.90" },
    ],
    cniPath: ["/opt/cni/bin", "/usr/lib/cni"],
    cniPathFrom: "default",
    cniPathMissing: [],
    plugins: [
      { dir: "/usr/lib/cni", name: "bridge", supportedVersions: ["0.4.0", "1.0.0"], error: null },
      { dir: "/usr/lib/cni", name: "host-local", supportedVersions: ["1.0.0"], error: null },
      {
        dir: "/opt/cni/bin",
        name: "README",
        supportedVersions: null,
        error: "not a CNI plugin (exit 126)",
      },
    ],
    logFile: {
      path: "/persist/kubelog/eve-bridge.log",
      exists: true,
      sizeBytes: 2048,
      modifiedAt: "2026-11-23T10:00:00.000Z",
    },
    stateDir: { path: "/run/eve-bridge", exists: true, files: 2 },
    problems: ["tool udhcpc is not installed"],
  });
  await matchSnapshot("status", formatStatus(status));

  // A hole in a CNI_PATH someone set is a problem; in our two-layout default it is expected.
  const holed = (cniPathFrom: StatusModel["cniPathFrom"]) =>
    statusProblems({ ...status, cniPathFrom, cniPathMissing: ["/opt/cni/bin"] });
  assert.deepEqual(holed("CNI_PATH").filter((p) => p.startsWith("CNI_PATH directory")), [
    "CNI_PATH directory /opt/cni/bin (from $CNI_PATH) does not exist: remove it from " +
    "$CNI_PATH, or install the CNI plugins there",
  ]);
  assert.equal(holed("--cni-path").filter((p) => p.includes("/opt/cni/bin")).length, 1);
  assert.deepEqual(holed("default"), ["tool udhcpc is not installed"]);
});

Deno.test("chains: no DHCP on an air-gapped NI; a VMI has no lease or client of ours", async () => {
  const s = await loadSnapshot();
  const airgapped: Snapshot = {
    ...s,
    attachments: s.attachments.map((a) => ({ ...a, usesDhcp: false })),
  };
  for (const c of buildChains(airgapped).filter((c) => c.bridge !== null)) {
    assert.deepEqual(
      c.links.filter((l) => l.step.startsWith("dhcp")).map((l) => l.status),
      ["n/a", "n/a", "n/a"],
    );
  }
  const vmiName = "virt-launcher-redis-2b3c4-zzzzz";
  const leaseFree: Snapshot = {
    ...s,
    attachments: s.attachments.map((a) =>
      a.podName.startsWith("redis") ? { ...a, podName: vmiName } : a
    ),
    apps: s.apps.map((a) => a.name === "redis" ? { ...a, boundPod: vmiName } : a),
    dnsmasq: s.dnsmasq.map((d) => ({
      ...d,
      leases: d.leases.filter((l) => l.mac !== "02:16:3e:77:00:02"),
    })),
  };
  const vmi = buildChains(leaseFree).find((c) => c.podName === vmiName)!;
  assert.equal(vmi.ok, true, vmi.problems.join("; "));
  assert.equal(
    vmi.links.find((l) => l.step === "dhcp-lease")?.detail,
    "none (the VM runs DHCP itself)",
  );
  assert.equal(vmi.links.find((l) => l.step === "dhcp-client")?.status, "n/a");
});

Deno.test("doctor: only zedrouter-named veths are fixable; an NI's port is never an orphan", async () => {
  const s = await loadSnapshot();
  const orphan = s.hostLinks.find((l) => l.name === "nbu9x9")!;
  const withStrangers: Snapshot = {
    ...s,
    networkInstances: s.networkInstances.map((n) =>
      n.bridge === "bn1" ? { ...n, port: "uplink0" } : n
    ),
    hostLinks: [
      ...s.hostLinks,
      { ...orphan, index: 90, name: "vethcafe" },
      { ...orphan, index: 91, name: "uplink0" },
    ],
  };
  const veths = doctorFindings(withStrangers).filter((f) => f.kind === "orphan-veth");
  assert.deepEqual(veths.map((f) => [f.subject, f.fix?.action ?? null]), [
    ["nbu9x9", "delete-link"],
    ["vethcafe", null],
  ]);
});

Deno.test("snapshot: show of an unknown pod or interface is a problem found, naming it", async () => {
  const s = await loadSnapshot();
  const verdict = (pod: string, ifname: string | undefined, snapshot = s) => {
    try {
      showOutcome(snapshot, pod, ifname);
    } catch (error) {
      if (error instanceof VerdictError) return [error.exitCode, error.message];
      throw error;
    }
    assert.fail(`show ${pod} ${ifname ?? ""} found an attachment`);
  };
  assert.deepEqual(verdict("no-such-pod", undefined), [
    ExitCode.ProblemsFound,
    'No attachment of pod "no-such-pod": neither zedrouter nor eve-bridge\'s state has one; ' +
    'see "eve-cni-debug pods" for the pods that do',
  ]);
  assert.deepEqual(verdict("nginx-1a2b3-x7k2p", "net9"), [
    ExitCode.ProblemsFound,
    'No attachment of pod "nginx-1a2b3-x7k2p" interface "net9": neither zedrouter nor ' +
    'eve-bridge\'s state has one; see "eve-cni-debug pods" for the pods that do',
  ]);
  // Without any zedrouter view the pod may well be attached: that is "unreachable", not 1.
  const none: Snapshot = {
    ...s,
    zedrouter: { reachable: false, source: "none", note: "no socket" },
    attachments: [],
  };
  const [code, message] = verdict("no-such-pod", undefined, none);
  assert.equal(code, ExitCode.ZedrouterUnreachable);
  assert.match(
    String(message),
    /in eve-bridge's state, and zedrouter could not be asked \(no socket\)/,
  );
});
