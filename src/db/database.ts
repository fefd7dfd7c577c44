/**
 * How the plugin reaches the database: one small interface (a query, a statement, a
 * transaction) with the plugin's bound on every wait, implemented over the host's Prisma client
 * (db/prisma.ts) and over each database's own driver (the `driver` option, dialect/<name>/driver.ts).
 *
 * Statements are built with `sql` tags (sql-template-tag): values are always bound parameters,
 * and named fragments (db/sql.ts) nest. Each runs as its dialect's text (its placeholders).
 */
import type { Sql } from 'sql-template-tag'
import { DatabaseTimeout } from '../domain/errors.js'
import { isTransientConflict } from './errors.js'

/** Dates from raw queries: a Date, or (SQLite computed values) text or epoch milliseconds. */
export function dateOf (value: Date | string | number | null): Date | null {
  return value === null || value instanceof Date ? value : new Date(value)
}

/** Runs statements: on the client itself, or inside a transaction. */
export interface Executor {
  /** Rows a statement answers (SELECT, or a write with RETURNING). */
  query<T>(statement: Sql): Promise<T[]>
  /** How many rows a statement changed. */
  execute(statement: Sql): Promise<number>
}

/** The client: statements, and transactions of several. */
export interface Database extends Executor {
  /**
   * Runs `fn` in one transaction. A transaction that PostgreSQL aborted as a deadlock victim or a
   * serialization failure did nothing, so it is run again, a few times at most, after a short
   * random pause; any other error is thrown at once. The tries share one deadline.
   */
  transaction<R>(fn: (tx: Executor) => Promise<R>): Promise<R>
}

/** How many times a transaction is tried when PostgreSQL aborts it as a deadlock or serialization failure. */
const TRANSACTION_ATTEMPTS = 4

/** The work a DatabaseTimeout gave up waiting for, by error. */
const lateWork = new WeakMap<object, PromiseLike<unknown>>()

/**
 * The outcome of the work `err` (a DatabaseTimeout of `bounded`) gave up waiting for: what it
 * answers when the database answers after all (a late commit), or undefined for any other error.
 * Its failure is the caller's to catch.
 */
export function lateOutcomeOf (err: unknown): PromiseLike<unknown> | undefined {
  return typeof err === 'object' && err !== null ? lateWork.get(err) : undefined
}

/**
 * `work`, or a DatabaseTimeout once `ms` have passed without an answer. The work itself goes on
 * (nothing can recall a statement already sent); its late outcome stays reachable through
 * `lateOutcomeOf(error)`, so that a change that commits after all is still announced.
 */
export function bounded<T> (work: PromiseLike<T>, ms: number, configured: number = ms): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new DatabaseTimeout(configured)
      lateWork.set(error, work)
      reject(error)
    }, ms)
    work.then((value) => {
      clearTimeout(timer)
      resolve(value)
    }, (err: unknown) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}

/**
 * Runs `attempt` until it succeeds, at most TRANSACTION_ATTEMPTS times when PostgreSQL aborts it as
 * a deadlock victim or a serialization failure (after a short random pause); any other error is
 * thrown at once. The tries share one deadline: each is told the time left and the deadline.
 */
export async function retryTransaction<R> (timeout: number, attempt: (left: number, deadline: number) => Promise<R>): Promise<R> {
  const deadline = Date.now() + timeout
  for (let tries = 1; ; tries++) {
    const left = deadline - Date.now()
    if (left <= 0) throw new DatabaseTimeout(timeout)
    try {
      return await attempt(left, deadline)
    } catch (err) {
      if (tries >= TRANSACTION_ATTEMPTS || !isTransientConflict(err)) throw err
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.random() * 10 * tries, Math.max(0, deadline - Date.now()))))
    }
  }
}

/**
 * One statement outside a transaction, retried like a transaction when the database aborted it
 * as a deadlock victim (a statement that waited for locks, such as an upsert beside a concurrent
 * delete): `send` is asked again with the time left, within one bound.
 */
export function retriedStatement<T> (timeout: number, send: () => PromiseLike<T>): Promise<T> {
  return retryTransaction(timeout, (left) => bounded(send(), left, timeout))
}

/**
 * How long (ms) the outcome of a COMMIT already sent is waited for, at least: far longer than the
 * bound its caller got its 503 at, so that a change that commits after all is known, and announced.
 */
export function commitWait (timeout: number): number {
  return Math.max(60_000, 10 * timeout)
}
