// The message object: its rich fields (edited_at, unsent_at, reply_to, reactions) on every route
// that answers messages; and a short pass with string user ids, where a reply, an edit, a reaction
// and an unsend name every user by its string id. SQLite, PostgreSQL and MariaDB.
import t, { type Test } from 'tap'
import type { UserId } from '../../src/index.js'
import { forEachDatabase, type TestDatabase } from '../helpers/databases.js'
import { createUsers, getJson, startApp, type PageJson } from '../helpers/app.js'
import { Recorder } from '../helpers/events.js'
import {
  Client, ISO, isError, jsonOf, MESSAGE_KEYS, NOT_FOUND, payloadsOf, r, richScene,
  type RichMessage, type User
} from '../helpers/rich-messages.js'

forEachDatabase(t, 'the message object', async (t, db) => {
  const { app, c, alice, bob } = await richScene(t, db)

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
      reactions: [],
      attachments: []
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
      reactions: [],
      attachments: []
    })
    t.same(second, { ...sent, direction: 'in', read_at: second?.read_at }, 'the earlier message, now read')
  })
})
forEachDatabase(t, 'rich messages with string user ids', stringIds, { userIdType: 'string' })

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
    attachments: [],
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
