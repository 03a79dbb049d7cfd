import { strictEqual } from "node:assert/strict";
import fc from "fast-check";
import { isoTime } from "./iso_time.ts";

Deno.test("isoTime writes what Date's toISOString writes, for any time in years 0000-9999", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }),
      (ms) => strictEqual(isoTime(ms), new Date(ms).toISOString()),
    ),
    { numRuns: 20_000 },
  );
});

Deno.test("isoTime at the calendar's edges: leap days, century years, the range's ends", () => {
  const edges = [
    0,
    -1,
    951_782_400_000, // 2000-02-29
    4_107_456_000_000, // 2100-02-28
    4_107_542_399_999, // 2100-02-28T23:59:59.999 (2100 is not a leap year)
    -62_167_219_200_000,
    253_402_300_799_999,
    1_700_000_000_123.9, // a fraction of a millisecond is cut, as Date does
    -1.5, // towards zero, as Date does
  ];
  for (const ms of edges) strictEqual(isoTime(ms), new Date(ms).toISOString(), `${ms}`);
});

Deno.test("isoTime hands years Date writes with six digits back to Date", () => {
  strictEqual(isoTime(253_402_300_800_000), "+010000-01-01T00:00:00.000Z");
  strictEqual(isoTime(-62_167_219_200_001), "-000001-12-31T23:59:59.999Z");
});
