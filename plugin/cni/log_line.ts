/**
 * One log line, byte for byte as LogTape's default `jsonLinesFormatter` wrote it (eve-bridge's
 * log format since its first release; eve-cni-debug and the tests read it):
 *
 *   {"@timestamp":"<ISO>","level":"INFO","message":"<rendered>","logger":"eve-bridge",
 *    "properties":{...}}
 *
 * The message template's `{name}` placeholders are replaced by the property's value as JSON
 * (strings quoted), `{{`/`}}` stand for braces; properties are JSON with Errors as objects
 * (name, message, stack, cause), bigints as strings and cycles as "[Circular]"; U+007F-U+009F
 * are escaped. Written here, not through LogTape, for the cost: logging.ts says why.
 */
export type LogLevel = "debug" | "info" | "warning" | "error";

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (!(value instanceof Error)) return value;
  const serialized: Record<string, unknown> = { name: value.name, message: value.message };
  if (typeof value.stack === "string") serialized.stack = value.stack;
  if (value.cause !== undefined) serialized.cause = value.cause;
  if (value instanceof AggregateError) serialized.errors = value.errors;
  for (const key of Object.keys(value)) {
    if (!(key in serialized)) serialized[key] = (value as unknown as Record<string, unknown>)[key];
  }
  return serialized;
}

/** jsonReplacer, with a reference to an enclosing object rendered as "[Circular]". */
function circularReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  const sources: unknown[] = [];
  const results: unknown[] = [];
  return function (this: unknown, key: string, value: unknown): unknown {
    const result = jsonReplacer(key, value);
    if (typeof result !== "object" || result === null) return result;
    while (results.length > 0 && results[results.length - 1] !== this) {
      results.pop();
      sources.pop();
    }
    for (let i = 0; i < results.length; i++) {
      if (results[i] === result || sources[i] === value) return "[Circular]";
    }
    sources.push(value);
    results.push(result);
    return result;
  };
}

function messageValue(value: unknown): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return JSON.stringify(value);
  }
  const bigints = (_key: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);
  try {
    return String(JSON.stringify(value, bigints));
  } catch {
    return String(JSON.stringify(value, circularReplacer()));
  }
}

/** The template with its placeholders filled in. */
export function renderMessage(template: string, properties: Record<string, unknown>): string {
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, key: string | undefined) => {
    if (whole === "{{") return "{";
    if (whole === "}}") return "}";
    const name = key! in properties ? key! : key!.trim();
    return messageValue(properties[name]);
  });
}

/** The JSON line (with its newline). */
export function formatLogLine(
  level: LogLevel,
  template: string,
  properties: Record<string, unknown>,
  timestamp: number = Date.now(),
  logger = "eve-bridge",
): string {
  const levelName = level === "warning" ? "WARN" : level.toUpperCase();
  let line = `{"@timestamp":${JSON.stringify(new Date(timestamp).toISOString())}` +
    `,"level":${JSON.stringify(levelName)}` +
    `,"message":${JSON.stringify(renderMessage(template, properties))}` +
    `,"logger":${JSON.stringify(logger)}`;
  const props = JSON.stringify(jsonReplacer("properties", properties), circularReplacer());
  if (props !== undefined) line += `,"properties":${props}`;
  return `${line}}`.replace(
    /[\u007f-\u009f]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  ) + "\n";
}
