/**
 * The journal and fault methods (rpc/control_contract.ts): Inspect.Journal and
 * Inspect.Faults read, Control.AddFault and Control.ClearFaults change the rules in force.
 * Params arrive validated by the contract's schemas (a bad rule is refused by the RPC layer
 * with its field named), so these only act.
 */
import type { FaultInfo, FaultRule, Journal, JournalQuery } from "../../rpc/mod.ts";
import type { FaultTable } from "./fault_table.ts";
import type { CallJournal } from "./journal.ts";

export interface ControlHandlers {
  journal(query: JournalQuery): Promise<Journal>;
  faults(): Promise<{ faults: FaultInfo[] }>;
  addFault(rule: FaultRule): Promise<FaultInfo>;
  clearFaults(id: number | undefined): Promise<{ cleared: number }>;
}

export function makeControlHandlers(
  journal: CallJournal,
  faults: FaultTable,
  log: (message: string) => void,
): ControlHandlers {
  return {
    journal: (query) => Promise.resolve(journal.list(query)),
    faults: () => Promise.resolve({ faults: faults.list() }),
    addFault(rule) {
      const info = faults.add(rule, "rpc");
      log(`Fault #${info.id} added: ${info.kind} on ${info.method} at ${info.at}`);
      return Promise.resolve(info);
    },
    clearFaults(id) {
      const cleared = faults.clear(id);
      log(`Faults cleared: ${cleared}${id === undefined ? "" : ` (#${id})`}`);
      return Promise.resolve({ cleared });
    },
  };
}
