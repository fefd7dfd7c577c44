// Query plans on PostgreSQL over a realistic volume: a heavy user with tens of thousands of messages
// across hundreds of partners, among background traffic, and every other plugin table seeded at a
// volume where only an index spares a sequential scan (reactions, edits, the change log, blocks,
// presence rows, tens of thousands of dm_user rows). Every statement the plugin issues on its tables
// (dm_*) for the heavy user's requests, its event streams, and an instance's presence and pruning
// timers is EXPLAINed with its real parameters, and none may read a dm_* table with a sequential
// scan. Also: message ids beyond 2^31 survive the round trip on PostgreSQL.
import t, { type Test } from 'tap'
import { changesStatement, positionStatement } from '../../src/core/change-log.js'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { MARKER, openDatabase, PG_ADMIN_URL, postgresReachable, statementsReported, type TestDatabase } from '../helpers/databases.js'
import { as, getJson, pathOf, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from '../helpers/app.js'
import { listening } from '../helpers/instances.js'
import { openStream } from '../helpers/sse.js'
import { eventually } from '../helpers/wait.js'

/** The heavy user, and the partner with whom they have thousands of messages. */
const HEAVY = 1
const BIG_PARTNER = 2
/** The heavy user's other partners are 3..401; background users are 402..1000. */
const HEAVY_PARTNERS = 400
const BACKGROUND_FIRST = 402
const USERS = 1000
const HEAVY_MESSAGES = 36_000
const BACKGROUND_MESSAGES = 20_000
/**
 * Users USERS+1..ALL_USERS never message: they have dm_user rows (they once held a stream), each
 * blocks one user, and most are online on other instances (dm_presence).
 */
const ALL_USERS = 20_000
/** The heavy user blocks the first HEAVY_BLOCKS of them. */
const HEAVY_BLOCKS = 120
/** Other instances holding the presence rows of the idle and background users. */
const INSTANCES = 20
/** An instance that died: its rows (users whose id is a multiple of 1000) expired an hour ago. */
const DEAD_INSTANCE = 'dead-instance'
/**
 * Statements one request may issue, whatever the data volume (authentication included; a write
 * also locks its users' dm_user rows and records its change in the change log).
 */
const MAX_STATEMENTS = 7
/**
 * The same for a change of a message (edit, unsend, reaction): its transaction locks the users and
 * the row, checks, writes, records the change, and the answer shows the message with its reply
 * preview and reactions.
 */
const MAX_CHANGE_STATEMENTS = 10
/**
 * The same for a page that marks read: the page with its messages' previews and reactions, then
 * the transaction that marks (locks, change log, the messages, the conversation row, and the
 * marked messages' previews and reactions).
 */
const MAX_MARKING_STATEMENTS = 12

/** Statements of the plugin's, one line each (see oneLine), that the tests look for among those EXPLAINed. */
const SEND = /^WITH locked AS \( INSERT INTO dm_user \(user_id\) VALUES /
const REACTIONS_READ = /^SELECT message_id, emoji AS emoji, COUNT\(\*\) AS count, .* FROM dm_reaction WHERE message_id IN \(/
const LOCK_USERS = /^INSERT INTO dm_user \(user_id\) VALUES /
const LOCK_PARTICIPANTS = /^INSERT INTO dm_user \(user_id\) SELECT user_id FROM \( SELECT sender_id AS user_id FROM dm_message /
const STREAM_POSITION = /^SELECT \(SELECT COUNT\(\*\) FROM dm_change WHERE user_id = \$1 AND id = \$2\) AS found, /
const CHANGES = /^SELECT c\.id AS change_id, .* FROM dm_change c LEFT JOIN dm_message m ON m\.id = c\.message_id /
const PRESENCE_LIVE = /^SELECT DISTINCT user_id FROM dm_presence WHERE user_id IN \(/
const PRESENCE_ARRIVE = /^INSERT INTO dm_presence \(user_id, instance_id, seen_at\) VALUES /
const PRESENCE_LEAVE = /^DELETE FROM dm_presence WHERE instance_id = \$1 AND user_id IN \(/
const LAST_SEEN = /^UPDATE dm_user SET last_seen_at = /
const AUDIENCE = /^SELECT owner_id, partner_id FROM \(\s?SELECT o\.user_id AS owner_id, c\.partner_id FROM dm_user o CROSS JOIN LATERAL \(/
const PRESENCE_READ = /^SELECT u\.user_id, u\.last_seen_at, MAX\(p\.seen_at\) AS seen FROM dm_user u LEFT JOIN dm_presence p ON p\.user_id = u\.user_id /
const PRESENCE_REFRESH = /^UPDATE dm_presence SET seen_at = .* WHERE instance_id = \$\d+$/
const PRESENCE_SWEEP = /^DELETE FROM dm_presence WHERE seen_at <= /
const PRUNE_READ = /^SELECT id, user_id, created_at FROM dm_change WHERE id > \$1 ORDER BY id LIMIT \$2$/
const PRUNE_NEWEST = /^SELECT MAX\(id\) AS newest FROM dm_change WHERE user_id = /
const PRUNE = /^DELETE FROM dm_change WHERE id IN \(/

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  Operation?: string
  Plans?: PlanNode[]
  [field: string]: unknown
}

interface Statement {
  query: string
  params: string
}

interface Explained {
  res: LightMyRequestResponse
  statements: Statement[]
  /** The statements EXPLAINed, one line each. */
  explained: string[]
}

interface ExplainOptions {
  /** Statements the request may issue in all (default MAX_STATEMENTS). */
  max?: number
  /** Statements (one line, see oneLine) that must be among those EXPLAINed. */
  expect?: readonly RegExp[]
  /** The application asked (default the one without presence). */
  via?: FastifyInstance
}

function testUser (id: number): TestUser {
  const token = `explain-token-${id}`
  return { id, username: `user${id}`, token, headers: { authorization: `Token ${token}` } }
}

function oneLine (sql: string): string {
  return sql.replace(/\s+/g, ' ').trim()
}

/** `text` cut to `length` characters, for a message (the diagnostics carry it whole). */
function brief (text: string, length = 200): string {
  return text.length > length ? `${text.slice(0, length)}…` : text
}

/** A name of one of the plugin's tables. */
const PLUGIN_TABLE = /\bdm_(message|conversation|user|block|message_edit|reaction|change|presence)\b/

/** Statements on the plugin's own tables; not the host's user table, not transaction control. */
function isPluginStatement (sql: string): boolean {
  // The example's token lookup is not the plugin's; the plugin's list statements join app_user (partners' names).
  return PLUGIN_TABLE.test(sql) && !/FROM app_user WHERE token\b/.test(sql) && !/^\s*(BEGIN|COMMIT|ROLLBACK)\b/i.test(sql)
}

/**
 * Sequential scans of a plugin table that are right by construction (a table tiny whatever the
 * data), each with its reason. None: every dm_* table grows with users or messages.
 */
const SEQ_SCANS_ALLOWED: ReadonlyArray<{ table: string, statement: RegExp, why: string }> = []

/** The plan's sequential scans of plugin tables that no entry of SEQ_SCANS_ALLOWED excuses. */
function seqScansOf (plan: PlanNode, sql: string): PlanNode[] {
  return flatten(plan).filter((node) => node['Node Type'] === 'Seq Scan' && String(node['Relation Name']).startsWith('dm_') &&
    !SEQ_SCANS_ALLOWED.some((allowed) => allowed.table === node['Relation Name'] && allowed.statement.test(sql)))
}

function flatten (node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)]
}

/** A plan tree as one line: `Limit [Index Scan on dm_message using dm_message_conversation_idx]`. */
function render (node: PlanNode): string {
  let text = node['Node Type']
  if (node.Operation !== undefined) text += ` (${node.Operation})`
  if (node['Relation Name'] !== undefined) text += ` on ${node['Relation Name']}`
  if (node['Index Name'] !== undefined) text += ` using ${node['Index Name']}`
  const children = node.Plans ?? []
  return children.length === 0 ? text : `${text} [${children.map(render).join(', ')}]`
}

/** A plan node without its children, for a failure message. */
function fieldsOf (node: PlanNode): Record<string, unknown> {
  return Object.fromEntries(Object.entries(node).filter(([key]) => key !== 'Plans'))
}

/**
 * Seeds, with set-based SQL only, ALL_USERS users, HEAVY_MESSAGES messages of the heavy user (one in
 * six with BIG_PARTNER, the rest spread over 399 other partners; half sent, half received; recent
 * inbound ones unread; a few hidden by either side) interleaved with BACKGROUND_MESSAGES among the
 * background users, and the conversation rows derived from those messages (80 of the heavy user's
 * archived, 57 muted); then the other tables at a volume of their own (see seedOthers); then ANALYZE.
 */
async function seed (db: TestDatabase): Promise<void> {
  await db.sql(`
    INSERT INTO app_user (id, username, first_name, last_name, token)
    SELECT g, 'user' || g, 'First' || g, 'Last' || g, 'explain-token-' || g FROM generate_series(1, ${ALL_USERS}) g`)
  await db.sql(`SELECT setval(pg_get_serial_sequence('app_user', 'id'), ${ALL_USERS})`)
  await db.sql(`
    INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, read_at, deleted_by_sender, deleted_by_recipient)
    SELECT s, r, LEAST(s, r), GREATEST(s, r), content, sent, CASE WHEN unread THEN NULL ELSE sent + interval '1 minute' END,
           g % 101 = 0, g % 103 = 0
    FROM (
      SELECT g, g * 2.0 AS k, 'heavy ' || g AS content,
             CASE WHEN g % 4 < 2 THEN ${HEAVY} ELSE p END AS s,
             CASE WHEN g % 4 < 2 THEN p ELSE ${HEAVY} END AS r,
             g > CASE WHEN g % 4 < 2 THEN ${HEAVY_MESSAGES * 5 / 6} ELSE ${HEAVY_MESSAGES * 2 / 3} END AS unread
      FROM (
        SELECT g, CASE WHEN g % 6 = 0 THEN ${BIG_PARTNER} ELSE ${BIG_PARTNER + 1} + (g * 7919) % ${HEAVY_PARTNERS - 1} END AS p
        FROM generate_series(1, ${HEAVY_MESSAGES}) g
      ) heavy
      UNION ALL
      SELECT g, g * ${(HEAVY_MESSAGES * 2) / BACKGROUND_MESSAGES}, 'background ' || g,
             ${BACKGROUND_FIRST} + (g * 7919) % ${USERS - BACKGROUND_FIRST + 1},
             ${BACKGROUND_FIRST} + ((g * 7919) % ${USERS - BACKGROUND_FIRST + 1} + 1 + (g * 6151) % ${USERS - BACKGROUND_FIRST}) % ${USERS - BACKGROUND_FIRST + 1},
             g > ${BACKGROUND_MESSAGES * 4 / 5}
      FROM generate_series(1, ${BACKGROUND_MESSAGES}) g
    ) seed
    CROSS JOIN LATERAL (SELECT timestamp '2026-01-01' + k * interval '1 second' AS sent) stamped
    ORDER BY k`)
  // One row per participant: the newest message the owner has not hidden, and the inbound
  // messages the owner has neither read nor hidden.
  await db.sql(`
    INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
    SELECT owner_id, partner_id, MAX(id) FILTER (WHERE NOT hidden),
           COUNT(*) FILTER (WHERE inbound AND read_at IS NULL AND NOT hidden)
    FROM (
      SELECT sender_id AS owner_id, recipient_id AS partner_id, id, read_at, false AS inbound, deleted_by_sender AS hidden FROM dm_message
      UNION ALL
      SELECT recipient_id, sender_id, id, read_at, true, deleted_by_recipient FROM dm_message
    ) sides
    GROUP BY owner_id, partner_id`)
  // The heavy user archived one conversation in five and muted one in seven.
  await db.sql(`UPDATE dm_conversation SET archived = (partner_id % 5 = 0), muted = (partner_id % 7 = 0) WHERE owner_id = ${HEAVY}`)
  await seedOthers(db)
  await db.sql('ANALYZE')
}

/**
 * The other tables, from the messages and users: a dm_user row for every user; reactions on one
 * message of the heavy user's in ten (the recipient's, and on one in twenty the sender's too), and
 * four of each participant on every background message (~165,000 rows, with the messages'
 * reaction_count to match: a page reads reactions only of messages that have some); one or two earlier versions of one message in seven (~12,000
 * rows, with edited_at); the change log of every message for both of its users, old to new
 * (~112,000 rows); each idle user blocking someone, and the heavy user blocking HEAVY_BLOCKS idle
 * users (~19,000 rows); and one presence row of every user but the first two: on one of INSTANCES
 * live instances (seen an hour ahead: refreshed for as long as this runs), or for users whose id is
 * a multiple of 1000, only on DEAD_INSTANCE, expired (~20,000 rows).
 */
async function seedOthers (db: TestDatabase): Promise<void> {
  await db.sql(`INSERT INTO dm_user (user_id) SELECT g FROM generate_series(1, ${ALL_USERS}) g`)
  await db.sql(`
    INSERT INTO dm_reaction (message_id, user_id, emoji, created_at)
    SELECT id, user_id, emoji, sent_at + interval '2 minutes'
    FROM (
      SELECT id, recipient_id AS user_id, 0 AS side, (ARRAY['👍', '❤️', '😂', '🎉'])[1 + (id % 4)::int] AS emoji, sent_at
      FROM dm_message WHERE sender_id < ${BACKGROUND_FIRST} AND id % 10 = 0
      UNION ALL
      SELECT id, sender_id, 1, (ARRAY['👍', '❤️', '😂', '🎉'])[1 + ((id + 1) % 4)::int], sent_at
      FROM dm_message WHERE sender_id < ${BACKGROUND_FIRST} AND id % 20 = 0
      UNION ALL
      SELECT id, user_id, side, emoji, sent_at
      FROM dm_message CROSS JOIN LATERAL (VALUES (recipient_id, 0), (sender_id, 1)) participants (user_id, side)
      CROSS JOIN unnest(ARRAY['👍', '❤️', '😂', '🎉']) emoji
      WHERE sender_id >= ${BACKGROUND_FIRST}
    ) reacting ORDER BY id, side, emoji`)
  await db.sql(`
    UPDATE dm_message m SET reaction_count = r.n
    FROM (SELECT message_id, COUNT(*) AS n FROM dm_reaction GROUP BY message_id) r WHERE m.id = r.message_id`)
  await db.sql(`
    INSERT INTO dm_message_edit (message_id, content, edited_at)
    SELECT id, 'version ' || v || ' of ' || id, sent_at + v * interval '1 minute'
    FROM dm_message CROSS JOIN LATERAL generate_series(1, 1 + (id % 2)::int) v WHERE id % 7 = 0 ORDER BY id, v`)
  await db.sql('UPDATE dm_message SET edited_at = sent_at + interval \'3 minutes\' WHERE id % 7 = 0')
  await db.sql(`
    INSERT INTO dm_change (user_id, kind, message_id, partner_id, created_at)
    SELECT user_id, 1, id, partner_id, sent_at FROM (
      SELECT sender_id AS user_id, recipient_id AS partner_id, id, sent_at FROM dm_message
      UNION ALL
      SELECT recipient_id, sender_id, id, sent_at FROM dm_message
    ) sides ORDER BY id`)
  await db.sql(`
    INSERT INTO dm_block (blocker_id, blocked_id, created_at)
    SELECT g, b, timestamp '2026-01-01' + g * interval '1 minute'
    FROM (SELECT g, 1 + (g * 7919) % ${ALL_USERS} AS b FROM generate_series(${USERS + 1}, ${ALL_USERS}) g) pairs WHERE b <> g
    UNION ALL
    SELECT ${HEAVY}, g, timestamp '2026-02-01' + g * interval '1 minute' FROM generate_series(${USERS + 1}, ${USERS + HEAVY_BLOCKS}) g`)
  await db.sql(`
    INSERT INTO dm_presence (user_id, instance_id, seen_at)
    SELECT g, CASE WHEN g % 1000 = 0 THEN '${DEAD_INSTANCE}' ELSE 'instance-' || (g % ${INSTANCES}) END,
           (now() AT TIME ZONE 'UTC') + CASE WHEN g % 1000 = 0 THEN interval '-1 hour' ELSE interval '1 hour' END
    FROM generate_series(${BIG_PARTNER + 1}, ${ALL_USERS}) g`)
}

t.test('query plans of a heavy user\'s requests [postgresql]', async (t) => {
  if (!(await postgresReachable())) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is unreachable; on CI the PostgreSQL tests must run`)
    t.test('query plans', { skip: `PostgreSQL at ${PG_ADMIN_URL} is unreachable (set DM_TEST_PG_URL)` }, async () => {})
    return
  }
  const db = await openDatabase('postgresql', 'explain', { logQueries: true })
  t.teardown(() => db.close())
  const started = Date.now()
  await seed(db)
  t.comment(`seeded in ${Date.now() - started} ms`)
  // No presence timers: their statements would count against whatever request is running.
  const app = await startApp(db, { directMessages: { presence: false } })
  t.teardown(() => app.close())

  let recording: Statement[] | null = null
  db.prisma.$on('query', (event) => { recording?.push({ query: event.query, params: event.params }) })

  const heavy = testUser(HEAVY)
  const bigPartner = testUser(BIG_PARTNER)

  /**
   * EXPLAINs each of `statements` on the plugin's tables with its parameters: none may read a dm_*
   * table with a sequential scan, and each of `expect` must be among them. Answers them, one line each.
   */
  async function explainAll (t: Test, label: string, statements: readonly Statement[], expect: readonly RegExp[] = []): Promise<string[]> {
    const plugin = statements.filter((statement) => isPluginStatement(statement.query))
    const explained: string[] = []
    for (const [index, statement] of plugin.entries()) {
      const sql = oneLine(statement.query)
      const params = JSON.parse(statement.params) as unknown[]
      const rows = await db.sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${statement.query}`, params)
      const plan = rows[0]?.['QUERY PLAN'][0]?.Plan
      if (plan === undefined) {
        t.fail(`${label}: no plan for ${sql}`)
        continue
      }
      explained.push(sql)
      t.comment(`${label} #${index + 1}: ${brief(sql, 90)}\n    ${render(plan)}`)
      const seqScans = seqScansOf(plan, sql)
      t.equal(seqScans.length, 0, seqScans.length === 0
        ? `${label}, statement ${index + 1}: no Seq Scan on a dm_* table`
        : `${label}: Seq Scan on ${seqScans.map((node) => node['Relation Name']).join(', ')} in "${brief(sql)}" (params ${brief(statement.params)}): ${brief(JSON.stringify(fieldsOf(seqScans[0] as PlanNode)), 400)}`,
      { sql, params, plan: render(plan) })
    }
    t.ok(plugin.length > 0 && explained.length === plugin.length, `${label}: all ${explained.length} statements on the plugin's tables explained`)
    for (const pattern of expect) {
      t.ok(explained.some((sql) => pattern.test(sql)), `${label}: explained ${String(pattern)}`, { explained })
    }
    return explained
  }

  /** Runs the request as `user`, then EXPLAINs each statement it issued on the plugin's tables. */
  async function explained (t: Test, label: string, user: TestUser, options: InjectOptions, status: number, { max = MAX_STATEMENTS, expect = [], via = app }: ExplainOptions = {}): Promise<Explained> {
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
    t.equal(res.statusCode, status, `${label} answers ${status}`)
    t.ok(statements.length <= max, `${label}: ${statements.length} statements in all (at most ${max})`,
      { statements: statements.map((statement) => oneLine(statement.query)) })
    return { res, statements, explained: await explainAll(t, label, statements, expect) }
  }

  const issued = (statements: Statement[], pattern: RegExp): boolean => statements.some((statement) => pattern.test(oneLine(statement.query)))

  await t.test('the seeded volume', async (t) => {
    const [totals] = await db.sql<{ messages: number, heavy: number, partners: number, big: number, unread: number, unmuted: number }>(`
      SELECT COUNT(*)::int AS messages,
             COUNT(*) FILTER (WHERE ${HEAVY} IN (sender_id, recipient_id))::int AS heavy,
             COUNT(DISTINCT CASE WHEN sender_id = ${HEAVY} THEN recipient_id WHEN recipient_id = ${HEAVY} THEN sender_id END)::int AS partners,
             COUNT(*) FILTER (WHERE user_low_id = ${HEAVY} AND user_high_id = ${BIG_PARTNER})::int AS big,
             COUNT(*) FILTER (WHERE recipient_id = ${HEAVY} AND read_at IS NULL AND NOT deleted_by_recipient)::int AS unread,
             COUNT(*) FILTER (WHERE recipient_id = ${HEAVY} AND read_at IS NULL AND NOT deleted_by_recipient AND sender_id % 7 <> 0)::int AS unmuted
      FROM dm_message`)
    t.ok((totals?.messages ?? 0) >= 50_000, `${totals?.messages} messages`)
    t.ok((totals?.heavy ?? 0) >= 30_000, `${totals?.heavy} of them the heavy user's`)
    t.equal(totals?.partners, HEAVY_PARTNERS, 'across 400 partners')
    t.ok((totals?.big ?? 0) >= 5000, `${totals?.big} with the big partner`)
    t.ok((totals?.unread ?? 0) >= 5000, `${totals?.unread} unread by the heavy user`)
    t.same(await getJson(app, heavy, '/api/dm/unread/'), { id: HEAVY, count: totals?.unread, unmuted_count: totals?.unmuted }, 'the conversation rows agree with the messages')
    const [others] = await db.sql<Record<string, number>>(`
      SELECT (SELECT COUNT(*) FROM dm_user)::int AS dm_user, (SELECT COUNT(*) FROM dm_reaction)::int AS dm_reaction,
             (SELECT COUNT(*) FROM dm_message_edit)::int AS dm_message_edit, (SELECT COUNT(*) FROM dm_change)::int AS dm_change,
             (SELECT COUNT(*) FROM dm_block)::int AS dm_block, (SELECT COUNT(*) FROM dm_presence)::int AS dm_presence`)
    for (const [table, rows] of Object.entries(others ?? {})) t.ok(rows >= 10_000, `${rows} rows in ${table}`)
    const [reacted] = await db.sql<{ wrong: number }>(`
      SELECT COUNT(*)::int AS wrong FROM dm_message m
      WHERE reaction_count <> (SELECT COUNT(*) FROM dm_reaction r WHERE r.message_id = m.id)`)
    t.equal(reacted?.wrong, 0, 'every message\'s reaction_count agrees with its reactions')
  })

  /**
   * The list statement among `statements` reads dm_conversation with one index scan of `indexes`.
   * The archived list must range-scan dm_conversation_list_idx (owner_id, archived,
   * last_message_id DESC): archived rows are few among the owner's. For the main list, where
   * nearly every row qualifies, the planner may as well walk dm_conversation_recent_idx (owner_id,
   * last_message_id DESC) and filter: both read the page's rows in order.
   */
  async function usesListIndex (t: Test, label: string, statements: Statement[], indexes: string[]): Promise<void> {
    const list = statements.find((statement) => /FROM dm_conversation c JOIN dm_message m/.test(oneLine(statement.query)))
    if (list === undefined) {
      t.fail(`${label}: no list statement`)
      return
    }
    const rows = await db.sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${list.query}`, JSON.parse(list.params) as unknown[])
    const nodes = flatten(rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode).filter((node) => node['Relation Name'] === 'dm_conversation')
    t.ok(nodes.length === 1 && nodes[0]?.['Node Type'] === 'Index Scan' && indexes.includes(String(nodes[0]['Index Name'])),
      `${label}: one index scan of dm_conversation (${indexes.join(' or ')})`, { scans: nodes.map(fieldsOf) })
  }
  const MAIN_LIST_INDEXES = ['dm_conversation_list_idx', 'dm_conversation_recent_idx']
  const ARCHIVED_LIST_INDEXES = ['dm_conversation_list_idx']

  await t.test('GET /conversations/ pages', async (t) => {
    const firstRequest = await explained(t, 'GET /conversations/ (first page)', heavy, { method: 'GET', url: '/api/dm/conversations/' }, 200)
    await usesListIndex(t, 'GET /conversations/ (first page)', firstRequest.statements, MAIN_LIST_INDEXES)
    const page1 = firstRequest.res.json<PageJson<PartnerJson & { archived: boolean }>>()
    t.equal(page1.results.length, 50, 'a full first page')
    t.ok(page1.results.every((entry) => !entry.archived), 'of conversations not archived')
    if (page1.next === null) throw new Error('no next page')
    const secondRequest = await explained(t, 'GET /conversations/ (next page)', heavy, { method: 'GET', url: pathOf(page1.next) }, 200)
    await usesListIndex(t, 'GET /conversations/ (next page)', secondRequest.statements, MAIN_LIST_INDEXES)
    const page2 = secondRequest.res.json<PageJson<PartnerJson>>()
    t.equal(page2.results.length, 50, 'a full second page')
    if (page2.previous === null) throw new Error('no previous page')
    const back = (await explained(t, 'GET /conversations/ (previous page)', heavy, { method: 'GET', url: pathOf(page2.previous) }, 200)).res
    t.same(back.json<PageJson<PartnerJson>>().results.map((p) => p.id), page1.results.map((p) => p.id), 'previous leads back to the first page')
  })

  await t.test('GET /conversations/?archived=true pages', async (t) => {
    const url = '/api/dm/conversations/?archived=true'
    const first = await explained(t, 'GET /conversations/?archived=true (first page)', heavy, { method: 'GET', url }, 200)
    await usesListIndex(t, 'GET /conversations/?archived=true (first page)', first.statements, ARCHIVED_LIST_INDEXES)
    const page1 = first.res.json<PageJson<PartnerJson & { archived: boolean }>>()
    t.equal(page1.results.length, 50, 'a full first page')
    t.ok(page1.results.every((entry) => entry.archived && entry.id % 5 === 0), 'of archived conversations only')
    if (page1.next === null) throw new Error('no next page')
    const second = await explained(t, 'GET /conversations/?archived=true (next page)', heavy, { method: 'GET', url: pathOf(page1.next) }, 200)
    await usesListIndex(t, 'GET /conversations/?archived=true (next page)', second.statements, ARCHIVED_LIST_INDEXES)
    t.equal(second.res.json<PageJson<PartnerJson>>().results.length, 30, 'the other 30 of the 80')
  })

  await t.test('mute and archive: one UPDATE of the caller\'s row', async (t) => {
    for (const what of ['mute', 'archive'] as const) {
      const url = `/api/dm/conversations/${BIG_PARTNER}/${what}/`
      for (const method of ['PUT', 'DELETE'] as const) {
        const { statements } = await explained(t, `${method} ${url}`, heavy, { method, url }, 204)
        const updates = statements.filter((statement) => isPluginStatement(statement.query))
        t.same(updates.map((statement) => oneLine(statement.query).split(' SET ')[0]), ['UPDATE dm_conversation'], `${method} ${url}: one statement, an UPDATE of dm_conversation`)
        for (const statement of updates) {
          const rows = await db.sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${statement.query}`, JSON.parse(statement.params) as unknown[])
          const scans = flatten(rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode).filter((node) => node['Relation Name'] === 'dm_conversation' && node['Node Type'] !== 'ModifyTable')
          t.same(scans.map((node) => node['Index Name']), ['dm_conversation_pkey'], `${method} ${url}: finds the row by its key`)
        }
      }
    }
    await explained(t, 'PUT /conversations/<no conversation>/mute/ (404)', heavy, { method: 'PUT', url: `/api/dm/conversations/${BACKGROUND_FIRST}/mute/` }, 404)
  })

  await t.test('GET /unread/', async (t) => {
    const { res } = await explained(t, 'GET /unread/', heavy, { method: 'GET', url: '/api/dm/unread/' }, 200)
    t.ok(res.json<{ count: number }>().count > 0, 'unread messages')
  })

  await t.test('GET /conversations/unread/', async (t) => {
    const { res } = await explained(t, 'GET /conversations/unread/', heavy, { method: 'GET', url: '/api/dm/conversations/unread/' }, 200)
    t.ok(res.json<unknown[]>().length > 100, 'many partners with unread messages')
  })

  await t.test(`GET /conversations/${BIG_PARTNER}/ pages, the first one marking read`, async (t) => {
    const [before] = await db.sql<{ unread_count: number }>('SELECT unread_count FROM dm_conversation WHERE owner_id = $1 AND partner_id = $2', [HEAVY, BIG_PARTNER])
    t.ok((before?.unread_count ?? 0) > 0, `${before?.unread_count} unread before`)
    const url = `/api/dm/conversations/${BIG_PARTNER}/`
    const first = await explained(t, `GET ${url} (first page, marks read)`, heavy, { method: 'GET', url }, 200, { max: MAX_MARKING_STATEMENTS, expect: [REACTIONS_READ] })
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

  await t.test(`POST /send/${BIG_PARTNER}/ and DELETE /messages/<id>/`, async (t) => {
    const sent = await explained(t, `POST /send/${BIG_PARTNER}/`, heavy, { method: 'POST', url: `/api/dm/send/${BIG_PARTNER}/`, payload: { content: 'the newest' } }, 201, { expect: [SEND] })
    const message = sent.res.json<MessageJson>()
    const own = await explained(t, 'DELETE /messages/<own newest>/', heavy, { method: 'DELETE', url: `/api/dm/messages/${message.id}/` }, 204)
    t.ok(issued(own.statements, /^UPDATE dm_conversation SET last_message_id = \(/), 'the conversation row moved to the next message')
    const [conversation] = await db.sql<{ last_message_id: string }>('SELECT last_message_id FROM dm_conversation WHERE owner_id = $1 AND partner_id = $2', [HEAVY, BIG_PARTNER])
    t.ok(Number(conversation?.last_message_id) < message.id, 'to an older message')

    const [inbound] = await db.sql<{ id: string }>(
      'SELECT MAX(id) AS id FROM dm_message WHERE sender_id = $1 AND recipient_id = $2 AND NOT deleted_by_recipient', [BIG_PARTNER, HEAVY])
    const url = `/api/dm/messages/${inbound?.id}/`
    const received = await explained(t, 'DELETE /messages/<inbound>/', heavy, { method: 'DELETE', url }, 204)
    t.ok(issued(received.statements, /^UPDATE dm_message SET deleted_by_sender = .* deleted_by_recipient = /), 'hidden')
    t.ok(issued(received.statements, /^UPDATE dm_conversation SET unread_count/), 'and the conversation row updated')
    const again = await explained(t, 'DELETE /messages/<inbound>/ again', heavy, { method: 'DELETE', url }, 204)
    t.ok(issued(again.statements, /^SELECT id FROM dm_message WHERE id =/), 'already hidden')
    t.equal((await as(app, bigPartner, { method: 'GET', url: `/api/dm/conversations/${HEAVY}/` })).json<PageJson<MessageJson>>().results[0]?.id,
      message.id, 'the partner still sees the message the heavy user hid')
  })

  await t.test('mark read, a send with an Idempotency-Key, typing, deleting a conversation', async (t) => {
    const partners = await db.sql<{ partner_id: number }>(
      'SELECT partner_id FROM dm_conversation WHERE owner_id = $1 AND unread_count > 0 AND partner_id <> $2 ORDER BY partner_id LIMIT 2', [HEAVY, BIG_PARTNER])
    const [reading, deleting] = partners.map((row) => row.partner_id)
    if (reading === undefined || deleting === undefined) throw new Error('no partners with unread messages')
    const read = await explained(t, 'POST /conversations/<id>/read/', heavy, { method: 'POST', url: `/api/dm/conversations/${reading}/read/` }, 200, {
      max: MAX_CHANGE_STATEMENTS,
      expect: [LOCK_USERS, /^INSERT INTO dm_change \(user_id, kind, message_id, partner_id, created_at\) SELECT sender_id, 3, id, /, /^UPDATE dm_message SET read_at = /, /^UPDATE dm_conversation SET unread_count = unread_count - /]
    })
    t.ok(read.res.json<{ count: number }>().count > 0, 'messages marked read')

    const keyed = { method: 'POST', url: `/api/dm/send/${reading}/`, payload: { content: 'once' }, headers: { 'idempotency-key': 'explain-once' } } as const
    const byKey = /^SELECT id, sender_id, .* FROM dm_message WHERE sender_id = \$1 AND idempotency_key = \$2$/
    const first = await explained(t, 'POST /send/<id>/ with an Idempotency-Key', heavy, keyed, 201, { expect: [byKey, SEND] })
    const retry = await explained(t, 'POST /send/<id>/ with the same Idempotency-Key (a retry)', heavy, keyed, 201, { expect: [byKey] })
    t.equal(retry.res.json<MessageJson>().id, first.res.json<MessageJson>().id, 'the retry answers the message the first send stored')

    await explained(t, 'POST /conversations/<id>/typing/', heavy, { method: 'POST', url: `/api/dm/conversations/${reading}/typing/` }, 204, {
      expect: [/^SELECT blocker_id FROM dm_block WHERE \(blocker_id = \$1 AND blocked_id = \$2\) OR /]
    })

    const deleted = await explained(t, 'DELETE /conversations/<id>/', heavy, { method: 'DELETE', url: `/api/dm/conversations/${deleting}/` }, 204, {
      max: MAX_CHANGE_STATEMENTS,
      expect: [
        LOCK_USERS, /^UPDATE dm_message SET deleted_by_sender = .* WHERE user_low_id = \$\d+ AND user_high_id = /,
        /^UPDATE dm_conversation SET last_message_id = \(SELECT id FROM dm_message .*unread_count = \(SELECT COUNT\(\*\) FROM dm_message WHERE recipient_id = /,
        /^INSERT INTO dm_change \(user_id, kind, message_id, partner_id, created_at\) VALUES /
      ]
    })
    t.ok(deleted.explained.length >= 4, `${deleted.explained.length} statements of the delete explained`)
    const [row] = await db.sql<{ last_message_id: string | null, unread_count: number }>(
      'SELECT last_message_id, unread_count FROM dm_conversation WHERE owner_id = $1 AND partner_id = $2', [HEAVY, deleting])
    t.same(row, { last_message_id: null, unread_count: 0 }, 'the conversation row emptied')
  })

  await t.test('rich messages: replies, reactions, edits, unsend', async (t) => {
    // A thread of the heavy user's in the big conversation: each message answers the one before
    // and carries reactions of both participants.
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
      expect: [REACTIONS_READ, /^SELECT id, sender_id, content, unsent_at FROM dm_message WHERE id IN/]
    })
    t.equal(page.statements.filter((statement) => REACTIONS_READ.test(oneLine(statement.query))).length, 1, 'the page\'s reactions in one statement')
    t.ok(issued(page.statements, /FROM dm_message WHERE id IN/), 'the previews in one statement')
    await explained(t, 'GET /conversations/ (a last message with a reply and reactions)', heavy, { method: 'GET', url: '/api/dm/conversations/' }, 200, { expect: [REACTIONS_READ] })
    const id = previous as number
    const reaction = `/api/dm/messages/${id}/reactions/${encodeURIComponent('🎉')}/`
    const lock = /^SELECT id, sender_id, recipient_id, .* FROM dm_message WHERE id = \$\d+ AND \(sender_id = .* FOR UPDATE$/
    const record = /^INSERT INTO dm_change \(user_id, kind, message_id, partner_id, created_at\) VALUES/
    await explained(t, 'PUT /messages/<id>/reactions/<emoji>/', bigPartner, { method: 'PUT', url: reaction }, 200, {
      max: MAX_CHANGE_STATEMENTS, expect: [LOCK_PARTICIPANTS, lock, /^SELECT COUNT\(DISTINCT emoji\) AS kinds, .* FROM dm_reaction WHERE message_id = \$\d+$/, /^INSERT INTO dm_reaction /, record, REACTIONS_READ]
    })
    await explained(t, 'DELETE /messages/<id>/reactions/<emoji>/', bigPartner, { method: 'DELETE', url: reaction }, 200, {
      max: MAX_CHANGE_STATEMENTS, expect: [/^DELETE FROM dm_reaction WHERE message_id = \$1 AND user_id = \$2 AND emoji = \$3$/, record]
    })
    await explained(t, 'PATCH /messages/<id>/', heavy, { method: 'PATCH', url: `/api/dm/messages/${id}/`, payload: { content: 'edited' } }, 200, {
      max: MAX_CHANGE_STATEMENTS, expect: [/^INSERT INTO dm_message_edit /, /^UPDATE dm_message SET content = /, record]
    })
    const edits = await explained(t, 'GET /messages/<id>/edits/', bigPartner, { method: 'GET', url: `/api/dm/messages/${id}/edits/` }, 200, {
      expect: [/^SELECT e\.content, e\.edited_at FROM dm_message m LEFT JOIN dm_message_edit e ON e\.message_id = m\.id/]
    })
    t.same(edits.res.json<Array<{ content: string }>>().map((edit) => edit.content), ['thread 59'], 'the one earlier version')
    await explained(t, 'POST /messages/<id>/unsend/', heavy, { method: 'POST', url: `/api/dm/messages/${id}/unsend/` }, 204, {
      max: MAX_CHANGE_STATEMENTS, expect: [/^UPDATE dm_message SET unsent_at = /, /^DELETE FROM dm_message_edit WHERE message_id = \$1$/, /^DELETE FROM dm_reaction WHERE message_id = \$1$/, record]
    })
    await explained(t, `POST /send/${BIG_PARTNER}/ with reply_to`, heavy, { method: 'POST', url: `/api/dm/send/${BIG_PARTNER}/`, payload: { content: 'answer', reply_to: id } }, 201, {
      expect: [/^SELECT id FROM dm_message WHERE id = \$1 AND user_low_id = /, SEND]
    })
  })

  await t.test('blocks: the list, block, unblock', async (t) => {
    const listed = /^SELECT p\.\*, .* FROM \( SELECT id, blocked_id FROM dm_block WHERE blocker_id = \$1 AND id [<>] \$2 ORDER BY id /
    const first = await explained(t, 'GET /blocks/ (first page)', heavy, { method: 'GET', url: '/api/dm/blocks/' }, 200, { expect: [listed] })
    const page1 = first.res.json<PageJson<PartnerJson>>()
    t.equal(page1.results.length, 50, 'a full first page')
    t.equal(page1.results[0]?.id, USERS + HEAVY_BLOCKS, 'the most recent block first')
    if (page1.next === null) throw new Error('no next page')
    const second = await explained(t, 'GET /blocks/ (next page)', heavy, { method: 'GET', url: pathOf(page1.next) }, 200, { expect: [listed] })
    t.equal(second.res.json<PageJson<PartnerJson>>().results.length, 50, 'a full second page')
    const target = USERS + HEAVY_BLOCKS + 500
    await explained(t, 'POST /blocks/<id>/', heavy, { method: 'POST', url: `/api/dm/blocks/${target}/` }, 201, {
      expect: [/^INSERT INTO dm_block \(blocker_id, blocked_id, created_at\) VALUES \(\$1, \$2, \$3\) ON CONFLICT/]
    })
    await explained(t, 'DELETE /blocks/<id>/', heavy, { method: 'DELETE', url: `/api/dm/blocks/${target}/` }, 204, {
      expect: [/^DELETE FROM dm_block WHERE blocker_id = \$1 AND blocked_id = \$2$/]
    })
  })

  await t.test('a resuming event stream reads a range of the user\'s changes, not their messages', async (t) => {
    // The change log of the seeded volume (seedOthers): every message a change of both its users, old to new.
    const [middle] = await db.sql<{ id: string }>('SELECT id::text AS id FROM dm_change WHERE user_id = $1 ORDER BY dm_change.id LIMIT 1 OFFSET 20000', [HEAVY])
    const after = Number(middle?.id)
    t.ok(after > 0, 'the heavy user has tens of thousands of changes')
    // A light user too: the planner must then range-scan that user's part of the index, not
    // walk everyone's changes by id.
    const light = BACKGROUND_FIRST + 7
    const [lightMiddle] = await db.sql<{ id: string }>('SELECT id::text AS id FROM dm_change WHERE user_id = $1 ORDER BY dm_change.id LIMIT 1 OFFSET 5', [light])
    const lightAfter = Number(lightMiddle?.id)
    t.ok(lightAfter > 0, 'the light user has a few changes')
    for (const [label, statement, index] of [
      ['the heavy user\'s changes after Last-Event-ID, with their messages', changesStatement(HEAVY, after, 500), /^dm_change_/],
      ['where the heavy user\'s stream stands (is the change still kept, the oldest, the newest)', positionStatement(HEAVY, after), /^dm_change_/],
      ['a light user\'s changes after Last-Event-ID, with their messages', changesStatement(light, lightAfter, 500), /^dm_change_user_idx$/],
      ['where a light user\'s stream stands', positionStatement(light, lightAfter), /^dm_change_user_idx$/]
    ] as const) {
      const rows = await db.sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.values)
      const plan = rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode
      t.comment(`${label}\n    ${render(plan)}`)
      const nodes = flatten(plan)
      t.same(nodes.filter((node) => node['Node Type'] === 'Seq Scan').map((node) => node['Relation Name']), [], `${label}: no Seq Scan`)
      t.ok(nodes.some((node) => /Index/.test(String(node['Node Type'])) && index.test(String(node['Index Name']))), `${label}: an index scan of dm_change (${String(index)})`)
    }
  })

  const countOf = (statements: readonly Statement[], pattern: RegExp): number => statements.filter((statement) => pattern.test(oneLine(statement.query))).length

  await t.test('a resuming event stream of an instance with presence, its user\'s arrival and departure, GET /presence/', async (t) => {
    // Presence on, its timers a third of presenceTimeout away (days): nothing but these requests and streams issues statements.
    const live = await listening(db, { directMessages: { presenceTimeout: 2 ** 31 - 1 } })
    t.teardown(() => live.app.close())
    const [resume] = await db.sql<{ id: string }>('SELECT id::text AS id FROM dm_change WHERE user_id = $1 ORDER BY dm_change.id DESC LIMIT 1 OFFSET 600', [HEAVY])
    const [latest] = await db.sql<{ id: string }>('SELECT MAX(id)::text AS id FROM dm_change WHERE user_id = $1', [HEAVY])
    if (resume === undefined || latest === undefined) throw new Error('no changes')

    const opening: Statement[] = []
    recording = opening
    const stream = await openStream(live.base, '/api/dm/events/', { ...heavy.headers, 'last-event-id': resume.id })
    t.teardown(() => stream.close())
    t.equal(stream.status, 200, 'the stream opens')
    try {
      await stream.until(() => stream.lastEventId === latest.id, 10_000)
      // The arrival: written after a batch delay, then told to the online among the user's recent partners.
      await eventually('the arrival announced', () => countOf(opening, AUDIENCE) > 0, 10_000)
    } finally {
      recording = null
    }
    t.ok(stream.frames.length > 100, `${stream.frames.length} frames of the changes replayed`)
    t.equal(countOf(opening, CHANGES), 2, 'the 600 changes after Last-Event-ID read in two reads of 500')
    await explainAll(t, 'a stream resuming with Last-Event-ID, and its user\'s arrival', opening,
      [STREAM_POSITION, CHANGES, REACTIONS_READ, LOCK_USERS, PRESENCE_LIVE, PRESENCE_ARRIVE, AUDIENCE])

    const ids = Array.from({ length: 100 }, (_, i) => BIG_PARTNER + i)
    const read = await explained(t, 'GET /presence/?ids=<100 ids>', heavy, { method: 'GET', url: `/api/dm/presence/?ids=${ids.join(',')}` }, 200, { expect: [PRESENCE_READ], via: live.app })
    const entries = read.res.json<Array<{ id: number, online: boolean }>>()
    t.same(entries.map((entry) => entry.id), ids, 'an entry per id asked, in order')
    t.ok(entries.filter((entry) => entry.online).length > 90, 'the partners online elsewhere read online')

    const closing: Statement[] = []
    recording = closing
    try {
      stream.close()
      await eventually('the departure announced', () => countOf(closing, AUDIENCE) > 0, 10_000)
    } finally {
      recording = null
    }
    await explainAll(t, 'the departure of a stream\'s user', closing, [LOCK_USERS, PRESENCE_LEAVE, LAST_SEEN, PRESENCE_LIVE, AUDIENCE])
    await live.app.close()
  })

  await t.test('an instance\'s timers: the presence refresh and sweep, the change log\'s pruning', async (t) => {
    // A refresh and a sweep every second (a third of presenceTimeout); a pruning every second too.
    const timed = await listening(db, { directMessages: { presenceTimeout: 3000, changeRetention: 1000 } })
    t.teardown(() => timed.app.close())
    const [dead] = await db.sql<{ rows: number }>('SELECT COUNT(*)::int AS rows FROM dm_presence WHERE instance_id = $1', [DEAD_INSTANCE])
    t.equal(dead?.rows, ALL_USERS / 1000, `${dead?.rows} expired rows of a dead instance`)
    const statements: Statement[] = []
    recording = statements
    // A stream, so that the instance has a row to refresh.
    const stream = await openStream(timed.base, '/api/dm/events/', bigPartner.headers)
    t.teardown(() => stream.close())
    try {
      t.equal(stream.status, 200, 'the stream opens')
      // The sweep's departures are announced: their last_seen_at written, their audience read.
      await eventually('a refresh, a sweep and a pruning', () => countOf(statements, PRESENCE_REFRESH) > 0 && countOf(statements, PRESENCE_SWEEP) > 0 &&
        countOf(statements, LAST_SEEN) > 0 && countOf(statements, PRESENCE_LIVE) > 1 && countOf(statements, AUDIENCE) > 1 && countOf(statements, PRUNE) > 0, 10_000)
    } finally {
      recording = null
    }
    stream.close()
    await timed.app.close()
    t.same(await db.sql('SELECT user_id FROM dm_presence WHERE instance_id = $1', [DEAD_INSTANCE]), [], 'the dead instance\'s rows swept')
    await explainAll(t, 'an instance\'s timers', statements,
      [STREAM_POSITION, LOCK_USERS, PRESENCE_ARRIVE, PRESENCE_REFRESH, PRESENCE_SWEEP, LAST_SEEN, PRESENCE_LIVE, AUDIENCE, PRUNE_READ, PRUNE_NEWEST, PRUNE])
  })

  await t.test('message ids beyond 2^31', async (t) => {
    await db.sql('SELECT setval(pg_get_serial_sequence(\'dm_message\', \'id\'), 3000000000)')
    const alice = testUser(BACKGROUND_FIRST + 98)
    const bob = testUser(BACKGROUND_FIRST + 99)
    const res = await as(app, alice, { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: { content: 'beyond 2^31' } })
    t.equal(res.statusCode, 201, 'POST /send/ answers 201')
    const message = res.json<MessageJson>()
    t.ok(message.id > 2 ** 31, `id ${message.id} > 2^31`)
    t.equal(message.id, 3_000_000_001, 'the next value of the sequence')
    t.same(await db.sql('SELECT id::text AS id FROM dm_message WHERE content = $1', ['beyond 2^31']), [{ id: '3000000001' }], 'stored as such')
    const page = await getJson<PageJson<MessageJson>>(app, bob, `/api/dm/conversations/${alice.id}/`)
    t.match(page.results[0], { id: message.id, sender: alice.id, content: 'beyond 2^31', direction: 'in' }, 'GET of the conversation answers it with that id')
    const list = await getJson<PageJson<PartnerJson>>(app, bob, '/api/dm/conversations/')
    t.equal(list.results[0]?.id, alice.id, 'the conversation list orders by it')
    const deleted = await as(app, alice, { method: 'DELETE', url: `/api/dm/messages/${message.id}/` })
    t.equal(deleted.statusCode, 204, 'DELETE answers 204')
    const after = await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${bob.id}/`)
    t.notOk(after.results.some((m) => m.id === message.id), 'hidden for the sender')
  })
})
