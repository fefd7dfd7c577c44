// Query plans on PostgreSQL over a realistic volume: a heavy user with tens of thousands of messages
// across hundreds of partners, among background traffic, and every other plugin table seeded at a
// volume where only an index spares a sequential scan (reactions, edits, the change log, blocks,
// presence rows, tens of thousands of dm_user rows). Every statement the plugin issues on its tables
// (dm_*) for the heavy user's requests, its event streams, and an instance's presence and pruning
// timers is EXPLAINed with its real parameters, and none may read a dm_* table with a sequential
// scan. Also: message ids beyond 2^31 survive the round trip on PostgreSQL.
// What this shares with query-plans-mysql.test.ts (the volume's shape, the recording and EXPLAIN of each
// request's statements with their count checks, the requests both run with the same assertions)
// is in ../helpers/query-plans.ts; the seeding, the reading of plans and the statements' text
// that is PostgreSQL's alone are here.
import t, { type Test } from 'tap'
import { changesStatement, positionStatement } from '../../src/core/change-log.js'
import { openDatabase, PG_ADMIN_URL, postgresReachable, type TestDatabase } from '../helpers/databases.js'
import { as, getJson, startApp, type MessageJson, type PageJson } from '../helpers/app.js'
import {
  ALL_USERS, BACKGROUND_FIRST, BACKGROUND_MESSAGES, BIG_PARTNER, blocks, brief, CHANGES, conversationLists, conversationPages, DEAD_INSTANCE, HEAVY,
  HEAVY_BLOCKS, HEAVY_MESSAGES, HEAVY_PARTNERS, idsBeyond2to31, INSTANCES, issued, LAST_SEEN, LOCK_PARTICIPANTS, muteAndArchive, oneLine, planRunner, PLUGIN_TABLE,
  PRESENCE_ARRIVE, PRESENCE_LIVE, PRESENCE_SWEEP, PRUNE, PRUNE_NEWEST, replyThread, streamWithPresence, testUser, timers, unreadCounts, USERS, type PlanCheck, type Scenarios, type Statement
} from '../helpers/query-plans.js'

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

/**
 * Statements of the plugin's, one line each (see oneLine), that the tests look for among those
 * EXPLAINed, as PostgreSQL is sent them (those the same on both databases are in ../helpers/query-plans.ts).
 */
const SEND = /^WITH locked AS \( INSERT INTO dm_user \(user_id\) VALUES /
const REACTIONS_READ = /^SELECT message_id, emoji AS emoji, COUNT\(\*\) AS count, .* FROM dm_reaction WHERE message_id IN \(/
const LOCK_USERS = /^INSERT INTO dm_user \(user_id\) VALUES /
const STREAM_POSITION = /^SELECT \(SELECT COUNT\(\*\) FROM dm_change WHERE user_id = \$1 AND id = \$2\) AS found, /
const PRESENCE_LEAVE = /^DELETE FROM dm_presence WHERE instance_id = \$1 AND user_id IN \(/
const AUDIENCE = /^SELECT owner_id, partner_id FROM \(\s?SELECT o\.user_id AS owner_id, c\.partner_id FROM dm_user o CROSS JOIN LATERAL \(/
const PRESENCE_REFRESH = /^UPDATE dm_presence SET seen_at = .* WHERE instance_id = \$\d+$/
const PRUNE_READ = /^SELECT id, user_id, created_at FROM dm_change WHERE id > \$1 ORDER BY id LIMIT \$2$/

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  Operation?: string
  Plans?: PlanNode[]
  [field: string]: unknown
}

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
  // A file on every fifth message; an upload not yet sent of every user (rows without a message).
  await db.sql(`
    INSERT INTO dm_attachment (id, uploader_id, message_id, position, name, content_type, size, created_at, checked_at, attached_at)
    SELECT 'm' || lpad(id::text, 25, 'a'), sender_id, id, 0, 'file ' || id || '.pdf', 'application/pdf', 1000 + id % 1000, sent_at, sent_at, sent_at
    FROM dm_message WHERE id % 5 = 0
    UNION ALL
    SELECT 'u' || lpad(g::text, 25, 'a'), g, NULL, 0, 'upload.pdf', 'application/pdf', 1000, now() AT TIME ZONE 'UTC', NULL, NULL
    FROM generate_series(1, ${ALL_USERS}) g`)
  await db.sql('UPDATE dm_message SET attachment_count = 1 WHERE id % 5 = 0')
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

  const heavy = testUser(HEAVY)
  const bigPartner = testUser(BIG_PARTNER)

  /** EXPLAINs one statement on the plugin's tables: its plan may read no dm_* table with a sequential scan. */
  const checkPlan: PlanCheck = async (t, label, index, statement, sql) => {
    const params = JSON.parse(statement.params) as unknown[]
    const rows = await db.sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${statement.query}`, params)
    const plan = rows[0]?.['QUERY PLAN'][0]?.Plan
    if (plan === undefined) return false
    t.comment(`${label} #${index + 1}: ${brief(sql, 90)}\n    ${render(plan)}`)
    const seqScans = seqScansOf(plan, sql)
    t.equal(seqScans.length, 0, seqScans.length === 0
      ? `${label}, statement ${index + 1}: no Seq Scan on a dm_* table`
      : `${label}: Seq Scan on ${seqScans.map((node) => node['Relation Name']).join(', ')} in "${brief(sql)}" (params ${brief(statement.params)}): ${brief(JSON.stringify(fieldsOf(seqScans[0] as PlanNode)), 400)}`,
    { sql, params, plan: render(plan) })
    return true
  }
  const run = planRunner({ db, app, maxStatements: MAX_STATEMENTS, isPluginStatement, checkPlan })
  const { explained } = run

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

  const MAIN_LIST_INDEXES = ['dm_conversation_list_idx', 'dm_conversation_recent_idx']
  const ARCHIVED_LIST_INDEXES = ['dm_conversation_list_idx']
  /**
   * The list statement among `statements` reads dm_conversation with one index scan of `indexes`.
   * The archived list must range-scan dm_conversation_list_idx (owner_id, archived,
   * last_message_id DESC): archived rows are few among the owner's. For the main list, where
   * nearly every row qualifies, the planner may as well walk dm_conversation_recent_idx (owner_id,
   * last_message_id DESC) and filter: both read the page's rows in order.
   */
  async function usesListIndex (t: Test, label: string, statements: Statement[], archived: boolean): Promise<void> {
    const indexes = archived ? ARCHIVED_LIST_INDEXES : MAIN_LIST_INDEXES
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

  const scenarios: Scenarios = {
    db,
    app,
    run,
    heavy,
    bigPartner,
    usesListIndex,
    placeholder: (n) => `$${n}`,
    blockInsert: /^INSERT INTO dm_block \(blocker_id, blocked_id, created_at\) VALUES \(\$1, \$2, \$3\) ON CONFLICT/
  }
  await conversationLists(t, scenarios)

  await muteAndArchive(t, scenarios, async (t, label, statement) => {
    const rows = await db.sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${statement.query}`, JSON.parse(statement.params) as unknown[])
    const scans = flatten(rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode).filter((node) => node['Relation Name'] === 'dm_conversation' && node['Node Type'] !== 'ModifyTable')
    t.same(scans.map((node) => node['Index Name']), ['dm_conversation_pkey'], `${label}: finds the row by its key`)
  })

  await unreadCounts(t, scenarios)

  await conversationPages(t, scenarios, { max: MAX_MARKING_STATEMENTS, expect: [REACTIONS_READ] })

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
    const id = await replyThread(t, scenarios, REACTIONS_READ)
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

  await blocks(t, scenarios)

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

  await streamWithPresence(t, scenarios, {
    audience: AUDIENCE,
    opening: [STREAM_POSITION, CHANGES, REACTIONS_READ, LOCK_USERS, PRESENCE_LIVE, PRESENCE_ARRIVE, AUDIENCE],
    closing: [LOCK_USERS, PRESENCE_LEAVE, LAST_SEEN, PRESENCE_LIVE, AUDIENCE]
  })

  await timers(t, scenarios, {
    audience: AUDIENCE,
    refresh: PRESENCE_REFRESH,
    timeout: 10_000,
    expect: [STREAM_POSITION, LOCK_USERS, PRESENCE_ARRIVE, PRESENCE_REFRESH, PRESENCE_SWEEP, LAST_SEEN, PRESENCE_LIVE, AUDIENCE, PRUNE_READ, PRUNE_NEWEST, PRUNE]
  })

  await idsBeyond2to31(t, scenarios, {
    restart: 'SELECT setval(pg_get_serial_sequence(\'dm_message\', \'id\'), 3000000000)',
    counter: 'sequence',
    storedIds: 'SELECT id::text AS id FROM dm_message WHERE content = $1'
  })
})
