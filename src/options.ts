/**
 * The plugin's options: their types, defaults, and validation. Options are normalised once, when
 * the plugin is registered; a wrong option fails `register` with a message naming it.
 */
import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { checkTypePatterns, DEFAULT_ATTACHMENT_TYPES } from './attachments/files.js'
import { localStorage } from './attachments/local-storage.js'
import type { AttachmentStorage } from './attachments/storage.js'
import { memoryBus, type DirectMessagesBus } from './realtime/bus.js'
import { InvalidOption } from './domain/errors.js'
import { INVALID_TEXT, isUserId } from './domain/ids.js'
import type { UserId } from './domain/types.js'
import type { PrismaClientLike } from './db/prisma.js'
import { dialectOf, driverProvider, listed, PROVIDERS, providerNamed, type DriverLike, type Provider } from './dialect/index.js'

/**
 * Which fields of the host's user model hold its id and give the partner object's names; `null`
 * for a name field the model lacks (answered as `""`).
 */
export interface UserFieldsOption {
  /** Field holding the user's id, the one the plugin's relations reference (default `"id"`). */
  id?: string
  /** Field for `username` (default `"username"`). */
  username?: string | null
  /** Field for `first_name` (default `"firstName"`). */
  firstName?: string | null
  /** Field for `last_name` (default `"lastName"`). */
  lastName?: string | null
}

/** Options of `fastify.register(directMessages, options)`. */
export interface DirectMessagesOptions {
  /** The host's PrismaClient; its schema holds the plugin's models (`npx fastify-directmessages schema`). */
  prisma: PrismaClientLike
  /**
   * The database behind `prisma`: `'postgresql'`, `'sqlite'` or `'mysql'` (MySQL 8.0+ and MariaDB
   * 10.6+). Say it; when absent, the plugin
   * reads it from the client (and logs what it read), and fails `register` when the client does not tell.
   */
  provider?: Provider
  /**
   * Who is calling: a user id, or null/undefined for an anonymous caller (answered 401). With
   * integer ids, a string of decimal digits (a JWT `sub`, say) is read as that number; any other
   * value that is not a user id of `userIdType` is answered 401 and logged as an error.
   */
  getUserId: (request: FastifyRequest) => UserId | null | undefined | Promise<UserId | null | undefined>
  /** Path prefix of the routes, e.g. `"/api/dm"` (default: none). */
  prefix?: string
  /** Runs before `getUserId` on every route, e.g. a JWT verification; may answer the request itself. */
  authenticate?: (request: FastifyRequest, reply: FastifyReply) => unknown
  /** Messaging allowlist: null or empty = anyone may message anyone (see the README). */
  allowedRecipients?: readonly UserId[] | null
  /**
   * The host's messaging policy, asked for every send after `allowedRecipients` and before blocks
   * (all must allow it): `true` allows; `false` refuses with the usual 400; a string refuses with
   * that message. `request` is absent for sends from the service API.
   */
  canMessage?: (senderId: UserId, recipientId: UserId, request: FastifyRequest | undefined) => boolean | string | Promise<boolean | string>
  /** Longest accepted `content`, in characters (default 10,000). */
  maxContentLength?: number
  /** Name of the host's user model delegate on the Prisma client (default `"user"`). */
  userModel?: string
  /** Fields of the host's user model giving the partner's names. */
  userFields?: UserFieldsOption
  /**
   * Key that signs pagination cursors. Cursors are always bound to the user and the list they came
   * from; set a secret shared by all instances to make them unforgeable as well.
   */
  cursorSecret?: string
  /**
   * The type of the host's `User.id`: `'integer'` (default; positive 32-bit integers) or
   * `'string'` (cuid, uuid, nanoid...: 1–128 characters of letters, digits, `_` and `-`).
   * Routes validate user ids by it; the models must match (see the README).
   */
  userIdType?: 'integer' | 'string'
  /** Largest accepted request body on the send routes, in bytes (default: enough for `maxContentLength`). */
  bodyLimit?: number
  /**
   * Carries real-time events between the application's instances (default: `memoryBus()`, for a
   * single instance). Use `postgresBus(...)` or `redisBus(...)` when running several.
   */
  bus?: DirectMessagesBus
  /**
   * Per-user rate limit of the two send routes together, through @fastify/rate-limit (off by
   * default): at most `max` sends per `timeWindow` (ms or e.g. `'1 minute'`); beyond, 429 with
   * Retry-After. Pass `redis` (an ioredis client) to share the counts between instances.
   */
  sendRateLimit?: { max: number, timeWindow: number | string, redis?: unknown } | false
  /** Most event streams one user may hold open on one instance (default 10); beyond, 429. */
  maxStreamsPerUser?: number
  /**
   * Stream requests that may wait on one instance for their turn to open (default 10,000). They
   * are let in 8 at a time, before the host's authentication runs; one beyond the queue is
   * answered at once with SSE `retry:` (1 to 6 s or more, random, longer the longer the queue)
   * and closed, so that a reconnect storm comes back spread out. 0: none waits.
   */
  streamQueueLimit?: number
  /** Milliseconds between the heartbeat comments of an idle event stream (default 15,000). */
  heartbeatInterval?: number
  /**
   * Bytes an event stream may have waiting for a client that does not read before the stream is
   * closed (the client then resumes with Last-Event-ID). Default 1 MiB.
   */
  streamBufferLimit?: number
  /**
   * Milliseconds the plugin waits for the database on each operation (a query, or a whole
   * transaction) before it gives up and answers 503 `FST_DM_DATABASE_TIMEOUT` with Retry-After
   * (default 5,000). Also the `maxWait` and `timeout` of its Prisma transactions. A send that timed
   * out may still commit once the database answers: clients that retry with an Idempotency-Key
   * get that message, never a second one.
   */
  databaseTimeout?: number
  /** Milliseconds after sending during which the sender may edit a message (default 15 minutes; null: no limit). */
  editWindow?: number | null
  /** Milliseconds after sending during which the sender may unsend a message (default 15 minutes; null: no limit). */
  unsendWindow?: number | null
  /**
   * The reactions allowed (e.g. `['👍', '❤️', '😂']`); default: any single emoji. Values are 1 to
   * 64 characters.
   */
  reactions?: readonly string[] | null
  /** Most different reactions one message may have (default 20). */
  maxReactionKinds?: number
  /**
   * Milliseconds the change log keeps what event streams replay on resume (default 7 days; null:
   * forever). A stream resumed with a Last-Event-ID older than that gets a `reset` event: the
   * client reloads its pages, then follows the stream again.
   */
  changeRetention?: number | null
  /**
   * Presence (default true): who is online (`GET /presence/`), `presence` stream events to
   * partners, `last_seen_at`. `false`: no presence is written, and everyone reads offline.
   */
  presence?: boolean
  /**
   * Milliseconds after which the users of an instance that stopped refreshing its presence (it
   * died) read offline (default 60,000).
   */
  presenceTimeout?: number
  /**
   * The fast path: the host's own driver, the one its Prisma adapter uses — a `pg.Pool`
   * (PostgreSQL), a `better-sqlite3` Database of the same file (SQLite), or a `mariadb` Pool of the
   * same database (MySQL, MariaDB). The plugin then runs its
   * statements and transactions on it directly instead of through the Prisma client, and reads the
   * partners' names inside its list statements. Behaviour, errors and guarantees are the same.
   * The pool's or database's life is the host's: the plugin never ends or closes it.
   */
  driver?: DriverLike
  /**
   * The OpenAPI security requirement of every route the plugin adds (e.g. `[{ bearerAuth: [] }]`),
   * so that a host's Swagger UI offers to send its credentials. The host declares the scheme
   * itself (`components.securitySchemes` of @fastify/swagger). Default: none.
   */
  security?: ReadonlyArray<Readonly<Record<string, readonly string[]>>>
  /**
   * Where attachments' bytes are kept (default: `localStorage({ directory: attachmentsDirectory })`,
   * files on this machine, uploaded to and served by the plugin's own routes). `s3Storage({ client,
   * bucket })` for any S3-compatible service: clients upload and download with presigned URLs,
   * and the bytes never pass through the application.
   */
  storage?: AttachmentStorage
  /** The folder of the default local storage (default `"./dm-attachments"`). */
  attachmentsDirectory?: string
  /** Largest attachment, in bytes (default 25 MiB; at most 2 GiB - 1). */
  maxAttachmentSize?: number
  /**
   * The media types attachments may have, exact (`application/pdf`) or by kind (`image/*`).
   * Default: common images, PDF, plain text, audio, video, office documents and zip
   * (`DEFAULT_ATTACHMENT_TYPES`). SVG and HTML are not in it: they can carry scripts.
   */
  attachmentTypes?: readonly string[]
  /** Milliseconds the URLs of an attachment (to upload it, to read it) stay valid (default one hour). */
  attachmentUrlTtl?: number
  /** Milliseconds after which an upload that was never sent is deleted (default 24 hours). */
  attachmentUploadTtl?: number
  /**
   * The host's check of an upload (a virus scanner), called when it is first sent, after its size
   * and type were checked and before the message exists: `true` accepts it; `false` or a message
   * refuses the send (400 `FST_DM_ATTACHMENT_REJECTED`) and the upload is deleted.
   */
  scanAttachment?: (attachment: ScannedAttachment) => boolean | string | Promise<boolean | string>
  /**
   * Key that signs the URLs of attachments. Set one secret shared by every instance when running
   * several (default: a random key of this process, so URLs it issued stop working when it restarts).
   */
  attachmentSecret?: string
}

/** An upload as `scanAttachment` sees it. */
export interface ScannedAttachment {
  id: string
  uploaderId: UserId
  name: string
  contentType: string
  size: number
  /** Its bytes, read from the storage. */
  read: () => Promise<Readable>
}

/** The options after validation, with every default applied. */
export interface ResolvedOptions {
  prisma: PrismaClientLike
  provider: Provider
  /** Where `provider` came from: the option, or the client (then logged at start-up). */
  providerSource: 'option' | 'client'
  getUserId: DirectMessagesOptions['getUserId']
  prefix: string
  authenticate: NonNullable<DirectMessagesOptions['authenticate']> | null
  allowedRecipients: ReadonlySet<UserId> | null
  canMessage: NonNullable<DirectMessagesOptions['canMessage']> | null
  maxContentLength: number
  userModel: string
  userFields: { id: string, username: string | null, firstName: string | null, lastName: string | null }
  cursorSecret: string
  bodyLimit: number
  userIdType: 'integer' | 'string'
  bus: DirectMessagesBus
  sendRateLimit: { max: number, timeWindow: number | string, redis?: unknown } | null
  maxStreamsPerUser: number
  streamQueueLimit: number
  heartbeatInterval: number
  streamBufferLimit: number
  databaseTimeout: number
  editWindow: number | null
  unsendWindow: number | null
  reactions: ReadonlySet<string> | null
  maxReactionKinds: number
  changeRetention: number | null
  presence: boolean
  presenceTimeout: number
  driver: DriverLike | null
  security: Array<Record<string, string[]>> | null
  storage: AttachmentStorage
  maxAttachmentSize: number
  attachmentTypes: readonly string[]
  attachmentUrlTtl: number
  attachmentUploadTtl: number
  scanAttachment: NonNullable<DirectMessagesOptions['scanAttachment']> | null
  attachmentSecret: string
}

/** The default pagination key: cursors are still bound to user and list, but forgeable. */
const DEFAULT_CURSOR_SECRET = 'fastify-directmessages'
const DEFAULT_MAX_CONTENT_LENGTH = 10_000

/** The options for which null means something: no allowlist, no window, any emoji, no pruning. */
const NULLABLE_OPTIONS = new Set<string>(['allowedRecipients', 'editWindow', 'unsendWindow', 'reactions', 'changeRetention'])

/** Every option the plugin takes, and those Fastify's `register` itself takes. */
const KNOWN_OPTIONS = new Set<string>([
  'prisma', 'provider', 'getUserId', 'prefix', 'authenticate', 'allowedRecipients', 'canMessage', 'maxContentLength',
  'userModel', 'userFields', 'cursorSecret', 'userIdType', 'bodyLimit', 'bus', 'sendRateLimit', 'maxStreamsPerUser', 'streamQueueLimit',
  'heartbeatInterval', 'streamBufferLimit', 'databaseTimeout', 'editWindow', 'unsendWindow', 'reactions', 'maxReactionKinds',
  'changeRetention', 'presence', 'presenceTimeout', 'driver', 'security', 'storage', 'attachmentsDirectory', 'maxAttachmentSize',
  'attachmentTypes', 'attachmentUrlTtl', 'attachmentUploadTtl', 'scanAttachment', 'attachmentSecret', 'logLevel', 'logSerializers'
] satisfies Array<keyof DirectMessagesOptions | 'logLevel' | 'logSerializers'>)

export function resolveOptions (opts: Partial<DirectMessagesOptions> | undefined): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') throw new InvalidOption('options must be an object')
  // A misspelt option from plain JavaScript would otherwise be ignored without a word.
  for (const [key, value] of Object.entries(opts)) {
    if (!KNOWN_OPTIONS.has(key)) throw new InvalidOption(`unknown option "${key}" (options: ${[...KNOWN_OPTIONS].slice(0, -2).join(', ')})`)
    // null is a value of its own for a few options (no limit, no list); elsewhere it would quietly
    // mean the default, which a caller writing null meant otherwise.
    if (value === null && !NULLABLE_OPTIONS.has(key)) throw new InvalidOption(`option "${key}" must not be null (leave it out for its default)`)
  }
  const { prisma, getUserId } = opts
  if (prisma === null || typeof prisma !== 'object' ||
      typeof prisma.$queryRawUnsafe !== 'function' || typeof prisma.$executeRawUnsafe !== 'function' || typeof prisma.$transaction !== 'function') {
    throw new InvalidOption('option "prisma" must be a PrismaClient')
  }
  const { provider, providerSource } = resolveProvider(opts.provider, prisma)
  if (typeof getUserId !== 'function') throw new InvalidOption('option "getUserId" must be a function (request) => userId')
  if (opts.authenticate !== undefined && typeof opts.authenticate !== 'function') {
    throw new InvalidOption('option "authenticate" must be a function (request, reply)')
  }
  if (opts.canMessage !== undefined && typeof opts.canMessage !== 'function') {
    throw new InvalidOption('option "canMessage" must be a function (senderId, recipientId, request) => boolean | string')
  }

  const prefix = opts.prefix ?? ''
  if (typeof prefix !== 'string' || (prefix !== '' && !prefix.startsWith('/'))) {
    throw new InvalidOption('option "prefix" must be a path starting with "/"')
  }

  const maxContentLength = opts.maxContentLength ?? DEFAULT_MAX_CONTENT_LENGTH
  if (!Number.isSafeInteger(maxContentLength) || maxContentLength < 1) {
    throw new InvalidOption('option "maxContentLength" must be a positive integer')
  }
  // JSON may spell a character as a 6-byte \u escape, or 12 bytes for one beyond the BMP (a
  // surrogate pair); leave room for the rest of the object.
  const bodyLimit = opts.bodyLimit ?? maxContentLength * 12 + 1024
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1) throw new InvalidOption('option "bodyLimit" must be a positive integer')

  const userModel = opts.userModel ?? 'user'
  if (typeof userModel !== 'string' || userModel === '') throw new InvalidOption('option "userModel" must be a non-empty string')
  const delegate = (prisma as unknown as Record<string, { findMany?: unknown } | undefined>)[userModel]
  if (typeof delegate?.findMany !== 'function') {
    throw new InvalidOption(`option "userModel": the Prisma client has no model "${userModel}"`)
  }

  const cursorSecret = opts.cursorSecret ?? DEFAULT_CURSOR_SECRET
  if (typeof cursorSecret !== 'string' || cursorSecret === '') throw new InvalidOption('option "cursorSecret" must be a non-empty string')

  const userIdType = opts.userIdType ?? 'integer'
  if (userIdType !== 'integer' && userIdType !== 'string') throw new InvalidOption('option "userIdType" must be "integer" or "string"')

  const bus = opts.bus ?? memoryBus()
  if (bus === null || typeof bus !== 'object' || typeof bus.start !== 'function' || typeof bus.publish !== 'function' || typeof bus.close !== 'function') {
    throw new InvalidOption('option "bus" must be a bus: memoryBus(), postgresBus(...), redisBus(...) or an object with start, publish and close')
  }
  const sendRateLimit = opts.sendRateLimit === undefined || opts.sendRateLimit === false ? null : opts.sendRateLimit
  if (sendRateLimit !== null && (typeof sendRateLimit !== 'object' || !Number.isSafeInteger(sendRateLimit.max) || sendRateLimit.max < 1 ||
      !(typeof sendRateLimit.timeWindow === 'string' || (Number.isSafeInteger(sendRateLimit.timeWindow) && sendRateLimit.timeWindow > 0)))) {
    throw new InvalidOption('option "sendRateLimit" must be false or { max: positive integer, timeWindow: milliseconds or a duration like "1 minute" }')
  }
  const maxStreamsPerUser = opts.maxStreamsPerUser ?? 10
  if (!Number.isSafeInteger(maxStreamsPerUser) || maxStreamsPerUser < 1) throw new InvalidOption('option "maxStreamsPerUser" must be a positive integer')
  const streamQueueLimit = opts.streamQueueLimit ?? 10_000
  if (!Number.isSafeInteger(streamQueueLimit) || streamQueueLimit < 0) throw new InvalidOption('option "streamQueueLimit" must be an integer of at least 0')
  const heartbeatInterval = opts.heartbeatInterval ?? 15_000
  if (!Number.isSafeInteger(heartbeatInterval) || heartbeatInterval < 1) throw new InvalidOption('option "heartbeatInterval" must be a positive integer (milliseconds)')
  const streamBufferLimit = opts.streamBufferLimit ?? 1024 * 1024
  if (!Number.isSafeInteger(streamBufferLimit) || streamBufferLimit < 1) throw new InvalidOption('option "streamBufferLimit" must be a positive integer (bytes)')
  const databaseTimeout = opts.databaseTimeout ?? 5000
  // setTimeout holds at most 2^31 - 1 ms.
  if (!Number.isSafeInteger(databaseTimeout) || databaseTimeout < 1 || databaseTimeout > 2 ** 31 - 1) {
    throw new InvalidOption('option "databaseTimeout" must be a positive integer (milliseconds)')
  }

  const windowOf = (name: 'editWindow' | 'unsendWindow'): number | null => {
    const value = opts[name] === undefined ? 15 * 60_000 : opts[name]
    if (value !== null && (!Number.isSafeInteger(value) || (value as number) < 1)) throw new InvalidOption(`option "${name}" must be a positive integer (milliseconds) or null`)
    return value as number | null
  }
  const changeRetention = opts.changeRetention === undefined ? 7 * 24 * 3_600_000 : opts.changeRetention
  if (changeRetention !== null && (!Number.isSafeInteger(changeRetention) || changeRetention < 1000)) {
    throw new InvalidOption('option "changeRetention" must be an integer of at least 1,000 (milliseconds) or null')
  }
  const presence = opts.presence ?? true
  if (typeof presence !== 'boolean') throw new InvalidOption('option "presence" must be a boolean')
  const presenceTimeout = opts.presenceTimeout ?? 60_000
  if (!Number.isSafeInteger(presenceTimeout) || presenceTimeout < 1000 || presenceTimeout > 2 ** 31 - 1) {
    throw new InvalidOption('option "presenceTimeout" must be an integer of at least 1,000 (milliseconds)')
  }
  const editWindow = windowOf('editWindow')
  const unsendWindow = windowOf('unsendWindow')
  const reactions = opts.reactions ?? null
  // Each a path segment of its own once URL-encoded, and text every database stores as it is.
  if (reactions !== null && (!Array.isArray(reactions) || reactions.length === 0 ||
      !reactions.every((value) => typeof value === 'string' && value.length > 0 && [...value].length <= 64 &&
        !/[/%\s\p{Cc}]/u.test(value) && !INVALID_TEXT.test(value)))) {
    throw new InvalidOption('option "reactions" must be null or a non-empty list of reactions (1 to 64 characters, without "/", "%", white space, control characters or unpaired surrogates)')
  }
  const maxReactionKinds = opts.maxReactionKinds ?? 20
  if (!Number.isSafeInteger(maxReactionKinds) || maxReactionKinds < 1) throw new InvalidOption('option "maxReactionKinds" must be a positive integer')

  const driver = resolveDriver(opts.driver, provider)

  return {
    ...resolveAttachmentOptions(opts),
    driver,
    security: resolveSecurity(opts.security),
    editWindow,
    unsendWindow,
    reactions: reactions === null ? null : new Set(reactions),
    maxReactionKinds,
    changeRetention,
    presence,
    presenceTimeout,
    prisma,
    provider,
    providerSource,
    userIdType,
    getUserId,
    prefix: prefix.endsWith('/') ? prefix.slice(0, -1) : prefix,
    authenticate: opts.authenticate ?? null,
    allowedRecipients: resolveAllowedRecipients(opts.allowedRecipients, userIdType),
    canMessage: opts.canMessage ?? null,
    maxContentLength,
    userModel,
    userFields: resolveUserFields(opts.userFields),
    cursorSecret,
    bodyLimit,
    bus,
    sendRateLimit,
    maxStreamsPerUser,
    streamQueueLimit,
    heartbeatInterval,
    streamBufferLimit,
    databaseTimeout
  }
}

function resolveAllowedRecipients (value: unknown, userIdType: 'integer' | 'string'): ReadonlySet<UserId> | null {
  if (value === undefined || value === null) return null
  if (!Array.isArray(value)) throw new InvalidOption('option "allowedRecipients" must be an array of user ids or null')
  for (const id of value) {
    if (!isUserId(id, userIdType)) throw new InvalidOption(`option "allowedRecipients" holds ${JSON.stringify(id)}, which is not a${userIdType === 'string' ? ' string' : 'n integer'} user id`)
  }
  return value.length === 0 ? null : new Set(value as UserId[])
}

/** `"postgresql", "sqlite" or "mysql"`: the providers, as messages list them. */
const providerList = (): string => listed(PROVIDERS.map((provider) => `"${provider}"`), 'or')

/** The provider option, or the one the client tells (Prisma 6 and 7 clients set `_activeProvider`). */
function resolveProvider (value: unknown, prisma: PrismaClientLike): { provider: Provider, providerSource: ResolvedOptions['providerSource'] } {
  if (value !== undefined) {
    if (typeof value !== 'string' || !(PROVIDERS as string[]).includes(value)) throw new InvalidOption(`option "provider" must be ${providerList()}, got ${JSON.stringify(value)}`)
    return { provider: value as Provider, providerSource: 'option' }
  }
  const told = (prisma as { _activeProvider?: unknown })._activeProvider
  const provider = providerNamed(told)
  if (provider !== undefined) return { provider, providerSource: 'client' }
  if (typeof told === 'string') {
    throw new InvalidOption(`option "provider": the Prisma client's database is "${told}"; the plugin runs on ${listed(PROVIDERS.map((p) => dialectOf(p).label), 'and')} only`)
  }
  throw new InvalidOption(`option "provider": the Prisma client does not say which database it uses; set provider to ${providerList()}`)
}

/** The `driver` option: the driver the provider's Prisma adapter uses, still open. */
function resolveDriver (value: unknown, provider: Provider): DriverLike | null {
  // (null was refused with the other options that take none.)
  if (value === undefined) return null
  const { driver: wanted } = dialectOf(provider)
  const kind = driverProvider(value)
  if (kind === undefined) {
    const nearMiss = PROVIDERS.map((p) => dialectOf(p).driver.nearMiss(value)).find((why) => why !== undefined)
    if (nearMiss !== undefined) throw new InvalidOption(`option "driver" ${nearMiss}`)
    throw new InvalidOption(`option "driver" must be ${listed(PROVIDERS.map((p) => `a ${dialectOf(p).driver.expected} (${dialectOf(p).label})`), 'or')}, the one the Prisma adapter uses`)
  }
  if (kind !== provider) {
    throw new InvalidOption(`option "driver" is a ${dialectOf(kind).driver.kind}, but the Prisma client's database is ${dialectOf(provider).label}; pass a ${wanted.expected} of the same database`)
  }
  const closed = wanted.closed(value)
  if (closed !== undefined) throw new InvalidOption(`option "driver": the ${closed}`)
  // The provider's own driver accepted it: one of the kinds DriverLike lists.
  return value as DriverLike
}

/** A whole number of milliseconds from `min` up to what a timer holds. */
function milliseconds (name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > 2 ** 31 - 1) throw new InvalidOption(`option "${name}" must be an integer of at least ${min.toLocaleString('en')} (milliseconds)`)
  return value
}

const STORAGE_METHODS = ['uploadRequest', 'downloadUrl', 'write', 'read', 'size', 'move', 'delete', 'list'] as const

/** The options of attachments. */
function resolveAttachmentOptions (opts: Partial<DirectMessagesOptions>): Pick<ResolvedOptions, 'storage' | 'maxAttachmentSize' | 'attachmentTypes' |
  'attachmentUrlTtl' | 'attachmentUploadTtl' | 'scanAttachment' | 'attachmentSecret'> {
  const directory = opts.attachmentsDirectory ?? './dm-attachments'
  if (typeof directory !== 'string' || directory === '') throw new InvalidOption('option "attachmentsDirectory" must be a folder path')
  if (opts.storage !== undefined && opts.attachmentsDirectory !== undefined) {
    throw new InvalidOption('options "storage" and "attachmentsDirectory" are exclusive: the folder is the default storage\'s (localStorage({ directory }))')
  }
  const storage = opts.storage ?? localStorage({ directory })
  const missing = STORAGE_METHODS.filter((method) => typeof (storage as unknown as Record<string, unknown> | null)?.[method] !== 'function')
  if (typeof storage !== 'object' || missing.length > 0) {
    throw new InvalidOption(`option "storage" must be a storage: localStorage(...), s3Storage(...) or an object with ${STORAGE_METHODS.join(', ')}` +
      (typeof storage === 'object' ? ` (missing: ${missing.join(', ')})` : ''))
  }
  const maxAttachmentSize = opts.maxAttachmentSize ?? 25 * 1024 * 1024
  if (!Number.isSafeInteger(maxAttachmentSize) || maxAttachmentSize < 1 || maxAttachmentSize > 2 ** 31 - 1) {
    throw new InvalidOption('option "maxAttachmentSize" must be an integer from 1 to 2147483647 (bytes)')
  }
  const attachmentTypes = opts.attachmentTypes ?? DEFAULT_ATTACHMENT_TYPES
  const wrongType = checkTypePatterns(attachmentTypes)
  if (wrongType !== null) throw new InvalidOption(`option "attachmentTypes": ${wrongType}`)
  if (opts.scanAttachment !== undefined && typeof opts.scanAttachment !== 'function') {
    throw new InvalidOption('option "scanAttachment" must be a function (attachment) => boolean | string')
  }
  const attachmentSecret = opts.attachmentSecret ?? randomBytes(32).toString('base64url')
  if (typeof attachmentSecret !== 'string' || attachmentSecret.length < 16) throw new InvalidOption('option "attachmentSecret" must be a string of at least 16 characters')
  return {
    storage,
    maxAttachmentSize,
    attachmentTypes: [...attachmentTypes],
    attachmentUrlTtl: milliseconds('attachmentUrlTtl', opts.attachmentUrlTtl ?? 3_600_000, 1000),
    attachmentUploadTtl: milliseconds('attachmentUploadTtl', opts.attachmentUploadTtl ?? 24 * 3_600_000, 1000),
    scanAttachment: opts.scanAttachment ?? null,
    attachmentSecret
  }
}

/** The `security` option: a list of OpenAPI security requirements (scheme name: scopes). */
function resolveSecurity (value: unknown): ResolvedOptions['security'] {
  if (value === undefined) return null
  const requirement = (item: unknown): item is Record<string, string[]> =>
    typeof item === 'object' && item !== null && !Array.isArray(item) &&
    Object.values(item).every((scopes) => Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string'))
  if (!Array.isArray(value) || !value.every(requirement)) {
    throw new InvalidOption('option "security" must be a list of OpenAPI security requirements, e.g. [{ bearerAuth: [] }] (objects whose values are lists of scopes)')
  }
  // A copy: the host's array is not the routes' to share.
  return value.map((item) => Object.fromEntries(Object.entries(item).map(([name, scopes]) => [name, [...scopes]])))
}

function resolveUserFields (value: unknown): ResolvedOptions['userFields'] {
  const fields: ResolvedOptions['userFields'] = { id: 'id', username: 'username', firstName: 'firstName', lastName: 'lastName' }
  if (value === undefined) return fields
  if (value === null || typeof value !== 'object') throw new InvalidOption('option "userFields" must be an object')
  for (const [key, field] of Object.entries(value)) {
    if (!(key in fields)) throw new InvalidOption(`option "userFields" has an unknown key "${key}"; expected id, username, firstName or lastName`)
    if (key === 'id' ? (typeof field !== 'string' || field === '') : (field !== null && (typeof field !== 'string' || field === ''))) {
      throw new InvalidOption(`option "userFields.${key}" must be a field name${key === 'id' ? '' : ' or null'}`)
    }
    (fields as Record<string, string | null>)[key] = field as string | null
  }
  return fields
}
