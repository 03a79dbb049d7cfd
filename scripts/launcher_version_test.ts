/**
 * The launcher's own VERSION answer (scripts/launcher.ts, versionLines) against the program's
 * (plugin/cni/version_answer.ts): for every stdin, the built eve-bridge prints exactly what
 * versionAnswer() gives, whether sh answered or handed the stdin it read on to Deno. Which one
 * answered is told by a runtime that cannot start (EVE_CNI_DENO=/bin/false).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { versionAnswer } from "../plugin/cni/version_answer.ts";
import { spawn } from "../netns/mod.ts";
import { EVE_BRIDGE } from "./sandbox/paths.ts";

interface Answer {
  readonly code: number;
  readonly stdout: string;
}

async function version(stdin: string, env: Record<string, string> = {}): Promise<Answer> {
  const { code, stdout } = await spawn(
    [EVE_BRIDGE],
    { CNI_COMMAND: "VERSION", PATH: "/usr/bin:/bin", ...env },
    stdin,
  );
  return { code, stdout };
}

const expected = (stdin: string) => `${versionAnswer(stdin)}\n`;

Deno.test("launcher VERSION: libcni's stdin and an empty one are answered by sh alone", async () => {
  for (
    const stdin of [
      '{"cniVersion":"1.0.0"}',
      '{"cniVersion":"0.3.1"}\n',
      "",
      "\n",
      '{"cniVersion":"9.9"}',
    ]
  ) {
    const answer = await version(stdin, { EVE_CNI_DENO: "/bin/false" });
    assert.deepEqual(answer, { code: 0, stdout: expected(stdin) }, JSON.stringify(stdin));
  }
});

Deno.test("launcher VERSION: any other stdin goes on to Deno, read once, answered the same", async () => {
  const others = [
    '{ "cniVersion": "1.0.0" }',
    '{"cniVersion":"1.0.0","name":"eve"}',
    '{\n  "cniVersion": "0.4.0",\n  "plugins": []\n}\n',
    '{"cniVersion":""}',
    '{"cniVersion":"1.0.0"}\n\n',
    '{"cniVersion":"a\\"b"}',
    "not json",
    "  \\\\ back\\slashes \\n  \n\n",
  ];
  for (const stdin of others) {
    const stopped = await version(stdin, { EVE_CNI_DENO: "/bin/false" });
    assert.notEqual(stopped.code, 0, `sh answered ${JSON.stringify(stdin)} itself`);
    assert.deepEqual(await version(stdin), { code: 0, stdout: expected(stdin) }, stdin);
  }
});

Deno.test("launcher VERSION: sh and Deno together answer as versionAnswer() for any text", async () => {
  const jsonish = fc.string({
    unit: fc.constantFrom(...'{}[]":,. \t\n\\0123456789acinoVrs'),
    maxLength: 40,
  });
  const nearPlain = fc.tuple(
    fc.string({ unit: fc.constantFrom(...'0123456789.a "\\\n'), maxLength: 8 }),
    fc.boolean(),
  )
    .map(([v, newline]) => `{"cniVersion":"${v}"}${newline ? "\n" : ""}`);
  await fc.assert(
    fc.asyncProperty(fc.oneof(jsonish, nearPlain), async (stdin) => {
      assert.deepEqual(await version(stdin), { code: 0, stdout: expected(stdin) });
    }),
    { numRuns: 40 },
  );
});
