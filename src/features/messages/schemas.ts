/** The route schemas of messages: they validate requests, serialise responses, type the handlers and document the routes. */
import { Type } from '@sinclair/typebox'
import { badRequest, describe, ErrorResponse, idempotencyConflict, MessageIdParams, notFound, PageQuery, SendHeaders, unauthorized, type SharedSchemas } from '../../http/schemas.js'

/** @internal */
export function messageSchemas ({ body, UserIdParams, MessageResponse, MessagePageResponse }: SharedSchemas) {
  const sendErrors = {
    ...unauthorized,
    400: { ...ErrorResponse, description: 'Malformed id or body, empty or too long content, messaging yourself, or a recipient you may not message' },
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
    }
  }
}
