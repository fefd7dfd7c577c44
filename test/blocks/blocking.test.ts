// Blocking: POST /blocks/<id>/ and DELETE /blocks/<id>/ (201 and 204, again and again, one row),
// GET /blocks/ (most recent block first, paged); a blocked user's sends refused exactly like an
// allowlist refusal, with nothing stored or announced; the blocker refused too; no history deleted;
// concurrent blocks and storms of blocks, unblocks and sends never answering 500. SQLite and
// PostgreSQL.
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { forEachDatabase, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUser, createUsers, getJson, pathOf, send, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from '../helpers/app.js'
import { EventFence } from '../helpers/events.js'
import type { MessageEvent } from '../../src/index.js'

type ConversationJson = PartnerJson & { unread_count: number, last_message: MessageJson | null }

interface ErrorJson { statusCode: number, code?: string, error: string, message: string }

const MISSING = 2_000_000

const STANDARD_REFUSAL = 'You are not allowed to send messages to this user'

async function countOf (db: TestDatabase, text: string, params: unknown[] = []): Promise<number> {
  const rows = await query<{ n: number | string }>(db, text, params)
  return Number(rows[0]?.n)
}

/** The rows of dm_message, the fence's own messages left out. */
function messageCount (db: TestDatabase, fence: EventFence): Promise<number> {
  return countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE sender_id <> ?', [fence.pair[0].id])
}

function blockRows (db: TestDatabase, blocker: TestUser, blocked: TestUser): Promise<number> {
  return countOf(db, 'SELECT COUNT(*) AS n FROM dm_block WHERE blocker_id = ? AND blocked_id = ?', [blocker.id, blocked.id])
}

async function unread (app: FastifyInstance, user: TestUser): Promise<number> {
  return (await getJson<{ id: number, count: number }>(app, user, '/api/dm/unread/')).count
}

function conversations (app: FastifyInstance, user: TestUser, query = ''): Promise<PageJson<ConversationJson>> {
  return getJson<PageJson<ConversationJson>>(app, user, `/api/dm/conversations/${query}`)
}

function post (app: FastifyInstance, user: TestUser, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return as(app, user, { method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
}

function del (app: FastifyInstance, user: TestUser, url: string): Promise<LightMyRequestResponse> {
  return as(app, user, { method: 'DELETE', url })
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

forEachDatabase(t, 'blocking', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const alice = await createUser(app, 'alice', { first_name: 'Alice', last_name: 'Liddell' })
  const bob = await createUser(app, 'bob', { first_name: 'Bob', last_name: 'Builder' })
  const [carol, dave, erin, fence1, fence2] = await createUsers(app, 'carol', 'dave', 'erin', 'fence1', 'fence2') as [TestUser, TestUser, TestUser, TestUser, TestUser]
  const fence = new EventFence(app.directMessages, [fence1, fence2])
  const bobPartner = { id: bob.id, username: 'bob', first_name: 'Bob', last_name: 'Builder' }
  const partner = (user: TestUser): PartnerJson => ({ id: user.id, username: user.username, first_name: '', last_name: '' })
  // An app whose allowlist refuses bob -> alice (only erin is on it): the refusal a block must look like.
  const strict = await startApp(db, { allowedRecipients: [erin.id] })
  t.teardown(() => strict.close())
  const sent = record(app, 'messageSent', fence)

  // History from before any block.
  const hiBob = await send(app, alice, bob, 'hi bob')
  const hiAlice = await send(app, bob, alice, 'hi alice')

  const allowlistRefusals = new Map<string, ErrorJson>()
  for (const [label, url] of SEND_ROUTES) {
    const res = await post(strict, bob, url(alice.id), { content: 'refused by the allowlist' })
    t.equal(res.statusCode, 400, `allowlist refusal on ${label}`)
    allowlistRefusals.set(label, res.json<ErrorJson>())
  }
  const allowlistServiceRefusal = await errorOf(strict.directMessages.send(bob.id, alice.id, 'refused by the allowlist'))
  t.match(allowlistServiceRefusal, { statusCode: 400, code: 'FST_DM_RECIPIENT_NOT_ALLOWED', message: STANDARD_REFUSAL }, 'allowlist refusal from the service')
  t.same([...allowlistRefusals.values()], Array(2).fill({ statusCode: 400, code: 'FST_DM_RECIPIENT_NOT_ALLOWED', error: 'Bad Request', message: STANDARD_REFUSAL }))

  await t.test('POST /blocks/<id>/ answers 201 with the blocked user, and again 201 with one row', async (t) => {
    const first = await post(app, alice, `/api/dm/blocks/${bob.id}/`)
    t.equal(first.statusCode, 201)
    t.same(first.json(), bobPartner, 'the partner object of the blocked user')
    const again = await post(app, alice, `/api/dm/blocks/${bob.id}/`)
    t.equal(again.statusCode, 201, 'blocking again is fine')
    t.same(again.json(), bobPartner)
    const bare = await post(app, alice, `/api/dm/blocks/${bob.id}`)
    t.equal(bare.statusCode, 201, 'without the trailing slash')
    t.equal(await blockRows(db, alice, bob), 1, 'still one row in dm_block')
    t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_block'), 1, 'and no other')
  })

  await t.test('GET /blocks/ pages the blocked users, most recent block first', async (t) => {
    t.equal((await post(app, alice, `/api/dm/blocks/${carol.id}/`)).statusCode, 201)
    t.equal((await post(app, alice, `/api/dm/blocks/${dave.id}/`)).statusCode, 201)
    const all = await getJson<PageJson<PartnerJson>>(app, alice, '/api/dm/blocks/')
    t.same(Object.keys(all).sort(), ['next', 'previous', 'results'])
    t.same(all, { next: null, previous: null, results: [partner(dave), partner(carol), bobPartner] })
    t.same(await getJson(app, alice, '/api/dm/blocks'), all, 'without the trailing slash')

    const first = await getJson<PageJson<PartnerJson>>(app, alice, '/api/dm/blocks/?page_size=2')
    t.same(first.results, [partner(dave), partner(carol)], 'page_size=2: the two most recent')
    t.equal(first.previous, null)
    t.not(first.next, null, 'a next page')
    const second = await getJson<PageJson<PartnerJson>>(app, alice, pathOf(first.next as string))
    t.same(second.results, [bobPartner], 'next walks the rest')
    t.equal(second.next, null)
    t.not(second.previous, null)
    t.equal(new URL(first.next as string).searchParams.get('page_size'), '2', 'the link keeps page_size')

    t.equal((await del(app, alice, `/api/dm/blocks/${carol.id}/`)).statusCode, 204)
    t.equal((await post(app, alice, `/api/dm/blocks/${carol.id}/`)).statusCode, 201)
    t.same((await getJson<PageJson<PartnerJson>>(app, alice, '/api/dm/blocks/')).results, [partner(carol), partner(dave), bobPartner],
      'blocked again after an unblock: the most recent block')

    t.same(await getJson(app, bob, '/api/dm/blocks/'), { next: null, previous: null, results: [] }, 'bob blocks nobody: his list does not show alice\'s block')
    // Carol and dave are only there for the list.
    t.equal((await del(app, alice, `/api/dm/blocks/${carol.id}/`)).statusCode, 204)
    t.equal((await del(app, alice, `/api/dm/blocks/${dave.id}/`)).statusCode, 204)
  })

  await t.test('self, unknown and malformed ids', async (t) => {
    const self = await post(app, alice, `/api/dm/blocks/${alice.id}/`)
    t.equal(self.statusCode, 400, 'blocking yourself')
    t.match(self.json(), { statusCode: 400, code: 'FST_DM_SELF_BLOCK', message: 'You cannot block yourself' })
    for (const method of ['POST', 'DELETE'] as const) {
      const unknown = await as(app, alice, { method, url: `/api/dm/blocks/${MISSING}/` })
      t.equal(unknown.statusCode, 404, `${method} unknown user`)
      t.match(unknown.json(), { statusCode: 404, code: 'FST_DM_USER_NOT_FOUND', message: `User ${MISSING} does not exist` })
      for (const id of ['abc', '0', '-1', '1.5', '0x10', '1e3', '99999999999']) {
        const res = await as(app, alice, { method, url: `/api/dm/blocks/${id}/` })
        t.equal(res.statusCode, 400, `${method} /blocks/${id}/`)
      }
    }
    t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_block WHERE blocker_id = ?', [alice.id]), 1, 'only the block of bob is stored')
  })

  await t.test('a blocked user\'s sends are refused exactly like an allowlist refusal; nothing is stored or emitted', async (t) => {
    const stored = await messageCount(db, fence)
    const aliceUnread = await unread(app, alice)
    sent.length = 0
    for (const [label, url] of SEND_ROUTES) {
      const res = await post(app, bob, url(alice.id), { content: 'are you there?' })
      t.equal(res.statusCode, 400, label)
      t.same(res.json(), allowlistRefusals.get(label), `${label}: the same body as an allowlist refusal`)
      const keyed = await post(app, bob, url(alice.id), { content: 'are you there?' }, { 'idempotency-key': `blocked-${label.length}` })
      t.equal(keyed.statusCode, 400, `${label} with an Idempotency-Key`)
      t.same(keyed.json(), allowlistRefusals.get(label))
    }
    t.same(await errorOf(app.directMessages.send(bob.id, alice.id, 'are you there?')), allowlistServiceRefusal,
      'the service refuses with the same status, code and message as an allowlist refusal')
    // The fence's event is delivered after any the refused sends could have emitted.
    await fence.pass()
    t.equal(await messageCount(db, fence), stored, 'nothing stored')
    t.equal(await unread(app, alice), aliceUnread, 'alice has nothing new')
    t.same(sent, [], 'no messageSent event')
    const other = await send(app, erin, alice, 'erin is not blocked')
    t.equal(other.recipient, alice.id, 'others still reach alice')
    t.equal(await unread(app, alice), aliceUnread + 1)
  })

  await t.test('the blocker messaging the blocked user: 400 FST_DM_BLOCKED_BY_YOU', async (t) => {
    const stored = await messageCount(db, fence)
    for (const [label, url] of SEND_ROUTES) {
      const res = await post(app, alice, url(bob.id), { content: 'I blocked you' })
      t.equal(res.statusCode, 400, label)
      t.match(res.json(), { statusCode: 400, code: 'FST_DM_BLOCKED_BY_YOU', message: String })
    }
    t.match(await errorOf(app.directMessages.send(alice.id, bob.id, 'I blocked you')), { statusCode: 400, code: 'FST_DM_BLOCKED_BY_YOU' }, 'the service too')
    t.equal(await messageCount(db, fence), stored, 'nothing stored')
  })

  await t.test('blocking deletes no history', async (t) => {
    for (const [viewer, other] of [[alice, bob], [bob, alice]] as const) {
      const page = await getJson<PageJson<MessageJson>>(app, viewer, `/api/dm/conversations/${other.id}/`)
      t.same(page.results.map((m) => m.id), [hiAlice.id, hiBob.id], `${viewer.username} still sees the conversation`)
      const list = await conversations(app, viewer)
      t.ok(list.results.some((entry) => entry.id === other.id), `${viewer.username}'s list still shows ${other.username}`)
    }
  })

  await t.test('DELETE /blocks/<id>/ answers 204, again 204; then sends work again', async (t) => {
    const first = await del(app, alice, `/api/dm/blocks/${bob.id}/`)
    t.equal(first.statusCode, 204)
    t.equal(first.body, '', 'no body')
    t.equal((await del(app, alice, `/api/dm/blocks/${bob.id}/`)).statusCode, 204, 'unblocking again is fine')
    t.equal((await del(app, alice, `/api/dm/blocks/${bob.id}`)).statusCode, 204, 'without the trailing slash')
    t.equal(await blockRows(db, alice, bob), 0, 'the row is gone')
    t.same((await getJson<PageJson<PartnerJson>>(app, alice, '/api/dm/blocks/')).results, [])
    sent.length = 0
    const back = await send(app, bob, alice, 'back again')
    t.match(back, { sender: bob.id, recipient: alice.id, content: 'back again' })
    t.equal((await post(app, alice, `/api/dm/conversations/${bob.id}/`, { content: 'welcome back' })).statusCode, 201, 'and the other way')
    t.ok(await app.directMessages.send(bob.id, alice.id, 'through the service'), 'the service too')
    // After the fence's event, no more of these sends' events are on their way.
    await fence.pass()
    t.equal(sent.length, 3, 'each send emitted messageSent')
  })
})

forEachDatabase(t, 'concurrent blocks', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol] = await createUsers(app, 'alice', 'bob', 'carol') as [TestUser, TestUser, TestUser]

  await t.test('20 concurrent blocks of the same user: all 201, one row', async (t) => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(app, alice, `/api/dm/blocks/${bob.id}/`)))
    t.same(answers.map((res) => res.statusCode), Array(20).fill(201), 'every answer is 201', { bodies: answers.filter((res) => res.statusCode !== 201).map((res) => res.body) })
    t.ok(answers.every((res) => res.body === answers[0]?.body), 'with the same body')
    t.equal(await blockRows(db, alice, bob), 1, 'exactly one dm_block row')
    t.same((await getJson<PageJson<PartnerJson>>(app, alice, '/api/dm/blocks/')).results.map((p) => p.id), [bob.id])
  })

  await t.test('storms of blocks, unblocks, lists and sends never answer 500', async (t) => {
    const requests: Array<Promise<[string, LightMyRequestResponse]>> = []
    const labelled = (label: string, promise: Promise<LightMyRequestResponse>): Promise<[string, LightMyRequestResponse]> =>
      promise.then((res) => [label, res])
    for (let i = 0; i < 15; i++) {
      requests.push(labelled('alice blocks bob', post(app, alice, `/api/dm/blocks/${bob.id}/`)))
      requests.push(labelled('alice unblocks bob', del(app, alice, `/api/dm/blocks/${bob.id}/`)))
      requests.push(labelled('bob blocks alice', post(app, bob, `/api/dm/blocks/${alice.id}/`)))
      requests.push(labelled('bob unblocks alice', del(app, bob, `/api/dm/blocks/${alice.id}/`)))
      requests.push(labelled('carol blocks alice', post(app, carol, `/api/dm/blocks/${alice.id}/`)))
      requests.push(labelled('bob sends to alice', post(app, bob, `/api/dm/send/${alice.id}/`, { content: `storm ${i}` })))
      requests.push(labelled('alice lists her blocks', as(app, alice, { method: 'GET', url: '/api/dm/blocks/' })))
    }
    const outcomes = await Promise.all(requests)
    const expected: Record<string, number[]> = {
      'alice blocks bob': [201],
      'alice unblocks bob': [204],
      'bob blocks alice': [201],
      'bob unblocks alice': [204],
      'carol blocks alice': [201],
      'bob sends to alice': [201, 400],
      'alice lists her blocks': [200]
    }
    const unexpected = outcomes.filter(([label, res]) => !(expected[label] ?? []).includes(res.statusCode))
    t.same(unexpected.map(([label, res]) => `${label}: ${res.statusCode} ${res.body}`), [], 'every answer is an expected status, none is a 500')
    for (const [, res] of outcomes.filter(([label, res]) => label === 'bob sends to alice' && res.statusCode === 400)) {
      t.match(res.json(), { code: /^FST_DM_(RECIPIENT_NOT_ALLOWED|BLOCKED_BY_YOU)$/ }, 'a refused send is a block refusal')
    }
    for (const [blocker, blocked] of [[alice, bob], [bob, alice], [carol, alice]] as const) {
      t.ok(await blockRows(db, blocker, blocked) <= 1, `at most one row for ${blocker.username} -> ${blocked.username}`)
    }
    t.equal(await blockRows(db, carol, alice), 1, 'carol\'s block is stored once')
    const listed = (await getJson<PageJson<PartnerJson>>(app, alice, '/api/dm/blocks/')).results.map((p) => p.id)
    t.same(listed, await blockRows(db, alice, bob) === 1 ? [bob.id] : [], 'GET /blocks/ agrees with dm_block')

    // Settle the state: nobody blocks anybody between alice and bob, and messages flow again.
    t.equal((await del(app, alice, `/api/dm/blocks/${bob.id}/`)).statusCode, 204)
    t.equal((await del(app, bob, `/api/dm/blocks/${alice.id}/`)).statusCode, 204)
    t.equal((await post(app, bob, `/api/dm/send/${alice.id}/`, { content: 'after the storm' })).statusCode, 201)
  })
})
