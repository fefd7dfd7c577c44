/**
 * The statements of messages (dm_message and what hangs off it: edits, reactions): the send, the
 * changes to a message, the per-user delete. Writes take the transaction they run in and answer
 * the rows as the database left them; the change log and the announcements are the write path's
 * (core/write.ts).
 */
import type { Executor } from '../../db/database.js'
import { dateOf } from '../../db/database.js'
import { isUniqueViolation } from '../../db/errors.js'
import { conversationUpsert, empty, inConversation, lockUsers, MESSAGE_COLUMNS, newestVisible, sql, visibleTo, type Sql } from '../../db/sql.js'
import { CHANGE, lockParticipantsStatement, type ChangeRow } from '../../core/change-log.js'
import type { Context } from '../../core/context.js'
import type { SendInput } from '../../dialect/dialect.js'
import type { Message, MessageEdit, UserId } from '../../domain/types.js'
import { blockersBetween } from '../blocks/queries.js'
import { flagOf, pair, completeOne, previewOf, toMessage, type Flag, type MessageRow, type StoredMessage } from './message.js'

/** What a send did: stored the message, found the key used before, or nothing, because a block refused it. */
export type SendOutcome =
  | { outcome: 'created', message: Message, recipientMuted: boolean }
  | { outcome: 'taken' }
  | { outcome: 'blocked' }

/** The one-statement send's row (Dialect.sendStatement): the message (all null when none was stored), and its reply's preview. */
type SendRow = MessageRow & { blocked: boolean, recipient_muted: Flag | null } & {
  reply_id: bigint | number | null
  reply_sender_id: number | string | null
  reply_content: string | null
  reply_unsent_at: Date | string | number | null
}

/** The change-log rows of a new message or of a change to one: one for each participant. */
export function bothParticipants (kind: typeof CHANGE.message | typeof CHANGE.updated, message: Message): ChangeRow[] {
  return [
    { user: message.senderId, kind, messageId: message.id, partnerId: message.recipientId },
    { user: message.recipientId, kind, messageId: message.id, partnerId: message.senderId }
  ]
}

/**
 * The send as a transaction of several statements, for a database without the one-statement
 * send: blocks, the participants' dm_user locks (in id order, so that concurrent sends in both
 * directions cannot deadlock; the message id is drawn while both are held, so each user's
 * messages get ids in commit order), the message, both conversation rows (the newest message id
 * never moved backwards, the recipient's unread count up by one, back from the archive). The
 * caller records the new message in both change logs.
 */
export async function sendInTransaction (ctx: Context, tx: Executor, input: SendInput): Promise<SendOutcome> {
  const { senderId, recipientId, low, high, content, sentAt, idempotencyKey, replyTo } = input
  const { dialect } = ctx
  if ((await blockersBetween(ctx, senderId, recipientId, tx)).length > 0) return { outcome: 'blocked' }
  await tx.execute(lockUsers(dialect, low, high))
  const insert = sql`
    INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, idempotency_key, reply_to_id)
    VALUES (${senderId}, ${recipientId}, ${low}, ${high}, ${content}, ${sentAt}, ${idempotencyKey}, ${replyTo})`
  let row: MessageRow | undefined
  if (dialect.returning) {
    [row] = await tx.query<MessageRow>(sql`${insert} ${dialect.keep(['sender_id', 'idempotency_key'])} RETURNING ${MESSAGE_COLUMNS}`)
  } else {
    // The key used before: the unique index refuses the row (a statement's error: the transaction goes on).
    try {
      await tx.execute(insert)
    } catch (err) {
      if (isUniqueViolation(err)) return { outcome: 'taken' }
      throw err
    }
    [row] = await tx.query<MessageRow>(sql`SELECT ${MESSAGE_COLUMNS} FROM dm_message WHERE id = ${dialect.insertedId}`)
  }
  if (row === undefined) return { outcome: 'taken' }
  const message = await completeOne(ctx, toMessage(row, ctx.uid), senderId, tx)
  const lowUnread = low === recipientId ? 1 : 0
  const upsert = sql`
    INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
    VALUES (${low}, ${high}, ${message.id}, ${lowUnread}), (${high}, ${low}, ${message.id}, ${1 - lowUnread})
    ${conversationUpsert(dialect)}`
  // The recipient's row as the upsert left it says whether they muted the conversation.
  let muted: Flag | undefined
  if (dialect.returning) {
    const rows = await tx.query<{ owner_id: number | string, muted: Flag }>(sql`${upsert} RETURNING owner_id, muted`)
    muted = rows.find((conversation) => ctx.uid(conversation.owner_id) === recipientId)?.muted
  } else {
    await tx.execute(upsert)
    ;[{ muted } = { muted: undefined }] = await tx.query<{ muted: Flag }>(sql`
      SELECT muted FROM dm_conversation WHERE owner_id = ${recipientId} AND partner_id = ${senderId}`)
  }
  return { outcome: 'created', message, recipientMuted: flagOf(muted ?? false) }
}

/** What the one-statement send's row says it did, with the message as its sender sees it (the statement reads the reply's preview too). */
export function sendOutcomeOf (ctx: Context, rows: unknown[]): SendOutcome {
  const row = rows[0] as SendRow
  if (row.blocked) return { outcome: 'blocked' }
  if (row.id === null) return { outcome: 'taken' }
  const { replyToId, reactionCount: _none, attachmentCount: _nothing, ...message } = toMessage(row, ctx.uid)
  const replyTo = replyToId === null || row.reply_id === null
    ? null
    : previewOf(row.reply_id, row.reply_sender_id as number | string, row.reply_content ?? '', row.reply_unsent_at, ctx.uid)
  return { outcome: 'created', message: { ...message, replyTo }, recipientMuted: flagOf(row.recipient_muted) }
}

/** The message `sender` sent with this idempotency key, if any. */
export async function messageByIdempotencyKey (ctx: Context, sender: UserId, key: string): Promise<Message | null> {
  const rows = await ctx.db.query<MessageRow>(sql`
    SELECT ${MESSAGE_COLUMNS} FROM dm_message WHERE sender_id = ${sender} AND idempotency_key = ${key}`)
  return rows[0] === undefined ? null : await completeOne(ctx, toMessage(rows[0], ctx.uid), sender)
}

/** Whether `id` is a message of the conversation of `sender` with `recipient` that `sender` can see. */
export async function isReplyTarget (ctx: Context, sender: UserId, recipient: UserId, id: number): Promise<boolean> {
  const [low, high] = pair(sender, recipient)
  const rows = await ctx.db.query(sql`SELECT id FROM dm_message WHERE id = ${id} AND ${inConversation(low, high)} AND ${visibleTo(sender)}`)
  return rows.length > 0
}

/** A message row locked for a change, with what the rules of the change need. */
export interface LockedMessage {
  message: StoredMessage
  /** Whether the caller may see it (a participant who has not hidden it). */
  visible: boolean
}

/**
 * Locks message `id` for a change by `viewer` and answers it as stored, with whether `viewer`
 * may see it; null when it does not exist or `viewer` takes no part in it. The participants'
 * dm_user rows first (the order every write takes), then the row itself (Dialect.forUpdate).
 */
export async function lockMessage (ctx: Context, tx: Executor, viewer: UserId, id: number): Promise<LockedMessage | null> {
  await tx.execute(lockParticipantsStatement(ctx.dialect, viewer, id))
  const rows = await tx.query<MessageRow & { visible: Flag }>(sql`
    SELECT ${MESSAGE_COLUMNS}, CASE WHEN ${visibleTo(viewer)} THEN 1 ELSE 0 END AS visible
    FROM dm_message WHERE id = ${id} AND (sender_id = ${viewer} OR recipient_id = ${viewer})
    ${ctx.dialect.forUpdate}`)
  const row = rows[0]
  return row === undefined ? null : { message: toMessage(row, ctx.uid), visible: flagOf(row.visible) }
}

/**
 * Updates message `id` (locked) with `set`, and answers its row as the update left it (with
 * `extra` columns): in the same statement where the database returns rows from an UPDATE,
 * otherwise in a second one.
 */
async function updateMessage<T = object> (ctx: Context, tx: Executor, id: number, set: Sql, extra: Sql = empty): Promise<MessageRow & T> {
  let rows: Array<MessageRow & T>
  if (ctx.dialect.returning) {
    rows = await tx.query<MessageRow & T>(sql`UPDATE dm_message SET ${set} WHERE id = ${id} RETURNING ${MESSAGE_COLUMNS}${extra}`)
  } else {
    await tx.execute(sql`UPDATE dm_message SET ${set} WHERE id = ${id}`)
    rows = await tx.query<MessageRow & T>(sql`SELECT ${MESSAGE_COLUMNS}${extra} FROM dm_message WHERE id = ${id}`)
  }
  return rows[0] as MessageRow & T
}

/** Replaces the content of a locked message, keeping the one it replaces in its history; answers it as stored. */
export async function editMessage (ctx: Context, tx: Executor, message: Message, content: string, at: Date): Promise<StoredMessage> {
  await tx.execute(sql`INSERT INTO dm_message_edit (message_id, content, edited_at) VALUES (${message.id}, ${message.content}, ${at})`)
  return toMessage(await updateMessage(ctx, tx, message.id, sql`content = ${content}, edited_at = ${at}`), ctx.uid)
}

/**
 * Unsends a locked message: its content, history and reactions are erased, and when the
 * recipient had not read it, it no longer counts as unread. Answers the tombstone as stored.
 */
export async function unsendMessage (ctx: Context, tx: Executor, message: Message, at: Date): Promise<StoredMessage> {
  // Whether the message counted as unread for its recipient: columns the update leaves as they were.
  const row = await updateMessage<{ counted: Flag }>(ctx, tx, message.id, sql`unsent_at = ${at}, content = '', reaction_count = 0, attachment_count = 0`,
    sql`, (read_at IS NULL AND deleted_by_recipient = false) AS counted`)
  // A message never edited has no history to erase.
  if (message.editedAt !== null) await tx.execute(sql`DELETE FROM dm_message_edit WHERE message_id = ${message.id}`)
  await tx.execute(sql`DELETE FROM dm_reaction WHERE message_id = ${message.id}`)
  if (flagOf(row.counted)) {
    await tx.execute(sql`
      UPDATE dm_conversation SET unread_count = unread_count - 1 WHERE owner_id = ${message.recipientId} AND partner_id = ${message.senderId}`)
  }
  return toMessage(row, ctx.uid)
}

/** The earlier versions of message `id`, oldest first; null when `viewer` does not see it. */
export async function editsOf (ctx: Context, viewer: UserId, id: number): Promise<MessageEdit[] | null> {
  // From the message, so that one statement also says whether `viewer` sees it (no row: not).
  const rows = await ctx.db.query<{ content: string | null, edited_at: Date | null }>(sql`
    SELECT e.content, e.edited_at FROM dm_message m LEFT JOIN dm_message_edit e ON e.message_id = m.id
    WHERE m.id = ${id} AND ${visibleTo(viewer)} ORDER BY e.id`)
  if (rows.length === 0) return null
  return rows.flatMap((row) => row.content === null ? [] : [{ content: row.content, editedAt: dateOf(row.edited_at) as Date }])
}

/**
 * `user` reacts to a locked message with `emoji`: answers the message as stored after the
 * reaction, or that it was there already ('unchanged'), or that it would be one kind more than
 * `maxKinds` ('too-many').
 */
export async function addReaction (ctx: Context, tx: Executor, message: Message, user: UserId, emoji: string, maxKinds: number, at: Date): Promise<StoredMessage | 'unchanged' | 'too-many'> {
  const messageId = message.id
  const [kinds] = await tx.query<{ kinds: bigint | number, same: bigint | number | null, mine: bigint | number | null }>(sql`
    SELECT COUNT(DISTINCT emoji) AS kinds, SUM(CASE WHEN emoji = ${emoji} THEN 1 ELSE 0 END) AS same,
           SUM(CASE WHEN emoji = ${emoji} AND user_id = ${user} THEN 1 ELSE 0 END) AS mine
    FROM dm_reaction WHERE message_id = ${messageId}`)
  if (Number(kinds?.mine ?? 0) > 0) return 'unchanged'
  if (Number(kinds?.same ?? 0) === 0 && Number(kinds?.kinds ?? 0) >= maxKinds) return 'too-many'
  await tx.execute(sql`INSERT INTO dm_reaction (message_id, user_id, emoji, created_at) VALUES (${messageId}, ${user}, ${emoji}, ${at})`)
  return toMessage(await updateMessage(ctx, tx, messageId, sql`reaction_count = reaction_count + 1`), ctx.uid)
}

/** `user` takes back their `emoji` reaction to a locked message; answers the message as stored after, or null when there was none. */
export async function removeReaction (ctx: Context, tx: Executor, message: Message, user: UserId, emoji: string): Promise<StoredMessage | null> {
  const messageId = message.id
  const removed = await tx.execute(sql`DELETE FROM dm_reaction WHERE message_id = ${messageId} AND user_id = ${user} AND emoji = ${emoji}`)
  if (removed === 0) return null
  return toMessage(await updateMessage(ctx, tx, messageId, sql`reaction_count = reaction_count - ${removed}`), ctx.uid)
}

/** What deleting a message for one participant changed. */
export type HideResult =
  | { outcome: 'hidden', message: Message, partnerId: UserId, detached: number }
  | { outcome: 'already-hidden' }
  | { outcome: 'not-found' }

/**
 * Hides message `id` for `owner`, if `owner` is one of its participants, and brings `owner`'s
 * conversation row up to date: one less unread message when it was an unread inbound one, and
 * the next newest visible message when it was the newest.
 *
 * Locks the message, then the conversation row (the order mark-read uses too). The next newest
 * message is looked up in a statement of its own, issued once the row lock is held: a statement
 * that waited for the lock would still read the snapshot taken before it waited, and could pick a
 * message that a concurrent transaction hid meanwhile (READ COMMITTED).
 */
export async function hideMessage (ctx: Context, tx: Executor, owner: UserId, id: number, attachments: { detach: (tx: Executor, id: number) => Promise<number> }): Promise<HideResult> {
  const { dialect } = ctx
  await tx.execute(lockUsers(dialect, owner))
  const hide = sql`
    UPDATE dm_message SET
      deleted_by_sender = (deleted_by_sender OR sender_id = ${owner}),
      deleted_by_recipient = (deleted_by_recipient OR recipient_id = ${owner})
    WHERE id = ${id} AND ${visibleTo(owner)}`
  let rows: MessageRow[]
  if (dialect.returning) {
    rows = await tx.query<MessageRow>(sql`${hide} RETURNING ${MESSAGE_COLUMNS}`)
  } else {
    // The row locked first, then hidden: the hide leaves the columns read as they were.
    rows = await tx.query<MessageRow>(sql`SELECT ${MESSAGE_COLUMNS} FROM dm_message WHERE id = ${id} AND ${visibleTo(owner)} ${dialect.forUpdate}`)
    if (rows.length > 0) await tx.execute(hide)
  }
  if (rows.length === 0) {
    const mine = await tx.query(sql`
      SELECT id FROM dm_message WHERE id = ${id} AND (sender_id = ${owner} OR recipient_id = ${owner})`)
    return { outcome: mine.length > 0 ? 'already-hidden' : 'not-found' }
  }
  const message = toMessage(rows[0] as MessageRow, ctx.uid)
  const partner = message.senderId === owner ? message.recipientId : message.senderId
  const unreadDelta = message.recipientId === owner && message.readAt === null && message.unsentAt === null ? 1 : 0
  const ofOwner = sql`WHERE owner_id = ${owner} AND partner_id = ${partner}`
  const lower = sql`UPDATE dm_conversation SET unread_count = unread_count - ${unreadDelta} ${ofOwner}`
  let conversation: Array<{ last_message_id: bigint | number | null }>
  if (dialect.returning) {
    conversation = await tx.query(sql`${lower} RETURNING last_message_id`)
  } else {
    await tx.execute(lower)
    conversation = await tx.query(sql`SELECT last_message_id FROM dm_conversation ${ofOwner}`)
  }
  if (Number(conversation[0]?.last_message_id) === id) {
    const [low, high] = pair(owner, partner)
    await tx.execute(sql`
      UPDATE dm_conversation SET last_message_id = (${newestVisible(owner, low, high, sql`AND id < ${id}`)})
      WHERE owner_id = ${owner} AND partner_id = ${partner}`)
  }
  // Hidden by both participants now: nobody may read its files.
  let detached = 0
  if (message.attachmentCount > 0) {
    const [{ gone } = { gone: 0 }] = await tx.query<{ gone: Flag }>(sql`
      SELECT CASE WHEN deleted_by_sender = true AND deleted_by_recipient = true THEN 1 ELSE 0 END AS gone FROM dm_message WHERE id = ${id}`)
    if (flagOf(gone)) detached = await attachments.detach(tx, id)
  }
  return { outcome: 'hidden', message, partnerId: partner, detached }
}
