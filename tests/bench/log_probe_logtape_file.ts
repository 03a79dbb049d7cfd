/**
 * log_probe.ts's invocation through @logtape/file's rotating sink, as eve-bridge logged
 * before plugin/cni/logging.ts wrote its lines itself (bufferSize 0, the same rotation), for log_bench.ts.
 */
// What eve-bridge has loaded anyway before it opens its log (core/, the log file policy), so
// only the log's own cost is timed.
import "../../plugin/cni/log_file.ts";
import { FIELDS, LINES, report } from "./log_probe_fields.ts";

const started = performance.now();
const { configure, dispose, getLogger, jsonLinesFormatter } = await import("@logtape/logtape");
const { getRotatingFileSink } = await import("@logtape/file");
const sink = getRotatingFileSink(Deno.args[0]!, {
  maxSize: 10 * 1024 * 1024,
  maxFiles: 3,
  bufferSize: 0,
  formatter: jsonLinesFormatter,
});
await configure({
  reset: true,
  sinks: { main: sink },
  loggers: [
    { category: ["eve-bridge"], sinks: ["main"], lowestLevel: "debug" },
    { category: ["logtape", "meta"], sinks: ["main"], lowestLevel: "warning" },
  ],
});
const logger = getLogger(["eve-bridge"]).with(FIELDS);
for (let i = 0; i < LINES; i++) {
  logger.info("Step {i} done", { i, l2Ms: 12, durationMs: Math.round(performance.now()) });
}
await dispose();
await report(started);
