// The HTTP contract of SPEC §3: every route, its shapes and status codes, with and without the
// trailing slash, on SQLite and PostgreSQL, with integer user ids and with string ones
// (userIdType: 'string', the example app's User.id a cuid).
import t, { type Test } from 'tap'
import type { UserId } from '../src/index.js'
import { forEachDatabase, type TestDatabase } from './helpers/databases.js'
import { as, createUsers, getJson, send, startApp, type MessageJson, type PageJson, type PartnerJson } from './helpers/app.js'

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

forEachDatabase(t, 'contract', contract)
forEachDatabase(t, 'contract', contract, { userIdType: 'string' })

async function contract (t: Test, db: TestDatabase): Promise<void> {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol] = await createUsers<UserId>(app, 'alice', 'bob', 'carol')
  if (alice === undefined || bob === undefined || carol === undefined) throw new Error('users')

  await t.test('every route answers 401 to an anonymous or unknown caller, with and without the slash', async (t) => {
    const routes: Array<[string, string]> = [
      ['GET', '/api/dm/unread/'], ['GET', '/api/dm/conversations/'], ['GET', '/api/dm/conversations/unread/'],
      ['GET', `/api/dm/conversations/${bob.id}/`], ['POST', `/api/dm/conversations/${bob.id}/`],
      ['POST', `/api/dm/send/${bob.id}/`], ['DELETE', '/api/dm/messages/1/']
    ]
    for (const [method, url] of routes) {
      for (const path of [url, url.slice(0, -1)]) {
        const payload = method === 'POST' ? { content: 'hi' } : undefined
        const anonymous = await app.inject({ method: method as 'GET', url: path, payload })
        t.equal(anonymous.statusCode, 401, `${method} ${path} anonymous`)
        t.match(anonymous.json(), { statusCode: 401, error: 'Unauthorized', message: String }, `${method} ${path} body`)
        const unknown = await app.inject({ method: method as 'GET', url: path, payload, headers: { authorization: 'Token not-a-real-token' } })
        t.equal(unknown.statusCode, 401, `${method} ${path} unknown token`)
      }
    }
    t.equal((await app.inject({ method: 'GET', url: '/api/dm/unread/', headers: { authorization: `Basic ${alice.token}` } })).statusCode, 401, 'an unsupported scheme is anonymous')
  })

  await t.test('POST /send/<id>/ answers 201 with the message object', async (t) => {
    const res = await as(app, alice, { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: { content: 'Hello, world!' } })
    t.equal(res.statusCode, 201)
    const message = res.json<MessageJson>()
    t.same(Object.keys(message).sort(), ['content', 'direction', 'id', 'read_at', 'recipient', 'sender', 'sent_at'])
    t.match(message, { sender: alice.id, recipient: bob.id, direction: 'out', read_at: null, content: 'Hello, world!' })
    t.match(message.sent_at, ISO)
    t.ok(Number.isInteger(message.id) && message.id > 0)
    const bare = await as(app, bob, { method: 'POST', url: `/api/dm/send/${alice.id}`, payload: { content: '  Hi back  ' } })
    t.equal(bare.statusCode, 201, 'without the trailing slash')
    t.equal(bare.json<MessageJson>().content, '  Hi back  ', 'content is stored as given, not trimmed')
  })

  await t.test('GET /unread/ counts unread messages addressed to me', async (t) => {
    t.same(await getJson(app, bob, '/api/dm/unread/'), { id: bob.id, count: 1 })
    t.same(await getJson(app, alice, '/api/dm/unread'), { id: alice.id, count: 1 })
    t.same(await getJson(app, carol, '/api/dm/unread/'), { id: carol.id, count: 0 })
  })

  await t.test('GET /conversations/unread/ lists partners with unread messages', async (t) => {
    await send(app, carol, bob, 'from carol 1')
    await send(app, carol, bob, 'from carol 2')
    t.same(await getJson(app, bob, '/api/dm/conversations/unread/'), [
      { partner_id: carol.id, partner_username: 'carol', unread_count: 2 },
      { partner_id: alice.id, partner_username: 'alice', unread_count: 1 }
    ])
    t.same(await getJson(app, carol, '/api/dm/conversations/unread'), [], 'only partners with unread > 0')
    t.same(await getJson(app, bob, '/api/dm/unread/'), { id: bob.id, count: 3 }, 'agrees with /unread/')
  })

  await t.test('GET /conversations/ pages partners, most recent activity first', async (t) => {
    const page = await getJson<PageJson<PartnerJson & { unread_count: number, last_message: MessageJson }>>(app, bob, '/api/dm/conversations/')
    t.same(Object.keys(page).sort(), ['next', 'previous', 'results'])
    t.equal(page.next, null)
    t.equal(page.previous, null)
    t.same(page.results.map((entry) => Object.keys(entry).sort()), Array(2).fill(['first_name', 'id', 'last_message', 'last_name', 'unread_count', 'username']),
      'the partner object of the reference, plus unread_count and last_message')
    t.match(page.results, [
      { id: carol.id, username: 'carol', first_name: '', last_name: '', unread_count: 2, last_message: { sender: carol.id, recipient: bob.id, direction: 'in', content: 'from carol 2', read_at: null } },
      { id: alice.id, username: 'alice', first_name: '', last_name: '', unread_count: 1, last_message: { sender: bob.id, recipient: alice.id, direction: 'out', content: '  Hi back  ' } }
    ])
    await send(app, alice, bob, 'alice again')
    const after = await getJson<PageJson<PartnerJson>>(app, bob, '/api/dm/conversations')
    t.same(after.results.map((p) => p.id), [alice.id, carol.id], 'a new message moves the conversation to the top')
    t.same((await getJson<PageJson<PartnerJson>>(app, carol, '/api/dm/conversations/')).results.map((p) => p.id), [bob.id])
  })

  await t.test('GET /conversations/<id>/ pages messages newest first and marks the conversation read', async (t) => {
    const page = await getJson<PageJson<MessageJson>>(app, bob, `/api/dm/conversations/${alice.id}/`)
    t.equal(page.next, null)
    t.equal(page.previous, null)
    t.same(page.results.map((m) => m.content), ['alice again', '  Hi back  ', 'Hello, world!'])
    t.same(page.results.map((m) => m.direction), ['in', 'out', 'in'], 'direction is from the caller\'s point of view')
    for (const message of page.results.filter((m) => m.direction === 'in')) t.match(message.read_at, ISO, 'inbound messages are read')
    t.equal(page.results[1]?.read_at, null, 'my own message stays unread until alice reads it')
    t.same(await getJson(app, bob, '/api/dm/unread/'), { id: bob.id, count: 2 }, 'carol\'s two remain')
    t.same(await getJson(app, bob, '/api/dm/conversations/unread/'), [{ partner_id: carol.id, partner_username: 'carol', unread_count: 2 }])
    const aliceView = await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${bob.id}`)
    t.same(aliceView.results.map((m) => m.direction), ['out', 'in', 'out'])
    t.ok(aliceView.results.every((m) => m.read_at !== null), 'every message is read once both have looked')
  })

  await t.test('POST /conversations/<id>/ sends and answers 201 with the first page', async (t) => {
    const res = await as(app, bob, { method: 'POST', url: `/api/dm/conversations/${carol.id}/`, payload: { content: 'thanks carol' } })
    t.equal(res.statusCode, 201)
    const page = res.json<PageJson<MessageJson>>()
    t.same(Object.keys(page).sort(), ['next', 'previous', 'results'])
    t.same(page.results.map((m) => [m.content, m.direction]), [['thanks carol', 'out'], ['from carol 2', 'in'], ['from carol 1', 'in']])
    t.ok(page.results.filter((m) => m.direction === 'in').every((m) => m.read_at !== null), 'answers the page as GET does, read')
    const bare = await as(app, carol, { method: 'POST', url: `/api/dm/conversations/${bob.id}`, payload: { content: 'welcome' } })
    t.equal(bare.statusCode, 201, 'without the trailing slash')
  })

  await t.test('DELETE /messages/<id>/ hides a message for me only: 204, again 204, not mine 404', async (t) => {
    const message = await send(app, alice, carol, 'to be deleted')
    const first = await as(app, carol, { method: 'DELETE', url: `/api/dm/messages/${message.id}/` })
    t.equal(first.statusCode, 204)
    t.equal(first.body, '', 'no body')
    t.equal((await as(app, carol, { method: 'DELETE', url: `/api/dm/messages/${message.id}` })).statusCode, 204, 'again, without the slash')
    const notMine = await as(app, bob, { method: 'DELETE', url: `/api/dm/messages/${message.id}/` })
    t.equal(notMine.statusCode, 404)
    t.match(notMine.json(), { statusCode: 404, error: 'Not Found', message: 'Message not found' })
    t.equal((await as(app, bob, { method: 'DELETE', url: '/api/dm/messages/987654/' })).statusCode, 404, 'unknown')
    const carolView = await getJson<PageJson<MessageJson>>(app, carol, `/api/dm/conversations/${alice.id}/`)
    t.same(carolView.results, [], 'gone for carol')
    const aliceView = await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${carol.id}/`)
    t.same(aliceView.results.map((m) => m.content), ['to be deleted'], 'alice still sees it')
  })

  await t.test('routes taking a user id answer 404 for a user that does not exist', async (t) => {
    const missing = db.userIdType === 'string' ? 'cm0nosuchuser0000000000000' : 2_000_000
    for (const [method, url] of [['GET', `/api/dm/conversations/${missing}/`], ['POST', `/api/dm/conversations/${missing}/`], ['POST', `/api/dm/send/${missing}/`]] as const) {
      const res = await as(app, alice, { method, url, payload: method === 'POST' ? { content: 'hello?' } : undefined })
      t.equal(res.statusCode, 404, `${method} ${url}`)
      t.match(res.json(), { statusCode: 404, error: 'Not Found', message: `User ${missing} does not exist` })
    }
    t.same(await getJson(app, alice, '/api/dm/unread/'), { id: alice.id, count: 0 }, 'nothing was stored')
  })

  await t.test('400 for messaging yourself, empty and whitespace content', async (t) => {
    const self = await as(app, alice, { method: 'POST', url: `/api/dm/send/${alice.id}/`, payload: { content: 'me' } })
    t.equal(self.statusCode, 400)
    t.match(self.json(), { message: 'You cannot send a message to yourself' })
    for (const content of ['', ' ', '\n\t ']) {
      for (const url of [`/api/dm/send/${bob.id}/`, `/api/dm/conversations/${bob.id}/`]) {
        const res = await as(app, alice, { method: 'POST', url, payload: { content } })
        t.equal(res.statusCode, 400, `${JSON.stringify(content)} to ${url}`)
        t.match(res.json(), { message: /content/ })
      }
    }
    const missing = await as(app, alice, { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: {} })
    t.equal(missing.statusCode, 400)
    t.match(missing.json(), { message: /content/ })
  })
}
