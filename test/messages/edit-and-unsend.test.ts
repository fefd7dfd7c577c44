// Edits and unsend: PATCH /messages/<id>/ (the sender edits; GET /messages/<id>/edits/ lists the
// earlier versions, oldest first), POST /messages/<id>/unsend/ (a tombstone for both, its history
// and reactions erased, no longer unread), with and without the trailing slash; who may, the content
// rules of a send, the edit and unsend windows, and the decorator events (once per change, none for
// a no-op or a refused request). SQLite, PostgreSQL and MariaDB.
import t from 'tap'
import { ageMessage, forEachDatabase } from '../helpers/databases.js'
import { createUsers, getJson, startApp } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'
import type { UserId } from '../../src/index.js'
import {
  Client, HOUR, ISO, isError, jsonOf, messageUrl, NOT_FOUND, payloadsOf, richScene, slashless, UNKNOWN_ID,
  type RichMessage, type User
} from '../helpers/rich-messages.js'

forEachDatabase(t, 'edits and unsend', async (t, db) => {
  const { app, c, alice, bob, mallory, events } = await richScene(t, db)

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
    await eventually('the clock 5 ms past the message\'s sent_at', () => Date.now() >= Date.parse(quick.sent_at) + 5)
    isError(t, await tc.edit(alice, quick.id, { content: 'missed it' }), 409, 'FST_DM_EDIT_WINDOW_CLOSED', '1 ms editWindow')
    isError(t, await tc.unsend(alice, quick.id), 409, 'FST_DM_UNSEND_WINDOW_CLOSED', '1 ms unsendWindow')
    t.match(await tc.view(alice, bob, quick.id), { content: 'blink', edited_at: null, unsent_at: null }, 'unchanged')
  })
})
