// The host's user model as the plugin sees it: the userFields option names the fields the partner
// object's names come from (null: an empty string), in the routes and the service alike; and a user
// the host deletes takes their messages and conversation rows with them, leaves every list and
// count, and is a 404 from then on, never a 500. SQLite, PostgreSQL and MariaDB, through the Prisma client
// and the driver, and on a bare host.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { forEachPath, openDatabase, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUser, createUsers, getJson, send, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from '../helpers/app.js'
import { host } from '../helpers/host.js'

interface UnreadEntry { partner_id: number, partner_username: string, unread_count: number, muted: boolean }

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

async function partnerIds (app: FastifyInstance, user: TestUser): Promise<number[]> {
  return (await getJson<PageJson<PartnerJson>>(app, user, '/api/dm/conversations/')).results.map((p) => p.id)
}

async function conversationContents (app: FastifyInstance, user: TestUser, partner: TestUser): Promise<string[]> {
  return (await getJson<PageJson<MessageJson>>(app, user, `/api/dm/conversations/${partner.id}/`)).results.map((m) => m.content)
}

/** DELETE /messages/<id>/ as `user`: answers the status. */
function deleteMessage (app: FastifyInstance, user: TestUser, messageId: number): Promise<number> {
  return as(app, user, { method: 'DELETE', url: `/api/dm/messages/${messageId}/` }).then((res) => res.statusCode)
}

async function users (app: FastifyInstance, ...names: string[]): Promise<TestUser[]> {
  return await createUsers(app, ...names)
}

forEachPath(t, 'userFields option', async (t, db) => {
  const app = await startApp(db, { directMessages: { userFields: { lastName: null, firstName: 'firstName' } } })
  t.teardown(() => app.close())
  const ann = await createUser(app, 'ann', { first_name: 'Ann', last_name: 'Archer' })
  const ben = await createUser(app, 'ben', { first_name: 'Ben', last_name: 'Baker' })
  await send(app, ann, ben, 'hello')
  const page = await getJson<PageJson<PartnerJson>>(app, ben, '/api/dm/conversations/')
  t.match(page.results, [{ id: ann.id, username: 'ann', first_name: 'Ann', last_name: '' }], 'a null field answers an empty string')
  const conversations = await app.directMessages.conversations(ann.id)
  t.match(conversations.items, [{ id: ben.id, username: 'ben', firstName: 'Ben', lastName: '' }], 'the service uses the same fields')
})

forEachPath(t, 'a user deleted by the host', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol] = await users(app, 'alice', 'bob', 'carol') as [TestUser, TestUser, TestUser]
  await send(app, alice, bob, 'from alice')
  const fromCarol = await send(app, carol, bob, 'from carol 1')
  await send(app, carol, bob, 'from carol 2')
  await send(app, bob, carol, 'to carol')
  await send(app, carol, alice, 'carol to alice')
  t.equal(await unread(app, bob), 3)
  t.same(await partnerIds(app, bob), [carol.id, alice.id])

  await query(db, 'DELETE FROM app_user WHERE id = ?', [carol.id])

  t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE sender_id = ? OR recipient_id = ?', [carol.id, carol.id]), 0, 'her messages cascade away')
  t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_conversation WHERE owner_id = ? OR partner_id = ?', [carol.id, carol.id]), 0, 'and her conversation rows')
  t.equal(await unread(app, bob), 1, 'bob\'s unread count drops her messages')
  t.same(await unreadList(app, bob), [{ partner_id: alice.id, partner_username: 'alice', unread_count: 1, muted: false }])
  t.same(await partnerIds(app, bob), [alice.id], 'she leaves bob\'s list')
  t.same(await partnerIds(app, alice), [bob.id], 'and alice\'s')
  t.equal(await unread(app, alice), 0)
  const res = await as(app, bob, { method: 'GET', url: `/api/dm/conversations/${carol.id}/` })
  t.equal(res.statusCode, 404, 'her conversation is a 404, not a 500')
  t.equal(await deleteMessage(app, bob, fromCarol.id), 404, 'her old message is a 404')
  const reply = await as(app, bob, { method: 'POST', url: `/api/dm/send/${carol.id}/`, payload: { content: 'still there?' } })
  t.equal(reply.statusCode, 404, 'sending to her is a 404')
  t.same(await conversationContents(app, bob, alice), ['from alice'], 'the rest is intact')
})

t.test('userFields on a bare host', async (t) => {
  const db = await openDatabase('sqlite', 'user_fields')
  t.teardown(() => db.close())
  const alice = await db.prisma.user.create({ data: { username: 'alice', firstName: 'Alice', lastName: 'A', token: 'a' } })
  const bob = await db.prisma.user.create({ data: { username: 'bob', firstName: 'Bob', lastName: 'B', token: 'b' } })

  await t.test('fields come from the configured names; null is empty', async (t) => {
    const app = await host(db, { userFields: { firstName: null, lastName: 'username' } })
    await app.directMessages.send(alice.id, bob.id, '12345')
    const page = (await app.inject({ method: 'GET', url: '/conversations/', headers: { 'x-user': String(bob.id) } })).json()
    t.match(page.results, [{ id: alice.id, username: 'alice', first_name: '', last_name: 'alice' }], 'fields come from the configured names; null is empty')
    t.equal(page.results.length, 1)
    await app.close()
  })
})
