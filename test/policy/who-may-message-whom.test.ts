// Who may message whom: nobody messages themselves (the routes, the service, the database's own
// constraints); the allowedRecipients option (users in the list may message anyone, the others only
// them); the canMessage policy (sync or async, true, false or a reason, asked on every send with the
// request or, from the service, without); and allowedRecipients, canMessage and blocks must all
// allow a send. A refusal stores nothing and answers like the others; an unknown recipient is still
// a 404. SQLite, PostgreSQL and MariaDB (through the Prisma client and the driver, for the first two).
import t, { type Test } from 'tap'
import type { FastifyInstance, FastifyRequest, LightMyRequestResponse } from 'fastify'
import { forEachDatabase, forEachPath, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, startApp, type TestUser } from '../helpers/app.js'
import { turns } from '../helpers/wait.js'
import type { DirectMessagesOptions, UserId } from '../../src/index.js'

const MISSING = 2_000_000

const STANDARD_REFUSAL = 'You are not allowed to send messages to this user'

async function countOf (db: TestDatabase, text: string, params: unknown[] = []): Promise<number> {
  const rows = await query<{ n: number | string }>(db, text, params)
  return Number(rows[0]?.n)
}

function messagesBetween (db: TestDatabase, from: TestUser, to: TestUser): Promise<number> {
  return countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE sender_id = ? AND recipient_id = ?', [from.id, to.id])
}

async function unread (app: FastifyInstance, user: TestUser): Promise<number> {
  return (await getJson<{ id: number, count: number }>(app, user, '/api/dm/unread/')).count
}

function post (app: FastifyInstance, user: TestUser, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return as(app, user, { method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
}

function del (app: FastifyInstance, user: TestUser, url: string): Promise<LightMyRequestResponse> {
  return as(app, user, { method: 'DELETE', url })
}

async function users (app: FastifyInstance, ...names: string[]): Promise<TestUser[]> {
  return await createUsers(app, ...names)
}

/** Asserts that `promise` rejects with a plugin error of this status and code. */
async function rejectsWith (t: Test, promise: Promise<unknown>, statusCode: number, code: string, label: string): Promise<void> {
  try {
    await promise
    t.fail(`${label}: expected a rejection`)
  } catch (err) {
    t.match(err, { statusCode, code }, label)
    t.match((err as { code?: string }).code, /^FST_DM_/, `${label}: code is a plugin code`)
  }
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

forEachPath(t, 'self-messaging is refused at every layer', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice] = await users(app, 'alice') as [TestUser]

  for (const url of [`/api/dm/send/${alice.id}/`, `/api/dm/conversations/${alice.id}/`]) {
    const res = await as(app, alice, { method: 'POST', url, payload: { content: 'note to self' } })
    t.equal(res.statusCode, 400, `HTTP ${url}`)
    t.match(res.json(), { code: 'FST_DM_SELF_MESSAGE', message: 'You cannot send a message to yourself' })
  }
  await rejectsWith(t, app.directMessages.send(alice.id, alice.id, 'x'), 400, 'FST_DM_SELF_MESSAGE', 'the service rejects it')

  await t.rejects(query(db, 'INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content) VALUES (?, ?, ?, ?, ?)',
    [alice.id, alice.id, alice.id, alice.id, 'raw']), { message: /dm_message_not_to_self/ }, 'the database refuses a raw INSERT to oneself (CHECK constraint)')
  await t.rejects(query(db, 'INSERT INTO dm_conversation (owner_id, partner_id, unread_count) VALUES (?, ?, 0)', [alice.id, alice.id]),
    { message: /dm_conversation_not_with_self/ }, 'and a conversation with oneself')
  t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message'), 0, 'nothing was stored')
  t.equal(await unread(app, alice), 0)
})

forEachPath(t, 'allowedRecipients', async (t, db) => {
  const plain = await startApp(db)
  t.teardown(() => plain.close())
  const [vip, x, y] = await users(plain, 'vip', 'x', 'y') as [TestUser, TestUser, TestUser]
  const app = await startApp(db, { allowedRecipients: [vip.id] })
  t.teardown(() => app.close())
  const missing = 2_000_000

  await t.test('a user in the list may message anyone', async (t) => {
    for (const to of [x, y]) {
      const res = await as(app, vip, { method: 'POST', url: `/api/dm/send/${to.id}/`, payload: { content: 'from vip' } })
      t.equal(res.statusCode, 201, `vip -> ${to.username}`)
    }
    const res = await as(app, vip, { method: 'POST', url: `/api/dm/conversations/${x.id}/`, payload: { content: 'again' } })
    t.equal(res.statusCode, 201, 'also through POST /conversations/<id>/')
  })

  await t.test('a user not in the list may message only users in the list', async (t) => {
    const ok = await as(app, x, { method: 'POST', url: `/api/dm/send/${vip.id}/`, payload: { content: 'to vip' } })
    t.equal(ok.statusCode, 201, 'x -> vip')
    const before = await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message')
    for (const url of [`/api/dm/send/${y.id}/`, `/api/dm/conversations/${y.id}/`]) {
      const res = await as(app, x, { method: 'POST', url, payload: { content: 'to y' } })
      t.equal(res.statusCode, 400, `x -> y refused on ${url}`)
      t.match(res.json(), { statusCode: 400, code: 'FST_DM_RECIPIENT_NOT_ALLOWED', message: /not allowed/ }, 'with a message')
    }
    t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message'), before, 'a refused send stores nothing')
    t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_conversation WHERE owner_id = ? AND partner_id = ?', [y.id, x.id]), 0, 'no conversation row either')
    t.equal(await unread(app, y), 1, 'y has only vip\'s message')
    await rejectsWith(t, app.directMessages.send(x.id, y.id, 'service'), 400, 'FST_DM_RECIPIENT_NOT_ALLOWED', 'the service refuses too')
  })

  await t.test('an unknown recipient is still a 404', async (t) => {
    for (const from of [x, vip]) {
      const res = await as(app, from, { method: 'POST', url: `/api/dm/send/${missing}/`, payload: { content: 'anyone?' } })
      t.equal(res.statusCode, 404, `${from.username} -> unknown`)
    }
  })

  await t.test('an empty list means no restriction', async (t) => {
    const open = await startApp(db, { allowedRecipients: [] })
    t.teardown(() => open.close())
    const res = await as(open, x, { method: 'POST', url: `/api/dm/send/${y.id}/`, payload: { content: 'x to y' } })
    t.equal(res.statusCode, 201)
    t.equal(await unread(open, y), 2)
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
        // Answers on a later turn of the event loop, as a policy that looks something up would.
        await turns(1)
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
