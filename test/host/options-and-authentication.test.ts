// Option validation and how the plugin sits in a host: a wrong option (a wrong driver among them)
// fails `register` or `ready` with a message naming it; the prefix, trailing slashes, authenticate
// and getUserId work as documented.
import Database from 'better-sqlite3'
import Fastify from 'fastify'
import pg from 'pg'
import t from 'tap'
import directMessages, { type DirectMessagesOptions } from '../../src/index.js'
import { openDatabase, postgresReachable, PG_ADMIN_URL, type TestDatabase } from '../helpers/databases.js'
import { host } from '../helpers/host.js'

t.test('options', async (t) => {
  const db = await openDatabase('sqlite', 'options')
  t.teardown(() => db.close())
  const alice = await db.prisma.user.create({ data: { username: 'alice', firstName: 'Alice', lastName: 'A', token: 'a' } })

  await t.test('a wrong option fails register with a message naming it', async (t) => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['no prisma', { prisma: undefined }, /"prisma"/],
      ['prisma is not a client', { prisma: {} }, /"prisma"/],
      ['no getUserId', { getUserId: undefined }, /"getUserId"/],
      ['getUserId not a function', { getUserId: 'id' }, /"getUserId"/],
      ['authenticate not a function', { authenticate: true }, /"authenticate"/],
      ['prefix without a leading slash', { prefix: 'api' }, /"prefix"/],
      ['maxContentLength zero', { maxContentLength: 0 }, /"maxContentLength"/],
      ['maxContentLength fractional', { maxContentLength: 1.5 }, /"maxContentLength"/],
      ['bodyLimit negative', { bodyLimit: -1 }, /"bodyLimit"/],
      ['allowedRecipients not a list', { allowedRecipients: 1 }, /"allowedRecipients"/],
      ['allowedRecipients with a non-id', { allowedRecipients: [1, 'two'] }, /"allowedRecipients"/],
      ['allowedRecipients with zero', { allowedRecipients: [0] }, /"allowedRecipients"/],
      ['userModel unknown', { userModel: 'account' }, /"userModel".*account/],
      ['userFields not an object', { userFields: 'username' }, /"userFields"/],
      ['userFields unknown key', { userFields: { nickname: 'nick' } }, /"userFields".*nickname/],
      ['userFields empty name', { userFields: { username: '' } }, /"userFields.username"/],
      ['cursorSecret empty', { cursorSecret: '' }, /"cursorSecret"/],
      ['userIdType unknown', { userIdType: 'uuid' }, /"userIdType"/],
      ['allowedRecipients of the other id type', { userIdType: 'string', allowedRecipients: [1] }, /"allowedRecipients".*string user id/],
      ['canMessage not a function', { canMessage: true }, /"canMessage"/],
      ['bus without start', { bus: { publish: () => {} } }, /"bus"/],
      ['heartbeatInterval zero', { heartbeatInterval: 0 }, /"heartbeatInterval"/],
      ['streamBufferLimit negative', { streamBufferLimit: -5 }, /"streamBufferLimit"/],
      ['databaseTimeout zero', { databaseTimeout: 0 }, /"databaseTimeout"/],
      ['databaseTimeout fractional', { databaseTimeout: 1.5 }, /"databaseTimeout"/],
      ['databaseTimeout beyond a timer', { databaseTimeout: 2 ** 31 }, /"databaseTimeout"/],
      ['an unknown option (a typo from plain JavaScript)', { userFeilds: { username: 'handle' } }, /unknown option "userFeilds"/],
      ['provider unsupported', { provider: 'sqlserver' }, /"provider" must be "postgresql", "sqlite" or "mysql"/],
      ['userFields.id null', { userFields: { id: null } }, /"userFields.id" must be a field name$/],
      ...(['editWindow', 'unsendWindow'] as const).flatMap((name): Array<[string, Record<string, unknown>, RegExp]> => {
        const message = new RegExp(`"${name}" must be a positive integer \\(milliseconds\\) or null`)
        return [
          [`${name} negative`, { [name]: -1 }, message],
          [`${name} zero`, { [name]: 0 }, message],
          [`${name} fractional`, { [name]: 1500.5 }, message],
          [`${name} a string of digits`, { [name]: '60000' }, message],
          [`${name} Infinity`, { [name]: Infinity }, message],
          [`${name} NaN`, { [name]: NaN }, message]
        ]
      }),
      ['streamQueueLimit negative', { streamQueueLimit: -1 }, /"streamQueueLimit" must be an integer of at least 0/],
      ['streamQueueLimit fractional', { streamQueueLimit: 2.5 }, /"streamQueueLimit" must be an integer of at least 0/],
      ['streamQueueLimit a string', { streamQueueLimit: '100' }, /"streamQueueLimit" must be an integer of at least 0/],
      // null is a value only where it means something (no limit, any emoji); elsewhere it is refused, not read as the default.
      ['maxReactionKinds null', { maxReactionKinds: null }, /"maxReactionKinds" must not be null/],
      ['presence null', { presence: null }, /"presence" must not be null/],
      ['presenceTimeout null', { presenceTimeout: null }, /"presenceTimeout" must not be null/],
      ['maxStreamsPerUser null', { maxStreamsPerUser: null }, /"maxStreamsPerUser" must not be null/],
      ['databaseTimeout null', { databaseTimeout: null }, /"databaseTimeout" must not be null/],
      ['driver null', { driver: null }, /"driver" must not be null/],
      ['security null', { security: null }, /"security" must not be null/],
      ['security an object', { security: { bearerAuth: [] } }, /"security" must be a list of OpenAPI security requirements/],
      ['security a list of strings', { security: ['bearerAuth'] }, /"security" must be a list of OpenAPI security requirements/],
      ['security with a scope list that is not one', { security: [{ bearerAuth: 'read' }] }, /"security" must be a list of OpenAPI security requirements/],
      ['security with a scope that is not text', { security: [{ oauth: ['read', 1] }] }, /"security" must be a list of OpenAPI security requirements/],
      ['security with a list in the list', { security: [[{ bearerAuth: [] }]] }, /"security" must be a list of OpenAPI security requirements/],
      ['reactions not a list', { reactions: '👍' }, /"reactions" must be null or a non-empty list/],
      ['reactions an object', { reactions: { 0: '👍', length: 1 } }, /"reactions" must be null or a non-empty list/],
      ['reactions empty', { reactions: [] }, /"reactions" must be null or a non-empty list/],
      ['reactions with a number', { reactions: ['👍', 1] }, /"reactions" must be null or a non-empty list/],
      ['reactions with null', { reactions: ['👍', null] }, /"reactions" must be null or a non-empty list/],
      ['reactions with an empty string', { reactions: ['👍', ''] }, /"reactions" must be null or a non-empty list/],
      ['reactions with 65 characters', { reactions: ['👍', 'a'.repeat(65)] }, /"reactions".*1 to 64 characters/],
      ['reactions with 65 emoji', { reactions: ['👍'.repeat(65)] }, /"reactions".*1 to 64 characters/],
      ['reactions with a slash', { reactions: ['👍', 'a/b'] }, /"reactions".*without "\/", "%"/],
      ['reactions with a percent sign', { reactions: ['👍', '100%'] }, /"reactions".*without "\/", "%"/],
      // What no database would store as given (PostgreSQL refuses NUL; a lone surrogate is no text).
      ['reactions with a NUL character', { reactions: ['👍', 'ok\u0000'] }, /"reactions".*control characters/],
      ['reactions with an unpaired surrogate', { reactions: ['👍', '\ud800'] }, /"reactions".*unpaired surrogates/],
      ['reactions with white space', { reactions: ['👍', ' '] }, /"reactions".*white space/],
      ['reactions with a line break', { reactions: ['👍', 'a\nb'] }, /"reactions".*white space/],
      ['reactions with a control character', { reactions: ['👍', 'a\u0007'] }, /"reactions".*control characters/],
      ['maxReactionKinds zero', { maxReactionKinds: 0 }, /"maxReactionKinds" must be a positive integer/],
      ['maxReactionKinds negative', { maxReactionKinds: -3 }, /"maxReactionKinds" must be a positive integer/],
      ['maxReactionKinds fractional', { maxReactionKinds: 2.5 }, /"maxReactionKinds" must be a positive integer/],
      ['maxReactionKinds a string', { maxReactionKinds: '2' }, /"maxReactionKinds" must be a positive integer/],
      ['changeRetention below 1,000', { changeRetention: 999 }, /"changeRetention" must be an integer of at least 1,000 \(milliseconds\) or null/],
      ['changeRetention zero', { changeRetention: 0 }, /"changeRetention" must be an integer/],
      ['changeRetention negative', { changeRetention: -86_400_000 }, /"changeRetention" must be an integer/],
      ['changeRetention fractional', { changeRetention: 5000.5 }, /"changeRetention" must be an integer/],
      ['changeRetention a string', { changeRetention: '7 days' }, /"changeRetention" must be an integer/],
      ['presence a string', { presence: 'false' }, /"presence" must be a boolean/],
      ['presence a number', { presence: 0 }, /"presence" must be a boolean/],
      ['presenceTimeout below 1,000', { presenceTimeout: 999 }, /"presenceTimeout" must be an integer of at least 1,000 \(milliseconds\)/],
      ['presenceTimeout zero', { presenceTimeout: 0 }, /"presenceTimeout" must be an integer/],
      ['presenceTimeout fractional', { presenceTimeout: 1500.5 }, /"presenceTimeout" must be an integer/],
      ['presenceTimeout beyond a timer', { presenceTimeout: 2 ** 31 }, /"presenceTimeout" must be an integer/],
      ['presenceTimeout a string', { presenceTimeout: '60000' }, /"presenceTimeout" must be an integer/]
    ]
    for (const [name, options, message] of cases) {
      const app = Fastify()
      await t.rejects(async () => {
        await app.register(directMessages, { prisma: db.prisma, getUserId: () => 1, ...options } as DirectMessagesOptions)
      }, { code: 'FST_DM_INVALID_OPTION', message }, name)
      await app.close().catch(() => {})
    }
  })

  await t.test('the edge values of the newer options are accepted', async (t) => {
    const cases: Array<[string, Partial<DirectMessagesOptions>]> = [
      ['editWindow null (no limit)', { editWindow: null }],
      ['unsendWindow null (no limit)', { unsendWindow: null }],
      ['editWindow and unsendWindow of 1 ms', { editWindow: 1, unsendWindow: 1 }],
      ['changeRetention null (forever)', { changeRetention: null }],
      ['changeRetention 1,000', { changeRetention: 1000 }],
      ['presence false', { presence: false }],
      ['presenceTimeout 1,000', { presenceTimeout: 1000 }],
      ['maxReactionKinds 1', { maxReactionKinds: 1 }],
      ['reactions null (any one emoji)', { reactions: null }],
      ['reactions of 64 characters', { reactions: ['a'.repeat(64)] }]
    ]
    for (const [name, options] of cases) {
      const app = await host(db, options)
      const res = await app.inject({ method: 'GET', url: '/unread/', headers: { 'x-user': String(alice.id) } })
      t.equal(res.statusCode, 200, `${name}: registers and serves`)
      await app.close()
    }
  })

  await t.test('string ids with a router that refuses parameters of 128 characters: a warning at start-up', async (t) => {
    const lines: string[] = []
    const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(line) } } } })
    await app.register(directMessages, { prisma: db.prisma, getUserId: () => null, userIdType: 'string' })
    t.match(lines.join(''), /maxParamLength is 100: string user ids longer than that are answered 414/, 'the default maxParamLength is named')
    await app.close().catch(() => {})
    const roomy: string[] = []
    const wide = Fastify({ routerOptions: { maxParamLength: 128 }, logger: { level: 'warn', stream: { write: (line: string) => { roomy.push(line) } } } })
    await wide.register(directMessages, { prisma: db.prisma, getUserId: () => null, userIdType: 'string' })
    t.notMatch(roomy.join(''), /maxParamLength/, 'no warning with maxParamLength 128')
    await wide.close().catch(() => {})
  })

  await t.test('registering twice on one instance fails', async (t) => {
    const app = Fastify()
    await app.register(directMessages, { prisma: db.prisma, getUserId: () => 1 })
    await t.rejects(async () => {
      await app.register(directMessages, { prisma: db.prisma, getUserId: () => 1, prefix: '/other' })
    }, /already been registered/)
    await app.close().catch(() => {})
  })

  await t.test('the prefix is honoured, with or without its own trailing slash', async (t) => {
    for (const prefix of ['/dm', '/dm/']) {
      const app = await host(db, { prefix })
      t.equal((await app.inject({ method: 'GET', url: '/dm/unread/', headers: { 'x-user': String(alice.id) } })).statusCode, 200, `${prefix} /dm/unread/`)
      t.equal((await app.inject({ method: 'GET', url: '/unread/', headers: { 'x-user': String(alice.id) } })).statusCode, 404, `${prefix} nothing at the root`)
      await app.close()
    }
    const app = await host(db, {})
    t.same((await app.inject({ method: 'GET', url: '/unread/', headers: { 'x-user': String(alice.id) } })).json(), { id: alice.id, count: 0, unmuted_count: 0 }, 'no prefix: at the root')
    await app.close()
  })

  await t.test('a host route is not affected by the plugin\'s authentication hook', async (t) => {
    const app = Fastify()
    await app.register(directMessages, { prisma: db.prisma, getUserId: () => null, prefix: '/dm' })
    app.get('/public', async () => ({ ok: true }))
    t.equal((await app.inject({ method: 'GET', url: '/public' })).statusCode, 200)
    t.equal((await app.inject({ method: 'GET', url: '/dm/unread/' })).statusCode, 401)
    await app.close()
  })

  await t.test('a host with ignoreTrailingSlash still answers both forms', async (t) => {
    for (const fastifyOptions of [{ ignoreTrailingSlash: true }, { routerOptions: { ignoreTrailingSlash: true } }]) {
      const app = await host(db, { prefix: '/dm' }, fastifyOptions)
      for (const url of ['/dm/unread/', '/dm/unread']) {
        t.equal((await app.inject({ method: 'GET', url, headers: { 'x-user': String(alice.id) } })).statusCode, 200, `${JSON.stringify(fastifyOptions)} ${url}`)
      }
      await app.close()
    }
  })

  await t.test('authenticate runs first, may answer the request itself, and its errors are answered', async (t) => {
    const seen: string[] = []
    const app = await host(db, {
      authenticate: async (request, reply) => {
        seen.push('authenticate')
        if (request.headers['x-block'] === 'reply') return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: 'blocked' })
        if (request.headers['x-block'] === 'throw') throw Object.assign(new Error('token expired'), { statusCode: 401 })
      },
      getUserId: (request) => { seen.push('getUserId'); return Number(request.headers['x-user']) || null }
    })
    t.equal((await app.inject({ method: 'GET', url: '/unread/', headers: { 'x-user': String(alice.id) } })).statusCode, 200)
    t.same(seen, ['authenticate', 'getUserId'], 'in that order')
    const replied = await app.inject({ method: 'GET', url: '/unread/', headers: { 'x-user': String(alice.id), 'x-block': 'reply' } })
    t.equal(replied.statusCode, 403)
    t.equal(replied.json().message, 'blocked')
    const thrown = await app.inject({ method: 'GET', url: '/unread/', headers: { 'x-user': String(alice.id), 'x-block': 'throw' } })
    t.equal(thrown.statusCode, 401)
    t.equal(thrown.json().message, 'token expired')
    await app.close()
  })

  await t.test('an unexpected failure is a plain 500: logged, never its internals answered', async (t) => {
    const lines: string[] = []
    const app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => { lines.push(line) } } } })
    // The host's own error handler, set before the plugin as usual, still gets the error.
    let hostHandlerSaw: unknown = null
    app.setErrorHandler((error, _request, reply) => {
      hostHandlerSaw = error
      return reply.code((error as { statusCode?: number }).statusCode ?? 500).send({ statusCode: 500, error: 'Internal Server Error', message: (error as Error).message })
    })
    await app.register(directMessages, {
      prisma: db.prisma,
      getUserId: () => { throw new Error('connection to users.internal:5432 refused; SELECT secret FROM users') }
    })
    await app.ready()
    const res = await app.inject({ method: 'GET', url: '/unread/' })
    t.equal(res.statusCode, 500)
    t.equal(res.json().message, 'The request could not be completed')
    t.notMatch(res.body, /users\.internal|secret/, 'nothing of the original error is answered')
    t.match(hostHandlerSaw, { code: 'FST_DM_INTERNAL' }, 'the host\'s error handler still receives the error')
    t.ok(lines.some((line) => line.includes('users.internal:5432 refused')), 'the original is logged')
    await app.close()
  })

  await t.test('getUserId: a decimal string is that integer id; anything else is a logged 401', async (t) => {
    const lines: string[] = []
    const app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => { lines.push(line) } } } })
    await app.register(directMessages, { prisma: db.prisma, getUserId: (request) => request.headers['x-user'] as string })
    await app.ready()
    const decimal = await app.inject({ method: 'GET', url: '/unread/', headers: { 'x-user': String(alice.id) } })
    t.same(decimal.json(), { id: alice.id, count: 0, unmuted_count: 0 }, 'the string "<id>" acts as user <id>, answered as a number')
    for (const value of ['abc', '0', '01', '1.5', '99999999999']) {
      lines.length = 0
      const res = await app.inject({ method: 'GET', url: '/unread/', headers: { 'x-user': value } })
      t.equal(res.statusCode, 401, `"${value}"`)
      t.ok(lines.some((line) => line.includes(`getUserId returned \\"${value}\\"`) && line.includes('"userIdType\\" is \\"integer\\"')), `"${value}" is logged, naming userIdType`)
    }
    await app.close()
    const objects = Fastify({ logger: { level: 'error', stream: { write: (line: string) => { lines.push(line) } } } })
    await objects.register(directMessages, { prisma: db.prisma, getUserId: () => ({ id: 1 }) as never })
    lines.length = 0
    t.equal((await objects.inject({ method: 'GET', url: '/unread/' })).statusCode, 401)
    t.ok(lines.some((line) => line.includes('getUserId returned a value of type object')), 'a user object instead of its id is logged')
    await objects.close()
  })

  await t.test('an anonymous caller is answered 401 before its input is validated', async (t) => {
    const app = await host(db, {})
    const res = await app.inject({ method: 'POST', url: '/send/abc/', payload: { content: 1 } })
    t.equal(res.statusCode, 401)
    await app.close()
  })
})

// The driver option, wrong.
async function register (db: TestDatabase, options: Partial<DirectMessagesOptions>): Promise<void> {
  const app = Fastify()
  try {
    await app.register(directMessages, { prisma: db.prisma, getUserId: () => null, ...options })
    await app.ready()
  } finally {
    await app.close().catch(() => {})
  }
}

t.test('a wrong driver fails register or ready with a message naming it', async (t) => {
  const sqlite = await openDatabase('sqlite', 'driver-options')
  t.teardown(() => sqlite.close())
  const pool = new pg.Pool({ connectionString: PG_ADMIN_URL, max: 1 })
  t.teardown(() => pool.end())
  const client = new pg.Client({ connectionString: PG_ADMIN_URL })
  const ended = new pg.Pool({ connectionString: PG_ADMIN_URL })
  await ended.end()
  const closed = new Database(':memory:')
  closed.close()

  const cases: Array<[string, unknown, RegExp]> = [
    ['an object that is not a driver', {}, /option "driver" must be a pg\.Pool \(PostgreSQL\), a better-sqlite3 Database \(SQLite\) or a mariadb Pool \(MySQL\)/],
    ['a string', 'postgresql://x', /option "driver" must be/],
    ['a pg Client, not a Pool', client, /option "driver" is a pg Client/],
    ['a pg Pool for a SQLite client', pool, /option "driver" is a pg Pool, but the Prisma client's database is SQLite/],
    ['a closed better-sqlite3 Database', closed, /option "driver": the better-sqlite3 Database is closed/]
  ]
  for (const [label, driver, message] of cases) {
    await t.rejects(register(sqlite, { driver: driver as DirectMessagesOptions['driver'] }), { message }, label)
  }
  const other = new Database(':memory:')
  t.teardown(() => other.close())
  await t.rejects(register(sqlite, { driver: other }), { message: /option "driver" reaches another database \(.*\) than the Prisma client \(.*test\.db\)/ },
    'a better-sqlite3 Database of another file: ready fails')

  await t.test('on PostgreSQL', { skip: !(await postgresReachable()) && process.env.CI !== 'true' ? 'PostgreSQL is unreachable' : false }, async (t) => {
    const postgres = await openDatabase('postgresql', 'driver-options')
    t.teardown(() => postgres.close())
    await t.rejects(register(postgres, { driver: new Database(':memory:') }), { message: /option "driver" is a better-sqlite3 Database, but the Prisma client's database is PostgreSQL/ },
      'a better-sqlite3 Database for a PostgreSQL client')
    await t.rejects(register(postgres, { driver: ended }), { message: /option "driver": the pg Pool has been ended/ }, 'an ended pool')
    await t.rejects(register(postgres, { driver: pool }), { message: /option "driver" reaches another database \(postgres on the server.*\) than the Prisma client \(dm_test_driver_options/ },
      'a pool of another database on the same server: ready fails')
  })
})
