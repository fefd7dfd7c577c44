/**
 * The write path, the one way every change is made: run its transaction (or its one statement),
 * record its rows in the change log, and, once it committed, announce it — the decorator's events
 * to the host's listeners, and a wake-up on the bus for the event streams. A change whose COMMIT
 * outlived the request's wait for the database (the caller got a 503) and committed after all is
 * announced then, once, from what the transaction itself answered; a change that rolled back is
 * never announced.
 */
import type { FastifyBaseLogger } from 'fastify'
import { lateOutcomeOf, type Database, type Executor } from '../db/database.js'
import type { Sql } from '../db/sql.js'
import type { Dialect } from '../dialect/dialect.js'
import type { DirectMessageEvents, EventHub, EventName } from '../domain/events.js'
import type { BusEvent } from '../realtime/bus.js'
import { recordStatement, type ChangeRow } from './change-log.js'

/** One event of the decorator: its name and its payloads (in order). */
export type Emission = { [E in EventName]: { event: E, payloads: ReadonlyArray<DirectMessageEvents[E]> } }[EventName]

/** What a write did: its result, its change-log rows, and what to announce once it committed. */
export interface Written<R> {
  result: R
  /** Rows of the change log, recorded in the write's transaction before it commits. */
  changes?: readonly ChangeRow[]
  /** The decorator's events, emitted after commit (before the wake-ups). */
  emit?: readonly Emission[]
  /** Wake-ups for the event streams of every instance, published after commit. */
  publish?: readonly BusEvent[]
}

export class Writes {
  readonly #db: Database
  readonly #dialect: Dialect
  readonly #events: EventHub
  readonly #publish: (event: BusEvent) => void
  readonly #log: FastifyBaseLogger

  /** @param publish sends an event to the streams of every instance */
  constructor (db: Database, dialect: Dialect, events: EventHub, publish: (event: BusEvent) => void, log: FastifyBaseLogger) {
    this.#db = db
    this.#dialect = dialect
    this.#events = events
    this.#publish = publish
    this.#log = log
  }

  /** Whether anything listens to `event` (a write may then skip building its payloads). */
  listens (event: EventName): boolean {
    return this.#events.listens(event)
  }

  /**
   * Runs `work` in one transaction (see Database.transaction), records the change-log rows it
   * answers before the transaction commits, and announces what it answers once it committed.
   */
  async transaction<R>(work: (tx: Executor) => Promise<Written<R>>): Promise<R> {
    return await this.#commit(() => this.#db.transaction(async (tx) => {
      const written = await work(tx)
      if (written.changes !== undefined && written.changes.length > 0) {
        await tx.execute(recordStatement(written.changes, this.#dialect.time(new Date())))
      }
      return written
    }), (written) => written)
  }

  /**
   * A write that is one statement, which commits by itself (it records its own change-log rows):
   * `read` makes its rows what the write did.
   */
  async statement<T, R>(statement: Sql, read: (rows: T[]) => Written<R>): Promise<R> {
    return await this.#commit(() => this.#db.query<T>(statement), read)
  }

  /**
   * Runs `work`; `complete` says what it did. When the wait for the database runs out but the
   * write commits after all, it is announced then (once, late) and the caller still gets the timeout.
   */
  async #commit<T, R>(work: () => Promise<T>, complete: (value: T) => Written<R>): Promise<R> {
    let value: T
    try {
      value = await work()
    } catch (err) {
      const late = lateOutcomeOf(err)
      if (late !== undefined) {
        Promise.resolve(late).then((outcome) => { this.#announce(complete(outcome as T)) }, () => { /* rolled back: nothing to announce */ })
          .catch((error: unknown) => { this.#log.warn({ err: error }, 'directMessages: announcing a change that committed after its request gave up failed') })
      }
      throw err
    }
    const written = complete(value)
    this.#announce(written)
    return written.result
  }

  #announce (written: Written<unknown>): void {
    // (TypeScript cannot pair each event's name with its payloads' type across the union: each Emission was built paired.)
    for (const { event, payloads } of written.emit ?? []) this.#events.emit(event, payloads as never)
    for (const event of written.publish ?? []) this.#publish(event)
  }
}
