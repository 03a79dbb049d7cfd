import assert from "node:assert/strict";
import { formatLogLine, matches, parseLog, parseTimeBound } from "./log_entries.ts";

const line = (at: string, level: string, message: string, props: Record<string, unknown>) =>
  JSON.stringify({ "@timestamp": at, level, message, logger: "eve-bridge", properties: props });
const inv = (command: string, containerID: string, podName: string) => ({
  command,
  containerID,
  ifname: "net1",
  podNamespace: "eve-kube-app",
  podName,
});

const LOG = [
  line("2026-11-23T10:00:00.000Z", "DEBUG", 'Started "ADD"', {
    ...inv("ADD", "aaa111", "nginx-1a2b3-x7k2p"),
    durationMs: 2,
  }),
  line("2026-11-23T10:00:00.040Z", "DEBUG", "ConnectPodAtL2", {
    ...inv("ADD", "aaa111", "nginx-1a2b3-x7k2p"),
    durationMs: 40,
  }),
  "not json at all",
  line("2026-11-23T10:00:01.000Z", "INFO", 'Started "DEL"', {
    ...inv("DEL", "bbb222", "redis-2b3c4-abcde"),
    durationMs: 1,
  }),
  line("2026-11-23T10:00:01.500Z", "INFO", 'Finished "ADD"', {
    ...inv("ADD", "aaa111", "nginx-1a2b3-x7k2p"),
    durationMs: 1500,
    outcome: "ok",
  }),
  '{"level":"INFO"}',
].join("\n");

Deno.test("parseLog: fields, per-step durations per invocation, junk counted", () => {
  const { entries, skipped } = parseLog(LOG);
  assert.equal(skipped, 2);
  assert.deepEqual(entries.map((e) => [e.command, e.containerId, e.durationMs, e.stepMs]), [
    ["ADD", "aaa111", 2, 2],
    ["ADD", "aaa111", 40, 38],
    ["DEL", "bbb222", 1, 1],
    ["ADD", "aaa111", 1500, 1460],
  ]);
  assert.deepEqual(entries[3]!.extra, { outcome: "ok" });
});

Deno.test("matches: pod prefix, container prefix, ifname, command (any case), time window", () => {
  const { entries } = parseLog(LOG);
  const pick = (f: Parameters<typeof matches>[1]) =>
    entries.filter((e) => matches(e, f)).map((e) => e.message);
  assert.deepEqual(pick({ pod: "redis" }), ['Started "DEL"']);
  assert.deepEqual(pick({ container: "aaa" }).length, 3);
  assert.deepEqual(pick({ command: "del" }), ['Started "DEL"']);
  assert.deepEqual(pick({ ifname: "net2" }), []);
  const t = (s: string) => Date.parse(s);
  assert.deepEqual(
    pick({ since: t("2026-11-23T10:00:00.040Z"), until: t("2026-11-23T10:00:01.000Z") }),
    [
      "ConnectPodAtL2",
      'Started "DEL"',
    ],
  );
});

Deno.test("parseTimeBound: durations ago and ISO times; junk is undefined", () => {
  const now = new Date("2026-11-23T12:00:00.000Z");
  assert.equal(parseTimeBound("10m", now), Date.parse("2026-11-23T11:50:00.000Z"));
  assert.equal(parseTimeBound("2h", now), Date.parse("2026-11-23T10:00:00.000Z"));
  assert.equal(parseTimeBound("1d", now), Date.parse("2026-11-22T12:00:00.000Z"));
  assert.equal(parseTimeBound("2026-11-23T09:00:00Z", now), Date.parse("2026-11-23T09:00:00Z"));
  assert.equal(parseTimeBound("yesterday", now), undefined);
  assert.equal(parseTimeBound("10x", now), undefined);
});

Deno.test("formatLogLine: one readable line with the step time", () => {
  const { entries } = parseLog(LOG);
  assert.equal(
    formatLogLine(entries[1]!),
    "2026-11-23T10:00:00.040Z DEBUG ADD     aaa111       net1   eve-kube-app/nginx-1a2b3-x7k2p +38ms (40ms) ConnectPodAtL2",
  );
  assert.equal(
    formatLogLine(entries[3]!),
    '2026-11-23T10:00:01.500Z INFO  ADD     aaa111       net1   eve-kube-app/nginx-1a2b3-x7k2p +1460ms (1500ms) Finished "ADD"  {outcome=ok}',
  );
});
