/**
 * The host's user table as SQL: its table and column names, so that list statements read the
 * partners' names in the same statement (a join) instead of a second query through the model.
 *
 * The names come from the Prisma client's own data model (the `@@map` and `@map` of the host's
 * schema, which the client carries at run time): the host already declared them once, and a
 * second declaration in an option could only drift from the first. They are checked against the
 * database's catalog at start-up (`checkUserTable`) and always written as quoted identifiers;
 * nothing a request carries ever reaches them. A client without that data model keeps the model
 * query (`findMany`), which is correct, only one statement more.
 */
import { raw, type Sql } from 'sql-template-tag'
import type { Dialect } from '../dialect/dialect.js'
import type { PrismaClientLike } from './prisma.js'

/** The user table's names, as quoted identifiers ready for a statement. */
export interface UserTable {
  /** The table's name as the database has it (for the catalog check). */
  readonly name: string
  /** Column names as the database has them, by the field of `userFields` (null: no such field). */
  readonly columns: { readonly id: string, readonly username: string | null, readonly firstName: string | null, readonly lastName: string | null }
  /** `<table> u`. */
  readonly from: Sql
  /** `u.<id>`. */
  readonly id: Sql
  /** `u.<username> AS partner_username, ...` (NULL for a field the host has not). */
  readonly columnsAs: Sql
  /**
   * `statement` (rows with a user id in `column`, in `order`) with each row's partner columns
   * (in the way of the dialect, see Dialect.withPartners).
   */
  withPartners(statement: Sql, column: string, order: Sql): Sql
}

interface RuntimeField { name: string, kind: string, dbName?: string | null }
interface RuntimeModel { dbName?: string | null, fields: RuntimeField[] }

/** The model of the delegate `userModel` (e.g. `user` for `User`) in the client's data model, if it carries one. */
function runtimeModelOf (prisma: PrismaClientLike, userModel: string): [name: string, model: RuntimeModel] | undefined {
  const models = (prisma as { _runtimeDataModel?: { models?: Record<string, RuntimeModel> } })._runtimeDataModel?.models
  if (models === undefined || models === null || typeof models !== 'object') return undefined
  return Object.entries(models).find(([name]) => name.charAt(0).toLowerCase() + name.slice(1) === userModel)
}

/** The scalar fields of the user model, from the client's data model; null when it carries none. */
export function userModelFields (prisma: PrismaClientLike, userModel: string): string[] | null {
  const model = runtimeModelOf(prisma, userModel)?.[1]
  if (model === undefined || !Array.isArray(model.fields)) return null
  return model.fields.filter((field) => field.kind === 'scalar').map((field) => field.name)
}

/**
 * The user table of the client's data model for the delegate `userModel` (e.g. `user` for the
 * model `User`), or null when the client carries no data model or the fields are not all scalar
 * fields of it (the start-up check then names what is wrong, through the model).
 */
export function userTableOf (prisma: PrismaClientLike, dialect: Dialect, userModel: string, fields: { id: string, username: string | null, firstName: string | null, lastName: string | null }): UserTable | null {
  const entry = runtimeModelOf(prisma, userModel)
  if (entry === undefined) return null
  const [modelName, model] = entry
  const column = (field: string | null): string | null | undefined => {
    if (field === null) return null
    const found = model.fields.find((f) => f.name === field && f.kind === 'scalar')
    return found === undefined ? undefined : (found.dbName ?? found.name)
  }
  const columns = { id: column(fields.id), username: column(fields.username), firstName: column(fields.firstName), lastName: column(fields.lastName) }
  if (columns.id === null || columns.id === undefined || columns.username === undefined || columns.firstName === undefined || columns.lastName === undefined) return null
  const name = model.dbName ?? modelName
  const quoted = dialect.quote
  const as = (col: string | null, alias: string): string => `${col === null ? 'NULL' : `u.${quoted(col)}`} AS ${alias}`
  const columnsAs = raw([as(columns.username, 'partner_username'), as(columns.firstName, 'partner_first_name'), as(columns.lastName, 'partner_last_name')].join(', '))
  const from = raw(`${quoted(name)} u`)
  const id = raw(`u.${quoted(columns.id)}`)
  const names = raw('u.partner_username, u.partner_first_name, u.partner_last_name')
  return {
    name,
    columns: { id: columns.id, username: columns.username, firstName: columns.firstName, lastName: columns.lastName },
    from,
    id,
    columnsAs,
    withPartners: (statement, column, order) => dialect.withPartners(statement, { from, id, columns: columnsAs, names }, column, order)
  }
}
