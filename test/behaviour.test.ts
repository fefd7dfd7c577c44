// Behaviour of SPEC §4 beyond the bare contract: reading marks the whole conversation, soft delete
// per participant, counts that agree with the stored messages, the allowlist, self-messaging at
// every layer, the userFields option, the programmatic service, and users deleted by the host.
// Every scenario runs on SQLite and PostgreSQL.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { forEachPath, query, type TestDatabase } from './helpers/databases.js'
import {
  as, createUser, createUsers, getJson, pathOf, send, startApp,
  type MessageJson, type PageJson, type PartnerJson, type TestUser
} from './helpers/app.js'

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

function del (app: FastifyInstance, user: TestUser, messageId: number): Promise<number> {
  return as(app, user, { method: 'DELETE', url: `/api/dm/messages/${messageId}/` }).then((res) => res.statusCode)
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

forEachPath(t, 'soft delete', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol, dave, owner, p1, p2, p3] =
    await users(app, 'alice', 'bob', 'carol', 'dave', 'owner', 'p1', 'p2', 'p3') as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser, TestUser, TestUser]

  await t.test('each side hides a message for itself only; the row stays', async (t) => {
    const one = await send(app, alice, bob, 'one')
    await send(app, alice, bob, 'two')
    await send(app, bob, alice, 'three')

    t.equal(await del(app, alice, one.id), 204, 'the sender deletes')
    t.same(await conversationContents(app, alice, bob), ['three', 'two'], 'gone from the sender\'s page')
    t.same(await conversationContents(app, bob, alice), ['three', 'two', 'one'], 'still in the recipient\'s')

    t.equal(await del(app, bob, one.id), 204, 'the recipient deletes')
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

    t.equal(await del(app, bob, four.id), 204)
    t.equal(await unread(app, bob), 1, '/unread/ down by one')
    t.same(await unreadList(app, bob), [{ partner_id: alice.id, partner_username: 'alice', unread_count: 1, muted: false }], '/conversations/unread/ down by one')
    t.equal(await del(app, bob, four.id), 204, 'deleting again is fine')
    t.equal(await unread(app, bob), 1, 'and lowers nothing twice')

    t.equal(await del(app, alice, five.id), 204, 'the sender hiding it does not touch the recipient\'s count')
    t.equal(await unread(app, bob), 1)
    t.equal(await del(app, bob, five.id), 204)
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
    for (const message of messages) t.equal(await del(app, dave, message.id), 204)
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

    t.equal(await del(app, owner, x4.id), 204)
    t.same(await partnerIds(app, owner), [p3.id, p2.id, p1.id], 'p1 falls back to x1, its next newest visible message')
    t.same(await partnerIds(app, p1), [owner.id], 'the partner\'s list is unaffected')

    const y5 = await send(app, owner, p1, 'y5')
    t.same(await partnerIds(app, owner), [p1.id, p3.id, p2.id], 'my own message moves it up')
    t.equal(await del(app, owner, y5.id), 204, 'deleting my own newest outbound message')
    t.same(await partnerIds(app, owner), [p3.id, p2.id, p1.id], 'moves it back')

    t.equal(await del(app, owner, x1.id), 204)
    t.same(await partnerIds(app, owner), [p3.id, p2.id], 'with nothing left visible it leaves the list')
    const rows = await query<{ last_message_id: unknown }>(db, 'SELECT last_message_id FROM dm_conversation WHERE owner_id = ? AND partner_id = ?', [owner.id, p1.id])
    t.same(rows.map((r) => r.last_message_id), [null], 'its conversation row points at no message')
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
  t.equal(await del(app, u2, d.id), 204) // u2 hides an unread inbound message
  t.equal(await del(app, u1, a.id), 204) // u1 hides an outbound one: u2 still has it unread
  t.equal(await del(app, u2, g.id), 204) // u2 hides an outbound one: u3 still has it unread
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

forEachPath(t, 'the service API behaves like the routes', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [sa, sb, sc] = await users(app, 'sa', 'sb', 'sc') as [TestUser, TestUser, TestUser]
  const dm = app.directMessages
  const missing = 2_000_000

  const message = await dm.send(sa.id, sb.id, '  hello from the service  ')
  t.match(message, { senderId: sa.id, recipientId: sb.id, content: '  hello from the service  ', readAt: null }, 'send answers the stored message')
  t.ok(Number.isInteger(message.id) && message.id > 0, 'with an integer id')
  t.ok(message.sentAt instanceof Date, 'and a Date sentAt')
  const viaHttp = await send(app, sa, sb, 'hello over HTTP')

  t.equal(await dm.unreadCount(sb.id), 2, 'unreadCount')
  t.equal(await unread(app, sb), 2, 'agrees with /unread/')
  t.same(await dm.unreadConversations(sb.id), [{ partnerId: sa.id, partnerUsername: 'sa', unreadCount: 2, muted: false }], 'unreadConversations')
  t.same(await unreadList(app, sb), [{ partner_id: sa.id, partner_username: 'sa', unread_count: 2, muted: false }], 'agrees with /conversations/unread/')

  const partners = await dm.conversations(sb.id)
  t.match(partners, { items: [{ id: sa.id, username: 'sa', firstName: '', lastName: '', unreadCount: 2, lastMessage: { senderId: sa.id, recipientId: sb.id } }], next: null, previous: null }, 'conversations')
  t.equal(partners.items.length, 1)
  t.same(await partnerIds(app, sb), [sa.id], 'agrees with /conversations/')

  const marked = await dm.markConversationRead(sb.id, sa.id)
  t.same(marked.map((m) => m.id), [message.id, viaHttp.id], 'markConversationRead answers the messages that changed')
  t.ok(marked.every((m) => m.readAt instanceof Date), 'now read')
  t.same(await dm.markConversationRead(sb.id, sa.id), [], 'nothing changes twice')
  t.equal(await dm.unreadCount(sb.id), 0)

  const page = await dm.conversation(sa.id, sb.id)
  t.same(page.items.map((m) => m.content), ['hello over HTTP', '  hello from the service  '], 'conversation, newest first')
  t.same([page.next, page.previous], [null, null])
  const httpPage = await getJson<PageJson<MessageJson>>(app, sa, `/api/dm/conversations/${sb.id}/`)
  t.same(httpPage.results.map((m) => m.id), page.items.map((m) => m.id), 'agrees with GET /conversations/<id>/')

  t.equal(await dm.deleteMessage(sb.id, message.id), undefined, 'deleteMessage')
  t.same((await dm.conversation(sb.id, sa.id)).items.map((m) => m.id), [viaHttp.id], 'hidden for the one who deleted it')
  t.same((await dm.conversation(sa.id, sb.id)).items.map((m) => m.id), [viaHttp.id, message.id], 'not for the other')
  await dm.deleteMessage(sb.id, message.id)
  t.pass('deleting again resolves')

  await rejectsWith(t, dm.deleteMessage(sc.id, message.id), 404, 'FST_DM_MESSAGE_NOT_FOUND', 'deleting another\'s message')
  await rejectsWith(t, dm.deleteMessage(sa.id, 987654321), 404, 'FST_DM_MESSAGE_NOT_FOUND', 'deleting an unknown message')
  await rejectsWith(t, dm.send(sa.id, missing, 'x'), 404, 'FST_DM_USER_NOT_FOUND', 'sending to an unknown user')
  await rejectsWith(t, dm.send(sa.id, sb.id, ' \n '), 400, 'FST_DM_EMPTY_CONTENT', 'empty content')
  await rejectsWith(t, dm.send(sa.id, sa.id, 'me'), 400, 'FST_DM_SELF_MESSAGE', 'to oneself')
  await rejectsWith(t, dm.conversation(sa.id, missing), 404, 'FST_DM_USER_NOT_FOUND', 'conversation with an unknown user')
  await rejectsWith(t, dm.conversations(sa.id, { cursor: 'not-a-cursor' }), 400, 'FST_DM_INVALID_CURSOR', 'a bad cursor')
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
  t.equal(await del(app, bob, fromCarol.id), 404, 'her old message is a 404')
  const reply = await as(app, bob, { method: 'POST', url: `/api/dm/send/${carol.id}/`, payload: { content: 'still there?' } })
  t.equal(reply.statusCode, 404, 'sending to her is a 404')
  t.same(await conversationContents(app, bob, alice), ['from alice'], 'the rest is intact')
})
