// The decorator API `app.directMessages`, called directly (no HTTP in between): edit, edits,
// unsend, react, unreact, typing, presence, mute/unmute and archive/unarchive. What each answers,
// what a user then reads back, its errors (thrown with the `code` and `statusCode` the routes
// answer, storing nothing), and the decorator events (once per change, none for a no-op or a
// refused call). SQLite, PostgreSQL and MariaDB, through the Prisma client and the driver, integer ids;
// and once with string ids.
import t, { type Test } from 'tap'
import type { DirectMessageEvents, Message, UserId } from '../../src/index.js'
import { ageMessage, forEachDatabase, forEachPath, type TestDatabase } from '../helpers/databases.js'
import type { FastifyInstance } from 'fastify'
import { createUsers, getJson, send, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from '../helpers/app.js'
import { listening } from '../helpers/instances.js'
import { streamOf, type SseFrame } from '../helpers/sse.js'
import { Recorder, type Recorded, type RecordedName as Name } from '../helpers/events.js'

type User = TestUser<UserId>

const HOUR = 3_600_000
const UNKNOWN_MESSAGE = 987_654_321
const NOT_FOUND = { code: 'FST_DM_MESSAGE_NOT_FOUND', statusCode: 404 }

function payloadsOf<N extends Name> (items: Recorded[], name: N): Array<DirectMessageEvents[N]> {
  return items.filter((item) => item.name === name).map((item) => item.payload as DirectMessageEvents[N])
}

const iso = (date: Date | null | undefined): string | null => date?.toISOString() ?? null

interface UnreadEntry { partner_id: number, partner_username: string, unread_count: number, muted: boolean }

async function unread (app: FastifyInstance, user: TestUser): Promise<number> {
  return (await getJson<{ id: number, count: number }>(app, user, '/api/dm/unread/')).count
}

function unreadList (app: FastifyInstance, user: TestUser): Promise<UnreadEntry[]> {
  return getJson<UnreadEntry[]>(app, user, '/api/dm/conversations/unread/')
}

async function partnerIds (app: FastifyInstance, user: TestUser): Promise<number[]> {
  return (await getJson<PageJson<PartnerJson>>(app, user, '/api/dm/conversations/')).results.map((p) => p.id)
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

forEachPath(t, 'service api', serviceApi)
forEachDatabase(t, 'service api', serviceApi, { userIdType: 'string' })

async function serviceApi (t: Test, db: TestDatabase): Promise<void> {
  const { app, base } = await listening(db)
  t.teardown(() => app.close())
  const dm = app.directMessages
  const users = await createUsers<UserId>(app, 'alice', 'bob', 'carol', 'fence1', 'fence2')
  const [alice, bob, carol, fence1, fence2] = users as [User, User, User, User, User]
  const events = new Recorder(dm, [fence1, fence2])
  const missing: UserId = db.userIdType === 'string' ? 'cm0nosuchuser0000000000000' : 2_000_000

  /** The message as `user` reads it through conversation() (without marking anything read). */
  async function view (user: User, partner: User, id: number): Promise<Message> {
    const page = await dm.conversation(user.id, partner.id, { pageSize: 100, markRead: false })
    const message = page.items.find((m) => m.id === id)
    if (message === undefined) throw new Error(`message ${id} is not in ${user.username}'s conversation with ${partner.username}`)
    return message
  }

  await t.test('edit answers the message with its new content and editedAt; edits answers the earlier versions, oldest first', async (t) => {
    const sent = await dm.send(alice.id, bob.id, 'first')
    const mark = await events.mark()
    const second = await dm.edit(alice.id, sent.id, 'second')
    t.match(second, { id: sent.id, senderId: alice.id, recipientId: bob.id, content: 'second', unsentAt: null, replyTo: null, reactions: [] })
    t.equal(iso(second.sentAt), iso(sent.sentAt), 'sentAt unchanged')
    t.ok(second.editedAt instanceof Date && second.editedAt.getTime() >= sent.sentAt.getTime(), 'editedAt is a Date, not before sentAt')
    const third = await dm.edit(alice.id, sent.id, 'third')
    t.equal(third.content, 'third')
    t.ok(third.editedAt !== null && second.editedAt !== null && third.editedAt >= second.editedAt, 'editedAt moves on')

    const history = [{ content: 'first', editedAt: iso(second.editedAt) }, { content: 'second', editedAt: iso(third.editedAt) }]
    const asRead = (edits: Array<{ content: string, editedAt: Date }>): unknown => edits.map((e) => ({ content: e.content, editedAt: iso(e.editedAt) }))
    t.same(asRead(await dm.edits(alice.id, sent.id)), history, 'the sender reads the earlier versions, each with when it was replaced')
    t.same(asRead(await dm.edits(bob.id, sent.id)), history, 'and so does the recipient')

    const same = await dm.edit(alice.id, sent.id, 'third')
    t.match(same, { content: 'third' }, 'the same content again answers the message')
    t.equal(iso(same.editedAt), iso(third.editedAt), 'without a new editedAt')
    t.equal((await dm.edits(alice.id, sent.id)).length, 2, 'nor a new version')
    for (const user of [alice, bob]) {
      const message = await view(user, user === alice ? bob : alice, sent.id)
      t.match(message, { content: 'third' }, `${user.username} reads the new content`)
      t.equal(iso(message.editedAt), iso(third.editedAt), `${user.username} reads editedAt`)
    }

    const seen = await events.settled(mark)
    t.same(seen.map((e) => e.name), ['messageEdited', 'messageEdited'], 'messageEdited once per change, none for the same content')
    t.same(payloadsOf(seen, 'messageEdited').map((e) => [e.previousContent, e.message.content, e.message.id]), [['first', 'second', sent.id], ['second', 'third', sent.id]])
  })

  await t.test('edit and edits refuse with the codes of the routes, and store nothing', async (t) => {
    const sent = await dm.send(alice.id, bob.id, 'original')
    const old = await dm.send(alice.id, bob.id, 'too old to edit')
    await ageMessage(db, old.id, HOUR)
    const mark = await events.mark()
    const refusals: Array<[string, () => Promise<unknown>, { code: string, statusCode: number }]> = [
      ['the recipient', () => dm.edit(bob.id, sent.id, 'mine now'), { code: 'FST_DM_NOT_SENDER', statusCode: 403 }],
      ['a third user', () => dm.edit(carol.id, sent.id, 'hello'), NOT_FOUND],
      ['an unknown message', () => dm.edit(alice.id, UNKNOWN_MESSAGE, 'hello'), NOT_FOUND],
      ['empty content', () => dm.edit(alice.id, sent.id, ''), { code: 'FST_DM_EMPTY_CONTENT', statusCode: 400 }],
      ['white space only', () => dm.edit(alice.id, sent.id, ' \n\t'), { code: 'FST_DM_EMPTY_CONTENT', statusCode: 400 }],
      ['content not a string', () => dm.edit(alice.id, sent.id, 42 as unknown as string), { code: 'FST_DM_EMPTY_CONTENT', statusCode: 400 }],
      ['10,001 characters', () => dm.edit(alice.id, sent.id, 'x'.repeat(10_001)), { code: 'FST_DM_CONTENT_TOO_LONG', statusCode: 400 }],
      ['a NUL character', () => dm.edit(alice.id, sent.id, 'a\u0000b'), { code: 'FST_DM_INVALID_CONTENT', statusCode: 400 }],
      ['past the edit window', () => dm.edit(alice.id, old.id, 'late'), { code: 'FST_DM_EDIT_WINDOW_CLOSED', statusCode: 409 }],
      ['edits of a third user', () => dm.edits(carol.id, sent.id), NOT_FOUND],
      ['edits of an unknown message', () => dm.edits(alice.id, UNKNOWN_MESSAGE), NOT_FOUND]
    ]
    for (const [name, call, error] of refusals) await t.rejects(call, error, name)
    t.match(await view(bob, alice, sent.id), { content: 'original', editedAt: null }, 'unchanged')
    t.match(await view(bob, alice, old.id), { content: 'too old to edit', editedAt: null }, 'the old one unchanged')
    t.same(await dm.edits(alice.id, sent.id), [], 'no earlier versions')
    t.same((await events.settled(mark)).map((e) => e.name), [], 'no event')
  })

  await t.test('unsend makes the message a tombstone for both; again changes nothing', async (t) => {
    const sent = await dm.send(alice.id, bob.id, 'oops')
    await dm.edit(alice.id, sent.id, 'oops, again')
    await dm.react(bob.id, sent.id, '👍')
    const mark = await events.mark()
    t.equal(await dm.unsend(alice.id, sent.id), undefined, 'answers nothing')
    const aliceView = await view(alice, bob, sent.id)
    t.match(aliceView, { id: sent.id, senderId: alice.id, recipientId: bob.id, content: '', reactions: [], replyTo: null }, 'the sender reads the tombstone')
    t.ok(aliceView.unsentAt instanceof Date, 'with unsentAt')
    const bobView = await view(bob, alice, sent.id)
    t.match(bobView, { id: sent.id, content: '', reactions: [] }, 'and the recipient')
    t.equal(iso(bobView.unsentAt), iso(aliceView.unsentAt), 'the same unsentAt for both')
    t.same(await dm.edits(bob.id, sent.id), [], 'the history is erased')

    t.equal(await dm.unsend(alice.id, sent.id), undefined, 'again: fine')
    t.equal(iso((await view(alice, bob, sent.id)).unsentAt), iso(aliceView.unsentAt), 'and unsentAt stays')
    const seen = await events.settled(mark)
    t.same(seen.map((e) => e.name), ['messageUnsent'], 'messageUnsent once')
    t.match(payloadsOf(seen, 'messageUnsent')[0], { message: { id: sent.id, content: '', reactions: [] } })
  })

  await t.test('unsend refuses with the codes of the routes; an unsent message cannot be edited or reacted to', async (t) => {
    const sent = await dm.send(alice.id, bob.id, 'keep')
    const old = await dm.send(alice.id, bob.id, 'too old to unsend')
    await ageMessage(db, old.id, HOUR)
    const gone = await dm.send(alice.id, bob.id, 'gone')
    await dm.unsend(alice.id, gone.id)
    const mark = await events.mark()
    const refusals: Array<[string, () => Promise<unknown>, { code: string, statusCode: number }]> = [
      ['unsend by the recipient', () => dm.unsend(bob.id, sent.id), { code: 'FST_DM_NOT_SENDER', statusCode: 403 }],
      ['unsend by a third user', () => dm.unsend(carol.id, sent.id), NOT_FOUND],
      ['unsend of an unknown message', () => dm.unsend(alice.id, UNKNOWN_MESSAGE), NOT_FOUND],
      ['unsend past the window', () => dm.unsend(alice.id, old.id), { code: 'FST_DM_UNSEND_WINDOW_CLOSED', statusCode: 409 }],
      ['editing an unsent message', () => dm.edit(alice.id, gone.id, 'back'), { code: 'FST_DM_MESSAGE_UNSENT', statusCode: 409 }],
      ['reacting to an unsent message', () => dm.react(bob.id, gone.id, '👍'), { code: 'FST_DM_MESSAGE_UNSENT', statusCode: 409 }],
      ['unreacting on an unsent message', () => dm.unreact(bob.id, gone.id, '👍'), { code: 'FST_DM_MESSAGE_UNSENT', statusCode: 409 }]
    ]
    for (const [name, call, error] of refusals) await t.rejects(call, error, name)
    t.match(await view(bob, alice, sent.id), { content: 'keep', unsentAt: null }, 'not unsent')
    t.match(await view(bob, alice, old.id), { content: 'too old to unsend', unsentAt: null }, 'the old one not unsent')
    t.match(await view(bob, alice, gone.id), { content: '', reactions: [], editedAt: null }, 'the tombstone stays one')
    t.same((await events.settled(mark)).map((e) => e.name), [], 'no event')
  })

  await t.test('react and unreact answer the reactions with counts and `me`, as the caller sees them', async (t) => {
    const sent = await dm.send(alice.id, bob.id, 'react to me')
    const mark = await events.mark()
    t.same(await dm.react(bob.id, sent.id, '👍'), [{ emoji: '👍', count: 1, me: true }])
    t.same(await dm.react(alice.id, sent.id, '👍'), [{ emoji: '👍', count: 2, me: true }])
    t.same(await dm.react(alice.id, sent.id, '❤️'), [{ emoji: '👍', count: 2, me: true }, { emoji: '❤️', count: 1, me: true }])
    t.same(await dm.react(alice.id, sent.id, '❤️'), [{ emoji: '👍', count: 2, me: true }, { emoji: '❤️', count: 1, me: true }], 'again: unchanged')
    t.same((await view(bob, alice, sent.id)).reactions, [{ emoji: '👍', count: 2, me: true }, { emoji: '❤️', count: 1, me: false }], 'bob reads them as he sees them')
    t.same(await dm.unreact(alice.id, sent.id, '👍'), [{ emoji: '👍', count: 1, me: false }, { emoji: '❤️', count: 1, me: true }])
    t.same(await dm.unreact(alice.id, sent.id, '👍'), [{ emoji: '👍', count: 1, me: false }, { emoji: '❤️', count: 1, me: true }], 'again: unchanged')
    t.same(await dm.unreact(bob.id, sent.id, '😂'), [{ emoji: '👍', count: 1, me: true }, { emoji: '❤️', count: 1, me: false }], 'one never added: unchanged')
    t.same((await view(alice, bob, sent.id)).reactions, [{ emoji: '👍', count: 1, me: false }, { emoji: '❤️', count: 1, me: true }], 'alice reads them back')

    const seen = await events.settled(mark)
    t.same(seen.map((e) => e.name), ['reactionAdded', 'reactionAdded', 'reactionAdded', 'reactionRemoved'], 'once per change, none for a repeat')
    t.same(seen.map((e) => [(e.payload as DirectMessageEvents['reactionAdded']).userId, (e.payload as DirectMessageEvents['reactionAdded']).emoji]),
      [[bob.id, '👍'], [alice.id, '👍'], [alice.id, '❤️'], [alice.id, '👍']], 'who, and which emoji')
    t.same(payloadsOf(seen, 'reactionRemoved')[0]?.message.reactions, [{ emoji: '👍', count: 1, me: false }, { emoji: '❤️', count: 1, me: true }], 'with the reactions after the change')
  })

  await t.test('react and unreact refuse with the codes of the routes, and store nothing', async (t) => {
    const sent = await dm.send(alice.id, bob.id, 'careful')
    await dm.react(bob.id, sent.id, '👍')
    const mark = await events.mark()
    const invalid = { code: 'FST_DM_INVALID_REACTION', statusCode: 400, message: 'A reaction must be one emoji' }
    const refusals: Array<[string, () => Promise<unknown>, { code: string, statusCode: number }]> = [
      ['a word', () => dm.react(bob.id, sent.id, 'ok'), invalid],
      ['two emoji', () => dm.react(bob.id, sent.id, '👍👍'), invalid],
      ['an empty string', () => dm.react(bob.id, sent.id, ''), invalid],
      ['not a string', () => dm.react(bob.id, sent.id, 1 as unknown as string), invalid],
      ['unreact with a word', () => dm.unreact(bob.id, sent.id, 'ok'), invalid],
      ['a third user', () => dm.react(carol.id, sent.id, '😂'), NOT_FOUND],
      ['unreact by a third user', () => dm.unreact(carol.id, sent.id, '👍'), NOT_FOUND],
      ['an unknown message', () => dm.react(bob.id, UNKNOWN_MESSAGE, '😂'), NOT_FOUND]
    ]
    for (const [name, call, error] of refusals) await t.rejects(call, error, name)
    t.same((await view(alice, bob, sent.id)).reactions, [{ emoji: '👍', count: 1, me: false }], 'only bob\'s 👍')
    t.same((await events.settled(mark)).map((e) => e.name), [], 'no event')
  })

  await t.test('react refuses one kind more than maxReactionKinds with FST_DM_TOO_MANY_REACTIONS', async (t) => {
    const narrow = await listening(db, { directMessages: { maxReactionKinds: 1 } })
    t.teardown(() => narrow.app.close())
    const sent = await narrow.app.directMessages.send(alice.id, bob.id, 'one kind')
    await narrow.app.directMessages.react(alice.id, sent.id, '👍')
    await t.rejects(narrow.app.directMessages.react(bob.id, sent.id, '😂'),
      { code: 'FST_DM_TOO_MANY_REACTIONS', statusCode: 409, message: 'A message can have at most 1 different reactions' })
    t.same(await narrow.app.directMessages.react(bob.id, sent.id, '👍'), [{ emoji: '👍', count: 2, me: true }], 'the existing kind still works')
    t.same((await view(alice, bob, sent.id)).reactions, [{ emoji: '👍', count: 2, me: true }], 'the refused kind was not stored')
  })

  await t.test('typing tells the partner\'s streams; typing to oneself or to nobody is refused and tells nobody', async (t) => {
    const [tia, ulf] = await createUsers<UserId>(app, 'tia', 'ulf') as [User, User]
    await dm.send(tia.id, ulf.id, 'hi')
    const ulfStream = await streamOf(t, base, ulf)
    const tiaStream = await streamOf(t, base, tia)
    await t.rejects(dm.typing(tia.id, tia.id), { code: 'FST_DM_SELF_TYPING', statusCode: 400 }, 'to oneself')
    await t.rejects(dm.typing(tia.id, missing), { code: 'FST_DM_USER_NOT_FOUND', statusCode: 404 }, 'to a user that does not exist')
    const before = Date.now()
    t.equal(await dm.typing(tia.id, ulf.id), undefined, 'answers nothing')
    const frames = await ulfStream.until((all) => all.some((f) => f.event === 'typing'), 5000)
    const typing = frames.filter((f) => f.event === 'typing').map((f) => f.data as { partner: UserId, expires_at: string })
    t.equal(typing.length, 1, 'one typing frame')
    t.equal(typing[0]?.partner, tia.id, 'from tia')
    t.ok(Date.parse(typing[0]?.expires_at ?? '') >= before + 4000, 'until about 5 s on')
    // A message sent afterwards arrives after anything the calls before it sent.
    const after = await dm.send(ulf.id, tia.id, 'after')
    const isAfter = (f: SseFrame): boolean => f.event === 'message' && (f.data as { id: number }).id === after.id
    const tiaFrames = await tiaStream.until((all) => all.some(isAfter), 5000)
    t.same(tiaFrames.filter((f) => f.event === 'typing'), [], 'tia\'s own stream got no typing (not even from the refused call to herself)')
  })

  await t.test('presence answers {id, online, lastSeenAt}: truthful for a partner, offline for anyone else', async (t) => {
    const [pam, quinn, rex, sam] = await createUsers<UserId>(app, 'pam', 'quinn', 'rex', 'sam') as [User, User, User, User]
    await dm.send(pam.id, quinn.id, 'hi quinn')
    await dm.send(rex.id, sam.id, 'hi sam')
    t.same(await dm.presence(pam.id, [quinn.id, rex.id]), [{ id: quinn.id, online: false, lastSeenAt: null }, { id: rex.id, online: false, lastSeenAt: null }], 'nobody online yet, never seen')

    const pamStream = await streamOf(t, base, pam)
    const samStream = await streamOf(t, base, sam)
    const presenceOf = (frames: SseFrame[], user: UserId): Array<{ user: UserId, online: boolean, last_seen_at: string | null }> =>
      frames.filter((f) => f.event === 'presence').map((f) => f.data as { user: UserId, online: boolean, last_seen_at: string | null }).filter((d) => d.user === user)
    const quinnStream = await streamOf(t, base, quinn)
    const rexStream = await streamOf(t, base, rex)
    // Each partner is told: then both are written online.
    await pamStream.until((frames) => presenceOf(frames, quinn.id).some((d) => d.online), 5000)
    await samStream.until((frames) => presenceOf(frames, rex.id).some((d) => d.online), 5000)
    t.same(await dm.presence(pam.id, [quinn.id, rex.id]), [{ id: quinn.id, online: true, lastSeenAt: null }, { id: rex.id, online: false, lastSeenAt: null }],
      'quinn, a partner, is online; rex, online but no partner of pam\'s, reads offline; in the order asked')
    t.same(await dm.presence(sam.id, [rex.id]), [{ id: rex.id, online: true, lastSeenAt: null }], 'rex is online to his partner sam')
    t.same(await dm.presence(pam.id, [missing]), [{ id: missing, online: false, lastSeenAt: null }], 'a user that does not exist reads offline')

    quinnStream.close()
    const frames = await pamStream.until((all) => presenceOf(all, quinn.id).some((d) => !d.online), 5000)
    const left = presenceOf(frames, quinn.id).find((d) => !d.online)
    const [entry] = await dm.presence(pam.id, [quinn.id])
    t.match(entry, { id: quinn.id, online: false }, 'quinn gone: offline')
    t.equal(iso(entry?.lastSeenAt), left?.last_seen_at, 'lastSeenAt: when her stream closed, as her partners were told')
    t.ok(entry?.lastSeenAt instanceof Date, 'a Date')
    rexStream.close()
  })

  await t.test('presence refuses no ids, repeated ids and more than 100 with FST_DM_INVALID_IDS', async (t) => {
    const invalid = { code: 'FST_DM_INVALID_IDS', statusCode: 400 }
    const many = Array.from({ length: 101 }, (_, i) => db.userIdType === 'string' ? `user${i}` : i + 1)
    await t.rejects(dm.presence(alice.id, []), invalid, 'none')
    await t.rejects(dm.presence(alice.id, [bob.id, bob.id]), invalid, 'the same id twice')
    await t.rejects(dm.presence(alice.id, many), invalid, '101 ids')
    t.equal((await dm.presence(alice.id, many.slice(0, 100))).length, 100, '100 ids are fine')
  })

  await t.test('mute and archive show in the caller\'s conversation list only; again changes nothing', async (t) => {
    const [vera, walt] = await createUsers<UserId>(app, 'vera', 'walt') as [User, User]
    await dm.send(vera.id, walt.id, 'hello walt')
    await dm.send(walt.id, vera.id, 'hello vera')
    const entryOf = async (owner: User, partner: User, archived = false): Promise<unknown> =>
      (await dm.conversations(owner.id, { archived })).items.find((entry) => entry.id === partner.id)

    for (let i = 0; i < 2; i++) t.equal(await dm.mute(vera.id, walt.id), undefined, `mute ${i === 0 ? '' : 'again '}answers nothing`)
    t.match(await entryOf(vera, walt), { muted: true, archived: false, unreadCount: 1 }, 'muted in vera\'s list')
    t.match(await entryOf(walt, vera), { muted: false }, 'not in walt\'s')
    t.same(await dm.unreadCounts(vera.id), { count: 1, unmutedCount: 0 }, 'its unread message counts, but not as unmuted')
    for (let i = 0; i < 2; i++) await dm.unmute(vera.id, walt.id)
    t.match(await entryOf(vera, walt), { muted: false }, 'unmuted')
    t.same(await dm.unreadCounts(vera.id), { count: 1, unmutedCount: 1 })

    for (let i = 0; i < 2; i++) t.equal(await dm.archive(vera.id, walt.id), undefined, `archive ${i === 0 ? '' : 'again '}answers nothing`)
    t.equal(await entryOf(vera, walt), undefined, 'off vera\'s main list')
    t.match(await entryOf(vera, walt, true), { archived: true, muted: false }, 'on her archived list')
    t.match(await entryOf(walt, vera), { archived: false }, 'still on walt\'s main list')
    for (let i = 0; i < 2; i++) await dm.unarchive(vera.id, walt.id)
    t.match(await entryOf(vera, walt), { archived: false }, 'back on the main list')
    t.equal(await entryOf(vera, walt, true), undefined, 'off the archived one')
  })

  await t.test('mute, unmute, archive and unarchive refuse oneself and a conversation that does not exist, storing nothing', async (t) => {
    const [xena, yuri] = await createUsers<UserId>(app, 'xena', 'yuri') as [User, User]
    await dm.send(xena.id, yuri.id, 'hi')
    const calls = [['mute', dm.mute], ['unmute', dm.unmute], ['archive', dm.archive], ['unarchive', dm.unarchive]] as const
    for (const [name, call] of calls) {
      await t.rejects(call.call(dm, xena.id, xena.id), { code: 'FST_DM_SELF_CONVERSATION', statusCode: 400 }, `${name} with oneself`)
      await t.rejects(call.call(dm, xena.id, carol.id), { code: 'FST_DM_CONVERSATION_NOT_FOUND', statusCode: 404 }, `${name} of a user never messaged`)
      await t.rejects(call.call(dm, xena.id, missing), { code: 'FST_DM_CONVERSATION_NOT_FOUND', statusCode: 404 }, `${name} of a user that does not exist: the same`)
    }
    t.same((await dm.conversations(xena.id)).items.map((e) => [e.id, e.muted, e.archived]), [[yuri.id, false, false]], 'xena\'s list: yuri only, neither muted nor archived')
    t.same((await dm.conversations(xena.id, { archived: true })).items, [], 'nothing archived')
    t.notOk((await dm.conversations(carol.id)).items.some((e) => e.id === xena.id), 'no conversation appeared for carol')
  })
}

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
