/**
 * The change log (dm_change): one row per change a user's event streams show — a new message, a
 * change to one (edit, unsend, reaction, read), the user's own delete of a message or of a
 * conversation — written in the same transaction as the change.
 *
 * Commit order per user: a row's id is drawn while the dm_user rows of the users it concerns are
 * locked (every write locks them first, before it touches a message: see
 * lockUsers in db/sql.ts), so once a user's stream has shown change N, no change of theirs
 * below N can still commit. On SQLite the one writer orders every transaction anyway.
 */
import type { UserId } from '../domain/types.js'
import { join, lockUserRow, M_MESSAGE_COLUMNS, raw, sql, visibleTo, type Sql, type Upserts } from '../db/sql.js'

/**
 * What a change-log row records (dm_change.kind). A stream shows each as the frame of the same
 * name (`message`, `message_updated`, `deleted`, `conversation_deleted`; a read as `message_updated`
 * and a `read` summary); the bus wakes the streams with one event per kind (realtime/bus.ts).
 */
export const CHANGE = {
  /** A new message (`message_id`). */
  message: 1,
  /** Message `message_id` was edited, unsent or reacted to. */
  updated: 2,
  /** Message `message_id` was read (`partner_id`: the other participant). */
  read: 3,
  /** The user hid message `message_id` for themselves. */
  deleted: 4,
  /** The user hid their whole conversation with `partner_id`. */
  conversationDeleted: 5
} as const

export type ChangeKind = typeof CHANGE[keyof typeof CHANGE]

/** A kind as a literal of the statement (a constant: PostgreSQL types a bare parameter in a SELECT list as text). */
export function kind (value: ChangeKind): Sql {
  return raw(String(value))
}

/** One row to record: whose change it is, what it is, and what it is about. */
export interface ChangeRow {
  user: UserId
  kind: ChangeKind
  messageId: number | null
  partnerId: UserId | null
}

/**
 * Locks (creating them if need be) the dm_user rows of both participants of message `id`, in id
 * order, when `viewer` is one of them. The participants of a message never change, so reading
 * them before the lock is safe. (`WHERE true`: SQLite's upsert after a SELECT needs a WHERE.)
 */
export function lockParticipantsStatement (forms: Upserts, viewer: UserId, id: number): Sql {
  const party = sql`id = ${id} AND (sender_id = ${viewer} OR recipient_id = ${viewer})`
  return sql`INSERT INTO dm_user (user_id)
    SELECT user_id FROM (
      SELECT sender_id AS user_id FROM dm_message WHERE ${party}
      UNION ALL
      SELECT recipient_id FROM dm_message WHERE ${party}) participants
    WHERE true ORDER BY user_id ${lockUserRow(forms)}`
}

/** Inserts `rows`, created at `at` (the provider's timestamp expression). */
export function recordStatement (rows: readonly ChangeRow[], at: Sql): Sql {
  return sql`INSERT INTO dm_change (user_id, kind, message_id, partner_id, created_at) VALUES ${join(
    rows.map((row) => sql`(${row.user}, ${kind(row.kind)}, ${row.messageId}, ${row.partnerId}, ${at})`))}`
}

/**
 * Records a read of every message `unread` selects (a predicate over dm_message), for both
 * participants: one statement whatever their number, issued before the messages are marked.
 */
export function readStatement (unread: Sql, at: Sql): Sql {
  return sql`INSERT INTO dm_change (user_id, kind, message_id, partner_id, created_at)
    SELECT sender_id, ${kind(CHANGE.read)}, id, recipient_id, ${at} FROM dm_message WHERE ${unread}
    UNION ALL
    SELECT recipient_id, ${kind(CHANGE.read)}, id, sender_id, ${at} FROM dm_message WHERE ${unread}`
}

/**
 * Where a resuming stream stands, in one statement: whether change `after` of `user` is still
 * in the log, the created time of the user's oldest change, and the id of their newest.
 */
export function positionStatement (user: UserId, after: number): Sql {
  return sql`SELECT
    (SELECT COUNT(*) FROM dm_change WHERE user_id = ${user} AND id = ${after}) AS found,
    (SELECT created_at FROM dm_change WHERE user_id = ${user} ORDER BY id LIMIT 1) AS oldest,
    (SELECT MAX(id) FROM dm_change WHERE user_id = ${user}) AS latest`
}

/**
 * `user`'s changes after change `after`, oldest first, at most `limit`, each with the columns of
 * its message when `user` still sees it: one index range scan of (user_id, id), and a primary-key
 * lookup per change.
 */
export function changesStatement (user: UserId, after: number, limit: number): Sql {
  return sql`
    SELECT c.id AS change_id, c.kind, c.message_id AS change_message_id, c.partner_id AS change_partner_id, ${M_MESSAGE_COLUMNS}
    FROM dm_change c LEFT JOIN dm_message m ON m.id = c.message_id AND ${visibleTo(user)}
    WHERE c.user_id = ${user} AND c.id > ${after}
    ORDER BY c.id LIMIT ${limit}`
}
