/**
 * `npm run bench:scale`: does a request cost more for a user with a long history? p50 latency of
 * the five hot paths for a heavy user and for a light one, on a database of a million messages.
 *
 * DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is the server connection,
 * PostgreSQL or, with a mysql:// URL, MySQL or MariaDB: the script drops and creates its own
 * database `dm_bench_scale`, migrates it, and seeds with set-based SQL (INSERT ... SELECT
 * generate_series, or on MySQL/MariaDB a table of integers from a cross join of digits;
 * conversation and dm_user rows derived with GROUP BY, then VACUUM ANALYZE or ANALYZE TABLE):
 *
 * - 10,001 users;
 * - the heavy user (1): 200,000 messages over 5,000 partners: one in five with partner 2 (40,000),
 *   the rest spread evenly over partners 3..5001 (32 each); half sent, half received; the inbound
 *   ones among their newest 200 messages unread; a few hidden by either side;
 * - 800,000 background messages among users 2..9,999 (each has 20 partners, 8 messages with each
 *   on average), interleaved in time with the heavy user's;
 * - the light user (10,000): 10 messages, 6 with user 9,001 and 4 with user 9,002, the newest one
 *   (from 9,001) unread;
 * - a second light user (10,001) for the unread-conversation list, which has no pages: one unread
 *   message from each of 80 partners, as many as the heavy user's unread conversations.
 *
 * Then it starts the example application with the plugin (bench/lib.ts), on Prisma and then with
 * the `driver` option (a pg Pool, or a mariadb Pool), and sends to each, one at a time
 * on one kept-alive connection, heavy and light requests alternately: 20 of each to warm up, then
 * 200 of each measured. Pages are compared at equal sizes (a page of 5 messages; a conversation
 * list of 2, the light user's whole list) so that the ratio shows the cost of history rather than
 * of a longer answer (conversation pages with `mark_read=false`, so that the runs leave the data as
 * they found it for the next server); the default page size (50) is measured too and printed for
 * information.
 * Prints a table and writes scale-results.json in the current directory.
 * Environment: DM_SCALE_REQUESTS (200), DM_BENCH_POOL (10).
 */
import { writeFileSync } from 'node:fs'
import {
  DERIVE_CONVERSATIONS, DERIVE_CONVERSATIONS_MYSQL, ENDPOINTS, ENGINE, authHeaders, closeAgent, machineNote, percentile, progress, recreateDatabase, round, startServer, table, timed,
  timedRequest, withClient, withMariadb, withSequence,
  type Endpoint, type RequestSpec, type Server
} from './lib.js'

const DATABASE = 'dm_bench_scale'
const USERS = 10_001
const HEAVY = 1
const BIG_PARTNER = 2
const HEAVY_PARTNERS = 5000
const HEAVY_MESSAGES = 200_000
const HEAVY_UNREAD_WINDOW = 200
const BACKGROUND_MESSAGES = 800_000
/** Background users are 2..9,999; each talks with the 10 after it and the 10 before it (circularly). */
const BACKGROUND_USERS = 9998
const BACKGROUND_SIDE = 10
const LIGHT = 10_000
const LIGHT_PARTNER = 9001
const LIGHT_OTHER_PARTNER = 9002
/**
 * A second light user for the unread-conversation list, which is not paginated: one unread message
 * from each of as many partners as the heavy user has unread conversations (80, checked at seeding),
 * so that both answers have as many entries.
 */
const LIGHT_WIDE = 10_001
const LIGHT_WIDE_PARTNERS = 80
const LIGHT_WIDE_FIRST_PARTNER = 9100
const REQUESTS = Number(process.env.DM_SCALE_REQUESTS ?? 200)
const WARMUP = 20
const POOL = Number(process.env.DM_BENCH_POOL ?? 10)
const MAX_RATIO = 1.3

const token = (user: number): string => `scale-token-${user}`

async function seedPostgres (url: string): Promise<void> {
  await withClient(url, async (db) => {
    await db.query('SET synchronous_commit = off')
    await db.query('SET work_mem = \'512MB\'')
    await db.query('SET maintenance_work_mem = \'512MB\'')
    const step = async (label: string, sql: string): Promise<void> => {
      await timed(`  ${label}`, () => db.query(sql))
    }
    await step(`${USERS} users`, `
      INSERT INTO app_user (id, username, first_name, last_name, token)
      SELECT g, 'user' || g, 'First' || g, 'Last' || g, 'scale-token-' || g FROM generate_series(1, ${USERS}) g`)
    await db.query(`SELECT setval(pg_get_serial_sequence('app_user', 'id'), ${USERS})`)
    // k orders the messages in time (and so their ids): the heavy user's and the background ones
    // interleave over the same period; the light user's 10 come last.
    await step(`${HEAVY_MESSAGES + BACKGROUND_MESSAGES + 10 + LIGHT_WIDE_PARTNERS} messages`, `
      INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, read_at, deleted_by_sender, deleted_by_recipient)
      SELECT s, r, LEAST(s, r), GREATEST(s, r), content, sent, CASE WHEN unread THEN NULL ELSE sent + interval '1 minute' END, hidden_s, hidden_r
      FROM (
        SELECT g * ${BACKGROUND_MESSAGES / HEAVY_MESSAGES} AS k, 'Heavy message ' || g || ': shall we move the meeting to Thursday afternoon?' AS content,
               CASE WHEN g % 4 < 2 THEN ${HEAVY} ELSE p END AS s,
               CASE WHEN g % 4 < 2 THEN p ELSE ${HEAVY} END AS r,
               g % 4 >= 2 AND g > ${HEAVY_MESSAGES - HEAVY_UNREAD_WINDOW} AS unread,
               g % 101 = 0 AS hidden_s, g % 103 = 0 AS hidden_r
        FROM (
          SELECT g, CASE WHEN g % 5 = 0 THEN ${BIG_PARTNER} ELSE ${BIG_PARTNER + 1} + (g * 7919) % ${HEAVY_PARTNERS - 1} END AS p
          FROM generate_series(1::bigint, ${HEAVY_MESSAGES}) g
        ) heavy
        UNION ALL
        SELECT g, 'Message ' || g || ': see you tomorrow at the usual place?',
               CASE WHEN g % 2 = 0 THEN u ELSE v END, CASE WHEN g % 2 = 0 THEN v ELSE u END,
               g > ${BACKGROUND_MESSAGES * 0.95}, g % 101 = 0, g % 103 = 0
        FROM (
          -- Conversation c (a permutation of g): background user u and the user j places after it.
          SELECT g, 2 + c / ${BACKGROUND_SIDE} AS u, 2 + (c / ${BACKGROUND_SIDE} + 1 + c % ${BACKGROUND_SIDE}) % ${BACKGROUND_USERS} AS v
          FROM (SELECT g, (g * 7919) % ${BACKGROUND_USERS * BACKGROUND_SIDE} AS c FROM generate_series(1::bigint, ${BACKGROUND_MESSAGES}) g) permuted
        ) background
        UNION ALL
        SELECT ${BACKGROUND_MESSAGES} + g, 'Light message ' || g || ': thanks, talk soon!',
               CASE WHEN g % 2 = 1 THEN ${LIGHT} ELSE partner END,
               CASE WHEN g % 2 = 1 THEN partner ELSE ${LIGHT} END,
               g = 10, false, false
        FROM (SELECT g, CASE WHEN g <= 4 THEN ${LIGHT_OTHER_PARTNER} ELSE ${LIGHT_PARTNER} END AS partner FROM generate_series(1::bigint, 10) g) light
        UNION ALL
        SELECT ${BACKGROUND_MESSAGES} + 10 + g, 'Hello ' || g || ': are you coming tonight?', ${LIGHT_WIDE_FIRST_PARTNER - 1} + g, ${LIGHT_WIDE}, true, false, false
        FROM generate_series(1::bigint, ${LIGHT_WIDE_PARTNERS}) g
      ) seeded
      CROSS JOIN LATERAL (SELECT timestamp '2025-01-01' + k * interval '30 seconds' AS sent) stamped
      ORDER BY k`)
    await step('conversation rows (GROUP BY)', DERIVE_CONVERSATIONS)
    await step('dm_user rows', 'INSERT INTO dm_user (user_id) SELECT sender_id FROM dm_message UNION SELECT recipient_id FROM dm_message')
    await step('VACUUM ANALYZE', 'VACUUM ANALYZE')
    const { rows } = await db.query<Record<string, number>>(`
      SELECT (SELECT COUNT(*)::int FROM dm_message) AS messages,
             (SELECT COUNT(*)::int FROM dm_message WHERE ${HEAVY} IN (sender_id, recipient_id)) AS heavy_messages,
             (SELECT COUNT(*)::int FROM dm_conversation WHERE owner_id = ${HEAVY}) AS heavy_partners,
             (SELECT COUNT(*)::int FROM dm_message WHERE user_low_id = ${HEAVY} AND user_high_id = ${BIG_PARTNER}) AS heavy_big_conversation,
             (SELECT COUNT(*)::int FROM dm_conversation WHERE owner_id = ${HEAVY} AND unread_count > 0) AS heavy_unread_partners,
             (SELECT COALESCE(SUM(unread_count), 0)::int FROM dm_conversation WHERE owner_id = ${HEAVY}) AS heavy_unread,
             (SELECT COUNT(*)::int FROM dm_message WHERE ${LIGHT} IN (sender_id, recipient_id)) AS light_messages,
             (SELECT COUNT(*)::int FROM dm_conversation WHERE owner_id = ${LIGHT}) AS light_partners,
             (SELECT COUNT(*)::int FROM dm_conversation WHERE owner_id = ${LIGHT_WIDE} AND unread_count > 0) AS wide_unread_partners,
             (SELECT COUNT(*)::int FROM dm_conversation) AS conversation_rows,
             (SELECT COUNT(DISTINCT u)::int FROM (SELECT sender_id AS u FROM dm_message UNION ALL SELECT recipient_id FROM dm_message) users) AS users_with_messages`)
    checkSeeded(rows[0] as Record<string, number>)
  })
}

/** The same data on MySQL/MariaDB: integers from a table of them (lib.ts withSequence), CONCAT for text, DIV for integer division. */
async function seedMysql (url: string): Promise<void> {
  await withMariadb(url, async (db) => {
    // The data is consistent by construction: no foreign key checks row by row.
    await db.query('SET SESSION foreign_key_checks = 0')
    // The million rows sorted and grouped in memory: the server's temporary files are in a shared /tmp.
    await db.query('SET SESSION tmp_table_size = 1073741824, max_heap_table_size = 1073741824, sort_buffer_size = 268435456')
    const step = async (label: string, sql: string): Promise<void> => {
      await timed(`  ${label}`, () => db.query(sql))
    }
    await timed('  a table of 1..800,000', () => withSequence(db, BACKGROUND_MESSAGES, async () => {
      await step(`${USERS} users`, `
        INSERT INTO app_user (id, username, first_name, last_name, token)
        SELECT g, CONCAT('user', g), CONCAT('First', g), CONCAT('Last', g), CONCAT('scale-token-', g) FROM bench_seq WHERE g <= ${USERS}`)
      // As on PostgreSQL: k orders the messages in time (and so their ids).
      await step(`${HEAVY_MESSAGES + BACKGROUND_MESSAGES + 10 + LIGHT_WIDE_PARTNERS} messages`, `
        INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, read_at, deleted_by_sender, deleted_by_recipient)
        SELECT s, r, LEAST(s, r), GREATEST(s, r), content, sent, CASE WHEN unread THEN NULL ELSE sent + INTERVAL 1 MINUTE END, hidden_s, hidden_r
        FROM (
          SELECT k, content, s, r, unread, hidden_s, hidden_r, TIMESTAMP '2025-01-01 00:00:00' + INTERVAL (k * 30) SECOND AS sent
          FROM (
            SELECT g * ${BACKGROUND_MESSAGES / HEAVY_MESSAGES} AS k, CONCAT('Heavy message ', g, ': shall we move the meeting to Thursday afternoon?') AS content,
                   CASE WHEN g % 4 < 2 THEN ${HEAVY} ELSE p END AS s,
                   CASE WHEN g % 4 < 2 THEN p ELSE ${HEAVY} END AS r,
                   g % 4 >= 2 AND g > ${HEAVY_MESSAGES - HEAVY_UNREAD_WINDOW} AS unread,
                   g % 101 = 0 AS hidden_s, g % 103 = 0 AS hidden_r
            FROM (
              SELECT g, CASE WHEN g % 5 = 0 THEN ${BIG_PARTNER} ELSE ${BIG_PARTNER + 1} + (g * 7919) % ${HEAVY_PARTNERS - 1} END AS p
              FROM bench_seq WHERE g <= ${HEAVY_MESSAGES}
            ) heavy
            UNION ALL
            SELECT g, CONCAT('Message ', g, ': see you tomorrow at the usual place?'),
                   CASE WHEN g % 2 = 0 THEN u ELSE v END, CASE WHEN g % 2 = 0 THEN v ELSE u END,
                   g > ${BACKGROUND_MESSAGES * 0.95}, g % 101 = 0, g % 103 = 0
            FROM (
              SELECT g, 2 + c DIV ${BACKGROUND_SIDE} AS u, 2 + (c DIV ${BACKGROUND_SIDE} + 1 + c % ${BACKGROUND_SIDE}) % ${BACKGROUND_USERS} AS v
              FROM (SELECT g, (g * 7919) % ${BACKGROUND_USERS * BACKGROUND_SIDE} AS c FROM bench_seq WHERE g <= ${BACKGROUND_MESSAGES}) permuted
            ) background
            UNION ALL
            SELECT ${BACKGROUND_MESSAGES} + g, CONCAT('Light message ', g, ': thanks, talk soon!'),
                   CASE WHEN g % 2 = 1 THEN ${LIGHT} ELSE partner END,
                   CASE WHEN g % 2 = 1 THEN partner ELSE ${LIGHT} END,
                   g = 10, false, false
            FROM (SELECT g, CASE WHEN g <= 4 THEN ${LIGHT_OTHER_PARTNER} ELSE ${LIGHT_PARTNER} END AS partner FROM bench_seq WHERE g <= 10) light
            UNION ALL
            SELECT ${BACKGROUND_MESSAGES} + 10 + g, CONCAT('Hello ', g, ': are you coming tonight?'), ${LIGHT_WIDE_FIRST_PARTNER - 1} + g, ${LIGHT_WIDE}, true, false, false
            FROM bench_seq WHERE g <= ${LIGHT_WIDE_PARTNERS}
          ) parts
        ) seeded
        ORDER BY k`)
    }))
    await step('conversation rows (GROUP BY)', DERIVE_CONVERSATIONS_MYSQL)
    await step('dm_user rows', 'INSERT INTO dm_user (user_id) SELECT sender_id FROM dm_message UNION SELECT recipient_id FROM dm_message')
    await step('ANALYZE TABLE', 'ANALYZE TABLE app_user, dm_message, dm_conversation, dm_user')
    const [row] = await db.query<Array<Record<string, unknown>>>(`
      SELECT (SELECT COUNT(*) FROM dm_message) AS messages,
             (SELECT COUNT(*) FROM dm_message WHERE ${HEAVY} IN (sender_id, recipient_id)) AS heavy_messages,
             (SELECT COUNT(*) FROM dm_conversation WHERE owner_id = ${HEAVY}) AS heavy_partners,
             (SELECT COUNT(*) FROM dm_message WHERE user_low_id = ${HEAVY} AND user_high_id = ${BIG_PARTNER}) AS heavy_big_conversation,
             (SELECT COUNT(*) FROM dm_conversation WHERE owner_id = ${HEAVY} AND unread_count > 0) AS heavy_unread_partners,
             (SELECT COALESCE(SUM(unread_count), 0) FROM dm_conversation WHERE owner_id = ${HEAVY}) AS heavy_unread,
             (SELECT COUNT(*) FROM dm_message WHERE ${LIGHT} IN (sender_id, recipient_id)) AS light_messages,
             (SELECT COUNT(*) FROM dm_conversation WHERE owner_id = ${LIGHT}) AS light_partners,
             (SELECT COUNT(*) FROM dm_conversation WHERE owner_id = ${LIGHT_WIDE} AND unread_count > 0) AS wide_unread_partners,
             (SELECT COUNT(*) FROM dm_conversation) AS conversation_rows,
             (SELECT COUNT(DISTINCT u) FROM (SELECT sender_id AS u FROM dm_message UNION ALL SELECT recipient_id FROM dm_message) users) AS users_with_messages`)
    // (Counts come as BigInt, sums as decimal text.)
    checkSeeded(Object.fromEntries(Object.entries(row ?? {}).map(([name, value]) => [name, Number(value)])))
  })
}

/** Reports what was seeded, and fails unless it is the volume meant. */
function checkSeeded (r: Record<string, number>): void {
  progress(`seeded: ${r.messages} messages among ${r.users_with_messages} users, ${r.conversation_rows} conversation rows`)
  progress(`  heavy user ${HEAVY}: ${r.heavy_messages} messages, ${r.heavy_partners} partners (${r.heavy_big_conversation} with user ${BIG_PARTNER}), ${r.heavy_unread} unread from ${r.heavy_unread_partners} partners`)
  progress(`  light user ${LIGHT}: ${r.light_messages} messages, ${r.light_partners} partners; light user ${LIGHT_WIDE}: ${r.wide_unread_partners} unread conversations of one message`)
  if ((r.messages ?? 0) < 1_000_000 || r.heavy_messages !== HEAVY_MESSAGES || r.heavy_partners !== HEAVY_PARTNERS || r.light_messages !== 10 ||
      r.heavy_unread_partners !== LIGHT_WIDE_PARTNERS || r.wide_unread_partners !== LIGHT_WIDE_PARTNERS) {
    throw new Error('the seeded volume is not what was meant')
  }
}

interface Case {
  /** The key in the results (one of ENDPOINTS, or a variant of it). */
  name: string
  endpoint: Endpoint
  /** Whether the case is one of the five the targets are about (the others are for information). */
  primary: boolean
  heavy: RequestSpec
  light: RequestSpec
  status: number
  /** Items in an answer: the page's results, or the array's entries. */
  items?: (body: unknown) => number
}

const get = (user: number, path: string): RequestSpec => ({ method: 'GET', path, headers: authHeaders(token(user)) })
const results = (body: unknown): number => (body as { results: unknown[] }).results.length
const entries = (body: unknown): number => (body as unknown[]).length

const cases: Case[] = [
  { name: 'GET /unread/', endpoint: 'GET /unread/', primary: true, heavy: get(HEAVY, '/api/dm/unread/'), light: get(LIGHT, '/api/dm/unread/'), status: 200 },
  {
    name: 'GET /conversations/unread/',
    endpoint: 'GET /conversations/unread/',
    primary: true,
    heavy: get(HEAVY, '/api/dm/conversations/unread/'),
    light: get(LIGHT_WIDE, '/api/dm/conversations/unread/'),
    status: 200,
    items: entries
  },
  {
    name: 'GET /conversations/',
    endpoint: 'GET /conversations/',
    primary: true,
    heavy: get(HEAVY, '/api/dm/conversations/?page_size=2'),
    light: get(LIGHT, '/api/dm/conversations/?page_size=2'),
    status: 200,
    items: results
  },
  {
    name: 'GET /conversations/ (page_size 50)',
    endpoint: 'GET /conversations/',
    primary: false,
    heavy: get(HEAVY, '/api/dm/conversations/'),
    light: get(LIGHT, '/api/dm/conversations/'),
    status: 200,
    items: results
  },
  {
    name: 'GET /conversations/<id>/',
    endpoint: 'GET /conversations/<id>/',
    primary: true,
    heavy: get(HEAVY, `/api/dm/conversations/${BIG_PARTNER}/?page_size=5&mark_read=false`),
    light: get(LIGHT, `/api/dm/conversations/${LIGHT_PARTNER}/?page_size=5&mark_read=false`),
    status: 200,
    items: results
  },
  {
    name: 'GET /conversations/<id>/ (page_size 50)',
    endpoint: 'GET /conversations/<id>/',
    primary: false,
    heavy: get(HEAVY, `/api/dm/conversations/${BIG_PARTNER}/?mark_read=false`),
    light: get(LIGHT, `/api/dm/conversations/${LIGHT_PARTNER}/?mark_read=false`),
    status: 200,
    items: results
  },
  {
    name: 'POST /send/<id>/',
    endpoint: 'POST /send/<id>/',
    primary: true,
    heavy: { method: 'POST', path: `/api/dm/send/${BIG_PARTNER}/`, headers: authHeaders(token(HEAVY), true), body: '{"content":"Scale message: on my way."}' },
    light: { method: 'POST', path: `/api/dm/send/${LIGHT_PARTNER}/`, headers: authHeaders(token(LIGHT), true), body: '{"content":"Scale message: on my way."}' },
    status: 201
  }
]

interface Measured { heavy: number[], light: number[], heavyItems: number | null, lightItems: number | null }

async function measure (server: Server, entry: Case): Promise<Measured> {
  const measured: Measured = { heavy: [], light: [], heavyItems: null, lightItems: null }
  for (let i = 0; i < WARMUP + REQUESTS; i++) {
    // Alternate, and alternate who goes first, so that drift hits both alike.
    const order = i % 2 === 0 ? (['heavy', 'light'] as const) : (['light', 'heavy'] as const)
    for (const who of order) {
      const res = await timedRequest(server.origin, entry[who])
      if (res.status !== entry.status) throw new Error(`${entry.name} (${who}): ${res.status} ${res.body}`)
      if (i >= WARMUP) measured[who].push(res.ms)
      if (i === WARMUP && entry.items !== undefined) measured[who === 'heavy' ? 'heavyItems' : 'lightItems'] = entry.items(JSON.parse(res.body))
    }
  }
  return measured
}

async function main (): Promise<void> {
  const begin = performance.now()
  progress(`scale on ${ENGINE === 'mysql' ? 'MySQL/MariaDB' : 'PostgreSQL'}: ${USERS} users, ${HEAVY_MESSAGES + BACKGROUND_MESSAGES + 10 + LIGHT_WIDE_PARTNERS} messages; heavy user ${HEAVY} (${HEAVY_MESSAGES} messages over ${HEAVY_PARTNERS} partners), light user ${LIGHT} (10 messages)`)
  progress(`machine: ${machineNote()}`)
  const { value: url } = await timed(`database ${DATABASE} created and migrated`, () => recreateDatabase(DATABASE))
  const { ms: seedMs } = await timed('seeded (set-based SQL)', () => (ENGINE === 'mysql' ? seedMysql : seedPostgres)(url))
  // The plugin on Prisma, then with the driver option (one pg Pool for the adapter and the plugin; a mariadb Pool on MySQL/MariaDB).
  const measured = new Map<Case, Record<'plugin' | 'driver', Measured>>()
  for (const role of ['plugin', 'driver'] as const) {
    const server = await startServer(role, url, POOL)
    progress(`${role} (example app ${role === 'plugin' ? '+ Prisma' : 'with the driver option'}, pool ${POOL}) on ${server.origin}; ${WARMUP} warm-up + ${REQUESTS} measured requests per user and case, one at a time`)
    try {
      for (const entry of cases) {
        const m = await measure(server, entry)
        measured.set(entry, { ...measured.get(entry), [role]: m } as Record<'plugin' | 'driver', Measured>)
        progress(`${role.padEnd(6)} ${entry.name.padEnd(40)} heavy p50 ${percentile(m.heavy, 50).toFixed(2)} ms, light p50 ${percentile(m.light, 50).toFixed(2)} ms`)
      }
    } finally {
      await server.close()
    }
  }
  closeAgent()

  const json: Record<string, Record<string, number>> = {}
  const rows: Array<Array<string | number>> = []
  for (const [entry, paths] of measured) {
    const figures: Record<string, number> = {}
    for (const role of ['plugin', 'driver'] as const) {
      const m = paths[role]
      const heavy = percentile(m.heavy, 50)
      const light = percentile(m.light, 50)
      const ratio = heavy / light
      const prefix = role === 'plugin' ? '' : 'driver_'
      Object.assign(figures, {
        [`${prefix}heavy_p50_ms`]: round(heavy, 3),
        [`${prefix}light_p50_ms`]: round(light, 3),
        [`${prefix}ratio`]: round(ratio, 3),
        [`${prefix}heavy_p90_ms`]: round(percentile(m.heavy, 90), 3),
        [`${prefix}light_p90_ms`]: round(percentile(m.light, 90), 3),
        ...(m.heavyItems === null ? {} : { heavy_items: m.heavyItems, light_items: m.lightItems as number })
      })
      rows.push([
        role === 'plugin' ? entry.name : '', role === 'plugin' ? 'Prisma' : 'driver', heavy.toFixed(2), light.toFixed(2), ratio.toFixed(2),
        percentile(m.heavy, 90).toFixed(2), percentile(m.light, 90).toFixed(2),
        m.heavyItems === null ? '' : `${m.heavyItems} / ${m.lightItems}`,
        entry.primary ? (ratio <= MAX_RATIO ? 'met' : 'MISSED') : '(info)'
      ])
    }
    json[entry.name] = figures
  }
  // The five primary cases first, under their endpoint names, then the information rows.
  const ordered = Object.fromEntries([
    ...ENDPOINTS.map((endpoint) => [endpoint, json[endpoint]]),
    ...Object.entries(json).filter(([name]) => !(ENDPOINTS as readonly string[]).includes(name))
  ])
  writeFileSync('scale-results.json', `${JSON.stringify(ordered, null, 2)}\n`)
  console.log('')
  console.log(`Heavy user (${HEAVY_MESSAGES} messages, ${HEAVY_PARTNERS} partners) vs light user (10 messages); ${HEAVY_MESSAGES + BACKGROUND_MESSAGES + 10 + LIGHT_WIDE_PARTNERS} messages in all`)
  console.log(`seeding ${(seedMs / 1000).toFixed(1)} s; ${REQUESTS} sequential requests per user and case; target heavy/light p50 <= ${MAX_RATIO}`)
  console.log('')
  console.log(table(['case', 'path', 'heavy p50 ms', 'light p50 ms', 'ratio', 'heavy p90 ms', 'light p90 ms', 'items heavy / light', 'target'], rows))
  console.log('')
  progress(`machine: ${machineNote()}`)
  progress(`wrote scale-results.json; total ${((performance.now() - begin) / 1000).toFixed(0)} s`)
}

await main()
