// GET /events/ on one instance (the in-process bus): live delivery of message, read and deleted
// events, resume with Last-Event-ID, heartbeats, the buffer cap for a stalled reader, isolation
// between users, shutdown, and the route's errors. SQLite and PostgreSQL.
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { forEachDatabase } from '../helpers/databases.js'
import { as, createUsers, send, startApp, type MessageJson } from '../helpers/app.js'
import { openStream, type SseFrame } from '../helpers/sse.js'

async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

const messages = (frames: SseFrame[]): MessageJson[] => frames.filter((f) => f.event === 'message').map((f) => f.data as MessageJson)

forEachDatabase(t, 'event stream', async (t, db) => {
  const app = await startApp(db, { directMessages: { heartbeatInterval: 100 } })
  const base = await listen(app)
  t.teardown(() => app.close())
  const [alice, bob, carol] = await createUsers(app, 'alice', 'bob', 'carol')
  if (alice === undefined || bob === undefined || carol === undefined) throw new Error('users')

  await t.test('a message reaches the recipient\'s and the sender\'s streams, with its id and direction', async (t) => {
    const bobStream = await openStream(base, '/api/dm/events/', bob.headers)
    t.teardown(() => bobStream.close())
    const bobStart = await bobStream.position()
    t.equal(bobStream.status, 200)
    t.match(bobStream.headers['content-type'], /^text\/event-stream/)
    const aliceStream = await openStream(base, '/api/dm/events', alice.headers)
    t.teardown(() => aliceStream.close())
    const carolStream = await openStream(base, '/api/dm/events/', carol.headers)
    t.teardown(() => carolStream.close())

    const sent = await send(app, alice, bob, 'live!')
    const [inbound] = messages(await bobStream.until((f) => messages(f).length === 1, 1000))
    t.same(inbound, { ...sent, direction: 'in' }, 'the message object, from bob\'s point of view')
    const frame = bobStream.frames.find((f) => f.event === 'message')
    t.match(frame?.id, /^[1-9]\d*$/, 'SSE id: a change id')
    t.ok(Number(frame?.id) > Number(bobStart), 'after the position the stream started at')
    const [outbound] = messages(await aliceStream.until((f) => messages(f).length === 1, 1000))
    t.same(outbound, sent, 'alice\'s other devices see it as out')

    await send(app, bob, alice, 'reply')
    await aliceStream.until((f) => messages(f).length === 2)
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.same(carolStream.frames.filter((frame) => frame.event !== 'presence'), [], 'carol sees nothing of alice and bob\'s messages')
    t.ok(carolStream.comments.includes('heartbeat'), 'an idle stream gets heartbeat comments')
  })

  await t.test('read receipts reach the sender; deletes reach my other devices', async (t) => {
    const aliceStream = await openStream(base, '/api/dm/events/', alice.headers)
    t.teardown(() => aliceStream.close())
    const bobPhone = await openStream(base, '/api/dm/events/', bob.headers)
    t.teardown(() => bobPhone.close())
    const first = await send(app, alice, bob, 'read me')
    const second = await send(app, alice, bob, 'and me')
    await as(app, bob, { method: 'GET', url: `/api/dm/conversations/${alice.id}/` })
    const frames = await aliceStream.until((f) => f.some((frame) => frame.event === 'read'))
    const read = frames.find((frame) => frame.event === 'read')
    t.match(read?.data, { partner: bob.id, read_at: String })
    t.ok([first.id, second.id].every((id) => (read?.data as { ids: number[] }).ids.includes(id)), 'the ids of the messages bob read')
    t.equal(read?.id, undefined, 'read events carry no SSE id')

    const deleted = await as(app, bob, { method: 'DELETE', url: `/api/dm/messages/${first.id}/` })
    t.equal(deleted.statusCode, 204)
    const bobFrames = await bobPhone.until((f) => f.some((frame) => frame.event === 'deleted'))
    t.same(bobFrames.find((frame) => frame.event === 'deleted')?.data, { id: first.id })
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.notOk(aliceStream.frames.some((frame) => frame.event === 'deleted'), 'alice is not told bob hid it')
  })

  await t.test('resuming with Last-Event-ID replays every missed message once, in order, then goes live', async (t) => {
    const stream = await openStream(base, '/api/dm/events/', carol.headers)
    await send(app, alice, carol, 'seen')
    await stream.until((f) => messages(f).length === 1)
    stream.close()
    const seen = { id: stream.lastEventId as string }
    const missed = []
    for (let i = 0; i < 7; i++) missed.push(await send(app, i % 2 === 0 ? alice : bob, carol, `missed ${i}`))
    missed.push(await send(app, carol, alice, 'sent from my other device'))
    const hidden = await send(app, bob, carol, 'hidden before I came back')
    await as(app, carol, { method: 'DELETE', url: `/api/dm/messages/${hidden.id}/` })
    await send(app, alice, bob, 'not mine')

    const resumed = await openStream(base, '/api/dm/events/', { ...carol.headers, 'last-event-id': String(seen.id) })
    t.teardown(() => resumed.close())
    await resumed.until((f) => messages(f).length === missed.length)
    const live = await send(app, alice, carol, 'live again')
    const frames = await resumed.until((f) => messages(f).length === missed.length + 1)
    t.same(messages(frames).map((m) => m.id), [...missed.map((m) => m.id), live.id], 'every missed message exactly once, in order, then the live one')
    const ids = frames.filter((f) => f.event === 'message').map((f) => Number(f.id))
    t.ok(ids.every((id, i) => id > Number(seen.id) && (i === 0 || id > (ids[i - 1] as number))), 'each with its SSE id, increasing, after the one resumed from')
    t.equal(messages(frames).find((m) => m.content === 'sent from my other device')?.direction, 'out')

    const byQuery = await openStream(base, `/api/dm/events/?last_event_id=${seen.id}`, carol.headers)
    t.teardown(() => byQuery.close())
    const again = await byQuery.until((f) => messages(f).length === missed.length + 1)
    t.same(messages(again).map((m) => m.id), [...missed.map((m) => m.id), live.id], '?last_event_id= works the same')
  })

  await t.test('a stalled reader is cut off at the buffer cap, not buffered without limit', async (t) => {
    const warnings: string[] = []
    const small = await startApp(db, {
      directMessages: { streamBufferLimit: 64 * 1024 },
      logger: { level: 'warn', stream: { write: (line: string) => { warnings.push(line) } } }
    })
    const smallBase = await listen(small)
    t.teardown(() => small.close())
    const stream = await openStream(smallBase, '/api/dm/events/', bob.headers)
    const reader = await openStream(smallBase, '/api/dm/events/', bob.headers)
    t.teardown(() => reader.close())
    stream.stall()
    const cut = (): boolean => warnings.some((line) => line.includes('not reading'))
    const content = 'x'.repeat(9_000)
    let sends = 0
    // Enough to fill the kernel's socket buffers and then the cap; stop as soon as the server cuts.
    while (!cut() && sends < 3000) {
      await small.directMessages.send(alice.id, bob.id, content)
      sends++
      if (sends % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    }
    t.ok(cut(), `the server cut the stalled stream off (after ${sends} messages, ${Math.round(sends * content.length / 1024)} KiB)`)
    // A paused socket notices the reset only when it reads again.
    stream.resume()
    await t.resolves(Promise.race([stream.ended, new Promise((resolve, reject) => setTimeout(() => reject(new Error('the connection stays open')), 5000))]), 'and closed its connection')
    t.ok(messages(stream.frames).length < sends, `the stalled client got ${messages(stream.frames).length} of ${sends} before the cut (it resumes with Last-Event-ID)`)
    await reader.until((f) => messages(f).length === sends, 10_000)
    t.pass('a client that reads got every message meanwhile')
  })

  await t.test('errors: anonymous 401, bad Last-Event-ID 400, not accepting event streams 406', async (t) => {
    t.equal((await app.inject({ method: 'GET', url: '/api/dm/events/', headers: { accept: 'text/event-stream' } })).statusCode, 401)
    for (const bad of ['abc', '00', '-1', '1e3', '0x10']) {
      const res = await app.inject({ method: 'GET', url: '/api/dm/events/', headers: { ...alice.headers, accept: 'text/event-stream', 'last-event-id': bad } })
      t.equal(res.statusCode, 400, `Last-Event-ID ${bad}`)
      t.match(res.json(), { message: /Last-Event-ID/ })
      const query = await app.inject({ method: 'GET', url: `/api/dm/events/?last_event_id=${bad}`, headers: { ...alice.headers, accept: 'text/event-stream' } })
      t.equal(query.statusCode, 400, `?last_event_id=${bad}`)
    }
    const json = await app.inject({ method: 'GET', url: '/api/dm/events/', headers: { ...alice.headers, accept: 'application/json' } })
    t.equal(json.statusCode, 406)
    t.same(json.json(), { statusCode: 406, code: 'FST_DM_NOT_ACCEPTABLE', error: 'Not Acceptable', message: 'This endpoint only produces text/event-stream' }, 'with a code, like every other error')
  })

  await t.test('close() ends open streams and finishes', async (t) => {
    const other = await startApp(db)
    const otherBase = await listen(other)
    const stream = await openStream(otherBase, '/api/dm/events/', alice.headers)
    t.equal(stream.status, 200)
    const started = Date.now()
    await other.close()
    await stream.ended
    t.ok(Date.now() - started < 2000, 'promptly')
  })
})
