/**
 * The example host application: a minimal user table with token authentication, the plugin at
 * /api/dm, Swagger UI at /docs and a chat page at / (built on the plugin's client, served from
 * dist/client/ at /client/). It is what a newcomer runs (`npm start`) and what the tests use.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import sensible from '@fastify/sensible'
import fastifyStatic from '@fastify/static'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import directMessages, { memoryBus, postgresBus, redisBus, s3Storage, type DirectMessagesBus, type DirectMessagesOptions, type UserId } from '../src/index.js'
import pg from 'pg'
import type { ExampleDriver, ExamplePrisma, UserIdType } from './database.js'

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
  /**
   * The database's driver (DM_DRIVER=1 in the server, see createDriver): the plugin's `driver`
   * option, and the token lookup runs on it too.
   */
  driver?: ExampleDriver
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

const FindUserQuery = Type.Object({
  username: CreateUserBody.properties.username
})

const FoundUser = Type.Object({
  id: Type.Union([Type.Integer(), Type.String()]),
  username: Type.String(),
  first_name: Type.String(),
  last_name: Type.String()
})

/** The chat page's files, and the client it imports (compiled into dist/). */
const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url))
const CLIENT_DIR = fileURLToPath(new URL('../dist/client/', import.meta.url))
const CLIENT_ENTRY = fileURLToPath(new URL('../dist/client/index.js', import.meta.url))

export async function buildApp (options: ExampleAppOptions): Promise<FastifyInstance> {
  const { prisma } = options
  // The page imports the built client: without it, say so now rather than at the first request.
  if (!existsSync(CLIENT_ENTRY)) {
    throw new Error(`The chat page needs the built client, and ${CLIENT_ENTRY} is missing: run \`npm run build\` first`)
  }
  const app = Fastify({
    logger: options.logger ?? false,
    // String user ids are up to 128 characters: the router's default (100) would answer 414 to longer ones.
    routerOptions: { maxParamLength: 128 },
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

  let tokenLookup: import('better-sqlite3').Statement<[string], { id: UserId }> | undefined
  async function userIdFromRequest (request: FastifyRequest): Promise<UserId | undefined> {
    const authorization = request.headers.authorization
    let token = authorization === undefined ? undefined : AUTHORIZATION.exec(authorization)?.[1]
    // Browsers' EventSource cannot send headers: the event stream also takes ?access_token=.
    if (token === undefined && request.routeOptions.url?.includes('/events') === true) {
      const query = (request.query as { access_token?: unknown }).access_token
      if (typeof query === 'string' && TOKEN.test(query)) token = query
    }
    if (token === undefined) return undefined
    // Every request runs this lookup: a raw parameterised query costs less than a model query,
    // and the driver itself less again.
    const driver = options.driver
    if (driver === undefined) {
      const rows = await prisma.$queryRaw<Array<{ id: UserId }>>`SELECT id FROM app_user WHERE token = ${token}`
      return rows[0]?.id
    }
    if (driver instanceof pg.Pool) return (await driver.query<{ id: UserId }>('SELECT id FROM app_user WHERE token = $1', [token])).rows[0]?.id
    if ('prepare' in driver) return (tokenLookup ??= driver.prepare<[string], { id: UserId }>('SELECT id FROM app_user WHERE token = ?')).get(token)?.id
    return (await driver.query<Array<{ id: UserId }>>('SELECT id FROM app_user WHERE token = ?', [token]))[0]?.id
  }

  await app.register(directMessages, {
    prefix: '/api/dm',
    prisma,
    getUserId: userIdFromRequest,
    allowedRecipients: options.allowedRecipients ?? null,
    userIdType: options.userIdType ?? 'integer',
    ...(options.driver === undefined ? {} : { driver: options.driver }),
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
      if ((err as { code?: string }).code === 'P2002') {
        return reply.code(409).send({ statusCode: 409, code: 'USERNAME_TAKEN', error: 'Conflict', message: `The username "${username}" is taken` })
      }
      throw err
    }
  })

  // Looking a user up by name, to start a conversation. `GET /users/` is the documented path; the
  // router tells `/users` from `/users/`, so the unslashed one is registered too (hidden from the docs).
  for (const url of ['/users/', '/users']) {
    app.get(url, {
      schema: {
        hide: url === '/users',
        tags: ['users'],
        summary: 'Find a user by username',
        description: 'Answers the user named `username`, to start a conversation with them.',
        security: [{ token: [] }],
        querystring: FindUserQuery,
        response: { 200: FoundUser, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody }
      },
      // Authentication comes before validation: without a token the answer is 401, whatever the query.
      onRequest: async (request, reply) => {
        if (await userIdFromRequest(request) === undefined) {
          return reply.code(401).send({ statusCode: 401, code: 'UNAUTHORIZED', error: 'Unauthorized', message: 'No authenticated user' })
        }
      }
    }, async (request, reply) => {
      const { username } = request.query
      const user = await prisma.user.findUnique({ where: { username } })
      if (user === null) {
        return reply.code(404).send({ statusCode: 404, code: 'USER_NOT_FOUND', error: 'Not Found', message: `No user named "${username}"` })
      }
      return { id: user.id, username: user.username, first_name: user.firstName, last_name: user.lastName }
    })
  }

  // The chat page at /, and the client it imports at /client/ (the static routes are hidden from the docs).
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/' })
  await app.register(fastifyStatic, { root: CLIENT_DIR, prefix: '/client/', decorateReply: false })

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
      if (/^mysql:\/\//.test(databaseUrl)) throw new Error('DM_BUS=postgres needs a PostgreSQL database (it uses LISTEN/NOTIFY), and DATABASE_URL is a MySQL one; across instances on MySQL or MariaDB use DM_BUS=redis')
      if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error('DM_BUS=postgres needs a postgresql:// DATABASE_URL')
      return postgresBus({ connectionString: databaseUrl })
    case 'redis':
      return redisBus({ url: redisUrl ?? 'redis://127.0.0.1:6379' })
    default:
      throw new Error(`DM_BUS must be memory, postgres or redis, got "${name as string}"`)
  }
}

/** The environment variables {@link attachmentsFromEnvironment} reads. */
export const ATTACHMENT_VARIABLES = [
  'DM_STORAGE', 'DM_ATTACHMENTS_DIR', 'DM_ATTACHMENT_URL_TTL', 'DM_ATTACHMENT_UPLOAD_TTL', 'DM_ATTACHMENT_SECRET',
  'DM_S3_ENDPOINT', 'DM_S3_BUCKET', 'DM_S3_REGION', 'DM_S3_ACCESS_KEY_ID', 'DM_S3_SECRET_ACCESS_KEY'
] as const

/** The plugin's attachment options from the environment, and what releases what they hold. */
export interface AttachmentSettings {
  options: Partial<DirectMessagesOptions>
  /** Releases the S3 client's connections (call once the application closed); nothing for local files. */
  close: () => void
}

/**
 * The attachment options the environment asks for; a wrong value throws, naming its variable.
 *
 * - DM_STORAGE: `local` (default: files in DM_ATTACHMENTS_DIR, default ./dm-attachments, served by
 *   the plugin) or `s3` (an S3 bucket; clients upload and download through presigned URLs).
 * - DM_ATTACHMENT_URL_TTL, DM_ATTACHMENT_UPLOAD_TTL: `attachmentUrlTtl` and `attachmentUploadTtl`,
 *   in milliseconds (at least 1000).
 * - DM_ATTACHMENT_SECRET: `attachmentSecret`, at least 16 characters (set one shared by every
 *   instance; by default each process signs with a random key of its own).
 * - With DM_STORAGE=s3: DM_S3_BUCKET (required), DM_S3_ENDPOINT (an S3-compatible service, e.g.
 *   MinIO's http://127.0.0.1:9000; default AWS), DM_S3_REGION (default us-east-1), and
 *   DM_S3_ACCESS_KEY_ID with DM_S3_SECRET_ACCESS_KEY (both, or neither for the AWS SDK's own
 *   credentials: environment, profile, instance role). Buckets are addressed path-style
 *   (`<endpoint>/<bucket>/<key>`). For a browser to upload into the bucket, the bucket's CORS
 *   rules must allow PUT from the page's origin.
 */
export async function attachmentsFromEnvironment (env: Record<string, string | undefined>): Promise<AttachmentSettings> {
  const value = (name: typeof ATTACHMENT_VARIABLES[number]): string | undefined => env[name] === '' ? undefined : env[name]
  const options: Partial<DirectMessagesOptions> = {}
  for (const [name, option] of [['DM_ATTACHMENT_URL_TTL', 'attachmentUrlTtl'], ['DM_ATTACHMENT_UPLOAD_TTL', 'attachmentUploadTtl']] as const) {
    const text = value(name)
    if (text === undefined) continue
    const ms = /^\d{1,10}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN
    if (!(ms >= 1000 && ms <= 2 ** 31 - 1)) throw new Error(`${name} must be a number of milliseconds from 1000 to 2147483647, got "${text}"`)
    options[option] = ms
  }
  const secret = value('DM_ATTACHMENT_SECRET')
  if (secret !== undefined) {
    // The value is not repeated: it is a secret.
    if (secret.length < 16) throw new Error(`DM_ATTACHMENT_SECRET must be at least 16 characters (it has ${secret.length}); use a long random string`)
    options.attachmentSecret = secret
  }

  const storage = value('DM_STORAGE') ?? 'local'
  const s3Variables = ATTACHMENT_VARIABLES.filter((name) => name.startsWith('DM_S3_') && value(name) !== undefined)
  if (storage === 'local') {
    if (s3Variables.length > 0) throw new Error(`${s3Variables.join(', ')} ${s3Variables.length === 1 ? 'is' : 'are'} only read with DM_STORAGE=s3, and DM_STORAGE is local`)
    const directory = value('DM_ATTACHMENTS_DIR')
    if (directory !== undefined) options.attachmentsDirectory = directory
    return { options, close: () => {} }
  }
  if (storage !== 's3') throw new Error(`DM_STORAGE must be local or s3, got "${storage}"`)
  if (value('DM_ATTACHMENTS_DIR') !== undefined) throw new Error('DM_ATTACHMENTS_DIR is only read with DM_STORAGE=local: with DM_STORAGE=s3 the files are in DM_S3_BUCKET')

  const bucket = value('DM_S3_BUCKET')
  if (bucket === undefined) throw new Error('DM_STORAGE=s3 needs DM_S3_BUCKET, the name of the bucket (which must exist)')
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`DM_S3_BUCKET must be a bucket name (3 to 63 lowercase letters, digits, dots and hyphens), got "${bucket}"`)
  const endpoint = value('DM_S3_ENDPOINT')
  if (endpoint !== undefined && !/^https?:$/.test(URL.parse(endpoint)?.protocol ?? '')) {
    throw new Error(`DM_S3_ENDPOINT must be an http:// or https:// URL (e.g. http://127.0.0.1:9000), got "${endpoint}"`)
  }
  const region = value('DM_S3_REGION') ?? 'us-east-1'
  if (!/^[a-z0-9-]{1,64}$/.test(region)) throw new Error(`DM_S3_REGION must be a region name (e.g. us-east-1), got "${region}"`)
  const accessKeyId = value('DM_S3_ACCESS_KEY_ID')
  const secretAccessKey = value('DM_S3_SECRET_ACCESS_KEY')
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new Error(`${accessKeyId === undefined ? 'DM_S3_SECRET_ACCESS_KEY is set without DM_S3_ACCESS_KEY_ID' : 'DM_S3_ACCESS_KEY_ID is set without DM_S3_SECRET_ACCESS_KEY'}: ` +
      'set both, or neither (for the AWS SDK\'s own credentials)')
  }
  // Loaded only here: an example on local files never loads the AWS SDK.
  const { S3Client } = await import('@aws-sdk/client-s3')
  const client = new S3Client({
    region,
    forcePathStyle: true,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(accessKeyId === undefined || secretAccessKey === undefined ? {} : { credentials: { accessKeyId, secretAccessKey } }),
    // Checksums only where S3 requires them: several S3-compatible services refuse the SDK's default ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED'
  })
  options.storage = s3Storage({ client, bucket })
  return { options, close: () => { client.destroy() } }
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
