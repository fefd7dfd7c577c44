// Stream admission in a reconnect storm: stream requests are let in 8 at a time, before the
// host's authentication runs; up to `streamQueueLimit` wait their turn in order, and one beyond
// is answered at once with only `retry: <ms>` (random, spread) and closed, without reaching the
// host's authentication. Once the queue drains, every waiting request gets its stream, and one
// told to retry gets its stream when it comes back. SQLite (admission reads nothing of its own).
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import directMessages from '../../src/index.js'
import { forEachDatabase, openDatabase } from '../helpers/databases.js'
import { createUsers, startApp } from '../helpers/app.js'
import { openStream, type SseStream } from '../helpers/sse.js'
import { eventually } from '../helpers/wait.js'

const OPENING = 8
const QUEUE = 2

/** A stream request read to its end: status, content type and body (a turned-away one ends at once). */
function turnedAway (base: string, user: number): Promise<{ status: number, type: string, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/events/`, { headers: { accept: 'text/event-stream', 'x-user': String(user) } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(5000, () => { req.destroy(new Error(`user ${user}: the request was neither turned away nor answered within 5 s`)) })
    req.end()
  })
}

/**
 * A host whose authentication of stream requests waits until `letThrough()`, listening, closed at
 * the end of `t`: it counts the stream requests that arrived and those that reached authentication.
 */
async function gatedHost (t: Test, label: string, streamQueueLimit: number): Promise<{ base: string, arrived: number, authenticating: number, letThrough: () => void }> {
  const db = await openDatabase('sqlite', label)
  t.teardown(() => db.close())
  let letThrough: () => void = () => {}
  const gate = new Promise<void>((resolve) => { letThrough = resolve })
  const app = Fastify()
  const host = { base: '', arrived: 0, authenticating: 0, letThrough }
  app.addHook('onRequest', async (request) => { if (request.url.startsWith('/events')) host.arrived++ })
  await app.register(directMessages, {
    prisma: db.prisma,
    presence: false,
    streamQueueLimit,
    getUserId: async (request) => {
      if (request.url.startsWith('/events')) {
        host.authenticating++
        await gate
      }
      return Number(request.headers['x-user'])
    }
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  host.base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  return host
}

t.test('a stream request beyond streamQueueLimit waiting ones is told to retry, before authentication', async (t) => {
  const host = await gatedHost(t, 'admission', QUEUE)
  const { base } = host
  // 8 being opened (held in authentication) and 2 waiting: users 1 to 10.
  const held: Array<Promise<SseStream>> = []
  for (let user = 1; user <= OPENING + QUEUE; user++) held.push(openStream(base, '/events/', { 'x-user': String(user) }))
  const streams: SseStream[] = []
  t.teardown(() => { for (const stream of streams) stream.close() })
  // Given up on quietly: the assertions that follow say what was wrong.
  await eventually('ten requests arrived, eight authenticating', () => host.arrived === OPENING + QUEUE && host.authenticating === OPENING).catch(() => {})
  t.equal(host.arrived, OPENING + QUEUE, 'ten stream requests arrived')
  t.equal(host.authenticating, OPENING, 'eight are being opened (their authentication runs), two wait their turn')

  // Three more: each answered at once, 200 with only a retry: line, and closed.
  const delays: number[] = []
  for (let user = 11; user <= 13; user++) {
    const answer = await turnedAway(base, user)
    t.equal(answer.status, 200, `user ${user}: 200 (an event stream that EventSource reconnects to)`)
    t.match(answer.type, /^text\/event-stream/, `user ${user}: an event stream`)
    t.match(answer.body, /^retry: \d+\n\n$/, `user ${user}: only a retry: line, then the end (${JSON.stringify(answer.body)})`)
    const delay = Number(/^retry: (\d+)/.exec(answer.body)?.[1])
    t.ok(delay >= 1000 && delay < 6000, `user ${user}: told to come back in 1 to 6 s (${delay} ms)`)
    delays.push(delay)
  }
  t.ok(new Set(delays).size > 1, `the delays are random, spreading the returns: ${delays.join(', ')} ms`)
  t.equal(host.authenticating, OPENING, 'the turned-away requests never reached the host\'s authentication')

  // The queue drains: every held request gets its stream, in turn.
  host.letThrough()
  for (const [i, pending] of held.entries()) {
    const stream = await pending
    streams.push(stream)
    t.equal(stream.status, 200, `user ${i + 1}: its stream opened`)
    t.match(await stream.position(5000), /^\d+$/, `user ${i + 1}: the stream's position`)
  }

  // A turned-away client that comes back, once the queue has room, gets its stream.
  const back = await openStream(base, '/events/', { 'x-user': '11' })
  streams.push(back)
  t.equal(back.status, 200, 'user 11, coming back, gets its stream')
  t.match(await back.position(5000), /^\d+$/)
})

t.test('streamQueueLimit: 0 lets none wait: the 9th request at once is told to retry', async (t) => {
  const host = await gatedHost(t, 'admission_zero', 0)
  const { base } = host
  const held = Array.from({ length: OPENING }, (_, i) => openStream(base, '/events/', { 'x-user': String(i + 1) }))
  await eventually('eight authenticating', () => host.authenticating === OPENING).catch(() => {})
  t.equal(host.authenticating, OPENING, 'eight are being opened')
  t.match((await turnedAway(base, 9)).body, /^retry: \d+\n\n$/, 'the ninth is told to retry')
  host.letThrough()
  const streams = await Promise.all(held)
  t.teardown(() => { for (const stream of streams) stream.close() })
  t.same(streams.map((stream) => stream.status), Array(OPENING).fill(200), 'the eight got their streams')
})

forEachDatabase(t, 'streams per user', async (t, db) => {
  await t.test('maxStreamsPerUser: one stream too many is a 429; closing one makes room', async (t) => {
    const app = await startApp(db, { directMessages: { maxStreamsPerUser: 2 } })
    await app.listen({ host: '127.0.0.1', port: 0 })
    t.teardown(() => app.close())
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    const [fay, gus] = await createUsers(app, 'fay', 'gus')
    if (fay === undefined || gus === undefined) throw new Error('users')
    const first = await openStream(base, '/api/dm/events/', fay.headers)
    const second = await openStream(base, '/api/dm/events/', fay.headers)
    t.teardown(() => { first.close(); second.close() })
    t.same([first.status, second.status], [200, 200])
    const third = await app.inject({ method: 'GET', url: '/api/dm/events/', headers: { ...fay.headers, accept: 'text/event-stream' } })
    t.equal(third.statusCode, 429)
    t.match(third.json(), { code: 'FST_DM_TOO_MANY_STREAMS', message: /2 event streams/ })
    const other = await openStream(base, '/api/dm/events/', gus.headers)
    t.teardown(() => other.close())
    t.equal(other.status, 200, 'another user is not affected')
    first.close()
    // The place is freed when the server sees the connection end: ask until it is.
    const again = await eventually('a place freed by the closed stream', async () => {
      const stream = await openStream(base, '/api/dm/events/', fay.headers)
      if (stream.status === 200) return stream
      stream.close()
      return null
    })
    t.teardown(() => again.close())
    t.equal(again.status, 200, 'a closed stream frees its place')
  })
})
