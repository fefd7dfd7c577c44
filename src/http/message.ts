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
    reactions: ReactionsSchema
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
    reactions: message.reactions
  }
}

/** The message object (user ids of either type). */
export type MessageBody = Static<ReturnType<typeof messageSchema>>
