// Typing indicators: POST /conversations/<id>/typing/ answers 204 and the partner's
// event streams get `typing` {partner, expires_at} (5 s on, no SSE id); nobody else's do. Calls of
// one (caller, partner) closer than 2 s are sent on once; a partner the caller could not message
// (a block either way, the policy) is told nothing, with the same 204; nothing is ever written.
// SQLite, PostgreSQL and MariaDB, integer and string ids; then across two instances over the PostgreSQL
// and the Redis bus. Every "nothing arrived" is proven by a later frame that did arrive.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import type { UserId } from '../../src/index.js'
import { forEachDatabase, MARKER, statementsReported } from '../helpers/databases.js'
import { as, createUsers, send, type TestUser } from '../helpers/app.js'
import { listening, twoInstances } from '../helpers/instances.js'
import { framesBefore, streamOf, type SseFrame } from '../helpers/sse.js'

interface TypingJson { partner: UserId, expires_at: string }

const typingFrames = (frames: SseFrame[]): SseFrame[] => frames.filter((f) => f.event === 'typing')
const typings = (frames: SseFrame[]): TypingJson[] => typingFrames(frames).map((f) => f.data as TypingJson)

function typing (app: FastifyInstance, from: TestUser<UserId>, to: UserId | string): ReturnType<typeof as> {
  return as(app, from, { method: 'POST', url: `/api/dm/conversations/${to}/typing/` })
}

const WRITE = /\b(INSERT\s+INTO|UPDATE\s+"?\w+"?\s+SET|DELETE\s+FROM|MERGE\s+INTO|CREATE|DROP|ALTER|TRUNCATE)\b/i

forEachDatabase(t, 'typing', async (t, db) => {
  const { app, base } = await listening(db)
  t.teardown(() => app.close())
  const [alice, bob, carol, dave, erin, frank] = await createUsers(app, 'alice', 'bob', 'carol', 'dave', 'erin', 'frank')
  if (alice === undefined || bob === undefined || carol === undefined || dave === undefined || erin === undefined || frank === undefined) throw new Error('users')

  let recording: string[] | null = null
  db.prisma.$on('query', (event) => { recording?.push(event.query) })

  await t.test('a typing call issues no write statement', async (t) => {
    // A pair of its own: the coalescing window of alice -> bob is untouched for the next tests.
    const statements: string[] = []
    recording = statements
    let status: number
    try {
      status = (await typing(app, erin, frank.id)).statusCode
      // Query events are emitted after the statements' answers: a marker statement issued after
      // the call, once seen, says every statement of the call has been seen too.
      await statementsReported(db, () => statements)
    } finally {
      recording = null
    }
    t.ok(statements.some((sql) => sql.includes(MARKER)), 'the marker statement after the call was seen')
    statements.splice(statements.findIndex((sql) => sql.includes(MARKER)))
    t.equal(status, 204)
    t.ok(statements.length > 0, `the statements of the call are seen (${statements.length}: it checks the partner exists)`)
    t.same(statements.filter((sql) => WRITE.test(sql)), [], 'none of them writes', { statements })
  })

  await t.test('the partner\'s streams get `typing`; the caller\'s and a third user\'s get nothing; a second call within 2 s is sent on once', async (t) => {
    const bob1 = await streamOf(t, base, bob)
    const bob2 = await streamOf(t, base, bob)
    const aliceStream = await streamOf(t, base, alice)
    const carolStream = await streamOf(t, base, carol)
    const before = Date.now()
    const res = await typing(app, alice, bob.id)
    const after = Date.now()
    t.equal(res.statusCode, 204)
    t.equal(res.body, '', 'no body')
    for (const [name, stream] of [['bob\'s first stream', bob1], ['bob\'s second stream', bob2]] as const) {
      const [frame] = typingFrames(await stream.until((f) => typingFrames(f).length === 1, 5000))
      t.equal(frame?.id, undefined, `${name}: no SSE id (typing is never replayed)`)
      const data = frame?.data as TypingJson
      t.same(Object.keys(data).sort(), ['expires_at', 'partner'], `${name}: {partner, expires_at}`)
      t.equal(data.partner, alice.id, `${name}: partner is the caller`)
      const expires = Date.parse(data.expires_at)
      t.ok(expires >= before + 4000 && expires <= after + 6000, `${name}: expires_at ${data.expires_at} is about 5 s after the call (${new Date(before).toISOString()})`)
      t.match(data.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${name}: ISO 8601`)
    }

    const again = await typing(app, alice, bob.id)
    t.equal(again.statusCode, 204, 'a second call within 2 s: 204')
    const signal = await send(app, alice, bob, 'after typing')
    for (const [name, stream] of [['bob\'s first stream', bob1], ['bob\'s second stream', bob2]] as const) {
      t.equal(typingFrames(await framesBefore(stream, signal.id)).length, 1, `${name}: one typing frame before the message sent after both calls`)
    }
    t.same(typings(await framesBefore(aliceStream, signal.id)), [], 'the caller\'s own stream got no typing (its own message, sent afterwards, arrived)')
    const toCarol = await send(app, dave, carol, 'to carol after typing')
    t.same(typings(await framesBefore(carolStream, toCarol.id)), [], 'a third user\'s stream got no typing (a message sent to them afterwards arrived)')
    t.equal(typingFrames(bob1.frames).length, 1, 'still one typing frame on bob\'s stream')
  })

  await t.test('coalescing is per (caller, partner): the reverse direction and another partner are sent on at once', async (t) => {
    const aliceStream = await streamOf(t, base, alice)
    const carolStream = await streamOf(t, base, carol)
    t.equal((await typing(app, bob, alice.id)).statusCode, 204)
    t.same(typings(await aliceStream.until((f) => typingFrames(f).length === 1, 5000)).map((d) => d.partner), [bob.id], 'bob -> alice right after alice -> bob')
    t.equal((await typing(app, alice, carol.id)).statusCode, 204)
    t.same(typings(await carolStream.until((f) => typingFrames(f).length === 1, 5000)).map((d) => d.partner), [alice.id], 'alice -> carol right after alice -> bob')
  })

  await t.test('2 s after the last call that was sent on, a call is sent on again', async (t) => {
    const bobStream = await streamOf(t, base, bob)
    const first = await typing(app, frank, bob.id)
    t.equal(first.statusCode, 204)
    const [sent] = typings(await bobStream.until((f) => typingFrames(f).length === 1, 5000))
    // Call every 200 ms until a second frame arrives (each call's expires_at is its time + 5 s).
    const deadline = Date.now() + 4000
    let calls = 0
    while (typingFrames(bobStream.frames).length < 2 && Date.now() < deadline) {
      t.equal((await typing(app, frank, bob.id)).statusCode, 204, `call ${++calls}: 204`)
      await bobStream.until((f) => typingFrames(f).length >= 2, 200).catch(() => {})
    }
    const frames = typings(bobStream.frames)
    t.equal(frames.length, 2, `a second frame arrived within 4 s, after ${calls} more calls`)
    const gap = Date.parse(frames[1]?.expires_at ?? '') - Date.parse(sent?.expires_at ?? '')
    t.ok(gap >= 2000 && gap <= 3000, `sent on again ${gap} ms after the first (the calls in between were coalesced)`)
    t.same(frames.map((d) => d.partner), [frank.id, frank.id])
  })

  await t.test('a blocked pair, either way: 204 and nothing sent', async (t) => {
    const bobStream = await streamOf(t, base, bob)
    const daveStream = await streamOf(t, base, dave)
    t.equal((await as(app, dave, { method: 'POST', url: `/api/dm/blocks/${bob.id}/` })).statusCode, 201, 'dave blocks bob')
    t.equal((await typing(app, bob, dave.id)).statusCode, 204, 'bob -> dave (dave blocks bob): 204')
    t.equal((await typing(app, dave, bob.id)).statusCode, 204, 'dave -> bob (the blocker typing): 204')
    const toDave = await send(app, carol, dave, 'signal to dave')
    const toBob = await send(app, carol, bob, 'signal to bob')
    t.same(typings(await framesBefore(daveStream, toDave.id)), [], 'dave\'s stream: no typing')
    t.same(typings(await framesBefore(bobStream, toBob.id)), [], 'bob\'s stream: no typing')
    // Unblocked, the same calls are sent on (the refused ones did not open a coalescing window).
    t.equal((await as(app, dave, { method: 'DELETE', url: `/api/dm/blocks/${bob.id}/` })).statusCode, 204, 'dave unblocks bob')
    t.equal((await typing(app, bob, dave.id)).statusCode, 204)
    t.same(typings(await daveStream.until((f) => typingFrames(f).length === 1, 5000)).map((d) => d.partner), [bob.id], 'unblocked: bob -> dave is sent on')
  })

  await t.test('the messaging policy refuses: 204 and nothing sent', async (t) => {
    // Another instance with `allowedRecipients` and a `canMessage` (its own memory bus and streams).
    const policed = await listening(db, { allowedRecipients: [carol.id, dave.id], directMessages: { canMessage: (sender, recipient) => !(sender === erin.id && recipient === dave.id) } })
    t.teardown(() => policed.app.close())
    const bobStream = await streamOf(t, policed.base, bob)
    const daveStream = await streamOf(t, policed.base, dave)
    const carolStream = await streamOf(t, policed.base, carol)
    t.equal((await typing(policed.app, alice, bob.id)).statusCode, 204, 'to someone outside allowedRecipients: 204')
    t.equal((await typing(policed.app, erin, dave.id)).statusCode, 204, 'a pair canMessage refuses: 204')
    t.equal((await typing(policed.app, alice, carol.id)).statusCode, 204, 'an allowed pair: 204')
    t.same(typings(await carolStream.until((f) => typingFrames(f).length === 1, 5000)).map((d) => d.partner), [alice.id], 'the allowed pair is sent on')
    const toDave = await send(policed.app, frank, dave, 'signal to dave')
    t.same(typings(await framesBefore(daveStream, toDave.id)), [], 'dave: nothing from erin')
    // bob may not be messaged here: his own message to carol, sent afterwards, is the signal on his stream.
    const fromBob = await send(policed.app, bob, carol, 'signal from bob')
    t.same(typings(await framesBefore(bobStream, fromBob.id)), [], 'bob: nothing from alice')
  })

  await t.test('errors', async (t) => {
    const self = await typing(app, alice, alice.id)
    t.equal(self.statusCode, 400)
    t.equal(self.json().code, 'FST_DM_SELF_TYPING', 'typing to oneself')
    const unknown = await typing(app, alice, 999_999)
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.json().code, 'FST_DM_USER_NOT_FOUND', 'an unknown user')
    for (const id of ['abc', '0', '1e3', '-1', '01', '0x10', '1.5', '2147483648', '99999999999999999999']) {
      t.equal((await typing(app, alice, id)).statusCode, 400, `malformed id ${id}: 400`)
    }
    t.equal((await app.inject({ method: 'POST', url: `/api/dm/conversations/${bob.id}/typing/` })).statusCode, 401, 'anonymous: 401')
  })
}, { logQueries: true })

forEachDatabase(t, 'typing with string user ids', async (t, db) => {
  const { app, base } = await listening(db)
  t.teardown(() => app.close())
  const [ann, ben] = await createUsers<string>(app, 'ann', 'ben')
  if (ann === undefined || ben === undefined) throw new Error('users')
  const stream = await streamOf(t, base, ben)
  t.equal((await typing(app, ann, ben.id)).statusCode, 204)
  t.same(typings(await stream.until((f) => typingFrames(f).length === 1, 5000)).map((d) => d.partner), [ann.id], 'partner is the caller\'s string id')
  const self = await typing(app, ann, ann.id)
  t.equal(self.statusCode, 400)
  t.equal(self.json().code, 'FST_DM_SELF_TYPING')
  const unknown = await typing(app, ann, 'nosuchuser12345')
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'FST_DM_USER_NOT_FOUND')
  for (const id of ['a%20b', 'a.b', 'a%2Cb', '%C3%A9']) t.equal((await typing(app, ann, id)).statusCode, 400, `malformed id ${id}: 400`)
}, { userIdType: 'string' })

for (const kind of ['postgres', 'redis'] as const) {
  t.test(`typing across two instances over the ${kind} bus`, async (t) => {
    const pair = await twoInstances(t, kind, 'typing')
    if (pair === null) return
    const { a, b } = pair
    const [alice, bob, carol] = await createUsers(a.app, 'alice', 'bob', 'carol')
    if (alice === undefined || bob === undefined || carol === undefined) throw new Error('users')
    const bobOnB = await streamOf(t, b.base, bob)
    const bobOnA = await streamOf(t, a.base, bob)
    const aliceOnB = await streamOf(t, b.base, alice)
    const started = Date.now()
    t.equal((await typing(a.app, alice, bob.id)).statusCode, 204)
    const [data] = typings(await bobOnB.until((f) => typingFrames(f).length === 1, 5000))
    t.ok(Date.now() - started < 2000, `typing through A reached bob's stream on B in ${Date.now() - started} ms`)
    t.equal(data?.partner, alice.id)
    t.equal(typingFrames(await bobOnA.until((f) => typingFrames(f).length === 1, 5000)).length, 1, 'and bob\'s stream on A')
    // Within 2 s, a second call through A is not sent on, and one through B (which sends it on:
    // it has not seen A's call) is not shown by either instance.
    t.equal((await typing(a.app, alice, bob.id)).statusCode, 204)
    t.equal((await typing(b.app, alice, bob.id)).statusCode, 204)
    t.ok(Date.now() - started < 2000, `the three calls were made within 2 s (${Date.now() - started} ms)`)
    const signal = await send(a.app, alice, bob, 'after typing')
    t.equal(typingFrames(await framesBefore(bobOnB, signal.id)).length, 1, 'bob\'s stream on B: the calls through A and B within 2 s were shown once')
    t.equal(typingFrames(await framesBefore(bobOnA, signal.id)).length, 1, 'bob\'s stream on A: once too')
    t.same(typings(await framesBefore(aliceOnB, signal.id)), [], 'the caller\'s stream on B got nothing')
    const toCarol = await streamOf(t, b.base, carol)
    const toCarolMsg = await send(b.app, alice, carol, 'signal')
    t.same(typings(await framesBefore(toCarol, toCarolMsg.id)), [], 'nor a third user')
  })
}
