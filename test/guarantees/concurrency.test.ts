// Consistency under load: sends in both directions, reads (which mark read), deletes and counts
// fired all at once must never answer a 500 or deadlock, and must leave the conversation rows, the
// unread counts and the lists in exact agreement with dm_message. PostgreSQL (real concurrent
// transactions) is the real test; SQLite must simply stay correct.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { forEachPath, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, send, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from '../helpers/app.js'
import { prng as random } from '../helpers/stream-copy.js'

interface StoredMessage { id: number, sender: number, recipient: number, read: boolean, hiddenBySender: boolean, hiddenByRecipient: boolean }
interface ConversationRow { owner: number, partner: number, lastMessageId: number | null, unreadCount: number }
interface Outcome { label: string, expected: number[], status: number, body: string }

async function storedMessages (db: TestDatabase): Promise<StoredMessage[]> {
  const rows = await query<Record<string, unknown>>(db,
    'SELECT id, sender_id, recipient_id, read_at, deleted_by_sender, deleted_by_recipient FROM dm_message')
  return rows.map((row) => ({
    id: Number(row.id),
    sender: Number(row.sender_id),
    recipient: Number(row.recipient_id),
    read: row.read_at !== null,
    hiddenBySender: Boolean(Number(row.deleted_by_sender)),
    hiddenByRecipient: Boolean(Number(row.deleted_by_recipient))
  }))
}

async function conversationRows (db: TestDatabase): Promise<ConversationRow[]> {
  const rows = await query<Record<string, unknown>>(db, 'SELECT owner_id, partner_id, last_message_id, unread_count FROM dm_conversation')
  return rows.map((row) => ({
    owner: Number(row.owner_id),
    partner: Number(row.partner_id),
    lastMessageId: row.last_message_id === null ? null : Number(row.last_message_id),
    unreadCount: Number(row.unread_count)
  }))
}

function visibleTo (message: StoredMessage, owner: number): boolean {
  return (message.sender === owner && !message.hiddenBySender) || (message.recipient === owner && !message.hiddenByRecipient)
}

function unreadFor (message: StoredMessage, owner: number): boolean {
  return message.recipient === owner && !message.read && !message.hiddenByRecipient
}

/**
 * Every invariant between the answers of the API, the conversation rows and the messages:
 * /unread/ == sum of /conversations/unread/ == unread rows; each conversation row's unread count
 * and last message; /conversations/ lists exactly the partners with a visible message, newest first.
 */
async function checkInvariants (t: Test, app: FastifyInstance, db: TestDatabase, users: TestUser[]): Promise<void> {
  const messages = await storedMessages(db)
  const conversations = await conversationRows(db)
  const name = new Map(users.map((user) => [user.id, user.username]))

  for (const row of conversations) {
    const pair = messages.filter((m) => (m.sender === row.owner && m.recipient === row.partner) || (m.sender === row.partner && m.recipient === row.owner))
    const unread = pair.filter((m) => unreadFor(m, row.owner)).length
    const visible = pair.filter((m) => visibleTo(m, row.owner)).map((m) => m.id)
    const last = visible.length === 0 ? null : Math.max(...visible)
    const label = `dm_conversation (${name.get(row.owner)}, ${name.get(row.partner)})`
    t.equal(row.unreadCount, unread, `${label}: unread_count matches dm_message`)
    t.equal(row.lastMessageId, last, `${label}: last_message_id is the newest message visible to the owner`)
  }

  for (const user of users) {
    const stored = messages.filter((m) => unreadFor(m, user.id)).length
    const count = (await getJson<{ count: number }>(app, user, '/api/dm/unread/')).count
    const perPartner = await getJson<Array<{ partner_id: number, unread_count: number }>>(app, user, '/api/dm/conversations/unread/')
    t.equal(count, stored, `${user.username}: /unread/ equals the unread rows of dm_message`)
    t.equal(perPartner.reduce((sum, entry) => sum + entry.unread_count, 0), stored, `${user.username}: sum of /conversations/unread/ agrees`)
    t.ok(perPartner.every((entry) => entry.unread_count > 0), `${user.username}: /conversations/unread/ lists only partners with unread messages`)

    const newest = new Map<number, number>()
    for (const message of messages) {
      if (!visibleTo(message, user.id)) continue
      const partner = message.sender === user.id ? message.recipient : message.sender
      newest.set(partner, Math.max(newest.get(partner) ?? 0, message.id))
    }
    const expected = [...newest.entries()].sort((a, b) => b[1] - a[1]).map(([partner]) => partner)
    const listed = (await getJson<PageJson<PartnerJson>>(app, user, '/api/dm/conversations/')).results.map((p) => p.id)
    t.same(listed, expected, `${user.username}: /conversations/ shows exactly the partners with a visible message, newest first`)
  }
}

function pickOne<T> (rand: () => number, list: readonly T[]): T {
  const item = list[Math.floor(rand() * list.length)]
  if (item === undefined) throw new Error('empty list')
  return item
}

/**
 * Hundreds of requests at once queue for a pool of ten connections; on a loaded two-core machine
 * the last of them waits longer than the default databaseTimeout (5 s) and would rightly answer
 * 503. What is tested here is what contention does to the data and the answers, not latency.
 */
const CONTENDED = { directMessages: { databaseTimeout: 30_000 } }

forEachPath(t, 'concurrent sends, reads, deletes and counts', async (t, db) => {
  const app = await startApp(db, CONTENDED)
  t.teardown(() => app.close())
  const users = await createUsers(app, 'ann', 'ben', 'cat', 'dan', 'eve')
  const rand = random(20261124)
  const pairOf = (): [TestUser, TestUser] => {
    const from = pickOne(rand, users)
    return [from, pickOne(rand, users.filter((u) => u !== from))]
  }

  // Seed: two messages each way in every conversation, so that the deletes have targets.
  const seeded: MessageJson[] = []
  for (const from of users) {
    for (const to of users) {
      if (from === to) continue
      for (let i = 0; i < 2; i++) seeded.push(await send(app, from, to, `seed ${from.username}->${to.username} ${i}`))
    }
  }
  // Messages whose participants are known: the targets of the "delete own message" operations.
  const known = [...seeded]

  const run = (label: string, expected: number[], user: TestUser, options: Parameters<typeof as>[2]) => async (): Promise<Outcome> => {
    const res = await as(app, user, options)
    return { label, expected, status: res.statusCode, body: res.body }
  }
  let created = seeded.length
  // Three rounds of 260 operations each, all of a round fired at once; invariants after each.
  for (let round = 1; round <= 3; round++) {
    await t.test(`round ${round}`, async (t) => {
      const operations: Array<() => Promise<Outcome>> = []
      const nextId = Math.max(...known.map((m) => m.id)) + 1
      for (let i = 0; i < 260; i++) {
        const roll = rand()
        if (roll < 0.30) {
          const [from, to] = pairOf()
          operations.push(run(`${from.username} POST /send/ to ${to.username}`, [201], from, { method: 'POST', url: `/api/dm/send/${to.id}/`, payload: { content: `op ${i}` } }))
        } else if (roll < 0.40) {
          const [from, to] = pairOf()
          operations.push(run(`${from.username} POST /conversations/ to ${to.username}`, [201], from, { method: 'POST', url: `/api/dm/conversations/${to.id}/`, payload: { content: `op ${i}` } }))
        } else if (roll < 0.58) {
          const [me, partner] = pairOf()
          operations.push(run(`${me.username} GET conversation with ${partner.username}`, [200], me, { method: 'GET', url: `/api/dm/conversations/${partner.id}/` }))
        } else if (roll < 0.76) {
          const message = pickOne(rand, known)
          const owner = pickOne(rand, users.filter((u) => u.id === message.sender || u.id === message.recipient))
          operations.push(run(`${owner.username} DELETE own message ${message.id}`, [204], owner, { method: 'DELETE', url: `/api/dm/messages/${message.id}/` }))
        } else if (roll < 0.82) {
          // An id that may be one of the messages being sent right now, and may or may not be mine.
          const id = nextId + Math.floor(rand() * 120)
          const user = pickOne(rand, users)
          operations.push(run(`${user.username} DELETE message ${id} (maybe mine, maybe not yet sent)`, [204, 404], user, { method: 'DELETE', url: `/api/dm/messages/${id}/` }))
        } else if (roll < 0.92) {
          const user = pickOne(rand, users)
          operations.push(run(`${user.username} GET /unread/`, [200], user, { method: 'GET', url: '/api/dm/unread/' }))
        } else if (roll < 0.96) {
          const user = pickOne(rand, users)
          operations.push(run(`${user.username} GET /conversations/unread/`, [200], user, { method: 'GET', url: '/api/dm/conversations/unread/' }))
        } else {
          const user = pickOne(rand, users)
          operations.push(run(`${user.username} GET /conversations/`, [200], user, { method: 'GET', url: '/api/dm/conversations/' }))
        }
      }

      const outcomes = await Promise.all(operations.map((operation) => operation()))

      const statuses = new Map<number, number>()
      for (const outcome of outcomes) statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1)
      t.comment(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`)
      const unexpected = outcomes.filter((outcome) => !outcome.expected.includes(outcome.status))
      t.same(unexpected.map((o) => `${o.label}: ${o.status} ${o.body}`), [], 'every operation answered as expected (no 500, no deadlock)')
      t.ok([...statuses.keys()].every((status) => [200, 201, 204, 404].includes(status)), 'only 200/201/204/404')

      created += outcomes.filter((outcome) => outcome.status === 201).length
      for (const outcome of outcomes) {
        if (outcome.status === 201 && outcome.label.includes('/send/')) known.push(JSON.parse(outcome.body) as MessageJson)
      }
      const rows = Number((await query<{ n: unknown }>(db, 'SELECT COUNT(*) AS n FROM dm_message'))[0]?.n)
      t.equal(rows, created, 'dm_message holds one row per 201: no message lost or duplicated')

      await checkInvariants(t, app, db, users)
    })
  }
})

forEachPath(t, 'opposite-direction sends between the same two users', async (t, db) => {
  const app = await startApp(db, CONTENDED)
  t.teardown(() => app.close())
  const [ann, ben] = await createUsers(app, 'ann', 'ben') as [TestUser, TestUser]

  const operations: Array<Promise<{ label: string, status: number, body: string }>> = []
  for (let i = 0; i < 100; i++) {
    for (const [from, to] of [[ann, ben], [ben, ann]] as const) {
      // Every fourth one replies through POST /conversations/<id>/, which also reads the conversation.
      const url = i % 4 === 3 ? `/api/dm/conversations/${to.id}/` : `/api/dm/send/${to.id}/`
      operations.push(as(app, from, { method: 'POST', url, payload: { content: `${from.username} ${i}` } })
        .then((res) => ({ label: `${from.username} POST ${url}`, status: res.statusCode, body: res.body })))
    }
  }
  const outcomes = await Promise.all(operations)
  t.same(outcomes.filter((o) => o.status !== 201).map((o) => `${o.label}: ${o.status} ${o.body}`), [], 'all 200 sends answered 201')
  const rows = Number((await query<{ n: unknown }>(db, 'SELECT COUNT(*) AS n FROM dm_message'))[0]?.n)
  t.equal(rows, 200, '200 messages stored')
  await checkInvariants(t, app, db, [ann, ben])

  const page = await getJson<PageJson<MessageJson>>(app, ann, `/api/dm/conversations/${ben.id}/`)
  t.equal(page.results.length, 50, 'the conversation pages normally')
  t.equal((await getJson<{ count: number }>(app, ann, '/api/dm/unread/')).count, 0, 'and reading it clears ann\'s count')
  await checkInvariants(t, app, db, [ann, ben])
})

forEachPath(t, 'concurrent deletes of the newest messages of one conversation', async (t, db) => {
  const app = await startApp(db, CONTENDED)
  t.teardown(() => app.close())
  const [ann, ben, cat] = await createUsers(app, 'ann', 'ben', 'cat') as [TestUser, TestUser, TestUser]

  for (let round = 0; round < 8; round++) {
    // ann and ben talk; cat's message lands after their first one, so ann's list order shows
    // which of ann's messages with ben her conversation row counts as the newest.
    const sent: MessageJson[] = [await send(app, ann, ben, `round ${round} #0`)]
    await send(app, cat, ann, `cat ${round}`)
    for (let i = 1; i < 6; i++) sent.push(await send(app, i % 2 === 0 ? ann : ben, i % 2 === 0 ? ben : ann, `round ${round} #${i}`))
    // ann hides the five newest at once (every other round: all six, emptying the conversation
    // for her); ben hides the three newest at once.
    const annHides = round % 2 === 0 ? sent.slice(1) : sent
    const deletes = [
      ...annHides.map((m) => as(app, ann, { method: 'DELETE', url: `/api/dm/messages/${m.id}/` })),
      ...sent.slice(3).map((m) => as(app, ben, { method: 'DELETE', url: `/api/dm/messages/${m.id}/` }))
    ]
    const statuses = (await Promise.all(deletes)).map((res) => res.statusCode)
    t.same(statuses.filter((status) => status !== 204), [], `round ${round}: every delete answered 204`)
    // Checked every round: the next round's sends would overwrite a wrong last_message_id.
    await t.test(`after round ${round}`, (t) => checkInvariants(t, app, db, [ann, ben, cat]))
  }
})
