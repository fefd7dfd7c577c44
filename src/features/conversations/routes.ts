/** Conversations: the list, the unread counts, a conversation's pages, reading and deleting it. */
import type { RouteContext, RouteInstance } from '../../http/index.js'
import { envelope, toConversationResponse, toMessageResponse } from '../../http/presenters.js'
import { conversationSchemas } from './schemas.js'

export async function conversationRoutes (fastify: RouteInstance, { service, schemas: shared, both, caller }: RouteContext): Promise<void> {
  const schemas = conversationSchemas(shared)

  both('/unread/', (url, opts) => fastify.get(url, opts, async (request) => {
    const me = caller(request)
    return { id: me, count: await service.unreadCount(me) }
  }), { schema: schemas.unread })

  both('/conversations/', (url, opts) => fastify.get(url, opts, async (request) => {
    const me = caller(request)
    const page = await service.conversations(me, { cursor: request.query.cursor, pageSize: request.query.page_size })
    return envelope(request, page, (entry) => toConversationResponse(entry, me))
  }), { schema: schemas.conversations })

  both('/conversations/unread/', (url, opts) => fastify.get(url, opts, async (request) => {
    const entries = await service.unreadConversations(caller(request))
    return entries.map((entry) => ({ partner_id: entry.partnerId, partner_username: entry.partnerUsername, unread_count: entry.unreadCount }))
  }), { schema: schemas.unreadConversations })

  both('/conversations/:id/', (url, opts) => fastify.get(url, opts, async (request) => {
    const me = caller(request)
    const { cursor, page_size: pageSize, mark_read: markRead } = request.query
    const page = await service.conversation(me, request.params.id, { cursor, pageSize, markRead })
    return envelope(request, page, (message) => toMessageResponse(message, me))
  }), { schema: schemas.conversation })

  both('/conversations/:id/', (url, opts) => fastify.delete(url, opts, async (request, reply) => {
    await service.deleteConversation(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.deleteConversation })

  both('/conversations/:id/read/', (url, opts) => fastify.post(url, opts, async (request) => {
    const changed = await service.markConversationRead(caller(request), request.params.id, { upTo: request.body?.up_to })
    return { count: changed.length }
  }), { schema: schemas.markRead })
}
