/**
 * The buses against real servers: the in-process bus, PostgreSQL LISTEN/NOTIFY (in a database
 * created for this file) and Redis pub/sub. Each goes through the conformance kit every bus must
 * pass (`runBusTests` of fastify-directmessages/testing: delivery to every instance, the publisher
 * included, exactly once and in order; the largest events; channels apart; malformed payloads
 * dropped; down and up when the connections are killed from the server side; a failed start; close
 * releasing everything), then through what is particular to it, beside. Two bus instances stand for
 * two application instances. Outages are made by killing the buses' connections from the server
 * side, never by stopping a server. On CI (CI=true) an unreachable server fails the file; elsewhere
 * its tests show as skipped.
 */
import assert from 'node:assert/strict'
import { connect, createServer, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import pg from 'pg'
import { Redis } from 'ioredis'
import { runBusTests } from '../../src/testing/index.js'
import { type BusEvent, type BusHandlers, type DirectMessagesBus, encodeEvent, memoryBus } from '../../src/realtime/bus.js'
import { MAX_POSTGRES_PAYLOAD_BYTES, postgresBus } from '../../src/realtime/postgres-bus.js'
import { redisBus } from '../../src/realtime/redis-bus.js'
import { PG_ADMIN_URL, postgresReachable } from '../helpers/databases.js'
import { REDIS_URL, redisReachable } from '../helpers/redis.js'
import { eventually } from '../helpers/wait.js'

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

/** A started bus and what it reported. */
interface Started { bus: DirectMessagesBus, rec: Recorder }

async function startBus (t: Test, bus: DirectMessagesBus): Promise<Started> {
  const rec = recorder()
  await bus.start(rec)
  t.teardown(() => bus.close())
  t.equal(rec.ups, 1, `${bus.name} bus reports up once started`)
  return { bus, rec }
}

let markers = 0

/**
 * Publishes `events` from `from` without waiting between them, then a marker, and expects all of
 * `to` to receive exactly them, in order. Each publisher's events arrive in its order: once the
 * marker has arrived, so has everything before it, a duplicate or a stray included.
 */
async function expectDelivery (t: Test, from: Started, to: Started[], events: BusEvent[], label: string): Promise<void> {
  const before = to.map((s) => s.rec.events.length)
  await Promise.all(events.map((event) => from.bus.publish(event)))
  const marker: BusEvent = { type: 'deleted', user: 999_999, id: 1_000_000 + ++markers }
  await from.bus.publish(marker)
  await eventually(`${label}: delivery`, () => to.every((s) => s.rec.events.some((event) => JSON.stringify(event) === JSON.stringify(marker))))
  to.forEach((s, i) => t.same(s.rec.events.slice(before[i]), [...events, marker], `${label}: instance ${i + 1} received each event once, in order`))
}

/**
 * A TCP proxy in front of PostgreSQL that counts the connections it is asked for: each is a bus's
 * connection attempt, which the database may then refuse.
 */
async function countingProxy (t: Test, target: URL): Promise<{ url: (through: URL) => string, connections: () => number }> {
  let connections = 0
  const sockets = new Set<Socket>()
  const track = (socket: Socket): Socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    return socket
  }
  const server = createServer((client) => {
    connections++
    track(client)
    const upstream = track(connect(Number(target.port || 5432), target.hostname))
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  const port = (server.address() as { port: number }).port
  return {
    url (through) {
      const proxied = new URL(through)
      proxied.hostname = '127.0.0.1'
      proxied.port = String(port)
      return proxied.toString()
    },
    connections: () => connections
  }
}

t.test('memory bus', async (t) => {
  runBusTests({ test: (name, fn) => t.test(name, fn), createBus: () => memoryBus(), shared: false })

  t.test('publish after close resolves (the kit checks it delivers nothing)', async (t) => {
    const a = await startBus(t, memoryBus())
    await a.bus.close()
    await a.bus.close()
    await t.resolves(a.bus.publish(EVENTS[0] as BusEvent), 'publish after close resolves')
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

  const make = (channel: string, connection = connectionString): DirectMessagesBus => postgresBus({ connectionString: connection, channel, reconnectDelay: 20, maxReconnectDelay: 200 })
  /** Ends every connection of the buses named `name` to the test database (the admin client is on another one). */
  const killBusConnections = async (name = APP): Promise<number> => {
    const { rows } = await admin.query('SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE $2', [database, `${name}%`])
    return rows.filter((row) => row.killed === true).length
  }
  const openConnections = async (name: string): Promise<number> => {
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [database, name])
    return rows[0].n as number
  }

  runBusTests({
    test: (name, fn) => t.test(name, fn),
    createBus: () => make('dm_bus_kit'),
    createBusOnOtherChannel: () => make('dm_bus_kit_other'),
    publishRaw: async (payload) => { await raw.query('SELECT pg_notify($1, $2)', ['dm_bus_kit', payload]) },
    disconnect: async () => { assert.ok(await killBusConnections() > 0, 'the buses\' connections were terminated') },
    createUnreachableBus: () => postgresBus({ connectionString: 'postgresql://postgres@127.0.0.1:1/postgres', reconnectDelay: 10 }),
    openConnections: () => openConnections(APP)
  })

  t.test('options are checked when the bus is made', async (t) => {
    for (const channel of ['Upper', 'with-dash', '9starts_with_digit', '', 'x'.repeat(64), 'quote"d']) {
      t.throws(() => postgresBus({ connectionString, channel }), TypeError, `channel ${JSON.stringify(channel)} is refused`)
    }
    t.throws(() => postgresBus({ connectionString: '' }), TypeError, 'an empty connection string is refused')
    t.doesNotThrow(() => postgresBus({ connectionString, channel: '_a' + 'b'.repeat(61) }), 'a 63-character channel is accepted')
  })

  t.test('a conversation delete as instances of an earlier version spell it is read as this version spells it', async (t) => {
    // A cluster being upgraded runs both: the earlier spelling still wakes this version's streams.
    const a = await startBus(t, make('dm_bus_upgrade'))
    await raw.query('SELECT pg_notify($1, $2)', ['dm_bus_upgrade', JSON.stringify({ type: 'conversation-deleted', user: 2, partner: 3 })])
    await eventually('the earlier spelling delivered', () => a.rec.events.length > 0)
    t.same(a.rec.events, [{ type: 'conversation_deleted', user: 2, partner: 3 }])
  })

  t.test('publish after close rejects', async (t) => {
    const a = await startBus(t, make('dm_bus_close'))
    await a.bus.close()
    await t.rejects(a.bus.publish(EVENTS[0] as BusEvent), /closed/, 'publish after close rejects')
  })

  t.test('an event over the NOTIFY size limit is rejected by publish, and nothing is sent', async (t) => {
    const a = await startBus(t, make('dm_bus_big'))
    const ids = Array.from({ length: 1500 }, (_, i) => 1_000_000 + i)
    const big: BusEvent = { type: 'read', reader: 1, partner: 2, ids, readAt: '2026-01-02T03:04:05.678Z' }
    t.ok(Buffer.byteLength(encodeEvent(big)) > MAX_POSTGRES_PAYLOAD_BYTES, 'the event is oversized')
    await t.rejects(a.bus.publish(big), /NOTIFY limit/, 'publish rejects')
    await expectDelivery(t, a, [a], EVENTS, 'afterwards')
  })

  t.test('connections refused for a while: publish rejects while down, down is reported once, then up again with the backoff reset', async (t) => {
    // Each reconnection attempt goes through a proxy that counts it; the database refuses it.
    const proxy = await countingProxy(t, new URL(PG_ADMIN_URL))
    const proxied = proxy.url(new URL(connectionString))
    const name = 'dm_bus_outage'
    const a = await startBus(t, make(name, proxied))
    const b = await startBus(t, make(name, proxied))
    await expectDelivery(t, a, [a, b], EVENTS, 'before the outage')

    // The outage lasts: connections to the database are refused for a while, so that several
    // reconnection attempts fail before one succeeds.
    const publishesWhileDown: Array<Promise<string>> = []
    a.rec.down = (error) => {
      a.rec.downs.push(error)
      publishesWhileDown.push(a.bus.publish(EVENTS[0] as BusEvent).then(() => 'resolved', (error: Error) => `rejected: ${error.message}`))
    }
    const delivered = [a.rec.events.length, b.rec.events.length]
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`)
    t.equal(await killBusConnections(), 2, 'both buses\' connections were terminated')
    await eventually('down on both instances', () => a.rec.downs.length === 1 && b.rec.downs.length === 1)
    t.ok(a.rec.downs[0] instanceof Error, 'down is reported with an error')
    t.equal(publishesWhileDown.length, 1, 'a publish was tried while down')
    t.match(await publishesWhileDown[0], /^rejected: .*down/, 'publish while down rejects')
    // Three refused attempts per bus (20, 40, 80 ms apart...): counted by the proxy, not waited for.
    const attempts = proxy.connections()
    await eventually('three refused reconnection attempts per bus', () => proxy.connections() >= attempts + 6)
    t.same([a.rec.ups, b.rec.ups], [1, 1], 'not up while connections are refused')
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`)
    await eventually('up again on both instances', () => a.rec.ups === 2 && b.rec.ups === 2)
    t.same([a.rec.downs.length, b.rec.downs.length], [1, 1], 'down was reported once per outage, despite the failed attempts')
    t.same([a.rec.events.length, b.rec.events.length], delivered, 'nothing delivered during the outage')
    await expectDelivery(t, a, [a, b], EVENTS, 'after recovery, from A')
    await expectDelivery(t, b, [a, b], burst(300, 20), 'after recovery, from B')

    // A second, short outage (no refusal): the backoff starts over from reconnectDelay.
    const started = Date.now()
    t.equal(await killBusConnections(), 2, 'killed again')
    await eventually('up after the second outage', () => a.rec.ups === 3 && b.rec.ups === 3)
    t.ok(Date.now() - started < 1000, 'the second recovery was quick (the backoff was reset)')
    t.same([a.rec.downs.length, b.rec.downs.length], [2, 2], 'down reported once for the second outage')
    await expectDelivery(t, a, [a, b], EVENTS, 'after the second recovery')
  })

  t.test('close during an outage stops the reconnection attempts', async (t) => {
    const proxy = await countingProxy(t, new URL(PG_ADMIN_URL))
    // The bus closed during the outage, and a twin on the same backoff that stays open: once the
    // twin is back, the closed bus's own next attempt, due at the same time, would have been made.
    const closedName = `${APP}-closed`
    const closedUrl = new URL(connectionString)
    closedUrl.searchParams.set('application_name', closedName)
    const name = 'dm_bus_close_down'
    const a = await startBus(t, make(name, proxy.url(closedUrl)))
    const twin = await startBus(t, make(name, proxy.url(new URL(connectionString))))
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`)
    t.teardown(() => admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`))
    t.equal(await killBusConnections(), 2, 'the connection of the bus to close was terminated, and its twin\'s')
    await eventually('down', () => a.rec.downs.length === 1 && twin.rec.downs.length === 1)
    // Reconnection attempts are under way (refused by the database) when the bus is closed.
    const attempts = proxy.connections()
    await eventually('a refused reconnection attempt per bus', () => proxy.connections() >= attempts + 2)
    await a.bus.close()
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`)
    await eventually('the twin up again', () => twin.rec.ups === 2)
    t.equal(a.rec.ups, 1, 'not up again after close')
    t.equal(await openConnections(closedName), 0, 'no connection left to the database')
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
  /** The ids of this file's bus connections in CLIENT LIST whose name ends with `role`. */
  const clientIds = async (role: 'publisher' | 'subscriber'): Promise<string[]> => {
    const list = await raw.client('LIST') as string
    return list.split('\n')
      .map((line) => ({ id: /(?:^| )id=(\d+)/.exec(line)?.[1], name: /(?:^| )name=(\S*)/.exec(line)?.[1] }))
      .filter((c) => c.name !== undefined && c.name.startsWith(`${prefix}-`) && c.name.endsWith(`-${role}`))
      .map((c) => c.id as string)
  }
  /** Kills this file's subscriber connections (other files' buses on the same server are left alone). */
  const killSubscribers = async (): Promise<number> => {
    const ids = await clientIds('subscriber')
    for (const id of ids) await raw.client('KILL', 'ID', id)
    return ids.length
  }

  runBusTests({
    test: (name, fn) => t.test(name, fn),
    createBus: () => make(`${prefix}:kit`),
    createBusOnOtherChannel: () => make(`${prefix}:kit-other`),
    publishRaw: async (payload) => { await raw.publish(`${prefix}:kit`, payload) },
    disconnect: async () => { assert.ok(await killSubscribers() >= 2, 'the subscribers were killed') },
    createUnreachableBus: () => redisBus({ url: 'redis://127.0.0.1:1' }),
    openConnections: async () => (await clientIds('subscriber')).length + (await clientIds('publisher')).length
  })

  t.test('start rejects when the server is unreachable, saying why', async (t) => {
    const bus = redisBus({ url: 'redis://127.0.0.1:1' })
    const rec = recorder()
    await t.rejects(bus.start(rec), /could not connect to redis:\/\/127\.0\.0\.1:1.*ECONNREFUSED/, 'start rejects, saying why')
    t.same([rec.ups, rec.downs.length], [0, 0], 'neither up nor down reported')
    await t.rejects(bus.publish(EVENTS[0] as BusEvent), 'publish rejects')
    await bus.close()
  })

  t.test('publish after close rejects', async (t) => {
    const a = await startBus(t, make(`${prefix}:close`))
    await a.bus.close()
    await t.rejects(a.bus.publish(EVENTS[0] as BusEvent), /closed/, 'publish after close rejects')
  })

  t.test('killed subscriber connections come back as one subscriber connection per instance', async (t) => {
    const name = `${prefix}:outage`
    const a = await startBus(t, make(name))
    const b = await startBus(t, make(name))
    await expectDelivery(t, a, [a, b], EVENTS, 'before the outage')
    t.ok(await killSubscribers() >= 2, 'the subscribers were killed')
    await eventually('down on both instances', () => a.rec.downs.length >= 1 && b.rec.downs.length >= 1)
    await eventually('up again on both instances', () => a.rec.ups === 2 && b.rec.ups === 2)
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
    // ioredis reconnects by itself; a publish issued meanwhile fails at once, never queues: try
    // again until one goes through.
    await eventually('a publish after the publisher reconnected', () => a.bus.publish({ type: 'deleted', user: 5, id: 5 }).then(() => true))
    await eventually('the first publish after recovery', () => b.rec.events.some((e) => e.type === 'deleted' && e.user === 5))
    t.same([a.rec.downs.length, b.rec.downs.length], [0, 0], 'a publisher outage is not reported as down')
    await expectDelivery(t, a, [a, b], EVENTS, 'after the publisher reconnected')
  })
})
