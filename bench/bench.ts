/**
 * `npm run bench`: the plugin's throughput and latency on each hot endpoint, against a floor
 * measured in the same run on the same data: a bare Fastify application doing the same work with
 * hand-written SQL on `pg`, or on `mariadb` (see bench/lib.ts).
 *
 * DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is the server connection,
 * PostgreSQL or, with a mysql:// URL (e.g. mysql://root@127.0.0.1:3306), MySQL or MariaDB:
 * the benchmark drops and creates its own database `dm_bench` there, migrates it, and seeds
 * 2,000 users and 200,000 messages with set-based SQL. Each user has 10 conversations of 20
 * messages (with the 5 users before and the 5 after it, circularly), read except the last message
 * of each conversation with a user after it. Then, for each endpoint, every server gets a warm-up
 * and a measured autocannon run with the same connections and duration, twice (half the time
 * each, the servers in one order and then in the other), every request from a random user among
 * the 2,000 (so that sends do not queue on one user's dm_user row):
 *
 * - GET /unread/, GET /conversations/unread/, GET /conversations/ (first page);
 * - GET /conversations/<id>/: the first page of a conversation with a user before the caller
 *   (nothing unread there: no write, on either side);
 * - POST /send/<id>/ to one of the caller's partners (measured last: it changes the data).
 *
 * Three servers answer each endpoint: the example application on Prisma (`plugin`), the same with
 * the `driver` option on one pg Pool shared with its Prisma adapter (`driver`; the example's token
 * lookup then runs on that pool too; on MySQL/MariaDB a mariadb Pool of its own, the MariaDB adapter
 * keeping its pool), and the floor.
 *
 * Prints a table and writes bench-results.json in the current directory.
 * Environment: DM_BENCH_CONNECTIONS (20), DM_BENCH_POOL (10), DM_BENCH_SECONDS (8),
 * DM_BENCH_CPU_PROF (a directory: write V8 CPU profiles of both servers there).
 */
import { writeFileSync } from 'node:fs'
import { isDeepStrictEqual } from 'node:util'
import {
  DERIVE_CONVERSATIONS, DERIVE_CONVERSATIONS_MYSQL, ENDPOINTS, ENGINE, authHeaders, closeAgent, createBenchPrisma, floorMariadbPool, floorPool, machineNote, load, progress,
  recreateDatabase, round, startServer, table, timed, timedRequest, withClient, withMariadb, withSequence,
  type Endpoint, type Engine, type LoadResult, type RequestSpec, type Role, type Server
} from './lib.js'

const DATABASE = 'dm_bench'
const USERS = 2000
/** Each user talks with this many users after it and as many before it (circularly). */
const SIDE = 5
const ROUNDS = 20
const PAIRS = USERS * SIDE
const MESSAGES = PAIRS * ROUNDS
const CONNECTIONS = Number(process.env.DM_BENCH_CONNECTIONS ?? 20)
const POOL = Number(process.env.DM_BENCH_POOL ?? 10)
const SECONDS = Number(process.env.DM_BENCH_SECONDS ?? 8)
const WARMUP_SECONDS = 2
/** The plugin on its driver (the `driver` option): every endpoint at this share of the floor, at least. */
const DRIVER_TARGET = 0.85
/** The plugin on Prisma: no worse than the ratios measured before the fast path existed (2026-12, same machine, PostgreSQL). */
const PRISMA_BEFORE: Record<Endpoint, number> = {
  'GET /unread/': 0.49,
  'GET /conversations/unread/': 0.27,
  'GET /conversations/': 0.52,
  'GET /conversations/<id>/': 0.58,
  'POST /send/<id>/': 0.61
}

const token = (user: number): string => `bench-token-${user}`
/** The user `j` places after `user`, and before it, on the circle of users. */
const after = (user: number, j: number): number => ((user + j - 1) % USERS) + 1
const before = (user: number, j: number): number => ((user - j - 1 + USERS) % USERS) + 1
const randomUser = (): number => 1 + Math.floor(Math.random() * USERS)
const randomJ = (): number => 1 + Math.floor(Math.random() * SIDE)

async function seedPostgres (url: string): Promise<void> {
  await withClient(url, async (db) => {
    await db.query('SET synchronous_commit = off')
    await db.query('SET work_mem = \'256MB\'')
    await db.query(`
      INSERT INTO app_user (id, username, first_name, last_name, token)
      SELECT g, 'user' || g, 'First' || g, 'Last' || g, 'bench-token-' || g FROM generate_series(1, ${USERS}) g`)
    await db.query(`SELECT setval(pg_get_serial_sequence('app_user', 'id'), ${USERS})`)
    // Conversation k: `first` and the user j places after it.
    await db.query(`
      CREATE TEMP TABLE pair AS
      SELECT (row_number() OVER (ORDER BY u, j) - 1)::int AS k, u AS first, ((u + j - 1) % ${USERS}) + 1 AS second
      FROM generate_series(1, ${USERS}) u CROSS JOIN generate_series(1, ${SIDE}) j`)
    // Round r gives every conversation one message, `first` writing in even rounds, `second` in
    // odd ones; all are read except those of the last round (written by `second`).
    await db.query(`
      INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, read_at)
      SELECT s, r, LEAST(s, r), GREATEST(s, r), 'Message ' || g || ' from user ' || s || ' to user ' || r || ': see you tomorrow at the usual place?',
             sent, CASE WHEN round = ${ROUNDS - 1} THEN NULL ELSE sent + interval '1 minute' END
      FROM (
        SELECT g, (g - 1) / ${PAIRS} AS round,
               CASE WHEN ((g - 1) / ${PAIRS}) % 2 = 0 THEN first ELSE second END AS s,
               CASE WHEN ((g - 1) / ${PAIRS}) % 2 = 0 THEN second ELSE first END AS r,
               timestamp '2026-01-01' + g * interval '1 second' AS sent
        FROM generate_series(1, ${MESSAGES}) g JOIN pair ON pair.k = (g - 1) % ${PAIRS}
      ) seeded
      ORDER BY g`)
    await db.query(DERIVE_CONVERSATIONS)
    await db.query(`
      INSERT INTO dm_user (user_id)
      SELECT sender_id FROM dm_message UNION SELECT recipient_id FROM dm_message`)
    await db.query('VACUUM ANALYZE')
    const { rows } = await db.query<{ messages: number, conversations: number, unread: number }>(`
      SELECT (SELECT COUNT(*)::int FROM dm_message) AS messages, (SELECT COUNT(*)::int FROM dm_conversation) AS conversations,
             (SELECT SUM(unread_count)::int FROM dm_conversation) AS unread`)
    progress(`seeded ${USERS} users, ${rows[0]?.messages} messages, ${rows[0]?.conversations} conversation rows, ${rows[0]?.unread} unread`)
  })
}

/** The same data on MySQL/MariaDB: integers from a table of them (lib.ts withSequence), CONCAT for text. */
async function seedMysql (url: string): Promise<void> {
  await withMariadb(url, async (db) => {
    // The data is consistent by construction: no foreign key checks row by row.
    await db.query('SET SESSION foreign_key_checks = 0')
    await withSequence(db, MESSAGES, async () => {
      await db.query(`
        INSERT INTO app_user (id, username, first_name, last_name, token)
        SELECT g, CONCAT('user', g), CONCAT('First', g), CONCAT('Last', g), CONCAT('bench-token-', g) FROM bench_seq WHERE g <= ${USERS}`)
      // Conversation k: user u1 and the user j places after it (u2).
      await db.query('DROP TABLE IF EXISTS bench_pair')
      await db.query('CREATE TABLE bench_pair (k INT PRIMARY KEY, u1 INT NOT NULL, u2 INT NOT NULL)')
      try {
        await db.query(`
          INSERT INTO bench_pair (k, u1, u2)
          SELECT (u.g - 1) * ${SIDE} + (j.g - 1), u.g, ((u.g + j.g - 1) % ${USERS}) + 1
          FROM bench_seq u CROSS JOIN bench_seq j WHERE u.g <= ${USERS} AND j.g <= ${SIDE}`)
        await db.query(`
          INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, read_at)
          SELECT s, r, LEAST(s, r), GREATEST(s, r), CONCAT('Message ', g, ' from user ', s, ' to user ', r, ': see you tomorrow at the usual place?'),
                 sent, CASE WHEN round_no = ${ROUNDS - 1} THEN NULL ELSE sent + INTERVAL 1 MINUTE END
          FROM (
            SELECT g, (g - 1) DIV ${PAIRS} AS round_no,
                   CASE WHEN ((g - 1) DIV ${PAIRS}) % 2 = 0 THEN u1 ELSE u2 END AS s,
                   CASE WHEN ((g - 1) DIV ${PAIRS}) % 2 = 0 THEN u2 ELSE u1 END AS r,
                   TIMESTAMP '2026-01-01 00:00:00' + INTERVAL g SECOND AS sent
            FROM bench_seq JOIN bench_pair ON bench_pair.k = (g - 1) % ${PAIRS}
          ) seeded
          ORDER BY g`)
      } finally {
        await db.query('DROP TABLE IF EXISTS bench_pair')
      }
    })
    await db.query(DERIVE_CONVERSATIONS_MYSQL)
    await db.query(`
      INSERT INTO dm_user (user_id)
      SELECT sender_id FROM dm_message UNION SELECT recipient_id FROM dm_message`)
    await db.query('ANALYZE TABLE app_user, dm_message, dm_conversation, dm_user')
    const [row] = await db.query<Array<Record<string, bigint | number | string>>>(`
      SELECT (SELECT COUNT(*) FROM dm_message) AS messages, (SELECT COUNT(*) FROM dm_conversation) AS conversations,
             (SELECT SUM(unread_count) FROM dm_conversation) AS unread`)
    progress(`seeded ${USERS} users, ${Number(row?.messages)} messages, ${Number(row?.conversations)} conversation rows, ${Number(row?.unread)} unread`)
  })
}

/** What differs by database: the seeding, the floor's driver, and the database in the notes. */
interface Backend {
  seed(url: string): Promise<void>
  /** The floor's driver, for the notes. */
  driver: string
  database: string
  /** The statementCost SELECT through the floor's driver, on a pool of POOL connections. */
  statement(url: string): Promise<{ call(id: number): PromiseLike<unknown>, end(): Promise<void> }>
}

const SUM_UNREAD = 'SELECT SUM(unread_count) AS count FROM dm_conversation WHERE owner_id = $1 AND unread_count > 0'
const backends: Record<Engine, Backend> = {
  postgresql: {
    seed: seedPostgres,
    driver: 'pg',
    database: 'PostgreSQL',
    async statement (url) {
      const pool = floorPool(url, POOL)
      return { call: (id) => pool.query(SUM_UNREAD, [id]), end: () => pool.end() }
    }
  },
  mysql: {
    seed: seedMysql,
    driver: 'mariadb',
    database: 'MariaDB',
    async statement (url) {
      const pool = await floorMariadbPool(url, POOL)
      return { call: (id) => pool.query(SUM_UNREAD.replace('$1', '?'), [id]), end: () => pool.end() }
    }
  }
}
const backend = backends[ENGINE]

/** What one request of each endpoint is: a random user, and a partner of theirs. */
const picks: Record<Endpoint, () => RequestSpec> = {
  'GET /unread/': () => ({ method: 'GET', path: '/api/dm/unread/', headers: authHeaders(token(randomUser())) }),
  'GET /conversations/unread/': () => ({ method: 'GET', path: '/api/dm/conversations/unread/', headers: authHeaders(token(randomUser())) }),
  'GET /conversations/': () => ({ method: 'GET', path: '/api/dm/conversations/', headers: authHeaders(token(randomUser())) }),
  'GET /conversations/<id>/': () => {
    const user = randomUser()
    return { method: 'GET', path: `/api/dm/conversations/${before(user, randomJ())}/`, headers: authHeaders(token(user)) }
  },
  'POST /send/<id>/': () => {
    const user = randomUser()
    const partner = Math.random() < 0.5 ? before(user, randomJ()) : after(user, randomJ())
    return { method: 'POST', path: `/api/dm/send/${partner}/`, headers: authHeaders(token(user), true), body: '{"content":"Benchmark message: on my way, see you in ten minutes."}' }
  }
}

/** Both servers answer the same JSON (links apart from their port) for the same requests. */
async function checkSameAnswers (plugin: Server, floor: Server): Promise<void> {
  if (plugin.role === floor.role) throw new Error('two servers of the same role')
  const user = 7
  const headers = authHeaders(token(user))
  const get = async (server: Server, path: string): Promise<unknown> => {
    const res = await timedRequest(server.origin, { method: 'GET', path, headers })
    if (res.status !== 200) throw new Error(`${server.role}: GET ${path} answered ${res.status} ${res.body}`)
    return JSON.parse(res.body.replaceAll(server.origin, 'http://host'))
  }
  const paths = ['/api/dm/unread/', '/api/dm/conversations/unread/', '/api/dm/conversations/', '/api/dm/conversations/?page_size=3',
    `/api/dm/conversations/${before(user, 1)}/`, `/api/dm/conversations/${before(user, 2)}/?page_size=7`]
  for (const path of paths) {
    const [a, b] = [await get(plugin, path), await get(floor, path)]
    if (!isDeepStrictEqual(a, b)) throw new Error(`GET ${path}: the floor answers differently\nplugin: ${JSON.stringify(a)}\nfloor:  ${JSON.stringify(b)}`)
    const next = (a as { next?: string | null }).next
    if (typeof next === 'string') {
      const nextPath = next.replace('http://host', '')
      const [c, d] = [await get(plugin, nextPath), await get(floor, nextPath)]
      if (!isDeepStrictEqual(c, d)) throw new Error(`GET ${nextPath}: the floor answers differently`)
    }
  }
  const sent = []
  for (const server of [plugin, floor]) {
    const res = await timedRequest(server.origin, { method: 'POST', path: `/api/dm/send/${before(user, 1)}/`, headers: authHeaders(token(user), true), body: '{"content":"shape check"}' })
    if (res.status !== 201) throw new Error(`${server.role}: POST /send/ answered ${res.status} ${res.body}`)
    const { id, sent_at: sentAt, ...rest } = JSON.parse(res.body) as { id: unknown, sent_at: unknown }
    sent.push({ id: typeof id, sentAt: typeof sentAt, rest })
  }
  if (!isDeepStrictEqual(sent[0], sent[1])) throw new Error(`POST /send/: the floor answers differently: ${JSON.stringify(sent)}`)
  progress('both servers answer the same JSON')
}

/**
 * The cost of one statement on each side, without HTTP: the same parameterised SELECT, through the
 * Prisma client (`$queryRaw`, as the plugin issues it) and through the floor's driver (`pg` or
 * `mariadb`), by CONNECTIONS concurrent callers in this process. Answers CPU µs of this process per statement.
 */
async function statementCost (url: string): Promise<{ prisma: number, driver: number }> {
  const prisma = await createBenchPrisma(url, POOL)
  const statement = await backend.statement(url)
  const id = 1
  const measure = async (call: () => PromiseLike<unknown>): Promise<number> => {
    const calls = 20_000
    for (let i = 0; i < 1000; i++) await call()
    const before = process.cpuUsage()
    let issued = 0
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => { while (issued++ < calls) await call() }))
    const used = process.cpuUsage(before)
    return (used.user + used.system) / calls
  }
  try {
    return {
      prisma: await measure(() => prisma.$queryRaw`SELECT SUM(unread_count) AS count FROM dm_conversation WHERE owner_id = ${id} AND unread_count > 0`),
      driver: await measure(() => statement.call(id))
    }
  } finally {
    await prisma.$disconnect()
    await statement.end()
  }
}

/** Runs of equal length as one: mean throughput, latencies and costs; the worst p99. */
function combined (runs: LoadResult[]): LoadResult {
  const mean = (pick: (run: LoadResult) => number): number => runs.reduce((sum, run) => sum + pick(run), 0) / runs.length
  return {
    rps: mean((run) => run.rps),
    p50: round(mean((run) => run.p50), 1),
    p99: Math.max(...runs.map((run) => run.p99)),
    total: runs.reduce((sum, run) => sum + run.total, 0),
    failed: runs.reduce((sum, run) => sum + run.failed, 0),
    serverCpuUs: mean((run) => run.serverCpuUs),
    clientCpuUs: mean((run) => run.clientCpuUs),
    otherCpuUs: mean((run) => run.otherCpuUs)
  }
}

async function main (): Promise<void> {
  const begin = performance.now()
  progress(`bench on ${backend.database}: ${USERS} users, ${MESSAGES} messages; ${CONNECTIONS} connections, pool of ${POOL} on each side, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s per endpoint and side`)
  progress(`machine: ${machineNote()}`)
  const { value: url } = await timed(`database ${DATABASE} created and migrated`, () => recreateDatabase(DATABASE))
  const { ms: seedMs } = await timed('seeded (set-based SQL)', () => backend.seed(url))
  const plugin = await startServer('plugin', url, POOL)
  const driver = await startServer('driver', url, POOL)
  const floor = await startServer('floor', url, POOL)
  progress(`plugin (example app + Prisma) on ${plugin.origin}, driver (the same with the driver option) on ${driver.origin}, floor (Fastify + ${backend.driver}) on ${floor.origin}`)
  const results = new Map<Endpoint, Record<Role, LoadResult>>()
  try {
    await checkSameAnswers(plugin, floor)
    await checkSameAnswers(driver, floor)
    // A first warm-up of every server on every endpoint: the first runs of a fresh process (its
    // JIT, the Prisma client's query compiler) would otherwise weigh on whichever server runs first.
    for (const server of [plugin, driver, floor]) for (const endpoint of ENDPOINTS.slice(0, -1)) await load(server, picks[endpoint], CONNECTIONS, 1)
    for (const endpoint of ENDPOINTS) {
      // Two rounds of half the time each, the servers in one order and then in the other, so that
      // a drift of the machine or the database during the runs weighs on all three alike.
      const rounds: Partial<Record<Role, LoadResult[]>> = {}
      for (const order of [[plugin, driver, floor], [floor, driver, plugin]]) {
        for (const server of order) {
          await load(server, picks[endpoint], CONNECTIONS, WARMUP_SECONDS / 2)
          const result = await load(server, picks[endpoint], CONNECTIONS, SECONDS / 2)
          if (result.failed > 0) throw new Error(`${server.role} ${endpoint}: ${result.failed} requests failed or answered an error`)
          ;(rounds[server.role] ??= []).push(result)
          progress(`${endpoint.padEnd(27)} ${server.role.padEnd(6)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms`)
        }
      }
      results.set(endpoint, Object.fromEntries(Object.entries(rounds).map(([role, runs]) => [role, combined(runs)])) as Record<Role, LoadResult>)
    }
  } finally {
    await plugin.close()
    await driver.close()
    await floor.close()
    closeAgent()
  }
  const cost = await statementCost(url)
  progress(`one statement: ${cost.prisma.toFixed(0)} µs of CPU through Prisma's $queryRaw, ${cost.driver.toFixed(0)} µs through ${backend.driver}`)

  const json: Record<string, Record<string, number>> = {}
  const rows: Array<Array<string | number>> = []
  const cpuRows: Array<Array<string | number>> = []
  for (const [endpoint, { plugin: p, driver: d, floor: f }] of results) {
    const ratio = p.rps / f.rps
    const driverRatio = d.rps / f.rps
    json[endpoint] = {
      plugin_rps: round(p.rps, 1),
      floor_rps: round(f.rps, 1),
      ratio: round(ratio, 3),
      driver_rps: round(d.rps, 1),
      driver_ratio: round(driverRatio, 3),
      plugin_p50_ms: p.p50,
      driver_p50_ms: d.p50,
      floor_p50_ms: f.p50,
      plugin_p99_ms: p.p99,
      driver_p99_ms: d.p99,
      floor_p99_ms: f.p99,
      plugin_server_cpu_us: round(p.serverCpuUs, 0),
      driver_server_cpu_us: round(d.serverCpuUs, 0),
      floor_server_cpu_us: round(f.serverCpuUs, 0)
    }
    const before = PRISMA_BEFORE[endpoint]
    rows.push([endpoint, 'floor', f.rps.toFixed(0), '1.00', f.p50, f.p99, '', ''])
    // (The ratios before the fast path are PostgreSQL's: on MySQL/MariaDB the Prisma path is reported only.)
    rows.push(ENGINE === 'postgresql'
      ? ['', 'plugin (Prisma)', p.rps.toFixed(0), ratio.toFixed(2), p.p50, p.p99, `>= ${before} (before)`, ratio >= before ? 'met' : 'MISSED']
      : ['', 'plugin (Prisma)', p.rps.toFixed(0), ratio.toFixed(2), p.p50, p.p99, '', '(reported)'])
    rows.push(['', 'plugin (driver)', d.rps.toFixed(0), driverRatio.toFixed(2), d.p50, d.p99, `>= ${DRIVER_TARGET}`, driverRatio >= DRIVER_TARGET ? 'met' : 'MISSED'])
    cpuRows.push([endpoint, p.serverCpuUs.toFixed(0), d.serverCpuUs.toFixed(0), f.serverCpuUs.toFixed(0), p.otherCpuUs.toFixed(0), d.otherCpuUs.toFixed(0), f.otherCpuUs.toFixed(0)])
  }
  writeFileSync('bench-results.json', `${JSON.stringify(json, null, 2)}\n`)
  console.log('')
  console.log(ENGINE === 'mysql'
    ? 'MariaDB/MySQL: floor (bare Fastify + mariadb, same statements) vs the example app with the plugin, on Prisma (token lookup and plugin through the client) and with driver (both on one mariadb Pool)'
    : 'Floor (bare Fastify + pg, same SQL) vs the example app with the plugin, on Prisma (token lookup and plugin through the client) and with driver (both on one pg Pool)')
  console.log(`${USERS} users, ${MESSAGES} messages, ${CONNECTIONS} connections, pool ${POOL}, ${SECONDS} s per run, seeding ${(seedMs / 1000).toFixed(1)} s`)
  console.log('')
  console.log(table(['endpoint', 'server', 'req/s', 'ratio', 'p50 ms', 'p99 ms', 'target', ''], rows))
  console.log('')
  console.log(`CPU time per request, µs (server: the Node process answering; db+other: the rest of the machine, mostly ${backend.database})`)
  console.log(table(['endpoint', 'Prisma server', 'driver server', 'floor server', 'Prisma db+other', 'driver db+other', 'floor db+other'], cpuRows))
  console.log('')
  console.log(`One statement, without HTTP (${CONNECTIONS} concurrent callers): ${cost.prisma.toFixed(0)} µs of CPU through Prisma's $queryRaw, ` +
    `${cost.driver.toFixed(0)} µs through ${backend.driver} (${(cost.prisma / cost.driver).toFixed(1)}×): the floor's advantage on every statement`)
  console.log('')
  progress(`machine: ${machineNote()}`)
  progress(`wrote bench-results.json; total ${((performance.now() - begin) / 1000).toFixed(0)} s`)
}

await main()
