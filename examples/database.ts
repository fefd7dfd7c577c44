/**
 * The example application's database: SQLite by default (a file, nothing to install), PostgreSQL
 * when DATABASE_URL is a postgresql:// URL, MySQL or MariaDB when it is a mysql:// one. Each
 * provider has its own generated Prisma client (see prisma/), built with a driver adapter.
 */
import { spawn } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { PrismaClientLike, UserId } from '../src/index.js'

export const DEFAULT_DATABASE_URL = 'file:./dev.db'

export type Provider = 'sqlite' | 'postgresql' | 'mysql'

/** The type of the example's User.id (DM_USER_ID_TYPE): integers, or string cuids. */
export type UserIdType = 'integer' | 'string'

/** The folder under prisma/ (and examples/generated/) of a provider and a kind of user id. */
export function variantOf (provider: Provider, userIdType: UserIdType): string {
  return userIdType === 'string' ? `${provider}-string` : provider
}

/** A user of the example application. */
export interface ExampleUser {
  id: UserId
  username: string
  firstName: string
  lastName: string
  token: string
}

/** The part of the generated Prisma client the example application uses itself. */
export interface ExamplePrisma extends PrismaClientLike {
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>
  user: {
    create(args: { data: Omit<ExampleUser, 'id'> }): PromiseLike<ExampleUser>
    findUnique(args: { where: { token: string } | { username: string } }): PromiseLike<ExampleUser | null>
    findMany(args: object): PromiseLike<unknown[]>
  }
  $disconnect(): Promise<void>
  /** Query events: only emitted by a client created with `{ logQueries: true }`. */
  $on(event: 'query', listener: (event: { query: string, params: string }) => void): void
}

export interface CreatePrismaOptions {
  /** Emit a `query` event for every statement (tests read them). */
  logQueries?: boolean
  /** The kind of User.id, which picks the generated client (default integer). */
  userIdType?: UserIdType
  /** PostgreSQL: ms to wait for a new connection (default DM_DB_CONNECT_TIMEOUT, else 5,000). */
  connectTimeout?: number
  /** PostgreSQL: ms to wait for a query's answer before dropping the connection (default DM_DB_QUERY_TIMEOUT, else 10,000). */
  queryTimeout?: number
  /** PostgreSQL: the pool the adapter runs on (see createDriver); by default the adapter makes its own. */
  pool?: pg.Pool
}

/** The example's own database driver (the plugin's `driver` option): a pg Pool, a better-sqlite3 Database, or a mariadb Pool. */
export type ExampleDriver = pg.Pool | import('better-sqlite3').Database | import('mariadb').Pool

/**
 * The driver for the database at `databaseUrl`: on PostgreSQL the pool to hand to both the Prisma
 * adapter (`createPrisma(url, { pool })`) and the plugin, with the same bounds as the adapter's
 * own; on SQLite a second connection to the same file (the adapter keeps its own).
 */
export async function createDriver (databaseUrl: string, options: Pick<CreatePrismaOptions, 'connectTimeout' | 'queryTimeout'> = {}): Promise<ExampleDriver> {
  if (providerOf(databaseUrl) === 'mysql') {
    const { default: mariadb } = await import('mariadb')
    return mariadb.createPool(mariadbConfig(databaseUrl, options))
  }
  if (providerOf(databaseUrl) === 'postgresql') {
    const pool = new pg.Pool(poolConfig(databaseUrl, options))
    // An idle connection the server ended (a restart): the pool drops it and opens another when
    // needed. Without a listener, that error would end the process.
    pool.on('error', () => {})
    return pool
  }
  const { default: Database } = await import('better-sqlite3')
  return new Database(fileURLToPath(new URL(databaseUrl, `file://${process.cwd()}/`)))
}

function poolConfig (databaseUrl: string, options: Pick<CreatePrismaOptions, 'connectTimeout' | 'queryTimeout'>): pg.PoolConfig {
  return {
    connectionString: databaseUrl,
    connectionTimeoutMillis: options.connectTimeout ?? Number(process.env.DM_DB_CONNECT_TIMEOUT ?? 5000),
    query_timeout: options.queryTimeout ?? Number(process.env.DM_DB_QUERY_TIMEOUT ?? 10_000)
  }
}

/** A mariadb pool's settings for the database at `databaseUrl`, with the same bounds as the PostgreSQL pool's. */
export function mariadbConfig (databaseUrl: string, options: Pick<CreatePrismaOptions, 'connectTimeout' | 'queryTimeout'>): import('mariadb').PoolConfig {
  const url = new URL(databaseUrl)
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
    connectionLimit: 10,
    acquireTimeout: options.connectTimeout ?? Number(process.env.DM_DB_CONNECT_TIMEOUT ?? 5000),
    connectTimeout: options.connectTimeout ?? Number(process.env.DM_DB_CONNECT_TIMEOUT ?? 5000),
    queryTimeout: options.queryTimeout ?? Number(process.env.DM_DB_QUERY_TIMEOUT ?? 10_000)
  }
}

export function providerOf (databaseUrl: string): Provider {
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return 'postgresql'
  if (/^mysql:\/\//.test(databaseUrl)) return 'mysql'
  if (databaseUrl.startsWith('file:')) return 'sqlite'
  throw new Error(`DATABASE_URL must be a file: (SQLite), postgresql:// or mysql:// URL, got "${databaseUrl}"`)
}

/** A Prisma client for the database at `databaseUrl`. */
export async function createPrisma (databaseUrl: string, options: CreatePrismaOptions = {}): Promise<ExamplePrisma> {
  const { logQueries = false, userIdType = 'integer' } = options
  const log = logQueries ? [{ emit: 'event' as const, level: 'query' as const }] : []
  const strings = userIdType === 'string'
  if (providerOf(databaseUrl) === 'mysql') {
    const { PrismaMariaDb } = await import('@prisma/adapter-mariadb')
    const adapter = new PrismaMariaDb(mariadbConfig(databaseUrl, options))
    if (strings) {
      const { PrismaClient } = await import('./generated/mysql-string/index.js')
      const client: ExamplePrisma = new PrismaClient({ adapter, log })
      return client
    }
    const { PrismaClient } = await import('./generated/mysql/index.js')
    const client: ExamplePrisma = new PrismaClient({ adapter, log })
    return client
  }
  if (providerOf(databaseUrl) === 'postgresql') {
    const { PrismaPg } = await import('@prisma/adapter-pg')
    // Fail fast when the server cannot be reached, rather than waiting for the operating system;
    // and give up on a query the server does not answer (the connection is then dropped): the
    // example's own queries (the token lookup) are bounded as the plugin's are.
    const adapter = new PrismaPg(options.pool ?? poolConfig(databaseUrl, options))
    if (strings) {
      const { PrismaClient } = await import('./generated/postgresql-string/index.js')
      const client: ExamplePrisma = new PrismaClient({ adapter, log })
      return client
    }
    const { PrismaClient } = await import('./generated/postgresql/index.js')
    const client: ExamplePrisma = new PrismaClient({ adapter, log })
    return client
  }
  const { PrismaBetterSQLite3 } = await import('@prisma/adapter-better-sqlite3')
  const adapter = new PrismaBetterSQLite3({ url: databaseUrl })
  if (strings) {
    const { PrismaClient } = await import('./generated/sqlite-string/index.js')
    const client: ExamplePrisma = new PrismaClient({ adapter, log })
    return client
  }
  const { PrismaClient } = await import('./generated/sqlite/index.js')
  const client: ExamplePrisma = new PrismaClient({ adapter, log })
  return client
}

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Brings the database at `databaseUrl` to the latest migration with `prisma migrate deploy`
 * (creating the PostgreSQL database first when it does not exist).
 */
export async function migrate (databaseUrl: string, userIdType: UserIdType = 'integer'): Promise<void> {
  const provider = providerOf(databaseUrl)
  if (provider === 'mysql') return await migrateMysql(databaseUrl, userIdType)
  if (provider === 'postgresql') await createDatabaseIfMissing(databaseUrl)
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js')
  const output: Buffer[] = []
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'migrate', 'deploy', '--config', `prisma/${provider}.config.ts`], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl, DM_USER_ID_TYPE: userIdType, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk))
    child.on('error', reject)
    child.on('close', resolve)
  })
  if (code !== 0) throw new Error(`prisma migrate deploy failed:\n${Buffer.concat(output).toString()}`)
}

async function createDatabaseIfMissing (databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl)
  const name = decodeURIComponent(url.pathname.slice(1))
  url.pathname = '/postgres'
  const admin = new pg.Client({ connectionString: url.toString() })
  await admin.connect()
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`)
  } finally {
    await admin.end()
  }
}

/**
 * MySQL and MariaDB: the Prisma CLI's WebAssembly schema engine, which this project runs, has no
 * MySQL connector, so the migrations are applied here as `prisma migrate deploy` applies them:
 * the database created when missing, each migration not yet applied run whole (a script may hold
 * triggers) and recorded in `_prisma_migrations` with Prisma's checksum (sha256 of the file), so
 * that Prisma's own `migrate deploy` on another machine finds them applied.
 */
async function migrateMysql (databaseUrl: string, userIdType: UserIdType): Promise<void> {
  const { default: mariadb } = await import('mariadb')
  const url = new URL(databaseUrl)
  const name = decodeURIComponent(url.pathname.slice(1))
  const config = { ...mariadbConfig(databaseUrl, {}), connectionLimit: 1 }
  const server = await mariadb.createConnection({ ...config, database: undefined })
  try {
    await server.query(`CREATE DATABASE IF NOT EXISTS \`${name.replaceAll('`', '``')}\` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  } finally {
    await server.end()
  }
  const connection = await mariadb.createConnection({ ...config, multipleStatements: true })
  try {
    await connection.query(`CREATE TABLE IF NOT EXISTS _prisma_migrations (
      id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at DATETIME(3), migration_name VARCHAR(255) NOT NULL,
      logs TEXT, rolled_back_at DATETIME(3), started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), applied_steps_count INTEGER UNSIGNED NOT NULL DEFAULT 0
    ) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
    const applied = new Set((await connection.query<Array<{ migration_name: string }>>('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL'))
      .map((row) => row.migration_name))
    const dir = join(root, 'prisma', variantOf('mysql', userIdType), 'migrations')
    for (const migration of readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()) {
      if (applied.has(migration)) continue
      const script = readFileSync(join(dir, migration, 'migration.sql'), 'utf8')
      const id = randomUUID()
      await connection.query('INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES (?, ?, ?)', [id, createHash('sha256').update(script).digest('hex'), migration])
      await connection.query(script)
      await connection.query('UPDATE _prisma_migrations SET finished_at = CURRENT_TIMESTAMP(3), applied_steps_count = 1 WHERE id = ?', [id])
    }
  } finally {
    await connection.end()
  }
}
