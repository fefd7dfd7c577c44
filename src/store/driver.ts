/**
 * The fast path (option `driver`): the plugin's statements and transactions run on the host's own
 * driver — a `pg` Pool or a `better-sqlite3` Database — instead of through the Prisma client. It is
 * the same Database interface as store/database.ts, with the same bounds, the same retries and
 * the same values in and out as the Prisma client gives (dates, 64-bit integers), so the store
 * cannot tell which it has.
 */
import type { Sql } from 'sql-template-tag'
import { DatabaseTimeout } from '../domain/errors.js'
import { bounded, commitWait, retryTransaction, type Database, type Executor } from './database.js'

/** The part of a `pg` Pool the plugin uses (a `pg.Pool` fits it). */
export interface PgPoolLike {
  query(config: PgQueryConfig): Promise<PgResultLike>
  connect(): Promise<PgPoolClientLike>
  /** Connections the pool holds: only a Pool has it (a Client has not). */
  readonly totalCount: number
  /** Set by `end()`. */
  readonly ending?: boolean
  readonly ended?: boolean
}

/** A connection checked out of the pool. */
export interface PgPoolClientLike {
  query(config: PgQueryConfig): Promise<PgResultLike>
  /** Gives the connection back; with an error, closes it instead. */
  release(err?: Error | boolean): void
}

/** The query config the plugin sends: its text, bound values, and its own type parsers. */
export interface PgQueryConfig {
  text: string
  values?: unknown[]
  types?: { getTypeParser: (oid: number, format?: string) => unknown }
  /** `pg`'s own bound of this query's answer (ms), instead of the pool's `query_timeout`. */
  query_timeout?: number
}

/** What a query answers: its rows, and how many rows a write changed. */
export interface PgResultLike {
  rows: unknown[]
  rowCount: number | null
}

/** The part of a `better-sqlite3` Database the plugin uses (a `Database` of better-sqlite3 fits it). */
export interface SqliteDatabaseLike {
  prepare(source: string): SqliteStatementLike
  /** False once closed. */
  readonly open: boolean
  readonly inTransaction: boolean
  /** The database file. */
  readonly name: string
}

/** A prepared statement of better-sqlite3. */
export interface SqliteStatementLike {
  /** Whether the statement answers rows (a SELECT, or a write with RETURNING). */
  readonly reader: boolean
  all(...values: unknown[]): unknown[]
  run(...values: unknown[]): { changes: number }
}

/** The host's driver, as the option gives it. */
export type DriverLike = PgPoolLike | SqliteDatabaseLike

/** What kind of driver `value` is, or null for anything else. */
export function driverKind (value: unknown): 'pg' | 'better-sqlite3' | null {
  if (value === null || typeof value !== 'object') return null
  const v = value as Record<string, unknown>
  if (typeof v.query === 'function' && typeof v.connect === 'function' && typeof v.totalCount === 'number') return 'pg'
  if (typeof v.prepare === 'function' && typeof v.pragma === 'function' && typeof v.open === 'boolean') return 'better-sqlite3'
  return null
}

/** Whether the driver can no longer be used (an ended pool, a closed database). */
export function driverClosed (driver: DriverLike): boolean {
  if ('totalCount' in driver) return driver.ending === true || driver.ended === true
  return !driver.open
}

// --- PostgreSQL -------------------------------------------------------------------------------

/** Text-format parsers for the types the plugin's statements answer, as the Prisma client reads them. */
const PG_PARSERS = new Map<number, (text: string) => unknown>([
  [16, (text) => text === 't'], // boolean
  [20, BigInt], // bigint: COUNT(*), SUM(integer), BIGSERIAL ids
  [21, Number], [23, Number], [26, Number], // smallint, integer, oid
  [700, Number], [701, Number], [1700, Number], // real, double precision, numeric
  // Timestamps without a zone hold UTC (as Prisma writes them): read them as UTC, whatever the process's zone.
  [1114, (text) => new Date(`${text.replace(' ', 'T')}Z`)],
  [1184, (text) => new Date(text)] // timestamp with time zone
])
const asText = (text: string): string => text

/**
 * The plugin's own type parsers, per query (the pool's global ones are the host's business); any
 * other type (text, varchar…) is read as text.
 */
const PG_TYPES: NonNullable<PgQueryConfig['types']> = {
  getTypeParser: (oid: number) => PG_PARSERS.get(oid) ?? asText
}

/** Bound values as PostgreSQL should read them: dates as UTC text (columns are timestamps without a zone). */
function pgValues (values: readonly unknown[]): unknown[] {
  return values.map((value) => value instanceof Date ? value.toISOString() : value)
}

/**
 * A `pg` Pool as a Database. A transaction runs on one checked-out connection between BEGIN and
 * COMMIT; one that outlives its deadline is rolled back at its next statement or before COMMIT
 * (as Prisma does at its transaction timeout). Only a COMMIT already sent can still commit after
 * its caller was answered 503; its outcome is then awaited and announced (see lateOutcomeOf).
 */
export function pgDatabase (pool: PgPoolLike, timeout: number): Database {
  /** An Executor whose statements `send` runs (with the plugin's text, values and type parsers). */
  const executor = (send: (config: PgQueryConfig) => Promise<PgResultLike>): Executor => {
    const result = (statement: Sql): Promise<PgResultLike> => send({ text: statement.text, values: pgValues(statement.values), types: PG_TYPES })
    return {
      query: async <T>(statement: Sql) => (await result(statement)).rows as T[],
      execute: async (statement: Sql) => (await result(statement)).rowCount ?? 0
    }
  }
  const direct = executor((config) => bounded(pool.query(config), timeout))
  const run = async <R>(fn: (tx: Executor) => Promise<R>, deadline: number): Promise<R> => {
    const client = await pool.connect()
    let broken: Error | undefined
    const live = (): void => { if (Date.now() >= deadline) throw new DatabaseTimeout(timeout) }
    const tx = executor(async (config) => {
      live()
      return await client.query(config)
    })
    try {
      live()
      await client.query({ text: 'BEGIN' })
      const result = await fn(tx)
      live()
      // Once sent, a COMMIT's outcome is waited for longer than the pool's own query_timeout
      // (which may be shorter than the plugin's bound): one that commits after its caller was
      // answered 503 is then still known, and announced (see lateOutcomeOf).
      await client.query({ text: 'COMMIT', query_timeout: commitWait(timeout) })
      return result
    } catch (err) {
      await client.query({ text: 'ROLLBACK' }).catch((rollbackError: unknown) => { broken = rollbackError as Error })
      throw err
    } finally {
      client.release(broken)
    }
  }
  return {
    ...direct,
    transaction: <R>(fn: (tx: Executor) => Promise<R>) => retryTransaction(timeout, (left, deadline) => bounded(run(fn, deadline), left, timeout))
  }
}

// --- SQLite -----------------------------------------------------------------------------------

/** Dates as Prisma's SQLite adapter stores them (ISO text, `+00:00`), so both write comparable text. */
function sqliteValue (value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace('Z', '+00:00')
  if (typeof value === 'boolean') return value ? 1 : 0
  return value === undefined ? null : value
}

/** Prepared statements kept per text, at most this many (the plugin's statements are a few dozen shapes). */
const STATEMENT_CACHE = 500

/**
 * A `better-sqlite3` Database as a Database. Its calls are synchronous on one connection, so every
 * statement waits for an open transaction of the plugin's to end (otherwise it would join it);
 * a transaction is BEGIN IMMEDIATE … COMMIT, which waits (up to the database's busy timeout) for
 * another connection's write, such as the Prisma client's, to end.
 */
export function sqliteDatabase (db: SqliteDatabaseLike, timeout: number): Database {
  const statements = new Map<string, SqliteStatementLike>()
  const prepare = (text: string): SqliteStatementLike => {
    let statement = statements.get(text)
    if (statement === undefined) {
      if (statements.size >= STATEMENT_CACHE) statements.clear()
      statement = db.prepare(text)
      statements.set(text, statement)
    }
    return statement
  }
  const rows = (statement: Sql): unknown[] => {
    const prepared = prepare(statement.sql)
    const values = statement.values.map(sqliteValue)
    if (prepared.reader) return prepared.all(...values)
    prepared.run(...values)
    return []
  }
  const changes = (statement: Sql): number => prepare(statement.sql).run(...statement.values.map(sqliteValue)).changes
  const immediate: Executor = {
    query: async <T>(statement: Sql) => rows(statement) as T[],
    execute: async (statement: Sql) => changes(statement)
  }

  /** The end of the plugin's open transaction, if one is open: other statements wait for it. */
  let current: Promise<unknown> = Promise.resolve()
  let open = false
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const next = current.then(work, work)
    current = next.catch(() => {})
    return next
  }
  // Run at once when no transaction of the plugin's is open: a deferred run could find one opened
  // meanwhile, and join it.
  const whenFree = <T>(work: () => T): Promise<T> => open ? exclusive(async () => work()) : new Promise<T>((resolve) => { resolve(work()) })

  const run = async <R>(fn: (tx: Executor) => Promise<R>, deadline: number): Promise<R> => {
    if (Date.now() >= deadline) throw new DatabaseTimeout(timeout)
    open = true
    try {
      prepare('BEGIN IMMEDIATE').run()
      try {
        const result = await fn(immediate)
        if (Date.now() >= deadline) throw new DatabaseTimeout(timeout)
        prepare('COMMIT').run()
        return result
      } catch (err) {
        if (db.inTransaction) prepare('ROLLBACK').run()
        throw err
      }
    } finally {
      open = false
    }
  }
  return {
    query: <T>(statement: Sql) => whenFree(() => rows(statement) as T[]),
    execute: (statement: Sql) => whenFree(() => changes(statement)),
    transaction: <R>(fn: (tx: Executor) => Promise<R>) => retryTransaction(timeout, (left, deadline) => bounded(exclusive(() => run(fn, deadline)), left, timeout))
  }
}

/** The driver as a Database. */
export function driverDatabase (driver: DriverLike, timeout: number): Database {
  return 'totalCount' in driver ? pgDatabase(driver, timeout) : sqliteDatabase(driver, timeout)
}
