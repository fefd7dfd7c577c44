/** What a user id and an idempotency key may be, and what no text the plugin stores may hold. */
import type { UserId } from './types.js'

/** The largest integer user id (PostgreSQL INTEGER). */
export const MAX_USER_ID = 2_147_483_647

/**
 * String user ids the plugin accepts: what cuid, uuid and nanoid produce. Plain ASCII also makes
 * JavaScript's order of two ids the databases' byte order, which the conversation key relies on.
 */
export const STRING_USER_ID = /^[A-Za-z0-9_-]{1,128}$/

/** Whether a value is a user id of the given type: a positive 32-bit integer, or a string id. */
export function isUserId (value: unknown, type: 'integer' | 'string' = 'integer'): value is UserId {
  if (type === 'string') return typeof value === 'string' && STRING_USER_ID.test(value)
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_USER_ID
}

/**
 * Ids in paths must be plain decimal digits: a coercing validator would otherwise read `0x10`,
 * `0b11` or `1e1` as numbers (and `1e400` as Infinity), and act on an id the client never wrote.
 */
export const DECIMAL_ID = /^[1-9][0-9]{0,15}$/

/** An SSE event id as the client sends it back: a change id, or 0 (the position of a user without changes). */
export const EVENT_ID = /^(0|[1-9][0-9]{0,15})$/

/** What an idempotency key may be: 1–255 visible ASCII characters (the header's rule too). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/

/** A NUL character (PostgreSQL text cannot hold it) or a UTF-16 surrogate without its pair. */
// eslint-disable-next-line no-control-regex -- matching the control character is the point
export const INVALID_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
