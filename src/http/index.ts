/**
 * What every route of the plugin shares: the validator, the error handler, the authentication
 * hook, the host's security requirement, paths with and without the trailing slash. Each
 * feature's routes live in features/<name>/routes.ts (registered by routes.ts); nothing here
 * knows a feature.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import { DatabaseTimeout, DatabaseUnavailable, InternalError, StorageUnavailable, StreamUnavailable, Unauthorized } from '../domain/errors.js'
import { DECIMAL_ID, isUserId } from '../domain/ids.js'
import type { UserId } from '../domain/types.js'
import type { ResolvedOptions } from '../options.js'
import type { StreamHub } from '../realtime/stream.js'
import type { DirectMessagesService } from '../service.js'
import { isDatabaseUnavailable } from '../db/errors.js'
import { sharedSchemas, type SharedSchemas } from './schemas.js'

export interface RoutesOptions {
  options: ResolvedOptions
  service: DirectMessagesService
  hub: StreamHub
}

/** The plugin's routes' instance, typed by their TypeBox schemas. */
export type RouteInstance = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>

/** What a feature's routes are given. */
export interface RouteContext extends RoutesOptions {
  schemas: SharedSchemas
  /** Registers `url` (ending in `/`) and, unless the router ignores it, the same path without the slash. */
  both: <S extends { schema: object }>(url: string, register: (url: string, opts: S) => void, opts: S) => void
  /** The authenticated caller of a request of these routes. */
  caller: (request: FastifyRequest) => UserId
}

/** The authenticated caller of each request, set by the preValidation hook. */
const callers = new WeakMap<FastifyRequest, UserId>()

function caller (request: FastifyRequest): UserId {
  const id = callers.get(request)
  /* c8 ignore next -- the hook runs before every handler of this plugin */
  if (id === undefined) throw new Unauthorized()
  return id
}

/**
 * Sets up the routes' context `fastify` (an encapsulated one: its hooks and validator stay
 * there) and answers what its features' routes are given.
 */
export function prepareRoutes (fastify: RouteInstance, { options, service, hub }: RoutesOptions): RouteContext {
  // The host's security requirement on every route of the plugin, for its OpenAPI document.
  const security = options.security
  if (security !== null) {
    fastify.addHook('onRoute', (route) => {
      // `security` is @fastify/swagger's addition to the route schema, whose types the plugin does not load.
      const schema: Record<string, unknown> = { ...route.schema, security: security.map((item) => ({ ...item })) }
      route.schema = schema
    })
  }

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
    if (error instanceof StorageUnavailable) {
      reply.header('retry-after', '1')
      throw error
    }
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
  return { options, service, hub, schemas: sharedSchemas(options.maxContentLength, options.userIdType), both, caller }
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

function decimalIdError (params: Record<string, unknown>): { error: Error } | undefined {
  const id = params.id
  if (typeof id === 'string' && !DECIMAL_ID.test(id)) return { error: new Error('params/id must be a positive integer written in decimal digits') }
  return undefined
}
