/**
 * Descriptions of Go types as `encoding/json` writes them, each carrying the valibot schema
 * of its friendly TypeScript form. A contract type is declared once with these builders;
 * the friendly schema (what our code sees) and the Go wire form (what `go_codec.ts` writes
 * and reads) both come from that one declaration, so the two cannot drift.
 */
import * as v from "valibot";
import { CidrSchema, IfNameSchema, IpSchema, MacSchema, UuidSchema } from "../core/mod.ts";

// deno-lint-ignore no-explicit-any
type Schema = v.GenericSchema<any, any>;

export type GoKind =
  | "string"
  | "bool"
  | "uint"
  | "uuid"
  | "mac"
  | "ip"
  | "ipnet"
  | "slice"
  | "struct";

export interface GoType<S extends Schema = Schema> {
  readonly kind: GoKind;
  /** The friendly form's schema. */
  readonly schema: S;
  /** Element type of a slice. */
  readonly elem?: GoType;
  /** Fields of a struct, keyed by their friendly (camelCase) name. */
  readonly fields?: Readonly<Record<string, GoField>>;
}

export interface GoField<T extends GoType = GoType, O extends boolean = boolean> {
  /** The key Go writes: the exported field name (no json tags in EVE's types). */
  readonly goName: string;
  readonly type: T;
  /** Absent in older peers: omitted from the wire when undefined, undefined when absent. */
  readonly optional: O;
}

/** A Go `string`; `schema` may refine it (an interface name, say). */
export function goString<S extends Schema = v.StringSchema<undefined>>(
  schema?: S,
): GoType<S> {
  return { kind: "string", schema: (schema ?? v.string()) as S };
}
export const goIfName = goString(IfNameSchema);
export const goBool: GoType<v.BooleanSchema<undefined>> = { kind: "bool", schema: v.boolean() };
export const goUint: GoType<
  v.SchemaWithPipe<
    readonly [
      v.NumberSchema<undefined>,
      v.IntegerAction<number, undefined>,
      v.MinValueAction<number, 0, undefined>,
    ]
  >
> = {
  kind: "uint",
  schema: v.pipe(v.number(), v.integer(), v.minValue(0)),
};
/** A UUID as text (`satori/go.uuid` marshals canonical text). */
export const goUuid: GoType<typeof UuidSchema> = { kind: "uuid", schema: UuidSchema };
/** `net.HardwareAddr`: friendly `"02:16:3e:00:00:01"` or null; wire base64 or null. */
export const goMac: GoType<v.NullableSchema<typeof MacSchema, undefined>> = {
  kind: "mac",
  schema: v.nullable(MacSchema),
};
/** `net.IP`: friendly text or null; wire text, `""` for nil. */
export const goIp: GoType<v.NullableSchema<typeof IpSchema, undefined>> = {
  kind: "ip",
  schema: v.nullable(IpSchema),
};
/** `*net.IPNet`: friendly `"10.11.12.5/24"` or null; wire `{IP, Mask}` or null. */
export const goIpNet: GoType<v.NullableSchema<typeof CidrSchema, undefined>> = {
  kind: "ipnet",
  schema: v.nullable(CidrSchema),
};

/** A Go slice: nil is `null` on both sides, empty is `[]`. */
export function goSlice<T extends GoType>(
  elem: T,
): GoType<v.NullableSchema<v.ArraySchema<T["schema"], undefined>, undefined>> {
  return { kind: "slice", elem, schema: v.nullable(v.array(elem.schema)) };
}

export function field<T extends GoType>(goName: string, type: T): GoField<T, false> {
  return { goName, type, optional: false };
}
export function optionalField<T extends GoType>(goName: string, type: T): GoField<T, true> {
  return { goName, type, optional: true };
}

type FriendlyEntries<F extends Record<string, GoField>> = {
  [K in keyof F]: F[K] extends GoField<infer T, true> ? v.OptionalSchema<T["schema"], undefined>
    : F[K]["type"]["schema"];
};

/**
 * A Go struct. Its friendly schema is a loose object (unknown keys are dropped), as Go's
 * decoder ignores unknown keys too: newer peers may send more.
 */
export function goStruct<F extends Record<string, GoField>>(
  fields: F,
): GoType<v.ObjectSchema<FriendlyEntries<F>, undefined>> & { readonly fields: F } {
  const entries: Record<string, Schema> = {};
  for (const [name, f] of Object.entries(fields)) {
    entries[name] = f.optional ? v.optional(f.type.schema) : f.type.schema;
  }
  return {
    kind: "struct",
    fields,
    schema: v.object(entries) as unknown as v.ObjectSchema<FriendlyEntries<F>, undefined>,
  };
}

/** The friendly TypeScript type of a Go type description. */
export type Friendly<T extends GoType> = v.InferOutput<T["schema"]>;
