/** Conversations: the list, the unread counts, a conversation's pages, reading, deleting, muting and archiving it. */
import type { RouteContext, RouteInstance } from '../../http/index.js'
import { envelope, toConversationResponse, toMessageResponse, toUnreadConversationResponse } from '../../http/responses.js'
import { conversationSchemas } from './schemas.js'

export async function conversationRoutes (fastify: RouteInstance, { service, schemas: shared, both, caller }: RouteContext): Promise<void> {
  const schemas = conversationSchemas(shared)

  both('/unread/', (url, opts) => fastify.get(url, opts, async (request) => {
    const me = caller(request)
    const { count, unmutedCount } = await service.unreadCounts(me)
    return { id: me, count, unmuted_count: unmutedCount }
  }), { schema: schemas.unread })

  both('/conversations/', (url, opts) => fastify.get(url, opts, async (request) => {
    const me = caller(request)
    const page = await service.conversations(me, { cursor: request.query.cursor, pageSize: request.query.page_size, archived: request.query.archived })
    return envelope(request, page, (entry) => toConversationResponse(entry, me))
  }), { schema: schemas.conversations })

  both('/conversations/unread/', (url, opts) => fastify.get(url, opts, async (request) => {
    const entries = await service.unreadConversations(caller(request))
    return entries.map(toUnreadConversationResponse)
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

  // Mute and archive: a flag on the caller's own conversation row.
  both('/conversations/:id/mute/', (url, opts) => fastify.put(url, opts, async (request, reply) => {
    await service.mute(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.mute })

  both('/conversations/:id/mute/', (url, opts) => fastify.delete(url, opts, async (request, reply) => {
    await service.unmute(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.unmute })

  both('/conversations/:id/archive/', (url, opts) => fastify.put(url, opts, async (request, reply) => {
    await service.archive(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.archive })

  both('/conversations/:id/archive/', (url, opts) => fastify.delete(url, opts, async (request, reply) => {
    await service.unarchive(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.unarchive })
}
