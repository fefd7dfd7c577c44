/**
 * Messages: the two send routes (rate-limited together), the per-user delete, the sender's edit,
 * edit history and unsend, and reactions.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import { InvalidAttachment, InvalidReply } from '../../domain/errors.js'
import { ATTACHMENT_ID, MAX_ATTACHMENTS } from '../attachments/service.js'
import type { RouteContext, RouteInstance } from '../../http/index.js'
import { envelope, toMessageResponse } from '../../http/responses.js'
import { messageSchemas } from './schemas.js'

export async function messageRoutes (fastify: RouteInstance, { options, service, schemas: shared, both, caller }: RouteContext): Promise<void> {
  const schemas = messageSchemas(shared)
  const sendOptions = { bodyLimit: options.bodyLimit, preValidation: checkReplyTo }

  // The two send routes share a scope of their own: with `sendRateLimit`, one rate limit there
  // counts them together, per user, after authentication (preHandler).
  await fastify.register(async (scope) => {
    const sends = scope.withTypeProvider<TypeBoxTypeProvider>()
    if (options.sendRateLimit !== null) {
      const { max, timeWindow, redis } = options.sendRateLimit
      await sends.register(rateLimit, {
        global: true,
        max,
        timeWindow,
        hook: 'preHandler',
        keyGenerator: (request) => `dm-send:${String(caller(request))}`,
        ...(redis === undefined ? {} : { redis: redis as never })
      })
    }
    both('/conversations/:id/', (url, opts) => sends.post(url, opts, async (request, reply) => {
      const me = caller(request)
      await service.send(me, request.params.id, request.body.content, { idempotencyKey: request.headers['idempotency-key'], request, replyTo: request.body.reply_to, attachments: request.body.attachments })
      const page = await service.conversation(me, request.params.id, { pageSize: request.query.page_size })
      return reply.code(201).send(envelope(request, page, (message) => toMessageResponse(message, me)))
    }), { schema: schemas.replyInConversation, ...sendOptions })

    both('/send/:id/', (url, opts) => sends.post(url, opts, async (request, reply) => {
      const me = caller(request)
      const message = await service.send(me, request.params.id, request.body.content, { idempotencyKey: request.headers['idempotency-key'], request, replyTo: request.body.reply_to, attachments: request.body.attachments })
      return reply.code(201).send(toMessageResponse(message, me))
    }), { schema: schemas.send, ...sendOptions })
  })

  both('/messages/:id/', (url, opts) => fastify.delete(url, opts, async (request, reply) => {
    await service.deleteMessage(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.deleteMessage })

  both('/messages/:id/', (url, opts) => fastify.patch(url, opts, async (request) => {
    const me = caller(request)
    return toMessageResponse(await service.edit(me, request.params.id, request.body.content), me)
  }), { schema: schemas.edit, ...sendOptions })

  both('/messages/:id/edits/', (url, opts) => fastify.get(url, opts, async (request) => {
    const edits = await service.edits(caller(request), request.params.id)
    return edits.map((edit) => ({ content: edit.content, edited_at: edit.editedAt.toISOString() }))
  }), { schema: schemas.edits })

  both('/messages/:id/unsend/', (url, opts) => fastify.post(url, opts, async (request, reply) => {
    await service.unsend(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.unsend })

  both('/messages/:id/reactions/:emoji/', (url, opts) => fastify.put(url, opts, async (request) => {
    return { reactions: await service.react(caller(request), request.params.id, request.params.emoji) }
  }), { schema: schemas.react })

  both('/messages/:id/reactions/:emoji/', (url, opts) => fastify.delete(url, opts, async (request) => {
    return { reactions: await service.unreact(caller(request), request.params.id, request.params.emoji) }
  }), { schema: schemas.unreact })
}

/**
 * `reply_to` of a send (after authentication, before the body's schema): null or absent is no
 * reply; anything but a message id (a positive integer) is 400 FST_DM_INVALID_REPLY, like a
 * message id that is not one the sender may answer.
 */
async function checkReplyTo (request: FastifyRequest): Promise<void> {
  const body = request.body
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return
  // `attachments` that are not a list of 1 to 10 ids: its own 400, not a schema's.
  if ('attachments' in body) {
    const files = (body as { attachments: unknown }).attachments
    if (files === null) delete (body as { attachments?: unknown }).attachments
    else if (!Array.isArray(files) || files.length < 1 || files.length > MAX_ATTACHMENTS || !files.every((id) => typeof id === 'string' && ATTACHMENT_ID.test(id))) {
      throw new InvalidAttachment(`attachments must be a list of 1 to ${MAX_ATTACHMENTS} attachment ids`)
    }
  }
  if (!('reply_to' in body)) return
  const replyTo = (body as { reply_to: unknown }).reply_to
  if (replyTo === null) {
    delete (body as { reply_to?: unknown }).reply_to
    return
  }
  if (typeof replyTo !== 'number' || !Number.isSafeInteger(replyTo) || replyTo < 1) throw new InvalidReply()
}
