// The decorator events `messageSent` and `messageRead` through `fastify.directMessages.on/off`,
// delivered once, after the transaction has committed, never for a failed write; listeners that
// throw, reject or dawdle neither fail nor delay the request, and their errors are logged.
// "No more events" is shown with an EventFence: a message between two users of the test's own,
// whose messageSent is delivered after every event emitted before it. Every scenario runs on
// SQLite, PostgreSQL and MariaDB.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { forEachDatabase, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, send, startApp, type MessageJson, type PageJson, type TestUser } from '../helpers/app.js'
import type { MessageEvent } from '../../src/index.js'
import { EventFence } from '../helpers/events.js'
import { eventually, turns } from '../helpers/wait.js'

/** What the listeners received, in the order it was delivered (the fence's own events left out). */
class Received<T> {
  readonly items: T[] = []
  /** The listeners' checks still running (see recordingListener). */
  readonly pending: Array<Promise<void>> = []

  push (item: T): void {
    this.items.push(item)
  }

  /** Resolves once at least `n` events were received. */
  async atLeast (n: number): Promise<void> {
    await eventually(`${n} events received`, () => this.items.length >= n)
  }

  /** Resolves once every check started by a listener has ended. */
  async checked (): Promise<void> {
    await Promise.all(this.pending)
  }
}

interface Seen { event: MessageEvent, rowExists: boolean, readAtStored: boolean }

/**
 * A listener that records each event as it is delivered, then what the database held at that
 * moment (`received.checked()` waits for that part).
 */
function recordingListener (db: TestDatabase, received: Received<Seen>, fence: EventFence): (event: MessageEvent) => Promise<void> {
  return async (event) => {
    if (fence.isFence(event)) return
    const seen: Seen = { event, rowExists: false, readAtStored: false }
    received.push(seen)
    const check = query<{ id: unknown, read_at: unknown }>(db, 'SELECT id, read_at FROM dm_message WHERE id = ?', [event.message.id]).then((rows) => {
      seen.rowExists = rows.length === 1
      seen.readAtStored = rows[0]?.read_at !== null && rows[0]?.read_at !== undefined
    })
    received.pending.push(check)
    await check
  }
}

/** The statusCode a service call rejects with (0 when it resolves). */
async function statusOf (promise: Promise<unknown>): Promise<number> {
  try {
    await promise
    return 0
  } catch (err) {
    return Number((err as { statusCode?: unknown }).statusCode)
  }
}

async function users (app: FastifyInstance, ...names: string[]): Promise<TestUser[]> {
  return await createUsers(app, ...names)
}

forEachDatabase(t, 'messageSent', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, fence1, fence2] = await users(app, 'alice', 'bob', 'fence1', 'fence2') as [TestUser, TestUser, TestUser, TestUser]
  const fence = new EventFence(app.directMessages, [fence1, fence2])
  const received = new Received<Seen>()
  app.directMessages.on('messageSent', recordingListener(db, received, fence))

  await t.test('fires once per send, after commit, from each way of sending', async (t) => {
    const viaSend = await send(app, alice, bob, 'via /send/')
    await received.atLeast(1)
    const viaConversation = await as(app, bob, { method: 'POST', url: `/api/dm/conversations/${alice.id}/`, payload: { content: 'via /conversations/' } })
    t.equal(viaConversation.statusCode, 201)
    await received.atLeast(2)
    const viaService = await app.directMessages.send(alice.id, bob.id, 'via the service')
    await received.atLeast(3)
    // Once the fence's event is delivered, a second event of any of these sends would have been.
    await fence.pass()
    t.equal(received.items.length, 3, 'exactly one event per send')

    const [first, second, third] = received.items as [Seen, Seen, Seen]
    t.same(first.event.from, alice.id, 'from is the sender')
    t.same(first.event.to, bob.id, 'to is the recipient')
    t.match(first.event.message, { id: viaSend.id, senderId: alice.id, recipientId: bob.id, content: 'via /send/', readAt: null })
    t.ok(first.event.message.sentAt instanceof Date, 'sentAt is a Date')
    t.equal(first.event.message.sentAt.toISOString(), viaSend.sent_at, 'the message as answered')

    const page = viaConversation.json<PageJson<MessageJson>>()
    t.match(second.event, { from: bob.id, to: alice.id, message: { id: page.results[0]?.id, senderId: bob.id, recipientId: alice.id, content: 'via /conversations/', readAt: null } })
    t.match(third.event, { from: alice.id, to: bob.id, message: { id: viaService.id, content: 'via the service' } })
    t.same(third.event.message, viaService, 'the service answers the same message the event carries')

    await received.checked()
    for (const [i, seen] of received.items.entries()) t.ok(seen.rowExists, `event ${i + 1}: the row was committed when the listener ran`)
  })

  await t.test('never fires for a failed send', async (t) => {
    const before = received.items.length
    const missing = 2_000_000
    const attempts: Array<[string, string, string, unknown]> = [
      ['to an unknown user', 'POST', `/api/dm/send/${missing}/`, { content: 'hello?' }],
      ['to an unknown user in a conversation', 'POST', `/api/dm/conversations/${missing}/`, { content: 'hello?' }],
      ['to myself', 'POST', `/api/dm/send/${alice.id}/`, { content: 'me' }],
      ['empty content', 'POST', `/api/dm/send/${bob.id}/`, { content: '   ' }],
      ['no content', 'POST', `/api/dm/send/${bob.id}/`, {}]
    ]
    for (const [label, method, url, payload] of attempts) {
      const res = await as(app, alice, { method: method as 'POST', url, payload: payload as object })
      t.ok(res.statusCode === 400 || res.statusCode === 404, `${label}: ${res.statusCode}`)
    }
    t.equal(await statusOf(app.directMessages.send(alice.id, missing, 'service')), 404, 'the service: unknown user')
    t.equal(await statusOf(app.directMessages.send(alice.id, alice.id, 'service')), 400, 'the service: myself')
    await fence.pass()
    t.equal(received.items.length, before, 'no event')
  })

  await t.test('never fires for a send refused by allowedRecipients', async (t) => {
    const [vip, x, y] = await users(app, 'vip', 'x', 'y') as [TestUser, TestUser, TestUser]
    const restricted = await startApp(db, { allowedRecipients: [vip.id] })
    t.teardown(() => restricted.close())
    // vip may message anyone there: vip's messages to fence2 are that app's fence.
    const restrictedFence = new EventFence(restricted.directMessages, [vip, fence2])
    const seen = new Received<Seen>()
    restricted.directMessages.on('messageSent', recordingListener(db, seen, restrictedFence))
    const refused = await as(restricted, x, { method: 'POST', url: `/api/dm/send/${y.id}/`, payload: { content: 'no' } })
    t.equal(refused.statusCode, 400)
    t.equal(await statusOf(restricted.directMessages.send(x.id, y.id, 'no')), 400, 'the service refuses too')
    await restrictedFence.pass()
    t.equal(seen.items.length, 0, 'no event for the refused sends')
    const allowed = await as(restricted, x, { method: 'POST', url: `/api/dm/send/${vip.id}/`, payload: { content: 'yes' } })
    t.equal(allowed.statusCode, 201)
    await seen.atLeast(1)
    t.equal(seen.items[0]?.event.message.content, 'yes', 'the listener of that app does hear an allowed send')
  })
})

forEachDatabase(t, 'messageRead', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, fence1, fence2] = await users(app, 'alice', 'bob', 'fence1', 'fence2') as [TestUser, TestUser, TestUser, TestUser]
  const fence = new EventFence(app.directMessages, [fence1, fence2])
  const read = new Received<Seen>()
  app.directMessages.on('messageRead', recordingListener(db, read, fence))

  await t.test('one event per message that changed, none on a second read', async (t) => {
    const sent = [await send(app, alice, bob, 'r1'), await send(app, alice, bob, 'r2'), await send(app, alice, bob, 'r3')]
    await send(app, bob, alice, 'bob\'s own')
    await getJson(app, bob, `/api/dm/conversations/${alice.id}/`)
    await read.atLeast(3)
    await fence.pass()
    t.equal(read.items.length, 3, '3 unread -> 3 events')
    t.same(read.items.map((seen) => seen.event.message.id).sort((a, b) => a - b), sent.map((m) => m.id), 'one per message')
    await read.checked()
    for (const seen of read.items) {
      t.match(seen.event, { from: alice.id, to: bob.id, message: { senderId: alice.id, recipientId: bob.id } }, 'from = sender, to = reader')
      t.ok(seen.event.message.readAt instanceof Date, 'readAt is set')
      t.ok(seen.rowExists && seen.readAtStored, 'and committed when the listener ran')
    }

    await getJson(app, bob, `/api/dm/conversations/${alice.id}/`)
    await app.directMessages.markConversationRead(bob.id, alice.id)
    await fence.pass()
    t.equal(read.items.length, 3, 'a second read emits nothing')
  })

  await t.test('reading through POST /conversations/<id>/ and the service emits too', async (t) => {
    const [carol, dave] = await users(app, 'carol', 'dave') as [TestUser, TestUser]
    const before = read.items.length
    const toCarol = await send(app, dave, carol, 'to carol')
    const res = await as(app, carol, { method: 'POST', url: `/api/dm/conversations/${dave.id}/`, payload: { content: 'reply' } })
    t.equal(res.statusCode, 201)
    await read.atLeast(before + 1)
    t.match(read.items[before]?.event, { from: dave.id, to: carol.id, message: { id: toCarol.id } }, 'replying reads the conversation')

    const changed = await app.directMessages.markConversationRead(dave.id, carol.id)
    t.same(changed.map((m) => m.content), ['reply'], 'the service answers what changed')
    await read.atLeast(before + 2)
    t.match(read.items[before + 1]?.event, { from: carol.id, to: dave.id, message: { id: changed[0]?.id, content: 'reply' } })
    await fence.pass()
    t.equal(read.items.length, before + 2, 'exactly once each')
  })
})

forEachDatabase(t, 'listeners cannot break or slow a request', async (t, db) => {
  const lines: string[] = []
  const app = await startApp(db, { logger: { level: 'error', stream: { write: (line: string) => { lines.push(line) } } } })
  t.teardown(() => app.close())
  const [alice, bob, fence1, fence2] = await users(app, 'alice', 'bob', 'fence1', 'fence2') as [TestUser, TestUser, TestUser, TestUser]
  const fence = new EventFence(app.directMessages, [fence1, fence2])

  await t.test('a throwing and a rejecting listener: 201 still, other listeners still hear, errors logged', async (t) => {
    const good = new Received<MessageEvent>()
    const throwing = (): void => { throw new Error('sync listener exploded') }
    const rejecting = async (): Promise<void> => { await turns(1); throw new Error('async listener rejected') }
    app.directMessages.on('messageSent', throwing)
    app.directMessages.on('messageSent', rejecting)
    app.directMessages.on('messageSent', (event) => { good.push(event) })
    app.directMessages.on('messageRead', throwing)

    const res = await as(app, alice, { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: { content: 'survives' } })
    t.equal(res.statusCode, 201, 'the request succeeds')
    await good.atLeast(1)
    t.equal(good.items[0]?.message.content, 'survives', 'the other listener received the event')
    const reading = await as(app, bob, { method: 'GET', url: `/api/dm/conversations/${alice.id}/` })
    t.equal(reading.statusCode, 200, 'a throwing messageRead listener does not fail the read')
    // The three failures are logged as the listeners run, the rejection a turn later.
    await eventually('the listeners\' failures logged', () =>
      lines.filter((line) => /sync listener exploded|async listener rejected/.test(line)).length >= 3).catch(() => {})

    const logged = lines.join('\n')
    t.match(logged, /sync listener exploded/, 'the thrown error is logged')
    t.match(logged, /async listener rejected/, 'the rejection is logged')
    t.ok(lines.some((line) => /listener/.test(line) && /messageSent/.test(line)), 'naming the event')
    t.ok(lines.some((line) => /sync listener exploded/.test(line) && /messageRead/.test(line)), 'also for messageRead')
    app.directMessages.off('messageSent', throwing)
    app.directMessages.off('messageSent', rejecting)
    app.directMessages.off('messageRead', throwing)
  })

  await t.test('a slow listener does not delay the response', async (t) => {
    await send(app, alice, bob, 'warm up')
    let finished = 0
    // The listener waits until the test lets it finish: a response that waited for it would never come.
    let letFinish: () => void = () => {}
    const gate = new Promise<void>((resolve) => { letFinish = resolve })
    const slow = async (): Promise<void> => { await gate; finished++ }
    app.directMessages.on('messageSent', slow)
    // (No time bound: the gate is the proof. A response or call that waited for the listener
    // would never come, and the test would time out.)
    const res = await as(app, alice, { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: { content: 'fast' } })
    t.equal(res.statusCode, 201, 'answered while the listener was still waiting')
    t.equal(finished, 0, 'the listener was still running when the response was complete')
    await app.directMessages.send(bob.id, alice.id, 'fast too')
    t.equal(finished, 0, 'the service call does not wait either')
    letFinish()
    await eventually('the slow listener finishing both events', () => finished === 2).catch(() => {})
    t.equal(finished, 2, 'the listener did complete, later')
    app.directMessages.off('messageSent', slow)
  })

  await t.test('off removes a listener; an unknown event name throws', async (t) => {
    const heard = new Received<MessageEvent>()
    const control = new Received<MessageEvent>()
    const listener = (event: MessageEvent): void => { if (!fence.isFence(event)) heard.push(event) }
    app.directMessages.on('messageSent', listener)
    app.directMessages.on('messageSent', (event) => { if (!fence.isFence(event)) control.push(event) })
    await send(app, alice, bob, 'heard')
    await heard.atLeast(1)
    app.directMessages.off('messageSent', listener)
    await send(app, alice, bob, 'not heard')
    await control.atLeast(2)
    await fence.pass()
    t.equal(heard.items.length, 1, 'nothing after off')
    t.equal(control.items.length, 2, 'the other listener still hears')

    t.throws(() => app.directMessages.on('messageDeleted' as 'messageSent', listener), TypeError, 'on with an unknown event')
    t.throws(() => app.directMessages.off('nope' as 'messageSent', listener), TypeError, 'off with an unknown event')
  })
})
