// Event streams driven by the change log (dm_change): a stream resumed with Last-Event-ID replays
// every kind of change (new, edited, reacted to, unsent, read, hidden, conversation hidden) once, in
// order, with the message as it is now; a Last-Event-ID the log no longer holds (pruned by
// `changeRetention`, or not the caller's) starts with `reset`; the position a stream starts at
// lets a client that saw no frame resume. SQLite, PostgreSQL and MariaDB, integer user ids and string ones
// (the example app's User.id a cuid: every user id a frame carries is that string).
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, InjectOptions } from 'fastify'
import t, { type Test } from 'tap'
import type { UserId } from '../../src/index.js'
import { forEachDatabase, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, send, startApp, type RichMessageJson, type TestUser } from '../helpers/app.js'
import { openStream, type SseFrame, type SseStream } from '../helpers/sse.js'
import { eventuallyValue } from '../helpers/wait.js'

const HOUR = 3_600_000

type RichMessage = RichMessageJson
interface ReadJson { partner: UserId, ids: number[], read_at: string }

async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

/** A request as `user` that must answer `status`; answers the parsed body (or null). */
async function act (t: Test, app: FastifyInstance, user: TestUser<UserId>, status: number, options: InjectOptions): Promise<unknown> {
  const res = await as(app, user, options)
  t.equal(res.statusCode, status, `${String(options.method)} ${String(options.url)}: ${status}`, { body: res.body.slice(0, 300) })
  return res.body === '' ? null : res.json()
}

/** A stream of `user`'s, resumed after `lastEventId` (as the Last-Event-ID header). */
async function resume (t: Test, base: string, user: TestUser<UserId>, lastEventId: string): Promise<SseStream> {
  const stream = await openStream(base, '/api/dm/events/', { ...user.headers, 'last-event-id': lastEventId })
  t.teardown(() => stream.close())
  return stream
}

async function open (t: Test, base: string, user: TestUser<UserId>): Promise<SseStream> {
  const stream = await openStream(base, '/api/dm/events/', user.headers)
  t.teardown(() => stream.close())
  return stream
}

/** The data of a frame about a message (message, message_updated). */
const messageOf = (frame: SseFrame): RichMessage => frame.data as RichMessage
/** What a frame is about: the message id, or the partner of a conversation_deleted. */
function subjectOf (frame: SseFrame): number | UserId | null {
  switch (frame.event) {
    case 'message':
    case 'message_updated':
    case 'deleted':
      return (frame.data as { id: number }).id
    case 'conversation_deleted':
      return (frame.data as { partner: UserId }).partner
    default:
      return null
  }
}
/** The frames of changes: presence frames (partners coming and going) are not changes. */
const changeFrames = (frames: SseFrame[]): SseFrame[] => frames.filter((frame) => frame.event !== 'presence')
/** The changes a stream showed, as (event, subject). */
const pairs = (frames: SseFrame[]): Array<[string, number | UserId | null]> => changeFrames(frames).map((frame) => [frame.event, subjectOf(frame)])
const has = (event: string, subject: number | UserId) => (frames: SseFrame[]): boolean =>
  frames.some((frame) => frame.event === event && subjectOf(frame) === subject)

/** Whether every frame with an SSE id has a larger one than the frame before, all above `after`. */
function increasingAfter (frames: SseFrame[], after: number): boolean {
  let previous = after
  for (const frame of frames) {
    if (frame.id === undefined) continue
    if (!/^[1-9]\d*$/.test(frame.id) || Number(frame.id) <= previous) return false
    previous = Number(frame.id)
  }
  return true
}

/** `user`'s change-log rows: how many, and the newest id. */
async function changesOf (db: TestDatabase, user: UserId): Promise<{ count: number, newest: number }> {
  const [row] = await query<{ count: unknown, newest: unknown }>(db, 'SELECT COUNT(*) AS count, MAX(id) AS newest FROM dm_change WHERE user_id = ?', [user])
  return { count: Number(row?.count ?? 0), newest: Number(row?.newest ?? 0) }
}

/**
 * Moves every change-log row to one hour ago, in the representation the database stores
 * created_at in (PostgreSQL and MySQL: a zone-less UTC timestamp; SQLite: whatever the existing rows hold).
 */
async function ageChangeLog (db: TestDatabase): Promise<void> {
  if (db.provider === 'postgresql') {
    await query(db, 'UPDATE dm_change SET created_at = now() - interval \'1 hour\'')
    return
  }
  if (db.provider === 'mysql') {
    await query(db, 'UPDATE dm_change SET created_at = UTC_TIMESTAMP(3) - INTERVAL 1 HOUR')
    return
  }
  const [row] = await query<{ created_at: unknown }>(db, 'SELECT created_at FROM dm_change ORDER BY id DESC LIMIT 1')
  await query(db, 'UPDATE dm_change SET created_at = ?', [hourAgoLike(row?.created_at)])
}

/** One hour ago, stored like `stored` (SQLite): epoch milliseconds as a number, or text of the same shape. */
function hourAgoLike (stored: unknown): number | string {
  const at = Date.now() - HOUR
  if (typeof stored === 'number' || typeof stored === 'bigint') return at
  if (typeof stored !== 'string') throw new Error(`unexpected created_at ${String(stored)}`)
  if (/^\d+$/.test(stored)) return String(at)
  let text = new Date(at).toISOString()
  if (!/\.\d+/.test(stored)) text = text.replace(/\.\d{3}/, '')
  if (stored.includes(' ')) text = text.replace('T', ' ')
  if (stored.endsWith('+00:00')) text = text.replace(/Z$/, '+00:00')
  else if (!/(Z|[+-]\d\d:?\d\d)$/.test(stored)) text = text.replace(/Z$/, '')
  return text
}

forEachDatabase(t, 'stream sync', streamSync)
forEachDatabase(t, 'stream sync', streamSync, { userIdType: 'string' })

async function streamSync (t: Test, db: TestDatabase): Promise<void> {
  const app = await startApp(db)
  const base = await listen(app)
  t.teardown(() => app.close())

  await t.test('a resumed stream replays every kind of change, in order', async (t) => {
    const [alice, bob, carol] = await createUsers<UserId>(app, 'alice', 'bob', 'carol')
    if (alice === undefined || bob === undefined || carol === undefined) throw new Error('users')
    const carolStream = await open(t, base, carol)
    await carolStream.position()
    const hello = await send(app, carol, bob, 'hello bob')
    await carolStream.until(has('message', hello.id))
    const aliceStream = await open(t, base, alice)
    const alicePosition = Number(await aliceStream.position())

    // Bob's phone: it opens, learns its position, and goes away before anything happens.
    const phone = await openStream(base, '/api/dm/events/', bob.headers)
    const position = await phone.position()
    phone.close()
    t.ok(Number(position) > 0, 'bob has a change already (carol\'s message): his position is its id')

    const m1 = await send(app, alice, bob, 'first')
    const m2 = await send(app, alice, bob, 'second')
    const m3 = await act(t, app, bob, 201, { method: 'POST', url: `/api/dm/send/${alice.id}/`, payload: { content: 'reply', reply_to: m1.id } }) as RichMessage
    t.equal(m3.reply_to?.id, m1.id, 'm3 answers m1')
    await act(t, app, alice, 200, { method: 'PATCH', url: `/api/dm/messages/${m1.id}/`, payload: { content: 'first, edited' } })
    await act(t, app, alice, 200, { method: 'PUT', url: `/api/dm/messages/${m3.id}/reactions/${encodeURIComponent('👍')}/` })
    await act(t, app, bob, 200, { method: 'PUT', url: `/api/dm/messages/${m1.id}/reactions/${encodeURIComponent('❤️')}/` })
    await act(t, app, bob, 200, { method: 'DELETE', url: `/api/dm/messages/${m1.id}/reactions/${encodeURIComponent('❤️')}/` })
    await act(t, app, alice, 204, { method: 'POST', url: `/api/dm/messages/${m2.id}/unsend/` })
    const m4 = await send(app, alice, bob, 'third')
    await act(t, app, bob, 200, { method: 'GET', url: `/api/dm/conversations/${alice.id}/` })
    await act(t, app, bob, 204, { method: 'DELETE', url: `/api/dm/messages/${m3.id}/` })

    // Bob's phone comes back.
    const resumed = await resume(t, base, bob, position)
    const replay = [...await resumed.until(has('deleted', m3.id))]
    const live = await send(app, alice, bob, 'live')
    await resumed.until(has('message', live.id))

    const expected: Array<[string, number]> = [
      ['message', m1.id], ['message', m2.id],
      ['message_updated', m1.id], // edited
      ['message_updated', m1.id], // ❤️ added
      ['message_updated', m1.id], // ❤️ removed
      ['message_updated', m2.id], // unsent
      ['message', m4.id],
      ['message_updated', m1.id], ['message_updated', m4.id], // read (the same read: in either order)
      ['deleted', m3.id]
    ]
    const got = pairs(replay)
    const readPart = (list: Array<[string, unknown]>): string[] => list.slice(7, 9).map((pair) => JSON.stringify(pair)).sort()
    t.same(got.slice(0, 7), expected.slice(0, 7), 'new, edited, reacted to, unreacted to, unsent, new: in order')
    t.same(readPart(got), readPart(expected), 'then the read of m1 and m4')
    t.same(got.slice(9), expected.slice(9), 'then the hide of m3, and nothing else')
    t.equal(got.length, expected.length, `exactly ${expected.length} frames replayed: ${JSON.stringify(got)}`)
    t.notOk(replay.some((frame) => frame.event !== 'deleted' && subjectOf(frame) === m3.id), 'm3, hidden since, shows only as deleted')
    t.ok(replay.every((frame) => frame.id !== undefined), 'every replayed frame has an SSE id (bob gets no read summary: he is the reader)')
    t.ok(increasingAfter(resumed.frames, Number(position)), 'SSE ids strictly increasing, all after the position resumed from')
    t.same(pairs(resumed.frames).slice(-1), [['message', live.id]], 'then the live message')
    // (Presence frames, which carry no SSE id, may come before or after it: alice is online.)
    t.same(messageOf(resumed.frames.findLast((frame) => frame.event === 'message') as SseFrame), { ...live, direction: 'in', edited_at: null, unsent_at: null, reply_to: null, reactions: [], attachments: [] }, 'the live message as bob sees it')
    t.equal(resumed.lastEventId, resumed.frames.findLast((frame) => frame.id !== undefined)?.id, 'a client resumes after the last frame with an id')

    // The message objects are as bob sees them now, not as they were at the change.
    const about = (id: number): RichMessage[] => replay.filter((frame) => frame.event !== 'deleted' && subjectOf(frame) === id).map(messageOf)
    for (const m of about(m1.id)) {
      t.match(m, { id: m1.id, direction: 'in', content: 'first, edited', edited_at: String, unsent_at: null, reactions: [] }, 'm1: edited, no reaction left')
      t.type(m.read_at, 'string', 'm1: read')
    }
    t.equal(about(m1.id).length, 5)
    for (const m of about(m2.id)) t.match(m, { id: m2.id, direction: 'in', content: '', unsent_at: String, read_at: null }, 'm2: unsent (and so never read)')
    t.equal(about(m2.id).length, 2)
    for (const m of about(m4.id)) t.match(m, { id: m4.id, direction: 'in', content: 'third', read_at: String, unsent_at: null })
    t.same(replay.find((frame) => frame.event === 'deleted')?.data, { id: m3.id })
    const replayed = replay.filter((frame) => frame.event !== 'deleted').map(messageOf)
    t.strictSame(replayed.map((m) => [m.sender, m.recipient]), replayed.map(() => [alice.id, bob.id]),
      `every replayed message is from alice to bob, by their ${db.userIdType} ids`)

    // Alice, whose stream was open all along: the read shows as her messages updated, then a summary.
    const aliceFrames = await aliceStream.until((frames) => frames.some((frame) => frame.event === 'read'))
    const at = aliceFrames.findIndex((frame) => frame.event === 'read')
    const summary = aliceFrames[at] as SseFrame
    t.equal(summary.id, undefined, 'the read summary has no SSE id')
    const read = summary.data as ReadJson
    t.match(read, { partner: bob.id, read_at: String })
    t.equal(read.partner, bob.id, `the read summary names bob by his ${db.userIdType} id`)
    t.same([...read.ids].sort((a, b) => a - b), [m1.id, m4.id], 'the ids of the messages bob read (not m2: unsent)')
    const before = aliceFrames.slice(at - 2, at)
    t.same(pairs(before).map((pair) => JSON.stringify(pair)).sort(), [['message_updated', m1.id], ['message_updated', m4.id]].map((pair) => JSON.stringify(pair)).sort(), 'right after their message_updated frames')
    for (const frame of before) {
      t.ok(frame.id !== undefined, 'which have SSE ids')
      t.match(messageOf(frame), { direction: 'out', read_at: read.read_at }, 'read_at set, as alice sees it')
    }
    t.match(messageOf(before.find((frame) => subjectOf(frame) === m1.id) as SseFrame), { content: 'first, edited', reactions: [] })
    t.ok(increasingAfter(aliceFrames, alicePosition), 'alice\'s SSE ids strictly increase too')
    const reply = aliceFrames.find((frame) => frame.event === 'message' && subjectOf(frame) === m3.id)
    t.strictSame(reply === undefined ? null : { sender: messageOf(reply).sender, recipient: messageOf(reply).recipient, reply_to: messageOf(reply).reply_to },
      { sender: bob.id, recipient: alice.id, reply_to: { id: m1.id, sender: alice.id, content: 'first', unsent: false } },
      'alice\'s stream: bob\'s reply, its reply_to naming her as the sender of m1')
    t.notOk(aliceFrames.some((frame) => frame.event === 'deleted'), 'alice is not told bob hid m3')

    // Bob hides his conversation with carol: his open stream is told, carol is not.
    const lastBefore = Number(resumed.lastEventId)
    await act(t, app, bob, 204, { method: 'DELETE', url: `/api/dm/conversations/${carol.id}/` })
    const bobFrames = await resumed.until(has('conversation_deleted', carol.id))
    const hidden = bobFrames.find((frame) => frame.event === 'conversation_deleted') as SseFrame
    t.strictSame(hidden.data, { partner: carol.id }, `conversation_deleted names carol by her ${db.userIdType} id`)
    t.ok(Number(hidden.id) > lastBefore, 'with an SSE id, after the frames before it')
    const ping = await send(app, alice, carol, 'ping')
    await carolStream.until(has('message', ping.id))
    // (Presence frames of her partners come and go; they are not changes.)
    t.same(pairs(carolStream.frames), [['message', hello.id], ['message', ping.id]], 'carol\'s stream gets nothing about bob hiding their conversation')
  })

  await t.test('a Last-Event-ID the log no longer holds gets a reset', async (t) => {
    const short = await startApp(db, { directMessages: { changeRetention: 1000 } })
    const shortBase = await listen(short)
    t.teardown(() => short.close())
    const [alice, bob] = await createUsers<UserId>(short, 'alice2', 'bob2')
    if (alice === undefined || bob === undefined) throw new Error('users')

    const first = await openStream(shortBase, '/api/dm/events/', bob.headers)
    await first.position()
    const seen = await send(short, alice, bob, 'seen')
    await first.until(has('message', seen.id))
    const old = first.lastEventId as string
    first.close()
    for (let i = 0; i < 4; i++) await send(short, alice, bob, `missed ${i}`)
    t.equal((await changesOf(db, bob.id)).count, 5, 'bob has five changes')

    await ageChangeLog(db)
    const { newest: kept } = await eventuallyValue('the pruner to delete all of bob\'s changes but his newest', () => changesOf(db, bob.id), (changes) => changes.count === 1, 10_000)
    t.ok(kept > Number(old), 'the newest is kept')

    // From the change kept: no reset, nothing to replay.
    const fromKept = await resume(t, shortBase, bob, String(kept))
    t.equal(await fromKept.position(), String(kept), 'resuming from the newest change, kept: the stream starts there')
    // From a change pruned: reset, at bob's newest.
    const fromOld = await resume(t, shortBase, bob, old)
    const [reset] = await fromOld.until((frames) => frames.length > 0)
    t.equal(reset?.event, 'reset', 'the first frame is a reset')
    t.equal(reset?.id, String(kept), 'with bob\'s newest change id as its SSE id')
    t.match(reset?.data, { reason: String })
    t.equal(fromOld.lastEventId, String(kept))

    const after = await send(short, alice, bob, 'after the reset')
    await fromOld.until(has('message', after.id))
    await fromKept.until(has('message', after.id))
    t.same(pairs(fromOld.frames), [['reset', null], ['message', after.id]], 'nothing replayed after the reset, then live')
    t.ok(Number(changeFrames(fromOld.frames)[1]?.id) > kept, 'the live message\'s id is after the reset\'s')
    t.same(pairs(fromKept.frames), [['message', after.id]], 'the stream resumed from the kept change: no reset, no replay, then live')
    t.equal(changeFrames(fromKept.frames)[0]?.id, changeFrames(fromOld.frames)[1]?.id, 'the same change id on both')

    // A Last-Event-ID that is not one of bob's, with the default retention.
    const [carol] = await createUsers<UserId>(app, 'carol2')
    if (carol === undefined) throw new Error('users')
    const { newest: alicesChange } = await changesOf(db, alice.id)
    for (const foreign of ['999999999', String(alicesChange)]) {
      const { newest } = await changesOf(db, bob.id)
      const stream = await resume(t, base, bob, foreign)
      const [frame] = await stream.until((frames) => frames.length > 0)
      t.equal(frame?.event, 'reset', `Last-Event-ID ${foreign} (not bob's): reset`)
      t.equal(frame?.id, String(newest), 'at bob\'s newest change')
      const next = await send(app, carol, bob, `after reset ${foreign}`)
      await stream.until(has('message', next.id))
      t.same(pairs(stream.frames), [['reset', null], ['message', next.id]], 'then live, nothing replayed')
      t.ok(Number(changeFrames(stream.frames)[1]?.id) > newest)
    }
  })

  await t.test('a client that saw nothing resumes from its starting position', async (t) => {
    const [erin, frank] = await createUsers<UserId>(app, 'erin', 'frank')
    if (erin === undefined || frank === undefined) throw new Error('users')
    await send(app, frank, erin, 'before')
    const first = await openStream(base, '/api/dm/events/', erin.headers)
    const start = await first.position()
    first.close()
    t.same(pairs(first.frames), [], 'the stream showed no frame')
    t.ok(Number(start) > 0, 'it started at erin\'s newest change')
    const missed = [await send(app, frank, erin, 'missed 1'), await send(app, erin, frank, 'missed 2')]
    const resumed = await resume(t, base, erin, start)
    await resumed.until((frames) => frames.length >= 2)
    const live = await send(app, frank, erin, 'live')
    await resumed.until(has('message', live.id))
    t.same(pairs(resumed.frames), [['message', missed[0]?.id], ['message', missed[1]?.id], ['message', live.id]], 'exactly the two missed messages, then the live one')
    t.same(resumed.frames.slice(0, 2).map((frame) => messageOf(frame).direction), ['in', 'out'])
    t.ok(increasingAfter(resumed.frames, Number(start)), 'SSE ids strictly increasing after the starting position')

    // A user with no change yet starts at position 0: resuming from it must work the same.
    const [gina] = await createUsers<UserId>(app, 'gina')
    if (gina === undefined) throw new Error('users')
    const empty = await openStream(base, '/api/dm/events/', gina.headers)
    const zero = await empty.position()
    empty.close()
    t.equal(zero, '0', 'a user without any change starts at position 0')
    const firstEver = await send(app, frank, gina, 'first ever')
    const again = await resume(t, base, gina, zero)
    t.equal(again.status, 200, 'resuming from position 0 is accepted')
    await again.until(has('message', firstEver.id))
    t.same(pairs(again.frames), [['message', firstEver.id]], 'and replays the message sent meanwhile')
    t.ok(Number(changeFrames(again.frames)[0]?.id) > 0)
  })

  // Two seconds of pruning passes, and nothing in it depends on the kind of user id: integer ids only.
  if (db.userIdType === 'integer') {
    await t.test('a change that was a user\'s newest is pruned once it no longer is', async (t) => {
      const pruned = await startApp(db, { directMessages: { changeRetention: 1000 } })
      const prunedBase = await listen(pruned)
      t.teardown(() => pruned.close())
      const [xena, yuri, zoe] = await createUsers<UserId>(pruned, 'xena', 'yuri', 'zoe')
      if (xena === undefined || yuri === undefined || zoe === undefined) throw new Error('users')
      // xena's only change (A), then two of zoe's after it: once zoe's first is deleted, a pruning
      // pass has gone over A (kept: xena's newest).
      const stream = await openStream(prunedBase, '/api/dm/events/', xena.headers)
      await stream.position()
      const a = await send(pruned, yuri, xena, 'A')
      await stream.until(has('message', a.id))
      const seen = stream.lastEventId as string
      stream.close()
      const gone = async (user: UserId, id: number): Promise<boolean> =>
        (await query(db, 'SELECT id FROM dm_change WHERE user_id = ? AND id = ?', [user, id])).length === 0
      const passOver = async (what: string): Promise<void> => {
        await send(pruned, yuri, zoe, 'sentinel 1')
        const { newest: sentinel } = await changesOf(db, zoe.id)
        await send(pruned, yuri, zoe, 'sentinel 2')
        await ageChangeLog(db)
        await eventuallyValue(what, () => gone(zoe.id, sentinel), (done) => done, 10_000)
      }
      await passOver('a pruning pass over xena\'s change A')
      t.same(await changesOf(db, xena.id), { count: 1, newest: Number(seen) }, 'A, xena\'s newest, is kept')

      // A is no longer xena's newest, and older than the retention: the next pass deletes it.
      const b = await send(pruned, yuri, xena, 'B')
      await passOver('a pruning pass after B')
      t.equal((await changesOf(db, xena.id)).count, 1, 'only xena\'s newest change (B) is left')
      const resumed = await resume(t, prunedBase, xena, seen)
      await resumed.until((frames) => frames.length > 0)
      t.equal(changeFrames(resumed.frames)[0]?.event, 'reset', 'resuming after A, which is past the retention, gets a reset', { frames: pairs(resumed.frames), b: b.id })
    })
  }
}
