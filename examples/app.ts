/**
 * The example host application: a minimal user table with token authentication, the plugin at
 * /api/dm, and Swagger UI at /docs. It is what a newcomer runs (`npm start`) and what the tests use.
 */
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import sensible from '@fastify/sensible'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import directMessages, { memoryBus, postgresBus, redisBus, type DirectMessagesBus, type DirectMessagesOptions, type UserId } from '../src/index.js'
import type { ExamplePrisma, UserIdType } from './database.js'

export interface ExampleAppOptions {
  prisma: ExamplePrisma
  /** `allowedRecipients` of the plugin (from DM_ALLOWED_RECIPIENTS in the server). */
  allowedRecipients?: UserId[] | null
  /** The kind of User.id (DM_USER_ID_TYPE): the plugin's `userIdType`. */
  userIdType?: UserIdType
  /** Fastify's logger option. */
  logger?: FastifyServerOptions['logger']
  /** Extra plugin options, for tests. */
  directMessages?: Partial<DirectMessagesOptions>
}

const AUTHORIZATION = /^(?:Token|Bearer)\s+([A-Za-z0-9_-]{1,128})$/i
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/

const CreateUserBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 150, pattern: '^[\\w.@+-]+$', description: 'Letters, digits and @.+-_ only' }),
  first_name: Type.Optional(Type.String({ maxLength: 150 })),
  last_name: Type.Optional(Type.String({ maxLength: 150 }))
})

const CreatedUser = Type.Object({
  id: Type.Union([Type.Integer(), Type.String()]),
  username: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  token: Type.String({ description: 'Send as `Authorization: Token <token>` (or `Bearer <token>`)' })
})

const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.Optional(Type.String()), error: Type.String(), message: Type.String() })

export async function buildApp (options: ExampleAppOptions): Promise<FastifyInstance> {
  const { prisma } = options
  const app = Fastify({
    logger: options.logger ?? false,
    // The example's own routes take JSON bodies only: a number is not a username.
    ajv: { customOptions: { coerceTypes: false } }
  }).withTypeProvider<TypeBoxTypeProvider>()

  await app.register(sensible)
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'fastify-directmessages example',
        description: 'Direct messages between users. Create a user with POST /users, then authorise with its token.',
        version: '0.1.0'
      },
      components: {
        securitySchemes: {
          token: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`Token <token>` or `Bearer <token>`' }
        }
      },
      security: [{ token: [] }]
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  async function userIdFromRequest (request: FastifyRequest): Promise<UserId | undefined> {
    const authorization = request.headers.authorization
    let token = authorization === undefined ? undefined : AUTHORIZATION.exec(authorization)?.[1]
    // Browsers' EventSource cannot send headers: the event stream also takes ?access_token=.
    if (token === undefined && request.routeOptions.url?.includes('/events') === true) {
      const query = (request.query as { access_token?: unknown }).access_token
      if (typeof query === 'string' && TOKEN.test(query)) token = query
    }
    if (token === undefined) return undefined
    // Every request runs this lookup: a raw parameterised query costs less than a model query.
    const rows = await prisma.$queryRaw<Array<{ id: UserId }>>`SELECT id FROM app_user WHERE token = ${token}`
    return rows[0]?.id
  }

  await app.register(directMessages, {
    prefix: '/api/dm',
    prisma,
    getUserId: userIdFromRequest,
    allowedRecipients: options.allowedRecipients ?? null,
    userIdType: options.userIdType ?? 'integer',
    ...options.directMessages
  })

  app.post('/users', {
    schema: {
      tags: ['users'],
      summary: 'Create a user',
      description: 'Creates a demo user and answers its API token.',
      security: [],
      body: CreateUserBody,
      response: { 201: CreatedUser, 400: ErrorBody, 409: ErrorBody }
    }
  }, async (request, reply) => {
    const { username, first_name: firstName = '', last_name: lastName = '' } = request.body
    try {
      const user = await prisma.user.create({ data: { username, firstName, lastName, token: randomBytes(24).toString('base64url') } })
      return reply.code(201).send({ id: user.id, username: user.username, first_name: user.firstName, last_name: user.lastName, token: user.token })
    } catch (err) {
      if ((err as { code?: string }).code === 'P2002') throw app.httpErrors.conflict(`The username "${username}" is taken`)
      throw err
    }
  })

  return app
}

/**
 * The bus named by DM_BUS: `memory` (default), `postgres` (LISTEN/NOTIFY on the PostgreSQL
 * database at `databaseUrl`) or `redis` (at REDIS_URL, default redis://127.0.0.1:6379).
 */
export function busFromEnvironment (name: string | undefined, databaseUrl: string, redisUrl: string | undefined): DirectMessagesBus {
  switch (name ?? 'memory') {
    case 'memory':
      return memoryBus()
    case 'postgres':
      if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error('DM_BUS=postgres needs a postgresql:// DATABASE_URL')
      return postgresBus({ connectionString: databaseUrl })
    case 'redis':
      return redisBus({ url: redisUrl ?? 'redis://127.0.0.1:6379' })
    default:
      throw new Error(`DM_BUS must be memory, postgres or redis, got "${name as string}"`)
  }
}

/** Parses DM_ALLOWED_RECIPIENTS ("1,2,3", or string ids); empty or unset: no restriction. */
export function parseAllowedRecipients (value: string | undefined, userIdType: UserIdType = 'integer'): UserId[] | null {
  if (value === undefined || value.trim() === '') return null
  return value.split(',').map((part) => {
    if (userIdType === 'string') {
      const id = part.trim()
      if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new Error(`DM_ALLOWED_RECIPIENTS must be a comma-separated list of user ids, got "${value}"`)
      return id
    }
    const id = Number(part.trim())
    if (!Number.isSafeInteger(id) || id < 1) throw new Error(`DM_ALLOWED_RECIPIENTS must be a comma-separated list of user ids, got "${value}"`)
    return id
  })
}

/** Parses DM_USER_ID_TYPE: `integer` (default) or `string`. */
export function parseUserIdType (value: string | undefined): UserIdType {
  if (value === undefined || value === '' || value === 'integer') return 'integer'
  if (value === 'string') return 'string'
  throw new Error(`DM_USER_ID_TYPE must be integer or string, got "${value}"`)
}
