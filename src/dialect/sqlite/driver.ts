/**
 * The fast path on SQLite (option `driver`): the plugin's statements and transactions run on a
 * `better-sqlite3` Database of the host's file instead of through the Prisma client — the same
 * Database interface as db/prisma.ts, with the same bounds and retries, and the values stored as
 * Prisma's SQLite adapter stores them.
 */
import type { Sql } from 'sql-template-tag'
import { DatabaseTimeout } from '../../domain/errors.js'
import { bounded, retryTransaction, type Database, type Executor } from '../../db/database.js'

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

/** Whether `value` is a better-sqlite3 Database. */
export function isSqliteDatabase (value: unknown): value is SqliteDatabaseLike {
  const v = value as Record<string, unknown> | null
  return typeof v === 'object' && v !== null && typeof v.prepare === 'function' && typeof v.pragma === 'function' && typeof v.open === 'boolean'
}
