/**
 * fastify-directmessages: private one-to-one messaging between the users of a Fastify application,
 * stored through the application's own Prisma client.
 *
 * @example
 * ```ts
 * await app.register(directMessages, {
 *   prefix: '/api/dm',
 *   prisma,
 *   getUserId: (request) => request.user?.id
 * })
 * app.directMessages.on('messageSent', ({ message, from, to }) => { ... })
 * ```
 */
import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { createContext } from './core/context.js'
import { attachmentFileRoutes } from './features/attachments/routes.js'
import { Attachments } from './features/attachments/service.js'
import { EventHub } from './domain/events.js'
import { PresenceStore } from './features/presence/queries.js'
import { PresenceTracker } from './features/presence/tracker.js'
import { toMessageResponse } from './http/responses.js'
import { resolveOptions, type DirectMessagesOptions } from './options.js'
import { routes } from './routes.js'
import { changeReader } from './realtime/changes.js'
import { startPruning } from './realtime/retention.js'
import { StreamHub } from './realtime/stream.js'
import { checkSchema } from './self-check.js'
import { createService, type DirectMessagesService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The direct-messages service and event hub (see {@link DirectMessagesService}). */
    directMessages: DirectMessagesService
  }
}

const plugin: FastifyPluginAsync<DirectMessagesOptions> = async (fastify, opts) => {
  const options = resolveOptions(opts)
  if (fastify.hasDecorator('directMessages')) {
    throw new Error('fastify-directmessages has already been registered on this instance')
  }
  // String ids may be 128 characters; Fastify's router refuses longer path parameters (414) itself.
  const config = fastify.initialConfig as { maxParamLength?: number, routerOptions?: { maxParamLength?: number } }
  const maxParamLength = config.routerOptions?.maxParamLength ?? config.maxParamLength ?? 100
  if (options.userIdType === 'string' && maxParamLength < 128) {
    fastify.log.warn(`directMessages: Fastify's maxParamLength is ${maxParamLength}: string user ids longer than that are answered 414 by the router; set routerOptions.maxParamLength to 128 or more to accept every id`)
  }
  // Events reach the streams through the hub, which is made below.
  const ctx = createContext(options, new EventHub(fastify.log), (event) => hub.publish(event), fastify.log)
  const presence = new PresenceStore(ctx.db, ctx.uid, ctx.dialect)
  if (options.providerSource === 'client') {
    fastify.log.info(`directMessages: provider "${options.provider}", read from the Prisma client (say it with the option "provider")`)
  }
  // Before serving: the tables, columns and user fields the plugin needs are there.
  fastify.addHook('onReady', async () => { await checkSchema(ctx) })
  // Presence: this instance's users in dm_presence (off with `presence: false`).
  let tracker: PresenceTracker | null = null
  const hub: StreamHub = new StreamHub({
    changes: changeReader(ctx),
    bus: options.bus,
    log: fastify.log,
    streamBufferLimit: options.streamBufferLimit,
    maxStreamsPerUser: options.maxStreamsPerUser,
    streamQueueLimit: options.streamQueueLimit,
    toJson: toMessageResponse,
    changeRetention: options.changeRetention,
    presence: {
      arrived: (user) => tracker?.arrived(user),
      left: (user) => tracker?.left(user)
    }
  })
  if (options.presence) {
    tracker = new PresenceTracker({ presence, publish: (event) => hub.publish(event), log: fastify.log, timeout: options.presenceTimeout, instance: randomUUID() })
  }
  await hub.start()
  // Streams never end by themselves: end them before Fastify waits for in-flight requests.
  fastify.addHook('preClose', async () => { hub.closeAll() })
  fastify.addHook('onClose', async () => {
    await tracker?.stop()
    await hub.close()
  })
  if (options.changeRetention !== null) {
    const pruner = startPruning(ctx, options.changeRetention, fastify.log)
    fastify.addHook('onClose', async () => { await pruner.stop() })
  }

  // Attachments: files without a message (unsent, deleted, never sent) are deleted by a sweep.
  const attachments = new Attachments(ctx)
  attachments.start(Math.min(Math.max(Math.floor(options.attachmentUploadTtl / 4), 1000), 10 * 60_000))
  fastify.addHook('onClose', async () => { await attachments.stop() })

  const service = createService(ctx, presence, attachments)
  fastify.decorate('directMessages', service)
  // The routes live in their own encapsulated context: their hooks and validator stay there.
  await fastify.register(routes, { prefix: options.prefix, options, service, hub })
  // Signed URLs of attachments: no caller's authentication, the signature is the permission.
  await fastify.register(attachmentFileRoutes, { prefix: options.prefix, attachments, urls: ctx.attachmentUrls })
}

/** The plugin. Register it with {@link DirectMessagesOptions}. */
const directMessages = fp(plugin, { fastify: '5.x', name: 'fastify-directmessages' })

export default directMessages
export { directMessages }
export type { DirectMessagesOptions, ScannedAttachment, UserFieldsOption } from './options.js'
export { localStorage } from './attachments/local-storage.js'
export { s3Storage, type S3ClientLike, type S3StorageOptions } from './attachments/s3-storage.js'
export type { AttachmentStorage, ByteRange, DownloadOptions, UploadRequest } from './attachments/storage.js'
export { DEFAULT_ATTACHMENT_TYPES } from './attachments/files.js'
export type { PrismaClientLike, RawSqlClient } from './db/prisma.js'
export type {
  DriverLike, MariadbConnectionLike, MariadbPoolLike, MariadbQueryOptions, PgPoolClientLike, PgPoolLike, PgQueryConfig, PgResultLike, Provider,
  SqliteDatabaseLike, SqliteStatementLike
} from './dialect/index.js'
export type { ConversationRequest, ConversationsRequest, DirectMessagesService, MarkReadOptions, SendOptions } from './service.js'
export { MAX_PAGE_SIZE, PAGE_SIZE } from './domain/cursor.js'
export { memoryBus } from './realtime/bus.js'
export type { BusEvent, BusHandlers, DirectMessagesBus } from './realtime/bus.js'
export { postgresBus, MAX_POSTGRES_PAYLOAD_BYTES, type PostgresBusOptions } from './realtime/postgres-bus.js'
export { redisBus, type RedisBusOptions } from './realtime/redis-bus.js'
export type { DirectMessageEvents, EventName, Listener, MessageEditedEvent, MessageEvent, MessageSentEvent, MessageUnsentEvent, ReactionEvent } from './domain/events.js'
export type { Attachment, AttachmentUpload, ConversationSummary, Message, MessageEdit, Page, PageRequest, Partner, PresenceEntry, Reaction, ReplyPreview, UnreadConversation, UnreadCounts, UserId } from './domain/types.js'
export * as errors from './domain/errors.js'
