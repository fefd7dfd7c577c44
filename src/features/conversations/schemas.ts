/** The route schemas of conversations: they validate requests, serialise responses, type the handlers and document the routes. */
import { Type } from '@sinclair/typebox'
import { badRequest, ConversationQuery, describe, errorResponse, notFound, PageQuery, ReadBody, ReadResponse, unauthorized, type SharedSchemas } from '../../http/schemas.js'

/** GET /conversations/: a page, of the archived conversations or of the others. */
export const ConversationListQuery = Type.Object({
  ...PageQuery.properties,
  archived: Type.Optional(Type.Boolean({ description: 'true: list the archived conversations only; false (the default): the others only' }))
})

/** What the mute and archive routes answer besides 204. */
const controlErrors = {
  400: errorResponse('Malformed id, or your own id'),
  ...unauthorized,
  404: errorResponse('You have no conversation with this user (or the user does not exist)')
}

/** @internal */
export function conversationSchemas ({ body, UserIdParams, MessagePageResponse, ConversationPageResponse, UnreadResponse, UnreadConversationsResponse }: SharedSchemas) {
  return {
    unread: {
      ...describe('Unread message count', 'The caller\'s id, the number of unread messages addressed to them that they have not deleted, and (`unmuted_count`) how many of those are in conversations they have not muted.'),
      response: { 200: UnreadResponse, ...unauthorized }
    },
    conversations: {
      ...describe('Conversation partners', 'The users the caller has conversations with, most recent activity first, 50 per page (`page_size` 1–100), each with the caller\'s unread count, the newest message and whether the caller muted or archived it. Archived conversations are listed only with `archived=true` (and then only they: each list has its own cursors). A conversation whose every message the caller deleted is not listed.'),
      querystring: ConversationListQuery,
      response: { 200: ConversationPageResponse, ...badRequest, ...unauthorized }
    },
    unreadConversations: {
      ...describe('Unread counts per conversation', 'One entry per partner with unread messages for the caller, most recent activity first, muted and archived conversations included (`muted` says which are muted).'),
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
    },
    mute: {
      ...describe('Mute a conversation', 'Mutes the caller\'s conversation with user `id`, for the caller only: its messages still arrive and count as unread (`count`, not `unmuted_count` of /unread/), and `messageSent` says `recipientMuted` so that the host can skip its notification. Muting again is fine; deleting the conversation keeps it muted.'),
      params: UserIdParams,
      response: { 204: Type.Null({ description: 'Muted' }), ...controlErrors }
    },
    unmute: {
      ...describe('Unmute a conversation', 'Unmutes the caller\'s conversation with user `id`. Unmuting again is fine.'),
      params: UserIdParams,
      response: { 204: Type.Null({ description: 'Unmuted' }), ...controlErrors }
    },
    archive: {
      ...describe('Archive a conversation', 'Moves the caller\'s conversation with user `id` from `/conversations/` to `/conversations/?archived=true`, for the caller only, until a new message is sent in it (either way). Archiving again is fine; deleting the conversation keeps it archived.'),
      params: UserIdParams,
      response: { 204: Type.Null({ description: 'Archived' }), ...controlErrors }
    },
    unarchive: {
      ...describe('Unarchive a conversation', 'Brings the caller\'s conversation with user `id` back to `/conversations/`. Unarchiving again is fine.'),
      params: UserIdParams,
      response: { 204: Type.Null({ description: 'Unarchived' }), ...controlErrors }
    }
  }
}
