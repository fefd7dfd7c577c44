/** Public domain types: what the service (`fastify.directMessages`) takes and answers. */
import type { FastifyRequest } from 'fastify'

/**
 * A user id of the host application (its `User.id`): a number, or a string (cuid, uuid, nanoid)
 * with the option `userIdType: 'string'`.
 */
export type UserId = number | string

/** Whether a user is online, as another user may see it (see the presence route). */
export interface PresenceEntry {
  id: UserId
  /** At least one event stream of theirs is open, on any instance. */
  online: boolean
  /** When their last event stream closed; null: never (or not a partner of the caller). */
  lastSeenAt: Date | null
}

/** The message a message answers, as a preview. */
export interface ReplyPreview {
  id: number
  senderId: UserId
  /** Its current content, cut to 200 characters; `""` once unsent. */
  content: string
  unsent: boolean
}

/** One emoji of a message's reactions. */
export interface Reaction {
  emoji: string
  /** How many users reacted with it. */
  count: number
  /** Whether the user the message is seen by reacted with it. */
  me: boolean
}

/** A stored message, as one of its participants sees it. */
export interface Message {
  id: number
  senderId: UserId
  recipientId: UserId
  /** The text exactly as it was sent (or last edited); `""` once unsent. */
  content: string
  sentAt: Date
  /** When the recipient read it; null while unread. */
  readAt: Date | null
  /** When the sender last edited it; null if never. */
  editedAt: Date | null
  /** When the sender unsent it (a tombstone for both); null if not. */
  unsentAt: Date | null
  /** The message it answers; null if none (or once it is unsent). */
  replyTo: ReplyPreview | null
  /** One entry per emoji, in the order first used; empty once unsent. */
  reactions: Reaction[]
  /** The files it carries, in the order sent; empty when none (and once unsent). */
  attachments: Attachment[]
}

/**
 * A file a message carries, as one of its participants sees it. `url` and `thumbnailUrl` are
 * signed, issued for this read, and expire after the `attachmentUrlTtl` option's time.
 */
export interface Attachment {
  /** An opaque id (what a send names it by). */
  id: string
  /** The file name the sender gave (display text, never a path). */
  name: string
  /** The stored media type: the one declared, which the bytes were checked to be. */
  contentType: string
  /** Bytes. */
  size: number
  /** An image's width and height in pixels as displayed; null for other files. */
  width: number | null
  height: number | null
  /** Where to read its bytes. */
  url: string
  /** An image's thumbnail (longest side at most 320 px); null for other files. */
  thumbnailUrl: string | null
}

/** A declared upload: its id (what a send names it by) and the request that sends its bytes. */
export interface AttachmentUpload {
  id: string
  /** Send the file's bytes with this method, to this URL, with exactly these headers. */
  upload: { method: 'PUT', url: string, headers: Record<string, string> }
  /** When the upload URL expires. */
  expiresAt: Date
}

/** An earlier version of an edited message. */
export interface MessageEdit {
  content: string
  /** When this version was replaced. */
  editedAt: Date
}

/** A conversation partner, with the display fields read from the host's user model. */
export interface Partner {
  id: UserId
  username: string
  firstName: string
  lastName: string
}

/** An entry of the per-conversation unread counts. */
export interface UnreadConversation {
  partnerId: UserId
  partnerUsername: string
  unreadCount: number
  /** Whether the owner muted the conversation (its messages still count as unread). */
  muted: boolean
}

/** A user's unread messages: all of them, and those of conversations they have not muted. */
export interface UnreadCounts {
  /** Unread messages addressed to the user that they have not hidden. */
  count: number
  /** The part of `count` that is in conversations the user has not muted. */
  unmutedCount: number
}

/** One page of a cursor-paginated list; `next`/`previous` are opaque cursors, null at the ends. */
export interface Page<T> {
  items: T[]
  next: string | null
  previous: string | null
}

/** Where to start a page: an opaque cursor from a previous page, or nothing for the first page. */
export interface PageRequest {
  cursor?: string | undefined
  /** Items per page, 1 to 100 (default 50). */
  pageSize?: number | undefined
}

/** An entry of the conversation list: the partner, my unread count, and the newest message I see. */
export interface ConversationSummary extends Partner {
  unreadCount: number
  lastMessage: Message | null
  /** The owner muted it: its messages still count as unread; `messageSent` says `recipientMuted`. */
  muted: boolean
  /** The owner archived it: listed by `conversations(userId, { archived: true })` only, until a new message arrives. */
  archived: boolean
}

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
  /**
   * Ids of the sender's own uploads (1 to 10; see `createAttachment`) the message carries, in
   * this order; with attachments the content may be `""`. Each is sent once.
   */
  attachments?: readonly string[]
}

/** Options of {@link DirectMessagesService.markConversationRead}. */
export interface MarkReadOptions {
  /** Mark only messages up to this message id. */
  upTo?: number
}
