/**
 * The types of the client: the response bodies come from the TypeBox schemas the routes validate
 * and serialise with (type-only imports: nothing of the server is loaded at run time).
 */
import type {
  ConversationBody, ConversationPageBody, EditBody, ErrorBody, MarkedReadBody, MessageBody, MessagePageBody, PartnerBody,
  PartnerPageBody, PresenceBody, ReactionsBody, UnreadBody, UnreadConversationBody
} from '../http/schemas.js'

export type {
  ConversationBody, ConversationPageBody, EditBody, ErrorBody, MarkedReadBody, MessageBody, MessagePageBody, PartnerBody,
  PartnerPageBody, PresenceBody, ReactionsBody, UnreadBody, UnreadConversationBody
}

/** A user id: an integer, or a string with the plugin's `userIdType: 'string'`. */
export type UserId = MessageBody['sender']

/** One reaction entry of a message: `{emoji, count, me}`. */
export type ReactionBody = ReactionsBody['reactions'][number]

/**
 * A file a message carries (`message.attachments[i]`): `{id, name, content_type, size, width,
 * height, url, thumbnail_url}`. `url` and `thumbnail_url` are signed paths (relative to the
 * server's origin, under the plugin's prefix) issued for the read that answered the message; they
 * expire (one hour by default): read the message again for fresh ones. `width`, `height` and
 * `thumbnail_url` are those of an image (PNG, JPEG, GIF, WebP, AVIF), null for other files; the
 * thumbnail is a WebP whose longest side is at most 320 px.
 */
export type Attachment = MessageBody['attachments'][number]

/**
 * `POST /attachments/`'s answer: the new attachment's `id` (what a send names in `attachments`)
 * and the request that sends its bytes: `upload.method` to `upload.url` (a path of the plugin's
 * own, or an absolute presigned URL of the storage) with exactly `upload.headers`, before
 * `expires_at`. The client's `uploadAttachment` does all of it.
 */
export interface AttachmentUpload {
  id: string
  upload: {
    method: 'PUT'
    url: string
    headers: Record<string, string>
  }
  expires_at: string
}

/** What `POST /attachments/` declares: the file's name (shown to the partner), media type and size in bytes. */
export interface AttachmentDeclaration {
  name: string
  content_type: string
  size: number
}

/** A page of any list: `next` (older) and `previous` (newer) are absolute URLs, null at the ends. */
export interface Page<T> {
  next: string | null
  previous: string | null
  results: T[]
}

/** `read`: the partner read messages the caller sent (no SSE id). */
export interface ReadEvent {
  partner: UserId
  ids: number[]
  read_at: string
}

/** `deleted`: the caller hid a message (on another device). */
export interface DeletedEvent {
  id: number
}

/** `conversation_deleted`: the caller deleted their conversation with `partner` (on another device). */
export interface ConversationDeletedEvent {
  partner: UserId
}

/** `reset`: the stream resumed from an id the server no longer holds: reload, then keep applying the stream. */
export interface ResetEvent {
  reason: string
}

/** `typing`: `partner` is typing to the caller; show it until `expires_at` (never replayed, no SSE id). */
export interface TypingEvent {
  partner: UserId
  expires_at: string
}

/** `presence`: one of the caller's recent partners came online or went offline (never replayed, no SSE id). */
export interface PresenceEvent {
  user: UserId
  online: boolean
  last_seen_at: string | null
}

/** The events of `GET /events/` and their data. */
export interface StreamEvents {
  /** A new message sent to or by the caller (with `direction` from the caller's point of view). */
  message: MessageBody
  /** A message of the caller's changed (edited, unsent, reacted to, read): the whole message as the caller sees it now. */
  message_updated: MessageBody
  read: ReadEvent
  deleted: DeletedEvent
  conversation_deleted: ConversationDeletedEvent
  reset: ResetEvent
  typing: TypingEvent
  presence: PresenceEvent
}

export type StreamEventName = keyof StreamEvents
