// The building blocks of the API contract: TypeBox schemas that are plain JSON Schema (OpenAPI 3.0
// dialect, so the same object validates in Fastify, documents in OpenAPI and types in TypeScript). Every
// object is closed (additionalProperties: false); `null` is spelled `nullable: true` and choices `enum`,
// because OpenAPI 3.0 has neither `type: 'null'` nor `const`.
import {
  Type,
  type ObjectOptions,
  type SchemaOptions,
  type Static,
  type TProperties,
  type TSchema,
} from '@sinclair/typebox';

export { Type, type Static, type TSchema };

/** A closed object: the API never sends, nor accepts, a field it does not declare. */
export const Obj = <P extends TProperties>(properties: P, options: ObjectOptions = {}) =>
  Type.Object(properties, { additionalProperties: false, ...options });

export const Int = (options?: SchemaOptions & { minimum?: number; maximum?: number; default?: number }) =>
  Type.Integer(options);
export const Num = (options?: SchemaOptions) => Type.Number(options);
export const Str = (options?: SchemaOptions & { minLength?: number; maxLength?: number; format?: string }) =>
  Type.String(options);
export const Bool = (options?: SchemaOptions & { default?: boolean }) => Type.Boolean(options);
/** ISO 8601 UTC. */
export const Time = (options?: SchemaOptions) => Type.String({ format: 'date-time', ...options });
export const List = <T extends TSchema>(items: T, options?: SchemaOptions) => Type.Array(items, options);
export const Optional = <T extends TSchema>(schema: T) => Type.Optional(schema);

/** `T` or null (OpenAPI 3.0's `nullable`, which Ajv and fast-json-stringify read too). */
export const Nullable = <T extends TSchema>(schema: T, options?: SchemaOptions) =>
  Type.Unsafe<Static<T> | null>({ ...schema, nullable: true, ...options });

/** One of these strings. */
export const StringEnum = <const V extends readonly string[]>(values: V, options?: SchemaOptions) =>
  Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });

/** Any JSON object (error details). */
export const AnyObject = (options?: SchemaOptions) =>
  Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true, ...options });

/** An [x, y] pair (OpenAPI 3.0 has no tuples). */
export const Pair = (options?: SchemaOptions) =>
  Type.Unsafe<[number, number]>({
    type: 'array',
    items: { type: 'number' },
    minItems: 2,
    maxItems: 2,
    ...options,
  });

/** A named shared schema: registered once by its $id, referenced everywhere else. */
export type Named = TSchema & { $id: string };

/**
 * A named schema as `$ref` (a component of the OpenAPI document), typed as the schema it points to. No
 * siblings: OpenAPI 3.0 ignores them beside a `$ref` (and the document leaves them out).
 */
export const Ref = <T extends Named>(schema: T) => {
  if (!schema.$id) throw new Error('Ref needs a schema with an $id');
  return Type.Unsafe<Static<T>>({ $ref: `${schema.$id}#` });
};

/** Gives a schema its component name. */
export const named = <T extends TSchema>(id: string, schema: T): T & { $id: string } =>
  Object.assign(schema, { $id: id });
