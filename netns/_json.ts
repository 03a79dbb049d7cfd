/** Parsing `ip -j` output: loose valibot schemas (the kernel grows fields), validated once here. */
import * as v from "valibot";
import { describeIssues } from "../core/mod.ts";

/** Parses the JSON array `ip -j ...` printed; empty output (some versions) is an empty list. */
export function parseIpJson<S extends v.GenericSchema>(
  schema: S,
  stdout: string,
  what: string,
): v.InferOutput<S>[] {
  const text = stdout.trim();
  if (text === "") return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot parse ${what} from ip -j: ${(error as Error).message}`);
  }
  const result = v.safeParse(v.array(schema), raw);
  if (!result.success) {
    throw new Error(`Unexpected ${what} from ip -j: ${describeIssues(result.issues)}`);
  }
  return result.output;
}
