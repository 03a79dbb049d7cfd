import assert from "node:assert/strict";
import { requireDhcpTools } from "./tools.ts";

Deno.test("requireDhcpTools: code 50 naming the tool missing from PATH; found when present", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-bridge-tools-" });
  try {
    await assert.rejects(
      requireDhcpTools({ PATH: dir }),
      (e: { code: number; msg: string }) => e.code === 50 && e.msg === '"udhcpc" is not installed',
    );
    await Deno.writeTextFile(`${dir}/udhcpc`, "#!/bin/sh\n");
    // Present but not executable does not count.
    await assert.rejects(requireDhcpTools({ PATH: dir }), /"udhcpc" is not installed/);
    await Deno.chmod(`${dir}/udhcpc`, 0o755);
    await assert.rejects(requireDhcpTools({ PATH: dir }), /"nsenter" is not installed/);
    await Deno.writeTextFile(`${dir}/nsenter`, "#!/bin/sh\n", { mode: 0o755 });
    await Deno.chmod(`${dir}/nsenter`, 0o755);
    await requireDhcpTools({ PATH: `/nonexistent:${dir}` });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
