/**
 * The buses against real servers: the in-process bus, PostgreSQL LISTEN/NOTIFY (in a database
 * created for this file) and Redis pub/sub. Two bus instances stand for two application
 * instances. Outages are made by killing the buses' connections from the server side, never by
 * stopping a server. On CI (CI=true) an unreachable server fails the file; elsewhere its tests show
 * as skipped.
 */
import t, { type Test } from 'tap'
import pg from 'pg'
import { Redis } from 'ioredis'
import { type BusEvent, type BusHandlers, type DirectMessagesBus, encodeEvent, memoryBus } from '../src/realtime/bus.js'
import { MAX_POSTGRES_PAYLOAD_BYTES, postgresBus } from '../src/realtime/postgres-bus.js'
import { redisBus } from '../src/realtime/redis-bus.js'
import { PG_ADMIN_URL, postgresReachable } from './helpers/databases.js'
import { REDIS_URL, redisReachable } from './helpers/redis.js'

const ON_CI = process.env.CI === 'true'

const EVENTS: BusEvent[] = [
  { type: 'message', id: 1, sender: 2, recipient: 3 },
  { type: 'read', reader: 3, partner: 2, ids: [1, 4, 5], readAt: '2026-01-02T03:04:05.678Z' },
  { type: 'deleted', user: 2, id: 1 }
]

/** A burst of events, to check the order they arrive in. */
function burst (from: number, count: number): BusEvent[] {
  return Array.from({ length: count }, (_, i) => ({ type: 'message', id: from + i, sender: 7, recipient: 8 }))
}

/** Handlers that record what a bus reports. */
interface Recorder extends BusHandlers {
  events: BusEvent[]
  downs: Error[]
  ups: number
}

function recorder (): Recorder {
  const r: Recorder = {
    events: [],
    downs: [],
    ups: 0,
    deliver (event) { r.events.push(event) },
    down (error) { r.downs.push(error) },
    up () { r.ups++ }
  }
  return r
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until `condition` holds, polling; fails with `what` after `ms`. */
async function until (condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(10)
  }
}

/** How long to keep listening after the expected events, to catch duplicates and strays. */
const SETTLE = 150

/** A started bus and what it reported. */
interface Started { bus: DirectMessagesBus, rec: Recorder }

async function startBus (t: Test, bus: DirectMessagesBus): Promise<Started> {
  const rec = recorder()
  await bus.start(rec)
  t.teardown(() => bus.close())
  t.equal(rec.ups, 1, `${bus.name} bus reports up once started`)
  return { bus, rec }
}

/** Publishes `events` from `from` without waiting between them, and expects all of `to` to receive exactly them, in order. */
async function expectDelivery (t: Test, from: Started, to: Started[], events: BusEvent[], label: string): Promise<void> {
  const before = to.map((s) => s.rec.events.length)
  await Promise.all(events.map((event) => from.bus.publish(event)))
  await until(() => to.every((s, i) => s.rec.events.length >= (before[i] as number) + events.length), `${label}: delivery`)
  await sleep(SETTLE)
  to.forEach((s, i) => t.same(s.rec.events.slice(before[i]), events, `${label}: instance ${i + 1} received each event once, in order`))
}

/**
 * What every networked bus must do. `make(channel)` builds a bus on a channel; `rawPublish`
 * sends text straight to a channel, bypassing the bus.
 */
function networkedBusTests (t: Test, make: (channel: string) => DirectMessagesBus, rawPublish: (channel: string, text: string) => Promise<void>, channel: (name: string) => string): void {
  t.test('two instances on one channel both receive every event once, decoded, in publish order', async (t) => {
    const a = await startBus(t, make(channel('one')))
    const b = await startBus(t, make(channel('one')))
    await expectDelivery(t, a, [a, b], EVENTS, 'the three event types from A')
    await expectDelivery(t, b, [a, b], EVENTS, 'the three event types from B')
    await expectDelivery(t, a, [a, b], burst(100, 60), 'a burst from A')
    // Sequential publishes, awaited one by one, arrive in order too.
    const before = b.rec.events.length
    for (const event of burst(200, 10)) await a.bus.publish(event)
    await until(() => b.rec.events.length >= before + 10, 'sequential publishes')
    t.same(b.rec.events.slice(before), burst(200, 10), 'awaited publishes arrive in order')
    t.same([a.rec.downs.length, b.rec.downs.length], [0, 0], 'no down reported')
  })

  t.test('different channels do not see each other\'s events', async (t) => {
    const a = await startBus(t, make(channel('left')))
    const b = await startBus(t, make(channel('left')))
    const c = await startBus(t, make(channel('right')))
    await expectDelivery(t, a, [a, b], EVENTS, 'on the left channel')
    t.same(c.rec.events, [], 'nothing arrived on the right channel')
    await expectDelivery(t, c, [c], EVENTS, 'on the right channel')
    t.equal(a.rec.events.length, EVENTS.length, 'nothing more arrived on the left channel (A)')
    t.equal(b.rec.events.length, EVENTS.length, 'nothing more arrived on the left channel (B)')
  })

  t.test('malformed payloads sent to the channel are ignored and break nothing', async (t) => {
    const name = channel('malformed')
    const a = await startBus(t, make(name))
    const b = await startBus(t, make(name))
    const malformed = [
      'not json',
      '',
      'null',
      '42',
      '[1,2]',
      '{"type":"nope","id":1}',
      '{"type":"message","id":-1,"sender":2,"recipient":3}',
      '{"type":"message","id":1,"sender":"not an id","recipient":3}',
      '{"type":"message","id":"1","sender":2,"recipient":3}',
      '{"type":"read","reader":1,"partner":2,"ids":[0],"readAt":"x"}',
      '{"type":"deleted","user":1}',
      '{"type":"message","id":1,"sender":2,'
    ]
    for (const text of malformed) await rawPublish(name, text)
    // A well-formed event sent the same raw way: it arrives after the malformed ones were dropped.
    const sentinel: BusEvent = { type: 'deleted', user: 9, id: 99 }
    await rawPublish(name, encodeEvent(sentinel))
    await until(() => a.rec.events.length >= 1 && b.rec.events.length >= 1, 'the well-formed raw event')
    await sleep(SETTLE)
    t.same(a.rec.events, [sentinel], 'A received only the well-formed event')
    t.same(b.rec.events, [sentinel], 'B received only the well-formed event')
    await expectDelivery(t, a, [a, b], EVENTS, 'after the malformed payloads')
    t.same([a.rec.downs.length, b.rec.downs.length], [0, 0], 'no down reported')
  })

  t.test('close: publish then rejects, close again is harmless, nothing more is delivered', async (t) => {
    const name = channel('close')
    const a = await startBus(t, make(name))
    const b = await startBus(t, make(name))
    await a.bus.close()
    await a.bus.close()
    await t.rejects(a.bus.publish(EVENTS[0] as BusEvent), /closed/, 'publish after close rejects')
    await expectDelivery(t, b, [b], EVENTS, 'the other instance still works')
    t.same(a.rec.events, [], 'the closed instance received nothing')
    t.same(a.rec.downs, [], 'closing is not reported as down')
  })
}

t.test('memory bus', async (t) => {
  t.test('delivers every event type to itself, once, in publish order, never synchronously', async (t) => {
    const a = await startBus(t, memoryBus())
    const event = EVENTS[0] as BusEvent
    const publishing = a.bus.publish(event)
    t.same(a.rec.events, [], 'not delivered inside publish')
    await publishing
    await expectDelivery(t, a, [a], EVENTS, 'the three event types')
    await expectDelivery(t, a, [a], burst(100, 60), 'a burst')
  })

  t.test('two memory buses are separate, as two processes would be', async (t) => {
    const a = await startBus(t, memoryBus())
    const b = await startBus(t, memoryBus())
    await expectDelivery(t, a, [a], EVENTS, 'on A')
    t.same(b.rec.events, [], 'B received nothing')
  })

  t.test('close: publish then resolves and does nothing; close again is harmless', async (t) => {
    const a = await startBus(t, memoryBus())
    await a.bus.close()
    await a.bus.close()
    await a.bus.publish(EVENTS[0] as BusEvent)
    await sleep(20)
    t.same(a.rec.events, [], 'nothing delivered after close')
  })
})

t.test('postgres bus', async (t) => {
  if (!(await postgresReachable())) {
    if (ON_CI) throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is unreachable; on CI the bus tests must run`)
    t.test('postgres bus', { skip: `PostgreSQL at ${PG_ADMIN_URL} is unreachable (set DM_TEST_PG_URL)` }, async () => {})
    return
  }
  // A database of this file's own: killing its connections touches no other test's.
  const database = `dm_test_bus_${process.pid}`
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  admin.on('error', () => {})
  await admin.connect()
  t.teardown(async () => {
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`).catch(() => {})
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.end()
  })
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${database}`)
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${database}`
  const raw = new pg.Pool({ connectionString: url.toString(), max: 1 })
  raw.on('error', () => {})
  t.teardown(() => raw.end())
  // The buses' connections are told apart by name (set in the URL, it wins over PGAPPNAME).
  const APP = 'dm-test-bus'
  url.searchParams.set('application_name', APP)
  const connectionString = url.toString()

  const make = (channel: string): DirectMessagesBus => postgresBus({ connectionString, channel, reconnectDelay: 20, maxReconnectDelay: 200 })
  const rawPublish = async (channel: string, text: string): Promise<void> => { await raw.query('SELECT pg_notify($1, $2)', [channel, text]) }
  /** Ends every connection the buses hold to the test database (the admin client is on another one). */
  const killBusConnections = async (): Promise<number> => {
    const { rows } = await admin.query('SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [database, APP])
    return rows.filter((row) => row.killed === true).length
  }

  t.test('options are checked when the bus is made', async (t) => {
    for (const channel of ['Upper', 'with-dash', '9starts_with_digit', '', 'x'.repeat(64), 'quote"d']) {
      t.throws(() => postgresBus({ connectionString, channel }), TypeError, `channel ${JSON.stringify(channel)} is refused`)
    }
    t.throws(() => postgresBus({ connectionString: '' }), TypeError, 'an empty connection string is refused')
    t.doesNotThrow(() => postgresBus({ connectionString, channel: '_a' + 'b'.repeat(61) }), 'a 63-character channel is accepted')
  })

  t.test('start rejects when the first connection fails, and leaves nothing running', async (t) => {
    const bus = postgresBus({ connectionString: 'postgresql://postgres@127.0.0.1:1/postgres', reconnectDelay: 10 })
    const rec = recorder()
    await t.rejects(bus.start(rec), 'start rejects')
    await sleep(100)
    t.same([rec.ups, rec.downs.length], [0, 0], 'neither up nor down reported')
    await t.rejects(bus.publish(EVENTS[0] as BusEvent), /down/, 'publish rejects')
    await bus.close()
  })

  networkedBusTests(t, make, rawPublish, (name) => `dm_bus_${name}`)

  t.test('an event over the NOTIFY size limit is rejected by publish, and nothing is sent', async (t) => {
    const a = await startBus(t, make('dm_bus_big'))
    const ids = Array.from({ length: 1500 }, (_, i) => 1_000_000 + i)
    const big: BusEvent = { type: 'read', reader: 1, partner: 2, ids, readAt: '2026-01-02T03:04:05.678Z' }
    t.ok(Buffer.byteLength(encodeEvent(big)) > MAX_POSTGRES_PAYLOAD_BYTES, 'the event is oversized')
    await t.rejects(a.bus.publish(big), /NOTIFY limit/, 'publish rejects')
    await expectDelivery(t, a, [a], EVENTS, 'afterwards')
  })

  t.test('a killed connection is reported down once, retried with backoff, and up again', async (t) => {
    const name = 'dm_bus_outage'
    const a = await startBus(t, make(name))
    const b = await startBus(t, make(name))
    await expectDelivery(t, a, [a, b], EVENTS, 'before the outage')

    // The outage lasts: connections to the database are refused for a while, so that several
    // reconnection attempts fail before one succeeds.
    const publishesWhileDown: Array<Promise<string>> = []
    a.rec.down = (error) => {
      a.rec.downs.push(error)
      publishesWhileDown.push(a.bus.publish(EVENTS[0] as BusEvent).then(() => 'resolved', (error: Error) => `rejected: ${error.message}`))
    }
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`)
    t.equal(await killBusConnections(), 2, 'both buses\' connections were terminated')
    await until(() => a.rec.downs.length === 1 && b.rec.downs.length === 1, 'down on both instances')
    t.ok(a.rec.downs[0] instanceof Error, 'down is reported with an error')
    t.equal(publishesWhileDown.length, 1, 'a publish was tried while down')
    t.match(await publishesWhileDown[0], /^rejected: .*down/, 'publish while down rejects')
    await sleep(600) // reconnection attempts fail meanwhile: 20, 40, 80, 160, 200 ms...
    t.same([a.rec.ups, b.rec.ups], [1, 1], 'not up while connections are refused')
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`)
    await until(() => a.rec.ups === 2 && b.rec.ups === 2, 'up again on both instances', 5000)
    t.same([a.rec.downs.length, b.rec.downs.length], [1, 1], 'down was reported once per outage, despite the failed attempts')
    t.same([a.rec.events.length, b.rec.events.length], [EVENTS.length, EVENTS.length], 'nothing delivered during the outage')
    await expectDelivery(t, a, [a, b], EVENTS, 'after recovery, from A')
    await expectDelivery(t, b, [a, b], burst(300, 20), 'after recovery, from B')

    // A second, short outage (no refusal): the backoff starts over from reconnectDelay.
    const started = Date.now()
    t.equal(await killBusConnections(), 2, 'killed again')
    await until(() => a.rec.ups === 3 && b.rec.ups === 3, 'up after the second outage', 5000)
    t.ok(Date.now() - started < 1000, 'the second recovery was quick (the backoff was reset)')
    t.same([a.rec.downs.length, b.rec.downs.length], [2, 2], 'down reported once for the second outage')
    await expectDelivery(t, a, [a, b], EVENTS, 'after the second recovery')
  })

  t.test('close during an outage stops the reconnection attempts', async (t) => {
    const name = 'dm_bus_close_down'
    const a = await startBus(t, make(name))
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`)
    t.teardown(() => admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`))
    t.equal(await killBusConnections(), 1, 'the connection was terminated')
    await until(() => a.rec.downs.length === 1, 'down')
    await sleep(100)
    await a.bus.close()
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`)
    await sleep(400)
    t.equal(a.rec.ups, 1, 'not up again after close')
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [database, APP])
    t.equal(rows[0].n, 0, 'no connection left to the database')
    await t.rejects(a.bus.publish(EVENTS[0] as BusEvent), /closed/, 'publish after close rejects')
  })
})

t.test('redis bus', async (t) => {
  if (!(await redisReachable())) {
    if (ON_CI) throw new Error(`Redis at ${REDIS_URL} is unreachable; on CI the bus tests must run`)
    t.test('redis bus', { skip: `Redis at ${REDIS_URL} is unreachable (set REDIS_URL)` }, async () => {})
    return
  }
  const raw = new Redis(REDIS_URL)
  raw.on('error', () => {})
  t.teardown(() => raw.quit())
  const prefix = `dm-test-bus-${process.pid}`
  let n = 0
  const make = (channel: string): DirectMessagesBus => redisBus({ url: REDIS_URL, channel, connectionName: `${prefix}-${++n}` })
  const rawPublish = async (channel: string, text: string): Promise<void> => { await raw.publish(channel, text) }
  /** The ids of this file's bus connections in CLIENT LIST whose name ends with `role`. */
  const clientIds = async (role: 'publisher' | 'subscriber'): Promise<string[]> => {
    const list = await raw.client('LIST') as string
    return list.split('\n')
      .map((line) => ({ id: /(?:^| )id=(\d+)/.exec(line)?.[1], name: /(?:^| )name=(\S*)/.exec(line)?.[1] }))
      .filter((c) => c.name !== undefined && c.name.startsWith(`${prefix}-`) && c.name.endsWith(`-${role}`))
      .map((c) => c.id as string)
  }

  t.test('start rejects when the server is unreachable, and leaves nothing running', async (t) => {
    const bus = redisBus({ url: 'redis://127.0.0.1:1' })
    const rec = recorder()
    await t.rejects(bus.start(rec), /could not connect to redis:\/\/127\.0\.0\.1:1.*ECONNREFUSED/, 'start rejects, saying why')
    await sleep(300)
    t.same([rec.ups, rec.downs.length], [0, 0], 'neither up nor down reported')
    await t.rejects(bus.publish(EVENTS[0] as BusEvent), 'publish rejects')
    await bus.close()
  })

  networkedBusTests(t, make, rawPublish, (name) => `${prefix}:${name}`)

  t.test('killed subscriber connections are reported down once, then up again', async (t) => {
    const name = `${prefix}:outage`
    const a = await startBus(t, make(name))
    const b = await startBus(t, make(name))
    await expectDelivery(t, a, [a, b], EVENTS, 'before the outage')
    // Kills every subscribed connection on the server: only this file uses Redis.
    const killed = await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    t.ok(Number(killed) >= 2, 'the subscribers were killed')
    await until(() => a.rec.downs.length >= 1 && b.rec.downs.length >= 1, 'down on both instances')
    await until(() => a.rec.ups === 2 && b.rec.ups === 2, 'up again on both instances', 5000)
    t.same([a.rec.downs.length, b.rec.downs.length], [1, 1], 'down was reported once')
    t.ok(a.rec.downs[0] instanceof Error, 'down is reported with an error')
    await expectDelivery(t, a, [a, b], EVENTS, 'after recovery, from A')
    await expectDelivery(t, b, [a, b], burst(400, 20), 'after recovery, from B')
    // Subscribed once, not twice: one delivery per event (checked above) and one subscriber each.
    t.equal((await clientIds('subscriber')).length, 2, 'one subscriber connection per instance')
  })

  t.test('a publish while the publisher\'s connection is killed fails fast, then publishing works again', async (t) => {
    const name = `${prefix}:publisher-outage`
    const a = await startBus(t, make(name))
    const b = await startBus(t, make(name))
    await expectDelivery(t, a, [a, b], EVENTS, 'before the outage')
    const ids = await clientIds('publisher')
    t.equal(ids.length, 2, 'two publisher connections found by name')
    for (const id of ids) await raw.client('KILL', 'ID', id)
    // Right after the kill: the publish rejects (connection lost or not connected yet), well
    // within 2 s. It never waits for the reconnection.
    const started = Date.now()
    const outcome = await a.bus.publish(EVENTS[0] as BusEvent).then(() => 'resolved', (error: Error) => `rejected: ${error.message}`)
    const elapsed = Date.now() - started
    t.ok(elapsed < 2500, `the publish settled in ${elapsed} ms`)
    t.match(outcome, /^rejected: /, 'the publish during the outage rejected')
    t.comment(`publish during the publisher outage: ${outcome} (${elapsed} ms)`)
    // ioredis reconnects by itself; a publish issued meanwhile fails at once, never queues.
    let attempts = 0
    for (;;) {
      attempts++
      try {
        await a.bus.publish({ type: 'deleted', user: 5, id: 5 })
        break
      } catch (error) {
        if (attempts > 200) throw error
        await sleep(10)
      }
    }
    await until(() => b.rec.events.some((e) => e.type === 'deleted' && e.user === 5), 'the first publish after recovery')
    t.same([a.rec.downs.length, b.rec.downs.length], [0, 0], 'a publisher outage is not reported as down')
    await expectDelivery(t, a, [a, b], EVENTS, 'after the publisher reconnected')
  })
})
