// The `driver` option (the fast path) against the Prisma client: the two paths read and write the
// same values (an application on Prisma and one on the driver, on one database, answer the same
// JSON for each other's writes); and nothing a client sends ever reaches a statement's text, on
// either path. (A wrong driver is in host/options-and-authentication.test.ts, a user table the
// database lacks in host/start-up-self-check.test.ts.)
import t from 'tap'
import { countingDriver, forEachDatabase, query } from '../helpers/databases.js'
import { as, createUsers, startApp, type TestUser } from '../helpers/app.js'

forEachDatabase(t, 'both paths read and write the same values', async (t, db) => {
  const onPrisma = await startApp(db, { driver: undefined })
  t.teardown(() => onPrisma.close())
  const onDriver = await startApp(db)
  t.teardown(() => onDriver.close())
  const [ann, ben] = await createUsers(onPrisma, 'ann', 'ben') as [TestUser, TestUser]
  const answers = async (user: TestUser, url: string): Promise<[unknown, unknown]> => {
    const [a, b] = [await as(onPrisma, user, { method: 'GET', url }), await as(onDriver, user, { method: 'GET', url })]
    t.equal(a.statusCode, 200, `GET ${url} on Prisma`)
    t.equal(b.statusCode, 200, `GET ${url} on the driver`)
    return [a.json(), b.json()]
  }
  // Writes through each path, of every kind of value: dates, flags, counts, text, reactions, edits.
  const first = (await as(onPrisma, ann, { method: 'POST', url: `/api/dm/send/${ben.id}/`, payload: { content: 'on Prisma ✓' } })).json<{ id: number }>()
  const second = (await as(onDriver, ben, { method: 'POST', url: `/api/dm/send/${ann.id}/`, payload: { content: 'on the driver', reply_to: first.id } })).json<{ id: number }>()
  t.equal((await as(onDriver, ann, { method: 'PUT', url: `/api/dm/messages/${second.id}/reactions/${encodeURIComponent('👍')}/` })).statusCode, 200)
  t.equal((await as(onPrisma, ben, { method: 'PATCH', url: `/api/dm/messages/${second.id}/`, payload: { content: 'edited on Prisma' } })).statusCode, 200)
  t.equal((await as(onDriver, ann, { method: 'PUT', url: `/api/dm/conversations/${ben.id}/mute/` })).statusCode, 204)
  t.equal((await as(onPrisma, ann, { method: 'POST', url: `/api/dm/blocks/${ben.id}/` })).statusCode, 201)
  for (const user of [ann, ben]) {
    for (const url of ['/api/dm/conversations/', '/api/dm/unread/', '/api/dm/conversations/unread/', '/api/dm/blocks/',
      `/api/dm/conversations/${user === ann ? ben.id : ann.id}/?mark_read=false`, `/api/dm/messages/${second.id}/edits/`]) {
      const [a, b] = await answers(user, url)
      t.same(b, a, `${user.username}: GET ${url} answers the same on both paths`)
    }
  }
  // The values are those written: the dates read back equal the dates answered at the send.
  const page = (await answers(ben, `/api/dm/conversations/${ann.id}/?mark_read=false`))[1] as { results: Array<{ id: number, sent_at: string, edited_at: string | null }> }
  const mine = page.results.find((m) => m.id === second.id)
  t.ok(mine !== undefined && mine.edited_at !== null && Date.parse(mine.edited_at) >= Date.parse(mine.sent_at), 'edited_at after sent_at, both real dates')
}, { driver: true })

forEachDatabase(t, 'nothing a client sends reaches a statement\'s text', async (t, db) => {
  const statements: string[] = []
  const record = (text: string): void => { statements.push(text) }
  if (db.driver !== undefined) db.driver = countingDriver(db.driver, record)
  db.prisma.$on('query', (event) => { record(event.query) })
  const app = await startApp(db, { directMessages: { presence: false } })
  t.teardown(() => app.close())
  const [eve, vic] = await createUsers(app, 'eve', 'vic') as [TestUser, TestUser]
  const MARK = 'x9q7z'
  const hostile = [`${MARK}' OR '1'='1`, `${MARK}"; DROP TABLE dm_message; --`, `${MARK}\\'); DELETE FROM app_user; --`]
  statements.length = 0
  for (const value of hostile) {
    const encoded = encodeURIComponent(value)
    for (const options of [
      { method: 'POST' as const, url: `/api/dm/send/${vic.id}/`, payload: { content: value } },
      { method: 'POST' as const, url: `/api/dm/send/${vic.id}/`, payload: { content: value }, headers: { 'idempotency-key': value.slice(0, 60) } },
      { method: 'GET' as const, url: `/api/dm/conversations/?cursor=${encoded}` },
      { method: 'GET' as const, url: `/api/dm/conversations/${encoded}/` },
      { method: 'PUT' as const, url: `/api/dm/messages/1/reactions/${encoded}/` },
      { method: 'GET' as const, url: `/api/dm/presence/?ids=${encoded}` },
      { method: 'GET' as const, url: `/api/dm/conversations/${vic.id}/?page_size=${encoded}` }
    ]) {
      const res = await as(app, eve, options)
      t.ok(res.statusCode < 500, `${options.method} ${options.url}: ${res.statusCode}`)
    }
  }
  // Query events arrive on a later turn of the event loop.
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(statements.length > 0, `${statements.length} statements seen`)
  t.same(statements.filter((text) => text.includes(MARK)), [], 'no statement text holds anything the client sent')
  const stored = await query<{ content: string }>(db, 'SELECT DISTINCT content FROM dm_message WHERE content LIKE ?', [`${MARK}%`])
  t.same(stored.map((row) => row.content).sort(), [...hostile].sort(), 'the hostile contents were stored as sent, as text')
}, { driver: true })
