// The conversation list: each entry is the partner, the unread count and the newest message the
// caller has not deleted, most recent first; the caller's own deletes change their list, the
// partner's do not. (Its paging is in pages-and-pagination.test.ts, its mute and archive flags in
// mute-and-archive.test.ts.) SQLite, PostgreSQL and MariaDB.
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { forEachDatabase, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, send, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from '../helpers/app.js'

interface UnreadEntry { partner_id: number, partner_username: string, unread_count: number, muted: boolean }

type ConversationJson = PartnerJson & { unread_count: number, last_message: MessageJson | null }

async function countOf (db: TestDatabase, text: string, params: unknown[] = []): Promise<number> {
  const rows = await query<{ n: number | string }>(db, text, params)
  return Number(rows[0]?.n)
}

function unreadList (app: FastifyInstance, user: TestUser): Promise<UnreadEntry[]> {
  return getJson<UnreadEntry[]>(app, user, '/api/dm/conversations/unread/')
}

function conversations (app: FastifyInstance, user: TestUser, query = ''): Promise<PageJson<ConversationJson>> {
  return getJson<PageJson<ConversationJson>>(app, user, `/api/dm/conversations/${query}`)
}

function del (app: FastifyInstance, user: TestUser, url: string): Promise<LightMyRequestResponse> {
  return as(app, user, { method: 'DELETE', url })
}

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
})
