/**
 * The plugin's routes: what they share (http/), then each feature's, in their own encapsulated
 * context (their hooks and validator stay there).
 */
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { attachmentRoutes } from './features/attachments/routes.js'
import { blockRoutes } from './features/blocks/routes.js'
import { conversationRoutes } from './features/conversations/routes.js'
import { eventRoutes } from './features/events/routes.js'
import { messageRoutes } from './features/messages/routes.js'
import { presenceRoutes } from './features/presence/routes.js'
import { prepareRoutes, type RoutesOptions } from './http/index.js'

export async function routes (instance: FastifyInstance, options: RoutesOptions): Promise<void> {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>()
  const context = prepareRoutes(fastify, options)
  await conversationRoutes(fastify, context)
  await messageRoutes(fastify, context)
  await blockRoutes(fastify, context)
  await eventRoutes(fastify, context)
  await presenceRoutes(fastify, context)
  await attachmentRoutes(fastify, context)
}
