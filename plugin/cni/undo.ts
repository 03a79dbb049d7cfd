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
  #deadline = Number.POSITIVE_INFINITY;

  /**
   * `budgetMs`: how long the whole rollback may wait (one deadline, set when it starts). A
   * step that waits on something (a zedrouter call) bounds its wait by remainingMs(); the
   * local steps always run.
   */
  constructor(readonly budgetMs: number = Number.POSITIVE_INFINITY) {}

  /** What is left of the rollback's budget, in ms (infinite before the rollback starts). */
  remainingMs(): number {
    return Math.max(0, this.#deadline - performance.now());
  }

  /** Registers how to remove what the step just created. */
  push(label: string, run: () => Promise<unknown>): void {
    this.#steps.push({ label, run });
  }

  get size(): number {
    return this.#steps.length;
  }

  /** Runs every registered step, newest first, and empties the stack. */
  async unwind(logger: CniLogger): Promise<void> {
    this.#deadline = performance.now() + this.budgetMs;
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
 * Runs `body` with a fresh undo stack; if it throws, unwinds the stack (within `budgetMs`,
 * see UndoStack) and rethrows the original error.
 */
export async function withUndo<T>(
  logger: CniLogger,
  body: (undo: UndoStack) => Promise<T>,
  budgetMs: number = Number.POSITIVE_INFINITY,
): Promise<T> {
  const undo = new UndoStack(budgetMs);
  try {
    return await body(undo);
  } catch (error) {
    await undo.unwind(logger);
    throw error;
  }
}
