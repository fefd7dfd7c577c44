// Query plans on PostgreSQL over a realistic volume: a heavy user with tens of thousands of messages
// across hundreds of partners, among background traffic. Every statement the plugin issues for the
// heavy user's requests is EXPLAINed with its real parameters, and none may read dm_message with a
// sequential scan. Also: message ids beyond 2^31 survive the round trip on PostgreSQL.
import t, { type Test } from 'tap'
import { changesStatement, positionStatement } from '../src/store/change-log.js'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { openDatabase, PG_ADMIN_URL, postgresReachable, type TestDatabase } from './helpers/databases.js'
import { as, getJson, pathOf, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from './helpers/app.js'

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
}

function testUser (id: number): TestUser {
  const token = `explain-token-${id}`
  return { id, username: `user${id}`, token, headers: { authorization: `Token ${token}` } }
}

function oneLine (sql: string): string {
  return sql.replace(/\s+/g, ' ').trim()
}

/** Statements on the plugin's own tables; not the host's user table, not transaction control. */
function isPluginStatement (sql: string): boolean {
  // The example's token lookup is not the plugin's; the plugin's list statements join app_user (partners' names).
  return /\bdm_(message|conversation)\b/.test(sql) && !/FROM app_user WHERE token\b/.test(sql) && !/^\s*(BEGIN|COMMIT|ROLLBACK)\b/i.test(sql)
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
 * Seeds, with set-based SQL only, USERS users, HEAVY_MESSAGES messages of the heavy user (one in six
 * with BIG_PARTNER, the rest spread over 399 other partners; half sent, half received; recent inbound
 * ones unread; a few hidden by either side) interleaved with BACKGROUND_MESSAGES among the background
 * users, and the conversation rows derived from those messages (80 of the heavy user's archived, 57
 * muted); then ANALYZE.
 */
async function seed (db: TestDatabase): Promise<void> {
  await db.sql(`
    INSERT INTO app_user (id, username, first_name, last_name, token)
    SELECT g, 'user' || g, 'First' || g, 'Last' || g, 'explain-token-' || g FROM generate_series(1, ${USERS}) g`)
  await db.sql(`SELECT setval(pg_get_serial_sequence('app_user', 'id'), ${USERS})`)
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
  await db.sql('ANALYZE')
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

  /** Runs the request as `user`, then EXPLAINs each statement it issued on the plugin's tables. */
  async function explained (t: Test, label: string, user: TestUser, options: InjectOptions, status: number, max = MAX_STATEMENTS): Promise<Explained> {
    const statements: Statement[] = []
    recording = statements
    let res: LightMyRequestResponse
    try {
      res = await as(app, user, options)
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      recording = null
    }
    t.equal(res.statusCode, status, `${label} answers ${status}`)
    t.ok(statements.length <= max, `${label}: ${statements.length} statements in all (at most ${max})`,
      { statements: statements.map((statement) => oneLine(statement.query)) })
    const plugin = statements.filter((statement) => isPluginStatement(statement.query))
    let count = 0
    for (const [index, statement] of plugin.entries()) {
      const sql = oneLine(statement.query)
      const params = JSON.parse(statement.params) as unknown[]
      const rows = await db.sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${statement.query}`, params)
      const plan = rows[0]?.['QUERY PLAN'][0]?.Plan
      if (plan === undefined) {
        t.fail(`${label}: no plan for ${sql}`)
        continue
      }
      count++
      t.comment(`${label} #${index + 1}: ${sql.length > 90 ? `${sql.slice(0, 90)}…` : sql}\n    ${render(plan)}`)
      const seqScans = flatten(plan).filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'dm_message')
      t.equal(seqScans.length, 0, seqScans.length === 0
        ? `${label}, statement ${index + 1}: no Seq Scan on dm_message`
        : `${label}: Seq Scan on dm_message in "${sql}" (params ${statement.params}): ${JSON.stringify(fieldsOf(seqScans[0] as PlanNode))}`,
      { sql, params, plan: render(plan) })
    }
    t.ok(plugin.length > 0 && count === plugin.length, `${label}: all ${count} statements on dm_message/dm_conversation explained`)
    return { res, statements }
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
    const first = await explained(t, `GET ${url} (first page, marks read)`, heavy, { method: 'GET', url }, 200)
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
    const sent = await explained(t, `POST /send/${BIG_PARTNER}/`, heavy, { method: 'POST', url: `/api/dm/send/${BIG_PARTNER}/`, payload: { content: 'the newest' } }, 201)
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
    const page = await explained(t, `GET ${url} (replies and reactions)`, heavy, { method: 'GET', url }, 200)
    t.ok(issued(page.statements, /FROM dm_reaction WHERE message_id IN/), 'the page\'s reactions in one statement')
    t.ok(issued(page.statements, /FROM dm_message WHERE id IN/), 'the previews in one statement')
    await explained(t, 'GET /conversations/ (a last message with a reply and reactions)', heavy, { method: 'GET', url: '/api/dm/conversations/' }, 200)
    const id = previous as number
    const reaction = `/api/dm/messages/${id}/reactions/${encodeURIComponent('🎉')}/`
    await explained(t, 'PUT /messages/<id>/reactions/<emoji>/', bigPartner, { method: 'PUT', url: reaction }, 200, MAX_CHANGE_STATEMENTS)
    await explained(t, 'DELETE /messages/<id>/reactions/<emoji>/', bigPartner, { method: 'DELETE', url: reaction }, 200, MAX_CHANGE_STATEMENTS)
    await explained(t, 'PATCH /messages/<id>/', heavy, { method: 'PATCH', url: `/api/dm/messages/${id}/`, payload: { content: 'edited' } }, 200, MAX_CHANGE_STATEMENTS)
    await explained(t, 'GET /messages/<id>/edits/', bigPartner, { method: 'GET', url: `/api/dm/messages/${id}/edits/` }, 200)
    await explained(t, 'POST /messages/<id>/unsend/', heavy, { method: 'POST', url: `/api/dm/messages/${id}/unsend/` }, 204, MAX_CHANGE_STATEMENTS)
    await explained(t, `POST /send/${BIG_PARTNER}/ with reply_to`, heavy, { method: 'POST', url: `/api/dm/send/${BIG_PARTNER}/`, payload: { content: 'answer', reply_to: id } }, 201)
  })

  await t.test('a resuming event stream reads a range of the user\'s changes, not their messages', async (t) => {
    // A change log of the seeded volume: every message a change of both its users, old to new.
    await db.sql('INSERT INTO dm_user (user_id) SELECT id FROM app_user ON CONFLICT DO NOTHING')
    await db.sql(`
      INSERT INTO dm_change (user_id, kind, message_id, partner_id, created_at)
      SELECT user_id, 1, id, partner_id, sent_at FROM (
        SELECT sender_id AS user_id, recipient_id AS partner_id, id, sent_at FROM dm_message
        UNION ALL
        SELECT recipient_id, sender_id, id, sent_at FROM dm_message
      ) sides ORDER BY id`)
    await db.sql('ANALYZE dm_change')
    const [middle] = await db.sql<{ id: string }>('SELECT id::text AS id FROM dm_change WHERE user_id = $1 ORDER BY id LIMIT 1 OFFSET 20000', [HEAVY])
    const after = Number(middle?.id)
    t.ok(after > 0, 'the heavy user has tens of thousands of changes')
    // A light user too: the planner must then range-scan that user's part of the index, not
    // walk everyone's changes by id.
    const light = BACKGROUND_FIRST + 7
    const [lightMiddle] = await db.sql<{ id: string }>('SELECT id::text AS id FROM dm_change WHERE user_id = $1 ORDER BY id LIMIT 1 OFFSET 5', [light])
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
