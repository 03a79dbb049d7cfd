/** `doctor [--fix]`: leaks and drift, each with a hint; --fix repairs the safe ones. */
import * as v from "valibot";
import type { CommandContext, Outcome } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import {
  doctorFindings,
  type Finding,
  FindingSchema,
  ZEDROUTER_FINDING_KINDS,
} from "./findings.ts";
import { applyFixes } from "./fix.ts";
import { gatherSnapshot } from "./gather.ts";
import { sourceNote } from "./format_chains.ts";
import type { Executor, Root } from "./root_command.ts";
import { ZedrouterSectionSchema } from "./snapshot.ts";

export const DoctorFindingSchema = v.strictObject({
  ...FindingSchema.entries,
  /** With --fix: what was done (null: nothing to do, or no --fix). */
  fixed: v.nullable(v.strictObject({ done: v.boolean(), message: v.string() })),
});
export type DoctorFinding = v.InferOutput<typeof DoctorFindingSchema>;

export const DoctorModelSchema = v.strictObject({
  zedrouter: ZedrouterSectionSchema,
  findings: v.array(DoctorFindingSchema),
  fixApplied: v.boolean(),
  /** What is still wrong after the fixes (the same as findings without --fix). */
  remaining: v.array(FindingSchema),
});
export type DoctorModel = v.InferOutput<typeof DoctorModelSchema>;

/** No zedrouter view at all (socket down, no state file): most checks could not run. */
function zedrouterMissing(model: DoctorModel): boolean {
  return !model.zedrouter.reachable && model.zedrouter.source === "none";
}

export function formatDoctor(model: DoctorModel): string {
  const lines: string[] = [];
  const blind = zedrouterMissing(model);
  if (blind) {
    // Exit 3: never "No leaks or drift found", which would claim a clean node.
    lines.push(
      model.zedrouter.note
        ? `zedrouter could not be reached: ${model.zedrouter.note}`
        : "zedrouter could not be reached and no state file of it was readable",
      `Not checked (they need zedrouter's view): ${ZEDROUTER_FINDING_KINDS.join(", ")}`,
    );
  }
  const scope = blind ? " by the checks that need no zedrouter" : "";
  if (model.findings.length === 0) lines.push(`No leaks or drift found${scope}`);
  else lines.push(`${model.findings.length} finding(s)${scope}:`);
  for (const f of model.findings) {
    lines.push(`  ${f.kind}: ${f.message}`);
    lines.push(`      hint: ${f.hint}`);
    if (f.fixed) lines.push(`      fix: ${f.fixed.message}`);
    else if (f.fix && !model.fixApplied) lines.push(`      fixable with --fix (${f.fix.action})`);
  }
  if (model.fixApplied && model.findings.length) {
    lines.push(
      model.remaining.length
        ? `Still wrong after the fixes: ${
          model.remaining.map((f) => `${f.kind} ${f.subject}`).join(", ")
        }`
        : "Nothing left to fix",
    );
  }
  const note = blind ? null : sourceNote(model.zedrouter);
  if (note) lines.push(note);
  return lines.join("\n");
}

export function doctorExitCode(model: DoctorModel): ExitCode {
  // Without any zedrouter view most checks cannot run: "nothing found" would mislead.
  if (zedrouterMissing(model)) return ExitCode.ZedrouterUnreachable;
  return model.remaining.length === 0 ? ExitCode.Ok : ExitCode.ProblemsFound;
}

/** A fix can uncover the next one (stopping a client frees a netns, and its veth): 3 rounds. */
const FIX_ROUNDS = 3;

const key = (finding: Finding) => `${finding.kind} ${finding.subject}`;

export async function runDoctor(ctx: CommandContext, fix: boolean): Promise<DoctorModel> {
  let s = await gatherSnapshot(ctx);
  let current = doctorFindings(s);
  const seen = new Map<string, DoctorFinding>(current.map((f) => [key(f), { ...f, fixed: null }]));
  for (let round = 0; fix && round < FIX_ROUNDS; round++) {
    const todo = current.filter((f) => f.fix !== null && seen.get(key(f))?.fixed === null);
    if (todo.length === 0) break;
    const results = await applyFixes(ctx, todo);
    for (const [f, result] of results) seen.set(key(f), { ...f, fixed: result });
    s = await gatherSnapshot(ctx);
    current = doctorFindings(s);
    for (const f of current) if (!seen.has(key(f))) seen.set(key(f), { ...f, fixed: null });
  }
  return {
    zedrouter: s.zedrouter,
    findings: [...seen.values()],
    fixApplied: fix,
    remaining: current,
  };
}

const UNCHECKED = ZEDROUTER_FINDING_KINDS.join(", ");

export function registerDoctor(root: Root, exec: Executor): void {
  root.command("doctor")
    .description("Find leaks and drift (orphan veths, lost DHCP clients, stale leases...)")
    .option(
      "--fix",
      "repair the safe ones: delete orphan veths, stop orphan DHCP clients, " +
        "remove orphan state files",
      false,
    )
    .addHelpText(
      "after",
      `
Findings: orphan-veth, missing-veth, departed-pod, mac-drift, stale-lease,
orphan-dhcp-client, dead-dhcp-client, orphan-state-file, unreadable-state-file,
unfinished-add, duplicate-mac, two-generations.
Exit codes:
  ${ExitCode.Ok}  nothing found (with --fix: nothing left after the fixes)
  ${ExitCode.ProblemsFound}  findings remain
  ${ExitCode.Usage}  usage error
  ${ExitCode.ZedrouterUnreachable}  zedrouter unreachable and no state file of it: the checks that need
     it (${UNCHECKED}) did not run
  ${ExitCode.Failure}  the inspection failed (ip missing, state dir unreadable...)

Examples:
  eve-cni-debug doctor
  eve-cni-debug doctor --fix --json`,
    )
    .action(async (opts, cmd) => {
      await exec.run(cmd.optsWithGlobals(), async (ctx): Promise<Outcome> => {
        const model = await runDoctor(ctx, opts.fix);
        return { model, human: formatDoctor(model), exitCode: doctorExitCode(model) };
      });
    });
}
