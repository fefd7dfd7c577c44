/**
 * TypeBox schemas of the HTTP contract: they validate requests, serialise responses, type the
 * route handlers and generate the OpenAPI document, from this one definition.
 */
import { Type, type Static, type TInteger, type TObject, type TString, type TUnion } from '@sinclair/typebox'
import { IDEMPOTENCY_KEY, MAX_USER_ID, STRING_USER_ID } from '../domain/ids.js'

const TAGS = ['direct messages']

export const ErrorResponse = Type.Object({
  statusCode: Type.Integer(),
  code: Type.Optional(Type.String()),
  error: Type.String(),
  message: Type.String()
}, { title: 'Error', description: 'An error, with a message saying what was wrong' })

/**
 * The `<id>` of the routes taking a user id, by the `userIdType` option. Typed as either kind for
 * the handlers; validated as the configured one.
 */
function userIdParams (userIdType: 'integer' | 'string'): TObject<{ id: TUnion<[TInteger, TString]> }> {
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
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Items per page (default 50)' }))
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
  last_event_id: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'Resume after this message id, for clients that cannot send the Last-Event-ID header' }))
})

export function sendBody (maxContentLength: number) {
  return Type.Object({
    content: Type.String({ maxLength: maxContentLength, description: 'The message text, stored exactly as given; not empty or only white space' })
  })
}

const PageLinks = {
  // No `format: uri`: the serializer would check it, and the links carry the client's Host header.
  next: Type.Union([Type.String(), Type.Null()], { description: 'Absolute URL of the next (older) page; null at the end' }),
  previous: Type.Union([Type.String(), Type.Null()], { description: 'Absolute URL of the previous (newer) page; null on the first page' })
}

/** The response bodies, whose user ids are integers or strings by the `userIdType` option. */
function bodySchemas (userIdType: 'integer' | 'string') {
  const userId = (description?: string): TUnion<[TInteger, TString]> => userIdSchema(userIdType, description)
  const MessageResponse = Type.Object({
    id: Type.Integer(),
    sender: userId('Sender user id'),
    recipient: userId('Recipient user id'),
    direction: Type.Union([Type.Literal('in'), Type.Literal('out')], { description: '`in`: the caller received it; `out`: the caller sent it' }),
    sent_at: Type.String({ format: 'date-time' }),
    read_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the recipient read it; null while unread' }),
    content: Type.String()
  }, { title: 'Message' })
  const PartnerResponse = Type.Object({
    id: userId(),
    username: Type.String(),
    first_name: Type.String(),
    last_name: Type.String()
  }, { title: 'Partner' })
  const ConversationResponse = Type.Object({
    ...PartnerResponse.properties,
    unread_count: Type.Integer({ description: 'Unread messages from this partner' }),
    last_message: Type.Union([MessageResponse, Type.Null()], { description: 'The newest message of the conversation the caller has not deleted' })
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
      count: Type.Integer({ description: 'Unread messages addressed to the caller and not deleted by them' })
    }, { title: 'UnreadCount' }),
    UnreadConversationsResponse: Type.Array(Type.Object({
      partner_id: userId(),
      partner_username: Type.String(),
      unread_count: Type.Integer({ minimum: 1 })
    }, { title: 'UnreadConversation' }))
  }
}

type Bodies = ReturnType<typeof bodySchemas>
export type MessageBody = Static<Bodies['MessageResponse']>
export type PartnerBody = Static<Bodies['PartnerResponse']>
export type ConversationBody = Static<Bodies['ConversationResponse']>

const unauthorized = {
  401: { ...ErrorResponse, description: 'No authenticated user' }
}
const badRequest = { 400: { ...ErrorResponse, description: 'Malformed id, cursor or body' } }
const notFound = { 404: { ...ErrorResponse, description: 'The user does not exist' } }
const idempotencyConflict = { ...ErrorResponse, description: 'The Idempotency-Key was used before for another recipient or content' }

function describe (summary: string, description: string) {
  return { tags: TAGS, summary, description }
}

/**
 * The route schemas, built once per registration (the body limit is an option).
 * @internal
 */
export function routeSchemas (maxContentLength: number, userIdType: 'integer' | 'string' = 'integer') {
  const body = sendBody(maxContentLength)
  const UserIdParams = userIdParams(userIdType)
  const {
    MessageResponse, PartnerResponse, MessagePageResponse, PartnerPageResponse, ConversationPageResponse,
    UnreadResponse, UnreadConversationsResponse
  } = bodySchemas(userIdType)
  const sendErrors = {
    ...unauthorized,
    400: { ...ErrorResponse, description: 'Malformed id or body, empty or too long content, messaging yourself, or a recipient you may not message' },
    ...notFound,
    413: { ...ErrorResponse, description: 'The request body is over the size limit' },
    429: { ...ErrorResponse, description: 'Too many sends (only with the sendRateLimit option); see Retry-After' }
  }
  return {
    unread: {
      ...describe('Unread message count', 'The caller\'s id and the number of unread messages addressed to them that they have not deleted.'),
      response: { 200: UnreadResponse, ...unauthorized }
    },
    conversations: {
      ...describe('Conversation partners', 'The users the caller has conversations with, most recent activity first, 50 per page (`page_size` 1–100), each with the caller\'s unread count and the newest message. A conversation whose every message the caller deleted is not listed.'),
      querystring: PageQuery,
      response: { 200: ConversationPageResponse, ...badRequest, ...unauthorized }
    },
    unreadConversations: {
      ...describe('Unread counts per conversation', 'One entry per partner with unread messages for the caller, most recent activity first.'),
      response: { 200: UnreadConversationsResponse, ...unauthorized }
    },
    conversation: {
      ...describe('Messages of a conversation', 'The messages between the caller and user `id`, newest first, 50 per page (`page_size` 1–100). Marks every unread message of this conversation addressed to the caller as read (not only those on the page), unless `mark_read=false`.'),
      params: UserIdParams,
      querystring: ConversationQuery,
      response: { 200: MessagePageResponse, ...badRequest, ...unauthorized, ...notFound }
    },
    replyInConversation: {
      ...describe('Send a message in a conversation', 'Sends `content` to user `id`, then answers the first page of the conversation, as GET does.'),
      params: UserIdParams,
      querystring: PageQuery,
      headers: SendHeaders,
      body,
      response: { 201: MessagePageResponse, ...sendErrors, 409: idempotencyConflict }
    },
    send: {
      ...describe('Send a message', 'Sends `content` to user `id` and answers the stored message.'),
      params: UserIdParams,
      headers: SendHeaders,
      body,
      response: { 201: MessageResponse, ...sendErrors, 409: idempotencyConflict }
    },
    events: {
      ...describe('Real-time event stream', [
        'A `text/event-stream` of the caller\'s events, as they happen:',
        '`message` (a message sent to or by the caller; data: the message object; SSE `id`: the message id),',
        '`read` (the partner read messages the caller sent; data: `{partner, ids, read_at}`) and',
        '`deleted` (the caller hid a message on another device; data: `{id}`),',
        '`conversation_deleted` (the caller deleted a conversation on another device; data: `{partner}`).',
        'Reconnecting with `Last-Event-ID` (or `?last_event_id=`) first replays every message missed since that id.',
        'Comment lines keep idle streams alive.'
      ].join(' ')),
      querystring: EventsQuery,
      response: {
        200: {
          description: 'The event stream',
          content: { 'text/event-stream': { schema: { type: 'string' } } }
        },
        ...badRequest,
        ...unauthorized,
        406: { ...ErrorResponse, description: 'The client does not accept text/event-stream' },
        429: { ...ErrorResponse, description: 'The caller already holds the most streams allowed (maxStreamsPerUser)' },
        503: { ...ErrorResponse, description: 'Real-time delivery is down (the event bus is reconnecting); retry shortly' }
      }
    },
    markRead: {
      ...describe('Mark a conversation read', 'Marks read the unread messages user `id` sent the caller (all of them, or those up to message `up_to`), and answers how many it marked.'),
      params: UserIdParams,
      body: ReadBody,
      response: { 200: ReadResponse, ...badRequest, ...unauthorized, ...notFound }
    },
    deleteConversation: {
      ...describe('Delete a conversation for yourself', 'Hides every current message of the conversation with user `id` for the caller; the partner keeps theirs. A later message brings the conversation back.'),
      params: UserIdParams,
      response: { 204: Type.Null({ description: 'Deleted' }), ...badRequest, ...unauthorized, ...notFound }
    },
    block: {
      ...describe('Block a user', 'User `id` can no longer message the caller (their sends are refused with the same 400 as any refusal). History stays. Blocking again is fine.'),
      params: UserIdParams,
      response: {
        201: PartnerResponse,
        ...unauthorized,
        400: { ...ErrorResponse, description: 'Malformed id, or blocking yourself' },
        ...notFound
      }
    },
    unblock: {
      ...describe('Unblock a user', 'User `id` may message the caller again. Unblocking again is fine.'),
      params: UserIdParams,
      response: { 204: Type.Null({ description: 'Unblocked' }), ...badRequest, ...unauthorized, ...notFound }
    },
    blocks: {
      ...describe('Blocked users', 'The users the caller blocks, most recent first, 50 per page (`page_size` 1–100).'),
      querystring: PageQuery,
      response: { 200: PartnerPageResponse, ...badRequest, ...unauthorized }
    },
    deleteMessage: {
      ...describe('Delete a message for yourself', 'Hides the message for the caller only; the other participant still sees it. Deleting again is fine.'),
      params: MessageIdParams,
      response: {
        204: Type.Null({ description: 'Deleted' }),
        ...badRequest,
        ...unauthorized,
        404: { ...ErrorResponse, description: 'No such message among the caller\'s' }
      }
    }
  }
}
