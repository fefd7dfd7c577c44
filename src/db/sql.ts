/**
 * SQL the store's statements share, named once. Fragments are `sql` tags: they nest in other
 * statements, and every value in them stays a bound parameter. Nothing here is built from
 * anything a request carries but values.
 */
import sql, { empty, join, raw, type Sql } from 'sql-template-tag'
import type { UserId } from '../domain/types.js'
import { MESSAGE_COLUMNS as MESSAGE_COLUMNS_OF_TABLE } from '../schema/tables.js'

export { sql, empty, join, raw, type Sql }

/**
 * `items` in lists of at most `size` (none for none): for IN lists and VALUES lists whose length
 * no page bounds, so that a statement's bound parameters stay far below every database's limit
 * (SQLite 32,766, PostgreSQL 65,535).
 */
export function batches<T> (items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

const COLUMNS = MESSAGE_COLUMNS_OF_TABLE

/** The columns a message is read from, unprefixed. */
export const MESSAGE_COLUMNS = raw(COLUMNS.join(', '))

/** The message columns of the table aliased `m`. */
export const M_MESSAGE_COLUMNS = raw(COLUMNS.map((column) => `m.${column}`).join(', '))

/** As many NULLs as there are message columns (the other parts of a UNION ALL). */
export const NULL_MESSAGE_COLUMNS = raw(COLUMNS.map(() => 'NULL').join(', '))

/** An inbound message of `owner`'s that counts as unread: not read, not hidden by them, not unsent. */
export function unreadBy (owner: UserId): Sql {
  return sql`recipient_id = ${owner} AND read_at IS NULL AND deleted_by_recipient = false AND unsent_at IS NULL`
}

/** A message `owner` takes part in and has not hidden (the flags of per-user deletes). */
export function visibleTo (owner: UserId): Sql {
  return sql`((sender_id = ${owner} AND deleted_by_sender = false) OR (recipient_id = ${owner} AND deleted_by_recipient = false))`
}

/** The messages between the two users of a conversation key: one index range scan. */
export function inConversation (low: UserId, high: UserId): Sql {
  return sql`user_low_id = ${low} AND user_high_id = ${high}`
}

/** Where a page starts, and which way it reads: older pages newest first, newer pages oldest first. */
export interface Keyset {
  /** `<` reading older items, `>` reading newer ones. */
  beyond: Sql
  /** `DESC` reading older items, `ASC` reading newer ones. */
  order: Sql
}

export function keyset (direction: 'older' | 'newer'): Keyset {
  return direction === 'older' ? { beyond: raw('<'), order: raw('DESC') } : { beyond: raw('>'), order: raw('ASC') }
}

/** How a database writes an upsert (a part of its Dialect). */
export interface Upserts {
  /** What an INSERT adds to update the row already there on `conflict` with `set`. */
  upsert(conflict: readonly string[], set: Sql): Sql
  /** In an upsert's `set`: the value the INSERT brought for `column`. */
  inserted(column: string): Sql
  /** What an INSERT adds to leave a row already there on `conflict` as it is. */
  keep(conflict: readonly string[]): Sql
}

/** `INSERT ... ON CONFLICT`, as PostgreSQL and SQLite write an upsert. */
export const ON_CONFLICT: Upserts = {
  upsert: (conflict, set) => sql`ON CONFLICT (${raw(conflict.join(', '))}) DO UPDATE SET ${set}`,
  inserted: (column) => raw(`excluded.${column}`),
  keep: (conflict) => raw(`ON CONFLICT (${conflict.join(', ')}) DO NOTHING`)
}

/**
 * The upsert of both participants' conversation rows after a send (the inserted rows hold the new
 * message and each side's unread increment): the newest message id is never moved backwards by a
 * concurrent older send, the recipient's unread count grows by one, and a new message brings an
 * archived conversation back to both participants' lists (`muted` is the owner's to change: kept;
 * new rows are neither muted nor archived).
 */
export function conversationUpsert (forms: Upserts): Sql {
  const last = forms.inserted('last_message_id')
  return forms.upsert(['owner_id', 'partner_id'], sql`
    last_message_id = CASE
      WHEN dm_conversation.last_message_id IS NULL OR dm_conversation.last_message_id < ${last}
      THEN ${last} ELSE dm_conversation.last_message_id END,
    unread_count = dm_conversation.unread_count + ${forms.inserted('unread_count')},
    archived = false`)
}

/** Creates a user's dm_user row, or locks it when it is there (an update that changes nothing). */
export function lockUserRow (forms: Upserts): Sql {
  return forms.upsert(['user_id'], sql`user_id = ${forms.inserted('user_id')}`)
}

/** A boolean literal (not a parameter: both dialects read `true`/`false`, SQLite stores 1/0). */
export function bool (value: boolean): Sql {
  return raw(value ? 'true' : 'false')
}

/**
 * The users' dm_user rows, created or locked, in id order, so that concurrent writes concerning
 * the same users cannot deadlock (see the send in features/messages and core/change-log.ts).
 */
export function lockUsers (forms: Upserts, ...users: UserId[]): Sql {
  const sorted = [...new Set(users)].sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
  return sql`INSERT INTO dm_user (user_id) VALUES ${join(sorted.map((user) => sql`(${user})`))} ${lockUserRow(forms)}`
}

/** Whether either of the two users (ids, or columns of the statement) blocks the other. */
export function blockBetween (a: UserId | Sql, b: UserId | Sql): Sql {
  return sql`(blocker_id = ${a} AND blocked_id = ${b}) OR (blocker_id = ${b} AND blocked_id = ${a})`
}

/**
 * That neither of `a` and `b` blocks the other, where they are columns of an outer query. One
 * NOT EXISTS over both directions where the database looks each up in dm_block_pair; one per
 * direction where it cannot (see Dialect.splitOrLookups). (Written the other way on PostgreSQL,
 * two NOT EXISTS become anti-joins the planner may hash over the whole table.)
 */
export function noBlockBetween (split: boolean, a: Sql, b: Sql): Sql {
  return split
    ? sql`NOT EXISTS (SELECT 1 FROM dm_block WHERE blocker_id = ${a} AND blocked_id = ${b})
      AND NOT EXISTS (SELECT 1 FROM dm_block WHERE blocker_id = ${b} AND blocked_id = ${a})`
    : sql`NOT EXISTS (SELECT 1 FROM dm_block WHERE ${blockBetween(a, b)})`
}

/**
 * Dialect.withPartners as a plain join on the user table's key (for databases without LATERAL).
 */
export function joinPartners (statement: Sql, users: { from: Sql, id: Sql, columns: Sql }, column: string, order: Sql): Sql {
  return sql`
    SELECT p.*, ${users.columns} FROM (${statement}) p JOIN ${users.from} ON ${users.id} = p.${raw(column)}
    ORDER BY ${order}`
}

/**
 * Dialect.recentPartners with a window function (for databases without LATERAL): all of each
 * owner's conversations are ranked.
 */
export function rankedRecentPartners (owners: readonly UserId[], limit: number): Sql {
  return sql`
    SELECT owner_id, partner_id FROM (
      SELECT owner_id, partner_id, ROW_NUMBER() OVER (PARTITION BY owner_id ORDER BY last_message_id DESC) AS n
      FROM dm_conversation WHERE owner_id IN (${join(owners)}) AND last_message_id IS NOT NULL
    ) ranked WHERE n <= ${limit}`
}

/** The newest message of the conversation `owner` can see, below `below` (a subquery). */
export function newestVisible (owner: UserId, low: UserId, high: UserId, below: Sql = empty): Sql {
  return sql`SELECT id FROM dm_message WHERE ${inConversation(low, high)} ${below} AND ${visibleTo(owner)} ORDER BY id DESC LIMIT 1`
}
