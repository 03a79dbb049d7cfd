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
