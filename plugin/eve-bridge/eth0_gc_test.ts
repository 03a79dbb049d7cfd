import assert from "node:assert/strict";
import { isListed, readHostLocalAllocations } from "./eth0_gc.ts";

Deno.test("host-local allocations: IP files with container (and ifname), lock files skipped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "evetest-hostlocal-" });
  try {
    await Deno.writeTextFile(`${dir}/10.88.0.2`, "c-a\r\neth0");
    await Deno.writeTextFile(`${dir}/10.88.0.3`, "c-old\n"); // written before ifname was recorded
    await Deno.writeTextFile(`${dir}/fd00::5`, "c-v6\r\neth0");
    await Deno.writeTextFile(`${dir}/last_reserved_ip.0`, "10.88.0.3");
    await Deno.writeTextFile(`${dir}/lock`, "");
    assert.deepEqual(await readHostLocalAllocations(dir), [
      { ip: "10.88.0.2", containerID: "c-a", ifname: "eth0" },
      { ip: "10.88.0.3", containerID: "c-old" },
      { ip: "fd00::5", containerID: "c-v6", ifname: "eth0" },
    ]);
    assert.deepEqual(await readHostLocalAllocations(`${dir}/absent`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("host-local allocations: listed by container and ifname, an old one by container", () => {
  const valid = [{ containerID: "c-a", ifname: "eth0" }];
  assert.ok(isListed({ ip: "10.88.0.2", containerID: "c-a", ifname: "eth0" }, valid));
  assert.ok(!isListed({ ip: "10.88.0.4", containerID: "c-a", ifname: "net1" }, valid));
  assert.ok(!isListed({ ip: "10.88.0.5", containerID: "c-b", ifname: "eth0" }, valid));
  assert.ok(isListed({ ip: "10.88.0.3", containerID: "c-a" }, valid));
  assert.ok(!isListed({ ip: "10.88.0.3", containerID: "c-b" }, []));
});
