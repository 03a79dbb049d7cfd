/**
 * Rollback for ADD: every step that creates something registers how to remove it; when a
 * later step fails the steps run in reverse. Undo failures are logged, never thrown (the
 * original error is the one the runtime must see).
 */
import { errorMessage } from "../../core/mod.ts";
import type { CniLogger } from "./logging.ts";

interface UndoStep {
  readonly label: string;
  readonly run: () => Promise<unknown>;
}

export class UndoStack {
  #steps: UndoStep[] = [];

  /** Registers how to remove what the step just created. */
  push(label: string, run: () => Promise<unknown>): void {
    this.#steps.push({ label, run });
  }

  get size(): number {
    return this.#steps.length;
  }

  /** Runs every registered step, newest first, and empties the stack. */
  async unwind(logger: CniLogger): Promise<void> {
    const steps = this.#steps.reverse();
    this.#steps = [];
    for (const step of steps) {
      try {
        await step.run();
        logger.info("Rolled back {step}", { step: step.label });
      } catch (error) {
        logger.error("Rollback step {step} failed: {error}", {
          step: step.label,
          error: errorMessage(error),
        });
      }
    }
  }
}

/**
 * Runs `body` with a fresh undo stack; if it throws, unwinds the stack and rethrows the
 * original error.
 */
export async function withUndo<T>(
  logger: CniLogger,
  body: (undo: UndoStack) => Promise<T>,
): Promise<T> {
  const undo = new UndoStack();
  try {
    return await body(undo);
  } catch (error) {
    await undo.unwind(logger);
    throw error;
  }
}
