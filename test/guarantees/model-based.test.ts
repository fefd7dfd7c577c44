// Invariant model testing: random sequences of sends, reads, mark-reads, deletes, conversation
// deletes and blocks among four users, run through the HTTP routes of the example application on
// SQLite, PostgreSQL and MariaDB, and checked after every step against a small in-memory model: every
// unread count, every per-conversation unread count, every conversation list and every page of
// every conversation, for every user, must be what the model says, and no page may ever hold a
// message its reader is not party to or has hidden. A failing sequence is shrunk by fast-check to
// a minimal one, printed in the failure with the seed that found it.
//
// Replay: DM_MODEL_SEED=<seed> reruns the same sequences; add DM_MODEL_PATH=<path> and
// DM_MODEL_REPLAY_PATH=<replayPath> from fast-check's report to run the shrunk counterexample
// alone. DM_MODEL_RUNS=<n> changes the number of runs per database (default 25).
//
// Each run starts from empty plugin tables: the four users are created once per database, and the
// plugin's tables (dm_conversation, dm_message, dm_block, dm_user) are emptied before every run,
// shrink attempts included. A fresh database per run would cost a migration each time (seconds on
// PostgreSQL, times hundreds of shrink attempts); emptying costs milliseconds and leaves nothing
// the plugin keeps between requests (it holds no state outside these tables). Message ids keep
// growing across runs (sequences and AUTOINCREMENT are not reset), which the model does not mind:
// it stores the ids the plugin answers.
import assert from 'node:assert/strict'
import t from 'tap'
import fc from 'fast-check'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { forEachPath, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from '../helpers/app.js'

/** Users of every run; commands name them by index 0..3 (shown as u1..u4, their usernames). */
const USERS = 4
const MAX_COMMANDS = 25
const RUNS = Number(process.env.DM_MODEL_RUNS ?? 25)
const SEED = process.env.DM_MODEL_SEED === undefined ? (Date.now() ^ Math.floor(Math.random() * 0x100000000)) | 0 : Number(process.env.DM_MODEL_SEED)
const PATH = process.env.DM_MODEL_PATH
const REPLAY_PATH = process.env.DM_MODEL_REPLAY_PATH
/** A message id no run reaches: deleting it is a 404 for everyone. */
const UNKNOWN_ID = 999_999_999_999

// ---------------------------------------------------------------------------------------------
// The model

interface ModelMessage {
  id: number
  from: number
  to: number
  content: string
  read: boolean
  /** Users who deleted it (or its conversation) for themselves. */
  hiddenBy: Set<number>
}

type Refusal = 'FST_DM_EMPTY_CONTENT' | 'FST_DM_INVALID_CONTENT' | 'FST_DM_SELF_MESSAGE' | 'FST_DM_RECIPIENT_NOT_ALLOWED' | 'FST_DM_BLOCKED_BY_YOU'

class Model {
  readonly messages: ModelMessage[] = []
  /** `a>b`: user a blocks user b. */
  readonly blocks = new Set<string>()

  isParty (user: number, m: ModelMessage): boolean {
    return m.from === user || m.to === user
  }

  visibleTo (user: number, m: ModelMessage): boolean {
    return this.isParty(user, m) && !m.hiddenBy.has(user)
  }

  between (user: number, partner: number, m: ModelMessage): boolean {
    return user !== partner && ((m.from === user && m.to === partner) || (m.from === partner && m.to === user))
  }

  /** What `user` sees of the conversation with `partner`, newest first. */
  conversation (user: number, partner: number): ModelMessage[] {
    return this.messages.filter((m) => this.between(user, partner, m) && this.visibleTo(user, m)).sort((a, b) => b.id - a.id)
  }

  /** Unread messages from `partner` to `user` that `user` has not hidden. */
  unread (user: number, partner: number): number {
    return this.messages.filter((m) => m.from === partner && m.to === user && !m.read && !m.hiddenBy.has(user)).length
  }

  unreadTotal (user: number): number {
    return this.messages.filter((m) => m.to === user && !m.read && !m.hiddenBy.has(user)).length
  }

  /** `user`'s partners with at least one visible message, most recent visible message first. */
  partners (user: number): number[] {
    const newest = new Map<number, number>()
    for (let p = 0; p < USERS; p++) {
      const top = this.conversation(user, p)[0]
      if (top !== undefined) newest.set(p, top.id)
    }
    return [...newest.keys()].sort((a, b) => (newest.get(b) as number) - (newest.get(a) as number))
  }

  /** The refusal a send gets, in the order the service checks: content, self, policy. */
  sendRefusal (from: number, to: number, content: string): Refusal | null {
    if (content.trim() === '') return 'FST_DM_EMPTY_CONTENT'
    if (content.includes('\u0000')) return 'FST_DM_INVALID_CONTENT'
    if (from === to) return 'FST_DM_SELF_MESSAGE'
    if (this.blocks.has(`${to}>${from}`)) return 'FST_DM_RECIPIENT_NOT_ALLOWED'
    if (this.blocks.has(`${from}>${to}`)) return 'FST_DM_BLOCKED_BY_YOU'
    return null
  }

  /** Marks read the unread, not hidden messages from `partner` to `user` (up to id `upTo`); answers how many. */
  markRead (user: number, partner: number, upTo?: number): number {
    let count = 0
    for (const m of this.messages) {
      if (m.from === partner && m.to === user && !m.read && !m.hiddenBy.has(user) && (upTo === undefined || m.id <= upTo)) {
        m.read = true
        count++
      }
    }
    return count
  }

  hideConversation (user: number, partner: number): void {
    for (const m of this.messages) if (this.between(user, partner, m)) m.hiddenBy.add(user)
  }
}

// ---------------------------------------------------------------------------------------------
// The real system, and how its answers are compared with the model

interface Real {
  app: FastifyInstance
  users: TestUser[]
  /** What the commands did, by outcome: shows that the runs reach the interesting cases. */
  tally: Map<string, number>
}

interface UnreadEntry { partner_id: number, partner_username: string, unread_count: number, muted: boolean }
interface ConversationJson extends PartnerJson { unread_count: number, last_message: MessageJson | null }

/** A message as a user sees it, without the timestamps (read_at only as read or not). */
interface Seen { id: number, sender: number, recipient: number, direction: 'in' | 'out', content: string, read: boolean }

const name = (user: number): string => `u${user + 1}`

function userOf (real: Real, index: number): TestUser {
  return real.users[index] as TestUser
}

function seen (m: MessageJson): Seen {
  return { id: m.id, sender: m.sender, recipient: m.recipient, direction: m.direction, content: m.content, read: m.read_at !== null }
}

function expected (real: Real, viewer: number, m: ModelMessage): Seen {
  return {
    id: m.id,
    sender: userOf(real, m.from).id,
    recipient: userOf(real, m.to).id,
    direction: m.to === viewer ? 'in' : 'out',
    content: m.content,
    read: m.read
  }
}

function tally (real: Real, outcome: string): void {
  real.tally.set(outcome, (real.tally.get(outcome) ?? 0) + 1)
}

function expectStatus (res: LightMyRequestResponse, status: number, code: string | null, label: string): void {
  let body: unknown = res.body
  try { body = res.json() } catch {}
  assert.equal(res.statusCode, status, `${label}: status (answered ${res.body})`)
  if (code !== null) assert.equal((body as { code?: unknown }).code, code, `${label}: error code`)
}

async function getOk<T> (real: Real, user: number, url: string): Promise<T> {
  const res = await as(real.app, userOf(real, user), { method: 'GET', url })
  expectStatus(res, 200, null, `${name(user)} GET ${url}`)
  return res.json<T>()
}

/** No message shown to `user` may be one they are not party to or have hidden. */
function assertMaySee (model: Model, real: Real, user: number, m: MessageJson, label: string): void {
  const stored = model.messages.find((x) => x.id === m.id)
  assert.ok(stored !== undefined, `${label}: shows message ${m.id}, which no send created`)
  assert.ok(model.isParty(user, stored), `${label}: shows message ${m.id} from ${name(stored.from)} to ${name(stored.to)}, to a user not party to it`)
  assert.ok(!stored.hiddenBy.has(user), `${label}: shows message ${m.id}, which ${name(user)} deleted`)
}

/** A page of `user`'s conversation with `partner` must be exactly what the model says, newest first. */
function assertPage (model: Model, real: Real, user: number, partner: number, page: PageJson<MessageJson>, label: string): void {
  for (const m of page.results) assertMaySee(model, real, user, m, label)
  assert.deepStrictEqual(
    { next: page.next, previous: page.previous, results: page.results.map(seen) },
    { next: null, previous: null, results: model.conversation(user, partner).map((m) => expected(real, user, m)) },
    label)
}

/** Everything every user can see equals the model. */
async function checkAll (model: Model, real: Real, step: string): Promise<void> {
  await Promise.all(real.users.map((_, user) => checkUser(model, real, user, step)))
}

async function checkUser (model: Model, real: Real, user: number, step: string): Promise<void> {
  const label = (what: string): string => `after ${step}: ${name(user)}'s ${what}`
  const others = [...Array(USERS).keys()].filter((p) => p !== user)
  const [count, unreadList, list, ...pages] = await Promise.all([
    getOk<{ id: number, count: number, unmuted_count: number }>(real, user, '/api/dm/unread/'),
    getOk<UnreadEntry[]>(real, user, '/api/dm/conversations/unread/'),
    getOk<PageJson<ConversationJson>>(real, user, '/api/dm/conversations/?page_size=100'),
    ...others.map((p) => getOk<PageJson<MessageJson>>(real, user, `/api/dm/conversations/${userOf(real, p).id}/?mark_read=false&page_size=100`))
  ])

  // The model mutes nothing: every unread message is an unmuted one.
  assert.deepStrictEqual(count, { id: userOf(real, user).id, count: model.unreadTotal(user), unmuted_count: model.unreadTotal(user) }, label('/unread/'))

  // Most recent visible message first: the plugin orders both lists by the conversation's newest
  // message the owner has not hidden, which is what the model computes.
  const partners = model.partners(user)
  assert.deepStrictEqual(unreadList, partners.filter((p) => model.unread(user, p) > 0).map((p) => ({
    partner_id: userOf(real, p).id, partner_username: userOf(real, p).username, unread_count: model.unread(user, p), muted: false
  })), label('/conversations/unread/'))

  for (const entry of list.results) if (entry.last_message !== null) assertMaySee(model, real, user, entry.last_message, label('/conversations/'))
  assert.deepStrictEqual({
    next: list.next,
    previous: list.previous,
    results: list.results.map((c) => ({ id: c.id, username: c.username, unread_count: c.unread_count, last_message: c.last_message === null ? null : seen(c.last_message) }))
  }, {
    next: null,
    previous: null,
    results: partners.map((p) => ({
      id: userOf(real, p).id,
      username: userOf(real, p).username,
      unread_count: model.unread(user, p),
      last_message: expected(real, user, model.conversation(user, p)[0] as ModelMessage)
    }))
  }, label('/conversations/'))

  others.forEach((p, i) => assertPage(model, real, user, p, pages[i] as PageJson<MessageJson>, label(`conversation with ${name(p)}`)))
}

// ---------------------------------------------------------------------------------------------
// Commands: each acts through HTTP, checks the answer and updates the model, then checks everything

abstract class Step implements fc.AsyncCommand<Model, Real> {
  /** How the command resolved against the state it ran in (who acted), for failure messages. */
  resolved = ''

  check (): boolean {
    return true
  }

  async run (model: Model, real: Real): Promise<void> {
    this.resolved = ''
    tally(real, await this.act(model, real))
    await checkAll(model, real, this.label())
  }

  /** Acts, checks the direct answer, updates the model; answers the outcome for the tally. */
  abstract act (model: Model, real: Real): Promise<string>
  abstract toString (): string

  label (): string {
    return this.toString() + this.resolved
  }
}

/**
 * Who acts on which conversation: two users as generated, or the two parties of a message sent
 * earlier in the run (`target`, an index modulo the messages sent so far), the recipient acting
 * unless `senderActs`. Random pairs of four users rarely hit a conversation with anything in it;
 * targets do, and still shrink (to a smaller index, or to no target).
 */
interface Who { user: number, partner: number, target: number | null, senderActs: boolean }

function resolve (model: Model, who: Who): [number, number] {
  const message = who.target === null || model.messages.length === 0 ? undefined : model.messages[who.target % model.messages.length]
  if (message === undefined) return [who.user, who.partner]
  return who.senderActs ? [message.from, message.to] : [message.to, message.from]
}

function describe (who: Who, verb: string): string {
  if (who.target === null) return `${name(who.user)} ${verb} ${name(who.partner)}`
  return who.senderActs ? `the sender of message #${who.target} ${verb} its recipient` : `the recipient of message #${who.target} ${verb} its sender`
}

class Send extends Step {
  constructor (readonly from: number, readonly to: number, readonly content: string, readonly reply: boolean) { super() }

  async act (model: Model, real: Real): Promise<string> {
    const refusal = model.sendRefusal(this.from, this.to, this.content)
    const to = userOf(real, this.to)
    const url = this.reply ? `/api/dm/conversations/${to.id}/?page_size=100` : `/api/dm/send/${to.id}/`
    const res = await as(real.app, userOf(real, this.from), { method: 'POST', url, payload: { content: this.content } })
    if (refusal !== null) {
      expectStatus(res, 400, refusal, this.label())
      return `send refused: ${refusal}`
    }
    expectStatus(res, 201, null, this.label())
    let sent: MessageJson | undefined
    if (this.reply) sent = res.json<PageJson<MessageJson>>().results[0]
    else sent = res.json<MessageJson>()
    assert.ok(sent !== undefined, `${this.label()}: answers the message`)
    assert.ok(!model.messages.some((m) => m.id === sent.id), `${this.label()}: a new message id (answered ${sent.id})`)
    const message: ModelMessage = { id: sent.id, from: this.from, to: this.to, content: this.content, read: false, hiddenBy: new Set() }
    assert.deepStrictEqual(seen(sent), expected(real, this.from, message), `${this.label()}: the message answered`)
    model.messages.push(message)
    if (!this.reply) return 'send'
    // The reply route answers the conversation's first page, as GET does: marking it read first.
    model.markRead(this.from, this.to)
    assertPage(model, real, this.from, this.to, res.json<PageJson<MessageJson>>(), `${this.label()}: the page answered`)
    return 'send (reply route)'
  }

  toString (): string {
    return `send(${name(this.from)}→${name(this.to)}, ${JSON.stringify(this.content)}${this.reply ? ', POST /conversations/<id>/' : ''})`
  }
}

class Read extends Step {
  constructor (readonly who: Who) { super() }

  async act (model: Model, real: Real): Promise<string> {
    const [user, partner] = resolve(model, this.who)
    this.resolved = ` [${name(user)} reads ${name(partner)}]`
    const page = await getOk<PageJson<MessageJson>>(real, user, `/api/dm/conversations/${userOf(real, partner).id}/?page_size=100`)
    const marked = model.markRead(user, partner)
    assertPage(model, real, user, partner, page, `${this.label()}: the page answered`)
    return marked > 0 ? 'read (marked some)' : 'read (nothing to mark)'
  }

  toString (): string {
    return `read(${describe(this.who, 'reads')})`
  }
}

class MarkRead extends Step {
  /** @param upTo index (modulo) into the messages sent so far, or null for no `up_to` */
  constructor (readonly who: Who, readonly upTo: number | null) { super() }

  async act (model: Model, real: Real): Promise<string> {
    const [user, partner] = resolve(model, this.who)
    const upTo = this.upTo === null || model.messages.length === 0 ? undefined : (model.messages[this.upTo % model.messages.length] as ModelMessage).id
    this.resolved = ` [${name(user)} marks ${name(partner)}, up_to ${upTo ?? 'none'}]`
    const res = await as(real.app, userOf(real, user), {
      method: 'POST',
      url: `/api/dm/conversations/${userOf(real, partner).id}/read/`,
      payload: upTo === undefined ? {} : { up_to: upTo }
    })
    const count = model.markRead(user, partner, upTo)
    expectStatus(res, 200, null, this.label())
    assert.deepStrictEqual(res.json(), { count }, `${this.label()}: the count answered`)
    return count > 0 ? `mark read${upTo === undefined ? '' : ' up to'} (marked some)` : 'mark read (nothing to mark)'
  }

  toString (): string {
    return `markRead(${describe(this.who, 'marks')}${this.upTo === null ? '' : `, up to message #${this.upTo}`})`
  }
}

class Delete extends Step {
  /** @param index index (modulo) into the messages sent so far */
  constructor (readonly user: number, readonly index: number) { super() }

  async act (model: Model, real: Real): Promise<string> {
    const message = model.messages.length === 0 ? undefined : model.messages[this.index % model.messages.length]
    this.resolved = message === undefined ? ` [message ${UNKNOWN_ID}: none]` : ` [message ${message.id}: ${name(message.from)}→${name(message.to)}]`
    const res = await as(real.app, userOf(real, this.user), { method: 'DELETE', url: `/api/dm/messages/${message?.id ?? UNKNOWN_ID}/` })
    if (message === undefined || !model.isParty(this.user, message)) {
      expectStatus(res, 404, 'FST_DM_MESSAGE_NOT_FOUND', this.label())
      return 'delete (not party: 404)'
    }
    expectStatus(res, 204, null, this.label())
    const outcome = message.hiddenBy.has(this.user) ? 'delete (already hidden)' : message.to === this.user && !message.read ? 'delete (unread inbound)' : 'delete'
    message.hiddenBy.add(this.user)
    return outcome
  }

  toString (): string {
    return `delete(${name(this.user)} deletes message #${this.index})`
  }
}

class DeleteConversation extends Step {
  constructor (readonly who: Who) { super() }

  async act (model: Model, real: Real): Promise<string> {
    const [user, partner] = resolve(model, this.who)
    this.resolved = ` [${name(user)} deletes the conversation with ${name(partner)}]`
    const res = await as(real.app, userOf(real, user), { method: 'DELETE', url: `/api/dm/conversations/${userOf(real, partner).id}/` })
    expectStatus(res, 204, null, this.label())
    const shown = model.conversation(user, partner).length
    model.hideConversation(user, partner)
    return shown > 0 ? 'delete conversation' : 'delete conversation (nothing shown)'
  }

  toString (): string {
    return `deleteConversation(${describe(this.who, 'deletes the conversation with')})`
  }
}

class Block extends Step {
  constructor (readonly user: number, readonly other: number, readonly block: boolean) { super() }

  async act (model: Model, real: Real): Promise<string> {
    const other = userOf(real, this.other)
    const res = await as(real.app, userOf(real, this.user), { method: this.block ? 'POST' : 'DELETE', url: `/api/dm/blocks/${other.id}/` })
    const key = `${this.user}>${this.other}`
    if (!this.block) {
      expectStatus(res, 204, null, this.label())
      model.blocks.delete(key)
      return 'unblock'
    }
    if (this.user === this.other) {
      expectStatus(res, 400, 'FST_DM_SELF_BLOCK', this.label())
      return 'block self (400)'
    }
    expectStatus(res, 201, null, this.label())
    assert.equal(res.json<PartnerJson>().id, other.id, `${this.label()}: answers the blocked user`)
    model.blocks.add(key)
    return 'block'
  }

  toString (): string {
    return `${this.block ? 'block' : 'unblock'}(${name(this.user)} ${this.block ? 'blocks' : 'unblocks'} ${name(this.other)})`
  }
}

const user = fc.integer({ min: 0, max: USERS - 1 })
const content = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom(' ', '\n\t', 'a\u0000b') }
)
/** Half the time, the parties of a message sent before (see Who); `eitherSide`: the sender may act. */
const who = (eitherSide: boolean): fc.Arbitrary<Who> => fc.record({
  user,
  partner: user,
  target: fc.option(fc.nat(), { nil: null, freq: 2 }),
  senderActs: eitherSide ? fc.boolean() : fc.constant(false)
})
/** A send to oneself (always refused) one time in ten: the rest build conversations. */
const recipientOffset = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 9, arbitrary: fc.integer({ min: 1, max: USERS - 1 }) })
const send = fc.tuple(user, recipientOffset, content, fc.boolean()).map(([from, offset, text, reply]) => new Send(from, (from + offset) % USERS, text, reply))
const commands = fc.commands([
  // Sends weigh three: without enough messages, the other commands have little to act on.
  send, send, send,
  who(false).map((w) => new Read(w)),
  fc.tuple(who(false), fc.option(fc.nat(), { nil: null })).map(([w, upTo]) => new MarkRead(w, upTo)),
  fc.tuple(user, fc.nat()).map(([u, i]) => new Delete(u, i)),
  who(true).map((w) => new DeleteConversation(w)),
  fc.tuple(user, user, fc.boolean()).map(([u, o, b]) => new Block(u, o, b))
], { maxCommands: MAX_COMMANDS, size: 'max', ...(REPLAY_PATH === undefined ? {} : { replayPath: REPLAY_PATH }) })

async function emptyTables (db: TestDatabase): Promise<void> {
  // dm_conversation first: its rows reference messages.
  for (const table of ['dm_conversation', 'dm_message', 'dm_block', 'dm_user']) await query(db, `DELETE FROM ${table}`)
}

t.comment(`fast-check seed ${SEED}${PATH === undefined ? '' : `, path ${PATH}`} (DM_MODEL_SEED=${SEED} replays it), ${RUNS} runs per database`)

forEachPath(t, 'the plugin agrees with the model after every step', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const users = await createUsers(app, ...[...Array(USERS).keys()].map(name))
  const real: Real = { app, users, tally: new Map() }
  const started = performance.now()
  let commandsRun = 0

  await fc.assert(fc.asyncProperty(commands, async (cmds) => {
    await emptyTables(db)
    const model = new Model()
    await checkAll(model, real, 'emptying the tables')
    await fc.asyncModelRun(() => ({ model, real }), cmds)
    commandsRun += [...cmds].length
  }), { seed: SEED, numRuns: RUNS, ...(PATH === undefined ? {} : { path: PATH }) })

  t.pass(`${RUNS} runs, ${commandsRun} commands, each followed by a full check, in ${Math.round(performance.now() - started)} ms`)
  t.comment('outcomes: ' + [...real.tally].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', '))
})
