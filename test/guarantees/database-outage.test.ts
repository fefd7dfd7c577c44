// Database outages under load, on a database server of the test's own so that disturbing it
// disturbs no other test: the same scenarios on PostgreSQL (initdb + pg_ctl as the postgres user,
// on a free port) and on MariaDB (mariadb-install-db + mariadbd as the mysql user, root without a
// password over TCP on a free port), each on the Prisma path and on the `driver` path.
// - Stopped (a clean, fast shutdown that ends the connections): requests fail fast with 503 and
//   Retry-After (never a 500, never a hang), the application recovers by itself when the server is
//   back, every send answered 201 is in the database, and clients retrying with their
//   Idempotency-Key create no duplicates.
// - Frozen (SIGSTOP: connections open, nothing answers): every request still answers 503 within
//   the `databaseTimeout` option, and sends that timed out but committed once the server woke
//   are found, not duplicated, by the clients' retries.
// - A COMMIT that meets a frozen server: the change answered 503 is announced when it commits, once.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import t, { type Test } from 'tap'
import directMessages from '../../src/index.js'
import { createDriver, createPrisma, mariadbConfig, migrate, type CreatePrismaOptions, type ExampleDriver, type ExamplePrisma, type Provider } from '../../examples/database.js'
import { buildApp } from '../../examples/app.js'
import { openStream, type SseFrame, type SseStream } from '../helpers/sse.js'
import { eventually, within } from '../helpers/wait.js'

const run = promisify(execFile)

/**
 * Whether every thread of process `pid` is stopped (state T in /proc), or the process is gone.
 * kill() only sends SIGSTOP: a thread running on another core goes on for a moment, long enough
 * to answer a query sent right after.
 */
function stoppedProcess (pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).every((task) => {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8')
      return /^[tT]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))
    })
  } catch {
    return true
  }
}
const PG_BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].find((dir) => existsSync(join(dir, 'pg_ctl')))
const MARIADB_INSTALL_DB = '/usr/bin/mariadb-install-db'
const MARIADBD = '/usr/sbin/mariadbd'

/** A database server of the test's own: its life cycle, and what the scenarios need of its driver. */
interface Server {
  provider: Provider
  /** The URL of database `name` on the server (created by `migrate`). */
  url(name: string): string
  /** Starts the server again, on the same data and port, once it accepts connections. */
  start(): Promise<void>
  /** A fast, clean shutdown that ends every connection; resolves once the server is gone. */
  stop(): Promise<void>
  /**
   * Stops the server's processes (SIGSTOP): connections stay open, nothing answers. A thaw that
   * comes before the freeze is done wins: nothing stays frozen after a thaw.
   */
  freeze(): Promise<void>
  /**
   * Set when a COMMIT the server carries out as it shuts down may be answered as a lost
   * connection: the known gap it leaves (the assertion that every stored send was announced is
   * then a todo, reported, not a failure).
   */
  commitLostOnStop?: string
  /** Wakes what freeze stopped (SIGCONT). */
  thaw(): void
  /** Thaws and stops the server and removes its data, whatever state it is in. */
  close(): Promise<void>
  /** The driver's bounds that mean "no bound at all" (CreatePrismaOptions, createDriver). */
  unbounded: Bounds
  /** The example's driver (createDriver) with these bounds. */
  createDriver(url: string, bounds: Bounds): Promise<ExampleDriver>
  /** The example's Prisma client (createPrisma) with these bounds, on `pool` where the adapter can share one. */
  createPrisma(url: string, bounds: Bounds, pool?: ExampleDriver): Promise<ExamplePrisma>
  /** A connection of the test's own to the database at `url`, for looking at what it holds. */
  connect(url: string): Promise<Check>
  /**
   * Calls `beforeCommit` before each COMMIT the application's connections send (those of `pool`,
   * the pool the Prisma adapter runs on, on PostgreSQL; every connection taken from a mariadb pool
   * on MariaDB), and sends the COMMIT once the promise it answers (if any) resolves. Answers the undo.
   */
  interceptCommits(pool: ExampleDriver | undefined, beforeCommit: () => Promise<void> | undefined): () => Promise<void>
}

type Bounds = Pick<CreatePrismaOptions, 'connectTimeout' | 'queryTimeout'>

/** A connection for checks: SQL with `?` placeholders, rows as the driver answers them. */
interface Check {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>
  end(): Promise<void>
}

const servers: Array<{ name: string, missing: string | undefined, open: () => Promise<Server> }> = [
  { name: 'PostgreSQL', missing: PG_BIN === undefined ? 'PostgreSQL\'s server binaries' : undefined, open: async () => await postgresServer(PG_BIN as string) },
  { name: 'MariaDB', missing: [MARIADB_INSTALL_DB, MARIADBD].some((file) => !existsSync(file)) ? `MariaDB's server binaries (${MARIADB_INSTALL_DB}, ${MARIADBD})` : undefined, open: mariadbServer }
]
for (const { name, missing, open } of servers) {
  const needs = process.getuid?.() !== 0 ? `root (to run ${name} as its own user)` : missing
  if (needs !== undefined) {
    if (process.env.CI === 'true') throw new Error(`this test needs ${needs}; on CI it must run`)
    t.test(`outages on ${name}`, { skip: `needs ${needs}` }, async () => {})
    continue
  }
  t.test(`outages on ${name}`, async (t) => {
    const server = await open()
    t.teardown(() => server.close())
    outageTests(t, server)
  })
}

/** A PostgreSQL server of the test's own: its data in a temporary folder, run as the postgres user. */
async function postgresServer (bin: string): Promise<Server> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'dm-outage-'))
  chmodSync(dir, 0o777)
  const data = join(dir, 'data')
  const asPostgres = async (cmd: string, ...args: string[]): Promise<void> => { await run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) }
  const start = (): Promise<void> => asPostgres('pg_ctl', '-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, '-l', join(dir, 'log'), 'start', '-w')
  const stop = (): Promise<void> => asPostgres('pg_ctl', '-D', data, 'stop', '-m', 'fast', '-w')
  /** The server's processes (the postmaster and its children), all started by this test. */
  const serverPids = async (): Promise<number[]> => {
    const postmaster = Number((readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n', 1)[0] as string).trim())
    const children = await run('pgrep', ['-P', String(postmaster)]).then(({ stdout }) => stdout.split('\n').filter(Boolean).map(Number), () => [])
    return [postmaster, ...children]
  }
  let frozen: number[] = []
  // Each thaw ends the freezes begun before it: one still listing the processes (the request
  // whose COMMIT waits for it may have been answered meanwhile, and thawed) then stops nothing.
  let thaws = 0
  const thaw = (): void => {
    thaws++
    for (const pid of frozen.splice(0)) {
      try { process.kill(pid, 'SIGCONT') } catch { /* gone */ }
    }
  }
  try {
    await asPostgres('initdb', '-D', data, '-A', 'trust', '-U', 'postgres')
    await start()
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return {
    provider: 'postgresql',
    url: (name) => `postgresql://postgres@127.0.0.1:${port}/${name}`,
    start,
    stop,
    async freeze () {
      const before = thaws
      const pids = await serverPids()
      if (thaws !== before) return
      frozen = pids
      // A child may have exited since it was listed (a backend of a closed connection, an autovacuum
      // worker): the others are frozen all the same.
      for (const pid of frozen) {
        try { process.kill(pid, 'SIGSTOP') } catch { /* gone */ }
      }
      const stopping = frozen
      await eventually('PostgreSQL\'s processes stopped', () => thaws !== before || stopping.every(stoppedProcess))
    },
    thaw,
    async close () {
      thaw()
      await stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
    unbounded: { connectTimeout: 0, queryTimeout: 0 },
    createDriver,
    createPrisma: async (url, bounds, pool) => await createPrisma(url, { ...bounds, ...(pool instanceof pg.Pool ? { pool } : {}) }),
    async connect (url) {
      const client = new pg.Client({ connectionString: url })
      client.on('error', () => {})
      await client.connect()
      return {
        query: async <T>(text: string, params: unknown[] = []) => {
          let n = 0
          return (await client.query(text.replace(/\?/g, () => `$${++n}`), params)).rows as T[]
        },
        end: () => client.end()
      }
    },
    interceptCommits (pool, beforeCommit) {
      if (!(pool instanceof pg.Pool)) throw new Error('on PostgreSQL, COMMITs are intercepted on the pool the Prisma adapter runs on')
      pool.on('connect', (client) => {
        const query = client.query.bind(client) as (...args: unknown[]) => unknown
        Object.assign(client, {
          query: (...args: unknown[]) => {
            const first = args[0] as string | { text?: string } | undefined
            const text = typeof first === 'string' ? first : first?.text
            const wait = typeof text === 'string' && /^\s*COMMIT\b/i.test(text) && typeof args[args.length - 1] !== 'function' ? beforeCommit() : undefined
            return wait === undefined ? query(...args) : wait.then(() => query(...args))
          }
        })
      })
      // The connections are the pool's, which ends with the application.
      return async () => {}
    }
  }
}

/**
 * A MariaDB server of the test's own: a data folder made by mariadb-install-db, mariadbd run as
 * the mysql user on a free port, its root without a password over TCP (as the machine's own
 * service answers), its output in the folder's log.
 */
async function mariadbServer (): Promise<Server> {
  const { default: mariadb } = await import('mariadb')
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'dm-outage-mariadb-'))
  chmodSync(dir, 0o777)
  const data = join(dir, 'data')
  const log = join(dir, 'log')
  let server: { child: ChildProcess, exited: Promise<void> } | undefined
  let frozen = false
  const start = async (): Promise<void> => {
    const out = openSync(log, 'a')
    const child = spawn(MARIADBD, [
      '--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`, '--user=mysql'
    ], { stdio: ['ignore', out, out] })
    closeSync(out)
    const exited = new Promise<void>((resolve) => { child.once('exit', () => resolve()) })
    child.once('error', () => {})
    server = { child, exited }
    // Ready once it accepts a connection (InnoDB's start-up done), or failed if it exited.
    const ready = await eventually('mariadbd accepting connections', async () => {
      if (child.exitCode !== null || child.signalCode !== null) return 'exited'
      const connection = await mariadb.createConnection({ host: '127.0.0.1', port, user: 'root', password: '', connectTimeout: 2000 }).catch(() => undefined)
      await connection?.end()
      return connection === undefined ? undefined : 'ready'
    }, 60_000)
    if (ready === 'exited') throw new Error(`mariadbd exited on start:\n${readFileSync(log, 'utf8').slice(-3000)}`)
  }
  /** SIGTERM: mariadbd ends its connections and shuts down cleanly (as pg_ctl's fast mode does). */
  const stop = async (): Promise<void> => {
    const running = server
    if (running === undefined) return
    if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGTERM')
    await within('mariadbd shutting down', running.exited, 60_000)
    server = undefined
  }
  const thaw = (): void => {
    if (frozen) server?.child.kill('SIGCONT')
    frozen = false
  }
  try {
    await run(MARIADB_INSTALL_DB, ['--no-defaults', `--datadir=${data}`, '--user=mysql', '--auth-root-authentication-method=normal', '--skip-test-db'])
    await start()
  } catch (err) {
    server?.child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return {
    provider: 'mysql',
    url: (name) => `mysql://root@127.0.0.1:${port}/${name}`,
    start,
    stop,
    async freeze () {
      if (server === undefined) throw new Error('mariadbd is not running')
      const { pid } = server.child
      server.child.kill('SIGSTOP')
      frozen = true
      await eventually('mariadbd stopped', () => !frozen || pid === undefined || stoppedProcess(pid))
    },
    thaw,
    async close () {
      thaw()
      const running = server
      await stop().catch(async () => {
        running?.child.kill('SIGKILL')
        await running?.exited
      })
      rmSync(dir, { recursive: true, force: true })
    },
    // The mariadb pool gives up on a connection at once with an acquireTimeout of 0 (example's
    // mapping of connectTimeout): the longest a timer takes instead. Statements: 0 is none.
    unbounded: { connectTimeout: 2 ** 31 - 1, queryTimeout: 0 },
    // Seen on the driver path: mariadbd shutting down commits the transactions whose COMMIT it is
    // running, then closes their sockets before answering; the plugin takes the COMMIT's
    // ER_SOCKET_UNEXPECTED_CLOSE (45009, 08S01, fatal) for a rollback and answers 503, and the
    // client's retry replays the stored send: messageSent is never emitted for it.
    commitLostOnStop: 'plugin bug on MariaDB: a COMMIT carried out as the server shuts down fails with ER_SOCKET_UNEXPECTED_CLOSE, the send is stored but never announced',
    // The example's mariadb settings bound a statement on the server only (max_statement_time),
    // which a frozen server never applies: its token lookup, which runs before the plugin's own
    // bound, would wait forever. Here the host bounds it on the client too (socketTimeout), as
    // the pg pool's query_timeout does on PostgreSQL; otherwise the example's settings.
    async createDriver (url, bounds) {
      return mariadb.createPool({ ...mariadbConfig(url, bounds), ...clientBound(bounds) })
    },
    async createPrisma (url, bounds) {
      const [{ PrismaMariaDb }, { PrismaClient }] = await Promise.all([import('@prisma/adapter-mariadb'), import('../../examples/generated/mysql/index.js')])
      const client: ExamplePrisma = new PrismaClient({ adapter: new PrismaMariaDb({ ...mariadbConfig(url, bounds), ...clientBound(bounds) }) })
      return client
    },
    async connect (url) {
      const { hostname, port, pathname } = new URL(url)
      const connection = await mariadb.createConnection({ host: hostname, port: Number(port), user: 'root', password: '', database: pathname.slice(1) })
      connection.on('error', () => {})
      return {
        query: async <T>(text: string, params: unknown[] = []) => await connection.query<T[]>(text, params),
        end: () => connection.end()
      }
    },
    interceptCommits (_pool, beforeCommit) {
      // The Prisma adapter makes its own pool: the COMMITs of both paths (Prisma's and the plugin's
      // driver's) are sent with the query of a connection taken from a pool, which is patched while
      // the test runs.
      const { prototype } = createRequire(import.meta.url)('mariadb/lib/connection-promise.js') as { prototype: { query: (this: unknown, sql: unknown, values?: unknown) => Promise<unknown> } }
      const query = prototype.query
      prototype.query = function (sql, values) {
        const text = typeof sql === 'string' ? sql : (sql as { sql?: unknown } | undefined)?.sql
        const wait = typeof text === 'string' && /^\s*COMMIT\b/i.test(text) ? beforeCommit() : undefined
        return wait === undefined ? query.call(this, sql, values) : wait.then(() => query.call(this, sql, values))
      }
      return async () => { prototype.query = query }
    }
  }
}

/** A mariadb connection's client-side bound of a statement: its socket's inactivity timeout. */
function clientBound (bounds: Bounds): { socketTimeout?: number } {
  return bounds.queryTimeout === undefined || bounds.queryTimeout === 0 ? {} : { socketTimeout: bounds.queryTimeout }
}

/** A TCP port nothing listens on now. */
async function freePort (): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve, reject) => { probe.once('error', reject).listen(0, '127.0.0.1', resolve) })
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** Ends a driver's pool, not waiting long for connections an outage left hanging. */
async function endPool (pool: ExampleDriver | undefined): Promise<void> {
  if (pool === undefined || !('end' in pool)) return
  await within('the driver\'s pool ending', Promise.resolve(pool.end()), 2000).catch(() => {})
}

function outageTests (t: Test, server: Server): void {
  const { freeze, thaw, start, stop } = server

  /** A migrated database on the private server, the example application on it, and its users. */
  async function setUp (t: Test, name: string, withDriver: boolean, options: SetupOptions = {}): Promise<Setup> {
    const { databaseTimeout, beforeCommit, connectTimeout = databaseTimeout, queryTimeout = databaseTimeout } = options
    const url = server.url(name)
    await migrate(url)
    // The example's own queries (its token lookup) get the same bound from the driver.
    const bounds = { ...(connectTimeout === undefined ? {} : { connectTimeout }), ...(queryTimeout === undefined ? {} : { queryTimeout }) }
    // With the driver: the plugin's pool, which on PostgreSQL the Prisma adapter and the token
    // lookup share (MariaDB's adapter makes a pool of its own). A test that watches the COMMITs
    // on PostgreSQL gets such a pool on either path (the plugin's on the driver only).
    const pool = withDriver || (beforeCommit !== undefined && server.provider === 'postgresql') ? await server.createDriver(url, bounds) : undefined
    const driver = withDriver ? pool : undefined
    const prisma = await server.createPrisma(url, bounds, pool)
    const undo = beforeCommit === undefined ? undefined : server.interceptCommits(pool, beforeCommit)
    const failures: string[] = []
    const app = await buildApp({
      prisma,
      ...(driver === undefined ? {} : { driver }),
      logger: { level: 'error', stream: { write: (line: string) => { failures.push(line) } } },
      directMessages: databaseTimeout === undefined ? {} : { databaseTimeout }
    })
    await app.ready()
    // Every messageSent the application hears: each stored message must be announced exactly once,
    // also when its send timed out and committed after all.
    const announced: number[] = []
    app.directMessages.on('messageSent', ({ message }) => { announced.push(message.id) })
    // One teardown, in order: the clients first, then the server they talk to.
    const closers: Array<() => Promise<unknown>> = [async () => {
      await app.close()
      // The driver's pool may keep waiting for a connection the outage broke mid-transaction;
      // give up on it after a while rather than hang.
      await within('the Prisma client disconnecting', prisma.$disconnect(), 2000).catch(() => {})
      await endPool(pool)
      await undo?.()
    }]
    t.teardown(async () => { for (const close of closers.reverse()) await close().catch(() => {}) })
    const users = []
    for (const username of ['ann', 'ben']) {
      const res = await app.inject({ method: 'POST', url: '/users', payload: { username } })
      users.push(res.json<{ id: number, token: string }>())
    }
    const [ann, ben] = users as [{ id: number, token: string }, { id: number, token: string }]
    const statuses: number[] = []
    const acknowledged = new Map<string, number>()
    const setup: Setup = {
      url,
      app,
      prisma,
      announced,
      failures,
      statuses,
      acknowledged,
      slowest: 0,
      ann,
      ben,
      async attempt (key) {
        const started = Date.now()
        const res = await app.inject({
          method: 'POST',
          url: `/api/dm/send/${ben.id}/`,
          headers: { authorization: `Token ${ann.token}`, 'idempotency-key': key },
          payload: { content: `message ${key}` }
        })
        setup.slowest = Math.max(setup.slowest, Date.now() - started)
        statuses.push(res.statusCode)
        if (res.statusCode === 201) acknowledged.set(key, res.json<{ id: number }>().id)
        if (res.statusCode === 503) t.ok(Number(res.headers['retry-after']) > 0 && res.json<{ message: string }>().message.length > 0, `503 for ${key} says when to retry`)
        return res.statusCode
      },
      async read () {
        const started = Date.now()
        const res = await app.inject({ method: 'GET', url: '/api/dm/unread/', headers: { authorization: `Token ${ben.token}` } })
        setup.slowest = Math.max(setup.slowest, Date.now() - started)
        statuses.push(res.statusCode)
        return res.statusCode
      },
      async retryAndCheck (keys, others = 0, announcedElsewhere = [], announcedTodo) {
        // The application recovers by itself; clients retry what was not acknowledged, with the same
        // keys, until all are (given up on quietly: the assertion says what was not).
        await eventually('every send acknowledged', async () => {
          for (const key of keys.filter((k) => !acknowledged.has(k))) await setup.attempt(key)
          return acknowledged.size === keys.length
        }, 20_000).catch(() => {})
        t.equal(acknowledged.size, keys.length, 'every send is eventually acknowledged')
        const check = await server.connect(url)
        closers.push(() => check.end())
        const rows = await check.query<{ id: unknown, idempotency_key: string }>('SELECT id, idempotency_key FROM dm_message')
        t.equal(rows.length, keys.length + others, 'exactly one message per logical send: retries created no duplicates')
        const stored = new Map(rows.map((row) => [row.idempotency_key, Number(row.id)]))
        t.ok([...acknowledged].every(([key, id]) => stored.get(key) === id), 'every acknowledged message is in the database, with the id that was answered')
        const unread = await app.inject({ method: 'GET', url: '/api/dm/unread/', headers: { authorization: `Token ${ben.token}` } })
        t.same(unread.json(), { id: ben.id, count: keys.length + others, unmuted_count: keys.length + others }, 'the counts are right after the outage')
        // Late commits are announced when the database answers them, which may follow the retries.
        const all = (): number[] => [...announced, ...announcedElsewhere]
        await eventually('every stored message announced', () => new Set(all()).size >= rows.length).catch(() => {})
        t.same(all().sort((a, b) => a - b), rows.map((row) => Number(row.id)).sort((a, b) => a - b),
          'every stored message was announced (messageSent) exactly once, those whose send timed out included', announcedTodo === undefined ? {} : { todo: announcedTodo })
      }
    }
    return setup
  }

  for (const withDriver of [false, true]) {
    const path = withDriver ? ' (driver)' : ''
    t.test(`the server stopped under load${path}`, async (t) => {
      // The driver waits a second for a connection: while the server is down, a mariadb pool
      // answers no request sooner than its wait for one (it keeps trying to connect until then).
      const db = await setUp(t, `dm_outage${withDriver ? '_driver' : ''}`, withDriver, { connectTimeout: 1000 })
      const keys = Array.from({ length: 120 }, (_, i) => `send-${i}`)
      const pending = [...keys]
      // The server stops once the load is flowing (a tenth of the sends answered), and starts
      // again once every other send has been tried against it.
      let stopped = false
      const outage = (async () => {
        await eventually('the load flowing', () => db.statuses.length >= keys.length / 10, 30_000)
        await stop()
        stopped = true
        await eventually('every send tried', () => pending.length === 0, 60_000)
        await start()
      })()
      // Five clients send in turn while the server goes down and comes back.
      await Promise.all(Array.from({ length: 5 }, async () => {
        for (let key = pending.shift(); key !== undefined; key = pending.shift()) await db.attempt(key)
      }))
      await outage
      t.ok(stopped, 'the server was stopped during the load')
      t.ok(db.statuses.includes(503), `some sends met the outage: ${db.statuses.filter((s) => s === 503).length} answered 503`)
      t.same([...new Set(db.statuses)].filter((s) => s !== 201 && s !== 503), [], `nothing but 201 and 503 (never a 500): ${[...new Set(db.statuses)].join(', ')}`)
      for (const line of db.failures.filter((l) => !l.includes('"statusCode":503')).slice(0, 3)) t.comment(line.slice(0, 1500))
      t.ok(db.slowest < 6000, `no request hung: the slowest took ${db.slowest} ms`)
      await db.retryAndCheck(keys, 0, [], server.commitLostOnStop)
    })

    t.test(`the server frozen under load: answers within databaseTimeout${path}`, async (t) => {
      const timeout = 1000
      const db = await setUp(t, `dm_frozen${withDriver ? '_driver' : ''}`, withDriver, { databaseTimeout: timeout })
      // A host whose driver has no timeouts at all (and whose authentication needs no query): only
      // the plugin's own bound stands between its routes and a hang.
      const unboundedPool = withDriver ? await server.createDriver(db.url, server.unbounded) : undefined
      const unbounded = await server.createPrisma(db.url, server.unbounded, unboundedPool)
      const bare = Fastify()
      await bare.register(directMessages, {
        ...(unboundedPool === undefined ? {} : { driver: unboundedPool }),
        prisma: unbounded,
        getUserId: (request) => Number(request.headers['x-user']),
        databaseTimeout: timeout
      })
      const bareAnnounced: number[] = []
      bare.directMessages.on('messageSent', ({ message }) => { bareAnnounced.push(message.id) })
      // The other changes, announced once each too: edits and reactions of a message sent before.
      const edited: string[] = []
      const reacted: string[] = []
      bare.directMessages.on('messageEdited', ({ message }) => { edited.push(message.content) })
      bare.directMessages.on('reactionAdded', ({ emoji }) => { reacted.push(emoji) })
      t.teardown(async () => {
        await bare.close()
        await within('the unbounded Prisma client disconnecting', unbounded.$disconnect(), 2000).catch(() => {})
        await endPool(unboundedPool)
      })
      const bareRequests = [
        { method: 'GET' as const, url: '/unread/', headers: { 'x-user': String(db.ben.id) } },
        { method: 'GET' as const, url: `/conversations/${db.ann.id}/`, headers: { 'x-user': String(db.ben.id) } },
        { method: 'POST' as const, url: `/send/${db.ben.id}/`, headers: { 'x-user': String(db.ann.id), 'idempotency-key': 'bare' }, payload: { content: 'message bare' } }
      ]
      const keys = Array.from({ length: 60 }, (_, i) => `frozen-${i}`)
      // Some traffic before, so that the pools hold connections the freeze will leave hanging.
      for (const key of keys.slice(0, 5)) await db.attempt(key)
      const target = (await bare.inject({ method: 'POST', url: `/send/${db.ben.id}/`, headers: { 'x-user': String(db.ann.id) }, payload: { content: 'to be edited' } })).json<{ id: number }>().id
      let edits = 0
      const changeRequests = [
      // Each edit a new content: every one that commits is one more version.
        (): InjectOptions => ({ method: 'PATCH', url: `/messages/${target}/`, headers: { 'x-user': String(db.ann.id) }, payload: { content: `edit ${++edits}` } }),
        (): InjectOptions => ({ method: 'PUT', url: `/messages/${target}/reactions/${encodeURIComponent('👍')}/`, headers: { 'x-user': String(db.ben.id) } })
      ]
      t.same(db.statuses, [201, 201, 201, 201, 201], 'sends succeed before the freeze')
      t.equal((await bare.inject(bareRequests[0] as InjectOptions)).statusCode, 200, 'the bare host answers before the freeze')
      db.statuses.length = 0
      db.slowest = 0
      const bareAnswers: Array<{ status: number, code: string, retryAfter: unknown, ms: number }> = []
      await freeze()
      let during: number[]
      try {
      // Five clients of the example and three of the bare host, while nothing answers, three
      // requests each (each answered after a timeout).
        const pending = keys.slice(5)
        const ROUNDS = 3
        await Promise.all([
          ...Array.from({ length: 5 }, async (_, client) => {
            for (let round = 0; round < ROUNDS; round++) {
              const key = pending.shift()
              if (key === undefined || client % 2 === 1) await db.read()
              else await db.attempt(key)
            }
          }),
          ...[...bareRequests.map((request) => () => request as InjectOptions), ...changeRequests].map(async (request) => {
            for (let round = 0; round < ROUNDS; round++) {
              const started = Date.now()
              const res = await bare.inject(request())
              bareAnswers.push({ status: res.statusCode, code: res.json<{ code: string }>().code, retryAfter: res.headers['retry-after'], ms: Date.now() - started })
            }
          })
        ])
        during = [...db.statuses]
      } finally {
        thaw()
      }
      t.ok(during.length >= 5, `requests were made to the example while the server was frozen: ${during.length}`)
      t.same([...new Set(during)], [503], 'every request made while nothing answered got 503')
      for (const line of db.failures.filter((l) => !l.includes('"statusCode":503')).slice(0, 3)) t.comment(line.slice(0, 1500))
      t.ok(db.slowest < timeout + 1500, `each answered within the timeout (${timeout} ms) and some slack: the slowest took ${db.slowest} ms`)
      t.ok(bareAnswers.length >= 6, `requests were made to the bare host: ${bareAnswers.length}`)
      t.same([...new Set(bareAnswers.map((answer) => `${answer.status} ${answer.code} retry-after ${String(answer.retryAfter)}`))],
        ['503 FST_DM_DATABASE_TIMEOUT retry-after 1'], 'the bare host answered every request 503 FST_DM_DATABASE_TIMEOUT with Retry-After')
      const bareSlowest = Math.max(...bareAnswers.map((answer) => answer.ms))
      t.ok(bareSlowest >= timeout && bareSlowest < timeout + 1500, `the plugin waited its databaseTimeout, no longer: the slowest took ${bareSlowest} ms`)

      // The bare host recovers by itself too; its send, retried with its key, is stored once.
      let bareSend = 0
      await eventually('the bare host\'s send acknowledged', async () => {
        bareSend = (await bare.inject(bareRequests[2] as InjectOptions)).statusCode
        return bareSend === 201
      }, 20_000).catch(() => {})
      t.equal(bareSend, 201, 'the bare host\'s send is acknowledged once the server is back')
      // Sends that timed out may have committed when the server woke: retrying with their keys finds them.
      await db.retryAndCheck(keys, 2, bareAnnounced)
      t.ok(db.announced.length > 0, 'the example announced its sends')

      // Edits and reactions that timed out but committed when the server woke were announced then, once.
      const check = await server.connect(db.url)
      t.teardown(() => check.end())
      const versions = async (): Promise<{ edits: number, reactions: number, content: string }> => {
        const [row] = await check.query<{ edits: unknown, reactions: unknown, content: string }>(`
        SELECT (SELECT COUNT(*) FROM dm_message_edit WHERE message_id = ?) AS edits,
               (SELECT COUNT(*) FROM dm_reaction WHERE message_id = ?) AS reactions,
               (SELECT content FROM dm_message WHERE id = ?) AS content`, [target, target, target])
        return { edits: Number(row?.edits), reactions: Number(row?.reactions), content: row?.content as string }
      }
      let stored = await versions()
      await eventually('every committed edit and reaction announced', async () => {
        stored = await versions()
        return edited.length >= stored.edits && reacted.length >= stored.reactions
      }).catch(() => {})
      t.comment(`${edits} edits and some reactions tried while frozen; ${stored.edits} edits and ${stored.reactions} reactions committed`)
      t.equal(edited.length, stored.edits, 'every edit that committed was announced (messageEdited) exactly once')
      t.equal(reacted.length, stored.reactions, 'the reaction, if it committed, was announced (reactionAdded) exactly once')
      if (stored.edits > 0) t.ok(edited.includes(stored.content), 'the announced edits include the content the message holds')
    })

    t.test(`changes whose COMMIT meets a frozen server are announced when they commit, once${path}`, async (t) => {
      const timeout = 1000
      // The next COMMIT sent on any connection freezes the server first: the transaction has done
      // all its work, its COMMIT is on its way, and nothing answers until the test thaws it.
      let armed = false
      let met = 0
      const db = await setUp(t, `dm_late${withDriver ? '_driver' : ''}`, withDriver, {
        databaseTimeout: timeout,
        beforeCommit: () => {
          if (!armed) return undefined
          armed = false
          met++
          return freeze()
        },
        // The pool's own query timeout longer than databaseTimeout, as the README advises: the
        // COMMIT that met the freeze is answered once the server is thawed, on either path.
        queryTimeout: 10 * timeout
      })
      const { app, ann, ben } = db
      const heard: string[] = []
      app.directMessages.on('messageEdited', ({ message }) => { heard.push(`edited ${message.id} ${message.content}`) })
      app.directMessages.on('reactionAdded', ({ message, emoji }) => { heard.push(`reacted ${message.id} ${emoji}`) })
      app.directMessages.on('reactionRemoved', ({ message, emoji }) => { heard.push(`unreacted ${message.id} ${emoji}`) })
      app.directMessages.on('messageRead', ({ message }) => { heard.push(`read ${message.id}`) })
      app.directMessages.on('messageUnsent', ({ message }) => { heard.push(`unsent ${message.id}`) })
      await app.listen({ host: '127.0.0.1', port: 0 })
      const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
      const streams: SseStream[] = []
      t.teardown(() => { for (const stream of streams) stream.close() })
      const streamOf = async (user: { token: string }): Promise<SseStream> => {
        const stream = await openStream(base, '/api/dm/events/', { authorization: `Token ${user.token}` })
        streams.push(stream)
        await stream.position(5000)
        return stream
      }
      const annStream = await streamOf(ann)
      const benStream = await streamOf(ben)
      const as = async (user: { token: string }, options: InjectOptions): Promise<LightMyRequestResponse> => await
      app.inject({ ...options, headers: { authorization: `Token ${user.token}` } })
      const sent = await as(ann, { method: 'POST', url: `/api/dm/send/${ben.id}/`, payload: { content: 'before' } })
      t.equal(sent.statusCode, 201)
      const id = sent.json<{ id: number }>().id
      await benStream.until((frames) => frames.some((f) => f.event === 'message'), 5000)
      // The streams' presence is written (its own transactions): no COMMIT of it can be the one that
      // meets the freeze below, which is each change's own.
      for (const [viewer, other] of [[ann, ben], [ben, ann]] as const) {
        await eventually('presence written', async () => (await as(viewer, { method: 'GET', url: `/api/dm/presence/?ids=${other.id}` })).json<Array<{ online: boolean }>>()[0]?.online === true, 10_000)
      }
      const updates = (check: (message: Record<string, unknown>) => boolean) => (frame: SseFrame): boolean =>
        frame.event === 'message_updated' && (frame.data as { id: number }).id === id && check(frame.data as Record<string, unknown>)
      const check = await server.connect(db.url)
      t.teardown(() => check.end())
      // Flags and counts as numbers on one server, booleans and texts on the other: read alike.
      const stored = async (): Promise<Record<string, unknown>> => {
        const [row] = await check.query(`
        SELECT content, read_at IS NOT NULL AS is_read, unsent_at IS NOT NULL AS is_unsent, deleted_by_recipient AS is_hidden,
               (SELECT COUNT(*) FROM dm_reaction WHERE message_id = ?) AS reactions
        FROM dm_message WHERE id = ?`, [id, id])
        if (row === undefined) return {}
        return { content: row.content, read: Number(row.is_read) === 1, unsent: Number(row.is_unsent) === 1, hidden: Number(row.is_hidden) === 1, reactions: Number(row.reactions) }
      }

      // Each change, the stream that must be told of it, and the frame that tells it.
      const cases: Array<{ what: string, by: { token: string }, request: InjectOptions, announced: string | null, committed: (row: Record<string, unknown>) => boolean, frame: [SseStream, (frame: SseFrame) => boolean] }> = [
        { what: 'an edit', by: ann, request: { method: 'PATCH', url: `/api/dm/messages/${id}/`, payload: { content: 'edited late' } }, announced: `edited ${id} edited late`, committed: (row) => row.content === 'edited late', frame: [benStream, updates((m) => m.content === 'edited late')] },
        { what: 'a reaction', by: ben, request: { method: 'PUT', url: `/api/dm/messages/${id}/reactions/${encodeURIComponent('👍')}/` }, announced: `reacted ${id} 👍`, committed: (row) => row.reactions === 1, frame: [annStream, updates((m) => (m.reactions as unknown[]).length === 1)] },
        { what: 'a reaction taken back', by: ben, request: { method: 'DELETE', url: `/api/dm/messages/${id}/reactions/${encodeURIComponent('👍')}/` }, announced: `unreacted ${id} 👍`, committed: (row) => row.reactions === 0, frame: [annStream, updates((m) => (m.reactions as unknown[]).length === 0)] },
        { what: 'a read', by: ben, request: { method: 'POST', url: `/api/dm/conversations/${ann.id}/read/` }, announced: `read ${id}`, committed: (row) => row.read === true, frame: [annStream, (f) => f.event === 'read' || updates((m) => m.read_at !== null)(f)] },
        { what: 'a delete (hide)', by: ben, request: { method: 'DELETE', url: `/api/dm/messages/${id}/` }, announced: null, committed: (row) => row.hidden === true, frame: [benStream, (f) => f.event === 'deleted' && (f.data as { id: number }).id === id] },
        { what: 'an unsend', by: ann, request: { method: 'POST', url: `/api/dm/messages/${id}/unsend/` }, announced: `unsent ${id}`, committed: (row) => row.unsent === true, frame: [annStream, updates((m) => m.unsent_at !== null)] }
      ]
      const expected: string[] = []
      for (const change of cases) {
        const before = met
        const [stream, tells] = change.frame
        const seen = stream.frames.length
        armed = true
        let res
        const started = Date.now()
        try {
          res = await as(change.by, change.request)
        } finally {
          armed = false
          thaw()
        }
        t.equal(met, before + 1, `${change.what}: its COMMIT met the frozen server`)
        t.equal(res.statusCode, 503, `${change.what}: answered 503 while its COMMIT waited`, { body: res.body, ms: Date.now() - started })
        t.equal(res.json<{ code: string }>().code, 'FST_DM_DATABASE_TIMEOUT')
        // Told when it committed: the frame after the request, and the decorator event.
        const frames = await stream.until((all) => all.slice(seen).some(tells), 5000).catch(() => stream.frames)
        t.ok(frames.slice(seen).some(tells), `${change.what}: its stream was told once it committed`)
        if (change.announced !== null) expected.push(change.announced)
        await eventually(`${change.what}: announced`, () => heard.length >= expected.length).catch(() => {})
        t.same(heard, expected, `${change.what}: announced (${change.announced ?? 'no decorator event'})`)
        t.ok(change.committed(await stored()), `${change.what}: it committed after its 503`)
      }
      // A last send, announced after everything before it: no late change was announced twice.
      const last = await as(ann, { method: 'POST', url: `/api/dm/send/${ben.id}/`, payload: { content: 'after' } })
      t.equal(last.statusCode, 201)
      const lastId = last.json<{ id: number }>().id
      await eventually('the last send announced', () => db.announced.includes(lastId)).catch(() => {})
      t.ok(db.announced.includes(lastId), 'the last send was announced')
      t.same(heard, expected, 'each change was announced (decorator events) once, when it committed')
    })
  }
}

interface SetupOptions {
  /** The plugin's option; also the driver's bounds unless given below (default: none, the plugin's default). */
  databaseTimeout?: number
  /** Called before each COMMIT of the application's connections (see Server.interceptCommits). */
  beforeCommit?: () => Promise<void> | undefined
  /** The driver's wait for a connection (ms). */
  connectTimeout?: number
  /** The driver's wait for a statement's answer (ms). */
  queryTimeout?: number
}

interface Setup {
  url: string
  app: FastifyInstance
  prisma: ExamplePrisma
  /** The ids of the messages the application announced with messageSent. */
  announced: number[]
  failures: string[]
  statuses: number[]
  acknowledged: Map<string, number>
  slowest: number
  ann: { id: number, token: string }
  ben: { id: number, token: string }
  /** One send from ann to ben with this Idempotency-Key; answers the status. */
  attempt(key: string): Promise<number>
  /** ben reads his unread count; answers the status. */
  read(): Promise<number>
  /**
   * Retries until every key is acknowledged, then checks the database holds exactly those sends
   * (and `others` more), each announced once (here, or by another host: `announcedElsewhere`).
   */
  retryAndCheck(keys: string[], others?: number, announcedElsewhere?: number[], announcedTodo?: string): Promise<void>
}
