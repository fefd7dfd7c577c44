/**
 * The plugin's statements on its own tables: parameterised SQL (every value a bound parameter,
 * never spliced into the text) through a Database (db/database.ts: the host's Prisma client, or
 * its driver). One text for every database, but for what its dialect (dialect/) does its own way.
 * The host's user table is read as db/users.ts finds it, or through its Prisma model delegate.
 *
 * Tables (declared in schema/tables.ts):
 * - dm_message: one row per message, with the conversation key (user_low_id, user_high_id);
 * - dm_conversation: one row per participant of a conversation (owner_id, partner_id) holding the
 *   owner's newest visible message and unread count, written in the same transaction as the
 *   messages, so that lists and counts never scan a user's history.
 */
import type { Message, MessageEdit, Partner, Reaction, ReplyPreview, UnreadCounts, UserId } from '../domain/types.js'
import type { ResolvedOptions } from '../options.js'
import { bounded, dateOf, lateOutcomeOf, type Database, type Executor } from '../db/database.js'
import { isForeignKeyViolation } from '../db/errors.js'
import { prismaDatabase } from '../db/prisma.js'
import { userTableOf, type UserTable } from '../db/users.js'
import { CHANGE, changesStatement, lockParticipantsStatement, positionStatement, readStatement, recordStatement, type ChangeKind, type ChangeRow } from '../core/change-log.js'
import { dialectOf } from '../dialect/index.js'
import type { Dialect } from '../dialect/dialect.js'
import { PresenceStore } from './presence.js'
import {
  batches, blockBetween, bool, CONVERSATION_UPSERT, inConversation, join, keyset, lockUsers, M_MESSAGE_COLUMNS, MESSAGE_COLUMNS, newestVisible, NULL_MESSAGE_COLUMNS,
  raw, sql, unreadBy, visibleTo, type Sql
} from '../db/sql.js'

export { lateOutcomeOf, type Executor } from '../db/database.js'
export { CHANGE, type ChangeKind } from '../core/change-log.js'
export { isDatabaseUnavailable, isForeignKeyViolation, isTransientConflict } from '../db/errors.js'

/** The newest-first sentinel: larger than any message id the plugin hands out (2^53 - 1). */
const NEWEST = Number.MAX_SAFE_INTEGER

interface MessageRow {
  id: bigint | number
  sender_id: number | string
  recipient_id: number | string
  content: string
  sent_at: Date
  read_at: Date | null
  edited_at: Date | null
  unsent_at: Date | null
  reply_to_id: bigint | number | null
  reaction_count: bigint | number
}

/** A message as its row has it: what a reader sees is completed by Store.present. */
export interface StoredMessage extends Message {
  replyToId: number | null
  reactionCount: number
}

/** A message row locked for a change, with what the rules of the change need. */
export interface LockedMessage {
  message: StoredMessage
  /** Whether the caller may see it (a participant who has not hidden it). */
  visible: boolean
}

/** The partner's names, read in the same statement (store/users.ts), when the user table is known. */
interface PartnerColumns {
  partner_username?: string | null
  partner_first_name?: string | null
  partner_last_name?: string | null
}

interface ConversationMessageRow extends MessageRow, PartnerColumns {
  partner_id: number | string
  last_message_id: bigint | number
  unread_count: number
  muted: Flag
  archived: Flag
}

interface ConversationRow {
  partner_id: number | string
  last_message_id: bigint | number
  unread_count: number
  muted: Flag
}

/** The one-statement send's row (Dialect.sendStatement): the message (all null when none was stored), and its reply's preview. */
type SendRow = MessageRow & { blocked: boolean, recipient_muted: Flag | null } & PreviewColumns

/** A reply preview's columns, null when the message answers none (or one its sender no longer sees). */
interface PreviewColumns {
  reply_id: bigint | number | null
  reply_sender_id: number | string | null
  reply_content: string | null
  reply_unsent_at: Date | string | number | null
}

/** A boolean column: PostgreSQL answers a boolean, SQLite (whose booleans are integers) may answer 1/0. */
type Flag = boolean | number | bigint

interface PageRow extends Omit<MessageRow, 'id'> {
  kind: number | bigint
  id: bigint | number | null
  unread_count: number | bigint | null
  last_message_id: number | bigint | null
}

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
  /** The partner's names, when the statement read them (see Store.userTable). */
  partner?: Partner
}

/**
 * What storing a message did: created it, found the one an earlier send with the same key
 * created, or nothing, because a block refused it or a participant does not exist.
 */
export type SendResult =
  | { outcome: 'created', message: Message, recipientMuted: boolean }
  | { outcome: 'replayed', message: Message }
  | { outcome: 'blocked' }
  | { outcome: 'missing-user' }

/** A row of `owner`'s block list, keyed by the block's id (newest first). */
export interface BlockEntry {
  id: number
  blockedId: UserId
  /** The blocked user's names, when the statement read them (see Store.userTable). */
  partner?: Partner
}

/** What deleting a message for one participant changed. */
export type HideResult =
  | { outcome: 'hidden', message: Message }
  | { outcome: 'already-hidden' }
  | { outcome: 'not-found' }

/** A change of a user's, as their event streams show it. */
export interface Change {
  id: number
  kind: ChangeKind
  messageId: number | null
  partnerId: UserId | null
  /** The message as the user sees it now; null when they no longer see it (or it is not about one). */
  message: Message | null
}

/** Where a stream resuming after a change stands. */
export interface StreamPosition {
  /** Whether the change it resumes after is still in the log (or, for 0, nothing was pruned). */
  resumable: boolean
  /** The id of the user's newest change (0: none). */
  latest: number
}

/** Reads a user id column: a number, or a string with `userIdType: 'string'`. */
type UserIdOf = (value: unknown) => UserId

/** A boolean column as the driver answers it (PostgreSQL true/false, SQLite 1/0). */
function flagOf (value: Flag | null): boolean {
  return Number(value) === 1
}

function toMessage (row: MessageRow, uid: UserIdOf): StoredMessage {
  const unsentAt = dateOf(row.unsent_at)
  return {
    id: Number(row.id),
    senderId: uid(row.sender_id),
    recipientId: uid(row.recipient_id),
    content: unsentAt === null ? row.content : '',
    sentAt: dateOf(row.sent_at) as Date,
    readAt: dateOf(row.read_at),
    editedAt: dateOf(row.edited_at),
    unsentAt,
    replyTo: null,
    reactions: [],
    replyToId: unsentAt === null && row.reply_to_id !== null ? Number(row.reply_to_id) : null,
    reactionCount: unsentAt === null ? Number(row.reaction_count) : 0
  }
}

/**
 * Most ids in one statement's IN list (see batches). Only what no page bounds goes over it
 * (marking a whole conversation read, the partners of every unread conversation); it then takes a
 * statement per batch.
 */
const IN_BATCH = 10_000

function inBatches<T> (ids: readonly T[]): T[][] {
  return batches(ids, IN_BATCH)
}

/** The content of a reply preview: the first 200 characters (code points). */
function previewOf (content: string): string {
  if (content.length <= 200) return content
  return Array.from(content).slice(0, 200).join('')
}

/**
 * The conversation key: the smaller and the larger id. String ids are plain ASCII (see
 * STRING_USER_ID), so JavaScript's order is the databases' byte order the CHECK constraint uses.
 */
function pair (a: UserId, b: UserId): [low: UserId, high: UserId] {
  return a < b ? [a, b] : [b, a]
}

interface UserDelegate {
  findMany(args: { where: Record<string, { in: UserId[] }>, select: Record<string, true> }): PromiseLike<Array<Record<string, unknown>>>
}

export class Store {
  readonly #db: Database
  /** The Prisma client as a Database: #db itself, unless the plugin runs on the `driver`. */
  readonly #viaPrisma: Database
  readonly #users: UserDelegate
  readonly #userSelect: Record<string, true>
  readonly #userFields: ResolvedOptions['userFields']
  /** The user model's id field. */
  readonly #idField: string
  readonly #uid: UserIdOf
  readonly #dialect: Dialect
  /** Who holds event streams where (see store/presence.ts). */
  readonly presence: PresenceStore
  /**
   * The host's user table, from the client's data model (store/users.ts): lists then read the
   * partners' names in their own statement. Null: through the user model, one query more.
   */
  readonly userTable: UserTable | null

  constructor (options: ResolvedOptions) {
    const { prisma, databaseTimeout: ms } = options
    const dialect = this.#dialect = dialectOf(options.provider)
    this.#viaPrisma = prismaDatabase(prisma, dialect.text, ms)
    this.#db = options.driver === null ? this.#viaPrisma : dialect.driver.database(options.driver, ms)
    const users = (prisma as unknown as Record<string, UserDelegate>)[options.userModel] as UserDelegate
    this.#users = { findMany: (args) => bounded(users.findMany(args), ms) }
    this.#userFields = options.userFields
    this.#uid = options.userIdType === 'string' ? String : Number
    this.#idField = options.userFields.id
    this.#userSelect = {}
    for (const field of Object.values(options.userFields)) if (field !== null) this.#userSelect[field] = true
    this.presence = new PresenceStore(this.#db, this.#uid, dialect)
    this.userTable = userTableOf(prisma, dialect, options.userModel, options.userFields)
  }

  /**
   * A list statement with its partners' names (the user id in `column`, see UserTable.withPartners),
   * in `order` (over the statement's rows, aliased `p`); without the user table, the statement as it is.
   */
  #withPartners (statement: Sql, column: string, order: Sql): Sql {
    return this.userTable === null ? statement : this.userTable.withPartners(statement, column, order)
  }

  /** The partner a row of a statement with #withPartners carries, or undefined without it. */
  #partnerOf (row: PartnerColumns, id: UserId): Partner | undefined {
    if (this.userTable === null) return undefined
    return { id, username: row.partner_username ?? '', firstName: row.partner_first_name ?? '', lastName: row.partner_last_name ?? '' }
  }

  /** Runs `fn` in one database transaction (see Database.transaction). */
  transaction<R>(fn: (tx: Executor) => Promise<R>): Promise<R> {
    return this.#db.transaction(fn)
  }

  /**
   * Stores a message unless either participant blocks the other, and brings both participants'
   * conversation rows up to date: the newest message id (never moved backwards by a concurrent
   * older send) and the recipient's unread count.
   *
   * First it locks both participants' dm_user rows, so that the message id is drawn while no other
   * transaction involving either user can commit: each user's messages get ids in commit order,
   * which event streams rely on (see realtime/stream.ts). Rows are always locked in user-id order,
   * so that concurrent sends in both directions cannot deadlock. With a key, a retry finds the
   * first send's row: the sender's lock (held by the first send until it commits) makes the
   * unique index see it, whatever the timing.
   *
   * On PostgreSQL all of it is one statement; elsewhere, one transaction of several.
   */
  async sendMessage (
    senderId: UserId, recipientId: UserId, content: string, sentAt: Date, idempotencyKey: string | null, replyTo: number | null = null,
    onLateCommit?: (message: Message, recipientMuted: boolean) => void
  ): Promise<SendResult> {
    let result: SendResult | null
    try {
      result = await this.#sendMessage(senderId, recipientId, content, sentAt, idempotencyKey, replyTo)
    } catch (err) {
      // The wait ran out, but the send may still commit: then hand over the message it stored. The
      // late outcome is the whole send's (one statement, or one transaction that presents the
      // message itself), so that announcing it reads nothing more.
      const late = lateOutcomeOf(err)
      if (late !== undefined && onLateCommit !== undefined) {
        Promise.resolve(late)
          .then((value) => this.#dialect.sendStatement !== undefined ? this.#sendOutcomeOf(value as SendRow[]) : value as SendResult)
          .then((result) => { if (result?.outcome === 'created') onLateCommit(result.message, result.recipientMuted) }, () => {})
      }
      // A participant that does not exist (or was deleted meanwhile): dm_user's key refuses it.
      if (isForeignKeyViolation(err)) return { outcome: 'missing-user' }
      throw err
    }
    // The key was used before: the message that send stored (a replay announces nothing).
    return result ?? await this.#earlier(this.#db, senderId, idempotencyKey)
  }

  /** The send itself: what it stored, or null when the key was used before (PostgreSQL). */
  async #sendMessage (senderId: UserId, recipientId: UserId, content: string, sentAt: Date, idempotencyKey: string | null, replyTo: number | null): Promise<SendResult | null> {
    const [low, high] = pair(senderId, recipientId)
    const sendStatement = this.#dialect.sendStatement
    if (sendStatement === undefined) {
      const lowUnread = low === recipientId ? 1 : 0
      return await this.transaction(async (tx): Promise<SendResult> => {
        if ((await this.blockersBetween(senderId, recipientId, tx)).length > 0) return { outcome: 'blocked' }
        await tx.execute(lockUsers(low, high))
        const rows = await tx.query<MessageRow>(sql`
          INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, idempotency_key, reply_to_id)
          VALUES (${senderId}, ${recipientId}, ${low}, ${high}, ${content}, ${sentAt}, ${idempotencyKey}, ${replyTo})
          ON CONFLICT (sender_id, idempotency_key) DO NOTHING
          RETURNING ${MESSAGE_COLUMNS}`)
        if (rows.length === 0) return await this.#earlier(tx, senderId, idempotencyKey)
        const [message] = await this.present([toMessage(rows[0] as MessageRow, this.#uid)], senderId, tx) as [Message]
        // The recipient's row as the upsert left it says whether they muted the conversation.
        const conversations = await tx.query<{ owner_id: number | string, muted: Flag }>(sql`
          INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
          VALUES (${low}, ${high}, ${message.id}, ${lowUnread}), (${high}, ${low}, ${message.id}, ${1 - lowUnread})
          ${CONVERSATION_UPSERT}
          RETURNING owner_id, muted`)
        const recipientMuted = flagOf(conversations.find((row) => this.#uid(row.owner_id) === recipientId)?.muted ?? false)
        await this.#record(tx, [
          { user: senderId, kind: CHANGE.message, messageId: message.id, partnerId: recipientId },
          { user: recipientId, kind: CHANGE.message, messageId: message.id, partnerId: senderId }
        ])
        return { outcome: 'created', message, recipientMuted }
      })
    }
    return this.#sendOutcomeOf(await this.#db.query<SendRow>(sendStatement({ senderId, recipientId, low, high, content, sentAt, idempotencyKey, replyTo })))
  }

  /**
   * What the one-statement send's row says it did, with the message as its sender sees it (the
   * statement reads the reply's preview too); null when the key was used before.
   */
  #sendOutcomeOf (rows: SendRow[]): SendResult | null {
    const row = rows[0] as SendRow
    if (row.blocked) return { outcome: 'blocked' }
    if (row.id === null) return null
    const { replyToId, reactionCount: _none, ...message } = toMessage(row, this.#uid)
    const replyTo = replyToId === null || row.reply_id === null ? null : this.#previewOf(row.reply_id, row.reply_sender_id as number | string, row.reply_content ?? '', row.reply_unsent_at)
    return { outcome: 'created', message: { ...message, replyTo }, recipientMuted: flagOf(row.recipient_muted) }
  }

  /** The preview of a message answered, from its row. */
  #previewOf (id: bigint | number, senderId: number | string, content: string, unsentAt: Date | string | number | null): ReplyPreview {
    const unsent = unsentAt !== null
    return { id: Number(id), senderId: this.#uid(senderId), content: unsent ? '' : previewOf(content), unsent }
  }

  /** The message an earlier send with this key created (its insert found the key taken). */
  async #earlier (db: Executor, senderId: UserId, idempotencyKey: string | null): Promise<SendResult> {
    return { outcome: 'replayed', message: await this.messageByIdempotencyKey(senderId, idempotencyKey as string, db) as Message }
  }

  /** The message `sender` sent with this idempotency key, if any (read through `db`: a transaction's, or the client). */
  async messageByIdempotencyKey (sender: UserId, key: string, db: Executor = this.#db): Promise<Message | null> {
    const rows = await db.query<MessageRow>(sql`
      SELECT ${MESSAGE_COLUMNS} FROM dm_message WHERE sender_id = ${sender} AND idempotency_key = ${key}`)
    return rows[0] === undefined ? null : (await this.present([toMessage(rows[0], this.#uid)], sender, db))[0] as Message
  }

  /**
   * One page of the messages between `owner` and `partner` that `owner` has not hidden, in the
   * page's direction, and (from the same snapshot, in the same statement) `owner`'s conversation
   * row: its unread count and newest visible message id (0 and 0 when there is none).
   */
  async messagePage (owner: UserId, partner: UserId, direction: 'older' | 'newer', key: number, limit: number): Promise<MessagePage> {
    const [low, high] = pair(owner, partner)
    const { beyond, order } = keyset(direction)
    // Two parts of one UNION ALL: the page's rows (kind 0) and the conversation row (kind 1).
    const rows = await this.#db.query<PageRow>(sql`
      SELECT 0 AS kind, ${MESSAGE_COLUMNS}, NULL AS unread_count, NULL AS last_message_id FROM (
        SELECT ${MESSAGE_COLUMNS} FROM dm_message
        WHERE ${inConversation(low, high)} AND id ${beyond} ${key} AND ${visibleTo(owner)}
        ORDER BY id ${order} LIMIT ${limit}) page
      UNION ALL
      SELECT 1, ${NULL_MESSAGE_COLUMNS}, unread_count, last_message_id FROM dm_conversation
      WHERE owner_id = ${owner} AND partner_id = ${partner}`)
    const conversation = rows.find((row) => Number(row.kind) === 1)
    const stored = rows.filter((row) => Number(row.kind) === 0).map((row) => toMessage(row as MessageRow, this.#uid))
    // A UNION ALL keeps no order: put the page's back in its direction.
    stored.sort(direction === 'older' ? (a, b) => b.id - a.id : (a, b) => a.id - b.id)
    return {
      messages: await this.present(stored, owner),
      unreadCount: Number(conversation?.unread_count ?? 0),
      lastMessageId: Number(conversation?.last_message_id ?? 0)
    }
  }

  /**
   * One page of `owner`'s archived conversations, or of the others, that still show a message,
   * keyed by that message's id, each with its newest visible message (a join: no query per entry).
   * One range scan of dm_conversation_list_idx (owner_id, archived, last_message_id DESC).
   */
  async conversationPage (owner: UserId, archived: boolean, direction: 'older' | 'newer', key: number, limit: number): Promise<ConversationEntry[]> {
    const { beyond, order } = keyset(direction)
    const rows = await this.#db.query<ConversationMessageRow>(this.#withPartners(sql`
      SELECT c.partner_id, c.last_message_id, c.unread_count, c.muted, c.archived, ${M_MESSAGE_COLUMNS}
      FROM dm_conversation c JOIN dm_message m ON m.id = c.last_message_id
      WHERE c.owner_id = ${owner} AND c.archived = ${bool(archived)} AND c.last_message_id ${beyond} ${key}
      ORDER BY c.last_message_id ${order} LIMIT ${limit}`, 'partner_id', sql`p.last_message_id ${order}`))
    const lastMessages = await this.present(rows.map((row) => toMessage(row, this.#uid)), owner)
    return rows.map((row, i) => ({
      partnerId: this.#uid(row.partner_id),
      lastMessageId: Number(row.last_message_id),
      unreadCount: Number(row.unread_count),
      muted: flagOf(row.muted),
      archived: flagOf(row.archived),
      lastMessage: lastMessages[i] as Message,
      partner: this.#partnerOf(row, this.#uid(row.partner_id))
    }))
  }

  /**
   * Unread messages addressed to `owner` that `owner` has not hidden: all of them, and those of
   * conversations `owner` has not muted, from the same rows in one statement.
   */
  async unreadCounts (owner: UserId): Promise<UnreadCounts> {
    const rows = await this.#db.query<{ count: bigint | number | null, unmuted_count: bigint | number | null }>(sql`
      SELECT SUM(unread_count) AS count, SUM(CASE WHEN muted = false THEN unread_count ELSE 0 END) AS unmuted_count
      FROM dm_conversation WHERE owner_id = ${owner} AND unread_count > 0`)
    return { count: Number(rows[0]?.count ?? 0), unmutedCount: Number(rows[0]?.unmuted_count ?? 0) }
  }

  /** `owner`'s conversations with unread messages (muted and archived ones too), most recent first. */
  async unreadConversations (owner: UserId): Promise<ConversationEntry[]> {
    // The partners come in a second statement (Service#partnersOf): this list has no LIMIT, and
    // with a lookup per row the planner overestimates it into a parallel scan of every
    // conversation row (measured: 13 ms instead of 0.7 for a user with 5,000 conversations).
    const rows = await this.#db.query<ConversationRow>(sql`
      SELECT partner_id, last_message_id, unread_count, muted FROM dm_conversation
      WHERE owner_id = ${owner} AND unread_count > 0
      ORDER BY last_message_id DESC`)
    return rows.map((row) => ({
      partnerId: this.#uid(row.partner_id),
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
  async setConversationFlag (owner: UserId, partner: UserId, flag: ConversationFlag, value: boolean): Promise<boolean> {
    const changed = await this.#db.execute(sql`
      UPDATE dm_conversation SET ${FLAG_COLUMNS[flag]} = ${bool(value)} WHERE owner_id = ${owner} AND partner_id = ${partner}`)
    return changed > 0
  }

  /** `owner`'s unread count in the conversation with `partner` (0 when there is none). */
  async conversationUnreadCount (owner: UserId, partner: UserId): Promise<number> {
    const rows = await this.#db.query<{ unread_count: number }>(sql`
      SELECT unread_count FROM dm_conversation WHERE owner_id = ${owner} AND partner_id = ${partner}`)
    return Number(rows[0]?.unread_count ?? 0)
  }

  /**
   * Marks read every message from `partner` to `owner` that is unread and not hidden by `owner`
   * (up to message id `upTo`), in two statements whatever their number, and answers the messages
   * that changed.
   */
  async markConversationRead (tx: Executor, owner: UserId, partner: UserId, readAt: Date, upTo: number = NEWEST): Promise<Message[]> {
    const unread = sql`${unreadBy(owner)} AND sender_id = ${partner} AND id <= ${upTo}`
    // The users' locks first: no other write concerning them can change what `unread` selects
    // between the change log's insert and the update.
    await this.#lockUsers(tx, [owner, partner])
    await tx.execute(readStatement(unread, this.#time(readAt)))
    const rows = await tx.query<MessageRow>(sql`
      UPDATE dm_message SET read_at = ${readAt} WHERE ${unread}
      RETURNING ${MESSAGE_COLUMNS}`)
    if (rows.length > 0) {
      await tx.execute(sql`
        UPDATE dm_conversation SET unread_count = unread_count - ${rows.length}
        WHERE owner_id = ${owner} AND partner_id = ${partner}`)
    }
    return await this.present(rows.map((row) => toMessage(row, this.#uid)).sort((a, b) => a.id - b.id), owner, tx)
  }

  /**
   * Hides message `id` for `owner`, if `owner` is one of its participants, and brings `owner`'s
   * conversation row up to date: one less unread message when it was an unread inbound one, and
   * the next newest visible message when it was the newest.
   *
   * Locks the message, then the conversation row (the order mark-read uses too). The next newest
   * message is looked up in a statement of its own, issued once the row lock is held: a statement
   * that waited for the lock would still read the snapshot taken before it waited, and could pick a
   * message that a concurrent transaction hid meanwhile (PostgreSQL, READ COMMITTED).
   */
  async hideMessage (tx: Executor, owner: UserId, id: number): Promise<HideResult> {
    await this.#lockUsers(tx, [owner])
    const rows = await tx.query<MessageRow>(sql`
      UPDATE dm_message SET
        deleted_by_sender = (deleted_by_sender OR sender_id = ${owner}),
        deleted_by_recipient = (deleted_by_recipient OR recipient_id = ${owner})
      WHERE id = ${id} AND ${visibleTo(owner)}
      RETURNING ${MESSAGE_COLUMNS}`)
    if (rows.length === 0) {
      const mine = await tx.query(sql`
        SELECT id FROM dm_message WHERE id = ${id} AND (sender_id = ${owner} OR recipient_id = ${owner})`)
      return { outcome: mine.length > 0 ? 'already-hidden' : 'not-found' }
    }
    const message = toMessage(rows[0] as MessageRow, this.#uid)
    const partner = message.senderId === owner ? message.recipientId : message.senderId
    await this.#record(tx, [{ user: owner, kind: CHANGE.deleted, messageId: id, partnerId: partner }])
    const unreadDelta = message.recipientId === owner && message.readAt === null && message.unsentAt === null ? 1 : 0
    const conversation = await tx.query<{ last_message_id: bigint | number | null }>(sql`
      UPDATE dm_conversation SET unread_count = unread_count - ${unreadDelta}
      WHERE owner_id = ${owner} AND partner_id = ${partner}
      RETURNING last_message_id`)
    if (Number(conversation[0]?.last_message_id) === id) {
      const [low, high] = pair(owner, partner)
      await tx.execute(sql`
        UPDATE dm_conversation SET last_message_id = (${newestVisible(owner, low, high, sql`AND id < ${id}`)})
        WHERE owner_id = ${owner} AND partner_id = ${partner}`)
    }
    return { outcome: 'hidden', message }
  }

  /**
   * Hides every message of the conversation of `owner` with `partner` for `owner` (the partner
   * keeps theirs), and empties `owner`'s conversation row: off the list, nothing unread. Locks the
   * messages, then the row, as mark-read and hideMessage do; the row is recomputed in a statement
   * issued once its lock is held, so a message that arrived meanwhile keeps it listed.
   * Answers how many messages it hid.
   */
  async hideConversation (tx: Executor, owner: UserId, partner: UserId): Promise<number> {
    const [low, high] = pair(owner, partner)
    await this.#lockUsers(tx, [owner])
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
    if (hidden > 0) await this.#record(tx, [{ user: owner, kind: CHANGE.conversationDeleted, messageId: null, partnerId: partner }])
    return hidden
  }

  /** `blocker` blocks `blocked` (nothing changes when it already does); false when `blocked` does not exist. */
  async block (blocker: UserId, blocked: UserId): Promise<boolean> {
    try {
      await this.#db.execute(sql`
        INSERT INTO dm_block (blocker_id, blocked_id, created_at) VALUES (${blocker}, ${blocked}, ${new Date()})
        ON CONFLICT (blocker_id, blocked_id) DO NOTHING`)
      return true
    } catch (err) {
      if (isForeignKeyViolation(err)) return false
      throw err
    }
  }

  /** `blocker` stops blocking `blocked` (nothing changes when it did not). */
  async unblock (blocker: UserId, blocked: UserId): Promise<void> {
    await this.#db.execute(sql`DELETE FROM dm_block WHERE blocker_id = ${blocker} AND blocked_id = ${blocked}`)
  }

  /** Who of the two blocks the other: the blockers' ids (none, one or both), read through `db`. */
  async blockersBetween (a: UserId, b: UserId, db: Executor = this.#db): Promise<UserId[]> {
    const rows = await db.query<{ blocker_id: number | string }>(sql`SELECT blocker_id FROM dm_block WHERE ${blockBetween(a, b)}`)
    return rows.map((row) => this.#uid(row.blocker_id))
  }

  /** One page of the users `blocker` blocks, most recent block first. */
  async blockPage (blocker: UserId, direction: 'older' | 'newer', key: number, limit: number): Promise<BlockEntry[]> {
    const { beyond, order } = keyset(direction)
    const rows = await this.#db.query<PartnerColumns & { id: bigint | number, blocked_id: number | string }>(this.#withPartners(sql`
      SELECT id, blocked_id FROM dm_block WHERE blocker_id = ${blocker} AND id ${beyond} ${key} ORDER BY id ${order} LIMIT ${limit}`,
    'blocked_id', sql`p.id ${order}`))
    return rows.map((row) => ({ id: Number(row.id), blockedId: this.#uid(row.blocked_id), partner: this.#partnerOf(row, this.#uid(row.blocked_id)) }))
  }

  /** The display fields of the given users, keyed by id; unknown ids are absent. */
  async partners (ids: readonly UserId[]): Promise<Map<UserId, Partner>> {
    const found = new Map<UserId, Partner>()
    if (ids.length === 0) return found
    const table = this.userTable
    const unique = [...new Set(ids)]
    if (table !== null) {
      for (const batch of inBatches(unique)) {
        const rows = await this.#db.query<PartnerColumns & { id: number | string }>(sql`
          SELECT ${table.id} AS id, ${table.columnsAs} FROM ${table.from} WHERE ${table.id} IN (${join(batch)})`)
        for (const row of rows) found.set(this.#uid(row.id), this.#partnerOf(row, this.#uid(row.id)) as Partner)
      }
      return found
    }
    const users = []
    for (const batch of inBatches(unique)) users.push(...await this.#users.findMany({ where: { [this.#idField]: { in: batch } }, select: this.#userSelect }))
    const { username, firstName, lastName } = this.#userFields
    for (const user of users) {
      const id = this.#uid(user[this.#idField])
      found.set(id, {
        id,
        username: field(user, username),
        firstName: field(user, firstName),
        lastName: field(user, lastName)
      })
    }
    return found
  }

  /** Whether the host has a user with this id. */
  async userExists (id: UserId): Promise<boolean> {
    return (await this.existingUsers([id])).has(id)
  }

  /** Which of `ids` (a few) the host has users of: one statement. */
  async existingUsers (ids: readonly UserId[]): Promise<Set<UserId>> {
    const table = this.userTable
    if (table !== null) {
      const rows = await this.#db.query<{ id: number | string }>(sql`SELECT ${table.id} AS id FROM ${table.from} WHERE ${table.id} IN (${join([...new Set(ids)])})`)
      return new Set(rows.map((row) => this.#uid(row.id)))
    }
    const users = await this.#users.findMany({ where: { [this.#idField]: { in: [...new Set(ids)] } }, select: { [this.#idField]: true } })
    return new Set(users.map((user) => this.#uid(user[this.#idField])))
  }

  /**
   * Completes messages as `viewer` sees them: the previews of the messages they answer (none of
   * one they have hidden: `reply_to` null) and their reactions, in at most two statements whatever
   * their number (none when no message answers one or has reactions).
   */
  async present (messages: StoredMessage[], viewer: UserId, db: Executor = this.#db): Promise<Message[]> {
    const replyIds = [...new Set(messages.flatMap((message) => message.replyToId === null ? [] : [message.replyToId]))]
    const reacted = messages.filter((message) => message.reactionCount > 0).map((message) => message.id)
    const previews = new Map<number, ReplyPreview>()
    for (const ids of inBatches(replyIds)) {
      const rows = await db.query<{ id: bigint | number, sender_id: number | string, content: string, unsent_at: Date | null }>(sql`
        SELECT id, sender_id, content, unsent_at FROM dm_message WHERE id IN (${join(ids)}) AND ${visibleTo(viewer)}`)
      for (const row of rows) previews.set(Number(row.id), this.#previewOf(row.id, row.sender_id, row.content, row.unsent_at))
    }
    const reactions = new Map<number, Reaction[]>()
    for (const ids of inBatches(reacted)) {
      const rows = await db.query<{ message_id: bigint | number, emoji: string, count: bigint | number, me: bigint | number }>(sql`
        SELECT message_id, emoji, COUNT(*) AS count, MIN(id) AS first_id, SUM(CASE WHEN user_id = ${viewer} THEN 1 ELSE 0 END) AS me
        FROM dm_reaction WHERE message_id IN (${join(ids)})
        GROUP BY message_id, emoji ORDER BY message_id, first_id`)
      for (const row of rows) {
        const id = Number(row.message_id)
        let list = reactions.get(id)
        if (list === undefined) reactions.set(id, list = [])
        list.push({ emoji: row.emoji, count: Number(row.count), me: Number(row.me) > 0 })
      }
    }
    return messages.map(({ replyToId, reactionCount, ...message }) => ({
      ...message,
      replyTo: replyToId === null ? null : previews.get(replyToId) ?? null,
      reactions: reactionCount === 0 ? [] : reactions.get(message.id) ?? []
    }))
  }

  /** Message `id` as `viewer` sees it, if they take part in it and have not hidden it. */
  async messageFor (viewer: UserId, id: number, db: Executor = this.#db): Promise<Message | null> {
    const rows = await db.query<MessageRow>(sql`SELECT ${MESSAGE_COLUMNS} FROM dm_message WHERE id = ${id} AND ${visibleTo(viewer)}`)
    return rows[0] === undefined ? null : (await this.present([toMessage(rows[0], this.#uid)], viewer, db))[0] as Message
  }

  /**
   * Locks message `id` for a change by `viewer` (in `tx`; PostgreSQL holds the row until commit)
   * and answers it as stored, with whether `viewer` may see it; null when it does not exist or
   * `viewer` takes no part in it.
   */
  async lockMessage (tx: Executor, viewer: UserId, id: number): Promise<LockedMessage | null> {
    // The participants' dm_user rows before the message (the order every write takes).
    await tx.execute(lockParticipantsStatement(viewer, id))
    // A row lock where the database needs one (where the upsert above already made the
    // transaction the database's only writer, none).
    const rows = await tx.query<MessageRow & { visible: boolean | number | bigint }>(sql`
      SELECT ${MESSAGE_COLUMNS}, CASE WHEN ${visibleTo(viewer)} THEN 1 ELSE 0 END AS visible
      FROM dm_message WHERE id = ${id} AND (sender_id = ${viewer} OR recipient_id = ${viewer})
      ${this.#dialect.forUpdate}`)
    const row = rows[0]
    return row === undefined ? null : { message: toMessage(row, this.#uid), visible: Number(row.visible) === 1 }
  }

  /** Whether `id` is a message of the conversation of `sender` with `recipient` that `sender` can see. */
  async isReplyTarget (sender: UserId, recipient: UserId, id: number): Promise<boolean> {
    const [low, high] = pair(sender, recipient)
    const rows = await this.#db.query(sql`SELECT id FROM dm_message WHERE id = ${id} AND ${inConversation(low, high)} AND ${visibleTo(sender)}`)
    return rows.length > 0
  }

  /** Replaces the content of a locked message, keeping the one it replaces in its history. */
  async editMessage (tx: Executor, message: Message, content: string, at: Date): Promise<void> {
    await tx.execute(sql`INSERT INTO dm_message_edit (message_id, content, edited_at) VALUES (${message.id}, ${message.content}, ${at})`)
    await tx.execute(sql`UPDATE dm_message SET content = ${content}, edited_at = ${at} WHERE id = ${message.id}`)
    await this.#recordUpdate(tx, message)
  }

  /**
   * Unsends a locked message: its content, history and reactions are erased, and when the
   * recipient had not read it, it no longer counts as unread.
   */
  async unsendMessage (tx: Executor, message: Message, at: Date): Promise<void> {
    // The same statement says whether the message counted as unread for its recipient (columns it leaves as they were).
    const [row] = await tx.query<{ counted: Flag }>(sql`
      UPDATE dm_message SET unsent_at = ${at}, content = '', reaction_count = 0 WHERE id = ${message.id}
      RETURNING (read_at IS NULL AND deleted_by_recipient = false) AS counted`)
    // A message never edited has no history to erase.
    if (message.editedAt !== null) await tx.execute(sql`DELETE FROM dm_message_edit WHERE message_id = ${message.id}`)
    await tx.execute(sql`DELETE FROM dm_reaction WHERE message_id = ${message.id}`)
    if (row !== undefined && flagOf(row.counted)) {
      await tx.execute(sql`
        UPDATE dm_conversation SET unread_count = unread_count - 1 WHERE owner_id = ${message.recipientId} AND partner_id = ${message.senderId}`)
    }
    await this.#recordUpdate(tx, message)
  }

  /** The earlier versions of message `id`, oldest first; null when `viewer` does not see it. */
  async edits (viewer: UserId, id: number): Promise<MessageEdit[] | null> {
    // From the message, so that one statement also says whether `viewer` sees it (no row: not).
    const rows = await this.#db.query<{ content: string | null, edited_at: Date | null }>(sql`
      SELECT e.content, e.edited_at FROM dm_message m LEFT JOIN dm_message_edit e ON e.message_id = m.id
      WHERE m.id = ${id} AND ${visibleTo(viewer)} ORDER BY e.id`)
    if (rows.length === 0) return null
    return rows.flatMap((row) => row.content === null ? [] : [{ content: row.content, editedAt: dateOf(row.edited_at) as Date }])
  }

  /**
   * `user` reacts to a locked message with `emoji`: answers whether it was added ('added'), was
   * there already ('unchanged'), or would be one kind more than `maxKinds` ('too-many').
   */
  async addReaction (tx: Executor, message: Message, user: UserId, emoji: string, maxKinds: number, at: Date): Promise<'added' | 'unchanged' | 'too-many'> {
    const messageId = message.id
    const [kinds] = await tx.query<{ kinds: bigint | number, same: bigint | number | null, mine: bigint | number | null }>(sql`
      SELECT COUNT(DISTINCT emoji) AS kinds, SUM(CASE WHEN emoji = ${emoji} THEN 1 ELSE 0 END) AS same,
             SUM(CASE WHEN emoji = ${emoji} AND user_id = ${user} THEN 1 ELSE 0 END) AS mine
      FROM dm_reaction WHERE message_id = ${messageId}`)
    if (Number(kinds?.mine ?? 0) > 0) return 'unchanged'
    if (Number(kinds?.same ?? 0) === 0 && Number(kinds?.kinds ?? 0) >= maxKinds) return 'too-many'
    await tx.execute(sql`INSERT INTO dm_reaction (message_id, user_id, emoji, created_at) VALUES (${messageId}, ${user}, ${emoji}, ${at})`)
    await tx.execute(sql`UPDATE dm_message SET reaction_count = reaction_count + 1 WHERE id = ${messageId}`)
    await this.#recordUpdate(tx, message)
    return 'added'
  }

  /** `user` takes back their `emoji` reaction to a locked message; answers whether there was one. */
  async removeReaction (tx: Executor, message: Message, user: UserId, emoji: string): Promise<boolean> {
    const messageId = message.id
    const removed = await tx.execute(sql`DELETE FROM dm_reaction WHERE message_id = ${messageId} AND user_id = ${user} AND emoji = ${emoji}`)
    if (removed === 0) return false
    await tx.execute(sql`UPDATE dm_message SET reaction_count = reaction_count - ${removed} WHERE id = ${messageId}`)
    await this.#recordUpdate(tx, message)
    return true
  }

  /**
   * Where a stream of `user` resuming after change `after` stands (one statement): resumable when
   * that change is still in the log — for 0 (a client that had seen no change), when the user's
   * oldest change is younger than `retention` (older ones may have been pruned) — and the user's
   * newest change.
   */
  async streamPosition (user: UserId, after: number, retention: number | null): Promise<StreamPosition> {
    const [row] = await this.#db.query<{ found: bigint | number, oldest: Date | string | number | null, latest: bigint | number | null }>(positionStatement(user, after))
    const latest = Number(row?.latest ?? 0)
    if (after !== 0) return { resumable: Number(row?.found ?? 0) > 0, latest }
    const oldest = dateOf(row?.oldest ?? null)
    return { resumable: oldest === null || retention === null || oldest.getTime() > Date.now() - retention, latest }
  }

  /**
   * `user`'s changes after change `after`, oldest first, at most `limit`, each with its message as
   * `user` sees it now (one index range scan of the user's changes, joined to their messages),
   * completed by Store.present.
   */
  async changesAfter (user: UserId, after: number, limit: number): Promise<Change[]> {
    const rows = await this.#db.query<MessageRow & { change_id: bigint | number, kind: bigint | number, change_message_id: bigint | number | null, change_partner_id: number | string | null }>(
      changesStatement(user, after, limit))
    const stored = new Map<number, StoredMessage>()
    for (const row of rows) if (row.id !== null && !stored.has(Number(row.id))) stored.set(Number(row.id), toMessage(row, this.#uid))
    const messages = new Map((await this.present([...stored.values()], user)).map((message) => [message.id, message]))
    return rows.map((row) => ({
      id: Number(row.change_id),
      kind: Number(row.kind) as ChangeKind,
      messageId: row.change_message_id === null ? null : Number(row.change_message_id),
      partnerId: row.change_partner_id === null ? null : this.#uid(row.change_partner_id),
      message: row.id === null ? null : messages.get(Number(row.id)) ?? null
    }))
  }

  /**
   * Deletes up to `limit` changes older than `before`, oldest first from change `after` on, but
   * each user's newest (what tells a resuming stream its position is still known). Answers the
   * id of the last change it looked at (where the next call starts), or null when none it looked
   * at was old enough (nothing more to prune now).
   */
  async pruneChanges (before: Date, after: number, limit: number): Promise<number | null> {
    const rows = await this.#db.query<{ id: bigint | number, created_at: Date | string | number }>(sql`
      SELECT id, created_at FROM dm_change WHERE id > ${after} ORDER BY id LIMIT ${limit}`)
    const old: number[] = []
    for (const row of rows) {
      if ((dateOf(row.created_at) as Date).getTime() >= before.getTime()) break
      old.push(Number(row.id))
    }
    if (old.length === 0) return null
    await this.#db.execute(sql`
      DELETE FROM dm_change WHERE id IN (${join(old)})
        AND EXISTS (SELECT 1 FROM dm_change newer WHERE newer.user_id = dm_change.user_id AND newer.id > dm_change.id)`)
    return old[old.length - 1] as number
  }

  /** Locks (or creates) the dm_user rows of `users` (see change-log.ts). */
  async #lockUsers (tx: Executor, users: UserId[]): Promise<void> {
    await tx.execute(lockUsers(...users))
  }

  async #record (tx: Executor, rows: ChangeRow[]): Promise<void> {
    await tx.execute(recordStatement(rows, this.#time(new Date())))
  }

  /** Records a change to a message for both participants (their streams decide whether they still see it). */
  async #recordUpdate (tx: Executor, message: Message): Promise<void> {
    await this.#record(tx, [
      { user: message.senderId, kind: CHANGE.updated, messageId: message.id, partnerId: message.recipientId },
      { user: message.recipientId, kind: CHANGE.updated, messageId: message.id, partnerId: message.senderId }
    ])
  }

  /** A time as a statement's value (see Dialect.time). */
  #time (at: Date): Sql {
    return this.#dialect.time(at)
  }

  /** The columns of the table `name` (the user table), lower case; none when there is no such table. */
  async userTableColumns (name: string): Promise<Set<string>> {
    const rows = await this.#db.query<{ column_name: string }>(this.#dialect.catalog.columns(name))
    return new Set(rows.map((row) => row.column_name))
  }

  /**
   * Which database the plugin's statements reach, and which the Prisma client's reach (they differ
   * only with a `driver` of another database): the database's name and server, or the SQLite file.
   */
  async databaseIdentities (): Promise<{ plugin: string, prisma: string }> {
    const statement = this.#dialect.catalog.identity
    const [plugin] = await this.#db.query<{ identity: string }>(statement)
    const [client] = await this.#viaPrisma.query<{ identity: string }>(statement)
    return { plugin: String(plugin?.identity), prisma: String(client?.identity) }
  }

  /**
   * The columns of the plugin's tables that exist in the database, with their declared types
   * (lower case), by table: one catalog query, in the database's dialect.
   */
  async tableColumns (): Promise<Map<string, Map<string, string>>> {
    const rows = await this.#db.query<{ table_name: string, column_name: string, data_type: string }>(this.#dialect.catalog.tables)
    const tables = new Map<string, Map<string, string>>()
    for (const row of rows) {
      let columns = tables.get(row.table_name)
      if (columns === undefined) tables.set(row.table_name, columns = new Map())
      columns.set(row.column_name, String(row.data_type).toLowerCase())
    }
    return tables
  }

  /**
   * Asks the host's user model for `select` of the users whose id is `probe` (none, usually):
   * Prisma refuses a field the model lacks, or a probe of the wrong type for its id, before it
   * queries anything.
   */
  async probeUserModel (select: Record<string, true>, probe: UserId): Promise<void> {
    await this.#users.findMany({ where: { [this.#idField]: { in: [probe] } }, select })
  }

  static readonly NEWEST = NEWEST
}

function field (user: Record<string, unknown>, name: string | null): string {
  if (name === null) return ''
  const value = user[name]
  return value === null || value === undefined ? '' : String(value)
}
