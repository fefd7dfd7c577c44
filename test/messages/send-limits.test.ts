// Limits on sending: a per-user send rate limit (off by default; 429 with Retry-After, both send
// routes in one bucket), and the maxContentLength option. SQLite, PostgreSQL and MariaDB, and a bare host.
import t from 'tap'
import { forEachDatabase, openDatabase } from '../helpers/databases.js'
import { as, createUsers, startApp } from '../helpers/app.js'
import { host } from '../helpers/host.js'

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
})

t.test('maxContentLength on a bare host', async (t) => {
  const db = await openDatabase('sqlite', 'max_content_length')
  t.teardown(() => db.close())
  const alice = await db.prisma.user.create({ data: { username: 'alice', firstName: 'Alice', lastName: 'A', token: 'a' } })
  const bob = await db.prisma.user.create({ data: { username: 'bob', firstName: 'Bob', lastName: 'B', token: 'b' } })

  await t.test('a send one character over maxContentLength is 400, from the routes and the service', async (t) => {
    const app = await host(db, { maxContentLength: 5 })
    const headers = { 'x-user': String(alice.id) }
    t.equal((await app.inject({ method: 'POST', url: `/send/${bob.id}/`, headers, payload: { content: '12345' } })).statusCode, 201)
    const long = await app.inject({ method: 'POST', url: `/send/${bob.id}/`, headers, payload: { content: '123456' } })
    t.equal(long.statusCode, 400)
    t.match(long.json().message, /content/)
    await t.rejects(app.directMessages.send(alice.id, bob.id, '123456'), { statusCode: 400, code: 'FST_DM_CONTENT_TOO_LONG' }, 'the service enforces it too')
    await app.close()
  })
})
