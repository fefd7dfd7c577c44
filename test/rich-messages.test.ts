// Rich messages of SPEC §9: edits with their history, unsend, replies and reactions. The message
// object's new fields on every route that answers messages, the five new routes with and without
// the trailing slash, their errors and windows, the decorator events (once per change, none for a
// no-op or a refused request) and the event stream's `message_updated`. The replay of changes
// after Last-Event-ID is tested by stream-sync.test.ts and sync.test.ts.
// SQLite and PostgreSQL, integer user ids, and a short pass with string ids.
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { DirectMessageEvents, UserId } from '../src/index.js'
import { ageMessage, forEachDatabase, type TestDatabase } from './helpers/databases.js'
import { as, createUsers, getJson, startApp, type PageJson, type ReactionJson, type RichMessageJson, type TestUser } from './helpers/app.js'
import { openStream, type SseFrame, type SseStream } from './helpers/sse.js'
import { Recorder, type Recorded, type RecordedName as Name } from './helpers/events.js'

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const HOUR = 3_600_000
const UNKNOWN_ID = 987_654_321
const NOT_FOUND = { statusCode: 404, code: 'FST_DM_MESSAGE_NOT_FOUND', error: 'Not Found', message: 'Message not found' }
const MESSAGE_KEYS = ['content', 'direction', 'edited_at', 'id', 'reactions', 'read_at', 'recipient', 'reply_to', 'sender', 'sent_at', 'unsent_at']

type User = TestUser<UserId>

type RichMessage = RichMessageJson
interface EditJson { content: string, edited_at: string }

const messageUrl = (id: number, suffix = ''): string => `/api/dm/messages/${id}/${suffix}`
const reactionUrl = (id: number, emoji: string): string => `/api/dm/messages/${id}/reactions/${encodeURIComponent(emoji)}/`
const slashless = (url: string): string => url.slice(0, -1)
const r = (emoji: string, count: number, me: boolean): ReactionJson => ({ emoji, count, me })

/** Requests of the rich-message routes on one app. */
class Client {
  constructor (readonly app: FastifyInstance) {}

  request (user: User | null, options: InjectOptions): Promise<LightMyRequestResponse> {
    return as(this.app, user, options)
  }

  async send (from: User, to: User, content: string, replyTo?: number): Promise<RichMessage> {
    const payload = replyTo === undefined ? { content } : { content, reply_to: replyTo }
    const res = await this.request(from, { method: 'POST', url: `/api/dm/send/${to.id}/`, payload })
    if (res.statusCode !== 201) throw new Error(`send: ${res.statusCode} ${res.body}`)
    return res.json<RichMessage>()
  }

  edit (user: User | null, id: number, payload: unknown, url = messageUrl(id)): Promise<LightMyRequestResponse> {
    return this.request(user, { method: 'PATCH', url, payload: payload as object })
  }

  unsend (user: User | null, id: number, url = messageUrl(id, 'unsend/')): Promise<LightMyRequestResponse> {
    return this.request(user, { method: 'POST', url })
  }

  react (user: User | null, id: number, emoji: string, method: 'PUT' | 'DELETE' = 'PUT', url = reactionUrl(id, emoji)): Promise<LightMyRequestResponse> {
    return this.request(user, { method, url })
  }

  hide (user: User, id: number): Promise<LightMyRequestResponse> {
    return this.request(user, { method: 'DELETE', url: messageUrl(id) })
  }

  async edits (user: User, id: number): Promise<EditJson[]> {
    return await getJson<EditJson[]>(this.app, user, messageUrl(id, 'edits/'))
  }

  /** The message as `user` sees it in its conversation with `partner` (this GET marks it read). */
  async view (user: User, partner: User, id: number): Promise<RichMessage> {
    const page = await getJson<PageJson<RichMessage>>(this.app, user, `/api/dm/conversations/${partner.id}/?page_size=100`)
    const message = page.results.find((m) => m.id === id)
    if (message === undefined) throw new Error(`message ${id} is not in ${user.username}'s conversation with ${partner.username}`)
    return message
  }

  async unread (user: User): Promise<number> {
    return (await getJson<{ count: number }>(this.app, user, '/api/dm/unread/')).count
  }
}

function payloadsOf<N extends Name> (items: Recorded[], name: N): Array<DirectMessageEvents[N]> {
  return items.filter((item) => item.name === name).map((item) => item.payload as DirectMessageEvents[N])
}

function jsonOf (res: LightMyRequestResponse): unknown {
  try {
    return res.json()
  } catch {
    return res.body
  }
}

/** Asserts an error answer with this status and code. */
function isError (t: Test, res: LightMyRequestResponse, status: number, code: string, label: string): void {
  t.equal(res.statusCode, status, `${label}: ${status}`, { body: res.body.slice(0, 300) })
  t.match(jsonOf(res), { statusCode: status, code, error: String, message: String }, `${label}: ${code}`)
}

/** Waits (on the event loop, no timer) until the clock is `ms` past `iso`. */
async function clockPast (iso: string, ms: number): Promise<void> {
  const target = Date.parse(iso) + ms
  while (Date.now() < target) await new Promise((resolve) => setImmediate(resolve))
}

async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

const updatesOf = (frames: SseFrame[], id: number): RichMessage[] =>
  frames.filter((f) => f.event === 'message_updated' && (f.data as RichMessage).id === id).map((f) => f.data as RichMessage)

forEachDatabase(t, 'rich messages', richMessages)
forEachDatabase(t, 'rich messages', stringIds, { userIdType: 'string' })

async function richMessages (t: Test, db: TestDatabase): Promise<void> {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const c = new Client(app)
  const users = await createUsers<UserId>(app, 'alice', 'bob', 'carol', 'mallory', 'dave', 'fence1', 'fence2')
  const [alice, bob, carol, mallory, dave, fence1, fence2] = users as [User, User, User, User, User, User, User]
  const events = new Recorder(app.directMessages, [fence1, fence2])

  await t.test('the message object carries edited_at, unsent_at, reply_to and reactions on every route that answers messages', async (t) => {
    const sent = await c.send(alice, bob, 'Hello with fields')
    t.same(Object.keys(sent).sort(), MESSAGE_KEYS, 'POST /send/<id>/')
    t.match(sent.sent_at, ISO)
    t.same(sent, {
      id: sent.id,
      sender: alice.id,
      recipient: bob.id,
      direction: 'out',
      sent_at: sent.sent_at,
      read_at: null,
      content: 'Hello with fields',
      edited_at: null,
      unsent_at: null,
      reply_to: null,
      reactions: []
    })
    const page = await getJson<PageJson<RichMessage>>(app, alice, `/api/dm/conversations/${bob.id}/`)
    t.same(page.results, [sent], 'GET /conversations/<id>/')
    const list = await getJson<PageJson<{ id: UserId, last_message: RichMessage }>>(app, bob, '/api/dm/conversations/')
    t.same(list.results.find((entry) => entry.id === alice.id)?.last_message, { ...sent, direction: 'in' }, 'the list\'s last_message')
    const res = await c.request(bob, { method: 'POST', url: `/api/dm/conversations/${alice.id}/`, payload: { content: 'Back with fields' } })
    t.equal(res.statusCode, 201)
    const [first, second] = res.json<PageJson<RichMessage>>().results
    t.same(Object.keys(first ?? {}).sort(), MESSAGE_KEYS, 'POST /conversations/<id>/')
    t.same(first, {
      id: first?.id,
      sender: bob.id,
      recipient: alice.id,
      direction: 'out',
      sent_at: first?.sent_at,
      read_at: null,
      content: 'Back with fields',
      edited_at: null,
      unsent_at: null,
      reply_to: null,
      reactions: []
    })
    t.same(second, { ...sent, direction: 'in', read_at: second?.read_at }, 'the earlier message, now read')
  })

  await t.test('reply_to: the replied message\'s id, sender, current content cut to 200 characters, and whether it was unsent', async (t) => {
    const question = await c.send(alice, bob, 'Dinner tonight?')
    const answer = await c.send(bob, alice, 'See you at 8', question.id)
    t.same(answer, {
      id: answer.id,
      sender: bob.id,
      recipient: alice.id,
      direction: 'out',
      sent_at: answer.sent_at,
      read_at: null,
      content: 'See you at 8',
      edited_at: null,
      unsent_at: null,
      reactions: [],
      reply_to: { id: question.id, sender: alice.id, content: 'Dinner tonight?', unsent: false }
    }, 'POST /send/<id>/ with reply_to')
    const viaConversation = await c.request(alice, { method: 'POST', url: `/api/dm/conversations/${bob.id}`, payload: { content: 'Great', reply_to: answer.id } })
    t.equal(viaConversation.statusCode, 201)
    t.match(viaConversation.json<PageJson<RichMessage>>().results[0], { content: 'Great', reply_to: { id: answer.id, sender: bob.id, content: 'See you at 8', unsent: false } }, 'POST /conversations/<id>/ with reply_to')
    const own = await c.send(alice, bob, 'and bring wine', question.id)
    t.same(own.reply_to, { id: question.id, sender: alice.id, content: 'Dinner tonight?', unsent: false }, 'to one\'s own message')
    t.same((await c.view(bob, alice, answer.id)).reply_to, answer.reply_to, 'in the pages too')

    const long = '😀'.repeat(150) + 'x'.repeat(150)
    const longMessage = await c.send(alice, bob, long)
    const toLong = await c.send(bob, alice, 'wow', longMessage.id)
    t.same(toLong.reply_to, { id: longMessage.id, sender: alice.id, content: '😀'.repeat(150) + 'x'.repeat(50), unsent: false }, 'cut to 200 code points')

    const edited = await c.edit(alice, question.id, { content: 'Dinner tomorrow?' })
    t.equal(edited.statusCode, 200)
    t.same((await c.view(bob, alice, answer.id)).reply_to, { id: question.id, sender: alice.id, content: 'Dinner tomorrow?', unsent: false }, 'the current content, after an edit')

    const hiddenByBob = await c.send(alice, bob, 'bob hid this')
    t.equal((await c.hide(bob, hiddenByBob.id)).statusCode, 204)
    const toHidden = await c.send(alice, bob, 'you hid it, I did not', hiddenByBob.id)
    t.same(toHidden.reply_to, { id: hiddenByBob.id, sender: alice.id, content: 'bob hid this', unsent: false }, 'a message the recipient hid but the sender still sees')
  })

  await t.test('reply_to must be a message of the same conversation that the sender can see: 400, nothing stored, no event', async (t) => {
    const withCarol = await c.send(alice, carol, 'carol only')
    const foreign = await c.send(mallory, dave, 'not yours')
    const hiddenByAlice = await c.send(bob, alice, 'alice hides this')
    t.equal((await c.hide(alice, hiddenByAlice.id)).statusCode, 204)
    const unreadBefore = await c.unread(bob)
    const newestBefore = (await getJson<PageJson<RichMessage>>(app, alice, `/api/dm/conversations/${bob.id}/`)).results[0]?.id
    const mark = await events.mark()
    for (const url of [`/api/dm/send/${bob.id}/`, `/api/dm/conversations/${bob.id}/`]) {
      const invalid: Array<[string, number]> = [
        ['another conversation\'s message', withCarol.id], ['another pair\'s message', foreign.id],
        ['a message the sender hid', hiddenByAlice.id], ['an unknown id', UNKNOWN_ID]
      ]
      for (const [label, replyTo] of invalid) {
        isError(t, await c.request(alice, { method: 'POST', url, payload: { content: 'a reply', reply_to: replyTo } }), 400, 'FST_DM_INVALID_REPLY', `${url} ${label}`)
      }
      for (const bad of ['abc', 1.5, -1, 0, '5', true, [5], { id: 5 }, 2 ** 53]) {
        isError(t, await c.request(alice, { method: 'POST', url, payload: { content: 'a reply', reply_to: bad } }), 400, 'FST_DM_INVALID_REPLY', `${url} reply_to ${JSON.stringify(bad)}`)
      }
      const huge = await c.request(alice, { method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{"content":"a reply","reply_to":1e400}' })
      isError(t, huge, 400, 'FST_DM_INVALID_REPLY', `${url} reply_to 1e400 (Infinity once parsed)`)
    }
    t.equal(await c.unread(bob), unreadBefore, 'nothing reached bob')
    t.equal((await getJson<PageJson<RichMessage>>(app, alice, `/api/dm/conversations/${bob.id}/`)).results[0]?.id, newestBefore, 'nothing was stored')
    t.same((await events.settled(mark)).map((e) => e.name), [], 'no event')
    // null is no reply at all.
    const plain = await c.request(alice, { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: { content: 'not a reply', reply_to: null } })
    t.equal(plain.statusCode, 201, 'reply_to null: 201')
    t.equal(plain.json<RichMessage>().reply_to, null, 'reply_to null: a message that answers none')
  })

  await t.test('PATCH /messages/<id>/: the sender edits; GET /messages/<id>/edits/ lists the earlier versions, oldest first', async (t) => {
    const original = await c.send(alice, bob, 'See you at 8')
    const mark = await events.mark()
    const first = await c.edit(alice, original.id, { content: 'See you at 9' })
    t.equal(first.statusCode, 200)
    const edited = first.json<RichMessage>()
    t.match(edited.edited_at, ISO)
    t.ok(Date.parse(edited.edited_at ?? '') >= Date.parse(original.sent_at), 'edited_at is not before sent_at')
    t.same(edited, { ...original, content: 'See you at 9', edited_at: edited.edited_at }, 'the message with its new content')
    t.same(await c.edits(alice, original.id), [{ content: 'See you at 8', edited_at: edited.edited_at }], 'one earlier version, replaced at edited_at')
    t.same(await c.edits(bob, original.id), [{ content: 'See you at 8', edited_at: edited.edited_at }], 'the recipient may read it too')

    const second = await c.edit(alice, original.id, { content: 'See you at 9:30' }, slashless(messageUrl(original.id)))
    t.equal(second.statusCode, 200, 'without the trailing slash')
    const editedAgain = second.json<RichMessage>()
    t.same(editedAgain, { ...original, content: 'See you at 9:30', edited_at: editedAgain.edited_at })
    t.ok(Date.parse(editedAgain.edited_at ?? '') >= Date.parse(edited.edited_at ?? ''))
    const history = [{ content: 'See you at 8', edited_at: edited.edited_at }, { content: 'See you at 9', edited_at: editedAgain.edited_at }]
    t.same(await getJson(app, bob, slashless(messageUrl(original.id, 'edits/'))), history, 'oldest first, without the trailing slash')

    const same = await c.edit(alice, original.id, { content: 'See you at 9:30' })
    t.equal(same.statusCode, 200, 'the same content again')
    t.same(jsonOf(same), editedAgain, 'changes nothing: edited_at unchanged')
    t.same(await c.edits(alice, original.id), history, 'no new version')

    const bobView = await c.view(bob, alice, original.id)
    t.same(bobView, { ...editedAgain, direction: 'in', read_at: bobView.read_at }, 'the recipient sees the edit')
    t.same(await c.view(alice, bob, original.id), { ...editedAgain, read_at: bobView.read_at }, 'and the sender')

    const seen = await events.settled(mark)
    t.same(seen.map((e) => e.name), ['messageEdited', 'messageEdited'], 'messageEdited once per change, none for the same content')
    const [e1, e2] = payloadsOf(seen, 'messageEdited')
    t.match(e1, { previousContent: 'See you at 8', message: { id: original.id, senderId: alice.id, recipientId: bob.id, content: 'See you at 9' } })
    t.equal(e1?.message.editedAt?.toISOString(), edited.edited_at, 'with its editedAt')
    t.match(e2, { previousContent: 'See you at 9', message: { id: original.id, content: 'See you at 9:30' } })
    t.same(await c.edits(alice, (await c.send(alice, bob, 'never edited')).id), [], 'a message never edited has no versions')
  })

  await t.test('edits follow the content rules of a send, only the sender may edit, and a refused edit changes and announces nothing', async (t) => {
    const message = await c.send(alice, bob, 'keep me')
    const hiddenByAlice = await c.send(alice, bob, 'alice hid her own')
    t.equal((await c.hide(alice, hiddenByAlice.id)).statusCode, 204)
    const hiddenByBob = await c.send(alice, bob, 'bob hid it')
    t.equal((await c.hide(bob, hiddenByBob.id)).statusCode, 204)
    // bob first: his GET marks the message read, so that both views stay as they are.
    const bobBefore = await c.view(bob, alice, message.id)
    const before = { alice: await c.view(alice, bob, message.id), bob: bobBefore }
    const mark = await events.mark()

    for (const [label, content] of [['empty', ''], ['white space only', ' \n\t ']] as const) {
      isError(t, await c.edit(alice, message.id, { content }), 400, 'FST_DM_EMPTY_CONTENT', label)
    }
    // As a send's content: the body's schema refuses it (the README's FST_ERR_VALIDATION row).
    isError(t, await c.edit(alice, message.id, { content: 'x'.repeat(10_001) }), 400, 'FST_ERR_VALIDATION', 'over maxContentLength')
    for (const [label, payload] of [['missing', {}], ['a number', { content: 5 }], ['null', { content: null }]] as const) {
      isError(t, await c.edit(alice, message.id, payload), 400, 'FST_ERR_VALIDATION', `content ${label}`)
    }
    isError(t, await c.edit(bob, message.id, { content: 'bob was here' }), 403, 'FST_DM_NOT_SENDER', 'the recipient')
    const unknown = await c.edit(alice, UNKNOWN_ID, { content: 'hello?' })
    t.equal(unknown.statusCode, 404, 'an unknown message')
    t.same(jsonOf(unknown), NOT_FOUND)
    const foreign = await c.edit(mallory, message.id, { content: 'hello?' })
    t.equal(foreign.statusCode, 404, 'another pair\'s message')
    t.same(jsonOf(foreign), jsonOf(unknown), 'answered exactly like an unknown id')
    const hiddenOwn = await c.edit(alice, hiddenByAlice.id, { content: 'edit what I hid' })
    t.equal(hiddenOwn.statusCode, 404, 'a message the sender hid')
    t.same(jsonOf(hiddenOwn), NOT_FOUND)
    const hiddenByRecipient = await c.edit(bob, hiddenByBob.id, { content: 'edit what I hid' })
    t.equal(hiddenByRecipient.statusCode, 404, 'a message the caller (the recipient) hid')
    t.same(jsonOf(hiddenByRecipient), NOT_FOUND)

    t.same({ alice: await c.view(alice, bob, message.id), bob: await c.view(bob, alice, message.id) }, before, 'the message is unchanged')
    t.same(await c.edits(alice, message.id), [], 'no version was recorded')
    t.same((await events.settled(mark)).map((e) => e.name), [], 'no event')

    t.equal((await c.edit(alice, hiddenByBob.id, { content: 'bob hid it, I did not' })).statusCode, 200, 'the sender still edits what the recipient hid')
    const bobEdits = await c.request(bob, { method: 'GET', url: messageUrl(hiddenByBob.id, 'edits/') })
    t.equal(bobEdits.statusCode, 404, 'its history is gone for the one who hid it')
    t.same(jsonOf(bobEdits), NOT_FOUND)
    t.same(await c.edits(alice, hiddenByBob.id), [{ content: 'bob hid it', edited_at: (await c.view(alice, bob, hiddenByBob.id)).edited_at }], 'not for the other')
    const malloryEdits = await c.request(mallory, { method: 'GET', url: messageUrl(hiddenByBob.id, 'edits/') })
    t.equal(malloryEdits.statusCode, 404)
    t.same(jsonOf(malloryEdits), NOT_FOUND, 'another pair\'s history: like an unknown id')
  })

  await t.test('POST /messages/<id>/unsend/: a tombstone for both, history and reactions erased, no longer unread', async (t) => {
    const [uma, vic] = await createUsers<UserId>(app, 'uma', 'vic') as [User, User]
    const oops = await c.send(uma, vic, 'oops wrong chat')
    await c.send(uma, vic, 'still here')
    t.equal((await c.edit(uma, oops.id, { content: 'oops, wrong chat' })).statusCode, 200)
    t.equal((await c.react(vic, oops.id, '👍')).statusCode, 200)
    t.equal((await c.react(uma, oops.id, '❤️')).statusCode, 200)
    const reply = await c.send(vic, uma, 'what?', oops.id)
    t.same(await getJson(app, vic, '/api/dm/unread/'), { id: vic.id, count: 2, unmuted_count: 2 })
    t.same(await getJson(app, vic, '/api/dm/conversations/unread/'), [{ partner_id: uma.id, partner_username: 'uma', unread_count: 2, muted: false }])
    const mark = await events.mark()

    const res = await c.unsend(uma, oops.id)
    t.equal(res.statusCode, 204)
    t.equal(res.body, '', 'no body')
    t.equal((await c.unsend(uma, oops.id, slashless(messageUrl(oops.id, 'unsend/')))).statusCode, 204, 'again, without the trailing slash: 204')
    t.same(await getJson(app, vic, '/api/dm/unread/'), { id: vic.id, count: 1, unmuted_count: 1 }, 'no longer unread')
    t.same(await getJson(app, vic, '/api/dm/conversations/unread/'), [{ partner_id: uma.id, partner_username: 'uma', unread_count: 1, muted: false }])

    const umaView = await c.view(uma, vic, oops.id)
    t.match(umaView.unsent_at, ISO)
    t.match(umaView, { id: oops.id, sender: uma.id, recipient: vic.id, direction: 'out', content: '', reactions: [] }, 'the sender sees the tombstone')
    const vicView = await c.view(vic, uma, oops.id)
    t.match(vicView, { id: oops.id, sender: uma.id, recipient: vic.id, direction: 'in', content: '', reactions: [], unsent_at: umaView.unsent_at }, 'and the recipient')
    t.same(await c.edits(uma, oops.id), [], 'the history is erased')
    t.same(await c.edits(vic, oops.id), [])
    const tombstone = { id: oops.id, sender: uma.id, content: '', unsent: true }
    t.same((await c.view(uma, vic, reply.id)).reply_to, tombstone, 'a reply to it shows it unsent')
    t.same((await c.view(vic, uma, reply.id)).reply_to, tombstone)

    isError(t, await c.edit(uma, oops.id, { content: 'back' }), 409, 'FST_DM_MESSAGE_UNSENT', 'editing it')
    isError(t, await c.react(vic, oops.id, '😂'), 409, 'FST_DM_MESSAGE_UNSENT', 'reacting to it')
    isError(t, await c.react(vic, oops.id, '👍'), 409, 'FST_DM_MESSAGE_UNSENT', 'reacting to it with a kind it had')
    t.match(await c.view(vic, uma, oops.id), { content: '', reactions: [] }, 'still a tombstone')
    const seen = await events.settled(mark)
    t.same(seen.map((e) => e.name), ['messageUnsent'], 'messageUnsent once, none for the second unsend or the refused requests')
    const [unsent] = payloadsOf(seen, 'messageUnsent')
    t.match(unsent, { message: { id: oops.id, senderId: uma.id, recipientId: vic.id, content: '', reactions: [] } })
    t.equal(unsent?.message.unsentAt?.toISOString(), umaView.unsent_at, 'with its unsentAt')
  })

  await t.test('only the sender may unsend; unknown, foreign and hidden messages are 404; nothing changes', async (t) => {
    const message = await c.send(alice, bob, 'unsend me?')
    const hiddenByAlice = await c.send(alice, bob, 'alice hid this one')
    t.equal((await c.hide(alice, hiddenByAlice.id)).statusCode, 204)
    const unreadBefore = await c.unread(bob)
    const before = await c.view(alice, bob, message.id)
    const mark = await events.mark()
    isError(t, await c.unsend(bob, message.id), 403, 'FST_DM_NOT_SENDER', 'the recipient')
    const unknown = await c.unsend(alice, UNKNOWN_ID)
    t.equal(unknown.statusCode, 404)
    t.same(jsonOf(unknown), NOT_FOUND, 'an unknown message')
    const foreign = await c.unsend(mallory, message.id)
    t.equal(foreign.statusCode, 404)
    t.same(jsonOf(foreign), jsonOf(unknown), 'another pair\'s message: like an unknown id')
    const hidden = await c.unsend(alice, hiddenByAlice.id)
    t.equal(hidden.statusCode, 404)
    t.same(jsonOf(hidden), NOT_FOUND, 'a message the sender hid')
    t.same(await c.view(alice, bob, message.id), before, 'unchanged')
    t.equal(await c.unread(bob), unreadBefore, 'still unread for bob')
    t.same((await events.settled(mark)).map((e) => e.name), [], 'no event')
  })

  await t.test('PUT/DELETE /messages/<id>/reactions/<emoji>/: one per user per emoji, counted, in the order first used', async (t) => {
    const message = await c.send(alice, bob, 'react to me')
    const mark = await events.mark()
    const put = async (user: User, emoji: string, expected: ReactionJson[], label: string, url?: string): Promise<void> => {
      const res = await c.react(user, message.id, emoji, 'PUT', url)
      t.equal(res.statusCode, 200, `${label}: 200`)
      t.same(jsonOf(res), { reactions: expected }, label)
    }
    const del = async (user: User, emoji: string, expected: ReactionJson[], label: string, url?: string): Promise<void> => {
      const res = await c.react(user, message.id, emoji, 'DELETE', url)
      t.equal(res.statusCode, 200, `${label}: 200`)
      t.same(jsonOf(res), { reactions: expected }, label)
    }
    await put(bob, '👍', [r('👍', 1, true)], 'the recipient reacts')
    await put(bob, '👍', [r('👍', 1, true)], 'again, without the trailing slash: unchanged', slashless(reactionUrl(message.id, '👍')))
    await put(alice, '👍', [r('👍', 2, true)], 'the sender reacts too: count counts users')
    await put(alice, '❤️', [r('👍', 2, true), r('❤️', 1, true)], 'a second kind')
    t.same((await c.view(bob, alice, message.id)).reactions, [r('👍', 2, true), r('❤️', 1, false)], 'me is per caller (bob)')
    t.same((await c.view(alice, bob, message.id)).reactions, [r('👍', 2, true), r('❤️', 1, true)], 'me is per caller (alice)')
    await put(bob, '😂', [r('👍', 2, true), r('❤️', 1, false), r('😂', 1, true)], 'a third kind, last')
    await del(bob, '👍', [r('👍', 1, false), r('❤️', 1, false), r('😂', 1, true)], 'bob takes 👍 back')
    await del(bob, '👍', [r('👍', 1, false), r('❤️', 1, false), r('😂', 1, true)], 'again, without the trailing slash: unchanged', slashless(reactionUrl(message.id, '👍')))
    await del(bob, '❤️', [r('👍', 1, false), r('❤️', 1, false), r('😂', 1, true)], 'one bob never gave: unchanged')
    await del(alice, '❤️', [r('👍', 1, true), r('😂', 1, false)], 'the last ❤️ goes: the kind goes')
    t.same((await c.view(bob, alice, message.id)).reactions, [r('👍', 1, false), r('😂', 1, true)], 'in the pages')
    const list = await getJson<PageJson<{ id: UserId, last_message: RichMessage }>>(app, bob, '/api/dm/conversations/')
    t.same(list.results.find((entry) => entry.id === alice.id)?.last_message.reactions, [r('👍', 1, false), r('😂', 1, true)], 'in the list\'s last_message')

    const seen = await events.settled(mark)
    t.same(seen.map((e) => e.name), ['reactionAdded', 'reactionAdded', 'reactionAdded', 'reactionAdded', 'reactionRemoved', 'reactionRemoved'],
      'once per change: none for the repeated PUT or the DELETEs of what was not there')
    const added = payloadsOf(seen, 'reactionAdded')
    t.same(added.map((e) => [e.emoji, e.userId]), [['👍', bob.id], ['👍', alice.id], ['❤️', alice.id], ['😂', bob.id]])
    t.same(added.map((e) => e.message.id), Array(4).fill(message.id))
    t.same(added[0]?.message.reactions.map((x) => [x.emoji, x.count]), [['👍', 1]], 'the message after the change')
    const removed = payloadsOf(seen, 'reactionRemoved')
    t.same(removed.map((e) => [e.emoji, e.userId, e.message.id]), [['👍', bob.id, message.id], ['❤️', alice.id, message.id]])
    t.same(removed[1]?.message.reactions.map((x) => [x.emoji, x.count]), [['👍', 1], ['😂', 1]], 'the message after the change')
  })

  await t.test('a reaction is exactly one emoji: ZWJ sequences, flags, skin tones, keycaps; anything else is 400', async (t) => {
    const message = await c.send(bob, alice, 'all kinds')
    // The last two are long single emoji: a subdivision flag (7 code points, 84 characters
    // URL-encoded) and a skin-toned ZWJ kiss (10 code points, 105 characters URL-encoded).
    const valid = ['👩‍💻', '🇫🇷', '👍🏽', '1️⃣', '❤️', '😀', '🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}', '🧑🏻\u200D❤️\u200D💋\u200D🧑🏼']
    for (const emoji of valid) {
      const res = await c.react(alice, message.id, emoji)
      t.equal(res.statusCode, 200, `${emoji} (${[...emoji].map((ch) => ch.codePointAt(0)?.toString(16)).join(' ')})`, { body: res.body.slice(0, 300) })
    }
    const expected = valid.map((emoji) => r(emoji, 1, true))
    t.same((await c.view(alice, bob, message.id)).reactions, expected, 'each stored as sent')
    const mark = await events.mark()
    const invalid: Array<[string, string]> = [
      ['text "a"', encodeURIComponent('a')], ['text "ok"', encodeURIComponent('ok')], ['two emoji', encodeURIComponent('👍👍')],
      ['a skin-tone modifier alone', encodeURIComponent('\u{1F3FB}')], ['100 characters of text', 'a'.repeat(100)]
    ]
    for (const [label, encoded] of invalid) {
      const url = `/api/dm/messages/${message.id}/reactions/${encoded}/`
      isError(t, await c.request(alice, { method: 'PUT', url }), 400, 'FST_DM_INVALID_REACTION', `PUT ${label}`)
      isError(t, await c.request(alice, { method: 'DELETE', url }), 400, 'FST_DM_INVALID_REACTION', `DELETE ${label}`)
    }
    // Longer than Fastify's maxParamLength (100 characters by default): its router refuses the
    // path before any route runs, with its own 414 and code (the README says so).
    for (const [label, encoded] of [['1,000 bytes of text', 'a'.repeat(1000)], ['1,000 bytes of emoji', encodeURIComponent('👍'.repeat(250))]]) {
      const url = `/api/dm/messages/${message.id}/reactions/${encoded as string}/`
      isError(t, await c.request(alice, { method: 'PUT', url }), 414, 'FST_ERR_MAX_PARAM_LENGTH', `PUT ${label as string}`)
      isError(t, await c.request(alice, { method: 'DELETE', url }), 414, 'FST_ERR_MAX_PARAM_LENGTH', `DELETE ${label as string}`)
    }
    for (const method of ['PUT', 'DELETE'] as const) {
      // Fastify's router refuses a path that does not decode, with its own code (the README says so).
      isError(t, await c.request(alice, { method, url: `/api/dm/messages/${message.id}/reactions/%E0%A4%A/` }), 400, 'FST_ERR_BAD_URL', `${method} invalid percent-encoding`)
    }
    t.same((await c.view(alice, bob, message.id)).reactions, expected, 'nothing was stored')
    t.same((await events.settled(mark)).map((e) => e.name), [], 'no event')
  })

  await t.test('at most maxReactionKinds (20) different emoji per message: the 21st is 409, an existing kind still works', async (t) => {
    const message = await c.send(alice, bob, 'twenty kinds')
    const kinds = Array.from({ length: 21 }, (_, i) => String.fromCodePoint(0x1F600 + i))
    for (const [i, emoji] of kinds.slice(0, 20).entries()) {
      t.equal((await c.react(i % 2 === 0 ? bob : alice, message.id, emoji)).statusCode, 200, `kind ${i + 1}`)
    }
    const mark = await events.mark()
    isError(t, await c.react(alice, message.id, kinds[20] ?? ''), 409, 'FST_DM_TOO_MANY_REACTIONS', 'the 21st kind')
    isError(t, await c.react(bob, message.id, kinds[20] ?? ''), 409, 'FST_DM_TOO_MANY_REACTIONS', 'the 21st kind, by the other')
    const expected = kinds.slice(0, 20).map((emoji, i) => r(emoji, 1, i % 2 === 1))
    t.same((await c.view(alice, bob, message.id)).reactions, expected, 'nothing stored')
    t.same((await events.settled(mark)).map((e) => e.name), [], 'no event for the refused ones')
    const existing = await c.react(alice, message.id, kinds[0] ?? '')
    t.equal(existing.statusCode, 200, 'an existing kind by another user')
    t.same(jsonOf(existing), { reactions: expected.map((x, i) => i === 0 ? r(x.emoji, 2, true) : x) })
  })

  await t.test('reacting to a message the caller cannot see is 404, like an unknown id', async (t) => {
    const message = await c.send(alice, bob, 'bob hides this')
    t.equal((await c.hide(bob, message.id)).statusCode, 204)
    const mark = await events.mark()
    for (const method of ['PUT', 'DELETE'] as const) {
      const hidden = await c.react(bob, message.id, '👍', method)
      t.equal(hidden.statusCode, 404, `${method} on a message the caller hid`)
      t.same(jsonOf(hidden), NOT_FOUND)
      const unknown = await c.react(alice, UNKNOWN_ID, '👍', method)
      t.equal(unknown.statusCode, 404, `${method} on an unknown message`)
      t.same(jsonOf(unknown), NOT_FOUND)
      const foreign = await c.react(mallory, message.id, '👍', method)
      t.equal(foreign.statusCode, 404, `${method} on another pair's message`)
      t.same(jsonOf(foreign), jsonOf(unknown), 'answered exactly like an unknown id')
    }
    t.same((await c.view(alice, bob, message.id)).reactions, [], 'nothing stored')
    t.same((await events.settled(mark)).map((e) => e.name), [], 'no event')
    t.same((await c.react(alice, message.id, '👍')).json(), { reactions: [r('👍', 1, true)] }, 'the sender, who still sees it, may react')
  })

  await t.test('the reactions option: only the listed values', async (t) => {
    const limited = await startApp(db, { directMessages: { reactions: ['👍', '❤️', '+1'] } })
    t.teardown(() => limited.close())
    const lc = new Client(limited)
    const message = await lc.send(alice, bob, 'limited')
    for (const emoji of ['👍', '❤️', '+1']) t.equal((await lc.react(bob, message.id, emoji)).statusCode, 200, `${emoji} is listed`)
    for (const emoji of ['😀', '👍🏽', 'a', '+2']) isError(t, await lc.react(bob, message.id, emoji), 400, 'FST_DM_INVALID_REACTION', `${emoji} is not`)
    t.same((await lc.view(bob, alice, message.id)).reactions, [r('👍', 1, true), r('❤️', 1, true), r('+1', 1, true)])
  })

  await t.test('edit and unsend windows: 409 past the window (default 15 minutes), none with null', async (t) => {
    const old = await c.send(alice, bob, 'an hour ago')
    await ageMessage(db, old.id, HOUR)
    const aged = await c.view(alice, bob, old.id)
    t.equal(Date.parse(aged.sent_at), Date.parse(old.sent_at) - HOUR, 'sent_at moved an hour back')
    const mark = await events.mark()
    isError(t, await c.edit(alice, old.id, { content: 'too late' }), 409, 'FST_DM_EDIT_WINDOW_CLOSED', 'edit after an hour')
    isError(t, await c.unsend(alice, old.id), 409, 'FST_DM_UNSEND_WINDOW_CLOSED', 'unsend after an hour')
    t.same(await c.view(alice, bob, old.id), aged, 'unchanged')
    t.same(await c.edits(alice, old.id), [], 'no version')
    t.same((await events.settled(mark)).map((e) => e.name), [], 'no event')

    const recent = await c.send(alice, bob, 'ten minutes ago')
    await ageMessage(db, recent.id, 10 * 60_000)
    t.equal((await c.edit(alice, recent.id, { content: 'ten minutes ago, edited' })).statusCode, 200, 'within 15 minutes: edited')
    t.equal((await c.unsend(alice, recent.id)).statusCode, 204, 'within 15 minutes: unsent')

    const unlimited = await startApp(db, { directMessages: { editWindow: null, unsendWindow: null } })
    t.teardown(() => unlimited.close())
    const uc = new Client(unlimited)
    const ancient = await uc.send(alice, bob, 'a day ago')
    await ageMessage(db, ancient.id, 24 * HOUR)
    const edited = await uc.edit(alice, ancient.id, { content: 'a day ago, edited' })
    t.equal(edited.statusCode, 200, 'null editWindow: no limit')
    t.equal(edited.json<RichMessage>().content, 'a day ago, edited')
    t.equal((await uc.unsend(alice, ancient.id)).statusCode, 204, 'null unsendWindow: no limit')

    const tight = await startApp(db, { directMessages: { editWindow: 1, unsendWindow: 1 } })
    t.teardown(() => tight.close())
    const tc = new Client(tight)
    const quick = await tc.send(alice, bob, 'blink')
    await clockPast(quick.sent_at, 5)
    isError(t, await tc.edit(alice, quick.id, { content: 'missed it' }), 409, 'FST_DM_EDIT_WINDOW_CLOSED', '1 ms editWindow')
    isError(t, await tc.unsend(alice, quick.id), 409, 'FST_DM_UNSEND_WINDOW_CLOSED', '1 ms unsendWindow')
    t.match(await tc.view(alice, bob, quick.id), { content: 'blink', edited_at: null, unsent_at: null }, 'unchanged')
  })

  await t.test('every new route: anonymous 401; another pair\'s message exactly like an unknown id (404)', async (t) => {
    const message = await c.send(alice, bob, 'private')
    await c.react(bob, message.id, '👍')
    const before = await c.view(alice, bob, message.id)
    const mark = await events.mark()
    const routes = (id: number): Array<[InjectOptions['method'], string, object | undefined]> => [
      ['PATCH', messageUrl(id), { content: 'mine now' }],
      ['GET', messageUrl(id, 'edits/'), undefined],
      ['POST', messageUrl(id, 'unsend/'), undefined],
      ['PUT', reactionUrl(id, '👍'), undefined],
      ['DELETE', reactionUrl(id, '👍'), undefined]
    ]
    const unknownRoutes = routes(UNKNOWN_ID)
    for (const [i, [method, url, payload]] of routes(message.id).entries()) {
      const unknownUrl = unknownRoutes[i]?.[1] ?? ''
      for (const [path, unknownPath] of [[url, unknownUrl], [slashless(url), slashless(unknownUrl)]]) {
        const anonymous = await c.request(null, { method, url: path, payload })
        t.equal(anonymous.statusCode, 401, `${method} ${path} anonymous`)
        t.match(jsonOf(anonymous), { statusCode: 401, error: 'Unauthorized', message: String })
        const foreign = await c.request(mallory, { method, url: path, payload })
        const unknown = await c.request(mallory, { method, url: unknownPath, payload })
        t.equal(foreign.statusCode, 404, `${method} ${path} as mallory`)
        t.same(jsonOf(foreign), NOT_FOUND)
        t.same(jsonOf(foreign), jsonOf(unknown), `${method} ${path}: the same answer as an unknown id`)
      }
    }
    t.same(await c.view(alice, bob, message.id), before, 'unchanged')
    t.same((await events.settled(mark)).map((e) => e.name), [], 'no event')
  })

  await t.test('event streams: message_updated, as each receiver sees it, to the other participant and the actor', async (t) => {
    const live = await startApp(db)
    const base = await listen(live)
    t.teardown(() => live.close())
    const lc = new Client(live)
    const [sam, tess, ursula] = await createUsers<UserId>(live, 'sam', 'tess', 'ursula') as [User, User, User]
    const message = await lc.send(sam, tess, 'live edit')
    await lc.view(tess, sam, message.id)

    const streams: SseStream[] = []
    const open = async (user: User): Promise<SseStream> => {
      const stream = await openStream(base, '/api/dm/events/', user.headers)
      streams.push(stream)
      t.equal(stream.status, 200)
      return stream
    }
    t.teardown(() => { for (const stream of streams) stream.close() })
    const samStream = await open(sam)
    const tessStream = await open(tess)
    const ursulaStream = await open(ursula)

    const reply = await lc.send(sam, tess, 'replying live', message.id)
    const [inbound] = (await tessStream.until((f) => f.some((x) => x.event === 'message'))).filter((x) => x.event === 'message').map((x) => x.data)
    t.same(inbound, { ...reply, direction: 'in' }, 'a new message carries the new fields')

    /** After a change, waits for the n-th update on both streams and compares each with the pages. */
    const expectUpdate = async (n: number, label: string): Promise<[RichMessage | undefined, RichMessage | undefined]> => {
      await samStream.until((f) => updatesOf(f, message.id).length >= n)
      await tessStream.until((f) => updatesOf(f, message.id).length >= n)
      const samUpdate = updatesOf(samStream.frames, message.id)[n - 1]
      const tessUpdate = updatesOf(tessStream.frames, message.id)[n - 1]
      t.same(samUpdate, await lc.view(sam, tess, message.id), `${label}: sam's stream has the message as sam sees it`)
      t.same(tessUpdate, await lc.view(tess, sam, message.id), `${label}: tess's stream has the message as tess sees it`)
      return [samUpdate, tessUpdate]
    }

    t.equal((await lc.edit(sam, message.id, { content: 'live edit!' })).statusCode, 200)
    const [samEdit, tessEdit] = await expectUpdate(1, 'edit')
    t.match(samEdit, { id: message.id, direction: 'out', content: 'live edit!', edited_at: ISO })
    t.match(tessEdit, { id: message.id, direction: 'in', content: 'live edit!', edited_at: ISO })

    t.equal((await lc.react(tess, message.id, '👍')).statusCode, 200)
    const [samAdded, tessAdded] = await expectUpdate(2, 'reaction added')
    t.same(samAdded?.reactions, [r('👍', 1, false)], 'me relative to sam')
    t.same(tessAdded?.reactions, [r('👍', 1, true)], 'me relative to tess, who reacted')

    t.equal((await lc.react(tess, message.id, '👍', 'DELETE')).statusCode, 200)
    const [samRemoved, tessRemoved] = await expectUpdate(3, 'reaction removed')
    t.same(samRemoved?.reactions, [])
    t.same(tessRemoved?.reactions, [])

    t.equal((await lc.unsend(sam, message.id)).statusCode, 204)
    const [samUnsent, tessUnsent] = await expectUpdate(4, 'unsend')
    t.match(samUnsent, { id: message.id, direction: 'out', content: '', reactions: [], unsent_at: ISO })
    t.match(tessUnsent, { id: message.id, direction: 'in', content: '', reactions: [], unsent_at: ISO })

    const toUrsula = await lc.send(sam, ursula, 'fence')
    await ursulaStream.until((f) => f.some((x) => x.event === 'message' && (x.data as RichMessage).id === toUrsula.id))
    t.same(ursulaStream.frames.filter((f) => f.event === 'message_updated'), [], 'a bystander hears nothing of it')
    // A last message to tess, after every change: once both streams have it, no update is still on its way.
    const last = await lc.send(sam, tess, 'after everything')
    const hasLast = (f: SseFrame[]): boolean => f.some((x) => x.event === 'message' && (x.data as RichMessage).id === last.id)
    await samStream.until(hasLast)
    await tessStream.until(hasLast)
    t.equal(updatesOf(samStream.frames, message.id).length, 4, 'one update per change on sam\'s stream')
    t.equal(updatesOf(tessStream.frames, message.id).length, 4, 'one update per change on tess\'s stream')
  })
}

/** A short pass with string user ids (cuids): reply, edit, react, unsend. */
async function stringIds (t: Test, db: TestDatabase): Promise<void> {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const c = new Client(app)
  const [alice, bob, mallory, fence1, fence2] = await createUsers<UserId>(app, 'alice', 'bob', 'mallory', 'fence1', 'fence2') as [User, User, User, User, User]
  const events = new Recorder(app.directMessages, [fence1, fence2])
  t.equal(typeof alice.id, 'string', 'string ids')
  const mark = await events.mark()

  const question = await c.send(alice, bob, 'Dinner tonight?')
  const answer = await c.send(bob, alice, 'See you at 8', question.id)
  t.same(answer, {
    id: answer.id,
    sender: bob.id,
    recipient: alice.id,
    direction: 'out',
    sent_at: answer.sent_at,
    read_at: null,
    content: 'See you at 8',
    edited_at: null,
    unsent_at: null,
    reactions: [],
    reply_to: { id: question.id, sender: alice.id, content: 'Dinner tonight?', unsent: false }
  }, 'a reply')

  const edited = await c.edit(bob, answer.id, { content: 'See you at 9' })
  t.equal(edited.statusCode, 200)
  const editedAt = edited.json<RichMessage>().edited_at
  t.match(editedAt, ISO)
  t.same(await c.edits(alice, answer.id), [{ content: 'See you at 8', edited_at: editedAt }], 'the earlier version')
  isError(t, await c.edit(alice, answer.id, { content: 'not mine' }), 403, 'FST_DM_NOT_SENDER', 'the recipient edits')
  const foreign = await c.edit(mallory, answer.id, { content: 'not mine' })
  t.equal(foreign.statusCode, 404)
  t.same(jsonOf(foreign), NOT_FOUND, 'another pair\'s message')

  const reacted = await c.react(alice, answer.id, '👍')
  t.equal(reacted.statusCode, 200)
  t.same(jsonOf(reacted), { reactions: [r('👍', 1, true)] })
  t.same((await c.view(bob, alice, answer.id)).reactions, [r('👍', 1, false)], 'me per caller')

  t.equal((await c.unsend(alice, question.id)).statusCode, 204)
  const bobView = await c.view(bob, alice, answer.id)
  t.same(bobView, {
    ...answer,
    direction: 'out',
    read_at: bobView.read_at,
    content: 'See you at 9',
    edited_at: editedAt,
    reply_to: { id: question.id, sender: alice.id, content: '', unsent: true },
    reactions: [r('👍', 1, false)]
  }, 'the reply now shows its original unsent')
  t.match(await c.view(bob, alice, question.id), { content: '', reactions: [], unsent_at: ISO })

  const seen = (await events.settled(mark)).filter((e) => e.name !== 'messageSent')
  t.same(seen.map((e) => e.name), ['messageEdited', 'reactionAdded', 'messageUnsent'])
  t.same(payloadsOf(seen, 'reactionAdded').map((e) => [e.emoji, e.userId, e.message.id]), [['👍', alice.id, answer.id]], 'userId is the string id')
  t.match(payloadsOf(seen, 'messageEdited')[0], { previousContent: 'See you at 8', message: { id: answer.id, senderId: bob.id, recipientId: alice.id } })
}
