/** The real-time event stream (server-sent events, see realtime/stream.ts). */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import sseModule, { type SSEPluginOptions } from '@fastify/sse'
import { InvalidLastEventId, NotAcceptable } from '../../domain/errors.js'
import { EVENT_ID } from '../../domain/ids.js'
import type { RouteContext, RouteInstance } from '../../http/index.js'
import { eventSchemas } from './schemas.js'

/**
 * @fastify/sse's module object is the plugin wrapped by fastify-plugin (its `default` and named
 * exports are the bare function, whose hooks would stay in a context of their own).
 */
const sse = sseModule as unknown as FastifyPluginAsync<SSEPluginOptions>

export async function eventRoutes (fastify: RouteInstance, { options, hub, both, caller }: RouteContext): Promise<void> {
  const schemas = eventSchemas()
  // Server-sent events, through @fastify/sse (unless the host registered it already).
  if (!fastify.hasReplyDecorator('sse')) await fastify.register(sse, { heartbeatInterval: options.heartbeatInterval })
  // @fastify/sse answers a client that refuses event streams 406 itself, without a `code`: give it one.
  const notAcceptable = JSON.stringify({ statusCode: 406, code: new NotAcceptable().code, error: 'Not Acceptable', message: new NotAcceptable().message })
  // Admission (see StreamHub.admit): a request waits its turn before its authentication runs; one
  // beyond the queue is answered at once with `retry:` and closed (EventSource comes back then).
  const admitted = new WeakMap<FastifyRequest, () => void>()
  const release = (request: FastifyRequest): void => {
    admitted.get(request)?.()
    admitted.delete(request)
  }
  const eventsOptions = {
    sse: { kind: 'only' as const },
    onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
      const entry = hub.admit()
      if (entry === null) {
        if (!String(request.headers.accept ?? '').includes('text/event-stream')) return
        reply.hijack()
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
        reply.raw.end(`retry: ${hub.retryDelay()}\n\n`)
        return
      }
      admitted.set(request, await entry)
    },
    onResponse: async (request: FastifyRequest) => { release(request) },
    onRequestAbort: async (request: FastifyRequest) => { release(request) },
    onSend: async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => reply.statusCode === 406 ? notAcceptable : payload
  }
  both('/events/', (url, opts) => fastify.get(url, { ...opts, ...eventsOptions }, async (request, reply) => {
    const me = caller(request)
    const header = request.headers['last-event-id']
    const lastEventId = header ?? request.query.last_event_id
    if (lastEventId !== undefined && (typeof lastEventId !== 'string' || !EVENT_ID.test(lastEventId))) throw new InvalidLastEventId()
    try {
      await hub.open(me, reply.sse, reply.raw, lastEventId === undefined ? null : Number(lastEventId))
    } finally {
      // Open (or refused): the next stream request may go on.
      release(request)
    }
  }), { schema: schemas.events })
}
