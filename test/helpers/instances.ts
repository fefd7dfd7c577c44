/**
 * Several instances of the example application, as behind a load balancer: listening on their own
 * ports, and (for two on one PostgreSQL database) delivering to each other over a bus.
 */
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { postgresBus, redisBus, type DirectMessagesBus } from '../../src/index.js'
import type { ExampleAppOptions } from '../../examples/app.js'
import { openDatabase, PG_ADMIN_URL, postgresReachable, type TestDatabase } from './databases.js'
import { REDIS_URL, redisReachable } from './redis.js'
import { startApp } from './app.js'

export interface Listening { app: FastifyInstance, base: string }

/** The example application on `db`, listening on a port of its own. */
export async function listening (db: TestDatabase, options: Omit<ExampleAppOptions, 'prisma'> = {}): Promise<Listening> {
  const app = await startApp(db, options)
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

/** True (and a skipped test) when `what` is unreachable here; on CI it must be reachable. */
export async function skipUnless (t: Test, reachable: boolean, what: string): Promise<boolean> {
  if (reachable) return false
  if (process.env.CI === 'true') throw new Error(`${what} is unreachable; on CI the multi-instance tests must run`)
  t.test(what, { skip: `${what} is unreachable` }, async () => {})
  return true
}

/**
 * Two listening instances on one fresh PostgreSQL database over the `kind` bus (a channel of this
 * process's own, so that parallel test files never hear each other), closed at the end of `t`;
 * null when PostgreSQL (or Redis) is unreachable and the test was skipped.
 */
export async function twoInstances (t: Test, kind: 'postgres' | 'redis', label: string): Promise<{ db: TestDatabase, a: Listening, b: Listening } | null> {
  if (await skipUnless(t, await postgresReachable(), `PostgreSQL at ${PG_ADMIN_URL}`)) return null
  if (kind === 'redis' && await skipUnless(t, await redisReachable(), `Redis at ${REDIS_URL}`)) return null
  const db = await openDatabase('postgresql', `${label}_${kind}`)
  t.teardown(() => db.close())
  const channel = `dm_test_${label}_${kind}_${process.pid}`
  const bus = (): DirectMessagesBus => kind === 'postgres'
    ? postgresBus({ connectionString: db.url, channel, reconnectDelay: 100 })
    : redisBus({ url: REDIS_URL, channel, connectionName: `dm-test-${label}-${process.pid}` })
  const a = await listening(db, { directMessages: { bus: bus() } })
  t.teardown(() => a.app.close())
  const b = await listening(db, { directMessages: { bus: bus() } })
  t.teardown(() => b.app.close())
  return { db, a, b }
}
