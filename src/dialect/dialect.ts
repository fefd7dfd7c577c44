/**
 * What differs between the databases the plugin runs on, behind one interface: each database is
 * one folder of dialect/ (`index.ts`, the dialect; `driver.ts`, its fast path) implementing it,
 * and nothing outside dialect/ names a database. A statement written once for all of them uses
 * the dialect's pieces (`time`, `forUpdate`...); where one database does a thing its own way, the
 * dialect says so by a capability (an optional member, such as `sendStatement`).
 */
import type { Sql } from 'sql-template-tag'
import type { Database } from '../db/database.js'
import type { Upserts } from '../db/sql.js'
import type { UserId } from '../domain/types.js'

/** The fast path of a database: the host's own driver (option `driver`) as a Database. */
export interface DriverSupport<D = unknown> {
  /** What such a driver is called, for messages: e.g. `pg Pool`. */
  readonly kind: string
  /** What the option wants, for messages: e.g. `pg.Pool`. */
  readonly expected: string
  /** Whether `value` is this database's driver. */
  accepts(value: unknown): value is D
  /** Why `value` is not, when it is a near miss the host should hear about (e.g. a pg Client). */
  nearMiss(value: unknown): string | undefined
  /** Why the driver can no longer be used (e.g. `pg Pool has been ended`); undefined when it can. */
  closed(driver: D): string | undefined
  /** The driver as a Database whose every wait is bounded by `timeout` ms. */
  database(driver: D, timeout: number): Database
}

/** The input of a send, as statements take it. */
export interface SendInput {
  senderId: UserId
  recipientId: UserId
  /** The conversation key: the smaller and the larger participant id. */
  low: UserId
  high: UserId
  content: string
  sentAt: Date
  idempotencyKey: string | null
  replyTo: number | null
}

/** One database, as the plugin's statements need it. */
export interface Dialect extends Upserts {
  /** Prisma's name of the database (`provider` of the datasource). */
  readonly provider: string
  /** Its name for people, in messages. */
  readonly label: string
  /** A statement's text with this database's placeholders. */
  text(statement: Sql): string
  /** A name as a quoted identifier. */
  quote(name: string): string
  /**
   * A text column as a statement answers it where the column compares by its bytes: the Prisma
   * adapter of a database that flags such a column binary would read it as bytes.
   */
  asText(column: Sql): Sql
  /** A time as a statement's value (typed where the database gives a bare parameter no type). */
  time(at: Date): Sql
  /** What a SELECT adds to lock its rows until commit; empty where a write transaction already holds the database. */
  readonly forUpdate: Sql
  /**
   * Capability: `RETURNING` on INSERT, UPDATE and DELETE. Without it, a write reads what it
   * changed in a statement of its own (in its transaction, the rows locked).
   */
  readonly returning: boolean
  /**
   * Whether a correlated subquery whose condition is an OR of two key lookups (either user
   * blocking the other) must be written as two subqueries: MySQL reads the whole index for every
   * outer row otherwise.
   */
  readonly splitOrLookups?: true
  /**
   * After a table in FROM: the index a statement must read it by, where the database's planner
   * would pick a worse one (none needed where it does not).
   */
  forceIndex?(index: string): Sql
  /** Without `returning`: the id the connection's last INSERT drew (read in the same transaction). */
  readonly insertedId?: Sql
  /**
   * The isolation the plugin's transactions ask for where the database's default is another: its
   * writes read what committed before they took their locks (as under READ COMMITTED).
   */
  readonly isolation?: 'ReadCommitted'
  /**
   * Capability: a send as one statement (lock both users, check blocks, insert the message, both
   * conversation rows, the change log; answers one row: see features/messages). Absent: a send is
   * a transaction of several statements.
   */
  readonly sendStatement?: (input: SendInput) => Sql
  /**
   * `statement` (rows with a user id in `column`) with each row's partner names (`columns`: the
   * user table's `AS partner_...` list, read from `from` matching `id`), in `order` over rows aliased `p`.
   */
  withPartners(statement: Sql, users: { from: Sql, id: Sql, columns: Sql, names: Sql }, column: string, order: Sql): Sql
  /**
   * The `limit` most recent conversation partners of each of `owners` (rows `owner_id`,
   * `partner_id`): whom a user's coming and going is told to.
   */
  recentPartners(owners: readonly UserId[], limit: number): Sql
  /** The catalog: what the start-up check asks the database. */
  readonly catalog: {
    /** Rows `table_name`, `column_name`, `data_type` of the plugin's tables. */
    readonly tables: Sql
    /** Rows `column_name` of the table `name` (none when there is no such table). */
    columns(name: string): Sql
    /** One row `identity`: which database this is (its name and server, or its file). */
    readonly identity: Sql
    /**
     * Where a text column has a character set and a collation of its own: rows `table_name`,
     * `column_name`, `charset`, `collation` of the plugin's text columns. The check wants every
     * character (4-byte ones too) storable, and the exact columns (Column.exact) compared by bytes.
     */
    readonly text?: Sql
  }
  /** The fast path (option `driver`). */
  readonly driver: DriverSupport
  /** The Prisma type of an autoincrementing id in the models (schema/prisma.ts). */
  readonly serialType: 'BigInt' | 'Int'
  /** The native type of a text column in the models (schema/prisma.ts), where the database needs one (see Column.length). */
  textType?(length: number | 'long' | undefined): string | undefined
  /** How the `guards` command writes CHECK constraints into a create-only migration (cli/guards.ts). */
  readonly checks: {
    /** The functions answering the smaller and the larger of two values. */
    readonly least: string
    readonly greatest: string
    /** A text expression compared by its bytes (as the plugin orders user ids), where the database does not by default. */
    readonly byBytes?: (expression: string) => string
    /**
     * `alter`: appended `ALTER TABLE ... ADD CONSTRAINT` statements; `inline`: `CONSTRAINT` lines
     * inside each `CREATE TABLE` (a database that cannot add one later: Prisma changes a table
     * there by creating it anew as `new_<table>`); `triggers`: appended triggers that refuse the
     * row (a database that refuses a CHECK on a column a foreign key's ON DELETE action writes).
     */
    readonly placement: 'alter' | 'inline' | 'triggers'
    /**
     * The collation of the text columns compared by their bytes (an idempotency key, an emoji:
     * Column.exact), where the database's default compares otherwise; the `guards` command sets it.
     */
    readonly exactCollation?: string
  }
}
