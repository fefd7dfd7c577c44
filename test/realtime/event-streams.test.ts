// GET /events/ on one instance (the in-process bus): live delivery of message, read and deleted
// events, resume with Last-Event-ID, heartbeats, the buffer cap for a stalled reader, isolation
// between users, shutdown, and the route's errors; and `message_updated`, as each participant sees
// the message, after an edit, a reaction and an unsend. SQLite, PostgreSQL and MariaDB.
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { forEachDatabase } from '../helpers/databases.js'
import { as, createUsers, send, startApp, type MessageJson } from '../helpers/app.js'
import { framesBefore, openStream, type SseFrame, type SseStream } from '../helpers/sse.js'
import { eventually, within } from '../helpers/wait.js'
import { Client, ISO, r, updatesOf, type RichMessage, type User } from '../helpers/rich-messages.js'
import type { UserId } from '../../src/index.js'

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
    // A message to carol, sent after theirs: once it has arrived, anything of theirs on her stream
    // would have arrived before it.
    const toCarol = await send(app, bob, carol, 'after their messages')
    t.same((await framesBefore(carolStream, toCarol.id)).filter((frame) => frame.event !== 'presence'), [], 'carol sees nothing of alice and bob\'s messages')
    // Heartbeats come every 100 ms here.
    await eventually('a heartbeat comment', () => carolStream.comments.includes('heartbeat')).catch(() => {})
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
    // A message to alice, sent after the delete: a frame telling her of it would have come first.
    const after = await send(app, bob, alice, 'after the delete')
    t.notOk((await framesBefore(aliceStream, after.id)).some((frame) => frame.event === 'deleted'), 'alice is not told bob hid it')
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
    // Every 20 sends, the reading client has them all before more are sent: the server has then
    // written them to the stalled stream too.
    while (!cut() && sends < 3000) {
      await small.directMessages.send(alice.id, bob.id, content)
      sends++
      if (sends % 20 === 0) await reader.until((f) => messages(f).length === sends, 10_000)
    }
    t.ok(cut(), `the server cut the stalled stream off (after ${sends} messages, ${Math.round(sends * content.length / 1024)} KiB)`)
    // A paused socket notices the reset only when it reads again.
    stream.resume()
    await t.resolves(within('the stalled stream\'s connection closed', stream.ended, 5000), 'and closed its connection')
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

forEachDatabase(t, 'message_updated on the event stream', async (t, db) => {
  await t.test('event streams: message_updated, as each receiver sees it, to the other participant and the actor', async (t) => {
    const live = await startApp(db)
    const base = await listen(live)
    t.teardown(() => live.close())
    const lc = new Client(live)
    const [sam, tess, ursula] = await createUsers<UserId>(live, 'sam', 'tess', 'ursula') as [User, User, User]
    const message = await lc.send(sam, tess, 'live edit')
    await lc.view(tess, sam, message.id)

    const streams: SseStream[] = []
    const open = async (user: User): Promise<SseStream> => {
      const stream = await openStream(base, '/api/dm/events/', user.headers)
      streams.push(stream)
      t.equal(stream.status, 200)
      return stream
    }
    t.teardown(() => { for (const stream of streams) stream.close() })
    const samStream = await open(sam)
    const tessStream = await open(tess)
    const ursulaStream = await open(ursula)

    const reply = await lc.send(sam, tess, 'replying live', message.id)
    const [inbound] = (await tessStream.until((f) => f.some((x) => x.event === 'message'))).filter((x) => x.event === 'message').map((x) => x.data)
    t.same(inbound, { ...reply, direction: 'in' }, 'a new message carries the new fields')

    /** After a change, waits for the n-th update on both streams and compares each with the pages. */
    const expectUpdate = async (n: number, label: string): Promise<[RichMessage | undefined, RichMessage | undefined]> => {
      await samStream.until((f) => updatesOf(f, message.id).length >= n)
      await tessStream.until((f) => updatesOf(f, message.id).length >= n)
      const samUpdate = updatesOf(samStream.frames, message.id)[n - 1]
      const tessUpdate = updatesOf(tessStream.frames, message.id)[n - 1]
      t.same(samUpdate, await lc.view(sam, tess, message.id), `${label}: sam's stream has the message as sam sees it`)
      t.same(tessUpdate, await lc.view(tess, sam, message.id), `${label}: tess's stream has the message as tess sees it`)
      return [samUpdate, tessUpdate]
    }

    t.equal((await lc.edit(sam, message.id, { content: 'live edit!' })).statusCode, 200)
    const [samEdit, tessEdit] = await expectUpdate(1, 'edit')
    t.match(samEdit, { id: message.id, direction: 'out', content: 'live edit!', edited_at: ISO })
    t.match(tessEdit, { id: message.id, direction: 'in', content: 'live edit!', edited_at: ISO })

    t.equal((await lc.react(tess, message.id, '👍')).statusCode, 200)
    const [samAdded, tessAdded] = await expectUpdate(2, 'reaction added')
    t.same(samAdded?.reactions, [r('👍', 1, false)], 'me relative to sam')
    t.same(tessAdded?.reactions, [r('👍', 1, true)], 'me relative to tess, who reacted')

    t.equal((await lc.react(tess, message.id, '👍', 'DELETE')).statusCode, 200)
    const [samRemoved, tessRemoved] = await expectUpdate(3, 'reaction removed')
    t.same(samRemoved?.reactions, [])
    t.same(tessRemoved?.reactions, [])

    t.equal((await lc.unsend(sam, message.id)).statusCode, 204)
    const [samUnsent, tessUnsent] = await expectUpdate(4, 'unsend')
    t.match(samUnsent, { id: message.id, direction: 'out', content: '', reactions: [], unsent_at: ISO })
    t.match(tessUnsent, { id: message.id, direction: 'in', content: '', reactions: [], unsent_at: ISO })

    const toUrsula = await lc.send(sam, ursula, 'fence')
    await ursulaStream.until((f) => f.some((x) => x.event === 'message' && (x.data as RichMessage).id === toUrsula.id))
    t.same(ursulaStream.frames.filter((f) => f.event === 'message_updated'), [], 'a bystander hears nothing of it')
    // A last message to tess, after every change: once both streams have it, no update is still on its way.
    const last = await lc.send(sam, tess, 'after everything')
    const hasLast = (f: SseFrame[]): boolean => f.some((x) => x.event === 'message' && (x.data as RichMessage).id === last.id)
    await samStream.until(hasLast)
    await tessStream.until(hasLast)
    t.equal(updatesOf(samStream.frames, message.id).length, 4, 'one update per change on sam\'s stream')
    t.equal(updatesOf(tessStream.frames, message.id).length, 4, 'one update per change on tess\'s stream')
  })
})
