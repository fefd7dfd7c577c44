// Presence: GET /presence/?ids= answers who is online and when they were last seen, truthfully
// only to the users who have a conversation with them and no block between them; `presence` stream
// frames tell a user's connected partners when they come and go; `presence: false` writes nothing.
// SQLite, PostgreSQL and MariaDB (integer and string ids); then two instances on one PostgreSQL database
// (PostgreSQL and Redis buses); an instance killed with SIGKILL, whose users another instance reads
// offline within presenceTimeout; and the bound of the fan-out (50 most recent partners) with a user
// of 5,000 partners. Every "no frame arrived" is proven by a later frame that did arrive.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import t from 'tap'
import { memoryBus, postgresBus, type BusEvent, type DirectMessagesBus, type UserId } from '../../src/index.js'
import { createPrisma } from '../../examples/database.js'
import { forEachDatabase, openDatabase, PG_ADMIN_URL, postgresReachable, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, send, type TestUser } from '../helpers/app.js'
import { listening, skipUnless, twoInstances } from '../helpers/instances.js'
import { framesBefore, openStream, streamOf, type SseFrame, type SseStream } from '../helpers/sse.js'
import { eventuallyValue } from '../helpers/wait.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

interface PresenceJson { id: UserId, online: boolean, last_seen_at: string | null }
interface PresenceFrameJson { user: UserId, online: boolean, last_seen_at: string | null }
type User = TestUser<UserId>

const presenceFrames = (frames: SseFrame[], user?: UserId): PresenceFrameJson[] =>
  frames.filter((f) => f.event === 'presence').map((f) => f.data as PresenceFrameJson).filter((d) => user === undefined || d.user === user)

function getPresence (app: FastifyInstance, viewer: User, ids: string): ReturnType<typeof as> {
  return as(app, viewer, { method: 'GET', url: `/api/dm/presence/?ids=${ids}` })
}

async function presence (app: FastifyInstance, viewer: User, ids: UserId[]): Promise<PresenceJson[]> {
  const res = await getPresence(app, viewer, ids.map(String).join(','))
  if (res.statusCode !== 200) throw new Error(`GET /presence/: ${res.statusCode} ${res.body}`)
  return res.json<PresenceJson[]>()
}

const isOnline = (entries: PresenceJson[]): boolean => entries.every((e) => e.online)
const isOffline = (entries: PresenceJson[]): boolean => entries.every((e) => !e.online)
const hidden = (id: UserId): PresenceJson => ({ id, online: false, last_seen_at: null })

async function block (app: FastifyInstance, blocker: User, blocked: User): Promise<void> {
  const res = await as(app, blocker, { method: 'POST', url: `/api/dm/blocks/${blocked.id}/` })
  if (res.statusCode !== 201) throw new Error(`block: ${res.statusCode} ${res.body}`)
}

forEachDatabase(t, 'presence', async (t, db) => {
  await t.test('presence: false writes nothing, answers everyone offline and sends no presence frame', async (t) => {
    const off = await listening(db, { directMessages: { presence: false } })
    t.teardown(() => off.app.close())
    const [px, py] = await createUsers(off.app, 'px', 'py')
    if (px === undefined || py === undefined) throw new Error('users')
    await send(off.app, px, py, 'hello')
    const pxStream = await streamOf(t, off.base, px)
    const pyStream = await streamOf(t, off.base, py)
    // Presence is written in a batch after a stream opens. The signal that such a batch would have
    // been written by now: a control instance with presence on, on the same database, where pz
    // opens a stream after px's and py's; once pz's row is there, the batch a presence-writing
    // instance arms when px's and py's streams open would have been written too.
    const control = await listening(db)
    t.teardown(() => control.app.close())
    const [pz] = await createUsers(control.app, 'pz')
    if (pz === undefined) throw new Error('users')
    const rowsOf = async (user: UserId): Promise<number> =>
      Number((await query<{ count: number | bigint | string }>(db, 'SELECT COUNT(*) AS count FROM dm_presence WHERE user_id = ?', [user]))[0]?.count)
    const pzStream = await streamOf(t, control.base, pz)
    await eventuallyValue('pz\'s arrival written by the control instance', () => rowsOf(pz.id), (n) => n === 1, 5000)
    const [{ count: others } = { count: -1 }] = await query<{ count: number | bigint | string }>(db, 'SELECT COUNT(*) AS count FROM dm_presence WHERE user_id <> ?', [pz.id])
    if (Number(others) !== 0) t.fail(`dm_presence has ${others} rows besides the control's`)
    const seen = await presence(off.app, px, [py.id])
    if (seen[0]?.online !== false || seen[0]?.last_seen_at !== null) t.fail(`py reads ${JSON.stringify(seen)}`)
    t.pass('with both streams open, once a batch was written on the control instance: dm_presence held nothing of theirs, py read offline/null')
    t.same(await presence(off.app, px, [py.id]), [hidden(py.id)], 'a partner with an open stream reads offline, never seen')
    const signal = await send(off.app, py, px, 'signal')
    t.same(presenceFrames(await framesBefore(pxStream, signal.id)), [], 'no presence frame before a later message')
    pyStream.close()
    // The control's own departure, after py's stream closed: once written, a batch armed when py's
    // stream closed would have been written too.
    pzStream.close()
    await eventuallyValue('pz\'s departure written by the control instance', () => rowsOf(pz.id), (n) => n === 0, 5000)
    await framesBefore(pxStream, (await send(off.app, py, px, 'after close')).id)
    t.same(presenceFrames(pxStream.frames), [], 'nor after the partner\'s stream closed')
    t.same(await presence(off.app, px, [py.id]), [hidden(py.id)], 'still offline, never seen, after the stream closed')
    const [{ count } = { count: -1 }] = await query<{ count: number | bigint | string }>(db, 'SELECT COUNT(*) AS count FROM dm_presence')
    t.equal(Number(count), 0, 'SELECT COUNT(*) FROM dm_presence is 0')
    // (The control instance wrote pz's, as it should.)
    const seenAt = await query(db, 'SELECT user_id FROM dm_user WHERE last_seen_at IS NOT NULL AND user_id <> ?', [pz.id])
    t.same(seenAt, [], 'no last_seen_at written')
  })

  const { app, base } = await listening(db)
  t.teardown(() => app.close())
  const [alice, bob, carol, dave, erin, frank] = await createUsers(app, 'alice', 'bob', 'carol', 'dave', 'erin', 'frank')
  if (alice === undefined || bob === undefined || carol === undefined || dave === undefined || erin === undefined || frank === undefined) throw new Error('users')
  // alice, dave and erin each have a conversation with bob; carol is a stranger to him. dave
  // blocks bob, bob blocks erin.
  await send(app, alice, bob, 'hi bob')
  await send(app, dave, bob, 'hi bob, dave here')
  await send(app, bob, erin, 'hi erin')
  await block(app, dave, bob)
  await block(app, bob, erin)

  const aliceStream = await streamOf(t, base, alice)
  const carolStream = await streamOf(t, base, carol)
  const daveStream = await streamOf(t, base, dave)
  const erinStream = await streamOf(t, base, erin)
  // They are all online before bob comes: each one would be told, were it not for privacy.
  const watchers = [alice.id, carol.id, dave.id, erin.id]
  await eventuallyValue('the watchers\' presence is written', async () => (await query<{ user_id: UserId }>(db, 'SELECT DISTINCT user_id FROM dm_presence')).map((r) => r.user_id), (ids) => watchers.every((id) => ids.includes(id)), 5000)

  /** frank messages carol, dave and erin: answers the frames each stream had before it. */
  const beforeSignal = async (): Promise<Record<'carol' | 'dave' | 'erin', SseFrame[]>> => {
    const [c, d, e] = [await send(app, frank, carol, 'signal'), await send(app, frank, dave, 'signal'), await send(app, frank, erin, 'signal')]
    return { carol: await framesBefore(carolStream, c.id), dave: await framesBefore(daveStream, d.id), erin: await framesBefore(erinStream, e.id) }
  }

  await t.test('a partner goes online when their stream opens and offline, last seen, when it closes', async (t) => {
    t.same(await presence(app, alice, [bob.id]), [hidden(bob.id)], 'before: offline, never seen')
    const opened = Date.now()
    const bobStream = await streamOf(t, base, bob)
    const [online] = await eventuallyValue('bob online', () => presence(app, alice, [bob.id]), isOnline, 5000)
    t.ok(Date.now() - opened < 1500, `online within ${Date.now() - opened} ms of the stream opening`)
    t.same(online, { id: bob.id, online: true, last_seen_at: null }, 'online, never seen before')
    const frames = await aliceStream.until((f) => presenceFrames(f, bob.id).length === 1, 5000)
    const frame = frames.find((f) => f.event === 'presence')
    t.equal(frame?.id, undefined, 'the presence frame has no SSE id')
    t.same(frame?.data, { user: bob.id, online: true, last_seen_at: null }, 'alice\'s stream: {user: bob, online: true, last_seen_at: null}')

    t.same(await presence(app, carol, [bob.id]), [hidden(bob.id)], 'a stranger reads bob offline/null while he is online')
    t.same(await presence(app, dave, [bob.id]), [hidden(bob.id)], 'so does dave, who blocks bob')
    t.same(await presence(app, erin, [bob.id]), [hidden(bob.id)], 'and erin, whom bob blocks')
    t.same(await presence(app, bob, [dave.id, erin.id, carol.id]), [hidden(dave.id), hidden(erin.id), hidden(carol.id)], 'bob reads dave, erin and carol offline/null though they are online')
    t.same(await presence(app, alice, [bob.id, 999_999, carol.id]), [{ id: bob.id, online: true, last_seen_at: null }, hidden(999_999), hidden(carol.id)],
      'in the order asked: bob truthfully, an unknown id and a stranger offline/null')
    const signals = await beforeSignal()
    t.same(presenceFrames(signals.carol), [], 'the stranger got no presence frame')
    t.same(presenceFrames(signals.dave), [], 'nor dave (a block)')
    t.same(presenceFrames(signals.erin), [], 'nor erin (a block)')

    const closed = Date.now()
    bobStream.close()
    const offline = await aliceStream.until((f) => presenceFrames(f, bob.id).length === 2, 5000)
    const gone = presenceFrames(offline, bob.id)[1] as PresenceFrameJson
    t.match(gone, { user: bob.id, online: false, last_seen_at: String }, 'alice\'s stream: {user: bob, online: false, last_seen_at}')
    const lastSeen = Date.parse(gone.last_seen_at ?? '')
    t.ok(lastSeen >= closed - 5 && lastSeen <= closed + 2000, `last_seen_at ${gone.last_seen_at} is when the stream closed (${new Date(closed).toISOString()})`)
    const [after] = await eventuallyValue('bob offline', () => presence(app, alice, [bob.id]), isOffline, 5000)
    t.same(after, { id: bob.id, online: false, last_seen_at: gone.last_seen_at }, 'GET /presence/: offline, last seen when the frame says')
    t.same(await presence(app, carol, [bob.id]), [hidden(bob.id)], 'the stranger still reads never seen')
    t.same(await presence(app, dave, [bob.id]), [hidden(bob.id)], 'dave too')
    const later = await beforeSignal()
    t.same([...presenceFrames(later.carol), ...presenceFrames(later.dave), ...presenceFrames(later.erin)], [], 'no presence frame reached carol, dave or erin')
    t.equal(presenceFrames(aliceStream.frames, bob.id).length, 2, 'alice got exactly two presence frames for bob')
  })

  await t.test('online while at least one of the user\'s streams is open', async (t) => {
    const first = await streamOf(t, base, bob)
    const second = await streamOf(t, base, bob)
    const seenBefore = presenceFrames(aliceStream.frames, bob.id).length
    await aliceStream.until((f) => presenceFrames(f, bob.id).length === seenBefore + 1, 5000)
    t.match(presenceFrames(aliceStream.frames, bob.id)[seenBefore], { online: true, last_seen_at: null }, 'one online frame for two streams')
    const [online] = await eventuallyValue('bob online', () => presence(app, alice, [bob.id]), isOnline, 5000)
    t.match(online, { online: true, last_seen_at: String }, 'online; last_seen_at is when his previous stream closed')
    // Departures are written in batches. The signal that one would have been written: gina, a
    // partner of alice's, closes her only stream right after bob closes one of his two; once
    // alice is told gina left, a departure of bob's would have been written and told too.
    const [gina] = await createUsers(app, 'gina')
    if (gina === undefined) throw new Error('users')
    await send(app, gina, alice, 'hi alice')
    const ginaStream = await streamOf(t, base, gina)
    await aliceStream.until((f) => presenceFrames(f, gina.id).length === 1, 5000)
    first.close()
    ginaStream.close()
    await aliceStream.until((f) => presenceFrames(f, gina.id).length === 2, 5000)
    const [entry] = await presence(app, alice, [bob.id])
    if (entry?.online !== true || presenceFrames(aliceStream.frames, bob.id).length !== seenBefore + 1) {
      t.fail(`bob read ${JSON.stringify(entry)} with one stream still open (frames: ${JSON.stringify(presenceFrames(aliceStream.frames, bob.id))})`)
    }
    t.pass('bob read online after closing one of two streams, once a departure written after it was told')
    const closed = Date.now()
    second.close()
    const frames = await aliceStream.until((f) => presenceFrames(f, bob.id).length === seenBefore + 2, 5000)
    const gone = presenceFrames(frames, bob.id)[seenBefore + 1] as PresenceFrameJson
    t.equal(gone.online, false, 'offline once the last stream closed')
    t.ok(Date.parse(gone.last_seen_at ?? '') >= closed - 5, `last seen when the last stream closed (${gone.last_seen_at})`)
    const [after] = await eventuallyValue('bob offline', () => presence(app, alice, [bob.id]), isOffline, 5000)
    t.equal(after?.last_seen_at, gone.last_seen_at)
  })

  await t.test('bad ids: 400 FST_DM_INVALID_IDS, never a 500', async (t) => {
    const hundredAndOne = Array.from({ length: 101 }, (_, i) => String(i + 1)).join(',')
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1)
    t.equal((await presence(app, alice, hundred)).length, 100, '100 distinct ids are fine')
    for (const ids of ['', hundredAndOne, `${bob.id},${bob.id}`, '1,2,1', 'abc', '0', '-1', '1e3', '1,,2', '01', '1,', ',1', ' 1', '1%20', '1.0', '0x10', '+1', '2147483648', '99999999999999999999', '1;2', 'null', '%E2%80%8B1']) {
      const res = await getPresence(app, alice, ids)
      t.equal(res.statusCode, 400, `ids=${ids.slice(0, 40)}: 400`)
      t.equal(res.json().code, 'FST_DM_INVALID_IDS', `ids=${ids.slice(0, 40)}: FST_DM_INVALID_IDS`)
    }
    for (const url of ['/api/dm/presence/', '/api/dm/presence/?ids=1&ids=2', `/api/dm/presence/?ids=${'1,'.repeat(7000)}1`]) {
      const res = await as(app, alice, { method: 'GET', url })
      t.equal(res.statusCode, 400, `${url.slice(0, 50)}: 400`)
    }
    t.equal((await app.inject({ method: 'GET', url: `/api/dm/presence/?ids=${bob.id}` })).statusCode, 401, 'anonymous: 401')
  })
})

forEachDatabase(t, 'presence with string user ids', async (t, db) => {
  const { app, base } = await listening(db)
  t.teardown(() => app.close())
  const [ann, ben, cat, dan, fay] = await createUsers<string>(app, 'ann', 'ben', 'cat', 'dan', 'fay')
  if (ann === undefined || ben === undefined || cat === undefined || dan === undefined || fay === undefined) throw new Error('users')
  // ann has a conversation with ben and with dan; so do ben and dan, but ben blocks dan. cat is a
  // stranger to all; fay only sends the signals (and so becomes a partner, never streaming).
  await send(app, ann, ben, 'hi')
  await send(app, dan, ann, 'hi ann')
  await send(app, dan, ben, 'hi ben, dan here')
  await block(app, ben, dan)
  const annStream = await streamOf(t, base, ann)
  await eventuallyValue('ann online', () => presence(app, ben, [ann.id]), isOnline, 5000)

  await t.test('a partner goes online and offline, last seen, by string id: GET /presence/ and the presence frames', async (t) => {
    t.same(await presence(app, ann, [ben.id]), [hidden(ben.id)], 'before: offline, never seen')
    const benStream = await streamOf(t, base, ben)
    const [online] = await eventuallyValue('ben online', () => presence(app, ann, [ben.id]), isOnline, 5000)
    t.strictSame(online, { id: ben.id, online: true, last_seen_at: null }, 'a partner reads online, by string id')
    const frames = await annStream.until((f) => presenceFrames(f, ben.id).length === 1, 5000)
    const frame = frames.find((f) => f.event === 'presence')
    t.equal(frame?.id, undefined, 'the presence frame has no SSE id')
    t.strictSame(frame?.data, { user: ben.id, online: true, last_seen_at: null }, 'ann\'s stream: {user: ben\'s string id, online: true, last_seen_at: null}')
    t.same(await presence(app, cat, [ben.id, 'nosuchuser', '1e3']), [hidden(ben.id), hidden('nosuchuser'), hidden('1e3')], 'a stranger and unknown ids read offline/null')

    const closed = Date.now()
    benStream.close()
    const gone = presenceFrames(await annStream.until((f) => presenceFrames(f, ben.id).length === 2, 5000), ben.id)[1] as PresenceFrameJson
    t.match(gone, { online: false, last_seen_at: String }, 'ann\'s stream: ben offline, with last_seen_at')
    t.equal(gone.user, ben.id, 'the frame names ben by his string id')
    const lastSeen = Date.parse(gone.last_seen_at ?? '')
    t.ok(lastSeen >= closed - 5 && lastSeen <= closed + 2000, `last_seen_at ${gone.last_seen_at} is when his last stream closed (${new Date(closed).toISOString()})`)
    const [after] = await eventuallyValue('ben offline', () => presence(app, ann, [ben.id]), isOffline, 5000)
    t.strictSame(after, { id: ben.id, online: false, last_seen_at: gone.last_seen_at }, 'GET /presence/: offline, last seen when the frame says')
    t.same(await presence(app, cat, [ben.id]), [hidden(ben.id)], 'the stranger still reads never seen')
    await framesBefore(annStream, (await send(app, fay, ann, 'signal')).id)
    t.equal(presenceFrames(annStream.frames, ben.id).length, 2, 'ann got exactly two presence frames for ben')
  })

  await t.test('a block between two users: each reads the other offline/null and gets no presence frame of the other', async (t) => {
    // Every arrival and departure below is one bus event to the user's connected partners: ann,
    // their common partner, getting it proves it went out; a later message proves the other did not.
    const framesOf = (user: User): number => presenceFrames(annStream.frames, user.id).length
    const toldAnn = async (user: User, online: boolean, seen: number): Promise<void> => {
      const frames = presenceFrames(await annStream.until((f) => presenceFrames(f, user.id).length === seen + 1, 5000), user.id)
      t.strictSame({ user: frames[seen]?.user, online: frames[seen]?.online }, { user: user.id, online }, `ann is told ${user.username} is ${online ? 'online' : 'offline'}`)
    }
    const quiet = async (stream: SseStream, to: User, about: User, what: string): Promise<void> => {
      t.same(presenceFrames(await framesBefore(stream, (await send(app, fay, to, 'signal')).id), about.id), [], what)
    }
    const strangers = async (what: string): Promise<void> => {
      t.same(await presence(app, dan, [ben.id]), [hidden(ben.id)], `dan reads ben offline/null ${what}`)
      t.same(await presence(app, ben, [dan.id]), [hidden(dan.id)], `ben reads dan offline/null ${what}`)
    }

    let danSeen = framesOf(dan)
    const danFirst = await streamOf(t, base, dan)
    await toldAnn(dan, true, danSeen)
    const benSeen = framesOf(ben)
    const benStream = await streamOf(t, base, ben)
    await toldAnn(ben, true, benSeen)
    t.same((await presence(app, ann, [ben.id, dan.id])).map((e) => e.online), [true, true], 'ann reads both online')
    await strangers('though both are online')
    await quiet(danFirst, dan, ben, 'dan got no frame of ben coming online')

    danSeen = framesOf(dan)
    danFirst.close()
    await toldAnn(dan, false, danSeen)
    const [danGone] = await eventuallyValue('dan offline', () => presence(app, ann, [dan.id]), isOffline, 5000)
    t.type(danGone?.last_seen_at, 'string', 'ann reads dan last seen')
    await strangers('once dan has been seen')
    await quiet(benStream, ben, dan, 'ben got no frame of dan going offline')

    danSeen = framesOf(dan)
    const danAgain = await streamOf(t, base, dan)
    await toldAnn(dan, true, danSeen)
    await quiet(benStream, ben, dan, 'nor of dan coming online again')

    benStream.close()
    await toldAnn(ben, false, benSeen + 1)
    await eventuallyValue('ben offline', () => presence(app, ann, [ben.id]), isOffline, 5000)
    await strangers('after ben left')
    await quiet(danAgain, dan, ben, 'dan got no frame of ben going offline')
    t.same(presenceFrames(danAgain.frames), [], 'dan\'s stream got no presence frame at all')
  })

  const long = (i: number): string => `${i}`.padStart(128, 'x')
  t.equal((await presence(app, ann, Array.from({ length: 100 }, (_, i) => long(i)))).length, 100, '100 ids of 128 characters are fine')
  const bad = ['', 'a%20b', 'abc,abc', `${ben.id},${ben.id}`, 'a,,b', 'a,', ',a', 'x'.repeat(129), 'a.b', '%C3%A9',
    Array.from({ length: 101 }, (_, i) => `u${i}`).join(','), Array.from({ length: 101 }, (_, i) => long(i)).join(',')]
  for (const ids of bad) {
    const res = await getPresence(app, ann, ids)
    t.equal(res.statusCode, 400, `ids=${ids.slice(0, 30)}… (${ids.length} characters): 400`)
    // Over the querystring schema's maxLength (13,000) the route's schema answers first.
    t.equal(res.json().code, 'FST_DM_INVALID_IDS', `ids=${ids.slice(0, 30)}… (${ids.length} characters): FST_DM_INVALID_IDS`)
  }
}, { userIdType: 'string' })

for (const kind of ['postgres', 'redis'] as const) {
  t.test(`presence across two instances over the ${kind} bus`, async (t) => {
    const pair = await twoInstances(t, kind, 'presence')
    if (pair === null) return
    const { a, b } = pair
    const [alice, bob, carol] = await createUsers(a.app, 'alice', 'bob', 'carol')
    if (alice === undefined || bob === undefined || carol === undefined) throw new Error('users')
    await send(a.app, alice, bob, 'hi')

    const aliceOnA = await streamOf(t, a.base, alice)
    await eventuallyValue('alice (streaming on A) online as read through B', () => presence(b.app, bob, [alice.id]), isOnline, 5000)
    t.pass('a user streaming through A reads online through B')
    const bobOnB = await streamOf(t, b.base, bob)
    const [online] = await eventuallyValue('bob (streaming on B) online as read through A', () => presence(a.app, alice, [bob.id]), isOnline, 5000)
    t.same(online, { id: bob.id, online: true, last_seen_at: null }, 'a user streaming through B reads online through A')
    t.same(await presence(a.app, carol, [bob.id]), [hidden(bob.id)], 'not to a stranger')
    await aliceOnA.until((f) => presenceFrames(f, bob.id).length === 1, 5000)
    t.same(presenceFrames(aliceOnA.frames, bob.id), [{ user: bob.id, online: true, last_seen_at: null }], 'the online frame crossed from B to alice\'s stream on A')
    const closed = Date.now()
    bobOnB.close()
    const [gone] = presenceFrames(await aliceOnA.until((f) => presenceFrames(f, bob.id).length === 2, 5000), bob.id).slice(1)
    t.match(gone, { user: bob.id, online: false, last_seen_at: String }, 'and the offline frame')
    const [after] = await eventuallyValue('bob offline through A', () => presence(a.app, alice, [bob.id]), isOffline, 5000)
    t.equal(after?.last_seen_at, gone?.last_seen_at, 'A reads him last seen when B says he left')
    t.ok(Date.parse(after?.last_seen_at ?? '') >= closed - 5, 'when his stream on B closed')
  })
}

// Two instances flushing the same user at once: the check "is the user live elsewhere?" and the
// write run under the user's dm_user lock, so exactly one of them announces.
t.test('a user whose streams open and close on two instances at once is announced once each way', async (t) => {
  if (await skipUnless(t, await postgresReachable(), `PostgreSQL at ${PG_ADMIN_URL}`)) return
  const db = await openDatabase('postgresql', 'presence_race')
  t.teardown(() => db.close())
  const channel = `dm_test_presence_race_${process.pid}`
  const published: BusEvent[] = []
  const recorded = (inner: DirectMessagesBus): DirectMessagesBus => ({
    name: inner.name,
    start: (handlers) => inner.start(handlers),
    async publish (event) { published.push(structuredClone(event)); await inner.publish(event) },
    close: () => inner.close()
  })
  const a = await listening(db, { directMessages: { bus: recorded(postgresBus({ connectionString: db.url, channel })) } })
  t.teardown(() => a.app.close())
  const b = await listening(db, { directMessages: { bus: recorded(postgresBus({ connectionString: db.url, channel })) } })
  t.teardown(() => b.app.close())
  const [alice, bob] = await createUsers(a.app, 'alice', 'bob')
  if (alice === undefined || bob === undefined) throw new Error('users')
  await send(a.app, alice, bob, 'hi')
  await streamOf(t, a.base, alice)
  await eventuallyValue('alice online', () => presence(b.app, bob, [alice.id]), isOnline, 5000)
  const ROUNDS = 2
  for (let round = 0; round < ROUNDS; round++) {
    const streams = await Promise.all([openStream(a.base, '/api/dm/events/', bob.headers), openStream(b.base, '/api/dm/events/', bob.headers)])
    await eventuallyValue('bob on both', async () => await query<{ n: number }>(db, 'SELECT COUNT(*)::int AS n FROM dm_presence WHERE user_id = ?', [bob.id]), (rows) => rows[0]?.n === 2, 5000)
    for (const stream of streams) stream.close()
    await eventuallyValue('bob gone from both', async () => await query<{ n: number }>(db, 'SELECT COUNT(*)::int AS n FROM dm_presence WHERE user_id = ?', [bob.id]), (rows) => rows[0]?.n === 0, 5000)
  }
  // Closing an instance waits for its presence writes and their announcements.
  await b.app.close()
  await a.app.close()
  const bobs = published.filter((e): e is Extract<BusEvent, { type: 'presence' }> => e.type === 'presence' && e.user === bob.id)
  t.equal(bobs.filter((e) => e.online).length, ROUNDS, `online announced once per round (${ROUNDS})`)
  t.equal(bobs.filter((e) => !e.online).length, ROUNDS, `offline announced once per round (${ROUNDS})`)
})

/** Starts the example server as one process (node with tsx's loader, no tsx wrapper that a SIGKILL would orphan). */
function startServer (env: Record<string, string>): Promise<{ child: ChildProcess, base: string, exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/server.ts'], {
    cwd: root, env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  return new Promise((resolve, reject) => {
    let output = ''
    let started = false
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`server did not start:\n${output}`)) }, 60_000)
    const onData = (chunk: Buffer): void => {
      if (started) return
      output += chunk.toString()
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (listening !== null) {
        started = true
        clearTimeout(timer)
        resolve({ child, base: listening[1] as string, exited })
      }
    }
    // Keep reading: a full pipe would block the server.
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    exited.then((code) => { clearTimeout(timer); if (!started) reject(new Error(`server exited with ${code}:\n${output}`)) }, reject)
  })
}

async function dropDatabase (name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.end()
}

async function userVia (base: string, username: string): Promise<User> {
  const res = await fetch(`${base}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username }) })
  if (res.status !== 201) throw new Error(`creating ${username}: ${res.status}`)
  const body = await res.json() as { id: number, username: string, token: string }
  return { ...body, headers: { authorization: `Token ${body.token}` } }
}

const KILL_TIMEOUT = 3000
const KILL_DATABASE = `dm_test_presence_kill_${process.pid}`
const KILL_URL = Object.assign(new URL(PG_ADMIN_URL), { pathname: `/${KILL_DATABASE}` }).toString()
/**
 * The server of the SIGKILL test, started as this file starts: `prisma migrate deploy` takes
 * seconds, and runs meanwhile (mostly waiting, little CPU). Null when PostgreSQL is unreachable.
 */
const killServer = (async () => {
  if (!(await postgresReachable())) return null
  await dropDatabase(KILL_DATABASE)
  // A database the server creates and migrates itself, as `npm start` does.
  return await startServer({ DATABASE_URL: KILL_URL, DM_BUS: 'postgres', DM_PRESENCE_TIMEOUT: String(KILL_TIMEOUT) })
})()
killServer.catch(() => {})
const killChild = (): void => { killServer.then((server) => { if (server !== null && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL') }, () => {}) }
process.on('exit', killChild)
t.teardown(async () => {
  killChild()
  const server = await killServer.catch(() => null)
  if (server !== null) {
    await server.exited
    await dropDatabase(KILL_DATABASE)
  }
})

t.test('an instance killed with SIGKILL: its users read offline within presenceTimeout, and partners are told', async (t) => {
  if (await skipUnless(t, await postgresReachable(), `PostgreSQL at ${PG_ADMIN_URL}`)) return
  const TIMEOUT = KILL_TIMEOUT
  const REFRESH = Math.max(250, Math.floor(TIMEOUT / 3))
  const url = KILL_URL
  const server = await killServer
  if (server === null) throw new Error('the server did not start')

  // The in-process instance, on the same database and the same (default) channel as the server.
  const prisma = await createPrisma(url)
  const direct = new pg.Pool({ connectionString: url, max: 1 })
  direct.on('error', () => {})
  const db: TestDatabase = {
    provider: 'postgresql',
    userIdType: 'integer',
    client: 'prisma6',
    url,
    prisma,
    driver: undefined,
    async sql<T>(text: string, params: unknown[] = []) { return (await direct.query(text, params)).rows as T[] },
    async close () { await prisma.$disconnect(); await direct.end() }
  }
  t.teardown(() => db.close())
  const local = await listening(db, { directMessages: { presenceTimeout: TIMEOUT, bus: postgresBus({ connectionString: url }) } })
  t.teardown(() => local.app.close())

  const alice = await userVia(server.base, 'alice')
  const bob = await userVia(server.base, 'bob')
  const sent = await fetch(`${server.base}/api/dm/send/${bob.id}/`, { method: 'POST', headers: { 'content-type': 'application/json', ...alice.headers }, body: JSON.stringify({ content: 'hi bob' }) })
  t.equal(sent.status, 201)

  const aliceStream = await streamOf(t, local.base, alice)
  await eventuallyValue('alice online', () => presence(local.app, bob, [alice.id]), isOnline, 5000)
  const bobStream = await streamOf(t, server.base, bob)
  const opened = Date.now()
  const [online] = await eventuallyValue('bob (streaming on the server) online as read in-process', () => presence(local.app, alice, [bob.id]), isOnline, 5000)
  t.same(online, { id: bob.id, online: true, last_seen_at: null }, 'bob, streaming on the child server, reads online through the in-process instance')
  await aliceStream.until((f) => presenceFrames(f, bob.id).length === 1, 5000)
  t.same(presenceFrames(aliceStream.frames, bob.id), [{ user: bob.id, online: true, last_seen_at: null }], 'the online frame crossed to alice\'s stream')
  // Let the server refresh its rows at least once, so that last_seen_at is its last refresh, not bob's arrival.
  const seenAt = async (): Promise<number> => (await db.sql<{ seen_at: Date }>('SELECT seen_at FROM dm_presence WHERE user_id = $1', [bob.id]))[0]?.seen_at.getTime() ?? 0
  const firstSeen = await seenAt()
  await eventuallyValue('the server refreshes bob\'s row', seenAt, (seen) => seen !== firstSeen, TIMEOUT)

  server.child.kill('SIGKILL')
  const killed = Date.now()
  t.equal(await server.exited, null, 'the server died by the signal')
  // A read goes offline once the server's last refresh is presenceTimeout old: by the kill +
  // presenceTimeout (plus the polling's own time). The partners are told at the next sweep.
  const readBound = TIMEOUT + 1000
  const bound = TIMEOUT + REFRESH + 750
  const [after] = await eventuallyValue('bob offline after the kill', () => presence(local.app, alice, [bob.id]), isOffline, bound + 1000)
  const took = Date.now() - killed
  t.ok(took <= readBound, `bob read offline ${took} ms after the kill (within presenceTimeout ${TIMEOUT} ms, + 1000 ms for the reads)`)
  t.ok(after?.last_seen_at !== null && after?.last_seen_at !== undefined, `last_seen_at is set (${after?.last_seen_at})`)
  const lastSeen = Date.parse(after?.last_seen_at ?? '')
  t.ok(lastSeen <= killed + 1000, `last_seen_at ${after?.last_seen_at} is no later than the kill (${new Date(killed).toISOString()}) + 1 s`)
  t.ok(lastSeen >= opened - 1000, 'and not before bob came online')
  const frames = await aliceStream.until((f) => presenceFrames(f, bob.id).length === 2, Math.max(500, killed + bound - Date.now()))
  const gone = presenceFrames(frames, bob.id)[1]
  t.ok(Date.now() - killed <= bound, `alice's stream got the offline frame ${Date.now() - killed} ms after the kill (within presenceTimeout + one refresh interval ${REFRESH} ms + 750 ms)`)
  t.match(gone, { user: bob.id, online: false, last_seen_at: String }, 'alice\'s stream: {user: bob, online: false, last_seen_at}')
  t.ok(Date.parse(gone?.last_seen_at ?? '') <= killed + 1000, 'last seen no later than the kill + 1 s')
  const [swept] = await eventuallyValue('GET agrees with the frame', () => presence(local.app, alice, [bob.id]), (e) => e[0]?.last_seen_at === gone?.last_seen_at, 5000)
  t.same(swept, { id: bob.id, online: false, last_seen_at: gone?.last_seen_at ?? null }, 'GET /presence/ agrees with the frame')
  bobStream.close()
})

/** A memory bus that records what is published. */
function recordingBus (): { bus: DirectMessagesBus, events: BusEvent[] } {
  const inner = memoryBus()
  const events: BusEvent[] = []
  return {
    events,
    bus: {
      name: 'recording',
      start: (handlers) => inner.start(handlers),
      async publish (event) {
        events.push(structuredClone(event))
        await inner.publish(event)
      },
      close: () => inner.close()
    }
  }
}

t.test('the fan-out of a user with 5,000 partners: one bus event, to the connected ones among the 50 most recent', async (t) => {
  if (await skipUnless(t, await postgresReachable(), `PostgreSQL at ${PG_ADMIN_URL}`)) return
  const db = await openDatabase('postgresql', 'presence_fanout')
  t.teardown(() => db.close())
  const PARTNERS = 5000
  const STAR = 1
  // Users 1 (star) to 5001, each with a token; one message between star and each partner p, with
  // id p: the higher p, the more recent the conversation (the 50 most recent are 4952-5001).
  await db.sql(`INSERT INTO app_user (id, username, first_name, last_name, token)
    SELECT g, 'fan' || g, '', '', 'fanout-token-' || g FROM generate_series(1, ${PARTNERS + 1}) g`)
  await db.sql(`SELECT setval(pg_get_serial_sequence('app_user', 'id'), ${PARTNERS + 1})`)
  await db.sql(`INSERT INTO dm_user (user_id) SELECT g FROM generate_series(1, ${PARTNERS + 1}) g`)
  await db.sql(`INSERT INTO dm_message (id, sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, read_at)
    SELECT g, CASE WHEN g % 2 = 0 THEN ${STAR} ELSE g END, CASE WHEN g % 2 = 0 THEN g ELSE ${STAR} END, ${STAR}, g, 'hello ' || g,
           timestamp '2026-01-01' + g * interval '1 second', timestamp '2026-01-01' + g * interval '1 second'
    FROM generate_series(2, ${PARTNERS + 1}) g`)
  await db.sql(`SELECT setval(pg_get_serial_sequence('dm_message', 'id'), ${PARTNERS + 1})`)
  await db.sql(`INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
    SELECT ${STAR}, g, g, 0 FROM generate_series(2, ${PARTNERS + 1}) g
    UNION ALL SELECT g, ${STAR}, g, 0 FROM generate_series(2, ${PARTNERS + 1}) g`)
  await db.sql('ANALYZE')

  const recorder = recordingBus()
  const { app, base } = await listening(db, { directMessages: { bus: recorder.bus } })
  t.teardown(() => app.close())
  const user = (id: number): User => ({ id, username: `fan${id}`, token: `fanout-token-${id}`, headers: { authorization: `Token fanout-token-${id}` } })
  const star = user(STAR)
  // 30 of the 50 most recent (the 50th, 4952, among them), 30 older (the 51st, 4951, among them).
  const recent = Array.from({ length: 30 }, (_, i) => 4952 + i)
  const older = [...Array.from({ length: 27 }, (_, i) => 4951 - i), 2, 3, 2500]
  const recentStreams = new Map<number, SseStream>()
  const olderStreams = new Map<number, SseStream>()
  for (const id of recent) recentStreams.set(id, await streamOf(t, base, user(id)))
  for (const id of older) olderStreams.set(id, await streamOf(t, base, user(id)))
  await eventuallyValue('the 60 partners online', () => presence(app, star, [...recent, ...older]), isOnline, 5000)
  t.pass('the 60 connected partners read online')

  const starEvents = (): Array<Extract<BusEvent, { type: 'presence' }>> =>
    recorder.events.filter((e): e is Extract<BusEvent, { type: 'presence' }> => e.type === 'presence' && e.user === STAR)
  t.same(starEvents(), [], 'no presence event for star yet')
  await streamOf(t, base, star)
  await Promise.all([...recentStreams.values()].map((stream) => stream.until((f) => presenceFrames(f, STAR).length === 1, 5000)))
  t.pass('each of the 30 recent connected partners got the frame')
  for (const [id, stream] of recentStreams) {
    const frames = presenceFrames(stream.frames, STAR)
    if (frames.length !== 1 || frames[0]?.online !== true || frames[0]?.last_seen_at !== null) t.fail(`partner ${id}: ${JSON.stringify(frames)}`)
  }
  const events = starEvents()
  t.equal(events.length, 1, 'exactly one presence bus event for star')
  const [event] = events
  t.equal(event?.online, true)
  t.equal(event?.lastSeenAt, null)
  t.ok((event?.to.length ?? 99) <= 50, `to has ${event?.to.length} users (at most 50)`)
  t.same([...(event?.to ?? [])].sort((x, y) => Number(x) - Number(y)), recent, 'to is exactly the 30 connected recent partners')

  // The older ones: a message from star to each arrives with no presence frame before it.
  let quiet = 0
  for (const [id, stream] of olderStreams) {
    const sent = await send(app, star, id, 'signal')
    const before = presenceFrames(await framesBefore(stream, sent.id))
    if (before.length === 0) quiet++
    else t.fail(`older partner ${id} got ${JSON.stringify(before)}`)
  }
  t.equal(quiet, 30, 'none of the 30 older connected partners got a presence frame')
  t.equal(starEvents().length, 1, 'still one presence event for star')
})

// Each instance refreshes its users' presence in one statement per interval, however many of them
// are online (and sweeps expired rows in one more): the cost of presence does not grow with the users.
forEachDatabase(t, 'the presence timer: the same statements per interval with 1 or 21 users online', async (t, db) => {
  const seen: string[] = []
  db.prisma.$on('query', (event) => { seen.push(event.query) })
  // A refresh every 500 ms; no pruning of the change log, whose statements would come and go.
  const { app, base } = await listening(db, { directMessages: { presenceTimeout: 1500, changeRetention: null } })
  t.teardown(() => app.close())
  const users = await createUsers<UserId>(app, ...Array.from({ length: 21 }, (_, i) => `timer${i}`)) as User[]
  const isRefresh = (text: string): boolean => /UPDATE\s+"?dm_presence"?\s+SET\s+"?seen_at"?/i.test(text)
  const online = async (): Promise<number> => Number((await query<{ n: number | bigint }>(db, 'SELECT COUNT(*) AS n FROM dm_presence'))[0]?.n ?? 0)
  /** The statements issued over three refresh intervals, from one refresh to the third after it. */
  async function threeIntervals (): Promise<string[]> {
    const from = seen.length
    const refreshes = (): number[] => seen.slice(from).flatMap((text, i) => isRefresh(text) ? [i] : [])
    await eventuallyValue('four refreshes', async () => refreshes().length, (n) => n >= 4, 5000)
    const [first, , , fourth] = refreshes() as [number, number, number, number]
    return seen.slice(from + first, from + fourth)
  }
  await streamOf(t, base, users[0] as User)
  await eventuallyValue('one user online', online, (n) => n === 1, 5000)
  const one = await threeIntervals()
  for (const user of users.slice(1)) await streamOf(t, base, user)
  await eventuallyValue('21 users online', online, (n) => n === 21, 5000)
  const many = await threeIntervals()
  t.equal(one.filter(isRefresh).length, 3, 'one user online: one refresh statement per interval')
  t.equal(many.filter(isRefresh).length, 3, '21 users online: one refresh statement per interval')
  t.same(many, one, `the same ${one.length / 3} statements per interval with 21 users as with one`)
}, { logQueries: true })
