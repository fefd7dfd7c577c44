// Two instances of the application on one PostgreSQL database, as behind a load balancer: a stream
// on one instance receives, within a second, what happens through the other, over the PostgreSQL
// LISTEN/NOTIFY bus and over the Redis bus. Resume crosses instances too, and a bus outage closes
// the streams (503 until the bus is back) rather than letting them go silent.
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import t from 'tap'
import { postgresBus, redisBus, type DirectMessagesBus } from '../../src/index.js'
import { MYSQL_ADMIN_URL, mysqlReachable, openDatabase, PG_ADMIN_URL, postgresReachable, type TestDatabase } from '../helpers/databases.js'
import { REDIS_URL, redisReachable } from '../helpers/redis.js'
import { as, createUsers, pathOf, send, startApp, type MessageJson, type PageJson, type RichMessageJson, type TestUser } from '../helpers/app.js'
import { skipUnless, twoInstances, type Listening } from '../helpers/instances.js'
import { framesBefore, openStream, type SseFrame, type SseStream } from '../helpers/sse.js'
import { eventually, turns, within } from '../helpers/wait.js'
import { prng, StreamCopy } from '../helpers/stream-copy.js'

const messages = (frames: SseFrame[]): MessageJson[] => frames.filter((f) => f.event === 'message').map((f) => f.data as MessageJson)

async function instance (db: TestDatabase, bus: DirectMessagesBus): Promise<{ app: FastifyInstance, base: string }> {
  const app = await startApp(db, { directMessages: { bus } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

// The PostgreSQL bus needs PostgreSQL; the Redis bus runs beside any database (MySQL hosts use it).
for (const [kind, provider] of [['postgres', 'postgresql'], ['redis', 'postgresql'], ['redis', 'mysql']] as const) {
  t.test(`two instances over the ${kind} bus${provider === 'mysql' ? ', on MariaDB' : ''}`, async (t) => {
    if (provider === 'postgresql' && await skipUnless(t, await postgresReachable(), `PostgreSQL at ${PG_ADMIN_URL}`)) return
    if (provider === 'mysql' && await skipUnless(t, await mysqlReachable(), `MySQL/MariaDB at ${MYSQL_ADMIN_URL}`)) return
    if (kind === 'redis' && await skipUnless(t, await redisReachable(), `Redis at ${REDIS_URL}`)) return
    const db = await openDatabase(provider, `multi_${kind}`)
    t.teardown(() => db.close())
    // A channel of this test's own, so that parallel test files never hear each other.
    const channel = `dm_test_${kind}_${provider}_${process.pid}`
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
      // A message to each stream's user, sent afterwards: once it has arrived, a duplicate or a
      // stray frame of the messages before would have arrived before it.
      const markers = [await send(b.app, bob, alice, 'marker for alice'), await send(a.app, alice, bob, 'marker for bob'), await send(a.app, bob, carol, 'marker for carol')]
      const [forAlice, forBob, forCarol] = markers as [MessageJson, MessageJson, MessageJson]
      const isMarker = (frame: SseFrame): boolean => frame.event === 'message' && markers.some((m) => m.id === (frame.data as MessageJson).id)
      const before = async (stream: SseStream, marker: MessageJson): Promise<SseFrame[]> => (await framesBefore(stream, marker.id)).filter((frame) => !isMarker(frame))
      t.same(messages(await before(bobOnB, forBob)).map((m) => m.content), ['across instances', 'and back'], 'exactly once each on B')
      t.same((await before(carolOnB, forCarol)).filter((frame) => frame.event !== 'presence'), [], 'a stream never shows another user\'s messages')
      t.same(messages(await before(aliceOnA, forAlice)).length, 2, 'no duplicates on A')
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
      // After each replay, a message to carol: once it has arrived live, the replay is complete, a
      // duplicate included. (The markers of earlier resumes come after the cuts too: left out.)
      const markers: number[] = []
      for (const cut of [ids[9], ids[29], ids[58]] as number[]) {
        const resumed = await openStream(a.base, '/api/dm/events/', { ...carol.headers, 'last-event-id': changeOf.get(cut) as string })
        const expected = ids.filter((id) => id > cut)
        await resumed.until((f) => messages(f).length >= expected.length + markers.length, 3000)
        const marker = await send(a.app, alice, carol, `after resuming from ${cut}`)
        markers.push(marker.id)
        const replayed = messages(await framesBefore(resumed, marker.id)).map((m) => m.id).filter((id) => !markers.includes(id))
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
        await t.resolves(within('the stream closed', stream.ended, 3000), 'open streams are closed')
        let status = 0
        const statuses: number[] = []
        await eventually('a stream accepted again', async () => {
          const res = await b.app.inject({ method: 'GET', url: '/api/dm/events/?last_event_id=1', headers: { ...bob.headers, accept: 'text/event-stream' }, payloadAsStream: true })
          status = res.statusCode
          statuses.push(status)
          res.stream().destroy()
          return status === 200
        }).catch(() => {})
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

// ---------------------------------------------------------------------------------------------
// Concurrent commands of every kind, through both instances: each user's stream still gives their
// changes in commit order (SSE ids strictly increasing), each message once, and the copy a client
// builds from its stream alone equals what the routes answer, field for field.
//
// Replay: DM_MULTI_SEED=<seed> reruns the same commands (the interleaving of concurrent ones is the
// database's and the event loop's, not the seed's).

/**
 * A user's client: its copy, built from its streams only (applied as guarantees/sync-property.test.ts's Client
 * applies them), across disconnections and resumes with Last-Event-ID.
 */
class ConcurrentClient extends StreamCopy {
  /** Every stream this client opened (for the frame counts). */
  readonly streams: SseStream[] = []
  /** Streams the server ended while this client was following them. */
  endedEarly = 0
}

t.test('concurrent commands of every kind by four users through both instances (PostgreSQL bus): each stream in commit order, each copy equals the routes', async (t) => {
  const started = Date.now()
  const SEED = process.env.DM_MULTI_SEED === undefined ? (Date.now() ^ Math.floor(Math.random() * 0x100000000)) >>> 0 : Number(process.env.DM_MULTI_SEED)
  t.comment(`seed ${SEED} (DM_MULTI_SEED=${SEED} replays the commands)`)
  const random = prng(SEED)
  const below = (n: number): number => Math.floor(random() * n)
  const oneOf = <T>(items: readonly T[]): T | undefined => items.length === 0 ? undefined : items[below(items.length)]

  const setup = await twoInstances(t, 'postgres', 'concurrent_ops')
  if (setup === null) return
  const { db, a, b } = setup
  const instances = [a, b]
  const users = await createUsers(a.app, 'conc1', 'conc2', 'conc3', 'conc4')
  const userAt = (i: number): TestUser => users[i] as TestUser
  const clients = users.map((u, i) => new ConcurrentClient(u, `conc${i + 1}'s client`))
  t.teardown(() => { for (const client of clients) client.stream?.close() })

  const connect = async (client: ConcurrentClient, at: Listening): Promise<void> => {
    const headers: Record<string, string> = { ...client.user.headers }
    if (client.lastEventId !== undefined) headers['last-event-id'] = client.lastEventId
    const stream = await openStream(at.base, '/api/dm/events/', headers)
    assert.equal(stream.status, 200, `${client.label}: the stream opens`)
    client.stream = stream
    client.streams.push(stream)
    client.applied = 0
    stream.ended.then(() => { if (client.stream === stream) client.endedEarly++ }, () => {})
    await stream.position()
    client.apply()
  }
  const disconnect = (client: ConcurrentClient): void => {
    client.apply()
    const stream = client.stream
    client.stream = null
    stream?.close()
  }
  // conc1 and conc2 on A, conc3 and conc4 on B.
  for (const [i, client] of clients.entries()) await connect(client, instances[i < 2 ? 0 : 1] as Listening)

  const EMOJI = ['👍', '❤️', '😂']
  const WORDS = ['hi', 'see you at 8', 'ok', 'what?', 'sure 👍', 'later', 'ünïcödé ✓']
  const sent: Array<{ id: number, from: number, to: number }> = []
  const reacted: Array<{ user: number, id: number, emoji: string }> = []
  const tally = new Map<string, number>()
  const serverErrors: string[] = []
  const count = (what: string): void => { tally.set(what, (tally.get(what) ?? 0) + 1) }
  // A message `user` takes part in (sent by them with `own`), now and then any message.
  const target = (user: number, own = false): number | undefined => {
    const mine = sent.filter((m) => own ? m.from === user : m.from === user || m.to === user)
    return oneOf(below(8) === 0 || mine.length === 0 ? sent : mine)?.id
  }
  const call = async (kind: string, who: number, method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object): Promise<LightMyRequestResponse> => {
    const via = instances[below(2)] as Listening
    const res = await as(via.app, userAt(who), { method, url: `/api/dm${url}`, ...(payload === undefined ? {} : { payload }) })
    if (res.statusCode >= 500) serverErrors.push(`${kind}: ${method} ${url} answered ${res.statusCode} ${res.body}`)
    count(`${kind} ${res.statusCode}`)
    return res
  }
  const KINDS = [
    ...Array<'send'>(20).fill('send'), ...Array<'edit'>(6).fill('edit'), ...Array<'unsend'>(3).fill('unsend'),
    ...Array<'react'>(7).fill('react'), ...Array<'unreact'>(3).fill('unreact'), ...Array<'read'>(5).fill('read'),
    ...Array<'hide'>(2).fill('hide'), 'hideConversation'
  ] as const
  /** One command, chosen now (from the messages known now), run when the returned function is called. */
  const command = (first: boolean): (() => Promise<unknown>) => {
    // The first wave sends only, so that the others have messages to act on.
    const kind = first ? 'send' : oneOf(KINDS) as typeof KINDS[number]
    const user = below(users.length)
    const partner = (user + 1 + below(users.length - 1)) % users.length
    switch (kind) {
      case 'send': {
        const between = sent.filter((m) => (m.from === user && m.to === partner) || (m.from === partner && m.to === user))
        const reply = below(3) === 0 ? (below(6) === 0 ? target(user) : oneOf(between)?.id) : undefined
        const content = oneOf(WORDS) as string
        return async () => {
          const res = await call('send', user, 'POST', `/send/${userAt(partner).id}/`, { content, ...(reply === undefined ? {} : { reply_to: reply }) })
          if (res.statusCode === 201) {
            sent.push({ id: res.json<RichMessageJson>().id, from: user, to: partner })
            if (reply !== undefined) count('send 201 reply')
          }
        }
      }
      case 'edit': {
        const id = target(user, true)
        const content = oneOf(WORDS) as string
        return async () => id === undefined ? undefined : await call(kind, user, 'PATCH', `/messages/${id}/`, { content })
      }
      case 'unsend': {
        const id = target(user, true)
        return async () => id === undefined ? undefined : await call(kind, user, 'POST', `/messages/${id}/unsend/`)
      }
      case 'react': {
        const id = target(user)
        const emoji = oneOf(EMOJI) as string
        return async () => {
          if (id === undefined) return
          const res = await call(kind, user, 'PUT', `/messages/${id}/reactions/${encodeURIComponent(emoji)}/`)
          if (res.statusCode < 300) reacted.push({ user, id, emoji })
        }
      }
      case 'unreact': {
        const mine = reacted.filter((r) => r.user === user)
        const r = below(4) === 0 || mine.length === 0 ? { id: target(user), emoji: oneOf(EMOJI) as string } : mine[below(mine.length)] as { id: number, emoji: string }
        return async () => r.id === undefined ? undefined : await call(kind, user, 'DELETE', `/messages/${r.id}/reactions/${encodeURIComponent(r.emoji)}/`)
      }
      case 'read':
        return async () => await call(kind, user, 'POST', `/conversations/${userAt(partner).id}/read/`)
      case 'hide': {
        const id = target(user)
        return async () => id === undefined ? undefined : await call(kind, user, 'DELETE', `/messages/${id}/`)
      }
      case 'hideConversation':
        return async () => await call(kind, user, 'DELETE', `/conversations/${userAt(partner).id}/`)
    }
  }

  /** Each resumed stream, with the user's newest change just before it reopened. */
  const resumed: Array<{ stream: SseStream, before: number }> = []
  const newestChange = async (user: TestUser): Promise<number> =>
    Number((await db.sql<{ id: string | null }>('SELECT MAX(id) AS id FROM dm_change WHERE user_id = $1', [user.id]))[0]?.id ?? 0)
  const resume = async (client: ConcurrentClient, at: Listening): Promise<void> => {
    const before = await newestChange(client.user)
    await connect(client, at)
    count('resume')
    resumed.push({ stream: client.stream as SseStream, before })
  }
  // Streams dropped and resumed (Last-Event-ID, on the other instance) while commands are in flight:
  // after a random number of turns of the event loop, so that some commands are answered before.
  const pause = (): Promise<void> => turns(below(15))
  const streamActions = new Map<number, () => Promise<void>>([
    [2, async () => { await pause(); disconnect(clients[1] as ConcurrentClient) }],
    [4, async () => { await pause(); disconnect(clients[2] as ConcurrentClient) }],
    [5, async () => { await pause(); await resume(clients[1] as ConcurrentClient, b) }],
    [7, async () => { await pause(); await resume(clients[2] as ConcurrentClient, a) }]
  ])
  const WAVES = 10
  const PER_WAVE = 20
  for (let wave = 0; wave < WAVES; wave++) {
    const commands = Array.from({ length: PER_WAVE }, () => command(wave === 0))
    await Promise.all([...commands.map(async (run) => await run()), streamActions.get(wave)?.()])
    for (const client of clients) client.apply()
  }
  const concurrentMs = Date.now() - started

  // A last message to and from each user, awaited on their stream: after it, nothing of theirs is
  // to come (their change ids are in commit order, and every command above has been answered).
  const signals: Array<{ id: number, from: number, to: number }> = []
  for (let i = 0; i < users.length; i++) {
    const to = (i + 1) % users.length
    const message = await send(i % 2 === 0 ? a.app : b.app, userAt(i), userAt(to), `signal ${i}`)
    signals.push({ id: message.id, from: i, to })
  }
  for (const [i, client] of clients.entries()) {
    const stream = client.stream as SseStream
    const awaited = signals.filter((s) => s.from === i || s.to === i).map((s) => s.id)
    await stream.until((frames) => awaited.every((id) => frames.some((f) => f.event === 'message' && (f.data as { id: number }).id === id)), 5000)
      .catch(() => assert.fail(`${client.label}: never received the signals ${awaited.join(', ')} (at ${String(stream.lastEventId)})`))
    const newest = String(await newestChange(client.user))
    await stream.until(() => stream.lastEventId === newest, 2000)
      .catch(() => assert.fail(`${client.label}: never caught up with change ${newest} (at ${String(stream.lastEventId)})`))
    client.apply()
  }

  t.same(serverErrors, [], 'no request answered 5xx')
  for (const client of clients) t.equal(client.endedEarly, 0, `${client.label}: the server never ended its streams`)
  // (1) and (2) were asserted frame by frame while applying; (3):
  for (const [i, client] of clients.entries()) {
    for (const [j, partner] of users.entries()) {
      if (i === j) continue
      const pages: RichMessageJson[] = []
      let url: string | null = `/api/dm/conversations/${partner.id}/?mark_read=false&page_size=100`
      while (url !== null) {
        const res = await as(instances[j % 2]?.app as FastifyInstance, client.user, { method: 'GET', url })
        assert.equal(res.statusCode, 200, `GET ${url}: ${res.body}`)
        const page: PageJson<RichMessageJson> = res.json()
        pages.push(...page.results)
        url = page.next === null ? null : pathOf(page.next)
      }
      const copied = [...client.copy.values()].filter((m) => m.sender === partner.id || m.recipient === partner.id).sort((x, y) => y.id - x.id)
      t.same(copied, pages, `${client.label}: the conversation with conc${j + 1} (${pages.length} messages) as its streams built it equals the routes`, { strict: true })
    }
  }

  // The test has teeth: it saw enough, and every kind of command took effect some of the time.
  // Frames with an SSE id replayed on resume: of changes committed while the stream was away.
  const replayed = resumed.reduce((n, { stream, before }) => n + stream.frames.filter((f) => f.id !== undefined && Number(f.id) <= before).length, 0)
  const frames = clients.flatMap((c) => c.streams).reduce((n, s) => n + s.frames.filter((f) => f.id !== undefined).length, 0)
  const ok = (kind: string): number => [...tally].filter(([k]) => k.split(' ').length === 2 && k.startsWith(`${kind} 2`)).reduce((n, [, v]) => n + v, 0)
  t.comment(`outcomes: ${[...tally].sort(([x], [y]) => x.localeCompare(y)).map(([k, n]) => `${k} ${n}`).join(', ')}`)
  t.comment(`${frames} frames with an SSE id on ${clients.reduce((n, c) => n + c.streams.length, 0)} streams; ${replayed} replayed on resume; copies hold ${clients.map((c) => c.copy.size).join(', ')} messages; concurrent phase ${concurrentMs} ms, all ${Date.now() - started} ms`)
  t.ok(frames >= 200, `the streams received ${frames} frames with an SSE id (at least 200)`)
  for (const kind of ['send', 'send 201 reply', 'edit', 'unsend', 'react', 'unreact', 'read', 'hide', 'hideConversation']) t.ok(kind === 'send 201 reply' ? (tally.get(kind) ?? 0) > 0 : ok(kind) > 0, `some ${kind} commands succeeded`)
  t.equal(tally.get('resume'), 2, 'two streams resumed mid-way')
  t.ok(replayed > 0, `the resumed streams replayed ${replayed} changes missed while away`)
  t.ok(clients.every((c) => c.copy.size > 0), 'every copy holds messages')
})
