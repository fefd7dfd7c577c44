// Replies: a message sent with `reply_to` carries a preview of the message it answers (its id,
// sender, current content cut to 200 characters, whether it was unsent), on both send routes and in
// the pages; `reply_to` must name a message of the same conversation that the sender can see, or
// the send is refused with nothing stored and nothing announced. SQLite, PostgreSQL and MariaDB.
import t from 'tap'
import { forEachDatabase } from '../helpers/databases.js'
import { getJson, type PageJson } from '../helpers/app.js'
import { isError, richScene, UNKNOWN_ID, type RichMessage } from '../helpers/rich-messages.js'

forEachDatabase(t, 'replies', async (t, db) => {
  const { app, c, alice, bob, carol, mallory, dave, events } = await richScene(t, db)

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
      attachments: [],
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
})
