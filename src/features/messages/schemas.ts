/** The route schemas of messages: they validate requests, serialise responses, type the handlers and document the routes. */
import { Type } from '@sinclair/typebox'
import {
  badRequest, describe, EditsResponse, ErrorResponse, errorResponse, idempotencyConflict, MessageIdParams, notFound, PageQuery, ReactionParams,
  ReactionsResponse, SendHeaders, unauthorized, type SharedSchemas
} from '../../http/schemas.js'

/** @internal */
export function messageSchemas ({ body, editBody, UserIdParams, MessageResponse, MessagePageResponse }: SharedSchemas) {
  const messageNotFound = { 404: errorResponse('No such message among those the caller can see') }
  const notSender = { 403: errorResponse('Only the sender may do this') }
  const sendErrors = {
    ...unauthorized,
    400: { ...ErrorResponse, description: 'Malformed id or body, empty or too long content, messaging yourself, a recipient you may not message, a reply_to that is not a message of this conversation you can see, or attachments that are not uploads of yours ready to send (`FST_DM_INVALID_ATTACHMENT`, `FST_DM_ATTACHMENT_REJECTED`)' },
    503: { ...ErrorResponse, description: 'The database or the storage of attachments cannot be reached; nothing was stored' },
    ...notFound,
    413: { ...ErrorResponse, description: 'The request body is over the size limit' },
    429: { ...ErrorResponse, description: 'Too many sends (only with the sendRateLimit option); see Retry-After' }
  }
  return {
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
    deleteMessage: {
      ...describe('Delete a message for yourself', 'Hides the message for the caller only; the other participant still sees it. Deleting again is fine.'),
      params: MessageIdParams,
      response: {
        204: Type.Null({ description: 'Deleted' }),
        ...badRequest,
        ...unauthorized,
        404: { ...ErrorResponse, description: 'No such message among the caller\'s' }
      }
    },
    edit: {
      ...describe('Edit a message', 'The sender replaces the content of message `id` (within the `editWindow` option); the version it replaces is kept in the message\'s history. The same content again changes nothing.'),
      params: MessageIdParams,
      body: editBody,
      response: {
        200: MessageResponse,
        400: errorResponse('Malformed id or body, empty or too long content'),
        ...unauthorized,
        ...notSender,
        ...messageNotFound,
        409: errorResponse('The message was unsent, or is past the edit window'),
        413: errorResponse('The request body is over the size limit')
      }
    },
    edits: {
      ...describe('Edit history of a message', 'The earlier versions of message `id`, oldest first, each with when it was replaced; both participants may read them while they see the message. Unsending erases them.'),
      params: MessageIdParams,
      response: { 200: EditsResponse, ...badRequest, ...unauthorized, ...messageNotFound }
    },
    unsend: {
      ...describe('Unsend a message', 'The sender takes message `id` back for both participants (within the `unsendWindow` option): it stays as a tombstone (empty content, no reactions), its history is erased, and it no longer counts as unread. Again: nothing changes.'),
      params: MessageIdParams,
      response: {
        204: Type.Null({ description: 'Unsent' }),
        ...badRequest,
        ...unauthorized,
        ...notSender,
        ...messageNotFound,
        409: errorResponse('The message is past the unsend window')
      }
    },
    react: {
      ...describe('React to a message', 'The caller reacts to message `id` with `emoji` (URL-encoded): one emoji, or with the `reactions` option one of those; once per emoji per user. Answers the message\'s reactions.'),
      params: ReactionParams,
      response: {
        200: ReactionsResponse,
        400: errorResponse('Malformed id, or a reaction that is not one emoji (or not one of those allowed)'),
        ...unauthorized,
        ...messageNotFound,
        409: errorResponse('The message was unsent, or has the most different reactions allowed')
      }
    },
    unreact: {
      ...describe('Take a reaction back', 'The caller takes back their `emoji` reaction to message `id`. Answers the message\'s reactions.'),
      params: ReactionParams,
      response: {
        200: ReactionsResponse,
        400: errorResponse('Malformed id, or a reaction that is not one emoji (or not one of those allowed)'),
        ...unauthorized,
        ...messageNotFound,
        409: errorResponse('The message was unsent')
      }
    }
  }
}
