// Abuse limits: a per-user send rate limit (off by default; 429 with Retry-After), and a cap on
// the event streams one user may hold open. SQLite and PostgreSQL.
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { forEachDatabase } from './helpers/databases.js'
import { as, createUsers, startApp } from './helpers/app.js'
import { openStream } from './helpers/sse.js'

forEachDatabase(t, 'limits', async (t, db) => {
  await t.test('sends are not limited by default', async (t) => {
    const app = await startApp(db)
    t.teardown(() => app.close())
    const [ann, ben] = await createUsers(app, 'ann', 'ben')
    if (ann === undefined || ben === undefined) throw new Error('users')
    const statuses = []
    for (let i = 0; i < 25; i++) statuses.push((await as(app, ann, { method: 'POST', url: `/api/dm/send/${ben.id}/`, payload: { content: `m${i}` } })).statusCode)
    t.same([...new Set(statuses)], [201])
  })

  await t.test('sendRateLimit: per user, both send routes in one bucket, 429 with Retry-After', async (t) => {
    const app = await startApp(db, { directMessages: { sendRateLimit: { max: 3, timeWindow: 60_000 } } })
    t.teardown(() => app.close())
    const [cat, dan, eve] = await createUsers(app, 'cat', 'dan', 'eve')
    if (cat === undefined || dan === undefined || eve === undefined) throw new Error('users')
    const send = (from: typeof cat, to: typeof cat, url: string) => as(app, from, { method: 'POST', url: `${url}${to.id}/`, payload: { content: 'hi' } })
    t.equal((await send(cat, dan, '/api/dm/send/')).statusCode, 201)
    t.equal((await send(cat, dan, '/api/dm/conversations/')).statusCode, 201)
    t.equal((await send(cat, eve, '/api/dm/send/')).statusCode, 201)
    const limited = await send(cat, eve, '/api/dm/conversations/')
    t.equal(limited.statusCode, 429, 'the fourth send in the window, whichever route')
    t.ok(Number(limited.headers['retry-after']) > 0, `Retry-After: ${String(limited.headers['retry-after'])}`)
    t.match(limited.json(), { statusCode: 429, message: String })
    t.equal((await send(dan, cat, '/api/dm/send/')).statusCode, 201, 'another user has their own budget')
    t.equal((await as(app, cat, { method: 'GET', url: `/api/dm/conversations/${dan.id}/` })).statusCode, 200, 'reading is not limited')
    const stored = await db.sql<{ n: number | string }>('SELECT COUNT(*) AS n FROM dm_message')
    t.ok(Number(stored[0]?.n) >= 4, 'the refused send stored nothing beyond the allowed ones')
    t.equal((await app.inject({ method: 'POST', url: `/api/dm/send/${dan.id}/`, payload: { content: 'x' } })).statusCode, 401, 'anonymous callers are refused before the limit counts')
  })

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
    await new Promise((resolve) => setTimeout(resolve, 100))
    const again = await openStream(base, '/api/dm/events/', fay.headers)
    t.teardown(() => again.close())
    t.equal(again.status, 200, 'a closed stream frees its place')
  })
})
