// Idempotent sends: with an Idempotency-Key, a retried send (on either send route, or the service)
// answers 201 and the same message, stored once and announced once; the same key with other
// content or another recipient is a 409; a key is 1 to 255 visible ASCII characters; keys are each
// sender's own; concurrent sends with one key store and announce one message. SQLite and
// PostgreSQL.
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { forEachDatabase, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, startApp, type MessageJson, type PageJson, type TestUser } from '../helpers/app.js'
import { EventFence } from '../helpers/events.js'
import type { MessageEvent } from '../../src/index.js'

async function countOf (db: TestDatabase, text: string, params: unknown[] = []): Promise<number> {
  const rows = await query<{ n: number | string }>(db, text, params)
  return Number(rows[0]?.n)
}

/** The rows of dm_message, the fence's own messages left out. */
function messageCount (db: TestDatabase, fence: EventFence): Promise<number> {
  return countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE sender_id <> ?', [fence.pair[0].id])
}

/** The caller's view of a conversation, without marking anything read. */
function peek (app: FastifyInstance, user: TestUser, partner: TestUser | number): Promise<PageJson<MessageJson>> {
  const id = typeof partner === 'number' ? partner : partner.id
  return getJson<PageJson<MessageJson>>(app, user, `/api/dm/conversations/${id}/?mark_read=false`)
}

function post (app: FastifyInstance, user: TestUser, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return as(app, user, { method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
}

/** Both send routes, as [label, url of the route for a recipient]. */
const SEND_ROUTES: Array<[string, (id: number) => string]> = [
  ['POST /send/<id>/', (id) => `/api/dm/send/${id}/`],
  ['POST /conversations/<id>/', (id) => `/api/dm/conversations/${id}/`]
]

/** What a service call rejected with (null when it resolved). */
async function errorOf (promise: Promise<unknown>): Promise<{ statusCode: unknown, code: unknown, message: unknown } | null> {
  try {
    await promise
    return null
  } catch (err) {
    const e = err as { statusCode?: unknown, code?: unknown, message?: unknown }
    return { statusCode: e.statusCode, code: e.code, message: e.message }
  }
}

/** Every event of this name the app delivers from now on, the fence's own messages left out. */
function record (app: FastifyInstance, event: 'messageSent' | 'messageRead', fence: EventFence): MessageEvent[] {
  const items: MessageEvent[] = []
  app.directMessages.on(event, (payload) => { if (!fence.isFence(payload)) items.push(payload) })
  return items
}

forEachDatabase(t, 'idempotent sends', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol, fence1, fence2] = await createUsers(app, 'alice', 'bob', 'carol', 'fence1', 'fence2') as [TestUser, TestUser, TestUser, TestUser, TestUser]
  const fence = new EventFence(app.directMessages, [fence1, fence2])
  const sent = record(app, 'messageSent', fence)
  const keyed = (user: TestUser, url: string, content: string, key: string): Promise<LightMyRequestResponse> =>
    post(app, user, url, { content }, { 'idempotency-key': key })
  const rowsWithKey = (sender: TestUser, key: string): Promise<number> =>
    countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE sender_id = ? AND idempotency_key = ?', [sender.id, key])
  const eventsFor = (id: number): number => sent.filter((event) => event.message.id === id).length
  let order1: MessageJson | undefined

  await t.test('POST /send/<id>/: the same key twice answers 201 and the same message, stored once', async (t) => {
    const first = await keyed(alice, `/api/dm/send/${bob.id}/`, 'hello', 'order-1')
    const second = await keyed(alice, `/api/dm/send/${bob.id}/`, 'hello', 'order-1')
    t.equal(first.statusCode, 201)
    t.equal(second.statusCode, 201, 'the retry is a 201 too')
    order1 = first.json<MessageJson>()
    t.same(second.json(), order1, 'the same message id and body')
    t.equal(await rowsWithKey(alice, 'order-1'), 1, 'one row with the key')
    t.equal(await messageCount(db, fence), 1, 'one row in dm_message')
    // After the fence's event, no more of these sends' events are on their way.
    await fence.pass()
    t.equal(eventsFor(order1.id), 1, 'one messageSent event')
    t.equal(sent.length, 1)
  })

  await t.test('POST /conversations/<id>/: the same key twice answers the page with the message once', async (t) => {
    const first = await keyed(alice, `/api/dm/conversations/${bob.id}/`, 'hello again', 'order-2')
    const second = await keyed(alice, `/api/dm/conversations/${bob.id}/`, 'hello again', 'order-2')
    t.equal(first.statusCode, 201)
    t.equal(second.statusCode, 201, 'the retry is a 201 too')
    const firstPage = first.json<PageJson<MessageJson>>()
    const secondPage = second.json<PageJson<MessageJson>>()
    const created = firstPage.results[0] as MessageJson
    t.match(created, { sender: alice.id, recipient: bob.id, content: 'hello again', direction: 'out' }, 'the new message heads the page')
    t.same(secondPage.results.map((m) => m.id), firstPage.results.map((m) => m.id), 'the retry answers the same page')
    t.equal(secondPage.results.filter((m) => m.content === 'hello again').length, 1, 'holding the message only once')
    t.equal(await rowsWithKey(alice, 'order-2'), 1, 'one row with the key')
    t.equal(await messageCount(db, fence), 2)
    // After the fence's event, no more of these sends' events are on their way.
    await fence.pass()
    t.equal(eventsFor(created.id), 1, 'one messageSent event')

    const crossRoute = await keyed(alice, `/api/dm/conversations/${bob.id}/`, 'hello', 'order-1')
    t.equal(crossRoute.statusCode, 201, 'a key used on /send/ replays on /conversations/ too')
    t.equal(crossRoute.json<PageJson<MessageJson>>().results.filter((m) => m.id === order1?.id).length, 1, 'with that message once')
    t.equal(await messageCount(db, fence), 2, 'nothing new stored')
  })

  await t.test('the same key with other content or another recipient: 409, nothing stored', async (t) => {
    const stored = await messageCount(db, fence)
    const events = sent.length
    for (const [label, url] of SEND_ROUTES) {
      for (const [what, to, content] of [['other content', bob, 'HELLO'], ['another recipient', carol, 'hello']] as const) {
        const res = await keyed(alice, url(to.id), content, 'order-1')
        t.equal(res.statusCode, 409, `${label}: ${what}`)
        t.match(res.json(), { statusCode: 409, code: 'FST_DM_IDEMPOTENCY_CONFLICT', message: String })
      }
    }
    t.match(await errorOf(app.directMessages.send(alice.id, bob.id, 'HELLO', { idempotencyKey: 'order-1' })), { statusCode: 409, code: 'FST_DM_IDEMPOTENCY_CONFLICT' },
      'the service too')
    for (const badKey of ['', 'a b', 'x'.repeat(256), 'clé', 'nul\u0000key', 'tab\tkey']) {
      t.match(await errorOf(app.directMessages.send(alice.id, bob.id, 'hello', { idempotencyKey: badKey })),
        { statusCode: 400, code: 'FST_DM_INVALID_IDEMPOTENCY_KEY' }, `the service refuses the key ${JSON.stringify(badKey.slice(0, 20))}`)
    }
    // After the fence's event, no more of these sends' events are on their way.
    await fence.pass()
    t.equal(await messageCount(db, fence), stored, 'nothing new stored')
    t.equal(sent.length, events, 'no event')
    t.equal(await rowsWithKey(alice, 'order-1'), 1)
    t.same((await peek(app, carol, alice)).results, [], 'carol received nothing')
  })

  await t.test('the same key from another sender is independent', async (t) => {
    const res = await keyed(bob, `/api/dm/send/${alice.id}/`, 'hello', 'order-1')
    t.equal(res.statusCode, 201)
    const message = res.json<MessageJson>()
    t.not(message.id, order1?.id, 'a new message')
    t.match(message, { sender: bob.id, recipient: alice.id, content: 'hello' })
    const retry = await keyed(bob, `/api/dm/send/${alice.id}/`, 'hello', 'order-1')
    t.same(retry.json(), message, 'and bob\'s retry answers bob\'s message')
    t.equal(await rowsWithKey(bob, 'order-1'), 1)
    t.equal(await rowsWithKey(alice, 'order-1'), 1)
  })

  await t.test('key syntax: 1 to 255 visible ASCII characters', async (t) => {
    let visible = ''
    for (let code = 0x21; visible.length < 255; code = code === 0x7e ? 0x21 : code + 1) visible += String.fromCharCode(code)
    for (const [label, url] of SEND_ROUTES) {
      const key = `${label.length}${visible}`.slice(0, 255)
      t.equal(key.length, 255)
      const first = await keyed(alice, url(bob.id), `longest key via ${label}`, key)
      t.equal(first.statusCode, 201, `${label}: 255 visible ASCII characters`)
      const again = await keyed(alice, url(bob.id), `longest key via ${label}`, key)
      t.equal(again.statusCode, 201, 'replayed')
      t.equal(await rowsWithKey(alice, key), 1, 'stored once')
    }
    const stored = await messageCount(db, fence)
    const bad: Array<[string, string]> = [
      ['256 characters', 'k'.repeat(256)],
      ['empty', ''],
      ['with a space', 'order 3'],
      ['with a non-ASCII character', 'clé-3'],
      ['with a control character', 'order\u00073'],
      ['with a tab', 'order\t3'],
      ['with DEL', 'order\u007f3']
    ]
    for (const [label, url] of SEND_ROUTES) {
      for (const [what, key] of bad) {
        const res = await keyed(alice, url(bob.id), 'bad key', key)
        t.equal(res.statusCode, 400, `${label}: a key ${what}`)
      }
    }
    t.equal(await messageCount(db, fence), stored, 'nothing stored')
  })

  await t.test('20 concurrent sends with the same key: one message, one event, the same answer', async (t) => {
    const stored = await messageCount(db, fence)
    sent.length = 0
    const answers = await Promise.all(Array.from({ length: 20 }, () => keyed(carol, `/api/dm/send/${alice.id}/`, 'only once', 'concurrent-1')))
    t.same(answers.map((res) => res.statusCode), Array(20).fill(201), 'every answer is 201', { bodies: answers.filter((res) => res.statusCode !== 201).map((res) => res.body) })
    const ids = new Set(answers.filter((res) => res.statusCode === 201).map((res) => res.json<MessageJson>().id))
    t.equal(ids.size, 1, 'with the same message id')
    t.equal(await rowsWithKey(carol, 'concurrent-1'), 1, 'one row')
    t.equal(await messageCount(db, fence), stored + 1)
    // After the fence's event, no more of these sends' events are on their way.
    await fence.pass()
    t.equal(sent.length, 1, 'one messageSent event')
  })

  await t.test('10 concurrent sends with the same key and different contents: one 201, the others 409', async (t) => {
    const stored = await messageCount(db, fence)
    sent.length = 0
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => keyed(carol, `/api/dm/send/${bob.id}/`, `racing ${i}`, 'concurrent-2')))
    const statuses = answers.map((res) => res.statusCode).sort()
    t.same(statuses, [201, ...Array(9).fill(409)], 'one send wins, the others conflict', { bodies: answers.map((res) => res.body) })
    const winner = answers.find((res) => res.statusCode === 201)?.json<MessageJson>()
    t.equal(await rowsWithKey(carol, 'concurrent-2'), 1, 'one row')
    t.equal(await messageCount(db, fence), stored + 1)
    t.same((await peek(app, bob, carol)).results.map((m) => m.id), [winner?.id], 'bob received the winner only')
    // After the fence's event, no more of these sends' events are on their way.
    await fence.pass()
    t.equal(sent.length, 1, 'one messageSent event')
  })
})
