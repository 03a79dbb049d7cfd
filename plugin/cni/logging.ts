/**
 * Structured logs for one CNI invocation: JSON lines through LogTape into a rotating file (the
 * config's `logFile`), or stderr when that file cannot be opened. Never stdout: stdout belongs
 * to the result. Every line carries the invocation's fields (command, containerID, ifname, pod
 * namespace/name) and the milliseconds since the invocation started.
 *
 * LogTape's configuration is process-global; a CNI plugin runs one invocation per process, and
 * in-process tests run invocations one after another, so `openLog` resets it each time.
 */
import { errorMessage } from "../../core/mod.ts";
import { prepareLogFile } from "./log_file.ts";
import { configure, dispose, getLogger, jsonLinesFormatter, type Sink } from "@logtape/logtape";

type Properties = Record<string, unknown>;

/** What plugin code logs through (a thin face over LogTape, so tests can pass their own). */
export interface CniLogger {
  debug(message: string, properties?: Properties): void;
  info(message: string, properties?: Properties): void;
  warn(message: string, properties?: Properties): void;
  error(message: string, properties?: Properties): void;
}

export interface OpenLog {
  readonly logger: CniLogger;
  /** Where lines go: the file path, or "stderr" after a fallback. */
  readonly destination: string;
  /** Flushes and closes the sinks; call once before the process ends. */
  close(): Promise<void>;
}

const LOG_MAX_BYTES = 10 * 1024 * 1024;
const LOG_MAX_FILES = 3;

function stderrSink(): Sink {
  const encoder = new TextEncoder();
  return (record) => {
    Deno.stderr.writeSync(encoder.encode(jsonLinesFormatter(record)));
  };
}

// The sink is our own (file_sink.ts says why @logtape/file is not); loaded with the log, as
// VERSION never logs.
async function openFileSink(path: string): Promise<Sink | string> {
  const refused = prepareLogFile(path, LOG_MAX_FILES);
  if (refused !== undefined) return refused;
  const { getRotatingFileSink } = await import("./file_sink.ts");
  try {
    return getRotatingFileSink(path, {
      maxSize: LOG_MAX_BYTES,
      maxFiles: LOG_MAX_FILES,
      formatter: jsonLinesFormatter,
    });
  } catch (error) {
    return errorMessage(error);
  }
}

/** Opens the log for one invocation; `fields` go on every line. */
export async function openLog(
  path: string,
  fields: Properties,
  startedAt: number = performance.now(),
): Promise<OpenLog> {
  const opened = await openFileSink(path);
  const fileSink = typeof opened === "string" ? undefined : opened;
  const sink = fileSink ?? stderrSink();
  await configure({
    reset: true,
    sinks: { main: sink },
    loggers: [
      { category: ["eve-bridge"], sinks: ["main"], lowestLevel: "debug" },
      // LogTape's own warnings would otherwise go to the console (stdout for some levels).
      { category: ["logtape", "meta"], sinks: ["main"], lowestLevel: "warning" },
    ],
  });
  const base = getLogger(["eve-bridge"]).with(fields);
  const at = (properties: Properties | undefined): Properties => ({
    ...properties,
    durationMs: Math.round(performance.now() - startedAt),
  });
  const logger: CniLogger = {
    debug: (message, properties) => base.debug(message, at(properties)),
    info: (message, properties) => base.info(message, at(properties)),
    warn: (message, properties) => base.warn(message, at(properties)),
    error: (message, properties) => base.error(message, at(properties)),
  };
  if (!fileSink) {
    logger.warn("Cannot open log file {logFile}; logging to stderr: {reason}", {
      logFile: path,
      reason: opened,
    });
  }
  return {
    logger,
    destination: fileSink ? path : "stderr",
    close: () => dispose(),
  };
}

/** A logger that drops everything (pure unit tests). */
export const silentLogger: CniLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
