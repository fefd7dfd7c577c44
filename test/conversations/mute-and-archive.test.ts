// Mute and archive, seen from outside: the four routes (204, again 204, with and without
// the trailing slash), what the conversation list, `?archived=true`, /unread/ and
// /conversations/unread/ show afterwards, their pagination and cursors, the rows in the database
// (only the caller's own row ever changes), `recipientMuted` on `messageSent`, a new message
// bringing an archived conversation back for both participants, flags surviving the per-user
// delete of a conversation, and bad input (never a 500). SQLite, PostgreSQL and MariaDB, integer user ids
// and string ones.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { MessageSentEvent, UserId } from '../../src/index.js'
import { forEachDatabase, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, pathOf, send, startApp, type MessageJson, type PageJson, type TestUser } from '../helpers/app.js'
import { EventFence } from '../helpers/events.js'

type User = TestUser<UserId>

interface ConversationJson {
  id: UserId
  username: string
  first_name: string
  last_name: string
  unread_count: number
  last_message: MessageJson | null
  muted: boolean
  archived: boolean
}
interface UnreadEntry { partner_id: UserId, partner_username: string, unread_count: number, muted: boolean }
interface ErrorJson { statusCode: number, code?: string, error: string, message: string }

const API = '/api/dm'
const CONTROLS = [['PUT', 'mute'], ['DELETE', 'mute'], ['PUT', 'archive'], ['DELETE', 'archive']] as const
const CONVERSATION_NOT_FOUND = { statusCode: 404, code: 'FST_DM_CONVERSATION_NOT_FOUND', error: 'Not Found', message: 'Conversation not found' }
const SELF = { statusCode: 400, code: 'FST_DM_SELF_CONVERSATION', error: 'Bad Request', message: 'You have no conversation with yourself' }

const controlUrl = (partner: UserId, what: 'mute' | 'archive'): string => `${API}/conversations/${partner}/${what}/`

function control (app: FastifyInstance, user: User | null, method: 'PUT' | 'DELETE', what: 'mute' | 'archive', partner: UserId, url = controlUrl(partner, what)): Promise<LightMyRequestResponse> {
  return as(app, user, { method, url })
}

/** PUT or DELETE of a control that must answer 204 with no body. */
async function ok (t: Test, app: FastifyInstance, user: User, method: 'PUT' | 'DELETE', what: 'mute' | 'archive', partner: User): Promise<void> {
  const res = await control(app, user, method, what, partner.id)
  t.equal(res.statusCode, 204, `${method} /conversations/<${partner.username}>/${what}/ as ${user.username}: 204`, { body: res.body })
  t.equal(res.body, '', 'no body')
}

function list (app: FastifyInstance, user: User, query = ''): Promise<PageJson<ConversationJson>> {
  return getJson<PageJson<ConversationJson>>(app, user, `${API}/conversations/${query}`)
}

async function listed (app: FastifyInstance, user: User, query = ''): Promise<UserId[]> {
  return (await list(app, user, `?page_size=100${query}`)).results.map((entry) => entry.id)
}

/** The owner's flags as stored (SQLite answers booleans as 1/0). */
async function flags (db: TestDatabase, owner: User, partner: User): Promise<{ muted: boolean, archived: boolean } | null> {
  const [row] = await query<{ muted: unknown, archived: unknown }>(db, 'SELECT muted, archived FROM dm_conversation WHERE owner_id = ? AND partner_id = ?', [owner.id, partner.id])
  return row === undefined ? null : { muted: Number(row.muted) === 1, archived: Number(row.archived) === 1 }
}

/** Every row of dm_conversation, as text, for "nothing else changed". */
async function conversationRows (db: TestDatabase): Promise<string[]> {
  const rows = await query<Record<string, unknown>>(db, 'SELECT owner_id, partner_id, last_message_id, unread_count, muted, archived FROM dm_conversation ORDER BY owner_id, partner_id')
  return rows.map((row) => [row.owner_id, row.partner_id, row.last_message_id, row.unread_count, Number(row.muted) === 1, Number(row.archived) === 1].map(String).join('|'))
}

/** Follows `next` links from `url` to the end; answers the ids of every page's entries in order. */
async function walk (app: FastifyInstance, user: User, url: string): Promise<{ ids: UserId[], pages: Array<PageJson<ConversationJson>> }> {
  const pages: Array<PageJson<ConversationJson>> = []
  let next: string | null = url
  while (next !== null && pages.length < 50) {
    const page: PageJson<ConversationJson> = await getJson<PageJson<ConversationJson>>(app, user, next)
    pages.push(page)
    next = page.next === null ? null : pathOf(page.next)
  }
  return { ids: pages.flatMap((page) => page.results.map((entry) => entry.id)), pages }
}

const cursorOf = (link: string | null): string => {
  const cursor = link === null ? null : new URL(link).searchParams.get('cursor')
  if (cursor === null) throw new Error(`no cursor in ${String(link)}`)
  return cursor
}

forEachDatabase(t, 'conversation controls', controls)
forEachDatabase(t, 'conversation controls', controls, { userIdType: 'string' })

async function controls (t: Test, db: TestDatabase): Promise<void> {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const dm = app.directMessages
  const missing: UserId = db.userIdType === 'string' ? 'cm0nosuchuser0000000000000' : 2_000_000
  // Events are delivered on a later turn of the event loop: the fence's, once heard, says every
  // event emitted before it has been delivered.
  const [fence1, fence2] = await createUsers<UserId>(app, 'fence1', 'fence2') as [User, User]
  const fence = new EventFence(dm, [fence1, fence2])
  const sent: MessageSentEvent[] = []
  dm.on('messageSent', (event) => { if (!fence.isFence(event)) sent.push(event) })

  await t.test('mute: 204 and again 204; the list, /unread/ and /conversations/unread/ show it; only the caller\'s row changes', async (t) => {
    const [alice, bob, carol] = await createUsers<UserId>(app, 'mute_alice', 'mute_bob', 'mute_carol') as [User, User, User]
    await send(app, bob, alice, 'bob 1')
    await send(app, bob, alice, 'bob 2')
    await send(app, alice, carol, 'to carol')
    await send(app, carol, alice, 'carol 1')

    const fresh = await list(app, alice)
    t.same(fresh.results.map((entry) => [entry.id, entry.muted, entry.archived]), [[carol.id, false, false], [bob.id, false, false]], 'new conversations are neither muted nor archived')
    t.same(Object.keys(fresh.results[0] as object).sort(), ['archived', 'first_name', 'id', 'last_message', 'last_name', 'muted', 'unread_count', 'username'], 'the entry\'s keys')
    t.same(await getJson(app, alice, `${API}/unread/`), { id: alice.id, count: 3, unmuted_count: 3 }, 'nothing muted: unmuted_count = count')

    const before = await conversationRows(db)
    await ok(t, app, alice, 'PUT', 'mute', bob)
    await ok(t, app, alice, 'PUT', 'mute', bob)
    const bare = await control(app, alice, 'PUT', 'mute', bob.id, controlUrl(bob.id, 'mute').slice(0, -1))
    t.equal(bare.statusCode, 204, 'without the trailing slash')
    t.same(await flags(db, alice, bob), { muted: true, archived: false }, 'alice\'s row is muted')
    t.same(await flags(db, bob, alice), { muted: false, archived: false }, 'bob\'s row is not')
    const after = await conversationRows(db)
    t.same(after.filter((row) => !before.includes(row)).length, 1, 'exactly one row changed')

    t.same((await list(app, alice)).results.map((entry) => [entry.id, entry.muted, entry.unread_count]), [[carol.id, false, 1], [bob.id, true, 2]], 'the list shows muted, and its unread count')
    t.same((await list(app, bob)).results.map((entry) => [entry.id, entry.muted]), [[alice.id, false]], 'bob\'s list does not')
    t.same(await getJson(app, alice, `${API}/unread/`), { id: alice.id, count: 3, unmuted_count: 1 }, 'a muted conversation counts in count, not in unmuted_count')
    t.same(await getJson(app, alice, `${API}/unread`), { id: alice.id, count: 3, unmuted_count: 1 }, 'without the slash too')
    t.same(await dm.unreadCounts(alice.id), { count: 3, unmutedCount: 1 }, 'the service agrees')
    t.equal(await dm.unreadCount(alice.id), 3, 'unreadCount still answers the whole count')
    t.same(await getJson<UnreadEntry[]>(app, alice, `${API}/conversations/unread/`), [
      { partner_id: carol.id, partner_username: 'mute_carol', unread_count: 1, muted: false },
      { partner_id: bob.id, partner_username: 'mute_bob', unread_count: 2, muted: true }
    ], '/conversations/unread/ lists muted conversations too, saying so')

    await ok(t, app, alice, 'DELETE', 'mute', bob)
    await ok(t, app, alice, 'DELETE', 'mute', bob)
    t.same(await flags(db, alice, bob), { muted: false, archived: false }, 'unmuted')
    t.same(await conversationRows(db), before, 'every row is as before')
    t.same(await getJson(app, alice, `${API}/unread/`), { id: alice.id, count: 3, unmuted_count: 3 })

    await dm.mute(alice.id, carol.id)
    await dm.mute(alice.id, carol.id)
    t.same(await dm.unreadCounts(alice.id), { count: 3, unmutedCount: 2 }, 'the service mutes too')
    t.same((await dm.conversations(alice.id)).items.map((entry) => [entry.id, entry.muted, entry.archived]), [[carol.id, true, false], [bob.id, false, false]], 'ConversationSummary carries the flags')
    await dm.unmute(alice.id, carol.id)
    t.same(await dm.unreadCounts(alice.id), { count: 3, unmutedCount: 3 })
    await getJson(app, alice, `${API}/conversations/${bob.id}/`)
    t.same(await getJson(app, alice, `${API}/unread/`), { id: alice.id, count: 1, unmuted_count: 1 }, 'reading lowers both')
  })

  await t.test('archive: off the main list, on ?archived=true; a new message, either way, brings it back for both', async (t) => {
    const [alice, bob, carol] = await createUsers<UserId>(app, 'arch_alice', 'arch_bob', 'arch_carol') as [User, User, User]
    await send(app, alice, bob, 'hi bob')
    await send(app, carol, alice, 'hi alice')
    t.same(await listed(app, alice, '&archived=true'), [], 'nothing archived yet')

    await ok(t, app, alice, 'PUT', 'archive', bob)
    await ok(t, app, alice, 'PUT', 'archive', bob)
    t.equal((await control(app, alice, 'PUT', 'archive', bob.id, controlUrl(bob.id, 'archive').slice(0, -1))).statusCode, 204, 'without the trailing slash')
    t.same(await flags(db, alice, bob), { muted: false, archived: true }, 'alice\'s row is archived')
    t.same(await flags(db, bob, alice), { muted: false, archived: false }, 'bob\'s is not')
    t.same(await listed(app, alice), [carol.id], 'off alice\'s main list')
    t.same(await listed(app, alice, '&archived=false'), [carol.id], 'archived=false is the main list')
    const archived = await list(app, alice, '?archived=true')
    t.same(archived.results.map((entry) => [entry.id, entry.archived, entry.muted, entry.last_message?.content]), [[bob.id, true, false, 'hi bob']], 'on ?archived=true, with its last message')
    t.same(await listed(app, bob), [alice.id], 'bob still lists alice')
    t.same((await dm.conversations(alice.id, { archived: true })).items.map((entry) => [entry.id, entry.archived]), [[bob.id, true]], 'the service lists the archived ones')

    // A message from the side that archived: back for both.
    await dm.archive(bob.id, alice.id)
    t.same(await listed(app, bob), [], 'bob archived his side too')
    await send(app, alice, bob, 'alice writes again')
    t.same(await listed(app, alice), [bob.id, carol.id], 'alice\'s send brings it back to her list, on top')
    t.same(await listed(app, bob), [alice.id], 'and to bob\'s')
    t.same(await listed(app, alice, '&archived=true'), [], 'neither lists it as archived')
    t.same([await flags(db, alice, bob), await flags(db, bob, alice)], [{ muted: false, archived: false }, { muted: false, archived: false }], 'both rows unarchived')

    // A message from the other side: back too.
    await ok(t, app, alice, 'PUT', 'archive', bob)
    await ok(t, app, bob, 'PUT', 'archive', alice)
    await send(app, bob, alice, 'bob answers')
    t.same(await listed(app, alice), [bob.id, carol.id], 'bob\'s send brings it back to alice\'s list')
    t.same(await listed(app, bob), [alice.id], 'and to bob\'s')

    // Unarchive: 204, again 204.
    await ok(t, app, alice, 'PUT', 'archive', carol)
    t.same(await listed(app, alice), [bob.id])
    await ok(t, app, alice, 'DELETE', 'archive', carol)
    await ok(t, app, alice, 'DELETE', 'archive', carol)
    t.same(await listed(app, alice), [bob.id, carol.id], 'unarchived: back in its place')
    await dm.archive(alice.id, carol.id)
    await dm.unarchive(alice.id, carol.id)
    await dm.unarchive(alice.id, carol.id)
    t.same(await listed(app, alice), [bob.id, carol.id], 'the service unarchives too')

    // Muted and archived at once.
    await dm.mute(alice.id, carol.id)
    await dm.archive(alice.id, carol.id)
    t.same((await list(app, alice, '?archived=true')).results.map((entry) => [entry.id, entry.muted, entry.archived]), [[carol.id, true, true]], 'both flags on the archived list')
    await send(app, carol, alice, 'carol again')
    t.same((await list(app, alice)).results.map((entry) => [entry.id, entry.muted, entry.archived]), [[carol.id, true, false], [bob.id, false, false]], 'a new message unarchives, and keeps it muted')
    t.same(await getJson(app, alice, `${API}/unread/`), { id: alice.id, count: 3, unmuted_count: 1 }, 'archiving marks nothing read')
    t.same((await getJson<UnreadEntry[]>(app, alice, `${API}/conversations/unread/`)).map((entry) => [entry.partner_id, entry.unread_count, entry.muted]), [[carol.id, 2, true], [bob.id, 1, false]])
  })

  await t.test('both lists page with page_size=1, each entry once; a cursor of one list is refused by the other', async (t) => {
    const names = ['page_me', 'page_p0', 'page_p1', 'page_p2', 'page_p3', 'page_p4', 'page_p5']
    const [me, ...partners] = await createUsers<UserId>(app, ...names) as [User, ...User[]]
    for (const partner of partners) await send(app, partner, me, `from ${partner.username}`)
    // Newest first: p5 .. p0. Archive p4, p2 and p0.
    const archivedOnes = [partners[4], partners[2], partners[0]] as User[]
    for (const partner of archivedOnes) await ok(t, app, me, 'PUT', 'archive', partner)
    const main = await walk(app, me, `${API}/conversations/?page_size=1`)
    const archived = await walk(app, me, `${API}/conversations/?archived=true&page_size=1`)
    t.same(main.ids, [partners[5], partners[3], partners[1]].map((u) => (u as User).id), 'the main list, newest first, each once')
    t.same(archived.ids, archivedOnes.map((u) => u.id), 'the archived list, newest first, each once')
    t.equal(main.pages.length, 3, 'one entry per page')
    t.ok(archived.pages.every((page) => page.results.every((entry) => entry.archived)), 'every entry of the archived list says archived')
    t.ok(main.pages.every((page) => page.results.every((entry) => !entry.archived)), 'no entry of the main list does')
    for (const page of archived.pages) {
      for (const link of [page.next, page.previous]) if (link !== null) t.equal(new URL(link).searchParams.get('archived'), 'true', 'the archived list\'s links keep archived=true')
    }
    // Walking back with previous from the last page of the archived list.
    let back: string | null = archived.pages[archived.pages.length - 1]?.previous ?? null
    const backIds: UserId[] = []
    while (back !== null) {
      const page: PageJson<ConversationJson> = await getJson<PageJson<ConversationJson>>(app, me, pathOf(back))
      backIds.push(...page.results.map((entry) => entry.id))
      back = page.previous
    }
    t.same(backIds, archivedOnes.slice(0, 2).map((u) => u.id).reverse(), 'previous leads back through the archived list')

    const mainCursor = cursorOf(main.pages[0]?.next ?? null)
    const archivedCursor = cursorOf(archived.pages[0]?.next ?? null)
    const onArchived = await as(app, me, { method: 'GET', url: `${API}/conversations/?archived=true&cursor=${encodeURIComponent(mainCursor)}` })
    const onMain = await as(app, me, { method: 'GET', url: `${API}/conversations/?cursor=${encodeURIComponent(archivedCursor)}` })
    const onMainExplicit = await as(app, me, { method: 'GET', url: `${API}/conversations/?archived=false&cursor=${encodeURIComponent(archivedCursor)}` })
    for (const [label, res] of [['a main-list cursor on ?archived=true', onArchived], ['an archived-list cursor on the main list', onMain], ['an archived-list cursor on ?archived=false', onMainExplicit]] as const) {
      t.equal(res.statusCode, 400, `${label}: 400`)
      t.match(res.json(), { statusCode: 400, code: 'FST_DM_INVALID_CURSOR', message: 'Invalid cursor' }, `${label}: Invalid cursor`)
    }
    t.equal((await as(app, me, { method: 'GET', url: `${API}/conversations/?archived=true&cursor=${encodeURIComponent(archivedCursor)}` })).statusCode, 200, 'each cursor works on its own list')
    const [other] = await createUsers<UserId>(app, 'page_other') as [User]
    t.equal((await as(app, other, { method: 'GET', url: `${API}/conversations/?archived=true&cursor=${encodeURIComponent(archivedCursor)}` })).statusCode, 400, 'and not on another user\'s')
  })

  await t.test('messageSent says recipientMuted, as the recipient\'s row stands at send time; messageRead is unchanged', async (t) => {
    const [alice, bob] = await createUsers<UserId>(app, 'event_alice', 'event_bob') as [User, User]
    const read: unknown[] = []
    const onRead = (event: unknown): void => { read.push(event) }
    dm.on('messageRead', onRead)
    t.teardown(() => dm.off('messageRead', onRead))
    const eventOf = async (id: number): Promise<MessageSentEvent | undefined> => {
      await fence.pass()
      return sent.find((event) => event.message.id === id)
    }

    const first = await send(app, alice, bob, 'the first message')
    t.match(await eventOf(first.id), { from: alice.id, to: bob.id, recipientMuted: false }, 'a new conversation: not muted')
    await ok(t, app, bob, 'PUT', 'mute', alice)
    const muted = await send(app, alice, bob, 'to a muted conversation')
    t.match(await eventOf(muted.id), { from: alice.id, to: bob.id, recipientMuted: true }, 'the recipient muted it: true')
    const reply = await send(app, bob, alice, 'bob writes back')
    t.match(await eventOf(reply.id), { from: bob.id, to: alice.id, recipientMuted: false }, 'the sender\'s mute is not the recipient\'s: false')
    const viaConversation = await as(app, alice, { method: 'POST', url: `${API}/conversations/${bob.id}/`, payload: { content: 'via POST /conversations/<id>/' } })
    t.equal(viaConversation.statusCode, 201)
    const viaService = await dm.send(alice.id, bob.id, 'via the service')
    await fence.pass()
    const viaConversationId = viaConversation.json<PageJson<MessageJson>>().results[0]?.id as number
    t.match(sent.find((event) => event.message.id === viaConversationId), { recipientMuted: true }, 'POST /conversations/<id>/ too')
    t.match(sent.find((event) => event.message.id === viaService.id), { recipientMuted: true }, 'the service too')
    await dm.archive(bob.id, alice.id)
    const archived = await send(app, alice, bob, 'to a muted and archived conversation')
    t.match(await eventOf(archived.id), { recipientMuted: true }, 'archived and muted: still true (and the message unarchived it)')
    t.same(await flags(db, bob, alice), { muted: true, archived: false })
    await ok(t, app, bob, 'DELETE', 'mute', alice)
    const unmuted = await send(app, alice, bob, 'unmuted again')
    t.match(await eventOf(unmuted.id), { recipientMuted: false }, 'unmuted: false')
    const replayed = await as(app, alice, { method: 'POST', url: `${API}/send/${bob.id}/`, headers: { 'idempotency-key': 'controls-once' }, payload: { content: 'once' } })
    await as(app, alice, { method: 'POST', url: `${API}/send/${bob.id}/`, headers: { 'idempotency-key': 'controls-once' }, payload: { content: 'once' } })
    await fence.pass()
    t.equal(sent.filter((event) => event.message.id === replayed.json<MessageJson>().id).length, 1, 'a replayed send emits nothing more')

    await getJson(app, bob, `${API}/conversations/${alice.id}/`)
    await fence.pass()
    t.ok(read.length > 0, 'messageRead events')
    t.ok(read.every((event) => !Object.hasOwn(event as object, 'recipientMuted')), 'without recipientMuted')
    t.same(Object.keys(read[0] as object).sort(), ['from', 'message', 'to'], 'messageRead keeps its payload')
  })

  await t.test('deleting a conversation keeps its flags: muted stays muted, archived stays archived until a new message', async (t) => {
    const [alice, bob] = await createUsers<UserId>(app, 'del_alice', 'del_bob') as [User, User]
    await send(app, bob, alice, 'one')
    await send(app, alice, bob, 'two')
    await ok(t, app, alice, 'PUT', 'mute', bob)
    await ok(t, app, alice, 'PUT', 'archive', bob)
    t.equal((await as(app, alice, { method: 'DELETE', url: `${API}/conversations/${bob.id}/` })).statusCode, 204, 'DELETE /conversations/<id>/: 204')
    t.same(await flags(db, alice, bob), { muted: true, archived: true }, 'the row keeps both flags')
    t.same([await listed(app, alice), await listed(app, alice, '&archived=true')], [[], []], 'listed nowhere: nothing left to show')
    await ok(t, app, alice, 'DELETE', 'archive', bob)
    await ok(t, app, alice, 'PUT', 'archive', bob)
    t.same(await flags(db, alice, bob), { muted: true, archived: true }, 'the controls still answer 204 on the emptied conversation')

    const back = await send(app, bob, alice, 'three')
    await fence.pass()
    t.match(sent.find((event) => event.message.id === back.id), { recipientMuted: true }, 'still muted when bob writes again')
    const entries = (await list(app, alice)).results
    t.same(entries.map((entry) => [entry.id, entry.muted, entry.archived, entry.last_message?.content]), [[bob.id, true, false, 'three']], 'back on the main list, muted, showing only the new message')
    t.same(await getJson(app, alice, `${API}/unread/`), { id: alice.id, count: 1, unmuted_count: 0 })
  })

  await t.test('bad input: self 400, no conversation or no user 404 alike, malformed ids 400, archived=<not a boolean> 400, never a 500', async (t) => {
    const [alice, bob, stranger] = await createUsers<UserId>(app, 'bad_alice', 'bad_bob', 'bad_stranger') as [User, User, User]
    await send(app, alice, bob, 'hello')
    const before = await conversationRows(db)
    for (const [method, what] of CONTROLS) {
      const route = `${method} /conversations/<id>/${what}/`
      const self = await control(app, alice, method, what, alice.id)
      t.equal(self.statusCode, 400, `${route} with my own id: 400`)
      t.same(self.json(), SELF, `${route} with my own id: FST_DM_SELF_CONVERSATION`)
      const unknown = await control(app, alice, method, what, missing)
      t.equal(unknown.statusCode, 404, `${route} for a user that does not exist: 404`)
      t.same(unknown.json(), CONVERSATION_NOT_FOUND, `${route} for a user that does not exist: FST_DM_CONVERSATION_NOT_FOUND`)
      const never = await control(app, alice, method, what, stranger.id)
      t.same([never.statusCode, never.headers['content-type'], never.body], [unknown.statusCode, unknown.headers['content-type'], unknown.body], `${route} for a user I never exchanged a message with: answered exactly alike`)
      const theirs = await control(app, stranger, method, what, bob.id)
      t.same([theirs.statusCode, theirs.body], [unknown.statusCode, unknown.body], `${route} by a user outside the conversation: answered alike`)
      t.equal((await control(app, null, method, what, bob.id)).statusCode, 401, `${route} anonymous: 401`)
      const malformed = db.userIdType === 'string'
        ? ['a%20b', 'a~b', '%F0%9F%91%8D', 'a.b']
        : ['abc', '0', '-1', '1.5', '0x10', '1e3', '99999999999', '2147483648']
      for (const id of malformed) {
        const res = await as(app, alice, { method, url: `${API}/conversations/${id}/${what}/` })
        t.equal(res.statusCode, 400, `${route} with id ${JSON.stringify(id)}: 400`, { body: res.body })
        t.match(res.json<ErrorJson>(), { statusCode: 400, code: 'FST_ERR_VALIDATION' })
      }
    }
    t.same(await conversationRows(db), before, 'nothing changed')

    for (const value of ['yes', '', '1', '0', 'TRUE', 'null']) {
      const res = await as(app, alice, { method: 'GET', url: `${API}/conversations/?archived=${encodeURIComponent(value)}` })
      t.equal(res.statusCode, 400, `GET /conversations/?archived=${value}: 400`, { body: res.body })
      t.match(res.json<ErrorJson>(), { statusCode: 400, code: 'FST_ERR_VALIDATION', message: /archived/ })
    }
    const twice = await as(app, alice, { method: 'GET', url: `${API}/conversations/?archived=true&archived=false` })
    t.equal(twice.statusCode, 400, 'archived given twice: 400')

    const errorOf = async (promise: Promise<unknown>): Promise<unknown> => await promise.then(() => null, (err: { statusCode?: number, code?: string }) => ({ statusCode: err.statusCode, code: err.code }))
    for (const method of ['mute', 'unmute', 'archive', 'unarchive'] as const) {
      t.same(await errorOf(dm[method](alice.id, alice.id)), { statusCode: 400, code: 'FST_DM_SELF_CONVERSATION' }, `service ${method}(me, me)`)
      t.same(await errorOf(dm[method](alice.id, missing)), { statusCode: 404, code: 'FST_DM_CONVERSATION_NOT_FOUND' }, `service ${method}(me, unknown)`)
      t.same(await errorOf(dm[method](alice.id, stranger.id)), { statusCode: 404, code: 'FST_DM_CONVERSATION_NOT_FOUND' }, `service ${method}(me, stranger)`)
    }

    // A block does not stand in the way of one's own flags.
    t.equal((await as(app, alice, { method: 'POST', url: `${API}/blocks/${bob.id}/` })).statusCode, 201)
    await ok(t, app, alice, 'PUT', 'mute', bob)
    await ok(t, app, alice, 'DELETE', 'mute', bob)
  })
}
