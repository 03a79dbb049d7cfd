/**
 * Many `ip` commands in one process (`ip -batch -`, the commands on stdin): a pod's routing
 * policy is a dozen routes, rules and neighbour entries, and each spawn through nsenter costs
 * milliseconds on every CNI call. The commands come from the typed builders of routes.ts,
 * rules.ts and neighbours.ts, which validate every value; this file adds the batch reader's
 * own rule: ip splits a line into words at white space and reads quotes, backslashes and `#`
 * (a comment), so a word holding any of them is refused rather than quoted.
 */
import { CommandError, runChecked, type Runner } from "./runner.ts";
import { ipArgv, type Netns } from "./target.ts";

/** One `ip` command (without the leading `ip`), and the family ip needs told, if any. */
export interface IpCommand {
  /** `inet6` for commands whose family ip cannot infer from the arguments (rules). */
  readonly family: "inet" | "inet6" | null;
  readonly args: readonly string[];
}

const SAFE_WORD = /^[^\s"'\\#]+$/;

function batchLine(args: readonly string[]): string {
  for (const word of args) {
    if (!SAFE_WORD.test(word)) {
      throw new TypeError(
        `Cannot pass ${JSON.stringify(word)} to ip -batch: white space, quotes, "\\" and "#" ` +
          "are not allowed in a word",
      );
    }
  }
  return args.join(" ");
}

/** The failing command of a batch (ip reports `Command failed -:N`), as its own argv. */
function failedCommand(
  ns: Netns | undefined,
  lines: readonly (readonly string[])[],
  error: CommandError,
): CommandError {
  const match = /Command failed -:(\d+)/.exec(error.stderr);
  const args = match ? lines[Number(match[1]) - 1] : undefined;
  if (!args) return error;
  const stderr = error.stderr.replace(/^Command failed -:\d+\n?/m, "");
  return new CommandError(ipArgv(ns, args), error.code, stderr);
}

async function runLines(
  runner: Runner,
  ns: Netns | undefined,
  options: readonly string[],
  lines: readonly (readonly string[])[],
): Promise<string> {
  const stdin = `${lines.map(batchLine).join("\n")}\n`;
  try {
    return await runChecked(runner, ipArgv(ns, [...options, "-batch", "-"]), { stdin });
  } catch (error) {
    if (error instanceof CommandError) throw failedCommand(ns, lines, error);
    throw error;
  }
}

/**
 * Runs the commands in order, in one process per family (IPv6 rules in a second one). ip
 * stops at the first failure, which is thrown as a CommandError naming that command; the
 * commands before it have taken effect.
 */
export async function runIpBatch(
  runner: Runner,
  ns: Netns | undefined,
  commands: readonly IpCommand[],
): Promise<void> {
  const inferred = commands.filter((c) => c.family !== "inet6").map((c) => c.args);
  const inet6 = commands.filter((c) => c.family === "inet6").map((c) => c.args);
  if (inferred.length > 0) await runLines(runner, ns, [], inferred);
  if (inet6.length > 0) await runLines(runner, ns, ["-6"], inet6);
}

/**
 * Runs read-only `show` commands with `-j` in one process and returns each one's JSON text,
 * in order (ip prints one line of JSON per command).
 */
export async function readIpBatch(
  runner: Runner,
  ns: Netns | undefined,
  commands: readonly (readonly string[])[],
  family?: "inet" | "inet6",
): Promise<string[]> {
  const options = ["-j", ...(family === "inet6" ? ["-6"] : family === "inet" ? ["-4"] : [])];
  const stdout = await runLines(runner, ns, options, commands);
  const outputs = stdout.split("\n").filter((line) => line.trim() !== "");
  if (outputs.length !== commands.length) {
    throw new Error(
      `ip -j -batch printed ${outputs.length} results for ${commands.length} commands`,
    );
  }
  return outputs;
}
