// Authorization: every route, called by each user with every other user's ids, message ids and
// cursors, shows nothing of a conversation the caller is not part of, changes nothing of anyone
// else's, and answers "exists but not yours" exactly as "does not exist" (attachments included). SQLite, PostgreSQL and MariaDB.
//
// Five users: alice and bob converse, carol and dave converse, each of those four also exchanges
// two messages with the two of the other pair; some messages are read, some hidden by one side,
// some users block others, and some mute or archive conversations. mallory has nothing at all. Every message content is a unique
// marker (`secret[alice-bob#3]`), so a body that shows one is caught by a plain substring search.
//
// Each user in turn (mallory first) is the attacker. It calls every route with the others' user
// ids, every message id of the conversations it is not part of, and every cursor the others
// received (and its own cursors on lists they do not belong to). Every body is searched for the
// other conversations' contents and for their message ids inside message objects, and the rows of
// dm_message (edits, unsends and reaction counts included), dm_conversation, dm_block, dm_user,
// dm_reaction and dm_message_edit are compared before and after. The only
// changes allowed are the attacker's own, and exactly those: its reads of messages sent to it,
// its own hidden flags, its sends (and what a send does to the recipient's conversation row:
// newest message, unread count, back from the archive), its own blocks, and the mute and archive
// flags of its own conversation rows.
import type { AddressInfo } from 'node:net'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { forEachDatabase, forEachPath, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, pathOf, send, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from '../helpers/app.js'
import { openStream, type SseFrame } from '../helpers/sse.js'
import { eventually } from '../helpers/wait.js'
import { jsonOf, messageUrl, NOT_FOUND, reactionUrl, richScene, slashless, UNKNOWN_ID } from '../helpers/rich-messages.js'
import { fetchSigned, png, sendWith, uploaded, type AttachmentJson } from '../helpers/attachments.js'

type App = Awaited<ReturnType<typeof startApp>>

const API = '/api/dm'
const NO_SUCH_MESSAGE = 999999999
const NO_SUCH_USER = 2_000_000
/** Well-formed (a payload and a MAC of the right length) but signed by nobody. */
const GARBAGE_CURSOR = `${Buffer.from('o:5').toString('base64url')}.${'A'.repeat(22)}`
/** Event streams opened at once by one attacker. */
const STREAMS_AT_ONCE = 16

interface MessageRow {
  id: number
  sender: number
  recipient: number
  low: number
  high: number
  content: string
  sentAt: string | null
  readAt: string | null
  deletedBySender: boolean
  deletedByRecipient: boolean
  idempotencyKey: string | null
  editedAt: string | null
  unsentAt: string | null
  replyTo: number | null
  reactionCount: number
}

interface Snapshot {
  messages: Map<number, MessageRow>
  /** `owner|partner` */
  conversations: Map<string, ConversationRow>
  /** `blocker|blocked` */
  blocks: Map<string, { id: number, createdAt: string | null }>
  users: Set<number>
  /** Every reaction and every earlier version of an edited message, as text: no attacker may change them. */
  reactions: string
  edits: string
}

interface ConversationRow { last: number | null, unread: number, muted: boolean, archived: boolean }

interface CursorRecord {
  owner: TestUser
  /** The list it belongs to: `conversations`, `conversations:archived`, `blocks` or `messages:<partner id>`. */
  scope: string
  label: string
  cursor: string
}

interface World {
  app: App
  db: TestDatabase
  base: string
  users: TestUser[]
  who: (id: number) => string
  cursors: CursorRecord[]
  /** Ids of the messages some attacker attacked as someone else's. */
  attacked: Set<number>
}

interface Answer { status: number, type: unknown, body: string }

const time = (value: unknown): string | null => value === null || value === undefined ? null : value instanceof Date ? value.toISOString() : String(value)
const answer = (res: LightMyRequestResponse): Answer => ({ status: res.statusCode, type: res.headers['content-type'], body: res.body })
const partOf = (m: MessageRow, me: number): boolean => m.sender === me || m.recipient === me
const hiddenFor = (m: MessageRow, me: number): boolean => m.sender === me ? m.deletedBySender : m.deletedByRecipient
const otherOf = (m: MessageRow, me: number): number => m.sender === me ? m.recipient : m.sender
const messageFrames = (frames: SseFrame[]): SseFrame[] => frames.filter((f) => f.event === 'message')

async function snapshot (db: TestDatabase): Promise<Snapshot> {
  const messages = new Map<number, MessageRow>()
  const rows = await query(db, `SELECT id, sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, read_at,
    deleted_by_sender, deleted_by_recipient, idempotency_key, edited_at, unsent_at, reply_to_id, reaction_count FROM dm_message ORDER BY id`)
  for (const r of rows) {
    const id = Number(r.id)
    messages.set(id, {
      id,
      sender: Number(r.sender_id),
      recipient: Number(r.recipient_id),
      low: Number(r.user_low_id),
      high: Number(r.user_high_id),
      content: String(r.content),
      sentAt: time(r.sent_at),
      readAt: time(r.read_at),
      deletedBySender: Boolean(r.deleted_by_sender),
      deletedByRecipient: Boolean(r.deleted_by_recipient),
      idempotencyKey: r.idempotency_key === null ? null : String(r.idempotency_key),
      editedAt: time(r.edited_at),
      unsentAt: time(r.unsent_at),
      replyTo: r.reply_to_id === null ? null : Number(r.reply_to_id),
      reactionCount: Number(r.reaction_count)
    })
  }
  const conversations = new Map<string, ConversationRow>()
  for (const r of await query(db, 'SELECT owner_id, partner_id, last_message_id, unread_count, muted, archived FROM dm_conversation')) {
    conversations.set(`${Number(r.owner_id)}|${Number(r.partner_id)}`, {
      last: r.last_message_id === null ? null : Number(r.last_message_id),
      unread: Number(r.unread_count),
      // SQLite answers booleans as 1/0.
      muted: Number(r.muted) === 1,
      archived: Number(r.archived) === 1
    })
  }
  const blocks = new Map<string, { id: number, createdAt: string | null }>()
  for (const r of await query(db, 'SELECT id, blocker_id, blocked_id, created_at FROM dm_block')) {
    blocks.set(`${Number(r.blocker_id)}|${Number(r.blocked_id)}`, { id: Number(r.id), createdAt: time(r.created_at) })
  }
  const users = new Set((await query(db, 'SELECT user_id FROM dm_user')).map((r) => Number(r.user_id)))
  const reactions = JSON.stringify((await query(db, 'SELECT id, message_id, user_id, emoji FROM dm_reaction ORDER BY id')).map((r) => [Number(r.id), Number(r.message_id), Number(r.user_id), r.emoji]))
  const edits = JSON.stringify((await query(db, 'SELECT id, message_id, content FROM dm_message_edit ORDER BY id')).map((r) => [Number(r.id), Number(r.message_id), r.content]))
  return { messages, conversations, blocks, users, reactions, edits }
}

/** The messages `me` sees (of the conversation with `partner`, or all), newest first. */
function visibleTo (s: Snapshot, me: number, partner?: number): MessageRow[] {
  return [...s.messages.values()]
    .filter((m) => partOf(m, me) && !hiddenFor(m, me) && (partner === undefined || otherOf(m, me) === partner))
    .sort((a, b) => b.id - a.id)
}

/** The messages `partner` sent `me` that `me` has neither read nor hidden. */
function unreadFrom (s: Snapshot, me: number, partner?: number): MessageRow[] {
  return [...s.messages.values()].filter((m) => m.recipient === me && m.readAt === null && !m.deletedByRecipient && (partner === undefined || m.sender === partner))
}

interface ExpectedEntry { partner: number, unread: number, last: number, muted: boolean, archived: boolean }

/** `me`'s conversations that show a message (archived or not), most recent first, with `me`'s flags. */
function expectedConversations (s: Snapshot, me: number): ExpectedEntry[] {
  const last = new Map<number, number>()
  for (const m of visibleTo(s, me)) if (!last.has(otherOf(m, me))) last.set(otherOf(m, me), m.id)
  return [...last].sort((a, b) => b[1] - a[1]).map(([partner, id]) => {
    const row = s.conversations.get(`${me}|${partner}`)
    return { partner, unread: unreadFrom(s, me, partner).length, last: id, muted: row?.muted ?? false, archived: row?.archived ?? false }
  })
}

/** `me`'s conversation list (`archived`: the archived one) as [partner, unread count, last message id, muted, archived]. */
function expectedList (s: Snapshot, me: number, archived: boolean): Array<[number, number, number, boolean, boolean]> {
  return expectedConversations(s, me).filter((e) => e.archived === archived).map((e) => [e.partner, e.unread, e.last, e.muted, e.archived])
}

function isBlocked (s: Snapshot, a: number, b: number): boolean {
  return s.blocks.has(`${a}|${b}`) || s.blocks.has(`${b}|${a}`)
}

function visit (value: unknown, fn: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, fn)
  } else if (typeof value === 'object' && value !== null) {
    fn(value as Record<string, unknown>)
    for (const item of Object.values(value)) visit(item, fn)
  }
}

/**
 * What of other conversations a body shows: their contents anywhere in it, message objects between
 * other users, and their message ids in message objects or read receipts.
 */
function guardFor (s: Snapshot, me: number, who: (id: number) => string): (value: unknown) => string[] {
  const theirs = [...s.messages.values()].filter((m) => !partOf(m, me))
  const byId = new Map(theirs.map((m) => [m.id, m]))
  const describe = (m: MessageRow): string => `${who(m.sender)}→${who(m.recipient)} message ${m.id}`
  return (value) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value) ?? ''
    const found: string[] = []
    for (const m of theirs) if (text.includes(m.content)) found.push(`the content "${m.content}" of ${describe(m)}`)
    let parsed = value
    if (typeof value === 'string') {
      try { parsed = JSON.parse(value) } catch { parsed = undefined }
    }
    visit(parsed, (node) => {
      if ('sender' in node && 'recipient' in node) {
        const m = byId.get(Number(node.id))
        if (node.sender !== me && node.recipient !== me) found.push(`a message object between ${who(Number(node.sender))} and ${who(Number(node.recipient))} (id ${String(node.id)})`)
        else if (m !== undefined) found.push(`the id of ${describe(m)} in a message object`)
      }
      if (Array.isArray(node.ids)) {
        for (const id of node.ids) {
          const m = byId.get(Number(id))
          if (m !== undefined) found.push(`the id of ${describe(m)} in a read receipt`)
        }
      }
    })
    return found
  }
}

/**
 * Every difference between two snapshots that is not the attacker's own doing. Allowed: on the
 * attacker's messages, its own hidden flag (false → true) and, on those sent to it, read_at
 * (null → a time); new messages sent by the attacker, and on each recipient's conversation row
 * with the attacker exactly what they do (newest message, unread count + 1 each); the attacker's
 * own conversation rows and blocks; dm_user rows for the attacker and its recipients.
 */
function violations (before: Snapshot, after: Snapshot, attacker: number, who: (id: number) => string): string[] {
  const out: string[] = []
  const sentTo = new Map<number, number[]>()
  for (const m of after.messages.values()) {
    if (before.messages.has(m.id)) continue
    if (m.sender !== attacker) out.push(`dm_message ${m.id} (${who(m.sender)}→${who(m.recipient)}) appeared, not sent by the attacker`)
    else sentTo.set(m.recipient, [...(sentTo.get(m.recipient) ?? []), m.id])
  }
  for (const [id, old] of before.messages) {
    const now = after.messages.get(id)
    const name = `dm_message ${id} (${who(old.sender)}→${who(old.recipient)}${partOf(old, attacker) ? ', the attacker\'s own' : ''})`
    if (now === undefined) {
      out.push(`${name} disappeared`)
      continue
    }
    for (const field of Object.keys(old) as Array<keyof MessageRow>) {
      if (old[field] === now[field]) continue
      const legit =
        (field === 'deletedBySender' && old.sender === attacker && now.deletedBySender) ||
        (field === 'deletedByRecipient' && old.recipient === attacker && now.deletedByRecipient) ||
        (field === 'readAt' && old.recipient === attacker && old.readAt === null)
      if (!legit) out.push(`${name}: ${field} ${JSON.stringify(old[field])} → ${JSON.stringify(now[field])}`)
    }
  }
  for (const key of new Set([...before.conversations.keys(), ...after.conversations.keys()])) {
    const [owner, partner] = key.split('|').map(Number) as [number, number]
    if (owner === attacker) continue
    const old = before.conversations.get(key)
    const now = after.conversations.get(key)
    const sent = partner === attacker ? sentTo.get(owner) ?? [] : []
    // A send brings the recipient's row up to date and back from the archive; their mute stays.
    const expected = sent.length === 0 ? old : { last: Math.max(...sent), unread: (old?.unread ?? 0) + sent.length, muted: old?.muted ?? false, archived: false }
    if (JSON.stringify(now) !== JSON.stringify(expected)) {
      out.push(`dm_conversation of ${who(owner)} with ${who(partner)}: ${JSON.stringify(old)} → ${JSON.stringify(now)}${sent.length > 0 ? ` (expected ${JSON.stringify(expected)} after ${sent.length} send(s) to them)` : ''}`)
    }
  }
  for (const key of new Set([...before.blocks.keys(), ...after.blocks.keys()])) {
    const [blocker, blocked] = key.split('|').map(Number) as [number, number]
    if (blocker === attacker) continue
    const old = before.blocks.get(key)
    const now = after.blocks.get(key)
    if (JSON.stringify(old) !== JSON.stringify(now)) out.push(`dm_block ${who(blocker)} blocks ${who(blocked)}: ${JSON.stringify(old)} → ${JSON.stringify(now)}`)
  }
  if (after.reactions !== before.reactions) out.push(`dm_reaction changed: ${before.reactions} → ${after.reactions}`)
  if (after.edits !== before.edits) out.push(`dm_message_edit changed: ${before.edits} → ${after.edits}`)
  for (const id of before.users) if (!after.users.has(id)) out.push(`dm_user ${who(id)} disappeared`)
  for (const id of after.users) if (!before.users.has(id) && id !== attacker && !sentTo.has(id)) out.push(`dm_user ${who(id)} appeared`)
  return out
}

forEachPath(t, 'authorization', async (t, db) => {
  const app = await startApp(db, { directMessages: { maxStreamsPerUser: 1000 } })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const [alice, bob, carol, dave, mallory] = await createUsers(app, 'alice', 'bob', 'carol', 'dave', 'mallory')
  if (alice === undefined || bob === undefined || carol === undefined || dave === undefined || mallory === undefined) throw new Error('users')
  const users = [alice, bob, carol, dave, mallory]
  const names = new Map(users.map((u) => [u.id, u.username]))
  const who = (id: number): string => names.get(id) ?? `user ${id}`
  const w: World = { app, db, base, users, who, cursors: [], attacked: new Set() }

  // The scene.
  const ok = async (user: TestUser, options: InjectOptions, status: number): Promise<LightMyRequestResponse> => {
    const res = await as(app, user, options)
    if (res.statusCode !== status) throw new Error(`setup ${options.method ?? 'GET'} ${options.url as string} as ${user.username}: ${res.statusCode} ${res.body}`)
    return res
  }
  const talk = async (pair: string, turns: Array<[TestUser, TestUser]>): Promise<MessageJson[]> => {
    const messages: MessageJson[] = []
    for (const [from, to] of turns) messages.push(await send(app, from, to, `secret[${pair}#${messages.length + 1}]`))
    return messages
  }
  const id = (messages: MessageJson[], i: number): number => {
    const message = messages[i]
    if (message === undefined) throw new Error(`no message ${i}`)
    return message.id
  }
  const ab = await talk('alice-bob', [[alice, bob], [bob, alice], [alice, bob], [bob, alice], [alice, bob], [alice, bob]])
  const cd = await talk('carol-dave', [[carol, dave], [dave, carol], [carol, dave], [dave, carol], [dave, carol], [carol, dave]])
  for (const [x, y] of [[alice, carol], [alice, dave], [bob, carol], [bob, dave]] as Array<[TestUser, TestUser]>) await talk(`${x.username}-${y.username}`, [[x, y], [y, x]])
  // Reads: some, not all.
  await ok(bob, { method: 'POST', url: `${API}/conversations/${alice.id}/read/`, payload: { up_to: id(ab, 2) } }, 200)
  await ok(alice, { method: 'POST', url: `${API}/conversations/${bob.id}/read/`, payload: { up_to: id(ab, 1) } }, 200)
  await ok(dave, { method: 'POST', url: `${API}/conversations/${carol.id}/read/` }, 200)
  await ok(bob, { method: 'POST', url: `${API}/conversations/${carol.id}/read/` }, 200)
  // Hidden by one side: inbound read, own sent, inbound unread.
  await ok(alice, { method: 'DELETE', url: `${API}/messages/${id(ab, 1)}/` }, 204)
  await ok(alice, { method: 'DELETE', url: `${API}/messages/${id(ab, 2)}/` }, 204)
  await ok(bob, { method: 'DELETE', url: `${API}/messages/${id(ab, 0)}/` }, 204)
  await ok(dave, { method: 'DELETE', url: `${API}/messages/${id(cd, 1)}/` }, 204)
  await ok(carol, { method: 'DELETE', url: `${API}/messages/${id(cd, 4)}/` }, 204)
  // Blocks.
  for (const [blocker, blocked] of [[carol, alice], [carol, bob], [carol, mallory], [dave, bob], [alice, dave]] as Array<[TestUser, TestUser]>) {
    await ok(blocker, { method: 'POST', url: `${API}/blocks/${blocked.id}/` }, 201)
  }

  // Every cursor each of the four receives, following `next` to the end of each list (page_size=2).
  const collect = async (owner: TestUser, scope: string, what: string, first: string): Promise<void> => {
    let url: string | null = first
    for (let page = 1; url !== null; page++) {
      const body: PageJson<unknown> = await getJson<PageJson<unknown>>(app, owner, url)
      for (const [kind, link] of [['next', body.next], ['previous', body.previous]] as const) {
        const cursor = link === null ? null : new URL(link).searchParams.get('cursor')
        if (cursor !== null && !w.cursors.some((c) => c.cursor === cursor)) {
          w.cursors.push({ owner, scope, cursor, label: `${owner.username}'s ${kind} cursor of page ${page} of ${what}` })
        }
      }
      url = body.next === null ? null : pathOf(body.next)
    }
  }
  const received = new Map<number, Set<number>>()
  for (const owner of [alice, bob, carol, dave]) {
    await collect(owner, 'conversations', `${owner.username}'s conversation list`, `${API}/conversations/?page_size=2`)
    await collect(owner, 'blocks', `${owner.username}'s block list`, `${API}/blocks/?page_size=2`)
    const ids = new Set<number>()
    for (const partner of [alice, bob, carol, dave]) {
      if (partner === owner) continue
      await collect(owner, `messages:${partner.id}`, `${owner.username}'s conversation with ${partner.username}`, `${API}/conversations/${partner.id}/?page_size=2&mark_read=false`)
      const page = await getJson<PageJson<MessageJson>>(app, owner, `${API}/conversations/${partner.id}/?page_size=100&mark_read=false`)
      for (const message of page.results) ids.add(message.id)
    }
    received.set(owner.id, ids)
  }
  // Mutes and archives, after the main lists' cursors were collected (archived conversations leave them).
  for (const [owner, method, what, partner] of [
    [bob, 'PUT', 'mute', alice], [alice, 'PUT', 'archive', carol], [alice, 'PUT', 'archive', dave], [alice, 'PUT', 'mute', dave],
    [dave, 'PUT', 'archive', bob], [carol, 'PUT', 'mute', dave], [carol, 'PUT', 'archive', alice]
  ] as Array<[TestUser, 'PUT', string, TestUser]>) {
    await ok(owner, { method, url: `${API}/conversations/${partner.id}/${what}/` }, 204)
  }
  for (const owner of [alice, bob, carol, dave]) {
    await collect(owner, 'conversations:archived', `${owner.username}'s archived conversation list`, `${API}/conversations/?archived=true&page_size=1`)
  }
  t.ok(w.cursors.filter((c) => c.scope === 'conversations').length >= 8, 'each of the four has conversation-list cursors')
  t.ok(w.cursors.some((c) => c.scope === 'conversations:archived'), 'alice has archived-list cursors')
  t.ok(w.cursors.some((c) => c.scope === 'blocks'), 'carol has block-list cursors')
  t.ok([alice, bob, carol, dave].every((u) => w.cursors.some((c) => c.owner === u && c.scope.startsWith('messages:'))), 'each of the four has conversation-page cursors')
  const scene = await snapshot(db)
  t.ok([...scene.messages.values()].some((m) => m.readAt === null) && [...scene.messages.values()].some((m) => m.readAt !== null), 'some messages are read, some unread')
  t.ok([...scene.messages.values()].some((m) => m.deletedBySender) && [...scene.messages.values()].some((m) => m.deletedByRecipient), 'some are hidden by their sender, some by their recipient')
  for (const [owner, ids] of received) t.same([...ids].sort((a, b) => a - b), visibleTo(scene, owner).map((m) => m.id).sort((a, b) => a - b), `${who(owner)} received every message id it sees`)

  for (const attacker of [mallory, alice, bob, carol, dave]) {
    await t.test(`${attacker.username} calls every route with the others' ids, message ids and cursors`, (t) => attack(t, w, attacker))
  }
  await t.test('the rightful owners still see every attacked message, and DELETE /messages/<id>/ still works for them', (t) => ownersStillOwn(t, w))
  for (const attacker of [mallory, alice, bob, carol, dave]) {
    await t.test(`${attacker.username} deletes its conversation with each other user: nothing of theirs is hidden`, (t) => deleteConversations(t, w, attacker))
  }
})

// A caller whose id names no user: a token that outlived its user (the host deleted the user while
// the token, a JWT say, is still valid). Every write answers 401 FST_DM_UNKNOWN_CALLER and stores
// nothing, the log says why once, reads answer as for a user with nothing, and its event stream
// keeps nobody else's presence from being written.
forEachPath(t, 'a caller that is no user', async (t, db) => {
  const lines: string[] = []
  const callers = new Map<string, number>()
  const app = await startApp(db, {
    logger: { level: 'warn', stream: { write: (line: string) => { lines.push(line) } } },
    // As a stateless token would: the id it carries, whether or not the user still exists.
    directMessages: { getUserId: (request) => callers.get(String(request.headers.authorization)) }
  })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const [alice, bob, carol, ghost] = await createUsers(app, 'alice', 'bob', 'carol', 'ghost')
  if (alice === undefined || bob === undefined || carol === undefined || ghost === undefined) throw new Error('users')
  for (const user of [alice, bob, carol, ghost]) callers.set(user.headers.authorization, user.id)
  const theirs = await send(app, alice, bob, 'secret[alice-bob#1]')
  await send(app, carol, bob, 'secret[carol-bob#1]')
  const ghostsOwn = await send(app, ghost, bob, 'secret[ghost-bob#1]')
  await send(app, bob, ghost, 'secret[bob-ghost#1]')
  await as(app, bob, { method: 'POST', url: `${API}/blocks/${ghost.id}/` })
  await query(db, 'DELETE FROM app_user WHERE id = ?', [ghost.id])
  const before = await snapshot(db)
  t.notOk(before.users.has(ghost.id), 'the host deleted ghost (its rows went with it)')

  const writes: Array<[string, InjectOptions]> = [
    ['send', { method: 'POST', url: `${API}/send/${bob.id}/`, payload: { content: 'hello' } }],
    ['send to a user who does not exist', { method: 'POST', url: `${API}/send/${NO_SUCH_USER}/`, payload: { content: 'hello' } }],
    ['send with an Idempotency-Key', { method: 'POST', url: `${API}/send/${bob.id}/`, headers: { 'idempotency-key': 'k-1' }, payload: { content: 'hello' } }],
    ['send replying to a message of others', { method: 'POST', url: `${API}/send/${bob.id}/`, payload: { content: 'hello', reply_to: theirs.id } }],
    ['send in the conversation route', { method: 'POST', url: `${API}/conversations/${bob.id}/`, payload: { content: 'hello' } }],
    ['mark read', { method: 'POST', url: `${API}/conversations/${bob.id}/read/` }],
    ['delete the conversation', { method: 'DELETE', url: `${API}/conversations/${bob.id}/` }],
    ['delete its own former message', { method: 'DELETE', url: `${API}/messages/${ghostsOwn.id}/` }],
    ['delete a message of others', { method: 'DELETE', url: `${API}/messages/${theirs.id}/` }],
    ['delete a message that does not exist', { method: 'DELETE', url: `${API}/messages/${NO_SUCH_MESSAGE}/` }],
    ['edit', { method: 'PATCH', url: `${API}/messages/${theirs.id}/`, payload: { content: 'changed' } }],
    ['unsend', { method: 'POST', url: `${API}/messages/${theirs.id}/unsend/` }],
    ['react', { method: 'PUT', url: `${API}/messages/${theirs.id}/reactions/${encodeURIComponent('👍')}/` }],
    ['take a reaction back', { method: 'DELETE', url: `${API}/messages/${theirs.id}/reactions/${encodeURIComponent('👍')}/` }],
    ['block', { method: 'POST', url: `${API}/blocks/${bob.id}/` }],
    ['unblock', { method: 'DELETE', url: `${API}/blocks/${bob.id}/` }],
    ['mute', { method: 'PUT', url: `${API}/conversations/${bob.id}/mute/` }],
    ['unmute', { method: 'DELETE', url: `${API}/conversations/${bob.id}/mute/` }],
    ['archive', { method: 'PUT', url: `${API}/conversations/${bob.id}/archive/` }],
    ['unarchive', { method: 'DELETE', url: `${API}/conversations/${bob.id}/archive/` }],
    ['typing', { method: 'POST', url: `${API}/conversations/${bob.id}/typing/` }]
  ]
  for (const [what, options] of writes) {
    const res = await as(app, ghost, options)
    t.equal(res.statusCode, 401, `${what}: 401 (${res.body})`)
    t.equal(res.json<{ code?: string }>().code, 'FST_DM_UNKNOWN_CALLER', `${what}: FST_DM_UNKNOWN_CALLER`)
  }
  t.same(await snapshot(db), before, 'nothing was stored')
  const warnings = lines.filter((line) => line.includes('names no user'))
  t.equal(warnings.length, 1, `the log says why once, not once per request (${warnings.length})`)
  t.match(warnings[0] ?? '', new RegExp(`getUserId returned ${ghost.id}, which names no user`))
  t.notOk(lines.some((line) => /"level":50/.test(line)), 'and logs no error')

  // Reads: as for a user with nothing.
  t.same(await getJson(app, ghost, `${API}/unread/`), { id: ghost.id, count: 0, unmuted_count: 0 }, '/unread/: nothing')
  t.same((await getJson<PageJson<unknown>>(app, ghost, `${API}/conversations/`)).results, [], '/conversations/: nothing')
  t.same(await getJson(app, ghost, `${API}/conversations/unread/`), [], '/conversations/unread/: nothing')
  t.same((await getJson<PageJson<unknown>>(app, ghost, `${API}/conversations/${bob.id}/`)).results, [], 'a conversation page: nothing')
  t.same((await getJson<PageJson<unknown>>(app, ghost, `${API}/blocks/`)).results, [], '/blocks/: nothing')
  t.same(await getJson(app, ghost, `${API}/presence/?ids=${bob.id}`), [{ id: bob.id, online: false, last_seen_at: null }], 'presence: nobody')
  t.equal((await as(app, ghost, { method: 'GET', url: `${API}/messages/${theirs.id}/edits/` })).statusCode, 404, 'an edit history: no such message')

  // Its stream opens, as an empty one, at the same time as carol's; carol still comes online.
  const [ghostStream, carolStream] = await Promise.all([openStream(base, `${API}/events/`, ghost.headers), openStream(base, `${API}/events/`, carol.headers)])
  t.teardown(() => { ghostStream.close(); carolStream.close() })
  t.equal(ghostStream.status, 200, 'its event stream opens')
  t.equal(await ghostStream.position(), '0', 'at the position of a user with no change')
  t.equal(carolStream.status, 200)
  const online = await eventually('carol online for bob', async () => (await getJson<Array<{ online: boolean }>>(app, bob, `${API}/presence/?ids=${carol.id}`))[0]?.online === true, 10_000)
  t.ok(online, 'carol, whose stream opened with ghost\'s, reads online: a stream of no user breaks no one\'s presence')
  t.notOk(lines.some((line) => /"level":50/.test(line) || line.includes('writing presence failed')), 'no presence write failed')
})

async function attack (t: Test, w: World, me: TestUser): Promise<void> {
  const { app, db, who } = w
  const before = await snapshot(db)
  const guard = guardFor(before, me.id, who)
  const others = w.users.filter((u) => u.id !== me.id)
  const theirs = [...before.messages.values()].filter((m) => !partOf(m, me.id))
  for (const m of theirs) w.attacked.add(m.id)
  const describe = (m: MessageRow): string => `<${who(m.sender)}→${who(m.recipient)} message ${m.id}>`
  const call = async (label: string, options: InjectOptions): Promise<LightMyRequestResponse> => {
    const res = await as(app, me, options)
    t.same(guard(res.body), [], `${label} as ${me.username}: shows nothing of a conversation ${me.username} is not part of`)
    return res
  }
  t.ok(theirs.length > 0, `${me.username} has others' messages to attack (${theirs.length})`)

  // Lists: only the caller's own.
  {
    const unread = await call('GET /unread/', { method: 'GET', url: `${API}/unread/` })
    const mine = unreadFrom(before, me.id)
    const unmuted = mine.filter((m) => before.conversations.get(`${me.id}|${m.sender}`)?.muted !== true)
    t.same(unread.json(), { id: me.id, count: mine.length, unmuted_count: unmuted.length }, `GET /unread/ as ${me.username}: counts only its own unread messages, and its own mutes`)
    type Entry = PartnerJson & { unread_count: number, last_message: MessageJson | null, muted: boolean, archived: boolean }
    for (const archived of [false, true]) {
      const label = archived ? 'GET /conversations/?archived=true' : 'GET /conversations/'
      const list = await call(label, { method: 'GET', url: `${API}/conversations/?page_size=100${archived ? '&archived=true' : ''}` })
      const entries = list.json<PageJson<Entry>>().results
      t.same(entries.map((e) => [e.id, e.unread_count, e.last_message?.id, e.muted, e.archived]), expectedList(before, me.id, archived),
        `${label} as ${me.username}: only its own conversations, counts, last messages and flags`)
    }
    const unreadList = await call('GET /conversations/unread/', { method: 'GET', url: `${API}/conversations/unread/` })
    t.same(unreadList.json(), expectedConversations(before, me.id).filter((e) => e.unread > 0).map((e) => ({ partner_id: e.partner, partner_username: who(e.partner), unread_count: e.unread, muted: e.muted })),
      `GET /conversations/unread/ as ${me.username}: only its own unread counts and mutes`)
    const blocks = await call('GET /blocks/', { method: 'GET', url: `${API}/blocks/?page_size=100` })
    const blocked = [...before.blocks].filter(([key]) => key.startsWith(`${me.id}|`)).sort((a, b) => b[1].id - a[1].id).map(([key]) => Number(key.split('|')[1]))
    t.same(blocks.json<PageJson<PartnerJson>>().results.map((p) => p.id), blocked, `GET /blocks/ as ${me.username}: only the users it blocks`)
  }

  // GET /blocks/<id>/ (there is no such route: it must answer alike for every id).
  {
    const normal = (res: LightMyRequestResponse, id: number): Answer => ({ ...answer(res), body: res.body.split(`/blocks/${id}/`).join('/blocks/<id>/') })
    const missing = normal(await call('GET /blocks/<nonexistent user>/', { method: 'GET', url: `${API}/blocks/${NO_SUCH_USER}/` }), NO_SUCH_USER)
    for (const other of others) {
      const res = await call(`GET /blocks/<${other.username}>/`, { method: 'GET', url: `${API}/blocks/${other.id}/` })
      t.same(normal(res, other.id), missing, `GET /blocks/<${other.username}>/ as ${me.username}: answered as for a user that does not exist`)
    }
  }

  // Cursors: another user's, or another list's, are answered exactly as a garbage cursor.
  {
    const lists: Array<{ scope: string, path: string, label: string, only?: string }> = [
      { scope: 'conversations', path: `${API}/conversations/?`, label: 'GET /conversations/' },
      // The archived list is tried with the conversation lists' cursors (the others' MACs name other routes altogether).
      { scope: 'conversations:archived', path: `${API}/conversations/?archived=true&`, label: 'GET /conversations/?archived=true', only: 'conversations' },
      { scope: 'blocks', path: `${API}/blocks/?`, label: 'GET /blocks/' },
      ...others.map((other) => ({ scope: `messages:${other.id}`, path: `${API}/conversations/${other.id}/?`, label: `GET /conversations/<${other.username}>/` }))
    ]
    for (const list of lists) {
      const garbage = await call(`${list.label} with a garbage cursor`, { method: 'GET', url: `${list.path}cursor=${encodeURIComponent(GARBAGE_CURSOR)}&page_size=2` })
      t.equal(garbage.statusCode, 400, `${list.label} as ${me.username} with a garbage cursor: 400`)
      t.match(garbage.json(), { statusCode: 400, message: 'Invalid cursor' }, `${list.label} as ${me.username} with a garbage cursor: Invalid cursor`)
      for (const cursor of w.cursors) {
        if (cursor.owner.id === me.id && cursor.scope === list.scope) continue
        if (list.only !== undefined && !cursor.scope.startsWith(list.only)) continue
        const label = `${list.label} with ${cursor.label}`
        const res = await call(label, { method: 'GET', url: `${list.path}cursor=${encodeURIComponent(cursor.cursor)}&page_size=2` })
        t.same(answer(res), answer(garbage), `${label} as ${me.username}: answered exactly as a garbage cursor (400 Invalid cursor)`)
      }
    }
  }

  // Message ids of others' conversations.
  {
    const missing = await call('DELETE /messages/<nonexistent>/', { method: 'DELETE', url: `${API}/messages/${NO_SUCH_MESSAGE}/` })
    t.equal(missing.statusCode, 404, `DELETE /messages/<nonexistent>/ as ${me.username}: 404`)
    for (const m of theirs) {
      const res = await call(`DELETE /messages/${describe(m)}/`, { method: 'DELETE', url: `${API}/messages/${m.id}/` })
      t.same(answer(res), answer(missing), `DELETE /messages/${describe(m)}/ as ${me.username}: answered exactly as a message that does not exist`)
    }
    // The rich-message routes: someone else's message is an unknown one.
    const thumbs = encodeURIComponent('👍')
    const richRoutes: Array<[string, (id: number) => InjectOptions]> = [
      ['PATCH /messages/<id>/', (id) => ({ method: 'PATCH', url: `${API}/messages/${id}/`, payload: { content: 'not yours' } })],
      ['GET /messages/<id>/edits/', (id) => ({ method: 'GET', url: `${API}/messages/${id}/edits/` })],
      ['POST /messages/<id>/unsend/', (id) => ({ method: 'POST', url: `${API}/messages/${id}/unsend/` })],
      ['PUT /messages/<id>/reactions/👍/', (id) => ({ method: 'PUT', url: `${API}/messages/${id}/reactions/${thumbs}/` })],
      ['DELETE /messages/<id>/reactions/👍/', (id) => ({ method: 'DELETE', url: `${API}/messages/${id}/reactions/${thumbs}/` })]
    ]
    for (const [route, options] of richRoutes) {
      const unknown = await call(`${route} <nonexistent>`, options(NO_SUCH_MESSAGE))
      t.equal(unknown.statusCode, 404, `${route} <nonexistent> as ${me.username}: 404`)
      for (const m of theirs) {
        const res = await call(`${route} ${describe(m)}`, options(m.id))
        t.same(answer(res), answer(unknown), `${route} ${describe(m)} as ${me.username}: answered exactly as a message that does not exist`)
      }
    }

    const nothingUnread = new Map<number, Answer>()
    const unread = async (partner: number, upTo: number): Promise<{ total: number, upTo: number }> => {
      const [row] = await query(db, `SELECT COUNT(*) AS total, SUM(CASE WHEN id <= ? THEN 1 ELSE 0 END) AS up_to FROM dm_message
        WHERE recipient_id = ? AND sender_id = ? AND read_at IS NULL AND deleted_by_recipient = false`, [upTo, me.id, partner])
      return { total: Number(row?.total ?? 0), upTo: Number(row?.up_to ?? 0) }
    }
    for (const other of others) {
      for (const m of theirs) {
        const label = `POST /conversations/<${other.username}>/read/ {up_to: ${describe(m)}}`
        const expected = await unread(other.id, m.id)
        const res = await call(label, { method: 'POST', url: `${API}/conversations/${other.id}/read/`, payload: { up_to: m.id } })
        t.same([res.statusCode, res.json()], [200, { count: expected.upTo }], `${label} as ${me.username}: marks only its own unread messages from ${other.username} (up to that id)`)
        if (expected.total === 0) {
          let reference = nothingUnread.get(other.id)
          if (reference === undefined) {
            reference = answer(await call(`POST /conversations/<${other.username}>/read/ {up_to: <nonexistent>}`, { method: 'POST', url: `${API}/conversations/${other.id}/read/`, payload: { up_to: NO_SUCH_MESSAGE } }))
            nothingUnread.set(other.id, reference)
          }
          t.same(answer(res), reference, `${label} as ${me.username}: answered exactly as an up_to that does not exist ({count: 0})`)
        }
      }
      const expected = await unread(other.id, NO_SUCH_MESSAGE)
      const res = await call(`POST /conversations/<${other.username}>/read/`, { method: 'POST', url: `${API}/conversations/${other.id}/read/` })
      t.same([res.statusCode, res.json()], [200, { count: expected.total }], `POST /conversations/<${other.username}>/read/ without up_to as ${me.username}: marks only its own unread messages`)
    }
  }

  // The event stream resumed after another user's change id (SSE ids number each user's changes):
  // a `reset` (reload, then follow), nothing of anyone else's, and only the caller's own ids.
  {
    const changes = await query<{ id: number | bigint, user_id: number | string }>(db, 'SELECT id, user_id FROM dm_change ORDER BY id')
    const ownIds = new Set(changes.filter((c) => String(c.user_id) === String(me.id)).map((c) => String(c.id)))
    const all = changes.filter((c) => !ownIds.has(String(c.id))).map((c) => Number(c.id))
    // Every other user's changes would be many streams: an even sample of them, the newest included.
    const step = Math.max(1, Math.ceil(all.length / 48))
    const foreign = [...new Set([...all.filter((_, k) => k % step === 0), all[all.length - 1] as number])]
    t.ok(foreign.length > 0, `${me.username}: other users have changes to resume after`)
    for (let i = 0; i < foreign.length; i += STREAMS_AT_ONCE) {
      const chunk = foreign.slice(i, i + STREAMS_AT_ONCE)
      const streams = await Promise.all(chunk.map((id, j) => i + j === 0
        ? openStream(w.base, `${API}/events/?last_event_id=${id}`, me.headers)
        : openStream(w.base, `${API}/events/`, { ...me.headers, 'last-event-id': String(id) })))
      try {
        await Promise.all(streams.map((stream) => stream.until((frames) => frames.some((f) => f.event === 'reset'), 3000).catch(() => {})))
        streams.forEach((stream, j) => {
          const label = `GET /events/ with ${i + j === 0 ? '?last_event_id=' : 'Last-Event-ID: '}<change ${chunk[j] as number} of another user>`
          t.equal(stream.status, 200, `${label} as ${me.username}: 200`)
          t.equal(stream.frames[0]?.event, 'reset', `${label} as ${me.username}: starts with a reset (the id is not one of the caller's changes)`)
          t.same(messageFrames(stream.frames), [], `${label} as ${me.username}: replays nothing`)
          // 0: the position of a user without changes.
          t.same(stream.frames.filter((f) => f.id !== undefined && !ownIds.has(f.id) && !(f.id === '0' && ownIds.size === 0)).map((f) => f.id), [], `${label} as ${me.username}: no SSE id but the caller's own changes`)
          t.same(guard(stream.frames), [], `${label} as ${me.username}: shows nothing of a conversation ${me.username} is not part of`)
        })
      } finally {
        for (const stream of streams) stream.close()
      }
    }
  }

  // Conversations with each other user: only the caller's own messages with them (and reading
  // them marks only the caller's own inbound messages read).
  {
    for (const other of others) {
      const res = await call(`GET /conversations/<${other.username}>/`, { method: 'GET', url: `${API}/conversations/${other.id}/?page_size=100` })
      const now = await snapshot(db)
      t.equal(res.statusCode, 200, `GET /conversations/<${other.username}>/ as ${me.username}: 200`)
      t.same(res.json<PageJson<MessageJson>>().results.map((m) => m.id), visibleTo(now, me.id, other.id).map((m) => m.id), `GET /conversations/<${other.username}>/ as ${me.username}: exactly its own messages with ${other.username}`)
      if (me.username === 'mallory' && other.username === 'carol') {
        t.same(res.json(), { next: null, previous: null, results: [] }, 'GET /conversations/<carol>/ as mallory: 200 with an empty page (nothing of carol and dave)')
      }
    }
    const missing = await call('GET /conversations/<nonexistent user>/', { method: 'GET', url: `${API}/conversations/${NO_SUCH_USER}/` })
    t.equal(missing.statusCode, 404, `GET /conversations/<nonexistent user>/ as ${me.username}: 404`)
  }

  // Mute and archive: with each other user, only the caller's own conversation row (each flag is
  // set and cleared, or cleared and set, so the scene stays as it was); with a user it has no
  // conversation with, answered exactly as with a user that does not exist.
  {
    for (const [what, flag] of [['mute', 'muted'], ['archive', 'archived']] as const) {
      const missing = new Map<string, Answer>()
      for (const method of ['PUT', 'DELETE'] as const) {
        const res = await call(`${method} /conversations/<nonexistent user>/${what}/`, { method, url: `${API}/conversations/${NO_SUCH_USER}/${what}/` })
        t.equal(res.statusCode, 404, `${method} /conversations/<nonexistent user>/${what}/ as ${me.username}: 404`)
        missing.set(method, answer(res))
      }
      for (const other of others) {
        const row = before.conversations.get(`${me.id}|${other.id}`)
        for (const method of row?.[flag] === true ? ['DELETE', 'PUT'] as const : ['PUT', 'DELETE'] as const) {
          const label = `${method} /conversations/<${other.username}>/${what}/`
          const res = await call(label, { method, url: `${API}/conversations/${other.id}/${what}/` })
          if (row === undefined) t.same(answer(res), missing.get(method), `${label} as ${me.username}: no conversation with them, answered exactly as a user that does not exist`)
          else t.equal(res.statusCode, 204, `${label} as ${me.username}: 204`)
        }
      }
    }
    const flagsOf = (s: Snapshot): string => JSON.stringify([...s.conversations].filter(([key]) => key.startsWith(`${me.id}|`)).map(([key, row]) => [key, row.muted, row.archived]).sort())
    t.equal(flagsOf(await snapshot(db)), flagsOf(before), `${me.username}'s own flags are as before`)
  }

  // Presence, while every other user holds a stream: truthful only of a partner with no block in
  // between; of anyone else, answered exactly as of a user that does not exist. Typing to each
  // other user: always 204 (a refusal is silent), and the caller's answer shows nothing more.
  {
    const streams = await Promise.all(others.map((other) => openStream(w.base, `${API}/events/`, other.headers)))
    try {
      await Promise.all(streams.map((stream) => stream.position()))
      // Presence is written in batches: wait until every one of them reads online somewhere (given
      // up on quietly: the assertions below say who does not).
      await eventually('the others\' presence written', async () => {
        const [row] = await query<{ n: number | bigint }>(db, 'SELECT COUNT(DISTINCT user_id) AS n FROM dm_presence')
        return Number(row?.n ?? 0) >= others.length
      }).catch(() => {})
      const presenceOf = async (id: number, label: string): Promise<{ status: number, body: Array<{ id: number, online: boolean, last_seen_at: string | null }> }> => {
        const res = await call(label, { method: 'GET', url: `${API}/presence/?ids=${id}` })
        return { status: res.statusCode, body: res.json() }
      }
      const missing = await presenceOf(NO_SUCH_USER, 'GET /presence/?ids=<nonexistent user>')
      t.same(missing, { status: 200, body: [{ id: NO_SUCH_USER, online: false, last_seen_at: null }] }, `GET /presence/ of a nonexistent user as ${me.username}: offline, never seen`)
      for (const other of others) {
        const label = `GET /presence/?ids=<${other.username}>`
        const got = await presenceOf(other.id, label)
        const partner = before.conversations.has(`${me.id}|${other.id}`) && !before.blocks.has(`${me.id}|${other.id}`) && !before.blocks.has(`${other.id}|${me.id}`)
        if (partner) t.match(got, { status: 200, body: [{ id: other.id, online: true }] }, `${label} as ${me.username}: a partner, online`)
        else t.same(got, { status: 200, body: [{ ...missing.body[0], id: other.id }] }, `${label} as ${me.username}: not a partner (or a block between them), answered exactly as a user that does not exist`)
        const typing = await call(`POST /conversations/<${other.username}>/typing/`, { method: 'POST', url: `${API}/conversations/${other.id}/typing/` })
        t.same([typing.statusCode, typing.body], [204, ''], `POST /conversations/<${other.username}>/typing/ as ${me.username}: 204, nothing said`)
      }
    } finally {
      for (const stream of streams) stream.close()
    }
  }

  // Sends to each other user: 201 unless a block stands between them (400), and the answer holds
  // only the caller's conversation with that user.
  for (const other of others) {
    const refused = isBlocked(before, me.id, other.id)
    const direct = await call(`POST /send/<${other.username}>/`, { method: 'POST', url: `${API}/send/${other.id}/`, payload: { content: `attack[${me.username}-${other.username}#1]` } })
    t.equal(direct.statusCode, refused ? 400 : 201, `POST /send/<${other.username}>/ as ${me.username}: ${refused ? '400, a block stands between them' : '201'}`)
    if (direct.statusCode === 201) t.match(direct.json(), { sender: me.id, recipient: other.id, direction: 'out' }, `POST /send/<${other.username}>/ as ${me.username}: its own message`)
    const reply = await call(`POST /conversations/<${other.username}>/`, { method: 'POST', url: `${API}/conversations/${other.id}/`, payload: { content: `attack[${me.username}-${other.username}#2]` } })
    t.equal(reply.statusCode, refused ? 400 : 201, `POST /conversations/<${other.username}>/ as ${me.username}: ${refused ? '400' : '201'}`)
    if (reply.statusCode === 201) {
      const results = reply.json<PageJson<MessageJson>>().results
      t.ok(results.length > 0 && results.every((m) => (m.sender === me.id && m.recipient === other.id) || (m.sender === other.id && m.recipient === me.id)),
        `POST /conversations/<${other.username}>/ as ${me.username}: the page holds only its conversation with ${other.username}`)
    }
  }

  // Blocks: blocking and unblocking each other user touches only the caller's own block list
  // (each is done and undone, so the scene stays as it was).
  for (const other of others) {
    const blocks = before.blocks.has(`${me.id}|${other.id}`)
    for (const method of blocks ? ['DELETE', 'POST'] as const : ['POST', 'DELETE'] as const) {
      const res = await call(`${method} /blocks/<${other.username}>/`, { method, url: `${API}/blocks/${other.id}/` })
      if (method === 'POST') {
        t.equal(res.statusCode, 201, `POST /blocks/<${other.username}>/ as ${me.username}: 201`)
        t.same(res.json(), { id: other.id, username: other.username, first_name: '', last_name: '' }, `POST /blocks/<${other.username}>/ as ${me.username}: only their public profile`)
      } else {
        t.equal(res.statusCode, 204, `DELETE /blocks/<${other.username}>/ as ${me.username}: 204`)
      }
    }
  }
  t.equal((await call('POST /blocks/<nonexistent user>/', { method: 'POST', url: `${API}/blocks/${NO_SUCH_USER}/` })).statusCode, 404)
  t.equal((await call('DELETE /blocks/<nonexistent user>/', { method: 'DELETE', url: `${API}/blocks/${NO_SUCH_USER}/` })).statusCode, 404)

  const after = await snapshot(db)
  t.same(violations(before, after, me.id, who), [], `after ${me.username}'s attack: no row of dm_message, dm_conversation, dm_block or dm_user changed beyond its own`)
  t.same([...after.blocks.keys()].filter((key) => key.startsWith(`${me.id}|`)).sort(), [...before.blocks.keys()].filter((key) => key.startsWith(`${me.id}|`)).sort(), `${me.username}'s own blocks are as before`)
}

/**
 * After every attack: each participant of each attacked message that had not hidden it still sees
 * it, and deletes it with 204 (and that hides it for them alone); those who had hidden it get the
 * 204 of an already hidden message.
 */
async function ownersStillOwn (t: Test, w: World): Promise<void> {
  const { app, db, who } = w
  const start = await snapshot(db)
  const byId = new Map(w.users.map((u) => [u.id, u]))
  let shown = 0
  for (const id of [...w.attacked].sort((a, b) => a - b)) {
    const m = start.messages.get(id)
    if (m === undefined) {
      t.fail(`attacked message ${id} no longer exists`)
      continue
    }
    for (const ownerId of [m.sender, m.recipient]) {
      const owner = byId.get(ownerId) as TestUser
      const label: string = `${who(m.sender)}→${who(m.recipient)} message ${id}`
      if (!hiddenFor(m, ownerId)) {
        const page = await getJson<PageJson<MessageJson>>(app, owner, `${API}/conversations/${otherOf(m, ownerId)}/?page_size=100&mark_read=false`)
        t.ok(page.results.some((message) => message.id === id && message.content === m.content), `${label} is still shown to ${owner.username}`)
        shown++
      }
      const res = await as(app, owner, { method: 'DELETE', url: `${API}/messages/${id}/` })
      t.equal(res.statusCode, 204, `DELETE /messages/<${label}>/ as its ${ownerId === m.sender ? 'sender' : 'recipient'} ${owner.username}: 204`)
    }
  }
  t.ok(shown > 0, `the attacks hid nothing: ${shown} message-owner pairs were still visible and were deleted by their owner`)
  const after = await snapshot(db)
  const wrong = [...after.messages.values()].filter((m) => w.attacked.has(m.id) ? !(m.deletedBySender && m.deletedByRecipient) : JSON.stringify(m) !== JSON.stringify(start.messages.get(m.id)))
  t.same(wrong.map((m) => m.id), [], 'each attacked message is now hidden by both its owners, and nothing else changed')
}

/** DELETE /conversations/<id>/ with every other user's id hides only the caller's own side. */
async function deleteConversations (t: Test, w: World, me: TestUser): Promise<void> {
  const { app, db, who } = w
  const before = await snapshot(db)
  const guard = guardFor(before, me.id, who)
  for (const other of w.users.filter((u) => u.id !== me.id)) {
    const res = await as(app, me, { method: 'DELETE', url: `${API}/conversations/${other.id}/` })
    t.equal(res.statusCode, 204, `DELETE /conversations/<${other.username}>/ as ${me.username}: 204`)
    t.same(guard(res.body), [], `DELETE /conversations/<${other.username}>/ as ${me.username}: shows nothing`)
  }
  const missing = await as(app, me, { method: 'DELETE', url: `${API}/conversations/${NO_SUCH_USER}/` })
  t.equal(missing.statusCode, 404, `DELETE /conversations/<nonexistent user>/ as ${me.username}: 404`)
  const after = await snapshot(db)
  t.same(violations(before, after, me.id, who), [], `after ${me.username} deleted its conversations: no row of anyone else changed`)
  t.same(visibleTo(after, me.id).map((m) => m.id), [], `${me.username} sees none of its messages any more`)
  const kept = [...before.messages.values()].filter((m) => partOf(m, me.id)).filter((m) => hiddenFor(m, otherOf(m, me.id)) !== hiddenFor(after.messages.get(m.id) as MessageRow, otherOf(m, me.id)))
  t.same(kept.map((m) => m.id), [], `the other side of ${me.username}'s conversations keeps what it saw`)
}

// The routes of rich messages on their own: edit, edit history, unsend and reactions, each with and
// without the trailing slash.
forEachDatabase(t, 'rich-message routes', async (t, db) => {
  const { c, alice, bob, mallory, events } = await richScene(t, db)

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
})

forEachPath(t, 'attachment routes', async (t, db) => {
  const { app, c, alice, bob, mallory } = await richScene(t, db)
  const photo = await png(40, 30)

  await t.test('another pair\'s attachment reads exactly as an unknown one; another user\'s upload cannot be sent; nothing of theirs changes', async (t) => {
    const sentId = await uploaded(app, alice, 'private.png', 'image/png', photo)
    const sent = (await sendWith(app, alice, bob, 'private photo', [sentId])).json<{ id: number, attachments: AttachmentJson[] }>()
    const pendingId = await uploaded(app, alice, 'draft.png', 'image/png', photo)
    const unknownId = 'aaaaaaaaaaaaaaaaaaaaaaaaaa'
    const rows = async (): Promise<unknown[]> => await query(db, 'SELECT id, uploader_id, message_id, checked_at, attached_at FROM dm_attachment ORDER BY id')
    const before = await rows()
    const bobsView = await c.view(bob, alice, sent.id)

    for (const path of [`${API}/attachments/${sentId}/`, `${API}/attachments/${sentId}`]) {
      const anonymous = await c.request(null, { method: 'GET', url: path })
      t.equal(anonymous.statusCode, 401, `GET ${path} anonymous`)
      const foreign = await c.request(mallory, { method: 'GET', url: path })
      const unknown = await c.request(mallory, { method: 'GET', url: path.replace(sentId, unknownId) })
      t.equal(foreign.statusCode, 404, `GET ${path} as mallory`)
      t.same(jsonOf(foreign), jsonOf(unknown), `GET ${path}: the same answer as an unknown id`)
      t.notOk(foreign.body.includes('private'), 'nothing of the file in the answer')
    }
    t.equal((await c.request(null, { method: 'POST', url: `${API}/attachments/`, payload: { name: 'a.png', content_type: 'image/png', size: 10 } })).statusCode, 401, 'POST /attachments/ anonymous')

    for (const id of [sentId, pendingId]) {
      const theirs = await sendWith(app, mallory, bob, 'look', [id])
      const unknown = await sendWith(app, mallory, bob, 'look', [unknownId])
      t.equal(theirs.statusCode, 400, 'mallory cannot send alice\'s upload')
      t.same(jsonOf(theirs), JSON.parse(JSON.stringify(jsonOf(unknown)).replace(unknownId, id)), 'and is told exactly what an unknown id gets')
    }
    const unsend = await c.request(mallory, { method: 'POST', url: messageUrl(sent.id, 'unsend/') })
    t.equal(unsend.statusCode, 404, 'nor unsend the message that carries one')
    t.same(await rows(), before, 'no attachment row changed')
    t.same(await c.view(bob, alice, sent.id), bobsView, 'bob still sees the message and its file')
    t.equal((await fetchSigned(app, sent.attachments[0]?.url as string)).statusCode, 200, 'whose bytes are still served')
  })
})
