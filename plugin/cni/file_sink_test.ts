import assert from "node:assert/strict";
import { getRotatingFileSink, RotationRefused } from "./file_sink.ts";
import { formatLogLine } from "./log_line.ts";

Deno.test("file sink: JSON lines appended, rotated to FILE.1, FILE.2 ... past maxSize", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-file-sink-" });
  try {
    const path = `${dir}/eve-bridge.log`;
    await Deno.writeTextFile(path, '{"message":"an earlier invocation"}\n');
    const sink = getRotatingFileSink(path, { maxSize: 600, maxFiles: 2 });
    for (let i = 0; i < 12; i++) {
      sink.write(formatLogLine("info", "line {i}", { containerID: "c1", i }));
    }
    sink.close();
    const read = (p: string) =>
      Deno.readTextFileSync(p).trim().split("\n").map((l) => JSON.parse(l));
    const files = [`${path}.2`, `${path}.1`, path].filter((p) => {
      try {
        return Deno.statSync(p).size > 0;
      } catch {
        return false;
      }
    });
    assert.equal(files.length, 3, "the live file and two rotated ones");
    for (const file of files) assert.ok(Deno.statSync(file).size <= 600, file);
    const lines = files.flatMap(read).filter((l) => l.properties?.containerID === "c1");
    // The oldest generation beyond FILE.<maxFiles> is gone; what is left is in order.
    const numbers = lines.map((l) => l.properties.i);
    assert.deepEqual(numbers, numbers.slice().sort((a, b) => a - b));
    assert.equal(numbers.at(-1), 11);
    assert.ok(lines.every((l) => l.level === "INFO" && l.message === `line ${l.properties.i}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("file sink: a path that cannot be opened throws (the log falls back to stderr)", () => {
  assert.throws(() => getRotatingFileSink("/nonexistent-dir/x.log", { maxSize: 100, maxFiles: 2 }));
});

Deno.test("file sink: a refused rotation renames nothing and writes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eve-file-sink-" });
  try {
    const path = `${dir}/eve-bridge.log`;
    const sink = getRotatingFileSink(path, {
      maxSize: 200,
      maxFiles: 2,
      rotationProblem: () => `"${path}.2" is not a JSON log`,
    });
    sink.write(formatLogLine("info", "first", { i: 1 }));
    const size = Deno.statSync(path).size;
    const over = formatLogLine("info", "second {pad}", { pad: "x".repeat(200) });
    assert.throws(() => sink.write(over), RotationRefused);
    sink.close();
    assert.equal(Deno.statSync(path).size, size);
    assert.throws(() => Deno.statSync(`${path}.1`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
