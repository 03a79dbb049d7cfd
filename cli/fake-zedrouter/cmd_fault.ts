/**
 * `fake-zedrouter fault add|list|clear`: change the fault rules of a running daemon
 * (Control.AddFault, Inspect.Faults, Control.ClearFaults). `add` builds the rule from its
 * flags and checks it with the contract's FaultRuleSchema before sending, so a bad rule is
 * a usage error (exit 2) naming the flag.
 */
import { type Command, Option } from "@commander-js/extra-typings";
import * as v from "valibot";
import {
  callOnce,
  DEFAULT_SOCKET_PATH,
  type FaultInfo,
  type FaultRule,
  FaultRuleSchema,
} from "../../rpc/mod.ts";
import { type CliIo, UsageError } from "./cli_io.ts";
import { faultLabel, faultsTable } from "./journal_table.ts";

const CALL = { timeoutMs: 10_000 };

/** A number when the flag's text is one, else the text (for the schema to name). */
const numeric = (text: string | undefined) =>
  text === undefined ? undefined : /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text;

interface AddFlags {
  method: string;
  pod?: string;
  interface?: string;
  at?: string;
  delay?: string;
  fail?: string;
  hang?: true;
  drop?: true;
  once?: true;
  times?: string;
  always?: true;
}

/** The rule the flags describe, validated; a UsageError names the flag at fault. */
export function ruleFromFlags(flags: AddFlags): FaultRule {
  const raw = Object.fromEntries(
    Object.entries({
      ...flags,
      delay: numeric(flags.delay),
      times: numeric(flags.times),
    }).filter(([, value]) => value !== undefined),
  );
  const parsed = v.safeParse(FaultRuleSchema, raw);
  if (parsed.success) return parsed.output;
  const problems = parsed.issues.map((issue) => {
    const path = v.getDotPath(issue);
    // The rule-wide checks quote the rule's keys; here those are flags.
    return path
      ? `--${path}: ${issue.message}`
      : issue.message.replace(/"(delay|fail|hang|drop|once|times|always)"/g, "--$1");
  });
  throw new UsageError(`Invalid fault: ${problems.join("; ")}`);
}

function describe(f: FaultInfo): string {
  const where = [f.pod && `pod ${f.pod}`, f.interface && `interface ${f.interface}`]
    .filter((x) => x).join(", ");
  const times = f.remaining === null ? "always" : `${f.remaining} time(s)`;
  return `Fault ${faultLabel(f)} on ${f.method}${where ? ` (${where})` : ""}, ${times}`;
}

export function addFaultCommand(program: Command, io: CliIo): void {
  const fault = program.command("fault")
    .description("Add, list or clear the fault rules of a running fake-zedrouter");
  fault.command("add")
    .description("Add a rule: one of --delay, --fail, --hang, --drop; --once, --times or --always")
    .option("-s, --socket <path>", "the daemon's socket", DEFAULT_SOCKET_PATH)
    .requiredOption("-m, --method <name>", "EVE's method, such as ConnectPodAtL3")
    .option("-p, --pod <glob>", 'only pods matching this glob, such as "nginx-*"')
    .option("-i, --interface <name>", "only this pod interface, such as net1")
    .addOption(
      new Option("--at <stage>", "request: instead of the call; reply: after it ran")
        .choices(["request", "reply"] as const),
    )
    .option("--delay <ms>", "answer this many milliseconds later")
    .option("--fail <text>", "answer with this error text, as zedrouter words its errors")
    .option("--hang", "never answer")
    .option("--drop", "close the connection without an answer")
    .option("--once", "hit one call only")
    .option("--times <n>", "hit this many calls")
    .option("--always", "hit every call (the default)")
    .action(async ({ socket, ...flags }) => {
      const info = await callOnce(socket, "Control.AddFault", ruleFromFlags(flags), CALL);
      io.out(`${describe(info)}\n`);
    });
  fault.command("list")
    .description("List the rules in force with their hits")
    .option("-s, --socket <path>", "the daemon's socket", DEFAULT_SOCKET_PATH)
    .option("--json", "one JSON object per rule and line")
    .action(async (opts) => {
      const { faults } = await callOnce(opts.socket, "Inspect.Faults", {}, CALL);
      io.out(
        opts.json
          ? faults.map((f) => `${JSON.stringify(f)}\n`).join("")
          : `${faultsTable(faults)}\n`,
      );
    });
  fault.command("clear")
    .description("Remove one rule (--id) or all of them")
    .option("-s, --socket <path>", "the daemon's socket", DEFAULT_SOCKET_PATH)
    .option("--id <n>", "only this rule")
    .action(async (opts) => {
      const id = numeric(opts.id);
      if (id !== undefined && !Number.isInteger(id)) {
        throw new UsageError(`--id: Expected a rule number from "fault list", got "${opts.id}"`);
      }
      const { cleared } = await callOnce(
        opts.socket,
        "Control.ClearFaults",
        id === undefined ? {} : { id: id as number },
        CALL,
      );
      io.out(`Cleared ${cleared} fault rule(s)\n`);
    });
}
