/**
 * The dialect conformance kit: what any database's dialect (dialect/<name>/) must do for the
 * plugin's statements, checked against a real database migrated with the plugin's tables. A new
 * dialect passes it before anything else of the plugin runs on it; the project runs it for every
 * dialect, on the Prisma client and on the dialect's driver.
 *
 * Framework-agnostic, like {@link runBusTests}: the caller's runner registers each case (`test`),
 * and the checks throw `node:assert` errors.
 *
 * @example
 * ```ts
 * import t from 'tap'
 * import { runDialectTests } from 'fastify-directmessages/testing'
 *
 * runDialectTests({
 *   test: (name, fn) => t.test(name, fn),
 *   dialect: 'postgresql',
 *   prisma,                                   // a client of a database migrated with the plugin's models
 *   driver: pool,                             // optional: the dialect's fast path too
 *   createUser: async () => (await prisma.user.create({ data: { ... } })).id,
 *   users: { table: 'User', id: 'id', name: 'username' }
 * })
 * ```
 */
import assert from 'node:assert/strict'
import type { Database } from '../db/database.js'
import { dateOf } from '../db/database.js'
import { isForeignKeyViolation } from '../db/errors.js'
import { prismaDatabase, type PrismaClientLike } from '../db/prisma.js'
import { join, lockUserRow, raw, sql } from '../db/sql.js'
import type { Dialect } from '../dialect/dialect.js'
import { dialectOf, type Provider } from '../dialect/index.js'
import type { UserId } from '../domain/types.js'
import { TABLE_COLUMNS, TABLE_NAMES } from '../schema/tables.js'

export type { Dialect, DriverSupport, SendInput } from '../dialect/dialect.js'

/** What {@link runDialectTests} is given. */
export interface DialectTestOptions {
  /** Registers one test case with the caller's runner (tap's `t.test`, node:test's `test`, vitest's `it`...). */
  test: (name: string, fn: () => Promise<void>) => unknown
  /** The dialect: one of the plugin's by its provider name, or a new one. */
  dialect: Provider | Dialect
  /** A Prisma client of a database migrated with the plugin's tables (the cases write to them). */
  prisma: PrismaClientLike
  /** The dialect's driver on the same database: every case runs on it too. */
  driver?: unknown
  /** Creates a user of the host (a row of its user table) and answers its id. */
  createUser: () => Promise<UserId>
  /** The host's user table as the database names it: the table, its id column, and a column of names. */
  users: { table: string, id: string, name: string }
  /** How long a statement may take (ms; default 10,000). */
  timeout?: number
}

/**
 * Registers the conformance cases of a dialect: the placeholders and values of its statement
 * text, times, quoting, row locks, its catalog, the partner lookups, the presence audience, its
 * one-statement send when it has one, its CHECK forms, and its driver when one is given.
 */
export function runDialectTests (options: DialectTestOptions): void {
  const dialect = typeof options.dialect === 'string' ? dialectOf(options.dialect) : options.dialect
  const timeout = options.timeout ?? 10_000
  const paths: Array<[string, () => Database]> = [['Prisma client', () => prismaDatabase(options.prisma, dialect, timeout)]]
  if (options.driver !== undefined) {
    const driver = options.driver
    paths.push([dialect.driver.kind, () => dialect.driver.database(driver, timeout)])
  }
  const { test } = options

  if (options.driver !== undefined) {
    test(`${dialect.label}: the driver is recognised as the dialect's, and open`, async () => {
      assert.ok(dialect.driver.accepts(options.driver), `${dialect.driver.kind} accepted`)
      assert.equal(dialect.driver.closed(options.driver), undefined, 'not closed')
      assert.equal(dialect.driver.accepts({}), false, 'an object is not a driver')
    })
  }

  for (const [path, open] of paths) {
    const label = `${dialect.label} (${path})`

    test(`${label}: values go in as bound parameters and come back as given`, async () => {
      const db = open()
      const text = 'it\'s "quoted" -- not a comment; $1 ? :x'
      const [row] = await db.query<{ a: unknown, b: unknown, c: unknown }>(sql`SELECT ${text} AS a, ${42} AS b, ${'ü😀'} AS c`)
      assert.equal(String(row?.a), text)
      assert.equal(Number(row?.b), 42)
      assert.equal(String(row?.c), 'ü😀')
      assert.equal(await db.execute(sql`UPDATE dm_user SET last_seen_at = last_seen_at WHERE user_id IN (${join(['-1', '-2'])})`), 0, 'a write answers how many rows it changed')
    })

    test(`${label}: a time is stored and read back to the millisecond`, async () => {
      const db = open()
      const at = new Date('2026-03-04T05:06:07.089Z')
      const [row] = await db.query<{ t: Date | string | number }>(sql`SELECT ${dialect.time(at)} AS t`)
      assert.equal(dateOf(row?.t ?? null)?.getTime(), at.getTime())
    })

    test(`${label}: quoted names are names, whatever they hold`, async () => {
      const db = open()
      const name = 'odd "name"'
      const [row] = await db.query<Record<string, unknown>>(sql`SELECT 1 AS ${raw(dialect.quote(name))}`)
      assert.equal(Number(row?.[name]), 1)
    })

    test(`${label}: the catalog lists the plugin's tables and columns, a table's columns, and the database`, async () => {
      const db = open()
      const rows = await db.query<{ table_name: string, column_name: string, data_type: string }>(dialect.catalog.tables)
      const found = new Map<string, Set<string>>()
      for (const row of rows) {
        let columns = found.get(row.table_name)
        if (columns === undefined) found.set(row.table_name, columns = new Set())
        columns.add(row.column_name)
        assert.equal(typeof row.data_type, 'string', `${row.table_name}.${row.column_name} has a type`)
      }
      assert.deepEqual([...found.keys()].sort(), [...TABLE_NAMES].sort(), 'every table of the plugin, and nothing else')
      for (const [table, columns] of Object.entries(TABLE_COLUMNS)) assert.deepEqual([...(found.get(table) ?? [])].sort(), [...columns].sort(), `${table}'s columns`)
      const columns = await db.query<{ column_name: string }>(dialect.catalog.columns('dm_block'))
      assert.deepEqual(columns.map((row) => row.column_name).sort(), [...(TABLE_COLUMNS.dm_block ?? [])].sort(), 'one table\'s columns')
      assert.deepEqual(await db.query(dialect.catalog.columns('no_such_table')), [], 'none for a table that is not there')
      const [first] = await db.query<{ identity: unknown }>(dialect.catalog.identity)
      const [again] = await db.query<{ identity: unknown }>(dialect.catalog.identity)
      assert.ok(typeof first?.identity === 'string' && first.identity !== '', 'the database says which it is')
      assert.equal(again?.identity, first?.identity, 'the same each time')
    })

    test(`${label}: a transaction's row lock, and a foreign key refused`, async () => {
      const db = open()
      const user = await options.createUser()
      await db.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO dm_user (user_id) VALUES (${user}) ${lockUserRow(dialect)}`)
        const locked = await tx.query(sql`SELECT user_id FROM dm_user WHERE user_id = ${user} ${dialect.forUpdate}`)
        assert.equal(locked.length, 1, 'the row, locked until commit')
      })
      const nobody = typeof user === 'string' ? `${user}-nobody` : -1
      await assert.rejects(db.execute(sql`INSERT INTO dm_user (user_id) VALUES (${nobody})`), (err: unknown) => isForeignKeyViolation(err), 'a user that is not the host\'s is refused, as a foreign-key violation')
    })

    test(`${label}: partner names are read in the list's statement, in its order`, async () => {
      const db = open()
      const ids = [await options.createUser(), await options.createUser(), await options.createUser()]
      const table = raw(`${dialect.quote(options.users.table)} u`)
      const id = raw(`u.${dialect.quote(options.users.id)}`)
      const columns = raw(`u.${dialect.quote(options.users.name)} AS partner_username`)
      await db.execute(sql`INSERT INTO dm_user (user_id) VALUES ${join(ids.map((user) => sql`(${user})`))}`)
      // Rows of user ids as a list statement has them (from one of the plugin's tables), numbered.
      const statement = sql`
        SELECT user_id, CASE WHEN user_id = ${ids[0]} THEN 1 WHEN user_id = ${ids[2]} THEN 2 ELSE 3 END AS n
        FROM dm_user WHERE user_id IN (${join(ids)})`
      const rows = await db.query<{ user_id: unknown, n: unknown, partner_username: unknown }>(
        dialect.withPartners(statement, { from: table, id, columns, names: raw('u.partner_username') }, 'user_id', sql`p.n DESC`))
      const names = await db.query<{ id: unknown, name: unknown }>(sql`SELECT ${id} AS id, u.${raw(dialect.quote(options.users.name))} AS name FROM ${table} WHERE ${id} IN (${join(ids)})`)
      const nameOf = new Map(names.map((row) => [String(row.id), String(row.name)]))
      assert.deepEqual(rows.map((row) => Number(row.n)), [3, 2, 1], 'in the order asked')
      assert.deepEqual(rows.map((row) => String(row.partner_username)), rows.map((row) => nameOf.get(String(row.user_id))), 'each with its own name')
    })

    test(`${label}: the presence audience is each user's most recent partners`, async () => {
      const db = open()
      const owner = await options.createUser()
      const partners = [await options.createUser(), await options.createUser(), await options.createUser()]
      await db.execute(sql`INSERT INTO dm_user (user_id) VALUES ${join([owner, ...partners].map((user) => sql`(${user})`))}`)
      // Conversation rows need messages: one from the owner to each partner, the last one hidden (no message left).
      for (const [i, partner] of partners.entries()) {
        const [low, high] = owner < partner ? [owner, partner] : [partner, owner]
        // (Read back by its content: not every database returns rows from an INSERT.)
        const content = `m${i} ${String(owner)}`
        await db.execute(sql`
          INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at)
          VALUES (${owner}, ${partner}, ${low}, ${high}, ${content}, ${new Date()})`)
        const [message] = await db.query<{ id: unknown }>(sql`SELECT id FROM dm_message WHERE sender_id = ${owner} AND content = ${content}`)
        await db.execute(sql`INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
          VALUES (${owner}, ${partner}, ${i === 2 ? null : Number(message?.id)}, 0)`)
      }
      const rows = await db.query<{ owner_id: unknown, partner_id: unknown }>(dialect.recentPartners([owner], 1))
      assert.deepEqual(rows.map((row) => String(row.partner_id)), [String(partners[1])], 'the most recent one (a conversation without a message left is none)')
      const two = await db.query<{ partner_id: unknown }>(dialect.recentPartners([owner], 5))
      assert.deepEqual(two.map((row) => String(row.partner_id)).sort(), [String(partners[0]), String(partners[1])].sort(), 'up to the limit')
    })

    test(`${label}: its CHECK forms`, async () => {
      const db = open()
      const { least, greatest, byBytes } = dialect.checks
      const [row] = await db.query<{ low: unknown, high: unknown }>(sql`SELECT ${raw(least)}(2, 1) AS low, ${raw(greatest)}(2, 1) AS high`)
      assert.equal(Number(row?.low), 1)
      assert.equal(Number(row?.high), 2)
      if (byBytes !== undefined) {
        const [bytes] = await db.query<{ first: unknown }>(sql`SELECT ${dialect.asText(sql`${raw(least)}(${raw(byBytes(dialect.quote('a')))}, ${raw(byBytes(dialect.quote('b')))})`)} AS first FROM (SELECT 'a' AS ${raw(dialect.quote('a'))}, 'B' AS ${raw(dialect.quote('b'))}) t`)
        assert.equal(String(bytes?.first), 'B', 'text compared by its bytes: "B" before "a"')
      }
    })

    const sendStatement = dialect.sendStatement
    if (sendStatement !== undefined) {
      test(`${label}: the one-statement send stores, refuses a block, and finds a key used before`, async () => {
        const db = open()
        const sender = await options.createUser()
        const recipient = await options.createUser()
        const [low, high] = sender < recipient ? [sender, recipient] : [recipient, sender]
        const input = { senderId: sender, recipientId: recipient, low, high, content: 'hello', sentAt: new Date(), idempotencyKey: 'k1', replyTo: null }
        const [created] = await db.query<{ id: unknown, blocked: unknown, content: unknown }>(sendStatement(input))
        assert.equal(Number(created?.blocked) === 1 || created?.blocked === true, false, 'not blocked')
        assert.equal(created?.content, 'hello', 'the message')
        const [taken] = await db.query<{ id: unknown }>(sendStatement(input))
        assert.equal(taken?.id, null, 'the same key again: nothing stored')
        const changes = await db.query(sql`SELECT user_id FROM dm_change WHERE message_id = ${Number(created?.id)}`)
        assert.equal(changes.length, 2, 'in both users\' change logs')
        const conversations = await db.query(sql`SELECT owner_id FROM dm_conversation WHERE last_message_id = ${Number(created?.id)}`)
        assert.equal(conversations.length, 2, 'both conversation rows')
        await db.execute(sql`INSERT INTO dm_block (blocker_id, blocked_id, created_at) VALUES (${recipient}, ${sender}, ${new Date()})`)
        const [blocked] = await db.query<{ id: unknown, blocked: unknown }>(sendStatement({ ...input, idempotencyKey: 'k2' }))
        assert.ok(Number(blocked?.blocked) === 1 || blocked?.blocked === true, 'a block refuses it')
        assert.equal(blocked?.id, null, 'and nothing is stored')
      })
    }
  }
}
