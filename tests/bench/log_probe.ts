/**
 * One invocation's logging through eve-bridge's own log (plugin/cni/logging.ts), timed in a
 * fresh process (run by log_bench.ts, bundled as the programs are): open the log, LINES lines
 * with the invocation's fields, close it. argv: <log file> [<state dir>]. Prints the
 * milliseconds it took, loading the log's modules included (imported dynamically, so they load
 * after the clock starts).
 *
 * With a state dir, first does what every eve-bridge command does whether it logs or not
 * (plugin.ts: checkNodePaths walks the state dir with lstat; main.ts encodes the result for
 * stdout), so the time is what logging adds to an invocation. Without it, the log also pays
 * Deno's and V8's one-time costs of those calls (the first lstat builds the first Date objects,
 * ~0.5 ms), which an invocation pays once either way.
 */
// What eve-bridge has loaded anyway before it opens its log (core/, the log file policy), so
// only the log's own cost is timed.
import "../../plugin/cni/log_file.ts";
import { FIELDS, LINES, report } from "./log_probe_fields.ts";
import { ensureTrustedDirectory } from "../../core/mod.ts";

const stateDir = Deno.args[1];
if (stateDir !== undefined) {
  ensureTrustedDirectory(stateDir);
  new TextEncoder().encode('{"cniVersion":"1.0.0"}\n');
}

const started = performance.now();
const { openLog } = await import("../../plugin/cni/logging.ts");
const log = await openLog(Deno.args[0]!, FIELDS);
for (let i = 0; i < LINES; i++) log.logger.info("Step {i} done", { i, l2Ms: 12 });
await log.close();
await report(started);
