/**
 * The fast path on PostgreSQL (option `driver`): the plugin's statements and transactions run on
 * the host's own `pg` Pool instead of through the Prisma client — the same Database interface as
 * db/prisma.ts, with the same bounds, the same retries and the same values in and out as the
 * Prisma client gives (dates, 64-bit integers), so the plugin cannot tell which it has.
 */
import type { Sql } from 'sql-template-tag'
import { DatabaseTimeout } from '../../domain/errors.js'
import { bounded, commitWait, retriedStatement, retryTransaction, type Database, type Executor } from '../../db/database.js'

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
  const direct = executor((config) => retriedStatement(timeout, () => pool.query(config)))
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

/** Whether `value` is a pg Pool (a Client has no `totalCount`). */
export function isPgPool (value: unknown): value is PgPoolLike {
  const v = value as Record<string, unknown> | null
  return typeof v === 'object' && v !== null && typeof v.query === 'function' && typeof v.connect === 'function' && typeof v.totalCount === 'number'
}

/** Whether `value` is a pg Client: it runs one query at a time, which the plugin cannot share. */
export function isPgClient (value: unknown): boolean {
  const v = value as Record<string, unknown> | null
  return typeof v === 'object' && v !== null && typeof v.query === 'function' && typeof v.connect === 'function' && typeof v.totalCount !== 'number'
}
