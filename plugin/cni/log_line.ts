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
import { isoTime } from "../../core/mod.ts";

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

/** `{{` and `}}` in a template's text are one brace each. */
function unescapeBraces(text: string): string {
  return text.replaceAll("{{", "{").replaceAll("}}", "}");
}

/**
 * The template with its placeholders filled in, by LogTape's own scan (its
 * parseMessageTemplate; log_line_test.ts holds the two to the same output), quirks included:
 * a template without `{` is left as it is. LogTape's `{*}` and nested paths (`{a.b}`) are not
 * supported; no eve-bridge template uses them. A scan, not a regular expression: V8 compiles a
 * pattern on its first use in every process, ~0.25 ms for one that matched placeholders.
 */
export function renderMessage(template: string, properties: Record<string, unknown>): string {
  if (!template.includes("{")) return template;
  let out = "";
  let textStart = 0;
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    if (char === "{") {
      if (template[i + 1] === "{") {
        i++;
        continue;
      }
      const close = template.indexOf("}", i + 1);
      if (close === -1) continue;
      const key = template.slice(i + 1, close);
      const trimmed = key.trim();
      const value = key !== trimmed && !(key in properties) ? properties[trimmed] : properties[key];
      out += unescapeBraces(template.slice(textStart, i)) + messageValue(value);
      i = close;
      textStart = close + 1;
    } else if (char === "}" && template[i + 1] === "}") {
      i++;
    }
  }
  return out + unescapeBraces(template.slice(textStart));
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
  let line = `{"@timestamp":${JSON.stringify(isoTime(timestamp))}` +
    `,"level":${JSON.stringify(levelName)}` +
    `,"message":${JSON.stringify(renderMessage(template, properties))}` +
    `,"logger":${JSON.stringify(logger)}`;
  const props = JSON.stringify(jsonReplacer("properties", properties), circularReplacer());
  if (props !== undefined) line += `,"properties":${props}`;
  return `${escapeDeleteAndC1(`${line}}`)}\n`;
}

/** U+007F-U+009F, which JSON.stringify leaves raw and LogTape writes as `\u00XX`. */
const DELETE_AND_C1 = /[\u007f-\u009f]/g;
const DELETE_AND_C1_CHARS = (
  "\u007f\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088" +
  "\u0089\u008a\u008b\u008c\u008d\u008e\u008f\u0090\u0091\u0092" +
  "\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f"
).split("");

/**
 * The line with U+007F-U+009F escaped. Searched for first, one character at a time (native
 * searches), because they are rare and in a fresh process both ways of scanning cost more
 * than the search: the pattern's first use ~0.1 ms to compile, a per-character loop ~0.8 ms
 * when V8 optimises it on the third line (measured, warm code cache).
 */
function escapeDeleteAndC1(text: string): string {
  if (!DELETE_AND_C1_CHARS.some((char) => text.includes(char))) return text;
  return text.replace(
    DELETE_AND_C1,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
