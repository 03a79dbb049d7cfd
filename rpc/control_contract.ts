/**
 * What fake-zedrouter offers a CI job besides EVE's calls: the call journal
 * (`Inspect.Journal`, read-only like the rest of Inspect) and fault injection
 * (`Inspect.Faults` to list, `Control.AddFault` / `Control.ClearFaults` to change). EVE's
 * zedrouter serves none of them. Plain JSON in both dialects, like Inspect.
 *
 * A fault rule as a person writes it (config file `faults:`, `fake-zedrouter fault add`,
 * Control.AddFault) is FaultRuleSchema: which calls (an EVE method, optionally a pod-name
 * glob and a pod interface), what happens (exactly one of `delay`, `fail`, `hang`, `drop`),
 * when (`at`: before the call runs, or after it ran and before the reply), and how often
 * (`once`, `times`, or `always`, the default).
 */
import * as v from "valibot";
import { IfNameSchema } from "../core/mod.ts";
import { EVE_METHODS, EVE_SERVICE, inspectMethod } from "./contract.ts";

/** Our service of methods that change the server (Inspect's never do). */
export const CONTROL_SERVICE = "Control";

const EVE_METHOD_NAMES = Object.keys(EVE_METHODS) as (keyof typeof EVE_METHODS)[];
const SHORT_NAMES = EVE_METHOD_NAMES.map((m) => m.slice(EVE_SERVICE.length + 1)).join(", ");

/** An EVE method, by its short (`ConnectPodAtL2`) or full (`RPCServer.ConnectPodAtL2`) name. */
export const FaultMethodSchema = v.pipe(
  v.string(),
  v.transform((s) => s.includes(".") ? s : `${EVE_SERVICE}.${s}`),
  v.picklist(
    EVE_METHOD_NAMES,
    (issue) => `Expected one of EVE's methods ${SHORT_NAMES}, got ${issue.received}`,
  ),
);

/** A pod name, or a glob over pod names: `*` any run of characters, `?` one character. */
export const PodPatternSchema = v.pipe(
  v.string(),
  v.regex(
    /^[A-Za-z0-9._*?-]{1,253}$/,
    'Expected a pod name or a glob such as "nginx-*" (letters, digits, ".", "_", "-", "*", "?")',
  ),
);

export const FAULT_KINDS = ["delay", "fail", "hang", "drop"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
const COUNT_KEYS = ["once", "times", "always"] as const;

/** `request`: instead of running the call; `reply`: after it ran (its effect stays). */
export const FaultStageSchema = v.picklist(
  ["request", "reply"],
  (issue) => `Expected "request" (before the call runs) or "reply" (after), got ${issue.received}`,
);
export type FaultStage = v.InferOutput<typeof FaultStageSchema>;

/** The longest a delay may be (10 minutes): longer is a hang, say so. */
export const MAX_DELAY_MS = 600_000;

const keysGiven = (input: Record<string, unknown>, keys: readonly string[]) =>
  keys.filter((k) => input[k] !== undefined);
const quoted = (keys: readonly string[]) => keys.map((k) => `"${k}"`).join(", ");

export const FaultRuleSchema = v.pipe(
  v.strictObject({
    method: FaultMethodSchema,
    pod: v.optional(PodPatternSchema),
    interface: v.optional(IfNameSchema),
    at: v.optional(FaultStageSchema, "request"),
    delay: v.optional(v.pipe(
      v.number("Expected a delay in milliseconds, such as 500"),
      v.integer("A delay is a whole number of milliseconds"),
      v.minValue(1, "A delay is at least 1 ms"),
      v.maxValue(MAX_DELAY_MS, `A delay is at most ${MAX_DELAY_MS} ms; use "hang" for never`),
    )),
    fail: v.optional(v.pipe(
      v.string('Expected the error text zedrouter returns, such as "failed to find app"'),
      v.minLength(1, "The error text must not be empty (Go clients read it as no error)"),
      v.maxLength(1000, "The error text has at most 1000 characters"),
    )),
    hang: v.optional(v.literal(true, 'Expected "hang: true" (or leave it out)')),
    drop: v.optional(v.literal(true, 'Expected "drop: true" (or leave it out)')),
    once: v.optional(v.literal(true, 'Expected "once: true" (or leave it out)')),
    times: v.optional(v.pipe(
      v.number("Expected how many calls the fault hits, such as 3"),
      v.integer("times is a whole number of calls"),
      v.minValue(1, "times is at least 1"),
    )),
    always: v.optional(v.literal(true, 'Expected "always: true" (or leave it out)')),
  }),
  v.check(
    (rule) => keysGiven(rule, FAULT_KINDS).length === 1,
    (issue) => {
      const given = keysGiven(issue.input as Record<string, unknown>, FAULT_KINDS);
      return `A fault needs exactly one of ${quoted(FAULT_KINDS)}; ` +
        (given.length === 0 ? "none is given" : `got ${quoted(given)}`);
    },
  ),
  v.check(
    (rule) => keysGiven(rule, COUNT_KEYS).length <= 1,
    (issue) =>
      `A fault takes at most one of ${quoted(COUNT_KEYS)}; got ` +
      quoted(keysGiven(issue.input as Record<string, unknown>, COUNT_KEYS)),
  ),
);
/** A rule as written (method in its full name, `at` filled in). */
export type FaultRule = v.InferOutput<typeof FaultRuleSchema>;

/** A rule in force, with where it came from and how often it struck. */
export const FaultInfoSchema = v.object({
  id: v.number(),
  /** `config`: from the config file (replaced on reload); `rpc`: added at run time. */
  source: v.picklist(["config", "rpc"]),
  method: v.string(),
  pod: v.nullable(v.string()),
  interface: v.nullable(v.string()),
  at: FaultStageSchema,
  kind: v.picklist(FAULT_KINDS),
  /** delay: milliseconds; null otherwise. */
  delayMs: v.nullable(v.number()),
  /** fail: the error text; null otherwise. */
  message: v.nullable(v.string()),
  /** How many calls it may still hit; null = always. */
  remaining: v.nullable(v.number()),
  hits: v.number(),
});
export type FaultInfo = v.InferOutput<typeof FaultInfoSchema>;

/** A fault as a journal entry records it: which rule and what it did. */
export const FaultHitSchema = v.object({
  id: v.number(),
  kind: v.picklist(FAULT_KINDS),
  at: FaultStageSchema,
  delayMs: v.nullable(v.number()),
  message: v.nullable(v.string()),
});
export type FaultHit = v.InferOutput<typeof FaultHitSchema>;

/**
 * How a journaled call ended: `ok` and `error` were answered; `dropped`: a drop fault closed
 * the connection; `abandoned`: the connection closed before any answer (a hang ends so);
 * `pending`: still running (listings only, never in the file).
 */
export const CALL_OUTCOMES = ["ok", "error", "dropped", "abandoned", "pending"] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export const JournalEntrySchema = v.object({
  /** 1, 2, ... in the order calls arrived (per process). */
  seq: v.number(),
  /** When the call arrived, ISO 8601. */
  time: v.string(),
  method: v.string(),
  dialect: v.picklist(["go", "jsonrpc2"]),
  /** The pod name and pod interface the params name, when they do. */
  pod: v.nullable(v.string()),
  interface: v.nullable(v.string()),
  /** The params in the friendly form (MACs and CIDRs as text); as sent when undecodable. */
  params: v.unknown(),
  /** The friendly result; null unless the outcome is `ok`. */
  result: v.unknown(),
  /** The error text the caller got; null unless the outcome is `error`. */
  error: v.nullable(v.string()),
  outcome: v.picklist(CALL_OUTCOMES),
  /** From arrival to the answer (or the end), faults included. */
  durationMs: v.number(),
  faults: v.array(FaultHitSchema),
});
export type JournalEntry = v.InferOutput<typeof JournalEntrySchema>;

export const JournalQuerySchema = v.object({
  /** A method's full or short name (`ConnectPodAtL3`). */
  method: v.optional(v.string()),
  pod: v.optional(PodPatternSchema),
  /** Only entries with a larger seq. */
  since: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});
export type JournalQuery = v.InferOutput<typeof JournalQuerySchema>;

export const JournalSchema = v.object({
  entries: v.array(JournalEntrySchema),
  /** Calls journaled since the server started. */
  total: v.number(),
  /** Entries the in-memory ring no longer holds (oldest first); the file has them all. */
  evicted: v.number(),
  /** The ring's bounds. */
  capacity: v.object({ entries: v.number(), bytes: v.number() }),
  /** The journal file; null when none was asked for. */
  file: v.nullable(v.string()),
});
export type Journal = v.InferOutput<typeof JournalSchema>;

/**
 * One declarative apply (`fake-zedrouter apply`, Control.Apply, or a SIGHUP reload), as
 * kubernetes-nmstate reports a policy per node: the changed NIs were applied and probed;
 * on a failed probe the previous config went back (attachments untouched).
 */
export const ApplyOutcomeSchema = v.picklist(["SuccessfullyConfigured", "FailedToConfigure"]);
export const ApplyRecordSchema = v.object({
  /** ISO 8601, when the apply started. */
  at: v.string(),
  source: v.picklist(["apply", "reload"]),
  outcome: ApplyOutcomeSchema,
  /** The first error (a bad config, or the first NI's); null on success. */
  error: v.nullable(v.string()),
  /** True when the previous config was put back. */
  rolledBack: v.boolean(),
  /** Each NI the apply added, changed or removed, with its own outcome. */
  networkInstances: v.array(v.object({
    name: v.string(),
    change: v.picklist(["added", "changed", "removed"]),
    outcome: ApplyOutcomeSchema,
    error: v.nullable(v.string()),
  })),
});
export type ApplyRecord = v.InferOutput<typeof ApplyRecordSchema>;

export const CONTROL_METHODS = {
  "Control.Apply": inspectMethod(
    v.object({
      /** The new config file's text (YAML or JSON), as `fake-zedrouter apply` read it. */
      configText: v.pipe(v.string(), v.maxLength(4 * 1024 * 1024)),
      /** How long each changed NI's probe may take to pass (default 5000 ms). */
      probeTimeoutMs: v.optional(
        v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(60_000)),
      ),
    }),
    ApplyRecordSchema,
    "Apply a new config: changed NIs are probed; a failed probe rolls everything back",
  ),
  "Inspect.Applies": inspectMethod(
    v.object({}),
    v.object({ applies: v.array(ApplyRecordSchema) }),
    "The recent applies and reloads (oldest first), each with its outcome per NI",
  ),
  "Inspect.Journal": inspectMethod(
    JournalQuerySchema,
    JournalSchema,
    "The calls of EVE's methods received so far (oldest first), with params, replies, faults",
  ),
  "Inspect.Faults": inspectMethod(
    v.object({}),
    v.object({ faults: v.array(FaultInfoSchema) }),
    "The fault rules in force, with their hits",
  ),
  "Control.AddFault": inspectMethod(
    FaultRuleSchema,
    FaultInfoSchema,
    "Add a fault rule; it applies to calls that arrive from now on",
  ),
  "Control.ClearFaults": inspectMethod(
    v.object({ id: v.optional(v.pipe(v.number(), v.integer())) }),
    v.object({ cleared: v.number() }),
    "Remove one fault rule (by id) or all of them",
  ),
} as const;
