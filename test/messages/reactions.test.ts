// Reactions: PUT/DELETE /messages/<id>/reactions/<emoji>/, one per user per emoji, counted, in the
// order first used, `me` per caller; exactly one emoji (ZWJ sequences, flags, skin tones, keycaps),
// at most maxReactionKinds kinds per message, only to a message the caller can see; the
// `reactions` option (only the listed values, which need not be emoji) and `maxReactionKinds`;
// the decorator events (once per change, none for a no-op or a refused request). SQLite and
// PostgreSQL, and the two options on a bare host.
import t from 'tap'
import { forEachDatabase, openDatabase } from '../helpers/databases.js'
import { getJson, startApp, type PageJson, type ReactionJson } from '../helpers/app.js'
import { host } from '../helpers/host.js'
import type { UserId } from '../../src/index.js'
import type { LightMyRequestResponse } from 'fastify'
import {
  Client, isError, jsonOf, NOT_FOUND, payloadsOf, r, reactionUrl, richScene, slashless, UNKNOWN_ID,
  type RichMessage, type User
} from '../helpers/rich-messages.js'

forEachDatabase(t, 'reactions', async (t, db) => {
  const { app, c, alice, bob, mallory, events } = await richScene(t, db)

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
})

t.test('the reactions and maxReactionKinds options', async (t) => {
  const db = await openDatabase('sqlite', 'reaction_options')
  t.teardown(() => db.close())
  const alice = await db.prisma.user.create({ data: { username: 'alice', firstName: 'Alice', lastName: 'A', token: 'a' } })
  const bob = await db.prisma.user.create({ data: { username: 'bob', firstName: 'Bob', lastName: 'B', token: 'b' } })

  await t.test('reactions: a value need not be an emoji, and a repeated one counts once', async (t) => {
    const app = await host(db, { reactions: ['+1', '👍', '👍'] })
    const message = await app.directMessages.send(alice.id, bob.id, 'react to me')
    const url = (emoji: string): string => `/messages/${message.id}/reactions/${encodeURIComponent(emoji)}/`
    const plusOne = await app.inject({ method: 'PUT', url: url('+1'), headers: { 'x-user': String(bob.id) } })
    t.equal(plusOne.statusCode, 200, '"+1" is a reaction of the list')
    t.same(plusOne.json(), { reactions: [{ emoji: '+1', count: 1, me: true }] })
    const refused = await app.inject({ method: 'PUT', url: url('😂'), headers: { 'x-user': String(bob.id) } })
    t.equal(refused.statusCode, 400, 'an emoji not in the list: 400')
    t.match(refused.json(), { code: 'FST_DM_INVALID_REACTION', message: 'A reaction must be one of +1 👍' }, 'the list is named once per value')
    await app.close()
  })

  await t.test('maxReactionKinds: 2 takes effect: a third kind is 409, an existing kind still works', async (t) => {
    const app = await host(db, { maxReactionKinds: 2 })
    const message = await app.directMessages.send(alice.id, bob.id, 'two kinds at most')
    const react = (user: { id: unknown }, emoji: string): Promise<LightMyRequestResponse> =>
      app.inject({ method: 'PUT', url: `/messages/${message.id}/reactions/${encodeURIComponent(emoji)}/`, headers: { 'x-user': String(user.id) } })
    t.equal((await react(alice, '👍')).statusCode, 200, 'the first kind')
    t.equal((await react(alice, '❤️')).statusCode, 200, 'the second kind')
    for (const user of [alice, bob]) {
      const third = await react(user, '😂')
      t.equal(third.statusCode, 409, `a third kind from ${user.username}: 409`)
      t.same(third.json(), { statusCode: 409, code: 'FST_DM_TOO_MANY_REACTIONS', error: 'Conflict', message: 'A message can have at most 2 different reactions' })
    }
    const existing = await react(bob, '👍')
    t.equal(existing.statusCode, 200, 'bob reacting with an existing kind still works')
    t.same(existing.json(), { reactions: [{ emoji: '👍', count: 2, me: true }, { emoji: '❤️', count: 1, me: false }] })
    const page = (await app.inject({ method: 'GET', url: `/conversations/${bob.id}/`, headers: { 'x-user': String(alice.id) } })).json()
    t.same(page.results.find((m: { id: number }) => m.id === message.id)?.reactions,
      [{ emoji: '👍', count: 2, me: true }, { emoji: '❤️', count: 1, me: true }], 'read back: the refused kind was not stored')
    await app.close()
  })
})
