// The start-up self-check: a host whose database lacks the plugin's tables or columns,
// whose user ids are of another type than `userIdType`, or whose user model lacks the fields the
// options name, fails `ready()` with a message naming what is missing and the fix, on SQLite and
// PostgreSQL, instead of answering 500 at the first request. Also: the provider, said or read.
import Fastify from 'fastify'
import t from 'tap'
import directMessages, { type DirectMessagesOptions } from '../../src/index.js'
import { TABLE_COLUMNS } from '../../src/schema/tables.js'
import { forEachDatabase, query, type TestDatabase } from '../helpers/databases.js'
import { startApp } from '../helpers/app.js'

async function readyError (db: TestDatabase, options: Partial<DirectMessagesOptions> = {}): Promise<Error & { code?: string }> {
  const app = Fastify()
  try {
    await app.register(directMessages, { prisma: db.prisma, getUserId: () => 1, ...options })
    await app.ready()
  } catch (err) {
    return err as Error & { code?: string }
  } finally {
    await app.close().catch(() => {})
  }
  throw new Error('ready() succeeded')
}

forEachDatabase(t, 'self-check', async (t, db) => {
  await t.test('a matching database and user model start', async (t) => {
    const app = Fastify()
    await app.register(directMessages, { prisma: db.prisma, getUserId: () => 1 })
    await app.ready()
    t.ok(app.hasDecorator('directMessages'), 'ready')
    await app.close()
  })

  await t.test('user fields the model lacks are named', async (t) => {
    const username = await readyError(db, { userFields: { username: 'handle' } })
    t.equal(username.code, 'FST_DM_SCHEMA_MISMATCH')
    t.match(username.message, /option "userFields\.username".*model "user" has no field "handle"/)
    const last = await readyError(db, { userFields: { lastName: 'surname' } })
    t.match(last.message, /"userFields\.lastName".*"surname"/)
    const id = await readyError(db, { userFields: { id: 'accountId' } })
    t.match(id.message, /"userFields\.id".*no field "accountId"/)
  })

  await t.test('every wrong entry of userFields is named in one error, with the fields the model has', async (t) => {
    // A host whose user model has an email and a name only, registered with the defaults left in.
    const both = await readyError(db, { userFields: { username: 'email', firstName: 'name' } })
    t.equal(both.code, 'FST_DM_SCHEMA_MISMATCH')
    t.match(both.message, /option "userFields": the Prisma model "user" has no field "email" \(userFields\.username\) nor "name" \(userFields\.firstName\)/)
    t.match(both.message, /its fields are id, username, firstName, lastName, token: name one of them, or null for none/)
    const three = await readyError(db, { userFields: { id: 'uid', username: 'email', lastName: 'surname' } })
    t.match(three.message, /no field "uid" \(userFields\.id\), "email" \(userFields\.username\) nor "surname" \(userFields\.lastName\)/)
    t.match(three.message, /name the field holding its id/)
    // The same from a client without a data model to read: the model is asked one field at a time.
    const bare = new Proxy(db.prisma, { get: (target, key, receiver) => key === '_runtimeDataModel' ? undefined : Reflect.get(target, key, receiver) as unknown })
    const asked = await readyError(db, { prisma: bare, userFields: { username: 'email', firstName: 'name' } })
    t.match(asked.message, /no field "email" \(userFields\.username\) nor "name" \(userFields\.firstName\): name one of them/)
    // Right, the model starts.
    const app = Fastify()
    await app.register(directMessages, { prisma: db.prisma, getUserId: () => 1, userFields: { username: 'token', firstName: 'username', lastName: null } })
    await app.ready()
    t.ok(app.hasDecorator('directMessages'), 'with fields the model has, ready() passes')
    await app.close()
  })

  await t.test('a userIdType other than the database\'s is named', async (t) => {
    const err = await readyError(db, { userIdType: 'string' })
    t.equal(err.code, 'FST_DM_SCHEMA_MISMATCH')
    t.match(err.message, /dm_message\.sender_id is of type .* but the option "userIdType" is "string"/)
  })

  await t.test('a provider other than the database\'s is named', async (t) => {
    const other = db.provider === 'postgresql' ? 'sqlite' : 'postgresql'
    const err = await readyError(db, { provider: other })
    t.equal(err.code, 'FST_DM_SCHEMA_MISMATCH')
    t.match(err.message, new RegExp(`does not answer as ${other === 'sqlite' ? 'SQLite' : 'PostgreSQL'}.*option "provider"`))
  })

  await t.test('a missing column is named, with the command that fixes it', async (t) => {
    await db.sql(db.provider === 'mysql' ? 'DROP INDEX dm_message_idempotency_key ON dm_message' : 'DROP INDEX dm_message_idempotency_key')
    await db.sql('ALTER TABLE dm_message DROP COLUMN idempotency_key')
    const err = await readyError(db)
    t.equal(err.code, 'FST_DM_SCHEMA_MISMATCH')
    t.match(err.message, /lacks the column dm_message\.idempotency_key/)
    t.match(err.message, /npx fastify-directmessages schema/)
  })

  await t.test('missing tables are named', async (t) => {
    await db.sql('DROP TABLE dm_block')
    await db.sql('DROP TABLE dm_change')
    await db.sql('DROP TABLE dm_presence')
    await db.sql('DROP TABLE dm_user')
    const err = await readyError(db)
    t.match(err.message, /the database has no table dm_user, dm_change, dm_block, dm_presence: run "npx fastify-directmessages schema", then create and apply a migration/)
  })
})

forEachDatabase(t, 'self-check, string ids', async (t, db) => {
  const err = await readyError(db, { userIdType: 'integer' })
  t.match(err.message, /dm_message\.sender_id is of type .* but the option "userIdType" is "integer"/)
}, { userIdType: 'string' })

forEachDatabase(t, 'provider', async (t, db) => {
  await t.test('read from the client when not said, and logged', async (t) => {
    const lines: string[] = []
    const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } })
    await app.register(directMessages, { prisma: db.prisma, getUserId: () => 1 })
    await app.ready()
    t.ok(lines.some((line) => line.includes(`provider \\"${db.provider}\\", read from the Prisma client`)), 'the choice is logged')
    await app.close()
  })

  await t.test('said: not logged, and used', async (t) => {
    const lines: string[] = []
    const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(line) } } } })
    await app.register(directMessages, { prisma: db.prisma, getUserId: (request) => Number(request.headers['x-user']), provider: db.provider })
    await app.ready()
    t.notOk(lines.some((line) => line.includes('read from the Prisma client')))
    const alice = await db.prisma.user.create({ data: { username: 'alice', firstName: '', lastName: '', token: 'a' } })
    const bob = await db.prisma.user.create({ data: { username: 'bob', firstName: '', lastName: '', token: 'b' } })
    const res = await app.inject({ method: 'POST', url: `/send/${String(bob.id)}/`, headers: { 'x-user': String(alice.id) }, payload: { content: 'hi' } })
    t.equal(res.statusCode, 201)
    await app.close()
  })

  await t.test('a client that does not tell, without the option, fails register', async (t) => {
    // A wrapper around the client (a facade of the host's own) does not carry its provider.
    const { prisma } = db
    const hidden = {
      $queryRawUnsafe: prisma.$queryRawUnsafe.bind(prisma),
      $executeRawUnsafe: prisma.$executeRawUnsafe.bind(prisma),
      $transaction: prisma.$transaction.bind(prisma),
      user: prisma.user
    }
    const app = Fastify()
    await t.rejects(async () => { await app.register(directMessages, { prisma: hidden, getUserId: () => 1 }) }, {
      code: 'FST_DM_INVALID_OPTION', message: /option "provider".*does not say.*"postgresql", "sqlite" or "mysql"/
    })
    await app.close().catch(() => {})
    const told = Fastify()
    await told.register(directMessages, { prisma: hidden, getUserId: () => 1, provider: db.provider })
    await told.ready()
    t.ok(told.hasDecorator('directMessages'), 'with the option it starts')
    await told.close()
  })
})

forEachDatabase(t, 'the declared tables are those the migrations create', async (t, db) => {
  // Every column the plugin declares (and checks at start-up) exists, and no other column of its tables.
  const rows = db.provider === 'postgresql'
    ? await db.sql<{ table_name: string, column_name: string }>("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name LIKE 'dm\\_%'")
    : db.provider === 'mysql'
      ? await db.sql<{ table_name: string, column_name: string }>("SELECT table_name AS table_name, column_name AS column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name LIKE 'dm\\_%'")
      : await db.sql<{ table_name: string, column_name: string }>("SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name LIKE 'dm\\_%' ESCAPE '\\'")
  const migrated: Record<string, string[]> = {}
  for (const row of rows) (migrated[row.table_name] ??= []).push(row.column_name)
  t.same(Object.fromEntries(Object.entries(migrated).map(([table, columns]) => [table, columns.sort()]).sort()),
    Object.fromEntries(Object.entries(TABLE_COLUMNS).map(([table, columns]) => [table, [...columns].sort()]).sort()))
})

// On the driver path too.
forEachDatabase(t, 'a user table or column the database lacks fails ready, naming it', async (t, db) => {
  await query(db, 'ALTER TABLE app_user RENAME COLUMN first_name TO given_name')
  await t.rejects(startApp(db), { message: /the column "first_name" of the table "app_user" \(field "firstName" of the Prisma model "user"\) is not in the database/ })
  await query(db, 'ALTER TABLE app_user RENAME TO app_account')
  await t.rejects(startApp(db), { message: /the table "app_user" of the Prisma model "user" is not in the database/ })
}, { driver: true })

// MySQL and MariaDB: text columns have a character set and a collation of their own.
forEachDatabase(t, 'text columns that cannot hold every character, or compare keys loosely, fail ready', async (t, db) => {
  if (db.provider !== 'mysql') {
    t.pass(`${db.provider}: text has no character set of its own`)
    return
  }
  await db.sql('ALTER TABLE dm_reaction MODIFY emoji VARCHAR(64) NOT NULL COLLATE utf8mb4_unicode_ci')
  let err = await readyError(db)
  t.equal(err.code, 'FST_DM_SCHEMA_MISMATCH')
  t.match(err.message, /the column dm_reaction\.emoji \(utf8mb4_unicode_ci\) compares text by a collation that holds different emojis or keys equal: run "npx fastify-directmessages guards"/)
  await db.sql('ALTER TABLE dm_message_edit MODIFY content MEDIUMTEXT CHARACTER SET utf8mb3 NOT NULL')
  err = await readyError(db)
  t.match(err.message, /the column dm_message_edit\.content \(utf8mb3\) cannot store every character \(4-byte ones such as emojis need utf8mb4\): convert the table/)
})
