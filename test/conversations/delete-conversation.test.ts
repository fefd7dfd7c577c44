// DELETE /conversations/<id>/: hides the whole conversation for the caller only (its messages, its
// unread count, its entry in the lists), the partner keeps everything; a later message brings it
// back with only the new message; an unknown user is a 404, a conversation never had a 204. SQLite
// and PostgreSQL.
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { forEachDatabase, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, send, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from '../helpers/app.js'

interface UnreadEntry { partner_id: number, partner_username: string, unread_count: number, muted: boolean }

type ConversationJson = PartnerJson & { unread_count: number, last_message: MessageJson | null }

const MISSING = 2_000_000

async function countOf (db: TestDatabase, text: string, params: unknown[] = []): Promise<number> {
  const rows = await query<{ n: number | string }>(db, text, params)
  return Number(rows[0]?.n)
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
