/**
 * Real databases for the tests: a fresh SQLite file, and a fresh PostgreSQL database on the server
 * at DM_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres), each migrated with
 * the project's committed migrations. PostgreSQL is skipped, visibly, only when it is unreachable
 * outside CI; on CI (CI=true) an unreachable server fails the run. The client is the example's
 * Prisma 6 one, or (`client: 'prisma7'`) a Prisma 7 client over the same tables (see prisma7.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import pg from 'pg'
import type { Test } from 'tap'
import { createDriver, createPrisma, variantOf, type ExampleDriver, type ExamplePrisma, type Provider, type UserIdType } from '../../examples/database.js'
import { isMariadbPool } from '../../src/dialect/mysql/driver.js'
import { eventually } from './wait.js'

export const PG_ADMIN_URL = process.env.DM_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
/** The MySQL or MariaDB server the tests create their databases on. */
export const MYSQL_ADMIN_URL = process.env.DM_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const root = fileURLToPath(new URL('../..', import.meta.url))

export interface TestDatabase {
  provider: Provider
  userIdType: UserIdType
  /** Which Prisma the client `prisma` is. */
  client: PrismaVersion
  url: string
  prisma: ExamplePrisma
  /**
   * With `driver: true`: the plugin's `driver` option, the driver the Prisma client's adapter uses
   * (PostgreSQL: the same pool; SQLite: a connection of its own to the same file). startApp passes it.
   */
  driver: ExampleDriver | undefined
  /** Runs SQL directly on the database, bypassing the plugin (for seeding and inspection). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>
  close(): Promise<void>
}

/** Runs SQL written with `?` placeholders on either database (PostgreSQL wants `$1`, `$2`, ...). */
export function query<T = Record<string, unknown>> (db: TestDatabase, text: string, params: unknown[] = []): Promise<T[]> {
  let n = 0
  return db.sql<T>(db.provider === 'postgresql' ? text.replace(/\?/g, () => `$${++n}`) : text, params)
}

/** The migration SQL of a provider and kind of user id, oldest first. */
export function migrationScripts (provider: Provider, userIdType: UserIdType = 'integer'): string[] {
  const dir = join(root, 'prisma', variantOf(provider, userIdType), 'migrations')
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => readFileSync(join(dir, name, 'migration.sql'), 'utf8'))
}

let pgReachable: Promise<boolean> | undefined
export function postgresReachable (): Promise<boolean> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 })
    try {
      await client.connect()
      await client.end()
      return true
    } catch {
      return false
    }
  })()
  return pgReachable
}

let mysqlReachableOnce: Promise<boolean> | undefined
export function mysqlReachable (): Promise<boolean> {
  mysqlReachableOnce ??= (async () => {
    const { default: mariadb } = await import('mariadb')
    try {
      const connection = await mariadb.createConnection({ ...mysqlServer(), connectTimeout: 3000 })
      await connection.end()
      return true
    } catch {
      return false
    }
  })()
  return mysqlReachableOnce
}

/** The MySQL server's connection settings (no database). */
function mysqlServer (): { host: string, port: number, user: string, password: string } {
  const url = new URL(MYSQL_ADMIN_URL)
  return { host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username || 'root'), password: decodeURIComponent(url.password) }
}

let counter = 0
function uniqueName (label: string): string {
  return `dm_test_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 30)}_${process.pid}_${++counter}`
}

/** The project's Prisma 6 client (examples/generated/), or a Prisma 7 one (test/prisma7/). */
export type PrismaVersion = 'prisma6' | 'prisma7'

export interface OpenOptions {
  /** Emit Prisma query events (see ExamplePrisma.$on). */
  logQueries?: boolean
  /** The kind of User.id of the database (default integer). */
  userIdType?: UserIdType
  /** The Prisma client (default the project's Prisma 6). */
  client?: PrismaVersion
  /** Give the plugin the database's driver (the `driver` option: the fast path). */
  driver?: boolean
}

async function openClient (url: string, options: OpenOptions, pool?: pg.Pool): Promise<ExamplePrisma> {
  if (options.client !== 'prisma7') return await createPrisma(url, { ...options, ...(pool === undefined ? {} : { pool }) })
  // Loaded only when asked for: the other suites do not pay for the Prisma 7 set-up.
  const { createPrisma7 } = await import('./prisma7.js')
  return await createPrisma7(url, options)
}

export async function openDatabase (provider: Provider, label: string, options: OpenOptions = {}): Promise<TestDatabase> {
  if (provider === 'mysql') return await openMysql(label, options)
  return provider === 'sqlite' ? await openSqlite(options) : await openPostgres(label, options)
}

async function openMysql (label: string, options: OpenOptions): Promise<TestDatabase> {
  const { default: mariadb } = await import('mariadb')
  const name = uniqueName(label)
  const admin = await mariadb.createConnection(mysqlServer())
  await admin.query(`DROP DATABASE IF EXISTS ${name}`)
  await admin.query(`CREATE DATABASE ${name} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  await admin.end()
  const url = new URL(MYSQL_ADMIN_URL)
  url.pathname = `/${name}`
  // Scripts run whole (they hold triggers); statements of the tests one at a time.
  const direct = mariadb.createPool({ ...mysqlServer(), database: name, connectionLimit: 2, multipleStatements: true })
  const userIdType = options.userIdType ?? 'integer'
  for (const script of migrationScripts('mysql', userIdType)) await direct.query(script)
  const dropDatabase = async (): Promise<void> => {
    const cleanup = await mariadb.createConnection(mysqlServer())
    await cleanup.query(`DROP DATABASE IF EXISTS ${name}`)
    await cleanup.end()
  }
  const driver = options.driver === true ? await createDriver(url.toString()) as import('mariadb').Pool : undefined
  const prisma = await openClient(url.toString(), options).catch(async (err: unknown) => {
    await direct.end()
    await driver?.end()
    await dropDatabase()
    throw err
  })
  return {
    provider: 'mysql',
    userIdType,
    client: options.client ?? 'prisma6',
    url: url.toString(),
    prisma,
    driver,
    async sql<T>(text: string, params: unknown[] = []) {
      const result: unknown = await direct.query(text, params)
      return (Array.isArray(result) ? result : []) as T[]
    },
    async close () {
      await prisma.$disconnect()
      await driver?.end()
      await direct.end()
      await dropDatabase()
    }
  }
}

async function openSqlite (options: OpenOptions): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'dm-test-'))
  const file = join(dir, 'test.db')
  const direct = new Database(file)
  const userIdType = options.userIdType ?? 'integer'
  for (const script of migrationScripts('sqlite', userIdType)) direct.exec(script)
  const url = `file:${file}`
  const prisma = await openClient(url, options).catch((err: unknown) => {
    direct.close()
    rmSync(dir, { recursive: true, force: true })
    throw err
  })
  const driver = options.driver === true ? await createDriver(url) as Database.Database : undefined
  return {
    provider: 'sqlite',
    userIdType,
    client: options.client ?? 'prisma6',
    url,
    prisma,
    driver,
    async sql<T>(text: string, params: unknown[] = []) {
      const statement = direct.prepare(text)
      return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as T[]
    },
    async close () {
      await prisma.$disconnect()
      driver?.close()
      direct.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

async function openPostgres (label: string, options: OpenOptions): Promise<TestDatabase> {
  const name = uniqueName(label)
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${name}`)
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  const direct = new pg.Pool({ connectionString: url.toString(), max: 2 })
  // DROP DATABASE ... WITH (FORCE) at teardown ends connections the pool may not have closed yet.
  direct.on('error', () => {})
  const userIdType = options.userIdType ?? 'integer'
  for (const script of migrationScripts('postgresql', userIdType)) await direct.query(script)
  const dropDatabase = async (): Promise<void> => {
    const cleanup = new pg.Client({ connectionString: PG_ADMIN_URL })
    await cleanup.connect()
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await cleanup.end()
  }
  // With the driver: one pool, the Prisma adapter's and the plugin's (the client ends it on disconnect).
  const pool = options.driver === true ? await createDriver(url.toString()) as pg.Pool : undefined
  const prisma = await openClient(url.toString(), options, pool).catch(async (err: unknown) => {
    await direct.end()
    await dropDatabase()
    throw err
  })
  return {
    provider: 'postgresql',
    userIdType,
    client: options.client ?? 'prisma6',
    url: url.toString(),
    prisma,
    driver: pool,
    async sql<T>(text: string, params: unknown[] = []) {
      return (await direct.query(text, params)).rows as T[]
    },
    async close () {
      await prisma.$disconnect()
      await direct.end()
      await dropDatabase()
    }
  }
}

const ALL_PROVIDERS = ['sqlite', 'postgresql', 'mysql'] as const
/**
 * The databases the tests run on: all three, or (for a quicker local run) those named in
 * `DM_TEST_DATABASES`, comma-separated. CI runs them all: there the variable is refused.
 */
const PROVIDERS: ReadonlyArray<typeof ALL_PROVIDERS[number]> = (() => {
  const named = process.env.DM_TEST_DATABASES
  if (named === undefined || named === '') return ALL_PROVIDERS
  if (process.env.CI === 'true') throw new Error('DM_TEST_DATABASES is for local runs; on CI every database runs')
  const chosen = named.split(',').map((name) => name.trim())
  const unknown = chosen.filter((name) => !(ALL_PROVIDERS as readonly string[]).includes(name))
  if (unknown.length > 0) throw new Error(`DM_TEST_DATABASES names ${unknown.join(', ')}; the databases are ${ALL_PROVIDERS.join(', ')}`)
  return ALL_PROVIDERS.filter((provider) => chosen.includes(provider))
})()

/**
 * Runs `fn` as a subtest once per provider, each with its own fresh database. PostgreSQL is
 * mandatory on CI; elsewhere an unreachable server shows as a skipped subtest, not a pass.
 */
export function forEachDatabase (t: Test, label: string, fn: (t: Test, db: TestDatabase) => Promise<void>, options: OpenOptions = {}): void {
  for (const provider of PROVIDERS) {
    t.test(`${label} [${provider}${options.userIdType === 'string' ? ', string ids' : ''}${options.client === 'prisma7' ? ', prisma 7' : ''}${options.driver === true ? ', driver' : ''}]`, async (t) => {
      if (provider === 'postgresql' && !(await postgresReachable())) {
        if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is unreachable; on CI the PostgreSQL tests must run`)
        const reason = `PostgreSQL at ${PG_ADMIN_URL} is unreachable (set DM_TEST_PG_URL)`
        t.test(label, { skip: reason }, async () => {})
        return
      }
      if (provider === 'mysql' && !(await mysqlReachable())) {
        if (process.env.CI === 'true') throw new Error(`MySQL/MariaDB at ${MYSQL_ADMIN_URL} is unreachable; on CI the MySQL tests must run`)
        t.test(label, { skip: `MySQL/MariaDB at ${MYSQL_ADMIN_URL} is unreachable (set DM_TEST_MYSQL_URL)` }, async () => {})
        return
      }
      const db = await openDatabase(provider, label, options)
      t.teardown(() => db.close())
      await fn(t, db)
    })
  }
}

/** forEachDatabase twice: the plugin on the Prisma client, then on the database's driver (the `driver` option). */
export function forEachPath (t: Test, label: string, fn: (t: Test, db: TestDatabase) => Promise<void>, options: Omit<OpenOptions, 'driver'> = {}): void {
  forEachDatabase(t, label, fn, options)
  forEachDatabase(t, label, fn, { ...options, driver: true })
}

/**
 * The same driver, telling `record` the text of every statement it runs (a pool's queries and
 * those of the connections it lends; a SQLite database's prepared statements, each time one runs).
 */
export function countingDriver (driver: ExampleDriver, record: (statement: string) => void): ExampleDriver {
  const counting = <T extends object>(target: T, wrap: Record<string, (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown>): T =>
    new Proxy(target, {
      get (object, property) {
        // The object itself as the receiver: the mariadb pool's getters read private fields.
        const value: unknown = Reflect.get(object, property, object)
        if (typeof value !== 'function') return value
        const bound = (value as (...args: unknown[]) => unknown).bind(object)
        return typeof property === 'string' && property in wrap ? (wrap[property] as (original: typeof bound) => typeof bound)(bound) : bound
      }
    })
  const pgQuery = (original: (...args: unknown[]) => unknown) => (config: unknown, ...rest: unknown[]) => {
    record(typeof config === 'string' ? config : (config as { text: string }).text)
    return original(config, ...rest)
  }
  if (driver instanceof pg.Pool) {
    return counting(driver, {
      query: pgQuery,
      connect: (original) => async () => counting(await (original() as Promise<pg.PoolClient>), { query: pgQuery })
    })
  }
  if (isMariadbPool(driver)) {
    const mariadbQuery = (original: (...args: unknown[]) => unknown) => (options: unknown, ...rest: unknown[]) => {
      record(typeof options === 'string' ? options : (options as { sql: string }).sql)
      return original(options, ...rest)
    }
    return counting(driver, {
      query: mariadbQuery,
      getConnection: (original) => async () => counting(await (original() as Promise<object>), { query: mariadbQuery })
    })
  }
  return counting(driver as Database.Database, {
    prepare: (original) => (text: unknown) => {
      const statement = original(text) as Database.Statement
      const run = (method: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
        record(String(text))
        return method(...args)
      }
      return counting(statement, { all: run, run, get: run })
    }
  })
}

/** Moves message `id`'s sent_at back by `ms`, in the format its database stores it (for the edit and unsend windows). */
export async function ageMessage (db: TestDatabase, id: number, ms: number): Promise<void> {
  if (db.provider === 'postgresql') {
    await query(db, 'UPDATE dm_message SET sent_at = sent_at - ?::float8 * interval \'1 millisecond\' WHERE id = ?', [ms, id])
    return
  }
  if (db.provider === 'mysql') {
    await query(db, 'UPDATE dm_message SET sent_at = sent_at - INTERVAL ? * 1000 MICROSECOND WHERE id = ?', [ms, id])
    return
  }
  const [row] = await query<{ sent_at: unknown }>(db, 'SELECT sent_at FROM dm_message WHERE id = ?', [id])
  await query(db, 'UPDATE dm_message SET sent_at = ? WHERE id = ?', [shifted(row?.sent_at, ms), id])
}

/** A stored SQLite date moved back by `ms`: a number stays a number, a text keeps its shape. */
function shifted (stored: unknown, ms: number): number | bigint | string {
  if (typeof stored === 'number') return stored - ms
  if (typeof stored === 'bigint') return stored - BigInt(ms)
  if (typeof stored !== 'string') throw new Error(`unexpected sent_at ${String(stored)}`)
  if (/^\d+$/.test(stored)) return String(Number(stored) - ms)
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(stored)
  const parsed = Date.parse(zoned ? stored.replace(' ', 'T') : `${stored.replace(' ', 'T')}Z`)
  if (Number.isNaN(parsed)) throw new Error(`unexpected sent_at ${stored}`)
  let text = new Date(parsed - ms).toISOString()
  if (!/\.\d+/.test(stored)) text = text.replace(/\.\d{3}/, '')
  if (stored.includes(' ')) text = text.replace('T', ' ')
  if (stored.endsWith('+00:00')) text = text.replace(/Z$/, '+00:00')
  else if (!zoned) text = text.replace(/Z$/, '')
  return text
}

/** The text every marker statement of statementsReported holds: a recording can leave them out. */
export const MARKER = 'statements-reported-marker'
let markers = 0

/**
 * Resolves once Prisma has reported (as `query` events) every statement answered before the call:
 * Prisma reports a statement after its answer, in order, so this runs a marker statement through
 * `db.prisma` and waits until `seen()` holds it. Statements holding MARKER are the markers.
 */
export async function statementsReported (db: TestDatabase, seen: () => readonly string[]): Promise<void> {
  const marker = `${MARKER} ${++markers}`
  await db.prisma.$queryRawUnsafe(`SELECT '${marker}' AS marker`)
  await eventually(`the marker statement "${marker}" reported`, () => seen().some((statement) => statement.includes(marker)))
}
