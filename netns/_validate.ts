/** Input validation shared by netns/ files: one error shape naming the field and the rule. */
import * as v from "valibot";
import { describeIssues, IfNameSchema, NetnsNameSchema, NetnsPathSchema } from "../core/mod.ts";

/** Parses `value` with `schema`, or throws `Invalid <field> "<value>": <rule>`. */
export function checked<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  field: string,
): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  throw new TypeError(
    `Invalid ${field} ${JSON.stringify(value)}: ${describeIssues(result.issues)}`,
  );
}

export const checkIfName = (value: string, field = "interface name"): string =>
  checked(IfNameSchema, value, field);

export const checkNetnsPath = (value: string, field = "network namespace path"): string =>
  checked(NetnsPathSchema, value, field);

export const checkNetnsName = (value: string, field = "network namespace name"): string =>
  checked(NetnsNameSchema, value, field);

/** Any absolute file path we hand to a tool (same rules as a netns path: absolute, no "..", no NUL/newline). */
export const checkAbsPath = (value: string, field: string): string =>
  checked(NetnsPathSchema, value, field);

/**
 * One word of an `ip -batch` line, read back by ip exactly as written. ip splits a batch
 * line into words itself (iproute2 `makeargs`) and hands them on as argv elements, no shell
 * involved; its reader gives meaning only to white space (between words), a quote opening a
 * word, `#` (a comment) and a backslash before the newline (a continued line). A word free of
 * those and of control characters is one argv element, unchanged. Both batch users
 * (ip_batch.ts, ip_pool_line.ts) check every word against this.
 */
export const BatchWordSchema = v.pipe(
  v.string(),
  v.regex(
    // deno-lint-ignore no-control-regex -- control characters are what it rules out
    /^[^\x00-\x20\x7f#\\'"\s]{1,256}$/,
    "A batch word has 1 to 256 characters and no white space, control character, quote, " +
      "'#' or backslash",
  ),
);
