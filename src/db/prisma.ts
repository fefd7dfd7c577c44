/**
 * The host's Prisma client as a Database (db/database.ts): the plugin's own SQL text, with every
 * value a bound parameter, through `$queryRawUnsafe` / `$executeRawUnsafe`, and its interactive
 * transactions.
 */
import type { Sql } from 'sql-template-tag'
import { DatabaseTimeout } from '../domain/errors.js'
import { bounded, commitWait, retriedStatement, retryTransaction, type Database, type Executor } from './database.js'

/**
 * The part of the host's PrismaClient the plugin queries its own tables through: parameterised
 * statements (the plugin's own SQL text, with every value a bound parameter).
 */
export interface RawSqlClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>
}

/**
 * The host's PrismaClient, as the plugin sees it: raw parameterised queries, interactive
 * transactions, and (looked up by name, see `userModel`) the host's user model delegate.
 */
export interface PrismaClientLike extends RawSqlClient {
  $transaction<R>(fn: (tx: RawSqlClient) => Promise<R>, options?: { maxWait?: number, timeout?: number }): Promise<R>
}

/** A statement's text with the database's placeholders (the dialect's). */
export type StatementText = (statement: Sql) => string

/** How the database's statements and transactions are written (parts of its Dialect). */
export interface PrismaForms {
  text: StatementText
  /** The isolation transactions ask for, where the database's default is another. */
  isolation?: 'ReadCommitted'
}

function executorOf (client: RawSqlClient, textOf: StatementText, bound: <T>(work: PromiseLike<T>) => Promise<T>): Executor {
  return {
    query: <T>(statement: Sql) => bound(client.$queryRawUnsafe<T[]>(textOf(statement), ...statement.values)),
    execute: (statement: Sql) => bound(client.$executeRawUnsafe(textOf(statement), ...statement.values))
  }
}

/**
 * The host's Prisma client as a Database: every query, and every whole transaction, answers
 * within `timeout` ms or fails with DatabaseTimeout. A transaction past its deadline is rolled
 * back at its next statement or before its COMMIT, as on the driver; Prisma's own transaction
 * timeout is longer (commitWait), so that it never cancels a COMMIT already sent.
 */
export function prismaDatabase (prisma: PrismaClientLike, forms: PrismaForms, timeout: number): Database {
  const textOf = forms.text
  const isolation = forms.isolation === undefined ? {} : { isolationLevel: forms.isolation }
  // (A statement outside a transaction is a send of its own: retried when it was a deadlock victim.)
  const direct = {
    query: <T>(statement: Sql) => retriedStatement(timeout, () => prisma.$queryRawUnsafe<T[]>(textOf(statement), ...statement.values)),
    execute: (statement: Sql) => retriedStatement(timeout, () => prisma.$executeRawUnsafe(textOf(statement), ...statement.values))
  }
  return {
    ...direct,
    transaction: <R>(fn: (tx: Executor) => Promise<R>) => retryTransaction(timeout, (left, deadline) => {
      const live = (): void => { if (Date.now() >= deadline) throw new DatabaseTimeout(timeout) }
      // Prisma's statements run when awaited: the deadline is checked before each is sent.
      const checked = async <T>(statement: PromiseLike<T>): Promise<T> => { live(); return await statement }
      // (`isolationLevel` is taken by every client; the type above leaves it out so that any client fits it.)
      const options = { maxWait: left, timeout: left + commitWait(timeout), ...isolation }
      const work = prisma.$transaction(async (tx) => {
        const result = await fn(executorOf(tx, textOf, checked))
        live()
        return result
      }, options)
      return bounded(work, left, timeout)
    })
  }
}
