/**
 * Domain rules: who may message whom, what a valid message is, which writes share a transaction,
 * and which events leave after the transaction has committed. Reachable from the host's code as
 * `fastify.directMessages`; the HTTP routes are a thin layer over it.
 */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import { CursorCodec, MAX_PAGE_SIZE, PAGE_SIZE, type Direction } from './domain/cursor.js'
import {
  BlockedByYou, ContentTooLong, EditWindowClosed, EmptyContent, IdempotencyConflict, InternalError, InvalidContent, InvalidIdempotencyKey, InvalidPageSize,
  InvalidReaction, InvalidReply, MessageNotFound, MessageUnsent, NotSender, TooManyReactions, UnsendWindowClosed,
  InvalidPresenceIds, RecipientNotAllowed, SelfBlock, SelfMessage, SelfTyping, UnknownCaller, UserNotFound, ConversationNotFound, SelfConversation
} from './domain/errors.js'
import type { EventHub, EventName, Listener, MessageEvent } from './domain/events.js'
import { TYPING_COALESCE, TYPING_TIMEOUT, type BusEvent } from './realtime/bus.js'
import { IDEMPOTENCY_KEY, INVALID_TEXT } from './domain/ids.js'
import type { ResolvedOptions } from './options.js'
import { isForeignKeyViolation, lateOutcomeOf, Store, type ConversationFlag, type Executor, type LockedMessage, type StoredMessage } from './store/index.js'
import type { ConversationSummary, Message, MessageEdit, Page, PageRequest, Partner, PresenceEntry, Reaction, UnreadConversation, UnreadCounts, UserId } from './domain/types.js'

/** Most ids one presence request may ask about. */
export const MAX_PRESENCE_IDS = 100

/** Options of {@link DirectMessagesService.conversation}. */
export interface ConversationRequest extends PageRequest {
  /** Mark the conversation's unread inbound messages read before reading the page (default true). */
  markRead?: boolean
}

/** Options of {@link DirectMessagesService.conversations}. */
export interface ConversationsRequest extends PageRequest {
  /** true: the archived conversations only; false (the default): the others only. */
  archived?: boolean
}

/** Options of {@link DirectMessagesService.send}. */
export interface SendOptions {
  /**
   * An idempotency key (1–255 visible ASCII characters): a second send with the same key from
   * the same sender answers the message the first one created and creates nothing; with another
   * recipient or content it fails with 409.
   */
  idempotencyKey?: string
  /** The HTTP request the send comes from, handed to the `canMessage` option (absent otherwise). */
  request?: FastifyRequest
  /** The id of the message this one answers: a message of the same conversation the sender can see. */
  replyTo?: number
}

/** Options of {@link DirectMessagesService.markConversationRead}. */
export interface MarkReadOptions {
  /** Mark only messages up to this message id. */
  upTo?: number
}

/**
 * The programmatic API, decorated on the Fastify instance as `fastify.directMessages`.
 * Every method takes the acting user's id first and enforces the same rules as the HTTP routes.
 */
export interface DirectMessagesService {
  /** Sends `content` from `senderId` to `recipientId`; answers the stored message. */
  send(senderId: UserId, recipientId: UserId, content: string, options?: SendOptions): Promise<Message>
  /** A page of the conversation of `userId` with `partnerId`, newest first (marks it read by default). */
  conversation(userId: UserId, partnerId: UserId, request?: ConversationRequest): Promise<Page<Message>>
  /**
   * A page of `userId`'s conversations, most recent activity first, with unread count, last
   * message and the owner's flags: those not archived, or with `archived: true` the archived ones
   * (each list has its own cursors).
   */
  conversations(userId: UserId, request?: ConversationsRequest): Promise<Page<ConversationSummary>>
  /** Marks read the unread messages from `partnerId` to `userId` (up to `upTo`); answers those that changed. */
  markConversationRead(userId: UserId, partnerId: UserId, options?: MarkReadOptions): Promise<Message[]>
  /** Hides message `messageId` for `userId` only; already hidden is fine; not theirs: MessageNotFound. */
  deleteMessage(userId: UserId, messageId: number): Promise<void>
  /** Hides every current message of the conversation with `partnerId` for `userId` only. */
  deleteConversation(userId: UserId, partnerId: UserId): Promise<void>
  /** `userId` blocks `targetId`: `targetId` can no longer message them. Blocking again is fine. Answers the blocked user. */
  block(userId: UserId, targetId: UserId): Promise<Partner>
  /** `userId` stops blocking `targetId`. Unblocking again is fine. */
  unblock(userId: UserId, targetId: UserId): Promise<void>
  /** A page of the users `userId` blocks, most recent first. */
  blocks(userId: UserId, request?: PageRequest): Promise<Page<Partner>>
  /** Unread messages addressed to `userId` that they have not hidden. */
  unreadCount(userId: UserId): Promise<number>
  /** The same count, and the part of it in conversations `userId` has not muted (one statement). */
  unreadCounts(userId: UserId): Promise<UnreadCounts>
  /**
   * `userId` mutes their conversation with `partnerId` (for them only; again: nothing changes).
   * Its messages still count as unread (`count`, not `unmutedCount`), and `messageSent` says
   * `recipientMuted`. Survives deleting the conversation. No conversation with `partnerId` (or no
   * such user): ConversationNotFound; `partnerId` = `userId`: SelfConversation.
   */
  mute(userId: UserId, partnerId: UserId): Promise<void>
  /** `userId` unmutes their conversation with `partnerId` (again: nothing changes); errors as `mute`. */
  unmute(userId: UserId, partnerId: UserId): Promise<void>
  /**
   * `userId` archives their conversation with `partnerId` (for them only; again: nothing changes):
   * it leaves `conversations(userId)` for `conversations(userId, { archived: true })` until a
   * message is sent in it, either way. Survives deleting the conversation. Errors as `mute`.
   */
  archive(userId: UserId, partnerId: UserId): Promise<void>
  /** `userId` brings their conversation with `partnerId` back to the main list (again: nothing changes); errors as `mute`. */
  unarchive(userId: UserId, partnerId: UserId): Promise<void>
  /** Unread counts per conversation partner, only partners with unread messages, most recent first. */
  unreadConversations(userId: UserId): Promise<UnreadConversation[]>
  /** The sender edits message `messageId`: answers it with its new content (unchanged content: no change). */
  edit(userId: UserId, messageId: number, content: string): Promise<Message>
  /** The earlier versions of message `messageId`, oldest first (both participants may read them). */
  edits(userId: UserId, messageId: number): Promise<MessageEdit[]>
  /** The sender unsends message `messageId` for both participants (again: nothing changes). */
  unsend(userId: UserId, messageId: number): Promise<void>
  /** `userId` reacts to message `messageId` with `emoji`; answers the message's reactions as they see them. */
  react(userId: UserId, messageId: number, emoji: string): Promise<Reaction[]>
  /** `userId` takes back their `emoji` reaction; answers the message's reactions as they see them. */
  unreact(userId: UserId, messageId: number, emoji: string): Promise<Reaction[]>
  /**
   * `userId` is typing to `partnerId`: the partner's streams get `typing` (until 5 s from now).
   * Nothing is stored; calls less than 2 s apart are sent on once; when the partner could not
   * receive a message from `userId` (policy, block), nothing is sent and no error says so.
   */
  typing(userId: UserId, partnerId: UserId): Promise<void>
  /**
   * Whether each of `ids` (1–100, distinct) is online, as `userId` may know it: truthful for the
   * users they have a conversation with (and no block between them), offline and never seen for
   * anyone else. In the order asked.
   */
  presence(userId: UserId, ids: readonly UserId[]): Promise<PresenceEntry[]>
  /** Listens to an event (`messageSent`, `messageRead`, `messageEdited`...), delivered after commit. */
  on<E extends EventName>(event: E, listener: Listener<E>): void
  /** Stops listening. */
  off<E extends EventName>(event: E, listener: Listener<E>): void
}

/** Refusals a caller that is no user also meets (it has no messages, conversations or rights). */
const CALLER_DEPENDENT = [MessageNotFound, ConversationNotFound, UserNotFound, InvalidReply, RecipientNotAllowed, NotSender, MessageUnsent]

interface Keyed { key: number }
interface Position { direction: Direction, key: number, first: boolean, size: number }

export class Service implements DirectMessagesService {
  readonly #store: Store
  readonly #events: EventHub
  readonly #cursors: CursorCodec
  readonly #options: ResolvedOptions
  readonly #publish: (event: BusEvent) => void
  readonly #log: FastifyBaseLogger
  /** When each (user, partner) typing was last sent on. */
  readonly #typingSent = new Map<string, number>()
  /** The unknown callers already logged (see #unknownCaller). */
  readonly #unknownCallers = new Set<UserId>()

  /**
   * @param publish sends an event to the streams of every instance (after commit, like `events`)
   */
  constructor (options: ResolvedOptions, store: Store, events: EventHub, publish: (event: BusEvent) => void, log: FastifyBaseLogger) {
    this.#log = log
    this.#options = options
    this.#store = store
    this.#events = events
    this.#publish = publish
    this.#cursors = new CursorCodec(options.cursorSecret)
  }

  async send (senderId: UserId, recipientId: UserId, content: string, options: SendOptions = {}): Promise<Message> {
    return await this.#asCaller(senderId, () => this.#send(senderId, recipientId, content, options))
  }

  async #send (senderId: UserId, recipientId: UserId, content: string, options: SendOptions): Promise<Message> {
    this.#checkContent(content)
    if (senderId === recipientId) throw new SelfMessage()
    const key = options.idempotencyKey ?? null
    if (key !== null && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) throw new InvalidIdempotencyKey()
    const replyTo = options.replyTo ?? null
    if (replyTo !== null && (!Number.isSafeInteger(replyTo) || replyTo < 1)) throw new InvalidReply()
    if (key !== null) {
      // A retry answers what the first send created, even if the policy has changed since.
      const earlier = await this.#store.messageByIdempotencyKey(senderId, key)
      if (earlier !== null) return this.#replayed(earlier, recipientId, content)
    }
    await this.#checkPolicy(senderId, recipientId, options.request)
    if (replyTo !== null && !(await this.#store.isReplyTarget(senderId, recipientId, replyTo))) throw new InvalidReply()
    const announce = (message: Message, recipientMuted: boolean): void => {
      this.#events.emit('messageSent', [{ message, from: senderId, to: recipientId, recipientMuted }])
      this.#publish({ type: 'message', id: message.id, sender: senderId, recipient: recipientId })
    }
    // Blocks are checked by the statement that stores the message. A send that outlived
    // databaseTimeout and commits after all is announced then (its retry replays it silently).
    const result = await this.#store.sendMessage(senderId, recipientId, content, new Date(), key, replyTo, announce)
    if (result.outcome === 'missing-user') {
      // The database refused a participant that is not a user: which one is asked only now.
      const users = await this.#store.existingUsers([senderId, recipientId])
      if (!users.has(senderId)) throw this.#unknownCaller(senderId)
      if (!users.has(recipientId)) throw new UserNotFound(recipientId)
      // Both exist again (deleted and re-created meanwhile): the send did not happen.
      throw new InternalError()
    }
    if (result.outcome === 'blocked') return await this.#refuseBlocked(senderId, recipientId)
    if (result.outcome === 'replayed') return this.#replayed(result.message, recipientId, content)
    announce(result.message, result.recipientMuted)
    return result.message
  }

  async conversation (userId: UserId, partnerId: UserId, request: ConversationRequest = {}): Promise<Page<Message>> {
    const scope = `${userId}|messages|${partnerId}`
    const position = this.#position(scope, request)
    const page = await this.#store.messagePage(userId, partnerId, position.direction, position.key, position.size + 1)
    let rows = page.messages
    if (request.markRead !== false && page.unreadCount > 0) {
      // Marks read what the reader could see when the page was read (up to the conversation's
      // newest message then), and shows the page's messages as read.
      const changed = await this.#markRead(userId, partnerId, page.lastMessageId, false)
      const readAt = new Map(changed.map((message) => [message.id, message.readAt]))
      rows = rows.map((message) => readAt.has(message.id) ? { ...message, readAt: readAt.get(message.id) ?? null } : message)
    }
    if (rows.length === 0) await this.#checkUserExists(userId, partnerId)
    return this.#page(scope, position, rows, (message) => ({ key: message.id }))
  }

  async conversations (userId: UserId, request: ConversationsRequest = {}): Promise<Page<ConversationSummary>> {
    const archived = request.archived === true
    // Each list its own cursors: a cursor of the one is refused by the other.
    const scope = archived ? `${userId}|conversations|archived` : `${userId}|conversations`
    const position = this.#position(scope, request)
    const rows = await this.#store.conversationPage(userId, archived, position.direction, position.key, position.size + 1)
    const page = this.#page(scope, position, rows, (entry) => ({ key: entry.lastMessageId }))
    const partners = await this.#partnersOf(page.items.map((entry) => [entry.partnerId, entry.partner]))
    return {
      ...page,
      // A partner deleted meanwhile (rows cascade away) simply drops out of the page.
      items: page.items.flatMap((entry) => {
        const partner = partners.get(entry.partnerId)
        return partner === undefined
          ? []
          : [{ ...partner, unreadCount: entry.unreadCount, lastMessage: entry.lastMessage ?? null, muted: entry.muted, archived: entry.archived ?? archived }]
      })
    }
  }

  async markConversationRead (userId: UserId, partnerId: UserId, options: MarkReadOptions = {}): Promise<Message[]> {
    return await this.#asCaller(userId, async () => {
      const changed = await this.#markRead(userId, partnerId, options.upTo)
      // Nothing changed: a write of nothing, still refused to a caller or for a partner that is no user.
      if (changed.length === 0) await this.#checkUsersExist(userId, partnerId)
      return changed
    }, partnerId)
  }

  async deleteMessage (userId: UserId, messageId: number): Promise<void> {
    await this.#asCaller(userId, async () => {
      const result = await this.#write((tx) => this.#store.hideMessage(tx, userId, messageId), async (result) => {
        if (result.outcome === 'hidden') this.#publish({ type: 'deleted', user: userId, id: messageId })
        return result
      })
      if (result.outcome === 'not-found') throw new MessageNotFound()
    })
  }

  async deleteConversation (userId: UserId, partnerId: UserId): Promise<void> {
    await this.#asCaller(userId, async () => {
      const hidden = await this.#write((tx) => this.#store.hideConversation(tx, userId, partnerId), async (hidden) => {
        if (hidden > 0) this.#publish({ type: 'conversation-deleted', user: userId, partner: partnerId })
        return hidden
      })
      if (hidden === 0) await this.#checkUsersExist(userId, partnerId)
    }, partnerId)
  }

  async block (userId: UserId, targetId: UserId): Promise<Partner> {
    if (userId === targetId) throw new SelfBlock()
    const users = await this.#store.partners([userId, targetId])
    if (!users.has(userId)) throw this.#unknownCaller(userId)
    const target = users.get(targetId)
    if (target === undefined) throw new UserNotFound(targetId)
    // False: one of them was deleted meanwhile.
    if (!(await this.#store.block(userId, targetId))) {
      await this.#checkUsersExist(userId, targetId)
      throw new UserNotFound(targetId)
    }
    return target
  }

  async unblock (userId: UserId, targetId: UserId): Promise<void> {
    await this.#checkUsersExist(userId, targetId)
    await this.#store.unblock(userId, targetId)
  }

  async blocks (userId: UserId, request: PageRequest = {}): Promise<Page<Partner>> {
    const scope = `${userId}|blocks`
    const position = this.#position(scope, request)
    const rows = await this.#store.blockPage(userId, position.direction, position.key, position.size + 1)
    const page = this.#page(scope, position, rows, (entry) => ({ key: entry.id }))
    const partners = await this.#partnersOf(page.items.map((entry) => [entry.blockedId, entry.partner]))
    return { ...page, items: page.items.flatMap((entry) => partners.get(entry.blockedId) ?? []) }
  }

  async unreadCount (userId: UserId): Promise<number> {
    return (await this.#store.unreadCounts(userId)).count
  }

  unreadCounts (userId: UserId): Promise<UnreadCounts> {
    return this.#store.unreadCounts(userId)
  }

  mute (userId: UserId, partnerId: UserId): Promise<void> {
    return this.#setConversationFlag(userId, partnerId, 'muted', true)
  }

  unmute (userId: UserId, partnerId: UserId): Promise<void> {
    return this.#setConversationFlag(userId, partnerId, 'muted', false)
  }

  archive (userId: UserId, partnerId: UserId): Promise<void> {
    return this.#setConversationFlag(userId, partnerId, 'archived', true)
  }

  unarchive (userId: UserId, partnerId: UserId): Promise<void> {
    return this.#setConversationFlag(userId, partnerId, 'archived', false)
  }

  async unreadConversations (userId: UserId): Promise<UnreadConversation[]> {
    const entries = await this.#store.unreadConversations(userId)
    const partners = await this.#partnersOf(entries.map((entry) => [entry.partnerId, entry.partner]))
    return entries.flatMap((entry) => {
      const partner = partners.get(entry.partnerId)
      return partner === undefined ? [] : [{ partnerId: entry.partnerId, partnerUsername: partner.username, unreadCount: entry.unreadCount, muted: entry.muted }]
    })
  }

  async edit (userId: UserId, messageId: number, content: string): Promise<Message> {
    this.#checkContent(content)
    const at = new Date()
    return await this.#asCaller(userId, () => this.#write(async (tx) => {
      const message = this.#changeable(await this.#store.lockMessage(tx, userId, messageId), userId, this.#options.editWindow, EditWindowClosed)
      const unchanged = message.content === content
      if (!unchanged) await this.#store.editMessage(tx, message, content, at)
      // Presented in the transaction: once it commits, announcing it needs no further read.
      const presented = await this.#presentIn(tx, unchanged ? message : { ...message, content, editedAt: at }, userId)
      return { message: presented, previousContent: unchanged ? null : message.content }
    }, async ({ message, previousContent }) => {
      if (previousContent !== null) {
        this.#events.emit('messageEdited', [{ message, previousContent }])
        this.#publishUpdate(message)
      }
      return message
    }))
  }

  async edits (userId: UserId, messageId: number): Promise<MessageEdit[]> {
    // A read: a caller that is no user simply sees no message.
    const edits = await this.#store.edits(userId, messageId)
    if (edits === null) throw new MessageNotFound()
    return edits
  }

  async unsend (userId: UserId, messageId: number): Promise<void> {
    const at = new Date()
    await this.#asCaller(userId, () => this.#write(async (tx) => {
      const locked = await this.#store.lockMessage(tx, userId, messageId)
      if (locked?.visible === true && locked.message.unsentAt !== null && locked.message.senderId === userId) return null
      const message = this.#changeable(locked, userId, this.#options.unsendWindow, UnsendWindowClosed)
      await this.#store.unsendMessage(tx, message, at)
      const unsent: StoredMessage = { ...message, content: '', unsentAt: at, replyToId: null, reactionCount: 0 }
      // A tombstone answers nothing and has no reactions: presenting it reads nothing.
      return await this.#presentIn(tx, unsent, userId)
    }, async (message) => {
      if (message === null) return
      this.#events.emit('messageUnsent', [{ message }])
      this.#publishUpdate(message)
    }))
  }

  async react (userId: UserId, messageId: number, emoji: string): Promise<Reaction[]> {
    this.#checkReaction(emoji)
    return await this.#asCaller(userId, () => this.#write(async (tx) => {
      const message = this.#reactable(await this.#store.lockMessage(tx, userId, messageId))
      const outcome = await this.#store.addReaction(tx, message, userId, emoji, this.#options.maxReactionKinds, new Date())
      if (outcome === 'too-many') throw new TooManyReactions(this.#options.maxReactionKinds)
      const added = outcome === 'added'
      return { message: await this.#presentIn(tx, { ...message, reactionCount: message.reactionCount + (added ? 1 : 0) }, userId), added }
    }, async ({ message, added }) => this.#reacted(message, userId, emoji, added ? 'reactionAdded' : null)))
  }

  async unreact (userId: UserId, messageId: number, emoji: string): Promise<Reaction[]> {
    this.#checkReaction(emoji)
    return await this.#asCaller(userId, () => this.#write(async (tx) => {
      const message = this.#reactable(await this.#store.lockMessage(tx, userId, messageId))
      const removed = await this.#store.removeReaction(tx, message, userId, emoji)
      return { message: await this.#presentIn(tx, { ...message, reactionCount: message.reactionCount - (removed ? 1 : 0) }, userId), removed }
    }, async ({ message, removed }) => this.#reacted(message, userId, emoji, removed ? 'reactionRemoved' : null)))
  }

  async typing (userId: UserId, partnerId: UserId): Promise<void> {
    if (userId === partnerId) throw new SelfTyping()
    const key = `${userId}|${partnerId}`
    const now = Date.now()
    const last = this.#typingSent.get(key)
    if (last !== undefined && now - last < TYPING_COALESCE) return
    await this.#checkUsersExist(userId, partnerId)
    // Someone the caller could not message is not told either, and the caller is not told why.
    if (!(await this.#mayMessage(userId, partnerId))) return
    if (this.#typingSent.size >= 10_000) {
      for (const [k, at] of this.#typingSent) if (now - at >= TYPING_COALESCE) this.#typingSent.delete(k)
    }
    this.#typingSent.set(key, now)
    this.#publish({ type: 'typing', user: userId, partner: partnerId, expiresAt: new Date(now + TYPING_TIMEOUT).toISOString() })
  }

  async presence (userId: UserId, ids: readonly UserId[]): Promise<PresenceEntry[]> {
    if (ids.length < 1 || ids.length > MAX_PRESENCE_IDS || new Set(ids).size !== ids.length) throw new InvalidPresenceIds(MAX_PRESENCE_IDS)
    if (!this.#options.presence) return ids.map((id) => ({ id, online: false, lastSeenAt: null }))
    return await this.#store.presence.read(userId, ids, new Date(), this.#options.presenceTimeout)
  }

  /** Whether `senderId` may message `recipientId` now: the policy allows it and no block stands between them. */
  async #mayMessage (senderId: UserId, recipientId: UserId): Promise<boolean> {
    try {
      await this.#checkPolicy(senderId, recipientId, undefined)
    } catch (err) {
      if (err instanceof RecipientNotAllowed) return false
      throw err
    }
    return (await this.#store.blockersBetween(senderId, recipientId)).length === 0
  }

  on<E extends EventName>(event: E, listener: Listener<E>): void {
    this.#events.on(event, listener)
  }

  off<E extends EventName>(event: E, listener: Listener<E>): void {
    this.#events.off(event, listener)
  }

  /**
   * Marks read and emits the events, without the user check (the caller does it when it matters).
   * `check`: first ask the owner's conversation row whether anything is unread (usually nothing
   * is, and then marking costs no write at all); false when the caller knows.
   */
  async #markRead (userId: UserId, partnerId: UserId, upTo: number | undefined, check = true): Promise<Message[]> {
    if (check && await this.#store.conversationUnreadCount(userId, partnerId) === 0) return []
    return await this.#write((tx) => this.#store.markConversationRead(tx, userId, partnerId, new Date(), upTo), async (changed) => {
      if (this.#events.listens('messageRead')) {
        this.#events.emit('messageRead', changed.map((message): MessageEvent => ({ message, from: message.senderId, to: message.recipientId })))
      }
      const readAt = changed[0]?.readAt?.toISOString()
      // The streams read the messages from the change log: the event only wakes them.
      if (readAt !== undefined) this.#publish({ type: 'read', reader: userId, partner: partnerId, ids: [], readAt })
      return changed
    })
  }

  /**
   * Runs a write transaction, then `committed` with what it answered. When the wait for the
   * database runs out but the transaction commits after all, `committed` runs then (its events
   * are announced once, late) and the caller still gets the timeout.
   */
  async #write<R, T>(fn: (tx: Executor) => Promise<R>, committed: (result: R) => Promise<T>): Promise<T> {
    let result: R
    try {
      result = await this.#store.transaction(fn)
    } catch (err) {
      const late = lateOutcomeOf(err)
      if (late !== undefined) {
        Promise.resolve(late).then(async (value) => { await committed(value as R) }, () => { /* rolled back: nothing to announce */ })
          .catch((error: unknown) => { this.#log.warn({ err: error }, 'directMessages: announcing a change that committed after its request gave up failed') })
      }
      throw err
    }
    return await committed(result)
  }

  /**
   * The rules of an edit or unsend of a locked message: the caller must see it (else 404), be its
   * sender (403), it must not be unsent (409), and be younger than the window (409).
   */
  #changeable (locked: LockedMessage | null, userId: UserId, window: number | null, Closed: new () => Error): StoredMessage {
    if (locked === null || !locked.visible) throw new MessageNotFound()
    const { message } = locked
    if (message.senderId !== userId) throw new NotSender()
    if (message.unsentAt !== null) throw new MessageUnsent()
    if (window !== null && Date.now() - message.sentAt.getTime() > window) throw new Closed()
    return message
  }

  /** A locked message the caller may react to: one they see (else 404), not unsent (409). */
  #reactable (locked: LockedMessage | null): StoredMessage {
    if (locked === null || !locked.visible) throw new MessageNotFound()
    if (locked.message.unsentAt !== null) throw new MessageUnsent()
    return locked.message
  }

  /**
   * A changed message as `userId` sees it, read in the change's transaction: once it commits,
   * announcing it needs no further read (that could fail and leave a committed change unannounced).
   */
  async #presentIn (tx: Executor, stored: StoredMessage, userId: UserId): Promise<Message> {
    return (await this.#store.present([stored], userId, tx))[0] as Message
  }

  /** After a reaction change: the reactions as the caller sees them, and the event when something changed. */
  #reacted (message: Message, userId: UserId, emoji: string, event: 'reactionAdded' | 'reactionRemoved' | null): Reaction[] {
    if (event !== null) {
      this.#events.emit(event, [{ message, emoji, userId }])
      this.#publishUpdate(message)
    }
    return message.reactions
  }

  #publishUpdate (message: Message): void {
    this.#publish({ type: 'updated', id: message.id, sender: message.senderId, recipient: message.recipientId })
  }

  /** A reaction is one emoji, or with the `reactions` option one of those. */
  #checkReaction (emoji: unknown): asserts emoji is string {
    const allowed = this.#options.reactions
    if (allowed !== null) {
      if (typeof emoji !== 'string' || !allowed.has(emoji)) throw new InvalidReaction(`one of ${[...allowed].join(' ')}`)
      return
    }
    if (typeof emoji !== 'string' || !isOneEmoji(emoji)) throw new InvalidReaction('one emoji')
  }

  /** A send with a key that was used before: the same message, or 409 when the request differs. */
  #replayed (earlier: Message, recipientId: UserId, content: string): Message {
    if (earlier.recipientId !== recipientId || earlier.content !== content) throw new IdempotencyConflict()
    return earlier
  }

  /**
   * Sets one of `userId`'s flags on their own conversation row with `partnerId` (one statement).
   * No row: 404, the same whether the partner does not exist or they never exchanged a message.
   */
  async #setConversationFlag (userId: UserId, partnerId: UserId, flag: ConversationFlag, value: boolean): Promise<void> {
    if (userId === partnerId) throw new SelfConversation()
    await this.#asCaller(userId, async () => {
      if (!(await this.#store.setConversationFlag(userId, partnerId, flag, value))) throw new ConversationNotFound()
    })
  }

  /** 404 for a partner that does not exist (a conversation with oneself is merely empty). */
  /** The partners of list entries: as their statement read them, or (without the user table) in one query. */
  async #partnersOf (entries: Array<[UserId, Partner | undefined]>): Promise<Map<UserId, Partner>> {
    if (entries.every(([, partner]) => partner !== undefined)) return new Map(entries.map(([id, partner]) => [id, partner as Partner]))
    return await this.#store.partners(entries.map(([id]) => id))
  }

  async #checkUserExists (userId: UserId, partnerId: UserId): Promise<void> {
    if (userId !== partnerId && !(await this.#store.userExists(partnerId))) throw new UserNotFound(partnerId)
  }

  /**
   * Before a write that changes nothing: the caller must be a user (else UnknownCaller) and so
   * must the partner (else UserNotFound), asked in one statement.
   */
  async #checkUsersExist (userId: UserId, partnerId: UserId): Promise<void> {
    const users = await this.#store.existingUsers([userId, partnerId])
    if (!users.has(userId)) throw this.#unknownCaller(userId)
    if (!users.has(partnerId)) throw new UserNotFound(partnerId)
  }

  /**
   * Runs a write of `userId`'s. When it is refused for want of something of the caller's — a
   * message, a conversation or a partner not found, a policy or reply refusal, or the database
   * refusing a row of a user that does not exist — whether `userId` names a user at all is asked
   * then (one statement, never on the way of a write that succeeds): a caller that does not (a
   * token that outlived its user) is answered UnknownCaller; a `partnerId` that does not, when the
   * database refused a row, UserNotFound. Malformed input is answered as it is for anyone.
   */
  async #asCaller<T>(userId: UserId, write: () => Promise<T>, partnerId?: UserId): Promise<T> {
    try {
      return await write()
    } catch (err) {
      const refusedRow = isForeignKeyViolation(err)
      if (!refusedRow && !CALLER_DEPENDENT.some((Refusal) => err instanceof Refusal)) throw err
      let users: Set<UserId>
      try {
        users = await this.#store.existingUsers(partnerId === undefined ? [userId] : [userId, partnerId])
      } catch {
        throw err
      }
      if (!users.has(userId)) throw this.#unknownCaller(userId)
      if (refusedRow && partnerId !== undefined && !users.has(partnerId)) throw new UserNotFound(partnerId)
      throw err
    }
  }

  /** The error for a caller that is no user, logged once per id on this instance (they tend to retry). */
  #unknownCaller (userId: UserId): Error {
    if (!this.#unknownCallers.has(userId)) {
      if (this.#unknownCallers.size >= 1000) this.#unknownCallers.clear()
      this.#unknownCallers.add(userId)
      this.#log.warn(`directMessages: getUserId returned ${JSON.stringify(userId)}, which names no user (no row of the model "${this.#options.userModel}"): ` +
        'its writes are answered 401 FST_DM_UNKNOWN_CALLER (a token that outlived its user?)')
    }
    return new UnknownCaller()
  }

  /**
   * Whether the sender may message the recipient: the allowlist and the host's `canMessage` must
   * allow it (blocks are checked when the message is stored). A refusal is the same 400 whatever
   * refused, so that a block is not revealed; a recipient that does not exist is still a 404.
   */
  async #checkPolicy (senderId: UserId, recipientId: UserId, request: FastifyRequest | undefined): Promise<void> {
    const allowed = this.#options.allowedRecipients
    if (allowed !== null && !allowed.has(senderId) && !allowed.has(recipientId)) return await this.#refuse(recipientId)
    const canMessage = this.#options.canMessage
    if (canMessage !== null) {
      const verdict = await canMessage(senderId, recipientId, request)
      if (verdict !== true) return await this.#refuse(recipientId, typeof verdict === 'string' && verdict !== '' ? verdict : undefined)
    }
  }

  /**
   * A block refused the send: the recipient's is answered like any refusal (so that it is not
   * revealed); the sender's own says so. A block lifted in the meantime still refused this send.
   */
  async #refuseBlocked (senderId: UserId, recipientId: UserId): Promise<never> {
    const blockers = await this.#store.blockersBetween(senderId, recipientId)
    if (blockers.includes(senderId) && !blockers.includes(recipientId)) throw new BlockedByYou()
    return await this.#refuse(recipientId)
  }

  async #refuse (recipientId: UserId, message?: string): Promise<never> {
    if (!(await this.#store.userExists(recipientId))) throw new UserNotFound(recipientId)
    const error = new RecipientNotAllowed()
    if (message !== undefined) error.message = message
    throw error
  }

  #checkContent (content: unknown): asserts content is string {
    if (typeof content !== 'string' || content.trim() === '') throw new EmptyContent()
    if (INVALID_TEXT.test(content)) throw new InvalidContent()
    const max = this.#options.maxContentLength
    // Length in characters (code points), as the route schema counts it.
    if (content.length > max && countCodePoints(content) > max) throw new ContentTooLong(max)
  }

  #position (scope: string, request: PageRequest): Position {
    const size = request.pageSize ?? PAGE_SIZE
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw new InvalidPageSize(MAX_PAGE_SIZE)
    if (request.cursor === undefined) return { direction: 'older', key: Store.NEWEST, first: true, size }
    return { ...this.#cursors.decode(scope, request.cursor), first: false, size }
  }

  /**
   * Turns `size + 1` rows read in the page's direction into a newest-first page with cursors.
   * The extra row only tells whether more items lie beyond the page in that direction.
   */
  #page<T>(scope: string, position: Position, rows: T[], keyOf: (item: T) => Keyed): Page<T> {
    const more = rows.length > position.size
    const items = rows.slice(0, position.size)
    if (position.direction === 'newer') items.reverse()
    const newest = items[0]
    const oldest = items[items.length - 1]
    const cursor = (direction: Direction, key: number): string => this.#cursors.encode(scope, { direction, key })
    if (position.direction === 'older') {
      return {
        items,
        next: more && oldest !== undefined ? cursor('older', keyOf(oldest).key) : null,
        previous: position.first ? null : cursor('newer', newest === undefined ? position.key - 1 : keyOf(newest).key)
      }
    }
    return {
      items,
      next: cursor('older', oldest === undefined ? position.key + 1 : keyOf(oldest).key),
      previous: more && newest !== undefined ? cursor('newer', keyOf(newest).key) : null
    }
  }
}

/** Exactly one emoji (a recommended one: sequences, flags, keycaps and skin tones included), and not a lone modifier. */
// The v flag (properties of strings) is in Node 20; TypeScript's ES2022 target does not know it.
// eslint-disable-next-line prefer-regex-literals -- a literal with the v flag does not compile for ES2022
const ONE_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v')
const LONE_MODIFIER = /^\p{Emoji_Modifier}$/u
/** A pictograph without its emoji variation selector (`❤` for `❤️`), as keyboards may send it. */
const BARE_PICTOGRAPH = /^\p{Extended_Pictographic}\uFE0F?$/u

function isOneEmoji (text: string): boolean {
  return text.length <= 64 && (ONE_EMOJI.test(text) || BARE_PICTOGRAPH.test(text)) && !LONE_MODIFIER.test(text)
}

function countCodePoints (text: string): number {
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // A high surrogate followed by a low one is a single character.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
    count++
  }
  return count
}
