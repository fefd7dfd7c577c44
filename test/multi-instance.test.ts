// Two instances of the application on one PostgreSQL database, as behind a load balancer: a stream
// on one instance receives, within a second, what happens through the other, over the PostgreSQL
// LISTEN/NOTIFY bus and over the Redis bus. Resume crosses instances too, and a bus outage closes
// the streams (503 until the bus is back) rather than letting them go silent.
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import t from 'tap'
import { postgresBus, redisBus, type DirectMessagesBus } from '../src/index.js'
import { openDatabase, PG_ADMIN_URL, postgresReachable, type TestDatabase } from './helpers/databases.js'
import { REDIS_URL, redisReachable } from './helpers/redis.js'
import { as, createUsers, send, startApp, type MessageJson } from './helpers/app.js'
import { skipUnless } from './helpers/instances.js'
import { openStream, type SseFrame } from './helpers/sse.js'

const messages = (frames: SseFrame[]): MessageJson[] => frames.filter((f) => f.event === 'message').map((f) => f.data as MessageJson)

async function instance (db: TestDatabase, bus: DirectMessagesBus): Promise<{ app: FastifyInstance, base: string }> {
  const app = await startApp(db, { directMessages: { bus } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

for (const kind of ['postgres', 'redis'] as const) {
  t.test(`two instances over the ${kind} bus`, async (t) => {
    if (await skipUnless(t, await postgresReachable(), `PostgreSQL at ${PG_ADMIN_URL}`)) return
    if (kind === 'redis' && await skipUnless(t, await redisReachable(), `Redis at ${REDIS_URL}`)) return
    const db = await openDatabase('postgresql', `multi_${kind}`)
    t.teardown(() => db.close())
    // A channel of this test's own, so that parallel test files never hear each other.
    const channel = `dm_test_${kind}_${process.pid}`
    const makeBus = (): DirectMessagesBus => kind === 'postgres'
      ? postgresBus({ connectionString: db.url, channel, reconnectDelay: 100 })
      : redisBus({ url: REDIS_URL, channel, connectionName: `dm-test-${process.pid}` })
    const a = await instance(db, makeBus())
    t.teardown(() => a.app.close())
    const b = await instance(db, makeBus())
    t.teardown(() => b.app.close())
    const [alice, bob, carol] = await createUsers(a.app, 'alice', 'bob', 'carol')
    if (alice === undefined || bob === undefined || carol === undefined) throw new Error('users')

    await t.test('a message sent through A reaches a stream on B within a second', async (t) => {
      const bobOnB = await openStream(b.base, '/api/dm/events/', bob.headers)
      t.teardown(() => bobOnB.close())
      const carolOnB = await openStream(b.base, '/api/dm/events/', carol.headers)
      t.teardown(() => carolOnB.close())
      const aliceOnA = await openStream(a.base, '/api/dm/events/', alice.headers)
      t.teardown(() => aliceOnA.close())
      const started = Date.now()
      const sent = await send(a.app, alice, bob, 'across instances')
      const [received] = messages(await bobOnB.until((f) => messages(f).length === 1, 1000))
      t.ok(Date.now() - started < 1000, `in ${Date.now() - started} ms`)
      t.same(received, { ...sent, direction: 'in' })
      t.equal(messages(await aliceOnA.until((f) => messages(f).length === 1, 1000))[0]?.id, sent.id, 'and the sender\'s own stream on A')

      await send(b.app, bob, alice, 'and back')
      await aliceOnA.until((f) => messages(f).length === 2, 1000)
      await bobOnB.until((f) => messages(f).length === 2, 1000)
      await new Promise((resolve) => setTimeout(resolve, 200))
      t.same(messages(bobOnB.frames).map((m) => m.content), ['across instances', 'and back'], 'exactly once each on B')
      t.same(carolOnB.frames.filter((frame) => frame.event !== 'presence'), [], 'a stream never shows another user\'s messages')
      t.same(messages(aliceOnA.frames).length, 2, 'no duplicates on A')
    })

    await t.test('the read receipt reaches the sender on the other instance', async (t) => {
      const aliceOnB = await openStream(b.base, '/api/dm/events/', alice.headers)
      t.teardown(() => aliceOnB.close())
      const sent = await send(a.app, alice, carol, 'did you read this?')
      const read = await as(a.app, carol, { method: 'GET', url: `/api/dm/conversations/${alice.id}/` })
      t.equal(read.statusCode, 200)
      const frames = await aliceOnB.until((f) => f.some((frame) => frame.event === 'read'), 1000)
      t.match(frames.find((frame) => frame.event === 'read')?.data, { partner: carol.id, ids: [sent.id], read_at: String })
    })

    await t.test('resume on A delivers exactly once what was sent through B while away', async (t) => {
      const first = await openStream(a.base, '/api/dm/events/', bob.headers)
      const seen = await send(b.app, carol, bob, 'before the drop')
      await first.until((f) => messages(f).some((m) => m.id === seen.id))
      first.close()
      const missed = []
      for (let i = 0; i < 5; i++) missed.push(await send(b.app, i % 2 === 0 ? alice : carol, bob, `while away ${i}`))
      const resumed = await openStream(a.base, '/api/dm/events/', { ...bob.headers, 'last-event-id': first.lastEventId as string })
      t.teardown(() => resumed.close())
      await resumed.until((f) => messages(f).length === missed.length)
      const live = await send(b.app, alice, bob, 'live after resume')
      const frames = await resumed.until((f) => messages(f).length === missed.length + 1, 1000)
      t.same(messages(frames).map((m) => m.id), [...missed.map((m) => m.id), live.id], 'each missed message once, in order, then live')
    })

    await t.test('concurrent sends to one user through both instances: streamed in id order, each once; resume from any point misses nothing', async (t) => {
      const stream = await openStream(b.base, '/api/dm/events/', carol.headers)
      t.teardown(() => stream.close())
      const before = (await db.sql<{ id: string }>('SELECT COALESCE(MAX(id), 0) AS id FROM dm_message'))[0]?.id
      const senders = [alice, bob]
      const results = await Promise.all(Array.from({ length: 60 }, async (_, i) => {
        const via = i % 2 === 0 ? a.app : b.app
        return await send(via, senders[i % 2] as typeof alice, carol, `burst ${i}`)
      }))
      const ids = results.map((m) => m.id).sort((x, y) => x - y)
      const frames = await stream.until((f) => messages(f).length >= 60, 5000)
      const streamed = messages(frames).map((m) => m.id)
      t.same(streamed, ids, 'all 60, each once, in increasing id order')
      t.ok(ids.every((id) => id > Number(before)), 'only the new ones')
      // The SSE id each message came with (a change id), to resume after.
      const changeOf = new Map(frames.filter((f) => f.event === 'message').map((f) => [(f.data as { id: number }).id, f.id as string]))
      for (const cut of [ids[9], ids[29], ids[58]] as number[]) {
        const resumed = await openStream(a.base, '/api/dm/events/', { ...carol.headers, 'last-event-id': changeOf.get(cut) as string })
        const expected = ids.filter((id) => id > cut)
        const replayed = messages(await resumed.until((f) => messages(f).length >= expected.length, 3000)).map((m) => m.id)
        await new Promise((resolve) => setTimeout(resolve, 100))
        resumed.close()
        t.same(replayed, expected, `resuming after ${cut}: exactly the ${expected.length} after it`)
      }
    })

    if (kind === 'postgres') {
      await t.test('a bus outage closes the streams; new ones get 503 until the bus is back, then delivery resumes', async (t) => {
        const stream = await openStream(b.base, '/api/dm/events/', bob.headers)
        const admin = new pg.Client({ connectionString: db.url })
        await admin.connect()
        t.teardown(() => admin.end())
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'directmessages-bus' AND datname = current_database()")
        await t.resolves(Promise.race([stream.ended, new Promise((resolve, reject) => setTimeout(() => reject(new Error('the stream stayed open')), 3000))]), 'open streams are closed')
        let status = 0
        const deadline = Date.now() + 5000
        const statuses: number[] = []
        while (Date.now() < deadline) {
          const res = await b.app.inject({ method: 'GET', url: '/api/dm/events/?last_event_id=1', headers: { ...bob.headers, accept: 'text/event-stream' }, payloadAsStream: true })
          status = res.statusCode
          statuses.push(status)
          res.stream().destroy()
          if (status === 200) break
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        t.ok(statuses.every((s) => s === 503 || s === 200), `only 503 then 200: ${[...new Set(statuses)].join(', ')}`)
        t.equal(status, 200, 'the bus came back by itself')
        const again = await openStream(b.base, '/api/dm/events/', bob.headers)
        t.teardown(() => again.close())
        const sent = await send(a.app, alice, bob, 'after the outage')
        t.equal(messages(await again.until((f) => messages(f).length === 1, 2000))[0]?.id, sent.id, 'delivery across instances works again')
      })
    }
  })
}
