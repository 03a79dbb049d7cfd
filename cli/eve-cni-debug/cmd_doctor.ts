/** `doctor [--fix]`: leaks and drift, each with a hint; --fix repairs the safe ones. */
import * as v from "valibot";
import type { Outcome } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { doctorFindings, FindingSchema } from "./findings.ts";
import { applyFixes } from "./fix.ts";
import { gatherSnapshot } from "./gather.ts";
import { sourceNote } from "./render_chains.ts";
import type { Executor, Root } from "./root_command.ts";

export const DoctorFindingSchema = v.strictObject({
  ...FindingSchema.entries,
  /** With --fix: what was done (null: nothing to do, or no --fix). */
  fixed: v.nullable(v.strictObject({ done: v.boolean(), message: v.string() })),
});
export type DoctorFinding = v.InferOutput<typeof DoctorFindingSchema>;

export const DoctorModelSchema = v.strictObject({
  zedrouter: v.strictObject({
    reachable: v.boolean(),
    source: v.picklist(["inspect", "state-file", "none"]),
    note: v.nullable(v.string()),
  }),
  findings: v.array(DoctorFindingSchema),
  fixApplied: v.boolean(),
});
export type DoctorModel = v.InferOutput<typeof DoctorModelSchema>;

export function renderDoctor(m: DoctorModel): string {
  const lines: string[] = [];
  if (m.findings.length === 0) lines.push("No leaks or drift found");
  else lines.push(`${m.findings.length} finding(s):`);
  for (const f of m.findings) {
    lines.push(`  ${f.kind}: ${f.message}`);
    lines.push(`      hint: ${f.hint}`);
    if (f.fixed) lines.push(`      fix: ${f.fixed.message}`);
    else if (f.fix && !m.fixApplied) lines.push(`      fixable with --fix (${f.fix.action})`);
  }
  const note = sourceNote(m.zedrouter);
  if (note) lines.push(note);
  return lines.join("\n");
}

export function doctorExitCode(m: DoctorModel): ExitCode {
  return m.findings.every((f) => f.fixed?.done) ? ExitCode.Ok : ExitCode.ProblemsFound;
}

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
Findings: orphan-veth, missing-veth, departed-pod, stale-lease, orphan-dhcp-client,
dead-dhcp-client, orphan-state-file, unreadable-state-file, duplicate-mac, two-generations.
Exit 0 when nothing is left to fix, 1 otherwise.

Examples:
  eve-cni-debug doctor
  eve-cni-debug doctor --fix --json`,
    )
    .action(async (opts, cmd) => {
      await exec.run(cmd.optsWithGlobals(), async (ctx): Promise<Outcome> => {
        const s = await gatherSnapshot(ctx);
        const findings = doctorFindings(s);
        const results = opts.fix ? await applyFixes(ctx.deps.runner, findings) : new Map();
        const model: DoctorModel = {
          zedrouter: s.zedrouter,
          findings: findings.map((f) => ({ ...f, fixed: results.get(f) ?? null })),
          fixApplied: opts.fix,
        };
        return { model, human: renderDoctor(model), exitCode: doctorExitCode(model) };
      });
    });
}
