// Reading a conversation and the unread counts: GET /conversations/<id>/ marks the whole
// conversation read (not only the page shown), and only the messages addressed to the caller by
// that partner; `?mark_read=false` (and the service's `markRead: false`) marks nothing; POST
// /conversations/<id>/read/ marks everything from the partner, or up to `up_to`, with one
// messageRead per message that changed; and /unread/, /conversations/unread/ and the messages
// themselves always agree. SQLite, PostgreSQL and MariaDB.
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { forEachDatabase, forEachPath, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, pathOf, send, startApp, type MessageJson, type PageJson, type TestUser } from '../helpers/app.js'
import { EventFence } from '../helpers/events.js'
import type { MessageEvent } from '../../src/index.js'

interface UnreadEntry { partner_id: number, partner_username: string, unread_count: number, muted: boolean }

const MISSING = 2_000_000

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

/** The caller's view of a conversation, without marking anything read. */
function peek (app: FastifyInstance, user: TestUser, partner: TestUser | number): Promise<PageJson<MessageJson>> {
  const id = typeof partner === 'number' ? partner : partner.id
  return getJson<PageJson<MessageJson>>(app, user, `/api/dm/conversations/${id}/?mark_read=false`)
}

function post (app: FastifyInstance, user: TestUser, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return as(app, user, { method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
}

/** DELETE /messages/<id>/ as `user`: answers the status. */
function deleteMessage (app: FastifyInstance, user: TestUser, messageId: number): Promise<number> {
  return as(app, user, { method: 'DELETE', url: `/api/dm/messages/${messageId}/` }).then((res) => res.statusCode)
}

async function users (app: FastifyInstance, ...names: string[]): Promise<TestUser[]> {
  return await createUsers(app, ...names)
}

/** Every event of this name the app delivers from now on, the fence's own messages left out. */
function record (app: FastifyInstance, event: 'messageSent' | 'messageRead', fence: EventFence): MessageEvent[] {
  const items: MessageEvent[] = []
  app.directMessages.on(event, (payload) => { if (!fence.isFence(payload)) items.push(payload) })
  return items
}

forEachPath(t, 'reading marks the whole conversation read', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol] = await users(app, 'alice', 'bob', 'carol') as [TestUser, TestUser, TestUser]

  await t.test('70 unread messages: reading the first page marks all 70', async (t) => {
    const sent: MessageJson[] = []
    for (let i = 1; i <= 70; i++) sent.push(await send(app, alice, bob, `message ${i}`))
    t.equal(await unread(app, bob), 70, 'bob starts with 70 unread')

    const first = await getJson<PageJson<MessageJson>>(app, bob, `/api/dm/conversations/${alice.id}/`)
    t.equal(first.results.length, 50, 'a page holds 50')
    t.not(first.next, null, 'there is a next page')
    t.ok(first.results.every((m) => m.read_at !== null), 'the page shown is read')

    t.equal(await unread(app, bob), 0, '/unread/ is 0 after reading only the first page')
    t.same(await unreadList(app, bob), [], '/conversations/unread/ is empty')
    t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE sender_id = ? AND recipient_id = ? AND read_at IS NULL', [alice.id, bob.id]), 0,
      'no row of the conversation is left unread in dm_message')
    t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE sender_id = ? AND recipient_id = ? AND read_at IS NOT NULL', [alice.id, bob.id]), 70,
      'all 70 rows have read_at')

    const second = await getJson<PageJson<MessageJson>>(app, bob, pathOf(first.next as string))
    t.equal(second.results.length, 20, 'the next page holds the other 20')
    t.equal(second.next, null)
    t.ok(second.results.every((m) => m.read_at !== null), 'the messages beyond the first page are read too')
    t.same([...first.results, ...second.results].map((m) => m.id).sort((a, b) => a - b), sent.map((m) => m.id), 'the two pages are the 70 messages')
  })

  await t.test('reading only marks messages addressed to me, from that partner', async (t) => {
    const mine = await send(app, bob, alice, 'bob to alice')
    for (let i = 1; i <= 3; i++) await send(app, carol, bob, `carol ${i}`)
    await send(app, alice, bob, 'alice again')
    t.equal(await unread(app, bob), 4)

    const page = await getJson<PageJson<MessageJson>>(app, bob, `/api/dm/conversations/${alice.id}/`)
    t.equal(page.results.find((m) => m.id === mine.id)?.read_at, null, 'my own outbound message stays unread')
    t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE id = ? AND read_at IS NULL', [mine.id]), 1, 'and unread in dm_message')
    t.equal(await unread(app, bob), 3, 'carol\'s 3 stay unread')
    t.same(await unreadList(app, bob), [{ partner_id: carol.id, partner_username: 'carol', unread_count: 3, muted: false }])
    t.equal(await countOf(db, 'SELECT COUNT(*) AS n FROM dm_message WHERE sender_id = ? AND recipient_id = ? AND read_at IS NULL', [carol.id, bob.id]), 3,
      'carol\'s rows are untouched')
    t.equal(await unread(app, alice), 1, 'alice still has bob\'s message unread')
  })

  await t.test('the service with { markRead: false } marks nothing', async (t) => {
    await send(app, alice, bob, 'quiet 1')
    await send(app, alice, bob, 'quiet 2')
    t.equal(await unread(app, bob), 5)
    const page = await app.directMessages.conversation(bob.id, alice.id, { markRead: false })
    t.same(page.items.slice(0, 2).map((m) => [m.content, m.readAt]), [['quiet 2', null], ['quiet 1', null]], 'answered unread')
    t.equal(await unread(app, bob), 5, '/unread/ is unchanged')
    t.equal(await storedUnread(db, bob.id), 5, 'nothing was written')
    t.same(await unreadList(app, bob), [
      { partner_id: alice.id, partner_username: 'alice', unread_count: 2, muted: false },
      { partner_id: carol.id, partner_username: 'carol', unread_count: 3, muted: false }
    ])
    const marked = await app.directMessages.conversation(bob.id, alice.id)
    t.ok(marked.items.slice(0, 2).every((m) => m.readAt instanceof Date), 'the default marks them read')
    t.equal(await unread(app, bob), 3)
  })
})

forEachDatabase(t, 'read control', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol, fence1, fence2] = await createUsers(app, 'alice', 'bob', 'carol', 'fence1', 'fence2') as [TestUser, TestUser, TestUser, TestUser, TestUser]
  const fence = new EventFence(app.directMessages, [fence1, fence2])
  const read = record(app, 'messageRead', fence)
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
    // After the fence's event, no more of these reads' events are on their way.
    await fence.pass()
    t.equal(read.length, 3, 'three messageRead events')
    t.same(read.map((event) => event.message.id).sort((a, b) => a - b), fromBob.map((m) => m.id))
    t.ok(read.every((event) => event.from === bob.id && event.to === alice.id && event.message.readAt instanceof Date))

    read.length = 0
    t.same((await markRead(alice, bob.id)).json(), { count: 0 }, 'again: nothing left to mark')
    t.equal((await post(app, alice, `/api/dm/conversations/${bob.id}/read`)).statusCode, 200, 'without the trailing slash')
    // After the fence's event, no more of these reads' events are on their way.
    await fence.pass()
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
    // After the fence's event, no more of these reads' events are on their way.
    await fence.pass()
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
    // After the fence's event, no more of these reads' events are on their way.
    await fence.pass()
    t.equal(read.length, 2, 'with messageRead events')

    const third = await send(app, bob, alice, 'quiet 3')
    await getJson(app, alice, `/api/dm/conversations/${bob.id}/`)
    t.same(await readState([third.id]), [true], 'absent marks')
    t.equal(await unread(app, alice), before - 2)
    t.equal((await as(app, alice, { method: 'GET', url: `/api/dm/conversations/${bob.id}/?mark_read=maybe` })).statusCode, 400, 'mark_read must be a boolean')
  })
})

forEachPath(t, 'counts agree with each other and with the messages', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const all = await users(app, 'u1', 'u2', 'u3', 'u4')
  const [u1, u2, u3, u4] = all as [TestUser, TestUser, TestUser, TestUser]

  const a = await send(app, u1, u2, 'a')
  await send(app, u1, u2, 'b')
  await send(app, u3, u2, 'c')
  const d = await send(app, u3, u2, 'd')
  await send(app, u4, u2, 'e')
  await send(app, u2, u1, 'f')
  const g = await send(app, u2, u3, 'g')
  await send(app, u4, u1, 'h')
  await send(app, u4, u3, 'i')
  await getJson(app, u2, `/api/dm/conversations/${u4.id}/`) // u2 reads u4's
  t.equal(await deleteMessage(app, u2, d.id), 204) // u2 hides an unread inbound message
  t.equal(await deleteMessage(app, u1, a.id), 204) // u1 hides an outbound one: u2 still has it unread
  t.equal(await deleteMessage(app, u2, g.id), 204) // u2 hides an outbound one: u3 still has it unread
  await send(app, u1, u2, 'j')
  await getJson(app, u3, `/api/dm/conversations/${u4.id}/`) // u3 reads u4's
  await app.directMessages.conversation(u1.id, u4.id, { markRead: false }) // looks without reading

  const expected = new Map([[u1.id, 2], [u2.id, 4], [u3.id, 1], [u4.id, 0]])
  for (const user of all) {
    const count = await unread(app, user)
    const perPartner = (await unreadList(app, user)).reduce((sum, entry) => sum + entry.unread_count, 0)
    const stored = await storedUnread(db, user.id)
    t.equal(count, expected.get(user.id), `${user.username}: /unread/`)
    t.equal(perPartner, count, `${user.username}: sum of /conversations/unread/ equals /unread/`)
    t.equal(stored, count, `${user.username}: dm_message agrees`)
  }
  t.same(await unreadList(app, u2), [
    { partner_id: u1.id, partner_username: 'u1', unread_count: 3, muted: false },
    { partner_id: u3.id, partner_username: 'u3', unread_count: 1, muted: false }
  ], 'u2 per partner, most recent first')
})
