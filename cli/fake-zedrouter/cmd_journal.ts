/**
 * `fake-zedrouter journal`: the calls the daemon got (Inspect.Journal), oldest first, as a
 * table or, with `--json`, one JSON object per line (the journal file's format, plus calls
 * still running as `pending`), for a CI step to grep or feed to jq.
 */
import type { Command } from "@commander-js/extra-typings";
import * as v from "valibot";
import { callOnce, DEFAULT_SOCKET_PATH, JournalQuerySchema } from "../../rpc/mod.ts";
import { type CliIo, UsageError } from "./cli_io.ts";
import { journalTable } from "./journal_table.ts";

export function addJournalCommand(program: Command, io: CliIo): void {
  program.command("journal")
    .description("Print the calls fake-zedrouter received (EVE's methods), oldest first")
    .option("-s, --socket <path>", "the daemon's socket", DEFAULT_SOCKET_PATH)
    .option("-m, --method <name>", "only this method (ConnectPodAtL3 or RPCServer.ConnectPodAtL3)")
    .option("-p, --pod <glob>", 'only calls for pods matching this glob, such as "nginx-*"')
    .option("--since <seq>", "only calls after this sequence number")
    .option("--json", "one JSON object per call and line (as in the --journal file)")
    .action(async (opts) => {
      const query = v.safeParse(JournalQuerySchema, {
        ...(opts.method !== undefined && { method: opts.method }),
        ...(opts.pod !== undefined && { pod: opts.pod }),
        ...(opts.since !== undefined && { since: Number(opts.since) }),
      });
      if (!query.success) {
        const issue = query.issues[0]!;
        throw new UsageError(`--${v.getDotPath(issue) ?? "since"}: ${issue.message}`);
      }
      const journal = await callOnce(opts.socket, "Inspect.Journal", query.output, {
        timeoutMs: 10_000,
      });
      if (opts.json) {
        io.out(journal.entries.map((e) => `${JSON.stringify(e)}\n`).join(""));
        return;
      }
      io.out(`${journalTable(journal.entries)}\n`);
      if (journal.evicted > 0) {
        io.out(
          `(${journal.evicted} older call(s) no longer in memory; ` +
            `${journal.file ? `all are in ${journal.file}` : "use serve --journal FILE"})\n`,
        );
      }
    });
}
