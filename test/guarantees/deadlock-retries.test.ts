// Deadlocks and serialization failures are retried inside the plugin, a bounded number of times:
// two transactions that lock the same rows in opposite orders make PostgreSQL abort one of them
// as a deadlock victim; the plugin runs it again and both complete. Other errors are not retried.
import t from 'tap'
import sql from 'sql-template-tag'
import type { Executor } from '../../src/db/database.js'
import { isForeignKeyViolation, isTransientConflict } from '../../src/db/errors.js'
import { prismaDatabase } from '../../src/db/prisma.js'
import { dialectOf } from '../../src/dialect/index.js'
import { openDatabase, PG_ADMIN_URL, postgresReachable } from '../helpers/databases.js'

/**
 * A meeting point for `count` transactions: each call resolves once `count` calls have been made
 * (at once, for the calls after them: a retried transaction goes straight on).
 */
function meeting (count: number): () => Promise<void> {
  let arrived = 0
  let open: () => void = () => {}
  const opened = new Promise<void>((resolve) => { open = resolve })
  return async () => {
    if (++arrived >= count) open()
    await opened
  }
}

t.test('deadlock victims are retried [postgresql]', async (t) => {
  if (!(await postgresReachable())) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is unreachable; on CI the PostgreSQL tests must run`)
    t.test('retries', { skip: `PostgreSQL at ${PG_ADMIN_URL} is unreachable` }, async () => {})
    return
  }
  const db = await openDatabase('postgresql', 'retries')
  t.teardown(() => db.close())
  const a = await db.prisma.user.create({ data: { username: 'a', firstName: '', lastName: '', token: 'ta' } })
  const b = await db.prisma.user.create({ data: { username: 'b', firstName: '', lastName: '', token: 'tb' } })
  await db.sql('INSERT INTO dm_user (user_id) VALUES ($1), ($2)', [a.id, b.id])
  // Deadlocks are detected after deadlock_timeout (1 s by default); make it quick for this session.
  await db.sql('ALTER DATABASE ' + new URL(db.url).pathname.slice(1) + ' SET deadlock_timeout = 100')
  // The plugin's Database on the Prisma client, with its retries.
  const store = prismaDatabase(db.prisma, dialectOf('postgresql'), 5000)

  // Locks `first`, waits for the other transaction to lock `second` (both meet once they hold
  // their first row), then asks for `second`.
  const crossing = (first: number, second: number, attempts: number[], bothLocked: () => Promise<void>) => async (tx: Executor) => {
    attempts.push(Date.now())
    await tx.execute(sql`UPDATE dm_user SET user_id = user_id WHERE user_id = ${first}`)
    await bothLocked()
    await tx.execute(sql`UPDATE dm_user SET user_id = user_id WHERE user_id = ${second}`)
    return first
  }
  // The same on a bare Prisma transaction, without the plugin's retries.
  const bare = (fn: (tx: Executor) => Promise<number>) => db.prisma.$transaction((tx) => fn({
    query: async () => [],
    execute: async (statement) => await tx.$executeRawUnsafe(statement.text, ...statement.values)
  }))

  await t.test('a raw deadlock is recognised as transient', async (t) => {
    const errors: unknown[] = []
    const bothLocked = meeting(2)
    await Promise.all([
      bare(crossing(Number(a.id), Number(b.id), [], bothLocked)).catch((err: unknown) => errors.push(err)),
      bare(crossing(Number(b.id), Number(a.id), [], bothLocked)).catch((err: unknown) => errors.push(err))
    ])
    t.equal(errors.length, 1, 'without retries, PostgreSQL aborts one of the two')
    t.ok(isTransientConflict(errors[0]), 'as a deadlock (40P01)')
    t.notOk(isForeignKeyViolation(errors[0]))
  })

  await t.test('through the store, both transactions complete', async (t) => {
    const first: number[] = []
    const second: number[] = []
    const bothLocked = meeting(2)
    const results = await Promise.all([
      store.transaction(crossing(Number(a.id), Number(b.id), first, bothLocked)),
      store.transaction(crossing(Number(b.id), Number(a.id), second, bothLocked))
    ])
    t.same(results, [a.id, b.id], 'both answered')
    t.equal(first.length + second.length, 3, 'one of them ran twice')
  })

  await t.test('other errors are not retried', async (t) => {
    const attempts: number[] = []
    await t.rejects(store.transaction(async (tx) => {
      attempts.push(Date.now())
      await tx.execute(sql`INSERT INTO dm_user (user_id) VALUES (${987654})`)
    }), 'a foreign-key violation is thrown')
    t.equal(attempts.length, 1, 'at once')
  })
})
