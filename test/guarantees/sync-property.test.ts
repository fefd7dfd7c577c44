// Complete sync, model-based: random sends (some replying), edits, unsends, reactions, reads,
// deletes and conversation deletes by four users, while each user's client follows its event
// stream and, at random, drops it and resumes with Last-Event-ID — on PostgreSQL through two
// instances of the application on one database (the PostgreSQL bus between them), on MariaDB
// through two over Redis, each command
// and each reconnection through either. Each client builds its copy of its conversations only
// from its stream; once every client has caught up, each copy must equal what the routes answer,
// message for message and field for field. Along the way: no reset, no message announced twice,
// SSE ids strictly increasing per client across reconnections, and no request answered 5xx.
//
// Replay: DM_SYNC_SEED=<seed> reruns the same sequences (with DM_SYNC_PATH=<path> for the shrunk
// one fast-check reports); DM_SYNC_RUNS=<n> sets the runs per database (default 12).
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import fc from 'fast-check'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { postgresBus, redisBus } from '../../src/index.js'
import { REDIS_URL } from '../helpers/redis.js'
import { forEachPath, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, startApp, type PageJson, type RichMessageJson, type TestUser } from '../helpers/app.js'
import { openStream, type SseStream } from '../helpers/sse.js'
import { StreamCopy } from '../helpers/stream-copy.js'

const USERS = 4
const MAX_COMMANDS = 40
const RUNS = Number(process.env.DM_SYNC_RUNS ?? 12)
const SEED = process.env.DM_SYNC_SEED === undefined ? (Date.now() ^ Math.floor(Math.random() * 0x100000000)) | 0 : Number(process.env.DM_SYNC_SEED)
const PATH = process.env.DM_SYNC_PATH
const EMOJI = ['👍', '❤️', '😂']

/** The message object with the rich fields (what pages and stream frames carry). */
type RichMessage = RichMessageJson

interface Instance { app: FastifyInstance, base: string }

/** A user's client: its copy, built from its stream only, and the stream it follows (or null). */
class Client extends StreamCopy {}

type Command =
  | { kind: 'send', via: number, from: number, to: number, content: string, reply: number | null }
  | { kind: 'edit', via: number, user: number, pick: number, content: string }
  | { kind: 'unsend', via: number, user: number, pick: number }
  | { kind: 'react' | 'unreact', via: number, user: number, pick: number, emoji: string }
  | { kind: 'read', via: number, user: number, partner: number, post: boolean }
  | { kind: 'hide', via: number, user: number, pick: number }
  | { kind: 'hideConversation', via: number, user: number, partner: number }
  | { kind: 'disconnect', user: number }
  | { kind: 'connect', via: number, user: number }

const user = fc.integer({ min: 0, max: USERS - 1 })
const via = fc.integer({ min: 0, max: 1 })
const pick = fc.nat()
const words = fc.constantFrom('hi', 'see you at 8', 'ok', 'what?', 'sure 👍', 'later')
const send = fc.record({ kind: fc.constant('send' as const), via, from: user, to: fc.integer({ min: 1, max: USERS - 1 }), content: words, reply: fc.option(pick, { nil: null }) })
  .map((c) => ({ ...c, to: (c.from + c.to) % USERS }))
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: send },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('edit' as const), via, user, pick, content: words }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unsend' as const), via, user, pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('react' as const, 'unreact' as const), via, user, pick, emoji: fc.constantFrom(...EMOJI) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), via, user, partner: user, post: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hide' as const), via, user, pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hideConversation' as const), via, user, partner: user }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), user }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('connect' as const), via, user }) }
)

/**
 * A fixed sequence run before the random ones, so every seed reaches each case the test counts on:
 * a send and a reply to it, an edit, a reaction, an unsend while the recipient is offline, a resume,
 * a hide, a read and a conversation delete.
 */
const REACHES_EVERY_CASE: Command[] = [
  { kind: 'send', via: 0, from: 0, to: 1, content: 'hi', reply: null },
  { kind: 'send', via: 1, from: 1, to: 0, content: 'ok', reply: 0 },
  { kind: 'edit', via: 1, user: 0, pick: 1, content: 'sure 👍' },
  { kind: 'react', via: 0, user: 1, pick: 1, emoji: '👍' },
  { kind: 'disconnect', user: 1 },
  { kind: 'unsend', via: 0, user: 0, pick: 1 },
  { kind: 'send', via: 0, from: 2, to: 3, content: 'later', reply: null },
  { kind: 'connect', via: 1, user: 1 },
  { kind: 'hide', via: 1, user: 1, pick: 6 },
  { kind: 'read', via: 0, user: 0, partner: 1, post: true },
  { kind: 'hideConversation', via: 1, user: 2, partner: 3 }
]

function noServerError (res: LightMyRequestResponse, label: string): void {
  assert.ok(res.statusCode < 500, `${label}: answered ${res.statusCode} ${res.body}`)
}

async function emptyTables (db: TestDatabase): Promise<void> {
  // dm_conversation first (it references messages); dm_user's delete takes dm_change with it.
  for (const table of ['dm_conversation', 'dm_message', 'dm_block', 'dm_user']) await query(db, `DELETE FROM ${table}`)
}

/** Every message `user` sees with `partner`, newest first, page after page. */
async function conversation (app: FastifyInstance, user: TestUser, partner: TestUser): Promise<RichMessage[]> {
  const all: RichMessage[] = []
  let url: string | null = `/api/dm/conversations/${partner.id}/?mark_read=false&page_size=100`
  while (url !== null) {
    const res = await as(app, user, { method: 'GET', url })
    assert.equal(res.statusCode, 200, `GET ${url}: ${res.body}`)
    const page: PageJson<RichMessage> = res.json()
    all.push(...page.results)
    url = page.next === null ? null : new URL(page.next).pathname + new URL(page.next).search
  }
  return all
}

forEachPath(t, 'every client\'s copy, built from its stream, equals what the routes answer', async (t, db) => {
  const instances: Instance[] = []
  const channel = `dm_sync_${process.pid}`
  // Two instances where the database is a server: over the PostgreSQL bus on PostgreSQL, over
  // Redis on MariaDB (as MySQL hosts run); one on SQLite.
  for (let i = 0; i < (db.provider === 'sqlite' ? 1 : 2); i++) {
    const app = await startApp(db, db.provider === 'postgresql'
      ? { directMessages: { bus: postgresBus({ connectionString: db.url, channel, reconnectDelay: 100 }) } }
      : db.provider === 'mysql'
        ? { directMessages: { bus: redisBus({ url: REDIS_URL, channel: `${channel}_mysql`, connectionName: `dm-sync-${process.pid}-${i}` }) } }
        : {})
    await app.listen({ host: '127.0.0.1', port: 0 })
    t.teardown(() => app.close())
    instances.push({ app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` })
  }
  const instance = (i: number): Instance => instances[i % instances.length] as Instance
  const users = await createUsers(instance(0).app, ...[...Array(USERS).keys()].map((i) => `sync${i + 1}`))
  const userAt = (i: number): TestUser => users[i] as TestUser
  const tally = new Map<string, number>()
  const count = (what: string): void => { tally.set(what, (tally.get(what) ?? 0) + 1) }
  let commandsRun = 0

  const connect = async (client: Client, at: Instance): Promise<void> => {
    const headers: Record<string, string> = { ...client.user.headers }
    if (client.lastEventId !== undefined) headers['last-event-id'] = client.lastEventId
    client.stream = await openStream(at.base, '/api/dm/events/', headers)
    client.applied = 0
    assert.equal(client.stream.status, 200, `${client.label}: the stream opens`)
    // A client knows where it stands once the stream has told it (its position, or a frame).
    await client.stream.position()
    client.apply()
  }
  const disconnect = (client: Client): void => {
    client.apply()
    client.stream?.close()
    client.stream = null
  }

  t.comment(`fast-check seed ${SEED} (DM_SYNC_SEED=${SEED} replays it), ${RUNS} runs`)
  await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 10, maxLength: MAX_COMMANDS, size: 'max' }), async (commands) => {
    await emptyTables(db)
    const clients = users.map((u, i) => new Client(u, `sync${i + 1}'s client`))
    const sent: Array<{ id: number, from: number, to: number }> = []
    // Mostly a message the acting user takes part in (sent by them, for the sender's commands):
    // now and then any message, which the routes must refuse like an unknown one.
    const target = (n: number, user: number, own = false): number | undefined => {
      const mine = sent.filter((m) => own ? m.from === user : m.from === user || m.to === user)
      const pool = n % 5 === 0 || mine.length === 0 ? sent : mine
      return pool.length === 0 ? undefined : pool[Math.floor(n / 5) % pool.length]?.id
    }
    try {
      for (const client of clients) await connect(client, instance(0))
      for (const c of commands) {
        commandsRun++
        const call = async (who: number, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object): Promise<LightMyRequestResponse> => {
          const res = await as(instance((c as { via: number }).via).app, userAt(who), { method, url: `/api/dm${url}`, ...(payload === undefined ? {} : { payload }) })
          noServerError(res, `${method} ${url}`)
          count(`${c.kind} ${res.statusCode}`)
          return res
        }
        switch (c.kind) {
          case 'send': {
            // Mostly a message of this conversation (the rest must be refused with 400).
            const between = sent.filter((m) => (m.from === c.from && m.to === c.to) || (m.from === c.to && m.to === c.from))
            const reply = c.reply === null ? undefined : c.reply % 4 === 0 || between.length === 0 ? target(c.reply, c.from) : between[c.reply % between.length]?.id
            const res = await call(c.from, 'POST', `/send/${userAt(c.to).id}/`, { content: c.content, ...(reply === undefined ? {} : { reply_to: reply }) })
            if (res.statusCode === 201) sent.push({ id: res.json<RichMessage>().id, from: c.from, to: c.to })
            break
          }
          case 'edit': {
            const id = target(c.pick, c.user, true)
            if (id !== undefined) await call(c.user, 'PATCH', `/messages/${id}/`, { content: c.content })
            break
          }
          case 'unsend': {
            const id = target(c.pick, c.user, true)
            if (id !== undefined) await call(c.user, 'POST', `/messages/${id}/unsend/`)
            break
          }
          case 'react':
          case 'unreact': {
            const id = target(c.pick, c.user)
            if (id !== undefined) await call(c.user, c.kind === 'react' ? 'PUT' : 'DELETE', `/messages/${id}/reactions/${encodeURIComponent(c.emoji)}/`)
            break
          }
          case 'read':
            if (c.user !== c.partner) {
              if (c.post) await call(c.user, 'POST', `/conversations/${userAt(c.partner).id}/read/`)
              else await call(c.user, 'GET', `/conversations/${userAt(c.partner).id}/?page_size=1`)
            }
            break
          case 'hide': {
            const id = target(c.pick, c.user)
            if (id !== undefined) await call(c.user, 'DELETE', `/messages/${id}/`)
            break
          }
          case 'hideConversation':
            if (c.user !== c.partner) await call(c.user, 'DELETE', `/conversations/${userAt(c.partner).id}/`)
            break
          case 'disconnect':
            if (clients[c.user]?.stream !== null) {
              disconnect(clients[c.user] as Client)
              count('disconnect')
            }
            break
          case 'connect':
            if (clients[c.user]?.stream === null) {
              await connect(clients[c.user] as Client, instance(c.via))
              count('resume')
            }
        }
        for (const client of clients) client.apply()
      }
      // Every client back online, then caught up with its user's newest change.
      for (const [i, client] of clients.entries()) if (client.stream === null) await connect(client, instance(i))
      for (const client of clients) {
        const [row] = await query<{ id: number | bigint | null }>(db, 'SELECT MAX(id) AS id FROM dm_change WHERE user_id = ?', [client.user.id])
        const newest = String(row?.id ?? 0)
        await (client.stream as SseStream).until(() => (client.stream as SseStream).lastEventId === newest, 5000)
          .catch(() => assert.fail(`${client.label}: never caught up with change ${newest} (at ${String(client.stream?.lastEventId)})`))
        client.apply()
      }
      // Each copy equals the routes' pages, conversation by conversation.
      for (const [i, client] of clients.entries()) {
        for (const [j, partner] of users.entries()) {
          if (i === j) continue
          const pages = await conversation(instance(j).app, client.user, partner)
          const copied = [...client.copy.values()].filter((m) => m.sender === partner.id || m.recipient === partner.id).sort((a, b) => b.id - a.id)
          assert.deepStrictEqual(copied, pages, `${client.label}: the conversation with sync${j + 1} as its stream built it, against the routes`)
        }
      }
    } finally {
      for (const client of clients) disconnect(client)
    }
  }), { seed: SEED, numRuns: RUNS, examples: [[REACHES_EVERY_CASE]], ...(PATH === undefined ? {} : { path: PATH }) })

  t.pass(`${RUNS} runs, ${commandsRun} commands, ${instances.length} instance(s): every copy equals the routes`)
  t.comment('outcomes: ' + [...tally].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', '))
  // The runs reach the cases that matter.
  for (const what of ['send 201', 'edit 200', 'unsend 204', 'react 200', 'hide 204', 'resume']) t.ok((tally.get(what) ?? 0) > 0, `some commands were ${what}`)
})
