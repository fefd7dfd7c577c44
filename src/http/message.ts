/**
 * The message object, as every route, stream and client shows it: its schema (for validation of
 * answers, their serialisation, the OpenAPI document and the client's types) and how a message
 * becomes it, side by side. A field of the message object is added here (and to the domain's
 * Message, the row it is read from, and the table's column).
 */
import { Type, type Static, type TInteger, type TString, type TUnion } from '@sinclair/typebox'
import type { Message, UserId } from '../domain/types.js'
import { nullable, oneOf } from './typebox.js'

export const ReactionsSchema = Type.Array(Type.Object({
  emoji: Type.String(),
  count: Type.Integer({ minimum: 1, description: 'How many users reacted with it' }),
  me: Type.Boolean({ description: 'Whether the caller did' })
}, { title: 'Reaction' }), { description: 'One entry per emoji, in the order first used; empty once unsent' })

export const AttachmentsSchema = Type.Array(Type.Object({
  id: Type.String({ description: 'The attachment id' }),
  name: Type.String({ description: 'The file name the sender gave (display text, never a path)' }),
  content_type: Type.String({ description: 'The stored media type' }),
  size: Type.Integer({ description: 'Bytes' }),
  width: nullable(Type.Integer(), { description: 'An image\'s width in pixels as displayed; null for other files' }),
  height: nullable(Type.Integer(), { description: 'An image\'s height in pixels as displayed; null for other files' }),
  url: Type.String({ description: 'A signed URL of the bytes, issued for this read; it expires after the `attachmentUrlTtl` option\'s time' }),
  thumbnail_url: nullable(Type.String(), { description: 'A signed URL of an image\'s thumbnail (longest side at most 320 px); null for other files' })
}, { title: 'Attachment' }), { description: 'The files it carries, in the order sent; empty when none and once unsent' })

/** The message object's schema, with user ids as `userId` describes them (integer or string ids). */
export function messageSchema (userId: (description?: string) => TUnion<[TInteger, TString]>) {
  return Type.Object({
    id: Type.Integer(),
    sender: userId('Sender user id'),
    recipient: userId('Recipient user id'),
    direction: oneOf(['in', 'out'] as const, { description: '`in`: the caller received it; `out`: the caller sent it' }),
    sent_at: Type.String({ format: 'date-time' }),
    read_at: nullable(Type.String({ format: 'date-time' }), { description: 'When the recipient read it; null while unread' }),
    content: Type.String({ description: 'The text; `""` once unsent' }),
    edited_at: nullable(Type.String({ format: 'date-time' }), { description: 'When the sender last edited it; null if never' }),
    unsent_at: nullable(Type.String({ format: 'date-time' }), { description: 'When the sender unsent it (a tombstone for both); null if not' }),
    reply_to: nullable(Type.Object({
      id: Type.Integer(),
      sender: userId('Its sender'),
      content: Type.String({ description: 'Its current content, cut to 200 characters; `""` once unsent' }),
      unsent: Type.Boolean()
    }, { title: 'ReplyPreview' }), { description: 'The message this one answers; null if none' }),
    reactions: ReactionsSchema,
    attachments: AttachmentsSchema
  }, { title: 'Message' })
}

/** The contract's message object, seen by `me`. */
export function toMessageResponse (message: Message, me: UserId): MessageBody {
  return {
    id: message.id,
    sender: message.senderId,
    recipient: message.recipientId,
    direction: message.recipientId === me ? 'in' : 'out',
    sent_at: message.sentAt.toISOString(),
    read_at: message.readAt === null ? null : message.readAt.toISOString(),
    content: message.content,
    edited_at: message.editedAt === null ? null : message.editedAt.toISOString(),
    unsent_at: message.unsentAt === null ? null : message.unsentAt.toISOString(),
    reply_to: message.replyTo === null ? null : { id: message.replyTo.id, sender: message.replyTo.senderId, content: message.replyTo.content, unsent: message.replyTo.unsent },
    reactions: message.reactions,
    attachments: message.attachments.map((attachment) => ({
      id: attachment.id,
      name: attachment.name,
      content_type: attachment.contentType,
      size: attachment.size,
      width: attachment.width,
      height: attachment.height,
      url: attachment.url,
      thumbnail_url: attachment.thumbnailUrl
    }))
  }
}

/** The message object (user ids of either type). */
export type MessageBody = Static<ReturnType<typeof messageSchema>>
