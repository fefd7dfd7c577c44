/**
 * The fast path on MySQL and MariaDB (option `driver`): the plugin's statements and transactions
 * run on the host's own `mariadb` Pool (the driver `@prisma/adapter-mariadb` is built on) instead
 * of through the Prisma client — the same Database interface as db/prisma.ts, with the same
 * bounds and retries, and the values in and out as the Prisma adapter gives them (times as UTC,
 * 64-bit integers as BigInt).
 */
import type { Sql } from 'sql-template-tag'
import { DatabaseTimeout } from '../../domain/errors.js'
import { bounded, commitWait, retriedStatement, retryTransaction, type Database, type Executor } from '../../db/database.js'

/** The part of a `mariadb` Pool the plugin uses (a `Pool` of the `mariadb` package fits it). */
export interface MariadbPoolLike {
  query(options: MariadbQueryOptions, values?: unknown[]): Promise<unknown>
  getConnection(): Promise<MariadbConnectionLike>
  /** Connections the pool holds: only a Pool has it. */
  totalConnections(): number
  /** Set once the pool is ended. */
  readonly closed?: boolean
}

/** A connection taken from the pool. */
export interface MariadbConnectionLike {
  query(options: MariadbQueryOptions, values?: unknown[]): Promise<unknown>
  /** Gives the connection back to the pool. */
  release(): Promise<void>
  /** Closes the connection instead (one whose state is unknown). */
  destroy?(): void
}

/** The query options the plugin sends: its text, and how values come back. */
export interface MariadbQueryOptions {
  sql: string
  /** Times as text (read as UTC by the plugin), as the Prisma adapter reads them. */
  dateStrings?: boolean
  /** The driver's own bound of this command (ms). */
  timeout?: number
}

/** A column of a result, as the driver describes it. */
interface FieldInfo { type: string, name: () => string }

/** Rows of a SELECT (with their columns' description), or the outcome of a write. */
type Result = Array<Record<string, unknown>> & { meta?: FieldInfo[] } | { affectedRows?: number }

const TIMES = new Set(['DATETIME', 'DATETIME2', 'TIMESTAMP', 'TIMESTAMP2'])

/** Zone-less times hold UTC (as the Prisma adapter writes them): a Date of that instant. */
function rowsOf (result: Result): unknown[] {
  if (!Array.isArray(result)) return []
  const times = (result.meta ?? []).filter((field) => TIMES.has(field.type)).map((field) => field.name())
  if (times.length === 0) return result
  return result.map((row) => {
    const copy = { ...row }
    for (const name of times) {
      const value = copy[name]
      if (typeof value === 'string') copy[name] = new Date(`${value.replace(' ', 'T')}Z`)
    }
    return copy
  })
}

/** Dates as UTC text, as the Prisma adapter writes them (the columns are zone-less). */
function value (v: unknown): unknown {
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', '')
  return v === undefined ? null : v
}

/**
 * A `mariadb` Pool as a Database. A transaction runs on one connection between BEGIN and COMMIT;
 * one that outlives its deadline is rolled back at its next statement or before COMMIT. A COMMIT
 * already sent is awaited beyond the bound (see commitWait), so that one that commits after its
 * caller was answered 503 is still known, and announced.
 */
export function mariadbDatabase (pool: MariadbPoolLike, timeout: number): Database {
  const executor = (send: (options: MariadbQueryOptions, values: unknown[]) => Promise<unknown>): Executor => {
    const result = async (statement: Sql): Promise<Result> => await send({ sql: statement.sql, dateStrings: true }, statement.values.map(value)) as Result
    return {
      query: async <T>(statement: Sql) => rowsOf(await result(statement)) as T[],
      execute: async (statement: Sql) => {
        const outcome = await result(statement)
        return Array.isArray(outcome) ? 0 : Number(outcome.affectedRows ?? 0)
      }
    }
  }
  const direct = executor((options, values) => retriedStatement(timeout, () => pool.query(options, values)))
  const run = async <R>(fn: (tx: Executor) => Promise<R>, deadline: number): Promise<R> => {
    const connection = await pool.getConnection()
    let broken = false
    const live = (): void => { if (Date.now() >= deadline) throw new DatabaseTimeout(timeout) }
    const tx = executor(async (options, values) => {
      live()
      return await connection.query(options, values)
    })
    try {
      live()
      // (For the next transaction only: the session keeps its own.) Both sent at once: the driver
      // pipelines them, in order, in one round trip.
      await Promise.all([connection.query({ sql: 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED' }), connection.query({ sql: 'BEGIN' })])
      const result = await fn(tx)
      live()
      await connection.query({ sql: 'COMMIT', timeout: commitWait(timeout) })
      return result
    } catch (err) {
      await connection.query({ sql: 'ROLLBACK' }).catch(() => { broken = true })
      throw err
    } finally {
      if (broken && connection.destroy !== undefined) connection.destroy()
      else await connection.release().catch(() => {})
    }
  }
  return {
    ...direct,
    transaction: <R>(fn: (tx: Executor) => Promise<R>) => retryTransaction(timeout, (left, deadline) => bounded(run(fn, deadline), left, timeout))
  }
}

/** Whether `value` is a `mariadb` Pool. */
export function isMariadbPool (value: unknown): value is MariadbPoolLike {
  const v = value as Record<string, unknown> | null
  return typeof v === 'object' && v !== null && typeof v.query === 'function' && typeof v.getConnection === 'function' && typeof v.totalConnections === 'function'
}

/** Whether `value` is a single `mariadb` Connection: one command at a time, which the plugin cannot share. */
export function isMariadbConnection (value: unknown): boolean {
  const v = value as Record<string, unknown> | null
  return typeof v === 'object' && v !== null && typeof v.query === 'function' && typeof v.beginTransaction === 'function' && typeof v.getConnection !== 'function'
}
