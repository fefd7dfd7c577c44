/**
 * TypeBox schemas of the HTTP contract: they validate requests, serialise responses, type the
 * route handlers and generate the OpenAPI document, from this one definition.
 */
import { Type, type Static, type TInteger, type TObject, type TString, type TUnion } from '@sinclair/typebox'
import { MAX_PAGE_SIZE, PAGE_SIZE } from '../domain/cursor.js'
import { EVENT_ID, IDEMPOTENCY_KEY, MAX_USER_ID, STRING_USER_ID } from '../domain/ids.js'
import { messageSchema, ReactionsSchema } from './message.js'
import { nullable } from './typebox.js'

const TAGS = ['direct messages']

const ERROR_PROPERTIES = {
  statusCode: Type.Integer(),
  code: Type.Optional(Type.String()),
  error: Type.String(),
  message: Type.String()
}

export const ErrorResponse = Type.Object(ERROR_PROPERTIES, { title: 'Error', description: 'An error, with a message saying what was wrong' })

/** The error body, described for one response code. */
export function errorResponse (description: string) {
  return Type.Object(ERROR_PROPERTIES, { title: 'Error', description })
}

/**
 * The `<id>` of the routes taking a user id, by the `userIdType` option. Typed as either kind for
 * the handlers; validated as the configured one.
 */
export function userIdParams (userIdType: 'integer' | 'string'): TObject<{ id: TUnion<[TInteger, TString]> }> {
  const id = userIdType === 'string'
    ? Type.String({ pattern: STRING_USER_ID.source, description: 'The other user\'s id' })
    : Type.Integer({ minimum: 1, maximum: MAX_USER_ID, description: 'The other user\'s id' })
  return Type.Object({ id }) as unknown as TObject<{ id: TUnion<[TInteger, TString]> }>
}

/** A user id in a response body, by the `userIdType` option. */
function userIdSchema (userIdType: 'integer' | 'string', description?: string): TUnion<[TInteger, TString]> {
  return (userIdType === 'string' ? Type.String({ description }) : Type.Integer({ description })) as unknown as TUnion<[TInteger, TString]>
}

export const MessageIdParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The message id' })
})

export const PageQuery = Type.Object({
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Opaque cursor from a `next` or `previous` link' })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: `Items per page (default ${PAGE_SIZE})` }))
})

export const ConversationQuery = Type.Object({
  ...PageQuery.properties,
  mark_read: Type.Optional(Type.Boolean({ description: 'false: show the page without marking anything read (default true)' }))
})

/** POST /conversations/<id>/read/: an optional body. */
export const ReadBody = Type.Union([
  Type.Object({ up_to: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Mark read only messages up to this message id' })) }),
  Type.Null()
])

export const ReadResponse = Type.Object({
  count: Type.Integer({ description: 'How many messages this call marked read' })
}, { title: 'MarkedRead' })

export const SendHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    pattern: IDEMPOTENCY_KEY.source,
    description: 'Makes the send safe to retry: the same key from the same sender answers the message the first send created (201, same message) and creates nothing; another recipient or content is a 409. 1–255 visible ASCII characters.'
  }))
})

export const EventsQuery = Type.Object({
  last_event_id: Type.Optional(Type.String({ pattern: EVENT_ID.source, description: 'Resume after this event id (the SSE `id` last received), for clients that cannot send the Last-Event-ID header' }))
})

export function sendBody (maxContentLength: number) {
  return Type.Object({
    content: Type.String({ maxLength: maxContentLength, description: 'The message text, stored exactly as given; not empty or only white space, unless the message carries attachments' }),
    reply_to: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The id of the message this one answers: a message of this conversation the sender can see' })),
    attachments: Type.Optional(Type.Array(Type.String(), {
      minItems: 1,
      maxItems: 10,
      description: 'Ids of the sender\'s uploads (`POST /attachments/`) the message carries, in this order; with attachments `content` may be `""`. Each is sent once.'
    }))
  })
}

export function editBody (maxContentLength: number) {
  return Type.Object({
    content: Type.String({ maxLength: maxContentLength, description: 'The new text; the rules of a send apply' })
  })
}

export const ReactionParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The message id' }),
  emoji: Type.String({ minLength: 1, maxLength: 256, description: 'One emoji, URL-encoded (or, with the `reactions` option, one of those)' })
})

const PageLinks = {
  // No `format: uri`: the serializer would check it, and the links carry the client's Host header.
  next: nullable(Type.String(), { description: 'Absolute URL of the next (older) page; null at the end' }),
  previous: nullable(Type.String(), { description: 'Absolute URL of the previous (newer) page; null on the first page' })
}

export const ReactionsResponse = Type.Object({ reactions: ReactionsSchema }, { title: 'Reactions' })

export const EditsResponse = Type.Array(Type.Object({
  content: Type.String(),
  edited_at: Type.String({ format: 'date-time', description: 'When this version was replaced' })
}, { title: 'MessageEdit' }), { description: 'Earlier versions, oldest first' })

/** The response bodies, whose user ids are integers or strings by the `userIdType` option. */
export function bodySchemas (userIdType: 'integer' | 'string') {
  const userId = (description?: string): TUnion<[TInteger, TString]> => userIdSchema(userIdType, description)
  const MessageResponse = messageSchema(userId)
  const PartnerResponse = Type.Object({
    id: userId(),
    username: Type.String(),
    first_name: Type.String(),
    last_name: Type.String()
  }, { title: 'Partner' })
  const ConversationResponse = Type.Object({
    ...PartnerResponse.properties,
    unread_count: Type.Integer({ description: 'Unread messages from this partner' }),
    last_message: nullable(MessageResponse, { description: 'The newest message of the conversation the caller has not deleted' }),
    muted: Type.Boolean({ description: 'The caller muted it: its messages count in `count` of /unread/, not in `unmuted_count`' }),
    archived: Type.Boolean({ description: 'The caller archived it: listed by `?archived=true` only, until a new message arrives' })
  }, { title: 'Conversation' })
  return {
    MessageResponse,
    PartnerResponse,
    ConversationResponse,
    MessagePageResponse: Type.Object({ ...PageLinks, results: Type.Array(MessageResponse) }, { title: 'MessagePage' }),
    PartnerPageResponse: Type.Object({ ...PageLinks, results: Type.Array(PartnerResponse) }, { title: 'PartnerPage' }),
    ConversationPageResponse: Type.Object({ ...PageLinks, results: Type.Array(ConversationResponse) }, { title: 'ConversationPage' }),
    UnreadResponse: Type.Object({
      id: userId('The caller\'s user id'),
      count: Type.Integer({ description: 'Unread messages addressed to the caller and not deleted by them' }),
      unmuted_count: Type.Integer({ description: 'Those of them in conversations the caller has not muted' })
    }, { title: 'UnreadCount' }),
    UnreadConversationsResponse: Type.Array(Type.Object({
      partner_id: userId(),
      partner_username: Type.String(),
      unread_count: Type.Integer({ minimum: 1 }),
      muted: Type.Boolean({ description: 'The caller muted this conversation (its messages still count as unread)' })
    }, { title: 'UnreadConversation' }))
  }
}

type Bodies = ReturnType<typeof bodySchemas>
export type { MessageBody } from './message.js'
export type PartnerBody = Static<Bodies['PartnerResponse']>
export type ConversationBody = Static<Bodies['ConversationResponse']>
export type UnreadConversationBody = Static<Bodies['UnreadConversationsResponse']>[number]
/** GET /unread/. */
export type UnreadBody = Static<Bodies['UnreadResponse']>
/** A page of messages: GET /conversations/<id>/, POST /conversations/<id>/. */
export type MessagePageBody = Static<Bodies['MessagePageResponse']>
/** A page of partners: GET /blocks/. */
export type PartnerPageBody = Static<Bodies['PartnerPageResponse']>
/** A page of conversations: GET /conversations/. */
export type ConversationPageBody = Static<Bodies['ConversationPageResponse']>
/** PUT and DELETE /messages/<id>/reactions/<emoji>/. */
export type ReactionsBody = Static<typeof ReactionsResponse>
/** One earlier version of a message: GET /messages/<id>/edits/. */
export type EditBody = Static<typeof EditsResponse>[number]
/** POST /conversations/<id>/read/. */
export type MarkedReadBody = Static<typeof ReadResponse>
/** The error body of every route. */
export type ErrorBody = Static<typeof ErrorResponse>
/**
 * One entry of GET /presence/. Its schema (presenceSchemas in features/presence/schemas.ts) is
 * internal, so the type is written out here; test/client/client-library.test.ts checks that the two agree.
 */
export type PresenceBody = { id: Static<ReturnType<typeof userIdParams>>['id'], online: boolean, last_seen_at: string | null }

export const unauthorized = { 401: errorResponse('No authenticated user') }
export const badRequest = { 400: errorResponse('Malformed id, cursor or body') }
export const notFound = { 404: errorResponse('The user does not exist') }
export const idempotencyConflict = errorResponse('The Idempotency-Key was used before for another recipient or content')

export function describe (summary: string, description: string) {
  return { tags: TAGS, summary, description }
}

/** What every feature's route schemas are built from, once per registration (the body limit is an option). */
export function sharedSchemas (maxContentLength: number, userIdType: 'integer' | 'string') {
  return { body: sendBody(maxContentLength), editBody: editBody(maxContentLength), UserIdParams: userIdParams(userIdType), ...bodySchemas(userIdType) }
}

/** @internal */
export type SharedSchemas = ReturnType<typeof sharedSchemas>
