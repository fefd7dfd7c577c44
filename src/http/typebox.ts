/** TypeBox schemas as the serializer writes them fastest, and as OpenAPI 3.0 reads them. */
import { Type, type SchemaOptions, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox'

/**
 * `schema` or null, as `nullable: true` (OpenAPI 3.0) rather than `anyOf [schema, null]`: the
 * response serializer writes it directly, where an `anyOf` makes it validate the value against each
 * branch first (for a message, the whole message object: the largest cost of a list's answer).
 */
export function nullable<T extends TSchema> (schema: T, options: SchemaOptions = {}): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, ...options, nullable: true })
}

/** A string that is one of `values`, as a plain `enum` (not an `anyOf` of literals, see `nullable`). */
export function oneOf<const V extends readonly string[]> (values: V, options: SchemaOptions = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options })
}
