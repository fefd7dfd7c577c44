// What the query-plan tests (test/guarantees/query-plans.test.ts on PostgreSQL,
// query-plans-mysql.test.ts on MySQL/MariaDB) share: the shape of the seeded volume, the recording
// of the statements a request issues and the EXPLAIN of each (the EXPLAIN itself is the database's:
// see PlanCheck), the plugin's statements whose text is the same on both, and the requests both
// run with the same assertions. Each test file keeps its seeding and its reading of plans.
import type { Test } from 'tap'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { MARKER, statementsReported, type TestDatabase } from './databases.js'
import { listening } from './instances.js'
import { openStream } from './sse.js'
import { eventually } from './wait.js'
import { as, getJson, pathOf, type MessageJson, type PageJson, type PartnerJson, type TestUser } from './app.js'

/** The heavy user, and the partner with whom they have thousands of messages. */
export const HEAVY = 1
export const BIG_PARTNER = 2
/** The heavy user's other partners are 3..401; background users are 402..1000. */
export const HEAVY_PARTNERS = 400
export const BACKGROUND_FIRST = 402
export const USERS = 1000
export const HEAVY_MESSAGES = 36_000
export const BACKGROUND_MESSAGES = 20_000
/**
 * Users USERS+1..ALL_USERS never message: they have dm_user rows (they once held a stream), each
 * blocks one user, and most are online on other instances (dm_presence).
 */
export const ALL_USERS = 20_000
/** The heavy user blocks the first HEAVY_BLOCKS of them. */
export const HEAVY_BLOCKS = 120
/** Other instances holding the presence rows of the idle and background users. */
export const INSTANCES = 20
/** An instance that died: its rows (users whose id is a multiple of 1000) expired an hour ago. */
export const DEAD_INSTANCE = 'dead-instance'

/** Statements of the plugin's, one line each (see oneLine), whose text is the same on both databases. */
export const LOCK_PARTICIPANTS = /^INSERT INTO dm_user \(user_id\) SELECT user_id FROM \( SELECT sender_id AS user_id FROM dm_message /
export const CHANGES = /^SELECT c\.id AS change_id, .* FROM dm_change c LEFT JOIN dm_message m ON m\.id = c\.message_id /
export const PRESENCE_LIVE = /^SELECT DISTINCT user_id FROM dm_presence WHERE user_id IN \(/
export const PRESENCE_ARRIVE = /^INSERT INTO dm_presence \(user_id, instance_id, seen_at\) VALUES /
export const LAST_SEEN = /^UPDATE dm_user SET last_seen_at = /
export const PRESENCE_READ = /^SELECT u\.user_id, u\.last_seen_at, MAX\(p\.seen_at\) AS seen FROM dm_user u LEFT JOIN dm_presence p ON p\.user_id = u\.user_id /
export const PRESENCE_SWEEP = /^DELETE FROM dm_presence WHERE seen_at <= /
export const PRUNE_NEWEST = /^SELECT MAX\(id\) AS newest FROM dm_change WHERE user_id = /
export const PRUNE = /^DELETE FROM dm_change WHERE id IN \(/

/** A name of one of the plugin's tables. */
export const PLUGIN_TABLE = /\bdm_(message|conversation|user|block|message_edit|reaction|change|presence|attachment)\b/

export interface Statement {
  query: string
  params: string
  /** How long the statement took, in ms (as Prisma reports it). */
  duration: number
}

export interface Explained {
  res: LightMyRequestResponse
  statements: Statement[]
  /** The statements EXPLAINed, one line each. */
  explained: string[]
}

export interface ExplainOptions {
  /** Statements the request may issue in all (default the runner's maxStatements). */
  max?: number
  /** Statements (one line, see oneLine) that must be among those EXPLAINed. */
  expect?: readonly RegExp[]
  /** The application asked (default the runner's, the one without presence). */
  via?: FastifyInstance
}

export function testUser (id: number): TestUser {
  const token = `explain-token-${id}`
  return { id, username: `user${id}`, token, headers: { authorization: `Token ${token}` } }
}

export function oneLine (sql: string): string {
  return sql.replace(/\s+/g, ' ').trim()
}

/** `text` cut to `length` characters, for a message (the diagnostics carry it whole). */
export function brief (text: string, length = 200): string {
  return text.length > length ? `${text.slice(0, length)}…` : text
}

/** How many of `statements` match `pattern` (one line each). */
export function countOf (statements: readonly Statement[], pattern: RegExp): number {
  return statements.filter((statement) => pattern.test(oneLine(statement.query))).length
}

/** Whether one of `statements` matches `pattern` (one line each). */
export function issued (statements: readonly Statement[], pattern: RegExp): boolean {
  return countOf(statements, pattern) > 0
}

/**
 * EXPLAINs one statement of the plugin's (`sql` is it on one line) and asserts that its plan reads
 * no dm_* table whole, as the database tells it. Answers false when there is no plan.
 */
export type PlanCheck = (t: Test, label: string, index: number, statement: Statement, sql: string) => Promise<boolean>

export interface PlanRunner {
  /** Whether a statement is one of the plugin's, to EXPLAIN. */
  isPluginStatement: (sql: string) => boolean
  /** Records every statement reported from now on into `statements`, until stopRecording. */
  record: (statements: Statement[]) => void
  stopRecording: () => void
  /**
   * EXPLAINs each of `statements` on the plugin's tables with its parameters (see PlanCheck), and
   * each of `expect` must be among them. Answers them, one line each.
   */
  explainAll: (t: Test, label: string, statements: readonly Statement[], expect?: readonly RegExp[]) => Promise<string[]>
  /** Runs the request as `user`, then EXPLAINs each statement it issued on the plugin's tables. */
  explained: (t: Test, label: string, user: TestUser, options: InjectOptions, status: number, explain?: ExplainOptions) => Promise<Explained>
}

/**
 * The recording of `db`'s statements (opened with logQueries) and their EXPLAIN: `app` is the
 * application asked, `maxStatements` the statements one request may issue at most unless told,
 * `isPluginStatement` which statements are the plugin's, `checkPlan` the EXPLAIN of one.
 */
export function planRunner ({ db, app, maxStatements, isPluginStatement, checkPlan }: {
  db: TestDatabase
  app: FastifyInstance
  maxStatements: number
  isPluginStatement: (sql: string) => boolean
  checkPlan: PlanCheck
}): PlanRunner {
  let recording: Statement[] | null = null
  db.prisma.$on('query', (event) => {
    recording?.push({ query: event.query, params: event.params, duration: Number((event as { duration?: unknown }).duration ?? 0) })
  })

  async function explainAll (t: Test, label: string, statements: readonly Statement[], expect: readonly RegExp[] = []): Promise<string[]> {
    const plugin = statements.filter((statement) => isPluginStatement(statement.query))
    const explained: string[] = []
    for (const [index, statement] of plugin.entries()) {
      const sql = oneLine(statement.query)
      if (!(await checkPlan(t, label, index, statement, sql))) {
        t.fail(`${label}: no plan for ${sql}`)
        continue
      }
      explained.push(sql)
    }
    t.ok(plugin.length > 0 && explained.length === plugin.length, `${label}: all ${explained.length} statements on the plugin's tables explained`)
    for (const pattern of expect) {
      t.ok(explained.some((sql) => pattern.test(sql)), `${label}: explained ${String(pattern)}`, { explained })
    }
    return explained
  }

  async function explained (t: Test, label: string, user: TestUser, options: InjectOptions, status: number, { max = maxStatements, expect = [], via = app }: ExplainOptions = {}): Promise<Explained> {
    const statements: Statement[] = []
    recording = statements
    let res: LightMyRequestResponse
    try {
      res = await as(via, user, options)
      // Query events come after the statements' answers, in order: once a marker statement issued
      // now is reported, every statement of the request has been.
      await statementsReported(db, () => statements.map((statement) => statement.query))
    } finally {
      recording = null
    }
    statements.splice(0, statements.length, ...statements.filter((statement) => !statement.query.includes(MARKER)))
    t.equal(res.statusCode, status, `${label} answers ${status}`, { body: res.body })
    t.ok(statements.length <= max, `${label}: ${statements.length} statements in all (at most ${max})`,
      { statements: statements.map((statement) => oneLine(statement.query)) })
    return { res, statements, explained: await explainAll(t, label, statements, expect) }
  }

  return {
    isPluginStatement,
    record: (statements) => { recording = statements },
    stopRecording: () => { recording = null },
    explainAll,
    explained
  }
}

/** What the shared request scenarios need of a test file. */
export interface Scenarios {
  db: TestDatabase
  /** The application without presence. */
  app: FastifyInstance
  run: PlanRunner
  /** The heavy user, and the big partner. */
  heavy: TestUser
  bigPartner: TestUser
  /** A statement's parameter `n` (from 1) as the database writes it: `$1` or `?`. */
  placeholder: (n: number) => string
  /** The list statement among `statements` reads dm_conversation through the index it must (the archived list's, or the main list's). */
  usesListIndex: (t: Test, label: string, statements: Statement[], archived: boolean) => Promise<void>
  /** The INSERT of a block, which differs in its handling of a conflict. */
  blockInsert: RegExp
}

/** `placeholder(n)` as a regular expression's source matches it. */
function paramPattern (placeholder: (n: number) => string, n: number): string {
  return placeholder(n).replace(/[$?]/g, '\\$&')
}

// The requests both databases run with the same assertions, as subtests of `t`.

/** The conversation list and its archived part, page by page. */
export async function conversationLists (t: Test, { run: { explained }, heavy, usesListIndex }: Scenarios): Promise<void> {
  await t.test('GET /conversations/ pages', async (t) => {
    const firstRequest = await explained(t, 'GET /conversations/ (first page)', heavy, { method: 'GET', url: '/api/dm/conversations/' }, 200)
    await usesListIndex(t, 'GET /conversations/ (first page)', firstRequest.statements, false)
    const page1 = firstRequest.res.json<PageJson<PartnerJson & { archived: boolean }>>()
    t.equal(page1.results.length, 50, 'a full first page')
    t.ok(page1.results.every((entry) => !entry.archived), 'of conversations not archived')
    if (page1.next === null) throw new Error('no next page')
    const secondRequest = await explained(t, 'GET /conversations/ (next page)', heavy, { method: 'GET', url: pathOf(page1.next) }, 200)
    await usesListIndex(t, 'GET /conversations/ (next page)', secondRequest.statements, false)
    const page2 = secondRequest.res.json<PageJson<PartnerJson>>()
    t.equal(page2.results.length, 50, 'a full second page')
    if (page2.previous === null) throw new Error('no previous page')
    const back = (await explained(t, 'GET /conversations/ (previous page)', heavy, { method: 'GET', url: pathOf(page2.previous) }, 200)).res
    t.same(back.json<PageJson<PartnerJson>>().results.map((p) => p.id), page1.results.map((p) => p.id), 'previous leads back to the first page')
  })

  await t.test('GET /conversations/?archived=true pages', async (t) => {
    const url = '/api/dm/conversations/?archived=true'
    const first = await explained(t, 'GET /conversations/?archived=true (first page)', heavy, { method: 'GET', url }, 200)
    await usesListIndex(t, 'GET /conversations/?archived=true (first page)', first.statements, true)
    const page1 = first.res.json<PageJson<PartnerJson & { archived: boolean }>>()
    t.equal(page1.results.length, 50, 'a full first page')
    t.ok(page1.results.every((entry) => entry.archived && entry.id % 5 === 0), 'of archived conversations only')
    if (page1.next === null) throw new Error('no next page')
    const second = await explained(t, 'GET /conversations/?archived=true (next page)', heavy, { method: 'GET', url: pathOf(page1.next) }, 200)
    await usesListIndex(t, 'GET /conversations/?archived=true (next page)', second.statements, true)
    t.equal(second.res.json<PageJson<PartnerJson>>().results.length, 30, 'the other 30 of the 80')
  })
}

/**
 * Muting and archiving, and their undoing: one UPDATE of the caller's dm_conversation row, which
 * `findsTheRow` checks (in its plan) is found through an index.
 */
export async function muteAndArchive (t: Test, { run: { explained, isPluginStatement }, heavy }: Scenarios,
  findsTheRow: (t: Test, label: string, statement: Statement) => Promise<void>): Promise<void> {
  await t.test('mute and archive: one UPDATE of the caller\'s row', async (t) => {
    for (const what of ['mute', 'archive'] as const) {
      const url = `/api/dm/conversations/${BIG_PARTNER}/${what}/`
      for (const method of ['PUT', 'DELETE'] as const) {
        const { statements } = await explained(t, `${method} ${url}`, heavy, { method, url }, 204)
        const updates = statements.filter((statement) => isPluginStatement(statement.query))
        t.same(updates.map((statement) => oneLine(statement.query).split(' SET ')[0]), ['UPDATE dm_conversation'], `${method} ${url}: one statement, an UPDATE of dm_conversation`)
        for (const statement of updates) await findsTheRow(t, `${method} ${url}`, statement)
      }
    }
    await explained(t, 'PUT /conversations/<no conversation>/mute/ (404)', heavy, { method: 'PUT', url: `/api/dm/conversations/${BACKGROUND_FIRST}/mute/` }, 404)
  })
}

/** The unread counts: in all, and by conversation. */
export async function unreadCounts (t: Test, { run: { explained }, heavy }: Scenarios): Promise<void> {
  await t.test('GET /unread/', async (t) => {
    const { res } = await explained(t, 'GET /unread/', heavy, { method: 'GET', url: '/api/dm/unread/' }, 200)
    t.ok(res.json<{ count: number }>().count > 0, 'unread messages')
  })

  await t.test('GET /conversations/unread/', async (t) => {
    const { res } = await explained(t, 'GET /conversations/unread/', heavy, { method: 'GET', url: '/api/dm/conversations/unread/' }, 200)
    t.ok(res.json<unknown[]>().length > 100, 'many partners with unread messages')
  })
}

/**
 * The big conversation page by page, the first page marking its messages read: it may issue `max`
 * statements, among them `expect`.
 */
export async function conversationPages (t: Test, { db, run: { explained }, heavy, placeholder }: Scenarios, { max, expect }: { max: number, expect: readonly RegExp[] }): Promise<void> {
  await t.test(`GET /conversations/${BIG_PARTNER}/ pages, the first one marking read`, async (t) => {
    const [before] = await db.sql<{ unread_count: number }>(`SELECT unread_count FROM dm_conversation WHERE owner_id = ${placeholder(1)} AND partner_id = ${placeholder(2)}`, [HEAVY, BIG_PARTNER])
    t.ok((before?.unread_count ?? 0) > 0, `${before?.unread_count} unread before`)
    const url = `/api/dm/conversations/${BIG_PARTNER}/`
    const first = await explained(t, `GET ${url} (first page, marks read)`, heavy, { method: 'GET', url }, 200, { max, expect })
    t.ok(issued(first.statements, /^UPDATE dm_message SET read_at/), 'the messages were marked read')
    t.ok(issued(first.statements, /^UPDATE dm_conversation SET unread_count/), 'and the conversation row')
    const page1 = first.res.json<PageJson<MessageJson>>()
    t.equal(page1.results.length, 50, 'a full first page')
    if (page1.next === null) throw new Error('no next page')
    const second = await explained(t, `GET ${url} (next page)`, heavy, { method: 'GET', url: pathOf(page1.next) }, 200)
    const page2 = second.res.json<PageJson<MessageJson>>()
    t.equal(page2.results.length, 50, 'a full second page')
    t.ok((page2.results[0]?.id ?? Infinity) < (page1.results[49]?.id ?? 0), 'older messages')
    if (page2.previous === null) throw new Error('no previous page')
    const back = await explained(t, `GET ${url} (previous page)`, heavy, { method: 'GET', url: pathOf(page2.previous) }, 200)
    t.same(back.res.json<PageJson<MessageJson>>().results.map((m) => m.id), page1.results.map((m) => m.id), 'previous leads back to the first page')
  })
}

/** The list of blocks, a block and its undoing. */
export async function blocks (t: Test, { run: { explained }, heavy, placeholder, blockInsert }: Scenarios): Promise<void> {
  const param = (n: number): string => paramPattern(placeholder, n)
  await t.test('blocks: the list, block, unblock', async (t) => {
    const listed = new RegExp(`^SELECT p\\.\\*, .* FROM \\( SELECT id, blocked_id FROM dm_block WHERE blocker_id = ${param(1)} AND id [<>] ${param(2)} ORDER BY id `)
    const first = await explained(t, 'GET /blocks/ (first page)', heavy, { method: 'GET', url: '/api/dm/blocks/' }, 200, { expect: [listed] })
    const page1 = first.res.json<PageJson<PartnerJson>>()
    t.equal(page1.results.length, 50, 'a full first page')
    t.equal(page1.results[0]?.id, USERS + HEAVY_BLOCKS, 'the most recent block first')
    if (page1.next === null) throw new Error('no next page')
    const second = await explained(t, 'GET /blocks/ (next page)', heavy, { method: 'GET', url: pathOf(page1.next) }, 200, { expect: [listed] })
    t.equal(second.res.json<PageJson<PartnerJson>>().results.length, 50, 'a full second page')
    const target = USERS + HEAVY_BLOCKS + 500
    await explained(t, 'POST /blocks/<id>/', heavy, { method: 'POST', url: `/api/dm/blocks/${target}/` }, 201, { expect: [blockInsert] })
    await explained(t, 'DELETE /blocks/<id>/', heavy, { method: 'DELETE', url: `/api/dm/blocks/${target}/` }, 204, {
      expect: [new RegExp(`^DELETE FROM dm_block WHERE blocker_id = ${param(1)} AND blocked_id = ${param(2)}$`)]
    })
  })
}

/**
 * A resuming event stream of an instance with presence (the changes after Last-Event-ID, its user's
 * arrival), GET /presence/, and the stream's departure: `opening` and `closing` are the statements
 * that must be among those EXPLAINed of the arrival and of the departure.
 */
export async function streamWithPresence (t: Test, { db, run, heavy, placeholder }: Scenarios,
  { opening: openingExpected, closing: closingExpected, audience }: { opening: readonly RegExp[], closing: readonly RegExp[], audience: RegExp }): Promise<void> {
  await t.test('a resuming event stream of an instance with presence, its user\'s arrival and departure, GET /presence/', async (t) => {
    // Presence on, its timers a third of presenceTimeout away (days): nothing but these requests and streams issues statements.
    const live = await listening(db, { directMessages: { presenceTimeout: 2 ** 31 - 1 } })
    t.teardown(() => live.app.close())
    // Ids as text: PostgreSQL answers bigint as a string, MariaDB as a number or a BigInt.
    const [resume] = await db.sql<{ id: unknown }>(`SELECT id FROM dm_change WHERE user_id = ${placeholder(1)} ORDER BY dm_change.id DESC LIMIT 1 OFFSET 600`, [HEAVY])
    const [latest] = await db.sql<{ id: unknown }>(`SELECT MAX(id) AS id FROM dm_change WHERE user_id = ${placeholder(1)}`, [HEAVY])
    if (resume === undefined || latest === undefined) throw new Error('no changes')
    const resumeId = String(resume.id)
    const latestId = String(latest.id)

    const opening: Statement[] = []
    run.record(opening)
    const stream = await openStream(live.base, '/api/dm/events/', { ...heavy.headers, 'last-event-id': resumeId })
    t.teardown(() => stream.close())
    t.equal(stream.status, 200, 'the stream opens')
    try {
      await stream.until(() => stream.lastEventId === latestId, 10_000)
      // The arrival: written after a batch delay, then told to the online among the user's recent partners.
      await eventually('the arrival announced', () => countOf(opening, audience) > 0, 10_000)
    } finally {
      run.stopRecording()
    }
    t.ok(stream.frames.length > 100, `${stream.frames.length} frames of the changes replayed`)
    t.equal(countOf(opening, CHANGES), 2, 'the 600 changes after Last-Event-ID read in two reads of 500')
    await run.explainAll(t, 'a stream resuming with Last-Event-ID, and its user\'s arrival', opening, openingExpected)

    const ids = Array.from({ length: 100 }, (_, i) => BIG_PARTNER + i)
    const read = await run.explained(t, 'GET /presence/?ids=<100 ids>', heavy, { method: 'GET', url: `/api/dm/presence/?ids=${ids.join(',')}` }, 200, { expect: [PRESENCE_READ], via: live.app })
    const entries = read.res.json<Array<{ id: number, online: boolean }>>()
    t.same(entries.map((entry) => entry.id), ids, 'an entry per id asked, in order')
    t.ok(entries.filter((entry) => entry.online).length > 90, 'the partners online elsewhere read online')

    const closing: Statement[] = []
    run.record(closing)
    try {
      stream.close()
      await eventually('the departure announced', () => countOf(closing, audience) > 0, 10_000)
    } finally {
      run.stopRecording()
    }
    await run.explainAll(t, 'the departure of a stream\'s user', closing, closingExpected)
    await live.app.close()
  })
}

/**
 * An instance's timers: the presence refresh and sweep (of DEAD_INSTANCE's expired rows), and the
 * change log's pruning, awaited for up to `timeout` ms; `expect` must be among the statements EXPLAINed.
 */
export async function timers (t: Test, { db, run, bigPartner, placeholder }: Scenarios,
  { expect, audience, refresh, timeout }: { expect: readonly RegExp[], audience: RegExp, refresh: RegExp, timeout: number }): Promise<void> {
  await t.test('an instance\'s timers: the presence refresh and sweep, the change log\'s pruning', async (t) => {
    // A refresh and a sweep every second (a third of presenceTimeout); a pruning every second too.
    const timed = await listening(db, { directMessages: { presenceTimeout: 3000, changeRetention: 1000 } })
    t.teardown(() => timed.app.close())
    const [dead] = await db.sql<{ expired: unknown }>(`SELECT COUNT(*) AS expired FROM dm_presence WHERE instance_id = ${placeholder(1)}`, [DEAD_INSTANCE])
    t.equal(Number(dead?.expired), ALL_USERS / 1000, `${Number(dead?.expired)} expired rows of a dead instance`)
    const statements: Statement[] = []
    run.record(statements)
    // A stream, so that the instance has a row to refresh.
    const stream = await openStream(timed.base, '/api/dm/events/', bigPartner.headers)
    t.teardown(() => stream.close())
    try {
      t.equal(stream.status, 200, 'the stream opens')
      // The sweep's departures are announced: their last_seen_at written, their audience read.
      await eventually('a refresh, a sweep and a pruning', () => countOf(statements, refresh) > 0 && countOf(statements, PRESENCE_SWEEP) > 0 &&
        countOf(statements, LAST_SEEN) > 0 && countOf(statements, PRESENCE_LIVE) > 1 && countOf(statements, audience) > 1 && countOf(statements, PRUNE) > 0, timeout)
    } finally {
      run.stopRecording()
    }
    stream.close()
    await timed.app.close()
    t.same(await db.sql(`SELECT user_id FROM dm_presence WHERE instance_id = ${placeholder(1)}`, [DEAD_INSTANCE]), [], 'the dead instance\'s rows swept')
    await run.explainAll(t, 'an instance\'s timers', statements, expect)
  })
}

/**
 * A message id beyond 2^31 survives the round trip: `restart` moves the id counter (the database's
 * `counter`) so that the next id is 3,000,000,001, and `storedIds` reads the ids of the messages of
 * a content (its parameter), as text.
 */
export async function idsBeyond2to31 (t: Test, { db, app }: Scenarios, { restart, counter, storedIds }: { restart: string, counter: string, storedIds: string }): Promise<void> {
  await t.test('message ids beyond 2^31', async (t) => {
    await db.sql(restart)
    const alice = testUser(BACKGROUND_FIRST + 98)
    const bob = testUser(BACKGROUND_FIRST + 99)
    const res = await as(app, alice, { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: { content: 'beyond 2^31' } })
    t.equal(res.statusCode, 201, 'POST /send/ answers 201')
    const message = res.json<MessageJson>()
    t.ok(message.id > 2 ** 31, `id ${message.id} > 2^31`)
    t.equal(message.id, 3_000_000_001, `the next value of the ${counter}`)
    t.same(await db.sql(storedIds, ['beyond 2^31']), [{ id: '3000000001' }], 'stored as such')
    const page = await getJson<PageJson<MessageJson>>(app, bob, `/api/dm/conversations/${alice.id}/`)
    t.match(page.results[0], { id: message.id, sender: alice.id, content: 'beyond 2^31', direction: 'in' }, 'GET of the conversation answers it with that id')
    const list = await getJson<PageJson<PartnerJson>>(app, bob, '/api/dm/conversations/')
    t.equal(list.results[0]?.id, alice.id, 'the conversation list orders by it')
    const deleted = await as(app, alice, { method: 'DELETE', url: `/api/dm/messages/${message.id}/` })
    t.equal(deleted.statusCode, 204, 'DELETE answers 204')
    const after = await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${bob.id}/`)
    t.notOk(after.results.some((m) => m.id === message.id), 'hidden for the sender')
  })
}

/**
 * Within the rich messages' test: a thread of the heavy user's in the big conversation, each
 * message answering the one before and carrying reactions of both participants; its page and the
 * conversation list EXPLAINed (`reactionsRead` the statement reading the reactions). Answers the
 * id of the thread's last message.
 */
export async function replyThread (t: Test, { app, run: { explained }, heavy }: Scenarios, reactionsRead: RegExp): Promise<number> {
  const dm = app.directMessages
  let previous: number | undefined
  for (let i = 0; i < 60; i++) {
    const message = await dm.send(HEAVY, BIG_PARTNER, `thread ${i}`, previous === undefined ? {} : { replyTo: previous })
    await dm.react(HEAVY, message.id, '👍')
    await dm.react(BIG_PARTNER, message.id, '❤️')
    previous = message.id
  }
  const url = `/api/dm/conversations/${BIG_PARTNER}/`
  const page = await explained(t, `GET ${url} (replies and reactions)`, heavy, { method: 'GET', url }, 200, {
    expect: [reactionsRead, /^SELECT id, sender_id, content, unsent_at FROM dm_message WHERE id IN/]
  })
  t.equal(countOf(page.statements, reactionsRead), 1, 'the page\'s reactions in one statement')
  t.ok(issued(page.statements, /FROM dm_message WHERE id IN/), 'the previews in one statement')
  await explained(t, 'GET /conversations/ (a last message with a reply and reactions)', heavy, { method: 'GET', url: '/api/dm/conversations/' }, 200, { expect: [reactionsRead] })
  return previous as number
}
