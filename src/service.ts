/**
 * The programmatic API, `fastify.directMessages`: the same operations as the routes, for the
 * host's own code, with the same rules. Each capability's operations live in its feature
 * (features/<name>/service.ts); this is where they come together as one service.
 */
import type { Context } from './core/context.js'
import type { EventName, Listener } from './domain/events.js'
import type {
  AttachmentUpload, ConversationRequest, ConversationsRequest, ConversationSummary, MarkReadOptions, Message, MessageEdit, Page, PageRequest, Partner, PresenceEntry, Reaction,
  SendOptions, UnreadConversation, UnreadCounts, UserId
} from './domain/types.js'
import { attachmentsService, type Attachments } from './features/attachments/service.js'
import { blocksService } from './features/blocks/service.js'
import { conversationsService } from './features/conversations/service.js'
import { messagesService } from './features/messages/service.js'
import type { PresenceStore } from './features/presence/queries.js'
import { presenceService } from './features/presence/service.js'

export type { ConversationRequest, ConversationsRequest, MarkReadOptions, SendOptions } from './domain/types.js'

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
  /**
   * `userId` declares an upload (`name`, `contentType`, `size` in bytes): answers its id, which a
   * send names in `attachments`, and the request that sends its bytes (to the storage directly,
   * or to the plugin's own route with local files). Errors: InvalidUpload, AttachmentTypeNotAllowed,
   * AttachmentTooLarge.
   */
  createAttachment(userId: UserId, declared: { name: string, contentType: string, size: number }): Promise<AttachmentUpload>
  /**
   * A fresh signed URL of the bytes of attachment `attachmentId` (or of its thumbnail), for a
   * participant who sees its message; AttachmentNotFound for anyone else.
   */
  attachmentUrl(userId: UserId, attachmentId: string, variant?: 'file' | 'thumbnail'): Promise<string>
  /** Listens to an event (`messageSent`, `messageRead`, `messageEdited`...), delivered after commit. */
  on<E extends EventName>(event: E, listener: Listener<E>): void
  /** Stops listening. */
  off<E extends EventName>(event: E, listener: Listener<E>): void
}

/** The service of the plugin's features, on `ctx`. */
export function createService (ctx: Context, presence: PresenceStore, attachments: Attachments): DirectMessagesService {
  return {
    ...messagesService(ctx, attachments),
    ...conversationsService(ctx, attachments),
    ...attachmentsService(attachments),
    ...blocksService(ctx),
    ...presenceService(ctx, presence),
    on: (event, listener) => { ctx.events.on(event, listener) },
    off: (event, listener) => { ctx.events.off(event, listener) }
  }
}
