// DELETE /messages/<id>/ hides a message for the caller only: the row stays, each side hides it
// for itself; an unread inbound message hidden lowers the unread counts (once); hiding every
// message of a conversation takes it off the caller's list only, until a later message; hiding the
// newest moves the conversation down the list. SQLite, PostgreSQL and MariaDB, through the Prisma client and
// the driver.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { forEachPath, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, send, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from '../helpers/app.js'

interface UnreadEntry { partner_id: number, partner_username: string, unread_count: number, muted: boolean }

async function countOf (db: TestDatabase, text: string, params: unknown[] = []): Promise<number> {
  const rows = await query<{ n: number | string }>(db, text, params)
  return Number(rows[0]?.n)
}

/** Unread messages addressed to `userId` that they have not hidden, counted in the table itself. */
function storedUnread (db: TestDatabase, userId: number): Promise<number> {
  return countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE recipient_id = ? AND read_at IS NULL AND deleted_by_recipient = false', [userId])
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

forEachPath(t, 'soft delete', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol, dave, owner, p1, p2, p3] =
    await users(app, 'alice', 'bob', 'carol', 'dave', 'owner', 'p1', 'p2', 'p3') as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser, TestUser, TestUser]

  await t.test('each side hides a message for itself only; the row stays', async (t) => {
    const one = await send(app, alice, bob, 'one')
    await send(app, alice, bob, 'two')
    await send(app, bob, alice, 'three')

    t.equal(await deleteMessage(app, alice, one.id), 204, 'the sender deletes')
    t.same(await conversationContents(app, alice, bob), ['three', 'two'], 'gone from the sender\'s page')
    t.same(await conversationContents(app, bob, alice), ['three', 'two', 'one'], 'still in the recipient\'s')

    t.equal(await deleteMessage(app, bob, one.id), 204, 'the recipient deletes')
    t.same(await conversationContents(app, bob, alice), ['three', 'two'], 'gone from the recipient\'s page')
    t.same(await conversationContents(app, alice, bob), ['three', 'two'], 'and still gone from the sender\'s')

    const rows = await query<{ deleted_by_sender: unknown, deleted_by_recipient: unknown }>(db,
      'SELECT deleted_by_sender, deleted_by_recipient FROM dm_message WHERE id = ?', [one.id])
    t.equal(rows.length, 1, 'the row still exists')
    t.same(rows.map((r) => [Boolean(r.deleted_by_sender), Boolean(r.deleted_by_recipient)]), [[true, true]], 'with both flags set')
  })

  await t.test('deleting an unread inbound message lowers both unread counts', async (t) => {
    const four = await send(app, alice, bob, 'four')
    const five = await send(app, alice, bob, 'five')
    t.equal(await unread(app, bob), 2)
    t.same(await unreadList(app, bob), [{ partner_id: alice.id, partner_username: 'alice', unread_count: 2, muted: false }])

    t.equal(await deleteMessage(app, bob, four.id), 204)
    t.equal(await unread(app, bob), 1, '/unread/ down by one')
    t.same(await unreadList(app, bob), [{ partner_id: alice.id, partner_username: 'alice', unread_count: 1, muted: false }], '/conversations/unread/ down by one')
    t.equal(await deleteMessage(app, bob, four.id), 204, 'deleting again is fine')
    t.equal(await unread(app, bob), 1, 'and lowers nothing twice')

    t.equal(await deleteMessage(app, alice, five.id), 204, 'the sender hiding it does not touch the recipient\'s count')
    t.equal(await unread(app, bob), 1)
    t.equal(await deleteMessage(app, bob, five.id), 204)
    t.equal(await unread(app, bob), 0)
    t.same(await unreadList(app, bob), [])
    t.equal(await storedUnread(db, bob.id), 0)
  })

  await t.test('deleting every message of a conversation takes it off my list only', async (t) => {
    const messages = [
      await send(app, carol, dave, 'c1'),
      await send(app, dave, carol, 'd1'),
      await send(app, carol, dave, 'c2')
    ]
    t.same(await partnerIds(app, dave), [carol.id])
    for (const message of messages) t.equal(await deleteMessage(app, dave, message.id), 204)
    t.same(await partnerIds(app, dave), [], 'gone from my /conversations/')
    t.same(await partnerIds(app, carol), [dave.id], 'still in the partner\'s')
    t.same(await conversationContents(app, dave, carol), [], 'my page of it is empty')
    t.same(await conversationContents(app, carol, dave), ['c2', 'd1', 'c1'], 'the partner still sees everything')
    t.equal(await unread(app, dave), 0)

    await send(app, carol, dave, 'c3')
    t.same(await partnerIds(app, dave), [carol.id], 'a later message brings it back')
    t.same(await conversationContents(app, dave, carol), ['c3'], 'showing only that message')
  })

  await t.test('deleting the newest message moves the conversation down the list', async (t) => {
    const x1 = await send(app, p1, owner, 'x1')
    await send(app, p2, owner, 'x2')
    await send(app, p3, owner, 'x3')
    const x4 = await send(app, p1, owner, 'x4')
    t.same(await partnerIds(app, owner), [p1.id, p3.id, p2.id], 'most recent activity first')

    t.equal(await deleteMessage(app, owner, x4.id), 204)
    t.same(await partnerIds(app, owner), [p3.id, p2.id, p1.id], 'p1 falls back to x1, its next newest visible message')
    t.same(await partnerIds(app, p1), [owner.id], 'the partner\'s list is unaffected')

    const y5 = await send(app, owner, p1, 'y5')
    t.same(await partnerIds(app, owner), [p1.id, p3.id, p2.id], 'my own message moves it up')
    t.equal(await deleteMessage(app, owner, y5.id), 204, 'deleting my own newest outbound message')
    t.same(await partnerIds(app, owner), [p3.id, p2.id, p1.id], 'moves it back')

    t.equal(await deleteMessage(app, owner, x1.id), 204)
    t.same(await partnerIds(app, owner), [p3.id, p2.id], 'with nothing left visible it leaves the list')
    const rows = await query<{ last_message_id: unknown }>(db, 'SELECT last_message_id FROM dm_conversation WHERE owner_id = ? AND partner_id = ?', [owner.id, p1.id])
    t.same(rows.map((r) => r.last_message_id), [null], 'its conversation row points at no message')
  })
})
