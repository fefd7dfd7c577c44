/**
 * The host's users, as the plugin reads them: who exists, and the names a partner object shows.
 * Through the host's user table in the plugin's own statements when the Prisma client says where
 * it is (db/users.ts), otherwise through the client's user model delegate.
 */
import { bounded, type Database } from '../db/database.js'
import type { PrismaClientLike } from '../db/prisma.js'
import { batches, join, sql, type Sql } from '../db/sql.js'
import { userTableOf, type UserTable } from '../db/users.js'
import type { Dialect } from '../dialect/dialect.js'
import type { Partner, UserId } from '../domain/types.js'
import type { ResolvedOptions } from '../options.js'

/** Reads a user id column: a number, or a string with `userIdType: 'string'`. */
export type UserIdOf = (value: unknown) => UserId

/** The partner's names as a statement with Users.withPartners reads them. */
export interface PartnerColumns {
  partner_username?: string | null
  partner_first_name?: string | null
  partner_last_name?: string | null
}

interface UserDelegate {
  findMany(args: { where: Record<string, { in: UserId[] }>, select: Record<string, true> }): PromiseLike<Array<Record<string, unknown>>>
}

/**
 * Most ids in one statement's IN list (see db/sql.ts batches). Only what no page bounds goes
 * over it; it then takes a statement per batch.
 */
export const IN_BATCH = 10_000

function field (user: Record<string, unknown>, name: string | null): string {
  if (name === null) return ''
  const value = user[name]
  return value === null || value === undefined ? '' : String(value)
}

export class Users {
  readonly #db: Database
  readonly #delegate: UserDelegate
  readonly #select: Record<string, true>
  readonly #fields: ResolvedOptions['userFields']
  readonly #uid: UserIdOf
  /**
   * The host's user table, from the client's data model (db/users.ts): lists then read the
   * partners' names in their own statement. Null: through the user model, one query more.
   */
  readonly table: UserTable | null

  constructor (options: ResolvedOptions, db: Database, dialect: Dialect, uid: UserIdOf) {
    const { prisma, databaseTimeout: ms } = options
    this.#db = db
    this.#uid = uid
    const delegate = (prisma as unknown as Record<string, UserDelegate>)[options.userModel] as UserDelegate
    this.#delegate = { findMany: (args) => bounded(delegate.findMany(args), ms) }
    this.#fields = options.userFields
    this.#select = {}
    for (const name of Object.values(options.userFields)) if (name !== null) this.#select[name] = true
    this.table = userTableOf(prisma as PrismaClientLike, dialect, options.userModel, options.userFields)
  }

  /**
   * A list statement with its partners' names (the user id in `column`, see UserTable.withPartners),
   * in `order` (over the statement's rows, aliased `p`); without the user table, the statement as it is.
   */
  withPartners (statement: Sql, column: string, order: Sql): Sql {
    return this.table === null ? statement : this.table.withPartners(statement, column, order)
  }

  /** The partner a row of a statement with withPartners carries, or undefined without the user table. */
  partnerOf (row: PartnerColumns, id: UserId): Partner | undefined {
    if (this.table === null) return undefined
    return { id, username: row.partner_username ?? '', firstName: row.partner_first_name ?? '', lastName: row.partner_last_name ?? '' }
  }

  /** The display fields of the given users, keyed by id; unknown ids are absent. */
  async partners (ids: readonly UserId[]): Promise<Map<UserId, Partner>> {
    const found = new Map<UserId, Partner>()
    if (ids.length === 0) return found
    const table = this.table
    const unique = [...new Set(ids)]
    if (table !== null) {
      for (const batch of batches(unique, IN_BATCH)) {
        const rows = await this.#db.query<PartnerColumns & { id: number | string }>(sql`
          SELECT ${table.id} AS id, ${table.columnsAs} FROM ${table.from} WHERE ${table.id} IN (${join(batch)})`)
        for (const row of rows) found.set(this.#uid(row.id), this.partnerOf(row, this.#uid(row.id)) as Partner)
      }
      return found
    }
    const idField = this.#fields.id
    const users = []
    for (const batch of batches(unique, IN_BATCH)) users.push(...await this.#delegate.findMany({ where: { [idField]: { in: batch } }, select: this.#select }))
    const { username, firstName, lastName } = this.#fields
    for (const user of users) {
      const id = this.#uid(user[idField])
      found.set(id, { id, username: field(user, username), firstName: field(user, firstName), lastName: field(user, lastName) })
    }
    return found
  }

  /** The partners of list entries: as their statement read them, or (without the user table) in one query. */
  async partnersOf (entries: ReadonlyArray<readonly [UserId, Partner | undefined]>): Promise<Map<UserId, Partner>> {
    // (`every` does not narrow the entries: each has its partner once it holds.)
    if (entries.every(([, partner]) => partner !== undefined)) return new Map(entries.map(([id, partner]) => [id, partner as Partner]))
    return await this.partners(entries.map(([id]) => id))
  }

  /** Whether the host has a user with this id. */
  async exists (id: UserId): Promise<boolean> {
    return (await this.existing([id])).has(id)
  }

  /** Which of `ids` (a few) the host has users of: one statement. */
  async existing (ids: readonly UserId[]): Promise<Set<UserId>> {
    const table = this.table
    const unique = [...new Set(ids)]
    if (table !== null) {
      const rows = await this.#db.query<{ id: number | string }>(sql`SELECT ${table.id} AS id FROM ${table.from} WHERE ${table.id} IN (${join(unique)})`)
      return new Set(rows.map((row) => this.#uid(row.id)))
    }
    const idField = this.#fields.id
    const users = await this.#delegate.findMany({ where: { [idField]: { in: unique } }, select: { [idField]: true } })
    return new Set(users.map((user) => this.#uid(user[idField])))
  }

  /**
   * Asks the host's user model for `select` of the users whose id is `probe` (none, usually):
   * Prisma refuses a field the model lacks, or a probe of the wrong type for its id, before it
   * queries anything.
   */
  async probeModel (select: Record<string, true>, probe: UserId): Promise<void> {
    await this.#delegate.findMany({ where: { [this.#fields.id]: { in: [probe] } }, select })
  }
}
