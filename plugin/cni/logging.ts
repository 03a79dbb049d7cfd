/**
 * Structured logs for one CNI invocation: JSON lines into a rotating file (the config's
 * `logFile`), or stderr when that file cannot be opened. Never stdout: stdout belongs to the
 * result. Every line carries the invocation's fields (command, containerID, ifname, pod
 * namespace/name) and the milliseconds since the invocation started.
 *
 * The lines are LogTape's JSON lines, byte for byte (log_line.ts), but written without LogTape:
 * its logger and configuration cost a fresh process 8-18 ms per invocation (`deno task
 * bench:log`: loading and configuring it, then its first calls, which V8 compiles on every
 * run), against the issue 11 budget of 2 ms; a format function and a file append do the job.
 */
import { errorMessage } from "../../core/mod.ts";
import { openLogFile, rotationProblem } from "./log_file.ts";
import { formatLogLine, type LogLevel } from "./log_line.ts";
import { getRotatingFileSink, type LineSink, RotationRefused } from "./file_sink.ts";

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

function stderrSink(): LineSink {
  const encoder = new TextEncoder();
  return { write: (line) => void Deno.stderr.writeSync(encoder.encode(line)), close: () => {} };
}

/** The log file's sink, or why it cannot be used. */
function openFileSink(path: string): LineSink | string {
  const file = openLogFile(path);
  if (typeof file === "string") return file;
  try {
    return getRotatingFileSink(path, {
      maxSize: LOG_MAX_BYTES,
      maxFiles: LOG_MAX_FILES,
      rotationProblem: () => rotationProblem(path, LOG_MAX_FILES),
    }, file);
  } catch (error) {
    file.close();
    return errorMessage(error);
  }
}

/** Opens the log for one invocation; `fields` go on every line. */
export function openLog(
  path: string,
  fields: Properties,
  startedAt: number = performance.now(),
): Promise<OpenLog> {
  const opened = openFileSink(path);
  const fileSink = typeof opened === "string" ? undefined : opened;
  let sink = fileSink ?? stderrSink();
  let open = true;
  const line = (level: LogLevel, message: string, properties?: Properties) =>
    formatLogLine(level, message, {
      ...fields,
      ...properties,
      durationMs: Math.round(performance.now() - startedAt),
    });
  const at = (level: LogLevel) => (message: string, properties?: Properties) => {
    if (!open) return;
    try {
      sink.write(line(level, message, properties));
    } catch (error) {
      if (!(error instanceof RotationRefused)) throw error;
      // The rest of this invocation's lines go to stderr, the refusal first.
      sink.close();
      sink = stderrSink();
      sink.write(line("warning", "Cannot rotate log file {logFile}; logging to stderr: {reason}", {
        logFile: path,
        reason: error.message,
      }));
      sink.write(line(level, message, properties));
    }
  };
  const logger: CniLogger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warning"),
    error: at("error"),
  };
  if (!fileSink) {
    logger.warn("Cannot open log file {logFile}; logging to stderr: {reason}", {
      logFile: path,
      reason: opened,
    });
  }
  return Promise.resolve({
    logger,
    destination: fileSink ? path : "stderr",
    close: () => {
      open = false;
      sink.close();
      return Promise.resolve();
    },
  });
}

/** A logger that drops everything (pure unit tests). */
export const silentLogger: CniLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
