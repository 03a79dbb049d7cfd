/**
 * Best-effort loops (GC, parts of DEL): run every step, keep going past failures, then report
 * all of them as one CniError whose details list each failure.
 */
import { CniError, toCniError } from "./errors.ts";
import type { CniLogger } from "./logging.ts";

export interface Step {
  readonly label: string;
  readonly run: () => Promise<unknown>;
}

export async function runAll(
  steps: readonly Step[],
  logger: CniLogger,
  failure: { code: number; msg: string },
): Promise<void> {
  const failures: string[] = [];
  for (const step of steps) {
    try {
      await step.run();
    } catch (error) {
      const cni = toCniError(error);
      const text = cni.details ? `${cni.msg}: ${cni.details}` : cni.msg;
      logger.error("Step {step} failed: {error}", { step: step.label, error: text });
      failures.push(`${step.label}: ${text} (code ${cni.code})`);
    }
  }
  if (failures.length > 0) {
    throw new CniError(failure.code, failure.msg, failures.join("; "));
  }
}
