// Query plans on MySQL/MariaDB over a realistic volume, as query-plans.test.ts checks them on
// PostgreSQL: a heavy user with tens of thousands of messages across hundreds of partners, among
// background traffic, and every other plugin table seeded at a volume where only an index spares
// reading the whole table (reactions, edits, the change log, blocks, presence rows, tens of
// thousands of dm_user rows). Every statement the plugin issues on its tables (dm_*) for the heavy
// user's requests, its event streams, and an instance's presence and pruning timers is EXPLAINed
// with its real parameters, and none may read a dm_* table whole: no table scan (type ALL) and no
// full index scan (type index). Also: message ids beyond 2^31 survive the round trip on MariaDB.
// What this shares with query-plans.test.ts (the volume's shape, the recording and EXPLAIN of each
// request's statements with their count checks, the requests both run with the same assertions)
// is in ../helpers/query-plans.ts; the seeding, the reading of plans and the statements' text
// that is MariaDB's alone are here.
import t, { type Test } from 'tap'
import { changesStatement, positionStatement } from '../../src/core/change-log.js'
import { MYSQL_ADMIN_URL, mysqlReachable, openDatabase, type TestDatabase } from '../helpers/databases.js'
import { as, getJson, startApp, type MessageJson, type PageJson } from '../helpers/app.js'
import {
  ALL_USERS, BACKGROUND_FIRST, BACKGROUND_MESSAGES, BIG_PARTNER, blocks, brief, CHANGES, conversationLists, conversationPages, DEAD_INSTANCE, HEAVY,
  HEAVY_BLOCKS, HEAVY_MESSAGES, HEAVY_PARTNERS, idsBeyond2to31, INSTANCES, issued, LAST_SEEN, LOCK_PARTICIPANTS, muteAndArchive, oneLine, planRunner, PLUGIN_TABLE,
  PRESENCE_ARRIVE, PRESENCE_LIVE, PRESENCE_SWEEP, PRUNE, PRUNE_NEWEST, replyThread, streamWithPresence, testUser, timers, unreadCounts, USERS,
  type PlanCheck, type Scenarios, type Statement
} from '../helpers/query-plans.js'

/**
 * Statements one request may issue, whatever the data volume (authentication included; a write
 * also locks its users' dm_user rows and records its change in the change log). More than on
 * PostgreSQL: without RETURNING a write reads back what it wrote in a statement of its own, and
 * the transaction's BEGIN and COMMIT are reported too.
 */
const MAX_STATEMENTS = 11
/**
 * The same for a change of a message (edit, unsend, reaction): its transaction locks the users and
 * the row, checks, writes, reads the row back, records the change, and the answer shows the
 * message with its reply preview and reactions.
 */
const MAX_CHANGE_STATEMENTS = 12
/**
 * The same for a page that marks read: the page with its messages' previews and reactions, then
 * the transaction that marks (locks, the messages locked, change log, the messages, the marked
 * messages read back, the conversation row, and the marked messages' previews and reactions).
 */
const MAX_MARKING_STATEMENTS = 13

/**
 * Statements of the plugin's, one line each (see oneLine), that the tests look for among those
 * EXPLAINed, as MariaDB is sent them (those the same on both databases are in ../helpers/query-plans.ts).
 */
const SEND = /^INSERT INTO dm_message \(sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, idempotency_key, reply_to_id\) VALUES /
const SENT_READ = /^SELECT id, sender_id, .* FROM dm_message WHERE id = LAST_INSERT_ID\(\)$/
const CONVERSATIONS_UPSERT = /^INSERT INTO dm_conversation \(owner_id, partner_id, last_message_id, unread_count\) VALUES .* ON DUPLICATE KEY UPDATE /
const RECIPIENT_MUTED = /^SELECT muted FROM dm_conversation WHERE owner_id = \? AND partner_id = \?$/
const REACTIONS_READ = /^SELECT message_id, CAST\(emoji AS CHAR\) AS emoji, COUNT\(\*\) AS count, .* FROM dm_reaction WHERE message_id IN \(/
const LOCK_USERS = /^INSERT INTO dm_user \(user_id\) VALUES .* ON DUPLICATE KEY UPDATE user_id = VALUES\(user_id\)$/
const MESSAGE_READ_BACK = /^SELECT id, sender_id, .* FROM dm_message WHERE id = \?$/
const STREAM_POSITION = /^SELECT \(SELECT COUNT\(\*\) FROM dm_change WHERE user_id = \? AND id = \?\) AS found, /
const PRESENCE_LEAVING = /^SELECT user_id FROM dm_presence WHERE instance_id = \? AND user_id IN \(.*\) FOR UPDATE$/
const PRESENCE_LEAVE = /^DELETE FROM dm_presence WHERE instance_id = \? AND user_id IN \(/
const AUDIENCE = /^SELECT owner_id, partner_id FROM \( SELECT owner_id, partner_id FROM \( SELECT owner_id, partner_id, ROW_NUMBER\(\) OVER /
const PRESENCE_REFRESH = /^UPDATE dm_presence SET seen_at = .* WHERE instance_id = \?$/
const SWEEP_PROBE = /^SELECT user_id FROM dm_presence WHERE seen_at <= .* LIMIT 1$/
const SWEEP_LOCK = /^SELECT user_id, seen_at FROM dm_presence WHERE seen_at <= .* FOR UPDATE$/
const PRUNE_READ = /^SELECT id, user_id, created_at FROM dm_change WHERE id > \? ORDER BY id LIMIT \?$/
const RECORD = /^INSERT INTO dm_change \(user_id, kind, message_id, partner_id, created_at\) VALUES /

/** A row of MariaDB's EXPLAIN (numbers as numbers). */
interface PlanRow {
  id: number | null
  select_type: string
  table: string | null
  type: string | null
  possible_keys: string | null
  key: string | null
  key_len: string | null
  ref: string | null
  rows: number | null
  Extra: string | null
}

/** Statements on the plugin's own tables; not the host's user table, not transaction control. */
function isPluginStatement (sql: string): boolean {
  return PLUGIN_TABLE.test(sql) && !/^\s*(BEGIN|COMMIT|ROLLBACK)\b/i.test(sql)
}

/**
 * A statement's parameters as Prisma reported them, as the driver would send them: a date was
 * reported as an ISO string, which MariaDB reads as a DATETIME without its `T` and `Z` (UTC, as
 * the plugin writes them); big integers were reported as strings, which compare with an integer
 * column through its index all the same.
 */
function paramsOf (statement: Statement): unknown[] {
  return (JSON.parse(statement.params) as unknown[]).map((value) =>
    typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) ? value.replace('T', ' ').replace(/Z$/, '') : value)
}

/** Words that may follow a table's name in the plugin's SQL and are no alias of it. */
const NOT_ALIASES = new Set(['where', 'on', 'join', 'left', 'right', 'inner', 'cross', 'set', 'values', 'group', 'order', 'limit', 'union', 'for', 'using', 'and', 'or', 'select', 'from', 'having', 'as'])

/**
 * The names EXPLAIN may give the plugin's tables in `sql`: EXPLAIN names a table by its alias
 * (`FROM dm_change c` shows as `c`), a derived table as `<derivedN>`, a subquery as `<subqueryN>`.
 */
function pluginNames (sql: string): Map<string, string> {
  const names = new Map<string, string>()
  for (const match of sql.matchAll(/\b(dm_[a-z_]+)\b(?:\s+(?:AS\s+)?([a-z_][a-z0-9_]*))?/gi)) {
    const table = match[1] as string
    if (!PLUGIN_TABLE.test(table)) continue
    names.set(table, table)
    const alias = match[2]
    if (alias !== undefined && !NOT_ALIASES.has(alias.toLowerCase())) names.set(alias, table)
  }
  return names
}

/**
 * Reads of a plugin table that are right by construction (a table tiny whatever the data), each
 * with its reason. None: every dm_* table grows with users or messages.
 */
const SCANS_ALLOWED: ReadonlyArray<{ table: string, statement: RegExp, why: string }> = []

/**
 * The plan's rows that read a plugin table whole: a table scan (`ALL`) or a full index scan
 * (`index`). An INSERT's own row (select_type INSERT, type ALL) is the table it writes, not a
 * read: EXPLAIN shows it so for every INSERT ... VALUES.
 */
function fullScansOf (plan: readonly PlanRow[], sql: string): PlanRow[] {
  const names = pluginNames(sql)
  return plan.filter((row) => row.select_type !== 'INSERT' && (row.type === 'ALL' || row.type === 'index') &&
    row.table !== null && names.has(row.table) &&
    !SCANS_ALLOWED.some((allowed) => allowed.table === names.get(row.table as string) && allowed.statement.test(sql)))
}

/** A plan as one line: `c range dm_change_user_idx ~500 (Using where); m eq_ref PRIMARY ~1`. */
function render (plan: readonly PlanRow[]): string {
  return plan.map((row) => {
    let text = `${row.select_type === 'SIMPLE' ? '' : `${row.select_type} `}${row.table ?? '-'} ${row.type ?? '-'}`
    if (row.key !== null) text += ` ${row.key}`
    if (row.rows !== null) text += ` ~${row.rows}`
    if (row.Extra !== null && row.Extra !== '') text += ` (${row.Extra})`
    return text
  }).join('; ')
}

/** The rows of `EXPLAIN <text>` with `params`, numbers as numbers (the driver answers some as BigInt). */
async function explainRows (db: TestDatabase, text: string, params: readonly unknown[]): Promise<PlanRow[]> {
  const rows = await db.sql<Record<string, unknown>>(`EXPLAIN ${text}`, [...params])
  return rows.map((row) => {
    const number = (value: unknown): number | null => value === null || value === undefined ? null : Number(value)
    const text = (value: unknown): string | null => value === null || value === undefined ? null : String(value)
    return {
      id: number(row.id),
      select_type: String(row.select_type),
      table: text(row.table),
      type: text(row.type),
      possible_keys: text(row.possible_keys),
      key: text(row.key),
      key_len: text(row.key_len),
      ref: text(row.ref),
      rows: number(row.rows),
      Extra: text(row.Extra)
    }
  })
}

/** `row` with every value a number (MariaDB answers counts as BigInt, sums as decimal strings). */
function numbers<K extends string> (row: Record<K, unknown> | undefined): Record<K, number> {
  return Object.fromEntries(Object.entries(row ?? {}).map(([key, value]) => [key, Number(value)])) as Record<K, number>
}

/** Ten digits as rows, named `name`: cross joins of them number rows (no generate_series here). */
function digits (name: string): string {
  return `(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) ${name}`
}

/** Emojis, the literal the n-th of four (1..4) is in a statement. */
const EMOJIS = ['👍', '❤️', '😂', '🎉'] as const
const emojiOf = (index: string): string => `ELT(${index}, ${EMOJIS.map((emoji) => `'${emoji}'`).join(', ')})`

/**
 * Seeds, with set-based SQL only, ALL_USERS users, HEAVY_MESSAGES messages of the heavy user (one in
 * six with BIG_PARTNER, the rest spread over 399 other partners; half sent, half received; recent
 * inbound ones unread; a few hidden by either side) interleaved with BACKGROUND_MESSAGES among the
 * background users, and the conversation rows derived from those messages (80 of the heavy user's
 * archived, 57 muted); then the other tables at a volume of their own (see seedOthers); then
 * ANALYZE TABLE. The numbers 1..HEAVY_MESSAGES come from a table of their own, filled from a cross
 * join of digits, dropped at the end.
 */
async function seed (db: TestDatabase): Promise<void> {
  await db.sql('CREATE TABLE seed_number (n INT NOT NULL PRIMARY KEY)')
  await db.sql(`
    INSERT INTO seed_number (n)
    SELECT n FROM (SELECT 1 + d1.d + 10 * d2.d + 100 * d3.d + 1000 * d4.d + 10000 * d5.d AS n
                   FROM ${['d1', 'd2', 'd3', 'd4', 'd5'].map(digits).join(', ')}) numbered
    WHERE n <= ${Math.max(HEAVY_MESSAGES, ALL_USERS)}`)
  await db.sql(`
    INSERT INTO app_user (id, username, first_name, last_name, token)
    SELECT n, CONCAT('user', n), CONCAT('First', n), CONCAT('Last', n), CONCAT('explain-token-', n) FROM seed_number WHERE n <= ${ALL_USERS}`)
  // k: when the message was sent, in milliseconds after the start; the ids follow it.
  await db.sql(`
    INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, read_at, deleted_by_sender, deleted_by_recipient)
    SELECT s, r, LEAST(s, r), GREATEST(s, r), content, sent, CASE WHEN unread THEN NULL ELSE sent + INTERVAL 1 MINUTE END,
           g % 101 = 0, g % 103 = 0
    FROM (
      SELECT g, k, content, s, r, unread, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL k * 1000 MICROSECOND AS sent
      FROM (
        SELECT g, g * 2000 AS k, CONCAT('heavy ', g) AS content,
               CASE WHEN g % 4 < 2 THEN ${HEAVY} ELSE p END AS s,
               CASE WHEN g % 4 < 2 THEN p ELSE ${HEAVY} END AS r,
               g > CASE WHEN g % 4 < 2 THEN ${HEAVY_MESSAGES * 5 / 6} ELSE ${HEAVY_MESSAGES * 2 / 3} END AS unread
        FROM (
          SELECT n AS g, CASE WHEN n % 6 = 0 THEN ${BIG_PARTNER} ELSE ${BIG_PARTNER + 1} + (n * 7919) % ${HEAVY_PARTNERS - 1} END AS p
          FROM seed_number WHERE n <= ${HEAVY_MESSAGES}
        ) heavy
        UNION ALL
        SELECT n, n * ${(HEAVY_MESSAGES * 2000) / BACKGROUND_MESSAGES}, CONCAT('background ', n),
               ${BACKGROUND_FIRST} + (n * 7919) % ${USERS - BACKGROUND_FIRST + 1},
               ${BACKGROUND_FIRST} + ((n * 7919) % ${USERS - BACKGROUND_FIRST + 1} + 1 + (n * 6151) % ${USERS - BACKGROUND_FIRST}) % ${USERS - BACKGROUND_FIRST + 1},
               n > ${BACKGROUND_MESSAGES * 4 / 5}
        FROM seed_number WHERE n <= ${BACKGROUND_MESSAGES}
      ) generated
    ) seeded
    ORDER BY k`)
  // One row per participant: the newest message the owner has not hidden, and the inbound
  // messages the owner has neither read nor hidden.
  await db.sql(`
    INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
    SELECT owner_id, partner_id, MAX(CASE WHEN NOT hidden THEN id END),
           SUM(CASE WHEN inbound AND read_at IS NULL AND NOT hidden THEN 1 ELSE 0 END)
    FROM (
      SELECT sender_id AS owner_id, recipient_id AS partner_id, id, read_at, false AS inbound, deleted_by_sender AS hidden FROM dm_message
      UNION ALL
      SELECT recipient_id, sender_id, id, read_at, true, deleted_by_recipient FROM dm_message
    ) sides
    GROUP BY owner_id, partner_id`)
  // The heavy user archived one conversation in five and muted one in seven.
  await db.sql(`UPDATE dm_conversation SET archived = (partner_id % 5 = 0), muted = (partner_id % 7 = 0) WHERE owner_id = ${HEAVY}`)
  await seedOthers(db)
  await db.sql('DROP TABLE seed_number')
  await db.sql('ANALYZE TABLE app_user, dm_message, dm_message_edit, dm_reaction, dm_conversation, dm_user, dm_change, dm_block, dm_presence')
}

/**
 * The other tables, from the messages and users: a dm_user row for every user; reactions on one
 * message of the heavy user's in ten (the recipient's, and on one in twenty the sender's too), and
 * four of each participant on every background message (~165,000 rows, with the messages'
 * reaction_count to match: a page reads reactions only of messages that have some); one or two
 * earlier versions of one message in seven (~12,000 rows, with edited_at); the change log of every
 * message for both of its users, old to new (~112,000 rows); each idle user blocking someone, and
 * the heavy user blocking HEAVY_BLOCKS idle users (~19,000 rows); and one presence row of every
 * user but the first two: on one of INSTANCES live instances (seen an hour ahead: refreshed for as
 * long as this runs), or for users whose id is a multiple of 1000, only on DEAD_INSTANCE, expired
 * (~20,000 rows).
 */
async function seedOthers (db: TestDatabase): Promise<void> {
  await db.sql(`INSERT INTO dm_user (user_id) SELECT n FROM seed_number WHERE n <= ${ALL_USERS}`)
  await db.sql(`
    INSERT INTO dm_reaction (message_id, user_id, emoji, created_at)
    SELECT id, user_id, emoji, sent_at + INTERVAL 2 MINUTE
    FROM (
      SELECT id, recipient_id AS user_id, 0 AS side, ${emojiOf('1 + id % 4')} AS emoji, sent_at
      FROM dm_message WHERE sender_id < ${BACKGROUND_FIRST} AND id % 10 = 0
      UNION ALL
      SELECT id, sender_id, 1, ${emojiOf('1 + (id + 1) % 4')}, sent_at
      FROM dm_message WHERE sender_id < ${BACKGROUND_FIRST} AND id % 20 = 0
      UNION ALL
      SELECT id, CASE WHEN side = 0 THEN recipient_id ELSE sender_id END, side, ${emojiOf('e')}, sent_at
      FROM dm_message CROSS JOIN (SELECT 0 AS side UNION ALL SELECT 1) participants
      CROSS JOIN (SELECT 1 AS e UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) emojis
      WHERE sender_id >= ${BACKGROUND_FIRST}
    ) reacting ORDER BY id, side, emoji`)
  await db.sql(`
    UPDATE dm_message m JOIN (SELECT message_id, COUNT(*) AS n FROM dm_reaction GROUP BY message_id) r ON r.message_id = m.id
    SET m.reaction_count = r.n`)
  // A file on every fifth message; an upload not yet sent of every user (rows without a message).
  await db.sql(`
    INSERT INTO dm_attachment (id, uploader_id, message_id, position, name, content_type, size, created_at, checked_at, attached_at)
    SELECT CONCAT('m', LPAD(id, 25, 'a')), sender_id, id, 0, CONCAT('file ', id, '.pdf'), 'application/pdf', 1000 + id % 1000, sent_at, sent_at, sent_at
    FROM dm_message WHERE id % 5 = 0
    UNION ALL
    SELECT CONCAT('u', LPAD(n, 25, 'a')), n, NULL, 0, 'upload.pdf', 'application/pdf', 1000, UTC_TIMESTAMP(3), NULL, NULL
    FROM seed_number WHERE n <= ${ALL_USERS}`)
  await db.sql('UPDATE dm_message SET attachment_count = 1 WHERE id % 5 = 0')
  await db.sql(`
    INSERT INTO dm_message_edit (message_id, content, edited_at)
    SELECT id, CONCAT('version ', v, ' of ', id), sent_at + INTERVAL v MINUTE
    FROM dm_message CROSS JOIN (SELECT 1 AS v UNION ALL SELECT 2) versions WHERE id % 7 = 0 AND v <= 1 + id % 2 ORDER BY id, v`)
  await db.sql('UPDATE dm_message SET edited_at = sent_at + INTERVAL 3 MINUTE WHERE id % 7 = 0')
  await db.sql(`
    INSERT INTO dm_change (user_id, kind, message_id, partner_id, created_at)
    SELECT user_id, 1, id, partner_id, sent_at FROM (
      SELECT sender_id AS user_id, recipient_id AS partner_id, id, sent_at, 0 AS side FROM dm_message
      UNION ALL
      SELECT recipient_id, sender_id, id, sent_at, 1 FROM dm_message
    ) sides ORDER BY id, side`)
  // The idle users' blocks first, then the heavy user's, most recent last (in id order too).
  await db.sql(`
    INSERT INTO dm_block (blocker_id, blocked_id, created_at)
    SELECT blocker_id, blocked_id, created_at FROM (
      SELECT g AS blocker_id, b AS blocked_id, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL g MINUTE AS created_at
      FROM (SELECT n AS g, 1 + (n * 7919) % ${ALL_USERS} AS b FROM seed_number WHERE n BETWEEN ${USERS + 1} AND ${ALL_USERS}) pairs WHERE b <> g
      UNION ALL
      SELECT ${HEAVY}, n, TIMESTAMP '2026-02-01 00:00:00' + INTERVAL n MINUTE FROM seed_number WHERE n BETWEEN ${USERS + 1} AND ${USERS + HEAVY_BLOCKS}
    ) blocks ORDER BY created_at`)
  // UTC, as the plugin writes its times.
  await db.sql(`
    INSERT INTO dm_presence (user_id, instance_id, seen_at)
    SELECT n, CASE WHEN n % 1000 = 0 THEN '${DEAD_INSTANCE}' ELSE CONCAT('instance-', n % ${INSTANCES}) END,
           CASE WHEN n % 1000 = 0 THEN UTC_TIMESTAMP(3) - INTERVAL 1 HOUR ELSE UTC_TIMESTAMP(3) + INTERVAL 1 HOUR END
    FROM seed_number WHERE n BETWEEN ${BIG_PARTNER + 1} AND ${ALL_USERS}`)
}

t.test('query plans of a heavy user\'s requests [mysql]', async (t) => {
  if (!(await mysqlReachable())) {
    if (process.env.CI === 'true') throw new Error(`MySQL/MariaDB at ${MYSQL_ADMIN_URL} is unreachable; on CI the MySQL tests must run`)
    t.test('query plans', { skip: `MySQL/MariaDB at ${MYSQL_ADMIN_URL} is unreachable (set DM_TEST_MYSQL_URL)` }, async () => {})
    return
  }
  const db = await openDatabase('mysql', 'explain', { logQueries: true })
  t.teardown(() => db.close())
  const started = Date.now()
  await seed(db)
  t.comment(`seeded in ${Date.now() - started} ms`)
  // No presence timers: their statements would count against whatever request is running.
  const app = await startApp(db, { directMessages: { presence: false } })
  t.teardown(() => app.close())

  const heavy = testUser(HEAVY)
  const bigPartner = testUser(BIG_PARTNER)
  let explainedInAll = 0

  /** EXPLAINs one statement on the plugin's tables: its plan may read no dm_* table whole. */
  const checkPlan: PlanCheck = async (t, label, index, statement, sql) => {
    const plan = await explainRows(db, statement.query, paramsOf(statement))
    if (plan.length === 0) return false
    explainedInAll++
    t.comment(`${label} #${index + 1} (${statement.duration.toFixed(1)} ms): ${brief(sql, 90)}\n    ${render(plan)}`)
    const scans = fullScansOf(plan, sql)
    t.equal(scans.length, 0, scans.length === 0
      ? `${label}, statement ${index + 1}: no full scan of a dm_* table`
      : `${label}: full scan (${scans.map((row) => `${row.table} ${row.type}`).join(', ')}) in "${brief(sql)}" (params ${brief(statement.params)}): ${JSON.stringify(scans[0])}`,
    { sql, params: statement.params, plan: render(plan) })
    return true
  }
  const run = planRunner({ db, app, maxStatements: MAX_STATEMENTS, isPluginStatement, checkPlan })
  const { explained } = run

  await t.test('the seeded volume', async (t) => {
    const [totals] = await db.sql<Record<'messages' | 'heavy' | 'partners' | 'big' | 'unread' | 'unmuted', unknown>>(`
      SELECT COUNT(*) AS messages,
             SUM(${HEAVY} IN (sender_id, recipient_id)) AS heavy,
             COUNT(DISTINCT CASE WHEN sender_id = ${HEAVY} THEN recipient_id WHEN recipient_id = ${HEAVY} THEN sender_id END) AS partners,
             SUM(user_low_id = ${HEAVY} AND user_high_id = ${BIG_PARTNER}) AS big,
             SUM(recipient_id = ${HEAVY} AND read_at IS NULL AND NOT deleted_by_recipient) AS unread,
             SUM(recipient_id = ${HEAVY} AND read_at IS NULL AND NOT deleted_by_recipient AND sender_id % 7 <> 0) AS unmuted
      FROM dm_message`)
    const counts = numbers(totals)
    t.ok(counts.messages >= 50_000, `${counts.messages} messages`)
    t.ok(counts.heavy >= 30_000, `${counts.heavy} of them the heavy user's`)
    t.equal(counts.partners, HEAVY_PARTNERS, 'across 400 partners')
    t.ok(counts.big >= 5000, `${counts.big} with the big partner`)
    t.ok(counts.unread >= 5000, `${counts.unread} unread by the heavy user`)
    t.same(await getJson(app, heavy, '/api/dm/unread/'), { id: HEAVY, count: counts.unread, unmuted_count: counts.unmuted }, 'the conversation rows agree with the messages')
    const [others] = await db.sql<Record<string, unknown>>(`
      SELECT (SELECT COUNT(*) FROM dm_user) AS dm_user, (SELECT COUNT(*) FROM dm_reaction) AS dm_reaction,
             (SELECT COUNT(*) FROM dm_message_edit) AS dm_message_edit, (SELECT COUNT(*) FROM dm_change) AS dm_change,
             (SELECT COUNT(*) FROM dm_block) AS dm_block, (SELECT COUNT(*) FROM dm_presence) AS dm_presence`)
    for (const [table, rows] of Object.entries(numbers(others))) t.ok(rows >= 10_000, `${rows} rows in ${table}`)
    const [reacted] = await db.sql<{ wrong: unknown }>(`
      SELECT COUNT(*) AS wrong FROM dm_message m
      WHERE reaction_count <> (SELECT COUNT(*) FROM dm_reaction r WHERE r.message_id = m.id)`)
    t.equal(Number(reacted?.wrong), 0, 'every message\'s reaction_count agrees with its reactions')
  })

  const MAIN_LIST_INDEXES = ['dm_conversation_list_idx']
  /**
   * The archived page must be a range of the archived rows: walking dm_conversation_recent_idx by
   * owner_id alone and filtering archived would read the owner's rows up to the page's 50th
   * archived one (the statement orders by archived too, which only dm_conversation_list_idx gives).
   */
  const ARCHIVED_LIST_INDEXES = ['dm_conversation_list_idx']
  /**
   * The list statement among `statements` reads dm_conversation (aliased c) with one index range
   * of `indexes`: dm_conversation_list_idx (owner_id, archived, last_message_id DESC), which the
   * statement names on MySQL (left to itself, MariaDB walks dm_conversation_recent_idx by owner
   * alone and filters out the other archived value, reading the owner's rows up to the page's
   * 50th archived one).
   */
  async function usesListIndex (t: Test, label: string, statements: Statement[], archived: boolean): Promise<void> {
    const indexes = archived ? ARCHIVED_LIST_INDEXES : MAIN_LIST_INDEXES
    const list = statements.find((statement) => /FROM dm_conversation c (FORCE INDEX \(dm_conversation_list_idx\) )?JOIN dm_message m/.test(oneLine(statement.query)))
    if (list === undefined) {
      t.fail(`${label}: no list statement`)
      return
    }
    const rows = (await explainRows(db, list.query, paramsOf(list))).filter((row) => row.table === 'c')
    t.ok(rows.length === 1 && ['ref', 'range'].includes(String(rows[0]?.type)) && indexes.includes(String(rows[0]?.key)),
      `${label}: one index range of dm_conversation (${indexes.join(' or ')})`, { scans: rows })
  }

  const scenarios: Scenarios = {
    db,
    app,
    run,
    heavy,
    bigPartner,
    usesListIndex,
    placeholder: () => '?',
    blockInsert: /^INSERT INTO dm_block \(blocker_id, blocked_id, created_at\) VALUES \(\?, \?, \?\) ON DUPLICATE KEY UPDATE/
  }
  await conversationLists(t, scenarios)

  // By its key, or by dm_conversation_partner_idx when the partner has one conversation only (the
  // big partner's is with the heavy user): either reads the one row.
  await muteAndArchive(t, scenarios, async (t, label, statement) => {
    const rows = (await explainRows(db, statement.query, paramsOf(statement))).filter((row) => row.table === 'dm_conversation')
    t.ok(rows.length === 1 && ['PRIMARY', 'dm_conversation_partner_idx'].includes(String(rows[0]?.key)) && (rows[0]?.rows ?? Infinity) <= 1,
      `${label}: finds the row through an index (${rows.map((row) => row.key).join(', ')}), reading one row`, { plan: render(rows) })
  })

  await unreadCounts(t, scenarios)

  await conversationPages(t, scenarios, { max: MAX_MARKING_STATEMENTS, expect: [REACTIONS_READ] })

  await t.test(`POST /send/${BIG_PARTNER}/ and DELETE /messages/<id>/`, async (t) => {
    const sent = await explained(t, `POST /send/${BIG_PARTNER}/`, heavy, { method: 'POST', url: `/api/dm/send/${BIG_PARTNER}/`, payload: { content: 'the newest' } }, 201, {
      expect: [/^SELECT blocker_id FROM dm_block WHERE /, LOCK_USERS, SEND, SENT_READ, CONVERSATIONS_UPSERT, RECIPIENT_MUTED, RECORD]
    })
    const message = sent.res.json<MessageJson>()
    const own = await explained(t, 'DELETE /messages/<own newest>/', heavy, { method: 'DELETE', url: `/api/dm/messages/${message.id}/` }, 204)
    t.ok(issued(own.statements, /^UPDATE dm_conversation SET last_message_id = \(/), 'the conversation row moved to the next message')
    const [conversation] = await db.sql<{ last_message_id: unknown }>('SELECT last_message_id FROM dm_conversation WHERE owner_id = ? AND partner_id = ?', [HEAVY, BIG_PARTNER])
    t.ok(Number(conversation?.last_message_id) < message.id, 'to an older message')

    const [inbound] = await db.sql<{ id: unknown }>(
      'SELECT CAST(MAX(id) AS CHAR) AS id FROM dm_message WHERE sender_id = ? AND recipient_id = ? AND NOT deleted_by_recipient', [BIG_PARTNER, HEAVY])
    const url = `/api/dm/messages/${String(inbound?.id)}/`
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
      'SELECT partner_id FROM dm_conversation WHERE owner_id = ? AND unread_count > 0 AND partner_id <> ? ORDER BY partner_id LIMIT 2', [HEAVY, BIG_PARTNER])
    const [reading, deleting] = partners.map((row) => row.partner_id)
    if (reading === undefined || deleting === undefined) throw new Error('no partners with unread messages')
    const read = await explained(t, 'POST /conversations/<id>/read/', heavy, { method: 'POST', url: `/api/dm/conversations/${reading}/read/` }, 200, {
      max: MAX_CHANGE_STATEMENTS,
      expect: [
        LOCK_USERS, /^SELECT id FROM dm_message WHERE recipient_id = \? AND read_at IS NULL .* FOR UPDATE$/,
        /^INSERT INTO dm_change \(user_id, kind, message_id, partner_id, created_at\) SELECT sender_id, 3, id, /, /^UPDATE dm_message SET read_at = /,
        /^SELECT id, sender_id, .* FROM dm_message WHERE id IN \(/, /^UPDATE dm_conversation SET unread_count = unread_count - /
      ]
    })
    t.ok(read.res.json<{ count: number }>().count > 0, 'messages marked read')

    const keyed = { method: 'POST', url: `/api/dm/send/${reading}/`, payload: { content: 'once' }, headers: { 'idempotency-key': 'explain-once' } } as const
    const byKey = /^SELECT id, sender_id, .* FROM dm_message WHERE sender_id = \? AND idempotency_key = \?$/
    const first = await explained(t, 'POST /send/<id>/ with an Idempotency-Key', heavy, keyed, 201, { expect: [byKey, SEND] })
    const retry = await explained(t, 'POST /send/<id>/ with the same Idempotency-Key (a retry)', heavy, keyed, 201, { expect: [byKey] })
    t.equal(retry.res.json<MessageJson>().id, first.res.json<MessageJson>().id, 'the retry answers the message the first send stored')

    await explained(t, 'POST /conversations/<id>/typing/', heavy, { method: 'POST', url: `/api/dm/conversations/${reading}/typing/` }, 204, {
      expect: [/^SELECT blocker_id FROM dm_block WHERE \(blocker_id = \? AND blocked_id = \?\) OR /]
    })

    const deleted = await explained(t, 'DELETE /conversations/<id>/', heavy, { method: 'DELETE', url: `/api/dm/conversations/${deleting}/` }, 204, {
      max: MAX_CHANGE_STATEMENTS,
      expect: [
        LOCK_USERS, /^UPDATE dm_message SET deleted_by_sender = .* WHERE user_low_id = \? AND user_high_id = /,
        /^UPDATE dm_conversation SET last_message_id = \(SELECT id FROM dm_message .*unread_count = \(SELECT COUNT\(\*\) FROM dm_message WHERE recipient_id = /,
        RECORD
      ]
    })
    t.ok(deleted.explained.length >= 4, `${deleted.explained.length} statements of the delete explained`)
    const [row] = await db.sql<{ last_message_id: unknown, unread_count: unknown }>(
      'SELECT last_message_id, unread_count FROM dm_conversation WHERE owner_id = ? AND partner_id = ?', [HEAVY, deleting])
    t.same({ last_message_id: row?.last_message_id, unread_count: Number(row?.unread_count) }, { last_message_id: null, unread_count: 0 }, 'the conversation row emptied')
  })

  await t.test('rich messages: replies, reactions, edits, unsend', async (t) => {
    const id = await replyThread(t, scenarios, REACTIONS_READ)
    const reaction = `/api/dm/messages/${id}/reactions/${encodeURIComponent('🎉')}/`
    const lock = /^SELECT id, sender_id, recipient_id, .* FROM dm_message WHERE id = \? AND \(sender_id = .* FOR UPDATE$/
    await explained(t, 'PUT /messages/<id>/reactions/<emoji>/', bigPartner, { method: 'PUT', url: reaction }, 200, {
      max: MAX_CHANGE_STATEMENTS,
      expect: [LOCK_PARTICIPANTS, lock, /^SELECT COUNT\(DISTINCT emoji\) AS kinds, .* FROM dm_reaction WHERE message_id = \?$/, /^INSERT INTO dm_reaction /, MESSAGE_READ_BACK, RECORD, REACTIONS_READ]
    })
    await explained(t, 'DELETE /messages/<id>/reactions/<emoji>/', bigPartner, { method: 'DELETE', url: reaction }, 200, {
      max: MAX_CHANGE_STATEMENTS, expect: [/^DELETE FROM dm_reaction WHERE message_id = \? AND user_id = \? AND emoji = \?$/, RECORD]
    })
    await explained(t, 'PATCH /messages/<id>/', heavy, { method: 'PATCH', url: `/api/dm/messages/${id}/`, payload: { content: 'edited' } }, 200, {
      max: MAX_CHANGE_STATEMENTS, expect: [/^INSERT INTO dm_message_edit /, /^UPDATE dm_message SET content = /, MESSAGE_READ_BACK, RECORD]
    })
    const edits = await explained(t, 'GET /messages/<id>/edits/', bigPartner, { method: 'GET', url: `/api/dm/messages/${id}/edits/` }, 200, {
      expect: [/^SELECT e\.content, e\.edited_at FROM dm_message m LEFT JOIN dm_message_edit e ON e\.message_id = m\.id/]
    })
    t.same(edits.res.json<Array<{ content: string }>>().map((edit) => edit.content), ['thread 59'], 'the one earlier version')
    await explained(t, 'POST /messages/<id>/unsend/', heavy, { method: 'POST', url: `/api/dm/messages/${id}/unsend/` }, 204, {
      max: MAX_CHANGE_STATEMENTS, expect: [/^UPDATE dm_message SET unsent_at = /, /^DELETE FROM dm_message_edit WHERE message_id = \?$/, /^DELETE FROM dm_reaction WHERE message_id = \?$/, RECORD]
    })
    await explained(t, `POST /send/${BIG_PARTNER}/ with reply_to`, heavy, { method: 'POST', url: `/api/dm/send/${BIG_PARTNER}/`, payload: { content: 'answer', reply_to: id } }, 201, {
      expect: [/^SELECT id FROM dm_message WHERE id = \? AND user_low_id = /, SEND]
    })
  })

  await blocks(t, scenarios)

  await t.test('a resuming event stream reads a range of the user\'s changes, not their messages', async (t) => {
    // The change log of the seeded volume (seedOthers): every message a change of both its users, old to new.
    const [middle] = await db.sql<{ id: unknown }>('SELECT CAST(id AS CHAR) AS id FROM dm_change WHERE user_id = ? ORDER BY dm_change.id LIMIT 1 OFFSET 20000', [HEAVY])
    const after = Number(middle?.id)
    t.ok(after > 0, 'the heavy user has tens of thousands of changes')
    // A light user too: the optimizer must then range-scan that user's part of the index, not
    // walk everyone's changes by id.
    const light = BACKGROUND_FIRST + 7
    const [lightMiddle] = await db.sql<{ id: unknown }>('SELECT CAST(id AS CHAR) AS id FROM dm_change WHERE user_id = ? ORDER BY dm_change.id LIMIT 1 OFFSET 5', [light])
    const lightAfter = Number(lightMiddle?.id)
    t.ok(lightAfter > 0, 'the light user has a few changes')
    for (const [label, statement, index] of [
      ['the heavy user\'s changes after Last-Event-ID, with their messages', changesStatement(HEAVY, after, 500), /^(dm_change_user_idx|PRIMARY)$/],
      ['where the heavy user\'s stream stands (is the change still kept, the oldest, the newest)', positionStatement(HEAVY, after), /^(dm_change_user_idx|PRIMARY)$/],
      ['a light user\'s changes after Last-Event-ID, with their messages', changesStatement(light, lightAfter, 500), /^dm_change_user_idx$/],
      ['where a light user\'s stream stands', positionStatement(light, lightAfter), /^dm_change_user_idx$/]
    ] as const) {
      const sql = oneLine(statement.sql)
      const plan = await explainRows(db, statement.sql, statement.values)
      t.comment(`${label}\n    ${render(plan)}`)
      explainedInAll++
      t.same(fullScansOf(plan, sql), [], `${label}: no full scan of a dm_* table`)
      const names = pluginNames(sql)
      t.ok(plan.some((row) => row.table !== null && names.get(row.table) === 'dm_change' && ['const', 'eq_ref', 'ref', 'range'].includes(String(row.type)) && index.test(String(row.key))),
        `${label}: an index lookup or range of dm_change (${String(index)})`, { plan: render(plan) })
    }
  })

  await streamWithPresence(t, scenarios, {
    audience: AUDIENCE,
    opening: [STREAM_POSITION, CHANGES, REACTIONS_READ, LOCK_USERS, PRESENCE_LIVE, PRESENCE_ARRIVE, AUDIENCE],
    closing: [LOCK_USERS, PRESENCE_LEAVING, PRESENCE_LEAVE, LAST_SEEN, PRESENCE_LIVE, AUDIENCE]
  })

  await timers(t, scenarios, {
    audience: AUDIENCE,
    refresh: PRESENCE_REFRESH,
    timeout: 120_000,
    expect: [STREAM_POSITION, LOCK_USERS, PRESENCE_ARRIVE, PRESENCE_REFRESH, SWEEP_PROBE, SWEEP_LOCK, PRESENCE_SWEEP, LAST_SEEN, PRESENCE_LIVE, AUDIENCE, PRUNE_READ, PRUNE_NEWEST, PRUNE]
  })

  await idsBeyond2to31(t, scenarios, {
    restart: 'ALTER TABLE dm_message AUTO_INCREMENT = 3000000001',
    counter: 'counter',
    storedIds: 'SELECT CAST(id AS CHAR) AS id FROM dm_message WHERE content = ?'
  })

  t.comment(`${explainedInAll} statements explained in all`)
})
