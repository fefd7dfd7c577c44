/**
 * HTTP only: authenticate, validate, call the service, shape the response. No SQL here.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import sseModule, { type SSEPluginOptions } from '@fastify/sse'
import rateLimit from '@fastify/rate-limit'
import { DatabaseTimeout, DatabaseUnavailable, InternalError, InvalidLastEventId, NotAcceptable, StreamUnavailable, Unauthorized } from '../domain/errors.js'
import { isDatabaseUnavailable } from '../store/errors.js'
import type { ResolvedOptions } from '../options.js'
import { isUserId } from '../domain/ids.js'
import { routeSchemas, type ConversationBody, type MessageBody, type PartnerBody } from './schemas.js'
import type { DirectMessagesService } from '../service.js'
import type { StreamHub } from '../realtime/stream.js'
import type { ConversationSummary, Message, Page, Partner, UserId } from '../domain/types.js'

export interface RoutesOptions {
  options: ResolvedOptions
  service: DirectMessagesService
  hub: StreamHub
}

/**
 * @fastify/sse's module object is the plugin wrapped by fastify-plugin (its `default` and named
 * exports are the bare function, whose hooks would stay in a context of their own).
 */
const sse = sseModule as unknown as FastifyPluginAsync<SSEPluginOptions>

/** The authenticated caller of each request, set by the preValidation hook. */
const callers = new WeakMap<FastifyRequest, UserId>()

function caller (request: FastifyRequest): UserId {
  const id = callers.get(request)
  /* c8 ignore next -- the hook runs before every handler of this plugin */
  if (id === undefined) throw new Unauthorized()
  return id
}

export async function routes (instance: FastifyInstance, { options, service, hub }: RoutesOptions): Promise<void> {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>()
  const schemas = routeSchemas(options.maxContentLength, options.userIdType)

  // Query strings and path parameters arrive as text and are coerced to their types; bodies are
  // JSON and are not: `{"content": 123}` is a 400, not the message "123".
  const coercing = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: true, allErrors: false })
  const exact = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: true, allErrors: false })
  fastify.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === 'body') return exact.compile(schema)
    const validate = coercing.compile(schema)
    const id = (schema as { properties?: { id?: { type?: unknown } } }).properties?.id
    if (httpPart !== 'params' || id?.type !== 'integer') return validate
    const validateParams = (params: Record<string, unknown>): boolean | { error: Error } => {
      const idError = decimalIdError(params)
      if (idError !== undefined) return idError
      const valid = validate(params)
      // Fastify reads the errors from the function it was given.
      validateParams.errors = validate.errors
      return valid
    }
    validateParams.errors = null as typeof validate.errors
    return validateParams
  })

  // Unexpected failures (a database error, a bug) are answered as a plain 500: their messages can
  // hold SQL, parameters and driver internals. The original is logged; the error then goes on to
  // the host's error handler, as any error of a child context does.
  fastify.setErrorHandler((error: Error & { statusCode?: number, code?: string }, request, reply) => {
    if ((error.statusCode !== undefined && error.statusCode < 500) || error instanceof StreamUnavailable) throw error
    // The database did not answer in time, or cannot be reached: 503, retry shortly.
    if (error instanceof DatabaseTimeout || isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'directMessages: database unavailable')
      reply.header('retry-after', '1')
      throw error instanceof DatabaseTimeout ? error : new DatabaseUnavailable()
    }
    request.log.error({ err: error }, 'directMessages request failed')
    throw new InternalError()
  })

  fastify.addHook('preValidation', async (request, reply) => {
    if (options.authenticate !== null) {
      await options.authenticate(request, reply)
      if (reply.sent) return
    }
    const id = await options.getUserId(request)
    if (id === null || id === undefined) throw new Unauthorized()
    callers.set(request, isUserId(id, options.userIdType) ? id : invalidUserId(request, id, options.userIdType))
  })

  // Paths answer with and without the trailing slash; the OpenAPI document lists the slash form.
  const config = fastify.initialConfig as { ignoreTrailingSlash?: boolean, routerOptions?: { ignoreTrailingSlash?: boolean } }
  const routerIgnoresSlash = config.ignoreTrailingSlash === true || config.routerOptions?.ignoreTrailingSlash === true
  function both<S extends { schema: object }> (url: string, register: (url: string, opts: S) => void, opts: S): void {
    register(url, opts)
    if (!routerIgnoresSlash) register(url.slice(0, -1), { ...opts, schema: { ...opts.schema, hide: true } })
  }
  const sendOptions: Pick<RouteShorthandOptions, 'bodyLimit'> = { bodyLimit: options.bodyLimit }

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
      await service.send(me, request.params.id, request.body.content, { idempotencyKey: request.headers['idempotency-key'], request })
      const page = await service.conversation(me, request.params.id, { pageSize: request.query.page_size })
      return reply.code(201).send(envelope(request, page, (message) => toMessageResponse(message, me)))
    }), { schema: schemas.replyInConversation, ...sendOptions })

    both('/send/:id/', (url, opts) => sends.post(url, opts, async (request, reply) => {
      const me = caller(request)
      const message = await service.send(me, request.params.id, request.body.content, { idempotencyKey: request.headers['idempotency-key'], request })
      return reply.code(201).send(toMessageResponse(message, me))
    }), { schema: schemas.send, ...sendOptions })
  })

  both('/conversations/:id/', (url, opts) => fastify.delete(url, opts, async (request, reply) => {
    await service.deleteConversation(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.deleteConversation })

  both('/conversations/:id/read/', (url, opts) => fastify.post(url, opts, async (request) => {
    const changed = await service.markConversationRead(caller(request), request.params.id, { upTo: request.body?.up_to })
    return { count: changed.length }
  }), { schema: schemas.markRead })

  both('/blocks/', (url, opts) => fastify.get(url, opts, async (request) => {
    const page = await service.blocks(caller(request), { cursor: request.query.cursor, pageSize: request.query.page_size })
    return envelope(request, page, toPartnerResponse)
  }), { schema: schemas.blocks })

  both('/blocks/:id/', (url, opts) => fastify.post(url, opts, async (request, reply) => {
    const blocked = await service.block(caller(request), request.params.id)
    return reply.code(201).send(toPartnerResponse(blocked))
  }), { schema: schemas.block })

  both('/blocks/:id/', (url, opts) => fastify.delete(url, opts, async (request, reply) => {
    await service.unblock(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.unblock })

  // Server-sent events, through @fastify/sse (unless the host registered it already).
  if (!fastify.hasReplyDecorator('sse')) await fastify.register(sse, { heartbeatInterval: options.heartbeatInterval })
  // @fastify/sse answers a client that refuses event streams 406 itself, without a `code`: give it one.
  const notAcceptable = JSON.stringify({ statusCode: 406, code: new NotAcceptable().code, error: 'Not Acceptable', message: new NotAcceptable().message })
  const eventsOptions = {
    sse: { kind: 'only' as const },
    onSend: async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => reply.statusCode === 406 ? notAcceptable : payload
  }
  both('/events/', (url, opts) => fastify.get(url, { ...opts, ...eventsOptions }, async (request, reply) => {
    const me = caller(request)
    const header = request.headers['last-event-id']
    const lastEventId = header ?? request.query.last_event_id
    if (lastEventId !== undefined && (typeof lastEventId !== 'string' || !DECIMAL_ID.test(lastEventId))) throw new InvalidLastEventId()
    await hub.open(me, reply.sse, reply.raw, lastEventId === undefined ? null : Number(lastEventId))
  }), { schema: schemas.events })

  both('/messages/:id/', (url, opts) => fastify.delete(url, opts, async (request, reply) => {
    await service.deleteMessage(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.deleteMessage })
}

/**
 * What `getUserId` answered is not a user id of `userIdType`. With integer ids a decimal string
 * (a JWT `sub`, a header) is that number; anything else is the host's bug, not the client's:
 * answered 401 (nothing is queried with it) and logged, so that it is not a silent 401.
 */
function invalidUserId (request: FastifyRequest, id: unknown, userIdType: ResolvedOptions['userIdType']): UserId {
  if (userIdType === 'integer' && typeof id === 'string' && DECIMAL_ID.test(id) && isUserId(Number(id))) return Number(id)
  request.log.error(`directMessages: getUserId returned ${typeof id === 'string' ? JSON.stringify(id.slice(0, 140)) : `a value of type ${typeof id}`}, which is not ` +
    `${userIdType === 'integer' ? 'an integer user id (1 to 2147483647)' : 'a string user id (1-128 of A-Z a-z 0-9 _ -)'}, as the option "userIdType" is "${userIdType}"; answering 401`)
  throw new Unauthorized()
}

/**
 * Ids in paths must be plain decimal digits: a coercing validator would otherwise read `0x10`,
 * `0b11` or `1e1` as numbers (and `1e400` as Infinity), and act on an id the client never wrote.
 */
const DECIMAL_ID = /^[1-9][0-9]{0,15}$/
function decimalIdError (params: Record<string, unknown>): { error: Error } | undefined {
  const id = params.id
  if (typeof id === 'string' && !DECIMAL_ID.test(id)) return { error: new Error('params/id must be a positive integer written in decimal digits') }
  return undefined
}

/** The contract's message object, seen by `me`. */
export function toMessageResponse (message: Message, me: UserId): MessageBody {
  return {
    id: message.id,
    sender: message.senderId,
    recipient: message.recipientId,
    direction: message.recipientId === me ? 'in' : 'out',
    sent_at: message.sentAt.toISOString(),
    read_at: message.readAt === null ? null : message.readAt.toISOString(),
    content: message.content
  }
}

function toPartnerResponse (partner: Partner): PartnerBody {
  return { id: partner.id, username: partner.username, first_name: partner.firstName, last_name: partner.lastName }
}

function toConversationResponse (entry: ConversationSummary, me: UserId): ConversationBody {
  return {
    ...toPartnerResponse(entry),
    unread_count: entry.unreadCount,
    last_message: entry.lastMessage === null ? null : toMessageResponse(entry.lastMessage, me)
  }
}

/**
 * The pagination envelope, with absolute `next`/`previous` URLs on the path that was requested,
 * keeping every query parameter of the request but its cursor (`page_size`, `mark_read`...): a
 * client walking the pages gets what it asked for on every page.
 */
function envelope<T, R> (request: FastifyRequest, page: Page<T>, present: (item: T) => R): { next: string | null, previous: string | null, results: R[] } {
  const queryAt = request.url.indexOf('?')
  const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt)
  const base = `${request.protocol}://${request.host}${path}`
  const kept = new URLSearchParams(queryAt === -1 ? '' : request.url.slice(queryAt + 1))
  kept.delete('cursor')
  const rest = kept.size === 0 ? '' : `&${kept.toString()}`
  const link = (cursor: string | null): string | null => cursor === null ? null : `${base}?cursor=${encodeURIComponent(cursor)}${rest}`
  return { next: link(page.next), previous: link(page.previous), results: page.items.map(present) }
}
