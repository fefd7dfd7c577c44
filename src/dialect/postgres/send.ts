/** PostgreSQL's send: one statement of data-modifying CTEs. */
import { CHANGE, kind } from '../../core/change-log.js'
import { blockBetween, conversationUpsert, lockUsers, M_MESSAGE_COLUMNS, MESSAGE_COLUMNS, ON_CONFLICT, sql, visibleTo, type Sql } from '../../db/sql.js'
import type { SendInput } from '../dialect.js'

/**
 * A send as one statement of data-modifying CTEs: lock (or create) both users' dm_user rows,
 * check blocks, insert the message, bring both conversation rows up to date, record the new message
 * in both users' change logs. Answers one row:
 * `blocked`, the message's columns (null when blocked, or when the idempotency key was taken), and
 * `recipient_muted`, read from the recipient's conversation row as the upsert left it.
 *
 * The message row is built from a join of both locked dm_user rows, so it cannot exist (and its id
 * cannot be drawn) before both locks are held. The join also gives the id columns their type,
 * whatever the type of the host's user ids.
 */
export function sendStatement ({ senderId, recipientId, low, high, content, sentAt, idempotencyKey, replyTo }: SendInput): Sql {
  return sql`
    WITH locked AS (
      ${lockUsers(ON_CONFLICT, low, high)}
      RETURNING user_id
    ), blocked AS (
      SELECT EXISTS (SELECT 1 FROM dm_block WHERE ${blockBetween(senderId, recipientId)}) AS blocked
    ), message AS (
      INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, idempotency_key, reply_to_id)
      SELECT s.user_id, r.user_id, CASE WHEN s.user_id = ${low} THEN s.user_id ELSE r.user_id END,
             CASE WHEN s.user_id = ${low} THEN r.user_id ELSE s.user_id END,
             CAST(${content} AS TEXT), CAST(${sentAt} AS TIMESTAMP(3)), CAST(${idempotencyKey} AS TEXT), CAST(${replyTo} AS BIGINT)
      FROM locked s, locked r, blocked b
      WHERE s.user_id = ${senderId} AND r.user_id = ${recipientId} AND NOT b.blocked
      ON CONFLICT (sender_id, idempotency_key) DO NOTHING
      RETURNING ${MESSAGE_COLUMNS}, user_low_id, user_high_id
    ), conversations AS (
      INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
      SELECT owner_id, partner_id, id, unread FROM (
        SELECT user_low_id AS owner_id, user_high_id AS partner_id, id, CASE WHEN recipient_id = user_low_id THEN 1 ELSE 0 END AS unread FROM message
        UNION ALL
        SELECT user_high_id, user_low_id, id, CASE WHEN recipient_id = user_high_id THEN 1 ELSE 0 END FROM message
      ) sides
      ${conversationUpsert(ON_CONFLICT)}
      RETURNING owner_id, muted
    ), changes AS (
      INSERT INTO dm_change (user_id, kind, message_id, partner_id, created_at)
      SELECT sender_id, ${kind(CHANGE.message)}, id, recipient_id, sent_at FROM message
      UNION ALL
      SELECT recipient_id, ${kind(CHANGE.message)}, id, sender_id, sent_at FROM message
    )
    SELECT ${M_MESSAGE_COLUMNS}, b.blocked, r.muted AS recipient_muted,
           rp.id AS reply_id, rp.sender_id AS reply_sender_id, rp.content AS reply_content, rp.unsent_at AS reply_unsent_at
    FROM blocked b LEFT JOIN message m ON true LEFT JOIN conversations r ON r.owner_id = m.recipient_id
    LEFT JOIN LATERAL (
      SELECT id, sender_id, content, unsent_at FROM dm_message WHERE id = m.reply_to_id AND ${visibleTo(senderId)}
    ) rp ON true`
}
