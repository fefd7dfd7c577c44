/** The route schemas of conversations: they validate requests, serialise responses, type the handlers and document the routes. */
import { Type } from '@sinclair/typebox'
import { badRequest, ConversationQuery, describe, notFound, PageQuery, ReadBody, ReadResponse, unauthorized, type SharedSchemas } from '../../http/schemas.js'

/** @internal */
export function conversationSchemas ({ body, UserIdParams, MessagePageResponse, ConversationPageResponse, UnreadResponse, UnreadConversationsResponse }: SharedSchemas) {
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
    }
  }
}
