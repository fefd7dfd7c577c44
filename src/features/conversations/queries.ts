/**
 * The statements of conversations: pages of messages, the conversation list, unread counts, the
 * owner's flags (muted, archived), marking read, deleting a whole conversation for one side.
 *
 * A conversation is one dm_conversation row per participant (owner, partner) holding the owner's
 * newest visible message and unread count, written in the same transaction as the messages, so
 * that lists and counts never scan a user's history; its messages are one range of
 * dm_message_conversation_idx (user_low_id, user_high_id, id).
 */
import type { Executor } from '../../db/database.js'
import {
  batches, bool, empty, inConversation, join, keyset, lockUsers, M_MESSAGE_COLUMNS, MESSAGE_COLUMNS, newestVisible, NULL_MESSAGE_COLUMNS, raw, sql, unreadBy, visibleTo,
  type Sql, type Upserts
} from '../../db/sql.js'
import { readStatement } from '../../core/change-log.js'
import type { Context } from '../../core/context.js'
import { NEWEST } from '../../core/pages.js'
import { IN_BATCH, type PartnerColumns } from '../../core/users.js'
import type { Message, Partner, UnreadCounts, UserId } from '../../domain/types.js'
import { flagOf, pair, complete, toMessage, type Flag, type MessageRow } from '../messages/message.js'

/** The owner's flags of a conversation row. */
export type ConversationFlag = 'muted' | 'archived'

const FLAG_COLUMNS: Record<ConversationFlag, Sql> = { muted: raw('muted'), archived: raw('archived') }

/** A page of a conversation, and the reader's conversation row as it was when the page was read. */
export interface MessagePage {
  messages: Message[]
  /** The reader's unread messages in the conversation. */
  unreadCount: number
  /** The newest message of the conversation the reader could see (0: none). */
  lastMessageId: number
}

/** A conversation row of the owner's list, keyed by its last visible message id. */
export interface ConversationEntry {
  partnerId: UserId
  lastMessageId: number
  unreadCount: number
  /** The owner muted the conversation. */
  muted: boolean
  /** The owner archived the conversation (only on list pages). */
  archived?: boolean
  /** The newest message the owner has not hidden (only on list pages). */
  lastMessage?: Message
  /** The partner's names, when the statement read them (see Users.withPartners). */
  partner?: Partner
}

interface ConversationRow {
  partner_id: number | string
  last_message_id: bigint | number
  unread_count: number
  muted: Flag
}

interface ConversationMessageRow extends MessageRow, PartnerColumns, ConversationRow {
  archived: Flag
}

interface PageRow extends Omit<MessageRow, 'id'> {
  kind: number | bigint
  id: bigint | number | null
  unread_count: number | bigint | null
  last_message_id: number | bigint | null
}

/**
 * One page of the messages between `owner` and `partner` that `owner` has not hidden, in the
 * page's direction, and (from the same snapshot, in the same statement) `owner`'s conversation
 * row: its unread count and newest visible message id (0 and 0 when there is none).
 */
export async function messagePage (ctx: Context, owner: UserId, partner: UserId, direction: 'older' | 'newer', key: number, limit: number): Promise<MessagePage> {
  const [low, high] = pair(owner, partner)
  const { beyond, order } = keyset(direction)
  // Two parts of one UNION ALL: the page's rows (kind 0) and the conversation row (kind 1).
  const rows = await ctx.db.query<PageRow>(sql`
    SELECT 0 AS kind, ${MESSAGE_COLUMNS}, NULL AS unread_count, NULL AS last_message_id FROM (
      SELECT ${MESSAGE_COLUMNS} FROM dm_message
      WHERE ${inConversation(low, high)} AND id ${beyond} ${key} AND ${visibleTo(owner)}
      ORDER BY id ${order} LIMIT ${limit}) page
    UNION ALL
    SELECT 1, ${NULL_MESSAGE_COLUMNS}, unread_count, last_message_id FROM dm_conversation
    WHERE owner_id = ${owner} AND partner_id = ${partner}`)
  const conversation = rows.find((row) => Number(row.kind) === 1)
  const stored = rows.filter((row) => Number(row.kind) === 0).map((row) => toMessage(row as MessageRow, ctx.uid))
  // A UNION ALL keeps no order: put the page's back in its direction.
  stored.sort(direction === 'older' ? (a, b) => b.id - a.id : (a, b) => a.id - b.id)
  return {
    messages: await complete(ctx, stored, owner),
    unreadCount: Number(conversation?.unread_count ?? 0),
    lastMessageId: Number(conversation?.last_message_id ?? 0)
  }
}

/**
 * One page of `owner`'s archived conversations, or of the others, that still show a message,
 * keyed by that message's id, each with its newest visible message (a join: no query per entry).
 * One range scan of dm_conversation_list_idx (owner_id, archived, last_message_id DESC); MySQL is
 * told so (it would rather walk dm_conversation_recent_idx and filter out the other archived value
 * from everything the owner has).
 */
export async function conversationPage (ctx: Context, owner: UserId, archived: boolean, direction: 'older' | 'newer', key: number, limit: number): Promise<ConversationEntry[]> {
  const { beyond, order } = keyset(direction)
  const rows = await ctx.db.query<ConversationMessageRow>(ctx.users.withPartners(sql`
    SELECT c.partner_id, c.last_message_id, c.unread_count, c.muted, c.archived, ${M_MESSAGE_COLUMNS}
    FROM dm_conversation c ${ctx.dialect.forceIndex?.('dm_conversation_list_idx') ?? empty} JOIN dm_message m ON m.id = c.last_message_id
    WHERE c.owner_id = ${owner} AND c.archived = ${bool(archived)} AND c.last_message_id ${beyond} ${key}
    ORDER BY c.last_message_id ${order} LIMIT ${limit}`, 'partner_id', sql`p.last_message_id ${order}`))
  const lastMessages = await complete(ctx, rows.map((row) => toMessage(row, ctx.uid)), owner)
  return rows.map((row, i) => ({
    partnerId: ctx.uid(row.partner_id),
    lastMessageId: Number(row.last_message_id),
    unreadCount: Number(row.unread_count),
    muted: flagOf(row.muted),
    archived: flagOf(row.archived),
    lastMessage: lastMessages[i] as Message,
    partner: ctx.users.partnerOf(row, ctx.uid(row.partner_id))
  }))
}

/**
 * Unread messages addressed to `owner` that `owner` has not hidden: all of them, and those of
 * conversations `owner` has not muted, from the same rows in one statement.
 */
export async function unreadCounts (ctx: Context, owner: UserId): Promise<UnreadCounts> {
  const rows = await ctx.db.query<{ count: bigint | number | null, unmuted_count: bigint | number | null }>(sql`
    SELECT SUM(unread_count) AS count, SUM(CASE WHEN muted = false THEN unread_count ELSE 0 END) AS unmuted_count
    FROM dm_conversation WHERE owner_id = ${owner} AND unread_count > 0`)
  return { count: Number(rows[0]?.count ?? 0), unmutedCount: Number(rows[0]?.unmuted_count ?? 0) }
}

/** `owner`'s conversations with unread messages (muted and archived ones too), most recent first. */
export async function unreadConversations (ctx: Context, owner: UserId): Promise<ConversationEntry[]> {
  // The partners come in a second statement (Users.partnersOf): this list has no LIMIT, and
  // with a lookup per row the planner overestimates it into a parallel scan of every
  // conversation row (measured: 13 ms instead of 0.7 for a user with 5,000 conversations).
  const rows = await ctx.db.query<ConversationRow>(sql`
    SELECT partner_id, last_message_id, unread_count, muted FROM dm_conversation
    WHERE owner_id = ${owner} AND unread_count > 0
    ORDER BY last_message_id DESC`)
  return rows.map((row) => ({
    partnerId: ctx.uid(row.partner_id),
    lastMessageId: Number(row.last_message_id),
    unreadCount: Number(row.unread_count),
    muted: flagOf(row.muted)
  }))
}

/**
 * Sets `owner`'s `muted` or `archived` flag on their conversation with `partner`: one UPDATE of
 * their own row (the partner's is never touched, no message is read). Answers false when `owner`
 * has no conversation with `partner`; setting a flag that is already set is a change of nothing.
 */
export async function setConversationFlag (ctx: Context, owner: UserId, partner: UserId, flag: ConversationFlag, value: boolean): Promise<boolean> {
  const changed = await ctx.db.execute(sql`
    UPDATE dm_conversation SET ${FLAG_COLUMNS[flag]} = ${bool(value)} WHERE owner_id = ${owner} AND partner_id = ${partner}`)
  return changed > 0
}

/** `owner`'s unread count in the conversation with `partner` (0 when there is none). */
export async function conversationUnreadCount (ctx: Context, owner: UserId, partner: UserId): Promise<number> {
  const rows = await ctx.db.query<{ unread_count: number }>(sql`
    SELECT unread_count FROM dm_conversation WHERE owner_id = ${owner} AND partner_id = ${partner}`)
  return Number(rows[0]?.unread_count ?? 0)
}

/**
 * Marks read every message from `partner` to `owner` that is unread and not hidden by `owner`
 * (up to message id `upTo`), in a constant number of statements whatever their number, and
 * answers the messages that changed. It records its reads in the change log itself (one
 * INSERT ... SELECT of the messages it is about to mark, before it marks them).
 */
export async function markConversationRead (ctx: Context, tx: Executor, owner: UserId, partner: UserId, readAt: Date, upTo: number = NEWEST): Promise<Message[]> {
  const { dialect } = ctx
  const unread = sql`${unreadBy(owner)} AND sender_id = ${partner} AND id <= ${upTo}`
  // The users' locks first: no other write concerning them can change what `unread` selects
  // between the change log's insert and the update.
  await tx.execute(lockUsers(dialect, owner, partner))
  // Without RETURNING: the messages are locked and known first (and read back once marked).
  const ids = dialect.returning
    ? []
    : (await tx.query<{ id: bigint | number }>(sql`SELECT id FROM dm_message WHERE ${unread} ORDER BY id ${dialect.forUpdate}`)).map((row) => Number(row.id))
  if (!dialect.returning && ids.length === 0) return []
  await tx.execute(readStatement(unread, dialect.time(readAt)))
  const mark = sql`UPDATE dm_message SET read_at = ${readAt} WHERE ${unread}`
  let rows: MessageRow[]
  if (dialect.returning) {
    rows = await tx.query<MessageRow>(sql`${mark} RETURNING ${MESSAGE_COLUMNS}`)
  } else {
    await tx.execute(mark)
    rows = []
    for (const batch of batches(ids, IN_BATCH)) rows.push(...await tx.query<MessageRow>(sql`SELECT ${MESSAGE_COLUMNS} FROM dm_message WHERE id IN (${join(batch)})`))
  }
  if (rows.length > 0) {
    await tx.execute(sql`
      UPDATE dm_conversation SET unread_count = unread_count - ${rows.length}
      WHERE owner_id = ${owner} AND partner_id = ${partner}`)
  }
  return await complete(ctx, rows.map((row) => toMessage(row, ctx.uid)).sort((a, b) => a.id - b.id), owner, tx)
}

/**
 * Hides every message of the conversation of `owner` with `partner` for `owner` (the partner
 * keeps theirs), and empties `owner`'s conversation row: off the list, nothing unread. Locks the
 * messages, then the row, as mark-read and hideMessage do; the row is recomputed in a statement
 * issued once its lock is held, so a message that arrived meanwhile keeps it listed.
 * Answers how many messages it hid, and how many attachments it left without their message
 * (those of messages both participants have now deleted: nobody may read them).
 */
export async function hideConversation (dialect: Upserts, tx: Executor, owner: UserId, partner: UserId): Promise<{ hidden: number, detached: number }> {
  const [low, high] = pair(owner, partner)
  await tx.execute(lockUsers(dialect, owner))
  const hidden = await tx.execute(sql`
    UPDATE dm_message SET
      deleted_by_sender = (deleted_by_sender OR sender_id = ${owner}),
      deleted_by_recipient = (deleted_by_recipient OR recipient_id = ${owner})
    WHERE ${inConversation(low, high)} AND ${visibleTo(owner)}`)
  await tx.execute(sql`
    UPDATE dm_conversation SET unread_count = unread_count WHERE owner_id = ${owner} AND partner_id = ${partner}`)
  await tx.execute(sql`
    UPDATE dm_conversation SET
      last_message_id = (${newestVisible(owner, low, high)}),
      unread_count = (SELECT COUNT(*) FROM dm_message WHERE ${unreadBy(owner)} AND sender_id = ${partner})
    WHERE owner_id = ${owner} AND partner_id = ${partner}`)
  // The messages both have now deleted that carry files (read first: MySQL would not look their
  // files up by index from a subquery of an UPDATE), then their files, by message.
  const gone = hidden === 0
    ? []
    : await tx.query<{ id: bigint | number }>(sql`
      SELECT id FROM dm_message WHERE ${inConversation(low, high)} AND attachment_count > 0 AND deleted_by_sender = true AND deleted_by_recipient = true`)
  let detached = 0
  for (const ids of batches(gone.map((row) => Number(row.id)), IN_BATCH)) {
    detached += await tx.execute(sql`UPDATE dm_attachment SET message_id = NULL WHERE message_id IN (${join(ids)})`)
  }
  return { hidden, detached }
}
