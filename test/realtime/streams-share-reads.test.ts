// One catch-up per user, not per stream (ten streams of one user woken by one change read the
// database once between them), and a stream that resumes from an older id while the user's
// other streams are live still gets every message it missed, once. SQLite, PostgreSQL and MariaDB.
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { forEachDatabase, statementsReported } from '../helpers/databases.js'
import { createUsers, send, startApp, type MessageJson } from '../helpers/app.js'
import { openStream, type SseFrame, type SseStream } from '../helpers/sse.js'
import { eventually } from '../helpers/wait.js'

const ids = (frames: SseFrame[]): number[] => frames.filter((f) => f.event === 'message').map((f) => (f.data as MessageJson).id)

forEachDatabase(t, 'streams of one user share their reads', async (t, db) => {
  const app = await startApp(db, { directMessages: { maxStreamsPerUser: 20 } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  t.teardown(() => app.close())
  const [alice, bob] = await createUsers(app, 'alice', 'bob')
  if (alice === undefined || bob === undefined) throw new Error('users')

  // The statements that read a user's changes for their streams (Store.changesAfter).
  let reads = 0
  const seen: string[] = []
  db.prisma.$on('query', (event) => {
    seen.push(event.query)
    if (/FROM dm_change c LEFT JOIN dm_message m/.test(event.query.replace(/\s+/g, ' '))) reads++
  })

  await t.test('ten streams, one read per change', async (t) => {
    const streams: SseStream[] = []
    for (let i = 0; i < 10; i++) streams.push(await openStream(base, '/api/dm/events/', bob.headers))
    t.teardown(() => { for (const stream of streams) stream.close() })
    const first = await send(app, alice, bob, 'warm-up')
    await Promise.all(streams.map((stream) => stream.until((f) => ids(f).includes(first.id), 5000)))
    await eventually('the warm-up read is logged', () => reads > 0)
    const before = reads
    const second = await send(app, alice, bob, 'one change')
    await Promise.all(streams.map((stream) => stream.until((f) => ids(f).includes(second.id), 5000)))
    const third = await send(app, alice, bob, 'another')
    await Promise.all(streams.map((stream) => stream.until((f) => ids(f).includes(third.id), 5000)))
    await eventually('both reads are logged', () => reads - before >= 2)
    // Any read still in flight is logged before a statement issued now: a third read would show.
    await statementsReported(db, () => seen)
    t.equal(reads - before, 2, 'two changes, two reads for bob\'s ten streams (alice has no stream)')
    for (const [i, stream] of streams.entries()) t.same(ids(stream.frames), [first.id, second.id, third.id], `stream ${i + 1}: each message once, in order`)
  })

  await t.test('a stream resuming from an older id, beside live ones, misses nothing', async (t) => {
    const live = await openStream(base, '/api/dm/events/', bob.headers)
    t.teardown(() => live.close())
    const a = await send(app, alice, bob, 'a')
    const b = await send(app, alice, bob, 'b')
    const c = await send(app, alice, bob, 'c')
    await live.until((f) => ids(f).includes(c.id), 5000)
    // Resume after a's change (its SSE id), while the live stream is further on.
    const after = live.frames.find((f) => f.event === 'message' && (f.data as MessageJson).id === a.id)?.id as string
    const resumed = await openStream(base, '/api/dm/events/', { ...bob.headers, 'last-event-id': after })
    t.teardown(() => resumed.close())
    const d = await send(app, alice, bob, 'd')
    await resumed.until((f) => ids(f).includes(d.id), 5000)
    await live.until((f) => ids(f).includes(d.id), 5000)
    t.same(ids(resumed.frames), [b.id, c.id, d.id], 'the resumed stream: what it missed, then live, each once')
    t.same(ids(live.frames), [a.id, b.id, c.id, d.id], 'the live stream: unaffected, no duplicates')
  })
}, { logQueries: true })
