// The features of the "blocking, messaging policy, idempotent sends, read control, conversation
// delete, richer lists" release, seen from outside: status codes, bodies, what other routes show
// afterwards, rows in the database, and events. Every scenario runs on SQLite and PostgreSQL.
import t, { type Test } from 'tap'
import type { FastifyInstance, FastifyRequest, LightMyRequestResponse } from 'fastify'
import { forEachDatabase, query, type TestDatabase } from './helpers/databases.js'
import {
  as, createUser, createUsers, getJson, pathOf, send, startApp,
  type MessageJson, type PageJson, type PartnerJson, type TestUser
} from './helpers/app.js'
import type { DirectMessagesOptions, MessageEvent, UserId } from '../src/index.js'

interface UnreadEntry { partner_id: number, partner_username: string, unread_count: number, muted: boolean }
type ConversationJson = PartnerJson & { unread_count: number, last_message: MessageJson | null }
interface ErrorJson { statusCode: number, code?: string, error: string, message: string }

const MISSING = 2_000_000
const STANDARD_REFUSAL = 'You are not allowed to send messages to this user'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
/** Events are delivered on a later turn of the event loop: give them time to arrive. */
const settle = (): Promise<void> => sleep(40)

async function countOf (db: TestDatabase, text: string, params: unknown[] = []): Promise<number> {
  const rows = await query<{ n: number | string }>(db, text, params)
  return Number(rows[0]?.n)
}

function messageCount (db: TestDatabase): Promise<number> {
  return countOf(db, 'SELECT COUNT(*) AS n FROM dm_message')
}

function messagesBetween (db: TestDatabase, from: TestUser, to: TestUser): Promise<number> {
  return countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE sender_id = ? AND recipient_id = ?', [from.id, to.id])
}

function blockRows (db: TestDatabase, blocker: TestUser, blocked: TestUser): Promise<number> {
  return countOf(db, 'SELECT COUNT(*) AS n FROM dm_block WHERE blocker_id = ? AND blocked_id = ?', [blocker.id, blocked.id])
}

async function unread (app: FastifyInstance, user: TestUser): Promise<number> {
  return (await getJson<{ id: number, count: number }>(app, user, '/api/dm/unread/')).count
}

function unreadList (app: FastifyInstance, user: TestUser): Promise<UnreadEntry[]> {
  return getJson<UnreadEntry[]>(app, user, '/api/dm/conversations/unread/')
}

function conversations (app: FastifyInstance, user: TestUser, query = ''): Promise<PageJson<ConversationJson>> {
  return getJson<PageJson<ConversationJson>>(app, user, `/api/dm/conversations/${query}`)
}

/** The caller's view of a conversation, without marking anything read. */
function peek (app: FastifyInstance, user: TestUser, partner: TestUser | number): Promise<PageJson<MessageJson>> {
  const id = typeof partner === 'number' ? partner : partner.id
  return getJson<PageJson<MessageJson>>(app, user, `/api/dm/conversations/${id}/?mark_read=false`)
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

/** Every event of this name the app delivers from now on. */
function record (app: FastifyInstance, event: 'messageSent' | 'messageRead'): MessageEvent[] {
  const items: MessageEvent[] = []
  app.directMessages.on(event, (payload) => { items.push(payload) })
  return items
}

/** Follows `next` links from `url`, checking each keeps `page_size`; answers the pages. */
async function walk<T> (t: Test, app: FastifyInstance, user: TestUser, url: string, pageSize: number): Promise<Array<PageJson<T>>> {
  const pages: Array<PageJson<T>> = []
  let next: string | null = url
  while (next !== null && pages.length < 50) {
    const page: PageJson<T> = await getJson<PageJson<T>>(app, user, next)
    pages.push(page)
    for (const link of [page.next, page.previous]) {
      if (link !== null) t.equal(new URL(link).searchParams.get('page_size'), String(pageSize), `${url}: links keep page_size`)
    }
    next = page.next === null ? null : pathOf(page.next)
  }
  return pages
}

forEachDatabase(t, 'blocking', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const alice = await createUser(app, 'alice', { first_name: 'Alice', last_name: 'Liddell' })
  const bob = await createUser(app, 'bob', { first_name: 'Bob', last_name: 'Builder' })
  const [carol, dave, erin] = await createUsers(app, 'carol', 'dave', 'erin') as [TestUser, TestUser, TestUser]
  const bobPartner = { id: bob.id, username: 'bob', first_name: 'Bob', last_name: 'Builder' }
  const partner = (user: TestUser): PartnerJson => ({ id: user.id, username: user.username, first_name: '', last_name: '' })
  // An app whose allowlist refuses bob -> alice (only erin is on it): the refusal a block must look like.
  const strict = await startApp(db, { allowedRecipients: [erin.id] })
  t.teardown(() => strict.close())
  const sent = record(app, 'messageSent')

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
    const stored = await messageCount(db)
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
    await settle()
    t.equal(await messageCount(db), stored, 'nothing stored')
    t.equal(await unread(app, alice), aliceUnread, 'alice has nothing new')
    t.same(sent, [], 'no messageSent event')
    const other = await send(app, erin, alice, 'erin is not blocked')
    t.equal(other.recipient, alice.id, 'others still reach alice')
    t.equal(await unread(app, alice), aliceUnread + 1)
  })

  await t.test('the blocker messaging the blocked user: 400 FST_DM_BLOCKED_BY_YOU', async (t) => {
    const stored = await messageCount(db)
    for (const [label, url] of SEND_ROUTES) {
      const res = await post(app, alice, url(bob.id), { content: 'I blocked you' })
      t.equal(res.statusCode, 400, label)
      t.match(res.json(), { statusCode: 400, code: 'FST_DM_BLOCKED_BY_YOU', message: String })
    }
    t.match(await errorOf(app.directMessages.send(alice.id, bob.id, 'I blocked you')), { statusCode: 400, code: 'FST_DM_BLOCKED_BY_YOU' }, 'the service too')
    t.equal(await messageCount(db), stored, 'nothing stored')
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
    await settle()
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

forEachDatabase(t, 'canMessage', async (t, db) => {
  interface Call { sender: UserId, recipient: UserId, request: FastifyRequest | undefined }
  const calls: Call[] = []
  const agents = new Set<UserId>()
  const follows = new Set<string>()
  const denied = new Set<UserId>()
  let vipId = 0

  const withPolicy = async (directMessages: Partial<DirectMessagesOptions>, allowedRecipients?: number[]): Promise<FastifyInstance> => {
    const app = await startApp(db, { directMessages, ...(allowedRecipients === undefined ? {} : { allowedRecipients }) })
    t.teardown(() => app.close())
    return app
  }
  const desk = await withPolicy({
    canMessage: (sender, recipient, request) => {
      calls.push({ sender, recipient, request })
      return agents.has(sender) || agents.has(recipient)
    }
  })
  const [agent, ann, ben, vip] = await createUsers(desk, 'agent', 'ann', 'ben', 'vip') as [TestUser, TestUser, TestUser, TestUser]
  agents.add(agent.id)
  vipId = vip.id
  const standard = { statusCode: 400, code: 'FST_DM_RECIPIENT_NOT_ALLOWED', error: 'Bad Request', message: STANDARD_REFUSAL }

  await t.test('a support desk: customers may only message agents', async (t) => {
    for (const [label, url] of SEND_ROUTES) {
      const refused = await post(desk, ann, url(ben.id), { content: 'customer to customer' })
      t.equal(refused.statusCode, 400, `${label}: customer to customer`)
      t.same(refused.json(), standard, 'false refuses with the standard body')
      t.equal((await post(desk, ann, url(agent.id), { content: `help, via ${label}` })).statusCode, 201, `${label}: customer to agent`)
      t.equal((await post(desk, agent, url(ben.id), { content: `hello, via ${label}` })).statusCode, 201, `${label}: agent to customer`)
    }
    t.match(await errorOf(desk.directMessages.send(ann.id, ben.id, 'service')), { statusCode: 400, code: 'FST_DM_RECIPIENT_NOT_ALLOWED', message: STANDARD_REFUSAL },
      'the service is refused too')
    t.equal(await messagesBetween(db, ann, ben), 0, 'nothing stored between customers')
    t.equal(await messagesBetween(db, ann, agent), 2)
  })

  await t.test('the policy receives the request on HTTP sends and undefined from the service', async (t) => {
    for (const [label, url] of SEND_ROUTES) {
      calls.length = 0
      t.equal((await post(desk, ann, url(agent.id), { content: 'with a request' })).statusCode, 201)
      t.equal(calls.length, 1, `${label}: asked once`)
      t.equal(calls[0]?.sender, ann.id)
      t.equal(calls[0]?.recipient, agent.id)
      t.equal(calls[0]?.request?.headers.authorization, ann.headers.authorization, `${label}: the request, with its Authorization header`)
    }
    calls.length = 0
    await desk.directMessages.send(ann.id, agent.id, 'from the service')
    t.equal(calls.length, 1, 'the service asks too')
    t.equal(calls[0]?.request, undefined, 'with no request')
    t.match(calls[0], { sender: ann.id, recipient: agent.id })
  })

  await t.test('an async policy: mutual followers', async (t) => {
    const app = await withPolicy({
      canMessage: async (sender, recipient) => {
        await sleep(1)
        return follows.has(`${sender}>${recipient}`) && follows.has(`${recipient}>${sender}`)
      }
    })
    const attempt = (from: TestUser, to: TestUser): Promise<number> =>
      post(app, from, `/api/dm/send/${to.id}/`, { content: 'follow-up' }).then((res) => res.statusCode)
    t.equal(await attempt(ann, ben), 400, 'strangers')
    follows.add(`${ann.id}>${ben.id}`)
    t.equal(await attempt(ann, ben), 400, 'ann follows ben, not back')
    t.equal(await attempt(ben, ann), 400, 'nor the other way')
    follows.add(`${ben.id}>${ann.id}`)
    t.equal(await attempt(ann, ben), 201, 'mutual followers')
    t.equal(await attempt(ben, ann), 201, 'both ways')
    t.equal((await post(app, ben, `/api/dm/conversations/${ann.id}/`, { content: 'in the conversation' })).statusCode, 201)
    follows.delete(`${ann.id}>${ben.id}`)
    const refused = await post(app, ben, `/api/dm/send/${ann.id}/`, { content: 'unfollowed' })
    t.equal(refused.statusCode, 400, 'asked again on every send')
    t.same(refused.json(), standard)
    t.equal(await messagesBetween(db, ann, ben) + await messagesBetween(db, ben, ann), 3, 'only the allowed sends are stored')
  })

  await t.test('a policy answering a string refuses with that message', async (t) => {
    const reason = 'This user only accepts messages from their contacts'
    const app = await withPolicy({ canMessage: (sender, recipient) => recipient === vipId || recipient === MISSING ? reason : true })
    for (const [label, url] of SEND_ROUTES) {
      const res = await post(app, ann, url(vip.id), { content: 'hello vip' })
      t.equal(res.statusCode, 400, label)
      t.same(res.json(), { ...standard, message: reason }, `${label}: the message is the policy's string`)
      t.equal((await post(app, ann, url(ben.id), { content: 'allowed' })).statusCode, 201, `${label}: true allows`)
    }
    t.match(await errorOf(app.directMessages.send(ann.id, vip.id, 'service')), { statusCode: 400, code: 'FST_DM_RECIPIENT_NOT_ALLOWED', message: reason }, 'the service too')
    t.equal(await messagesBetween(db, ann, vip), 0, 'nothing stored')
  })

  await t.test('a refused send to an unknown user is still 404', async (t) => {
    const reasonApp = await withPolicy({ canMessage: () => 'nobody may message anybody' })
    for (const app of [desk, reasonApp]) {
      for (const [label, url] of SEND_ROUTES) {
        const res = await post(app, ann, url(MISSING), { content: 'anyone there?' })
        t.equal(res.statusCode, 404, label)
        t.match(res.json(), { statusCode: 404, code: 'FST_DM_USER_NOT_FOUND', message: `User ${MISSING} does not exist` })
      }
      t.match(await errorOf(app.directMessages.send(ann.id, MISSING, 'service')), { statusCode: 404, code: 'FST_DM_USER_NOT_FOUND' }, 'the service too')
    }
  })

  await t.test('allowedRecipients, canMessage and blocks must all allow a send', async (t) => {
    // The allowlist lets anyone message the agent (and the agent anyone); the policy refuses senders in `denied`.
    const app = await withPolicy({ canMessage: (sender) => !denied.has(sender) }, [agent.id])
    const attempt = async (from: TestUser, to: TestUser): Promise<LightMyRequestResponse> =>
      await post(app, from, `/api/dm/send/${to.id}/`, { content: 'combined' })

    const byAllowlist = await attempt(ann, ben)
    t.equal(byAllowlist.statusCode, 400, 'the allowlist refuses although the policy allows')
    t.same(byAllowlist.json(), standard)

    denied.add(ann.id)
    const byPolicy = await attempt(ann, agent)
    t.equal(byPolicy.statusCode, 400, 'the policy refuses although the allowlist allows')
    t.same(byPolicy.json(), standard)
    denied.delete(ann.id)
    t.equal((await attempt(ann, agent)).statusCode, 201, 'all allow')

    t.equal((await post(app, agent, `/api/dm/blocks/${ann.id}/`)).statusCode, 201, 'the agent blocks ann')
    const byBlock = await attempt(ann, agent)
    t.equal(byBlock.statusCode, 400, 'a block refuses although allowlist and policy allow')
    t.same(byBlock.json(), standard, 'with the same body as the other refusals')
    const before = await messagesBetween(db, ann, agent)
    t.match(await errorOf(app.directMessages.send(ann.id, agent.id, 'service')), { statusCode: 400, code: 'FST_DM_RECIPIENT_NOT_ALLOWED', message: STANDARD_REFUSAL })
    t.equal(await messagesBetween(db, ann, agent), before, 'nothing stored')
    t.equal((await del(app, agent, `/api/dm/blocks/${ann.id}/`)).statusCode, 204)
    t.equal((await attempt(ann, agent)).statusCode, 201, 'unblocked: all allow again')
  })
})

forEachDatabase(t, 'idempotent sends', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol] = await createUsers(app, 'alice', 'bob', 'carol') as [TestUser, TestUser, TestUser]
  const sent = record(app, 'messageSent')
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
    t.equal(await messageCount(db), 1, 'one row in dm_message')
    await settle()
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
    t.equal(await messageCount(db), 2)
    await settle()
    t.equal(eventsFor(created.id), 1, 'one messageSent event')

    const crossRoute = await keyed(alice, `/api/dm/conversations/${bob.id}/`, 'hello', 'order-1')
    t.equal(crossRoute.statusCode, 201, 'a key used on /send/ replays on /conversations/ too')
    t.equal(crossRoute.json<PageJson<MessageJson>>().results.filter((m) => m.id === order1?.id).length, 1, 'with that message once')
    t.equal(await messageCount(db), 2, 'nothing new stored')
  })

  await t.test('the same key with other content or another recipient: 409, nothing stored', async (t) => {
    const stored = await messageCount(db)
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
    await settle()
    t.equal(await messageCount(db), stored, 'nothing new stored')
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
    const stored = await messageCount(db)
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
    t.equal(await messageCount(db), stored, 'nothing stored')
  })

  await t.test('20 concurrent sends with the same key: one message, one event, the same answer', async (t) => {
    const stored = await messageCount(db)
    sent.length = 0
    const answers = await Promise.all(Array.from({ length: 20 }, () => keyed(carol, `/api/dm/send/${alice.id}/`, 'only once', 'concurrent-1')))
    t.same(answers.map((res) => res.statusCode), Array(20).fill(201), 'every answer is 201', { bodies: answers.filter((res) => res.statusCode !== 201).map((res) => res.body) })
    const ids = new Set(answers.filter((res) => res.statusCode === 201).map((res) => res.json<MessageJson>().id))
    t.equal(ids.size, 1, 'with the same message id')
    t.equal(await rowsWithKey(carol, 'concurrent-1'), 1, 'one row')
    t.equal(await messageCount(db), stored + 1)
    await settle()
    t.equal(sent.length, 1, 'one messageSent event')
  })

  await t.test('10 concurrent sends with the same key and different contents: one 201, the others 409', async (t) => {
    const stored = await messageCount(db)
    sent.length = 0
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => keyed(carol, `/api/dm/send/${bob.id}/`, `racing ${i}`, 'concurrent-2')))
    const statuses = answers.map((res) => res.statusCode).sort()
    t.same(statuses, [201, ...Array(9).fill(409)], 'one send wins, the others conflict', { bodies: answers.map((res) => res.body) })
    const winner = answers.find((res) => res.statusCode === 201)?.json<MessageJson>()
    t.equal(await rowsWithKey(carol, 'concurrent-2'), 1, 'one row')
    t.equal(await messageCount(db), stored + 1)
    t.same((await peek(app, bob, carol)).results.map((m) => m.id), [winner?.id], 'bob received the winner only')
    await settle()
    t.equal(sent.length, 1, 'one messageSent event')
  })
})

forEachDatabase(t, 'read control', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol] = await createUsers(app, 'alice', 'bob', 'carol') as [TestUser, TestUser, TestUser]
  const read = record(app, 'messageRead')
  const markRead = (user: TestUser, partner: number, payload?: unknown): Promise<LightMyRequestResponse> =>
    post(app, user, `/api/dm/conversations/${partner}/read/`, payload)
  const readState = async (ids: number[]): Promise<boolean[]> => {
    const states: boolean[] = []
    for (const id of ids) states.push((await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE id = ? AND read_at IS NOT NULL', [id])) === 1)
    return states
  }

  await t.test('POST /conversations/<id>/read/ without a body marks everything from that partner', async (t) => {
    const fromBob: MessageJson[] = []
    for (let i = 1; i <= 3; i++) fromBob.push(await send(app, bob, alice, `bob ${i}`))
    await send(app, carol, alice, 'carol 1')
    await send(app, alice, bob, 'alice to bob')
    t.equal(await unread(app, alice), 4)
    read.length = 0

    const res = await markRead(alice, bob.id)
    t.equal(res.statusCode, 200)
    t.same(res.json(), { count: 3 })
    t.equal(await unread(app, alice), 1, '/unread/ drops by 3')
    t.same(await unreadList(app, alice), [{ partner_id: carol.id, partner_username: 'carol', unread_count: 1, muted: false }], 'carol\'s message stays unread')
    t.same(await readState(fromBob.map((m) => m.id)), [true, true, true], 'read_at is stored')
    t.equal(await unread(app, bob), 1, 'bob\'s own unread message is untouched')
    await settle()
    t.equal(read.length, 3, 'three messageRead events')
    t.same(read.map((event) => event.message.id).sort((a, b) => a - b), fromBob.map((m) => m.id))
    t.ok(read.every((event) => event.from === bob.id && event.to === alice.id && event.message.readAt instanceof Date))

    read.length = 0
    t.same((await markRead(alice, bob.id)).json(), { count: 0 }, 'again: nothing left to mark')
    t.equal((await post(app, alice, `/api/dm/conversations/${bob.id}/read`)).statusCode, 200, 'without the trailing slash')
    await settle()
    t.equal(read.length, 0, 'no events')
  })

  await t.test('{"up_to": id} marks only messages up to that id', async (t) => {
    const batch: MessageJson[] = []
    for (let i = 1; i <= 4; i++) batch.push(await send(app, bob, alice, `batch ${i}`))
    const [m1, m2, , m4] = batch as [MessageJson, MessageJson, MessageJson, MessageJson]
    read.length = 0

    t.same((await markRead(alice, bob.id, { up_to: m2.id })).json(), { count: 2 })
    t.same(await readState(batch.map((m) => m.id)), [true, true, false, false], 'only ids <= up_to are read')
    t.same(await unreadList(app, alice), [
      { partner_id: bob.id, partner_username: 'bob', unread_count: 2, muted: false },
      { partner_id: carol.id, partner_username: 'carol', unread_count: 1, muted: false }
    ], 'the rest stay unread in /conversations/unread/')
    t.same((await peek(app, alice, bob)).results.slice(0, 4).map((m) => m.read_at !== null), [false, false, true, true], 'and in the conversation')
    t.same((await markRead(alice, bob.id, { up_to: m2.id })).json(), { count: 0 }, 'again: 0')
    t.same((await markRead(alice, bob.id, { up_to: m1.id })).json(), { count: 0 }, 'an older up_to: 0')
    await settle()
    t.same(read.map((event) => event.message.id), [m1.id, m2.id], 'messageRead for the two only')

    t.same((await markRead(alice, bob.id, { up_to: m4.id + 1000 })).json(), { count: 2 }, 'an up_to beyond the newest marks the rest')
    t.same((await markRead(alice, bob.id, { up_to: m4.id })).json(), { count: 0 })
    const late = await send(app, bob, alice, 'late')
    t.same((await markRead(alice, bob.id, {})).json(), { count: 1 }, 'an empty object marks everything')
    t.same(await readState([late.id]), [true])
    t.equal(await unread(app, alice), 1, 'only carol\'s remains')
  })

  await t.test('unknown user 404, bad up_to 400', async (t) => {
    const pending = await send(app, bob, alice, 'pending')
    for (const payload of [undefined, { up_to: 1 }]) {
      const res = await markRead(alice, MISSING, payload)
      t.equal(res.statusCode, 404, `unknown user, body ${JSON.stringify(payload)}`)
      t.match(res.json(), { statusCode: 404, code: 'FST_DM_USER_NOT_FOUND' })
    }
    for (const upTo of ['x', 0, -1, 1.5]) {
      const res = await markRead(alice, bob.id, { up_to: upTo })
      t.equal(res.statusCode, 400, `up_to ${JSON.stringify(upTo)}`)
    }
    t.same(await readState([pending.id]), [false], 'nothing was marked')
    t.equal(await unread(app, alice), 2)
    t.same((await markRead(alice, bob.id)).json(), { count: 1 })
  })

  await t.test('GET /conversations/<id>/?mark_read=false marks nothing; true or absent marks', async (t) => {
    const quiet = [await send(app, bob, alice, 'quiet 1'), await send(app, bob, alice, 'quiet 2')]
    const before = await unread(app, alice)
    read.length = 0
    const page = await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${bob.id}/?mark_read=false`)
    t.same(page.results.slice(0, 2).map((m) => [m.content, m.read_at]), [['quiet 2', null], ['quiet 1', null]], 'the page shows them unread')
    t.equal(await unread(app, alice), before, '/unread/ unchanged')
    t.same(await readState(quiet.map((m) => m.id)), [false, false], 'read_at stays null')
    t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE recipient_id = ? AND sender_id = ? AND read_at IS NULL', [alice.id, bob.id]), 2)

    const marked = await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${bob.id}/?mark_read=true`)
    t.ok(marked.results.slice(0, 2).every((m) => m.read_at !== null), 'mark_read=true marks')
    t.equal(await unread(app, alice), before - 2)
    t.same(await readState(quiet.map((m) => m.id)), [true, true])
    await settle()
    t.equal(read.length, 2, 'with messageRead events')

    const third = await send(app, bob, alice, 'quiet 3')
    await getJson(app, alice, `/api/dm/conversations/${bob.id}/`)
    t.same(await readState([third.id]), [true], 'absent marks')
    t.equal(await unread(app, alice), before - 2)
    t.equal((await as(app, alice, { method: 'GET', url: `/api/dm/conversations/${bob.id}/?mark_read=maybe` })).statusCode, 400, 'mark_read must be a boolean')
  })
})

forEachDatabase(t, 'conversation delete', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol, dave] = await createUsers(app, 'alice', 'bob', 'carol', 'dave') as [TestUser, TestUser, TestUser, TestUser]

  await t.test('DELETE /conversations/<id>/ hides the conversation for the caller only', async (t) => {
    const b1 = await send(app, bob, alice, 'b1')
    const a1 = await send(app, alice, bob, 'a1')
    const b2 = await send(app, bob, alice, 'b2')
    await send(app, carol, alice, 'c1')
    t.equal(await unread(app, alice), 3, 'two unread from bob, one from carol')
    t.equal(await unread(app, bob), 1)

    const res = await del(app, alice, `/api/dm/conversations/${bob.id}/`)
    t.equal(res.statusCode, 204)
    t.equal(res.body, '', 'no body')

    t.same(await getJson(app, alice, `/api/dm/conversations/${bob.id}/`), { next: null, previous: null, results: [] }, 'the caller\'s conversation is empty')
    t.same((await conversations(app, alice)).results.map((entry) => entry.id), [carol.id], 'it left the caller\'s list')
    t.equal(await unread(app, alice), 1, 'its unread messages left /unread/')
    t.same(await unreadList(app, alice), [{ partner_id: carol.id, partner_username: 'carol', unread_count: 1, muted: false }], 'and /conversations/unread/')
    t.same((await markRead(alice, bob)).json(), { count: 0 }, 'nothing left to mark read')

    t.equal(await unread(app, bob), 1, 'the partner keeps his unread count')
    const bobList = await conversations(app, bob)
    t.match(bobList.results, [{ id: alice.id, unread_count: 1, last_message: { id: b2.id } }], 'and his list entry')
    t.same((await peek(app, bob, alice)).results.map((m) => m.id), [b2.id, a1.id, b1.id], 'the partner still sees everything')
    t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE id IN (?, ?, ?)', [b1.id, a1.id, b2.id]), 3, 'the rows stay')
  })

  await t.test('a later message brings the conversation back, with only the new message', async (t) => {
    const b3 = await send(app, bob, alice, 'b3')
    const list = await conversations(app, alice)
    t.match(list.results, [{ id: bob.id, unread_count: 1, last_message: { id: b3.id, direction: 'in' } }, { id: carol.id }], 'back on top of the list')
    t.equal(await unread(app, alice), 2)
    t.same((await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${bob.id}/`)).results.map((m) => m.content), ['b3'], 'only the new message')

    t.equal((await del(app, alice, `/api/dm/conversations/${bob.id}`)).statusCode, 204, 'deleted again, without the slash')
    t.same((await conversations(app, alice)).results.map((entry) => entry.id), [carol.id])
    const a2 = await send(app, alice, bob, 'a2')
    t.match((await conversations(app, alice)).results, [{ id: bob.id, unread_count: 0, last_message: { id: a2.id, direction: 'out' } }, { id: carol.id }],
      'a message from the caller brings it back too')
    t.same((await peek(app, alice, bob)).results.map((m) => m.content), ['a2'])
    t.same((await peek(app, bob, alice)).results.map((m) => m.content), ['a2', 'b3', 'b2', 'a1', 'b1'], 'the partner saw all along')
  })

  await t.test('unknown user 404; an empty conversation with an existing user 204', async (t) => {
    const unknown = await del(app, alice, `/api/dm/conversations/${MISSING}/`)
    t.equal(unknown.statusCode, 404)
    t.match(unknown.json(), { statusCode: 404, code: 'FST_DM_USER_NOT_FOUND', message: `User ${MISSING} does not exist` })
    t.equal((await del(app, alice, `/api/dm/conversations/${dave.id}/`)).statusCode, 204, 'never talked: 204')
    t.equal((await del(app, alice, `/api/dm/conversations/${dave.id}/`)).statusCode, 204, 'again: 204')
    t.equal((await del(app, alice, '/api/dm/conversations/abc/')).statusCode, 400, 'a malformed id: 400')
    t.same((await conversations(app, dave)).results, [], 'nothing appeared for dave')
  })

  function markRead (user: TestUser, partner: TestUser): Promise<LightMyRequestResponse> {
    return post(app, user, `/api/dm/conversations/${partner.id}/read/`)
  }
})

forEachDatabase(t, 'richer lists', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol, dave, erin] = await createUsers(app, 'alice', 'bob', 'carol', 'dave', 'erin') as [TestUser, TestUser, TestUser, TestUser, TestUser]

  await send(app, bob, alice, 'b1')
  const b2 = await send(app, bob, alice, 'b2')
  const toCarol = await send(app, alice, carol, 'to carol')
  const d1 = await send(app, dave, alice, 'd1')
  await getJson(app, alice, `/api/dm/conversations/${dave.id}/`)
  const toDave = await send(app, alice, dave, 'to dave, then deleted by alice')
  t.equal((await del(app, alice, `/api/dm/messages/${toDave.id}/`)).statusCode, 204)
  const e1 = await send(app, erin, alice, 'e1, deleted by erin')
  t.equal((await del(app, erin, `/api/dm/messages/${e1.id}/`)).statusCode, 204)
  t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message'), 6, 'seeded')

  await t.test('each entry: the partner, the unread count and the newest message the caller has not deleted', async (t) => {
    const page = await conversations(app, alice)
    t.same(page.results.map((entry) => Object.keys(entry).sort()), Array(4).fill(['archived', 'first_name', 'id', 'last_message', 'last_name', 'muted', 'unread_count', 'username']),
      'exactly these keys')
    const unreadByPartner = new Map((await unreadList(app, alice)).map((entry) => [entry.partner_id, entry.unread_count]))
    for (const entry of page.results) {
      t.equal(entry.unread_count, unreadByPartner.get(entry.id) ?? 0, `${entry.username}: unread_count agrees with /conversations/unread/`)
      const newest = (await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${entry.id}/?mark_read=false&page_size=1`)).results[0]
      t.same(entry.last_message, newest, `${entry.username}: last_message is the newest message of the conversation as the caller sees it`)
    }
    const ids = page.results.map((entry) => entry.last_message?.id ?? 0)
    t.same(ids, [...ids].sort((a, b) => b - a), 'most recent visible message first')
    t.match(page.results, [
      { id: erin.id, username: 'erin', unread_count: 1, last_message: { id: e1.id, direction: 'in', read_at: null } },
      { id: dave.id, username: 'dave', unread_count: 0, last_message: { id: d1.id, direction: 'in', read_at: String } },
      { id: carol.id, username: 'carol', unread_count: 0, last_message: { id: toCarol.id, direction: 'out', read_at: null } },
      { id: bob.id, username: 'bob', unread_count: 2, last_message: { id: b2.id, direction: 'in', content: 'b2' } }
    ], 'the caller\'s deletes change her list, the partner\'s deletes do not')
    t.match((await conversations(app, dave)).results, [{ id: alice.id, unread_count: 1, last_message: { id: toDave.id, direction: 'in' } }],
      'dave still sees the message alice deleted')
    t.same((await conversations(app, erin)).results, [], 'erin deleted her only message: no conversation on her list')
  })

  await t.test('page_size 1 and 100 work and links keep it; 0, 101 and x are 400', async (t) => {
    const full = await conversations(app, alice)
    const pages = await walk<ConversationJson>(t, app, alice, '/api/dm/conversations/?page_size=1', 1)
    t.same(pages.map((page) => page.results.length), [1, 1, 1, 1], 'one entry per page')
    t.same(pages.flatMap((page) => page.results), full.results, 'walking next gives the whole list')
    const hundred = await conversations(app, alice, '?page_size=100')
    t.same(hundred, full, 'page_size=100')

    t.equal((await post(app, alice, `/api/dm/blocks/${carol.id}/`)).statusCode, 201)
    t.equal((await post(app, alice, `/api/dm/blocks/${dave.id}/`)).statusCode, 201)
    const blockPages = await walk<PartnerJson>(t, app, alice, '/api/dm/blocks/?page_size=1', 1)
    t.same(blockPages.flatMap((page) => page.results.map((p) => p.id)), [dave.id, carol.id], '/blocks/ with page_size=1')
    t.same((await getJson<PageJson<PartnerJson>>(app, alice, '/api/dm/blocks/?page_size=100')).results.map((p) => p.id), [dave.id, carol.id])

    const messagePages = await walk<MessageJson>(t, app, alice, `/api/dm/conversations/${bob.id}/?page_size=1`, 1)
    t.same(messagePages.flatMap((page) => page.results.map((m) => m.content)), ['b2', 'b1'], '/conversations/<id>/ with page_size=1')
    t.equal((await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${bob.id}/?page_size=100`)).results.length, 2)

    for (const url of ['/api/dm/conversations/', `/api/dm/conversations/${bob.id}/`, '/api/dm/blocks/']) {
      for (const size of ['0', '101', 'x']) {
        const res = await as(app, alice, { method: 'GET', url: `${url}?page_size=${size}` })
        t.equal(res.statusCode, 400, `${url}?page_size=${size}`)
      }
    }
  })
})

forEachDatabase(t, 'no N+1 in the conversation list', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  let recording: string[] | null = null
  db.prisma.$on('query', (event) => { recording?.push(event.query) })

  const [few, many, warm] = await createUsers(app, 'few', 'many', 'warm') as [TestUser, TestUser, TestUser]
  const partners = await createUsers(app, ...Array.from({ length: 30 }, (_, i) => `partner${i}`))
  for (const [i, partner] of partners.entries()) {
    await send(app, partner, many, `hello many ${i}`)
    if (i < 3) await send(app, few, partner, `hello from few ${i}`)
  }
  await send(app, warm, partners[0] as TestUser, 'warm-up')

  async function statements (user: TestUser, expected: number): Promise<string[]> {
    const issued: string[] = []
    recording = issued
    try {
      const page = await getJson<PageJson<ConversationJson>>(app, user, '/api/dm/conversations/?page_size=50')
      t.equal(page.results.length, expected, `${user.username} has ${expected} conversations`)
      await sleep(20)
    } finally {
      recording = null
    }
    return issued
  }

  await statements(warm, 1)
  const forFew = await statements(few, 3)
  const forMany = await statements(many, 30)
  t.ok(forFew.length > 0, 'queries are logged')
  t.equal(forMany.length, forFew.length, `the same number of statements for 3 and 30 partners (${forFew.length} vs ${forMany.length})`,
    { few: forFew, many: forMany })
}, { logQueries: true })
