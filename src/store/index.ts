/**
 * All database access, and the only file that knows table and column names.
 *
 * The plugin's own tables are queried with parameterised raw SQL through the host's Prisma client
 * (tagged templates: every value is a bound parameter, never spliced into the text). The same
 * statements run on SQLite and PostgreSQL. The host's user model is read through its Prisma model
 * delegate, since only the host knows its table.
 *
 * Tables (see prisma/models.prisma):
 * - dm_message: one row per message, with the conversation key (user_low_id, user_high_id);
 * - dm_conversation: one row per participant of a conversation (owner_id, partner_id) holding the
 *   owner's newest visible message and unread count, written in the same transaction as the
 *   messages, so that lists and counts never scan a user's history.
 */
import { DatabaseTimeout } from '../domain/errors.js'
import type { PrismaClientLike, RawSqlClient, ResolvedOptions } from '../options.js'
import type { Message, Partner, UserId } from '../domain/types.js'

/** The newest-first sentinel: larger than any message id the plugin hands out (2^53 - 1). */
const NEWEST = Number.MAX_SAFE_INTEGER
/** How many times a transaction is tried when PostgreSQL aborts it as a deadlock or serialization failure. */
const TRANSACTION_ATTEMPTS = 4

interface MessageRow {
  id: bigint | number
  sender_id: number | string
  recipient_id: number | string
  content: string
  sent_at: Date
  read_at: Date | null
}

interface ConversationMessageRow extends MessageRow {
  partner_id: number | string
  last_message_id: bigint | number
  unread_count: number
}

interface ConversationRow {
  partner_id: number | string
  last_message_id: bigint | number
  unread_count: number
}

interface PageRow extends Omit<MessageRow, 'id'> {
  kind: number | bigint
  id: bigint | number | null
  unread_count: number | bigint | null
  last_message_id: number | bigint | null
}

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
  /** The newest message the owner has not hidden (only on list pages). */
  lastMessage?: Message
}

/** What storing a message did: created it, or found the one an earlier send with the same key created. */
export interface InsertResult {
  message: Message
  created: boolean
}

/** A row of `owner`'s block list, keyed by the block's id (newest first). */
export interface BlockEntry {
  id: number
  blockedId: UserId
}

/** What deleting a message for one participant changed. */
export type HideResult =
  | { outcome: 'hidden', message: Message }
  | { outcome: 'already-hidden' }
  | { outcome: 'not-found' }

/** Reads a user id column: a number, or a string with `userIdType: 'string'`. */
type UserIdOf = (value: unknown) => UserId

function toMessage (row: MessageRow, uid: UserIdOf): Message {
  return {
    id: Number(row.id),
    senderId: uid(row.sender_id),
    recipientId: uid(row.recipient_id),
    content: row.content,
    sentAt: row.sent_at,
    readAt: row.read_at
  }
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
  readonly #db: PrismaClientLike
  readonly #users: UserDelegate
  readonly #userSelect: Record<string, true>
  readonly #userFields: ResolvedOptions['userFields']
  /** The user model's id field. */
  readonly #idField: string
  readonly #uid: UserIdOf
  readonly #provider: ResolvedOptions['provider']
  /** PostgreSQL: a send is one statement (data-modifying CTEs), not a transaction of several. */
  readonly #oneStatementSend: boolean

  constructor (options: ResolvedOptions) {
    const { prisma, databaseTimeout: ms } = options
    this.#provider = options.provider
    this.#oneStatementSend = options.provider === 'postgresql'
    const users = (prisma as unknown as Record<string, UserDelegate>)[options.userModel] as UserDelegate
    // Every operation on the database answers within `databaseTimeout`: a query, or a whole
    // transaction (whose statements need no bound of their own).
    this.#db = {
      $queryRaw: (query, ...values) => bounded(prisma.$queryRaw(query, ...values), ms),
      $executeRaw: (query, ...values) => bounded(prisma.$executeRaw(query, ...values), ms),
      $transaction: (fn) => bounded(prisma.$transaction(fn, { maxWait: ms, timeout: ms }), ms)
    }
    this.#users = { findMany: (args) => bounded(users.findMany(args), ms) }
    this.#userFields = options.userFields
    this.#uid = options.userIdType === 'string' ? String : Number
    this.#idField = options.userFields.id
    this.#userSelect = {}
    for (const field of Object.values(options.userFields)) if (field !== null) this.#userSelect[field] = true
  }

  /**
   * Runs `fn` in one database transaction. A transaction that PostgreSQL aborted as a deadlock
   * victim or a serialization failure did nothing, so it is run again, a few times at most, after
   * a short random pause; any other error is thrown at once.
   */
  async transaction<R>(fn: (tx: RawSqlClient) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.$transaction(fn)
      } catch (err) {
        if (attempt >= TRANSACTION_ATTEMPTS || !isTransientConflict(err)) throw err
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt))
      }
    }
  }

  /**
   * Stores a message unless either participant blocks the other, and brings both participants'
   * conversation rows up to date: the newest message id (never moved backwards by a concurrent
   * older send) and the recipient's unread count. Answers null when a block refused it.
   *
   * First it locks both participants' dm_user rows, so that the message id is drawn while no other
   * transaction involving either user can commit: each user's messages get ids in commit order,
   * which event streams rely on (see stream.ts). Rows are always locked in user-id order, so that
   * concurrent sends in both directions cannot deadlock. With a key, a retry finds the first
   * send's row: the sender's lock (held by the first send until it commits) makes the unique
   * index see it, whatever the timing.
   *
   * On PostgreSQL all of it is one statement; elsewhere, one transaction of several.
   */
  async sendMessage (senderId: UserId, recipientId: UserId, content: string, sentAt: Date, idempotencyKey: string | null): Promise<InsertResult | null> {
    const [low, high] = pair(senderId, recipientId)
    if (!this.#oneStatementSend) {
      const lowUnread = low === recipientId ? 1 : 0
      return await this.transaction(async (tx) => {
        if ((await this.blockersBetween(senderId, recipientId, tx)).length > 0) return null
        await tx.$executeRaw`
          INSERT INTO dm_user (user_id) VALUES (${low}), (${high})
          ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id`
        const rows = await tx.$queryRaw<MessageRow[]>`
          INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, idempotency_key)
          VALUES (${senderId}, ${recipientId}, ${low}, ${high}, ${content}, ${sentAt}, ${idempotencyKey})
          ON CONFLICT (sender_id, idempotency_key) DO NOTHING
          RETURNING id, sender_id, recipient_id, content, sent_at, read_at`
        if (rows.length === 0) return await this.#earlier(tx, senderId, idempotencyKey)
        const message = toMessage(rows[0] as MessageRow, this.#uid)
        await tx.$executeRaw`
          INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
          VALUES (${low}, ${high}, ${message.id}, ${lowUnread}), (${high}, ${low}, ${message.id}, ${1 - lowUnread})
          ON CONFLICT (owner_id, partner_id) DO UPDATE SET
            last_message_id = CASE
              WHEN dm_conversation.last_message_id IS NULL OR dm_conversation.last_message_id < excluded.last_message_id
              THEN excluded.last_message_id ELSE dm_conversation.last_message_id END,
            unread_count = dm_conversation.unread_count + excluded.unread_count`
        return { message, created: true }
      })
    }
    // The message row is built from a join of both locked dm_user rows, so it cannot exist (and
    // its id cannot be drawn) before both locks are held. The join also gives the id columns
    // their type, whatever the type of the host's user ids.
    const rows = await this.#db.$queryRaw<Array<MessageRow & { blocked: boolean }>>`
      WITH locked AS (
        INSERT INTO dm_user (user_id) VALUES (${low}), (${high})
        ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id
        RETURNING user_id
      ), blocked AS (
        SELECT EXISTS (
          SELECT 1 FROM dm_block
          WHERE (blocker_id = ${senderId} AND blocked_id = ${recipientId}) OR (blocker_id = ${recipientId} AND blocked_id = ${senderId})
        ) AS blocked
      ), message AS (
        INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, idempotency_key)
        SELECT s.user_id, r.user_id, CASE WHEN s.user_id = ${low} THEN s.user_id ELSE r.user_id END,
               CASE WHEN s.user_id = ${low} THEN r.user_id ELSE s.user_id END,
               CAST(${content} AS TEXT), CAST(${sentAt} AS TIMESTAMP(3)), CAST(${idempotencyKey} AS TEXT)
        FROM locked s, locked r, blocked b
        WHERE s.user_id = ${senderId} AND r.user_id = ${recipientId} AND NOT b.blocked
        ON CONFLICT (sender_id, idempotency_key) DO NOTHING
        RETURNING id, sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, read_at
      ), conversations AS (
        INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
        SELECT owner_id, partner_id, id, unread FROM (
          SELECT user_low_id AS owner_id, user_high_id AS partner_id, id, CASE WHEN recipient_id = user_low_id THEN 1 ELSE 0 END AS unread FROM message
          UNION ALL
          SELECT user_high_id, user_low_id, id, CASE WHEN recipient_id = user_high_id THEN 1 ELSE 0 END FROM message
        ) sides
        ON CONFLICT (owner_id, partner_id) DO UPDATE SET
          last_message_id = CASE
            WHEN dm_conversation.last_message_id IS NULL OR dm_conversation.last_message_id < excluded.last_message_id
            THEN excluded.last_message_id ELSE dm_conversation.last_message_id END,
          unread_count = dm_conversation.unread_count + excluded.unread_count
      )
      SELECT m.id, m.sender_id, m.recipient_id, m.content, m.sent_at, m.read_at, b.blocked
      FROM blocked b LEFT JOIN message m ON true`
    const row = rows[0] as MessageRow & { blocked: boolean }
    if (row.blocked) return null
    if (row.id === null) return await this.#earlier(this.#db, senderId, idempotencyKey)
    return { message: toMessage(row, this.#uid), created: true }
  }

  /** The message an earlier send with this key created (its insert found the key taken). */
  async #earlier (db: RawSqlClient, senderId: UserId, idempotencyKey: string | null): Promise<InsertResult> {
    return { message: await this.messageByIdempotencyKey(senderId, idempotencyKey as string, db) as Message, created: false }
  }

  /** The message `sender` sent with this idempotency key, if any (read through `db`: a transaction's, or the client). */
  async messageByIdempotencyKey (sender: UserId, key: string, db: RawSqlClient = this.#db): Promise<Message | null> {
    const rows = await db.$queryRaw<MessageRow[]>`
      SELECT id, sender_id, recipient_id, content, sent_at, read_at FROM dm_message
      WHERE sender_id = ${sender} AND idempotency_key = ${key}`
    return rows[0] === undefined ? null : toMessage(rows[0], this.#uid)
  }

  /**
   * One page of the messages between `owner` and `partner` that `owner` has not hidden, in the
   * page's direction, and (from the same snapshot, in the same statement) `owner`'s conversation
   * row: its unread count and newest visible message id (0 and 0 when there is none).
   */
  async messagePage (owner: UserId, partner: UserId, direction: 'older' | 'newer', key: number, limit: number): Promise<MessagePage> {
    const [low, high] = pair(owner, partner)
    // Two parts of one UNION ALL: the page's rows (kind 0) and the conversation row (kind 1).
    const rows = direction === 'older'
      ? await this.#db.$queryRaw<PageRow[]>`
          SELECT 0 AS kind, id, sender_id, recipient_id, content, sent_at, read_at, NULL AS unread_count, NULL AS last_message_id FROM (
            SELECT id, sender_id, recipient_id, content, sent_at, read_at FROM dm_message
            WHERE user_low_id = ${low} AND user_high_id = ${high} AND id < ${key}
              AND ((sender_id = ${owner} AND deleted_by_sender = false) OR (recipient_id = ${owner} AND deleted_by_recipient = false))
            ORDER BY id DESC LIMIT ${limit}) page
          UNION ALL
          SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, unread_count, last_message_id FROM dm_conversation
          WHERE owner_id = ${owner} AND partner_id = ${partner}`
      : await this.#db.$queryRaw<PageRow[]>`
          SELECT 0 AS kind, id, sender_id, recipient_id, content, sent_at, read_at, NULL AS unread_count, NULL AS last_message_id FROM (
            SELECT id, sender_id, recipient_id, content, sent_at, read_at FROM dm_message
            WHERE user_low_id = ${low} AND user_high_id = ${high} AND id > ${key}
              AND ((sender_id = ${owner} AND deleted_by_sender = false) OR (recipient_id = ${owner} AND deleted_by_recipient = false))
            ORDER BY id ASC LIMIT ${limit}) page
          UNION ALL
          SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, unread_count, last_message_id FROM dm_conversation
          WHERE owner_id = ${owner} AND partner_id = ${partner}`
    const conversation = rows.find((row) => Number(row.kind) === 1)
    const messages = rows.filter((row) => Number(row.kind) === 0).map((row) => toMessage(row as MessageRow, this.#uid))
    // A UNION ALL keeps no order: put the page's back in its direction.
    messages.sort(direction === 'older' ? (a, b) => b.id - a.id : (a, b) => a.id - b.id)
    return {
      messages,
      unreadCount: Number(conversation?.unread_count ?? 0),
      lastMessageId: Number(conversation?.last_message_id ?? 0)
    }
  }

  /**
   * One page of `owner`'s conversations that still show a message, keyed by that message's id,
   * each with its newest visible message (a join: no query per entry).
   */
  async conversationPage (owner: UserId, direction: 'older' | 'newer', key: number, limit: number): Promise<ConversationEntry[]> {
    const rows = direction === 'older'
      ? await this.#db.$queryRaw<ConversationMessageRow[]>`
          SELECT c.partner_id, c.last_message_id, c.unread_count,
                 m.id, m.sender_id, m.recipient_id, m.content, m.sent_at, m.read_at
          FROM dm_conversation c JOIN dm_message m ON m.id = c.last_message_id
          WHERE c.owner_id = ${owner} AND c.last_message_id < ${key}
          ORDER BY c.last_message_id DESC LIMIT ${limit}`
      : await this.#db.$queryRaw<ConversationMessageRow[]>`
          SELECT c.partner_id, c.last_message_id, c.unread_count,
                 m.id, m.sender_id, m.recipient_id, m.content, m.sent_at, m.read_at
          FROM dm_conversation c JOIN dm_message m ON m.id = c.last_message_id
          WHERE c.owner_id = ${owner} AND c.last_message_id > ${key}
          ORDER BY c.last_message_id ASC LIMIT ${limit}`
    return rows.map((row) => ({
      partnerId: this.#uid(row.partner_id),
      lastMessageId: Number(row.last_message_id),
      unreadCount: Number(row.unread_count),
      lastMessage: toMessage(row, this.#uid)
    }))
  }

  /** Unread messages addressed to `owner` that `owner` has not hidden. */
  async unreadCount (owner: UserId): Promise<number> {
    const rows = await this.#db.$queryRaw<Array<{ count: bigint | number | null }>>`
      SELECT SUM(unread_count) AS count FROM dm_conversation WHERE owner_id = ${owner} AND unread_count > 0`
    return Number(rows[0]?.count ?? 0)
  }

  /** `owner`'s conversations with unread messages, most recent first. */
  async unreadConversations (owner: UserId): Promise<ConversationEntry[]> {
    const rows = await this.#db.$queryRaw<ConversationRow[]>`
      SELECT partner_id, last_message_id, unread_count FROM dm_conversation
      WHERE owner_id = ${owner} AND unread_count > 0
      ORDER BY last_message_id DESC`
    return rows.map((row) => ({
      partnerId: this.#uid(row.partner_id),
      lastMessageId: Number(row.last_message_id),
      unreadCount: Number(row.unread_count)
    }))
  }

  /** `owner`'s unread count in the conversation with `partner` (0 when there is none). */
  async conversationUnreadCount (owner: UserId, partner: UserId): Promise<number> {
    const rows = await this.#db.$queryRaw<Array<{ unread_count: number }>>`
      SELECT unread_count FROM dm_conversation WHERE owner_id = ${owner} AND partner_id = ${partner}`
    return Number(rows[0]?.unread_count ?? 0)
  }

  /**
   * Marks read every message from `partner` to `owner` that is unread and not hidden by `owner`
   * (up to message id `upTo`), in two statements whatever their number, and answers the messages
   * that changed.
   */
  async markConversationRead (tx: RawSqlClient, owner: UserId, partner: UserId, readAt: Date, upTo: number = NEWEST): Promise<Message[]> {
    const rows = await tx.$queryRaw<MessageRow[]>`
      UPDATE dm_message SET read_at = ${readAt}
      WHERE recipient_id = ${owner} AND sender_id = ${partner} AND read_at IS NULL AND deleted_by_recipient = false
        AND id <= ${upTo}
      RETURNING id, sender_id, recipient_id, content, sent_at, read_at`
    if (rows.length > 0) {
      await tx.$executeRaw`
        UPDATE dm_conversation SET unread_count = unread_count - ${rows.length}
        WHERE owner_id = ${owner} AND partner_id = ${partner}`
    }
    return rows.map((row) => toMessage(row, this.#uid)).sort((a, b) => a.id - b.id)
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
  async hideMessage (tx: RawSqlClient, owner: UserId, id: number): Promise<HideResult> {
    const rows = await tx.$queryRaw<MessageRow[]>`
      UPDATE dm_message SET
        deleted_by_sender = (deleted_by_sender OR sender_id = ${owner}),
        deleted_by_recipient = (deleted_by_recipient OR recipient_id = ${owner})
      WHERE id = ${id}
        AND ((sender_id = ${owner} AND deleted_by_sender = false) OR (recipient_id = ${owner} AND deleted_by_recipient = false))
      RETURNING id, sender_id, recipient_id, content, sent_at, read_at`
    if (rows.length === 0) {
      const mine = await tx.$queryRaw<unknown[]>`
        SELECT id FROM dm_message WHERE id = ${id} AND (sender_id = ${owner} OR recipient_id = ${owner})`
      return { outcome: mine.length > 0 ? 'already-hidden' : 'not-found' }
    }
    const message = toMessage(rows[0] as MessageRow, this.#uid)
    const partner = message.senderId === owner ? message.recipientId : message.senderId
    const unreadDelta = message.recipientId === owner && message.readAt === null ? 1 : 0
    const conversation = await tx.$queryRaw<Array<{ last_message_id: bigint | number | null }>>`
      UPDATE dm_conversation SET unread_count = unread_count - ${unreadDelta}
      WHERE owner_id = ${owner} AND partner_id = ${partner}
      RETURNING last_message_id`
    if (Number(conversation[0]?.last_message_id) === id) {
      const [low, high] = pair(owner, partner)
      await tx.$executeRaw`
        UPDATE dm_conversation SET last_message_id = (
          SELECT id FROM dm_message
          WHERE user_low_id = ${low} AND user_high_id = ${high} AND id < ${id}
            AND ((sender_id = ${owner} AND deleted_by_sender = false) OR (recipient_id = ${owner} AND deleted_by_recipient = false))
          ORDER BY id DESC LIMIT 1)
        WHERE owner_id = ${owner} AND partner_id = ${partner}`
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
  async hideConversation (tx: RawSqlClient, owner: UserId, partner: UserId): Promise<number> {
    const [low, high] = pair(owner, partner)
    const hidden = await tx.$executeRaw`
      UPDATE dm_message SET
        deleted_by_sender = (deleted_by_sender OR sender_id = ${owner}),
        deleted_by_recipient = (deleted_by_recipient OR recipient_id = ${owner})
      WHERE user_low_id = ${low} AND user_high_id = ${high}
        AND ((sender_id = ${owner} AND deleted_by_sender = false) OR (recipient_id = ${owner} AND deleted_by_recipient = false))`
    await tx.$executeRaw`
      UPDATE dm_conversation SET unread_count = unread_count WHERE owner_id = ${owner} AND partner_id = ${partner}`
    await tx.$executeRaw`
      UPDATE dm_conversation SET
        last_message_id = (
          SELECT id FROM dm_message
          WHERE user_low_id = ${low} AND user_high_id = ${high}
            AND ((sender_id = ${owner} AND deleted_by_sender = false) OR (recipient_id = ${owner} AND deleted_by_recipient = false))
          ORDER BY id DESC LIMIT 1),
        unread_count = (
          SELECT COUNT(*) FROM dm_message
          WHERE recipient_id = ${owner} AND sender_id = ${partner} AND read_at IS NULL AND deleted_by_recipient = false)
      WHERE owner_id = ${owner} AND partner_id = ${partner}`
    return hidden
  }

  /** `blocker` blocks `blocked` (nothing changes when it already does). */
  async block (blocker: UserId, blocked: UserId): Promise<void> {
    await this.#db.$executeRaw`
      INSERT INTO dm_block (blocker_id, blocked_id, created_at) VALUES (${blocker}, ${blocked}, ${new Date()})
      ON CONFLICT (blocker_id, blocked_id) DO NOTHING`
  }

  /** `blocker` stops blocking `blocked` (nothing changes when it did not). */
  async unblock (blocker: UserId, blocked: UserId): Promise<void> {
    await this.#db.$executeRaw`DELETE FROM dm_block WHERE blocker_id = ${blocker} AND blocked_id = ${blocked}`
  }

  /** Who of the two blocks the other: the blockers' ids (none, one or both), read through `db`. */
  async blockersBetween (a: UserId, b: UserId, db: RawSqlClient = this.#db): Promise<UserId[]> {
    const rows = await db.$queryRaw<Array<{ blocker_id: number | string }>>`
      SELECT blocker_id FROM dm_block
      WHERE (blocker_id = ${a} AND blocked_id = ${b}) OR (blocker_id = ${b} AND blocked_id = ${a})`
    return rows.map((row) => this.#uid(row.blocker_id))
  }

  /** One page of the users `blocker` blocks, most recent block first. */
  async blockPage (blocker: UserId, direction: 'older' | 'newer', key: number, limit: number): Promise<BlockEntry[]> {
    const rows = direction === 'older'
      ? await this.#db.$queryRaw<Array<{ id: bigint | number, blocked_id: number | string }>>`
          SELECT id, blocked_id FROM dm_block WHERE blocker_id = ${blocker} AND id < ${key} ORDER BY id DESC LIMIT ${limit}`
      : await this.#db.$queryRaw<Array<{ id: bigint | number, blocked_id: number | string }>>`
          SELECT id, blocked_id FROM dm_block WHERE blocker_id = ${blocker} AND id > ${key} ORDER BY id ASC LIMIT ${limit}`
    return rows.map((row) => ({ id: Number(row.id), blockedId: this.#uid(row.blocked_id) }))
  }

  /** The id of the newest message `user` sent or received (hidden or not); 0 when none. */
  async latestMessageId (user: UserId): Promise<number> {
    const rows = await this.#db.$queryRaw<Array<{ id: bigint | number | null }>>`
      SELECT MAX(id) AS id FROM (
        SELECT MAX(id) AS id FROM dm_message WHERE sender_id = ${user}
        UNION ALL
        SELECT MAX(id) AS id FROM dm_message WHERE recipient_id = ${user}
      ) latest`
    return Number(rows[0]?.id ?? 0)
  }

  /**
   * `owner`'s messages (sent or received, not hidden by `owner`) with ids above `after`, oldest
   * first, at most `limit`: the tail an event stream has not shown yet. Two index range scans.
   */
  async messagesAfter (owner: UserId, after: number, limit: number): Promise<Message[]> {
    const rows = await this.#db.$queryRaw<MessageRow[]>`
      SELECT * FROM (
        SELECT id, sender_id, recipient_id, content, sent_at, read_at FROM dm_message
        WHERE sender_id = ${owner} AND id > ${after} AND deleted_by_sender = false
        UNION ALL
        SELECT id, sender_id, recipient_id, content, sent_at, read_at FROM dm_message
        WHERE recipient_id = ${owner} AND id > ${after} AND deleted_by_recipient = false
      ) mine ORDER BY id LIMIT ${limit}`
    return rows.map((row) => toMessage(row, this.#uid))
  }

  /** The display fields of the given users, keyed by id; unknown ids are absent. */
  async partners (ids: readonly UserId[]): Promise<Map<UserId, Partner>> {
    const found = new Map<UserId, Partner>()
    if (ids.length === 0) return found
    const users = await this.#users.findMany({ where: { [this.#idField]: { in: [...new Set(ids)] } }, select: this.#userSelect })
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
    const users = await this.#users.findMany({ where: { [this.#idField]: { in: [id] } }, select: { [this.#idField]: true } })
    return users.length > 0
  }

  /**
   * The columns of the plugin's tables that exist in the database, with their declared types
   * (lower case), by table: one catalog query, in the provider's dialect.
   */
  async tableColumns (): Promise<Map<string, Map<string, string>>> {
    const rows = this.#provider === 'postgresql'
      ? await this.#db.$queryRaw<Array<{ table_name: string, column_name: string, data_type: string }>>`
          SELECT CAST(table_name AS TEXT) AS table_name, CAST(column_name AS TEXT) AS column_name, CAST(data_type AS TEXT) AS data_type
          FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name IN ('dm_message', 'dm_conversation', 'dm_user', 'dm_block')`
      : await this.#db.$queryRaw<Array<{ table_name: string, column_name: string, data_type: string }>>`
          SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type FROM sqlite_master m, pragma_table_info(m.name) p
          WHERE m.type = 'table' AND m.name IN ('dm_message', 'dm_conversation', 'dm_user', 'dm_block')`
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

/**
 * `work`, or a DatabaseTimeout once `ms` have passed without an answer. The work itself goes on
 * (nothing can recall a statement already sent); its late outcome is ignored.
 */
function bounded<T> (work: PromiseLike<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new DatabaseTimeout(ms)) }, ms)
    work.then((value) => {
      clearTimeout(timer)
      resolve(value)
    }, (err: unknown) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}

function field (user: Record<string, unknown>, name: string | null): string {
  if (name === null) return ''
  const value = user[name]
  return value === null || value === undefined ? '' : String(value)
}

/**
 * Whether a database error (as Prisma reports it: P20xx with the driver adapter's error in `meta`
 * or `cause`, several levels deep) carries one of `codes` or the adapter's `kind`.
 */
function hasErrorCode (err: unknown, codes: ReadonlySet<string>, kind: string, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false
  const e = err as { code?: unknown, kind?: unknown, originalCode?: unknown, meta?: unknown, cause?: unknown, driverAdapterError?: unknown }
  if (codes.has(String(e.code)) || codes.has(String(e.originalCode)) || e.kind === kind) return true
  return [e.meta, e.cause, e.driverAdapterError].some((inner) => hasErrorCode(inner, codes, kind, depth + 1))
}

const FOREIGN_KEY_CODES = new Set(['P2003', '23503', 'SQLITE_CONSTRAINT_FOREIGNKEY'])
const TRANSIENT_CONFLICT_CODES = new Set(['40P01', '40001', 'P2034'])

/** A foreign-key violation, on either provider: P2003 from model queries, P2010 from raw ones. */
export function isForeignKeyViolation (err: unknown): boolean {
  return hasErrorCode(err, FOREIGN_KEY_CODES, 'ForeignKeyConstraintViolation')
}

const UNAVAILABLE_CODES = new Set([
  'P1001', 'P1002', 'P1008', 'P1017', 'P2024', // cannot reach, timed out, connection closed, pool timeout
  'P2028', // a transaction could not start within maxWait, or outlived its timeout
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', // PostgreSQL shutting down, connection failures
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'SQLITE_BUSY', 'SQLITE_CANTOPEN'
])
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'DatabaseDoesNotExist'])
/** The `pg` driver's own connection errors, which carry no code. */
const UNAVAILABLE_MESSAGES = /Query read timeout|Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|Connection is closed/

/** The database cannot be reached or is going away: nothing a retry later would not fix. */
export function isDatabaseUnavailable (err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false
  const e = err as { code?: unknown, kind?: unknown, originalCode?: unknown, message?: unknown, meta?: unknown, cause?: unknown, driverAdapterError?: unknown }
  if (UNAVAILABLE_CODES.has(String(e.code)) || UNAVAILABLE_CODES.has(String(e.originalCode)) || UNAVAILABLE_KINDS.has(String(e.kind))) return true
  if (e.code === undefined && typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true
  return [e.meta, e.cause, e.driverAdapterError].some((inner) => isDatabaseUnavailable(inner, depth + 1))
}

/** A deadlock or serialization failure: the transaction was rolled back and may simply be run again. */
export function isTransientConflict (err: unknown): boolean {
  return hasErrorCode(err, TRANSIENT_CONFLICT_CODES, 'TransactionWriteConflict')
}
