/**
 * The start-up self-check: before the application serves, make sure the host's database has the
 * plugin's tables and columns with user ids of the configured type, and that the user model and
 * fields the options name exist. A mismatch fails `ready()` with a message naming what is missing
 * and the command that fixes it, instead of a 500 at the first request.
 */
import { DatabaseTimeout, SchemaMismatch } from './domain/errors.js'
import type { ResolvedOptions } from './options.js'
import { isDatabaseUnavailable } from './db/errors.js'
import { EXACT_COLUMNS, TABLE_COLUMNS, USER_ID_COLUMNS } from './schema/tables.js'
import { dialectOf } from './dialect/index.js'
import type { Context } from './core/context.js'
import { userModelFields } from './db/users.js'
import type { UserId } from './domain/types.js'

const SCHEMA_FIX = 'run "npx fastify-directmessages schema", then create and apply a migration ("npx prisma migrate dev")'

/** Whether a column's declared type holds the ids of `userIdType`. */
function holdsUserIds (type: string, userIdType: ResolvedOptions['userIdType']): boolean {
  return userIdType === 'integer' ? /int/.test(type) : /text|char|uuid|clob/.test(type)
}

function lastLine (err: unknown): string {
  const lines = String((err as { message?: unknown } | null)?.message ?? err).split('\n').map((line) => line.trim()).filter((line) => line !== '')
  return (lines[lines.length - 1] ?? 'no message').slice(0, 200)
}

function isValidationError (err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'PrismaClientValidationError'
}

/**
 * Checks the database and the user model. Throws `SchemaMismatch` naming the first problem found;
 * a database that cannot be reached right now is only logged (requests answer 503 until it is back).
 */
export async function checkSchema (ctx: Context): Promise<void> {
  const { options } = ctx
  try {
    if (options.driver !== null) await checkDriver(ctx)
    await checkTables(ctx)
    await checkTextColumns(ctx)
    // The table first: a column the model maps but the database lacks fails the model's probe with a database error.
    await checkUserTable(ctx)
    await checkUserModel(ctx)
  } catch (err) {
    if (err instanceof SchemaMismatch || !unreachable(err)) throw err
    ctx.log.warn({ err }, 'directMessages: the database could not be reached to check its tables at start-up')
  }
}

/**
 * The columns of the plugin's tables that exist in the database, with their declared types
 * (lower case), by table: one catalog query, in the database's dialect.
 */
async function tableColumns (ctx: Context): Promise<Map<string, Map<string, string>>> {
  const rows = await ctx.db.query<{ table_name: string, column_name: string, data_type: string }>(ctx.dialect.catalog.tables)
  const tables = new Map<string, Map<string, string>>()
  for (const row of rows) {
    let columns = tables.get(row.table_name)
    if (columns === undefined) tables.set(row.table_name, columns = new Map())
    columns.set(row.column_name, String(row.data_type).toLowerCase())
  }
  return tables
}

/** The database is down or did not answer in time: nothing to conclude about its tables. */
function unreachable (err: unknown): boolean {
  return err instanceof DatabaseTimeout || isDatabaseUnavailable(err)
}

async function checkTables (ctx: Context): Promise<void> {
  const { options } = ctx
  let tables
  try {
    tables = await tableColumns(ctx)
  } catch (err) {
    if (unreachable(err)) throw err
    // The catalog query is in the provider's dialect: another database does not understand it.
    const said = options.providerSource === 'client' ? 'read from the client' : 'given as an option'
    throw new SchemaMismatch(`the database does not answer as ${dialectOf(options.provider).label} (the provider ${said}): ` +
      `set the option "provider" to the database your Prisma client uses (the catalog query failed: ${lastLine(err)})`)
  }
  const missingTables = Object.keys(TABLE_COLUMNS).filter((table) => !tables.has(table))
  if (missingTables.length > 0) {
    throw new SchemaMismatch(`the database has no table ${missingTables.join(', ')}: ${SCHEMA_FIX}`)
  }
  const missingColumns = Object.entries(TABLE_COLUMNS).flatMap(([table, columns]) =>
    columns.filter((column) => tables.get(table)?.has(column) !== true).map((column) => `${table}.${column}`))
  if (missingColumns.length > 0) {
    throw new SchemaMismatch(`the database lacks the column${missingColumns.length > 1 ? 's' : ''} ${missingColumns.join(', ')} (the models are out of date): ${SCHEMA_FIX}`)
  }
  for (const [table, columns] of Object.entries(USER_ID_COLUMNS)) {
    for (const column of columns) {
      const type = tables.get(table)?.get(column) ?? ''
      if (!holdsUserIds(type, options.userIdType)) {
        throw new SchemaMismatch(`${table}.${column} is of type ${type} but the option "userIdType" is "${options.userIdType}": ` +
          `set userIdType to "${options.userIdType === 'integer' ? 'string' : 'integer'}" if that is the type of your user ids, otherwise ${SCHEMA_FIX}`)
      }
    }
  }
}

/** The columns compared by their bytes (Column.exact), as `table.column`. */
const EXACT = new Set(EXACT_COLUMNS.map(({ table, column }) => `${table}.${column}`))

/**
 * Where text columns have a character set of their own (MySQL): every one holds any character
 * (utf8mb4: emojis are 4 bytes), and idempotency keys and emojis compare by their bytes (a `_bin`
 * collation: the others hold different emojis, or keys differing in case, equal).
 */
async function checkTextColumns (ctx: Context): Promise<void> {
  const query = ctx.dialect.catalog.text
  if (query === undefined) return
  const rows = await ctx.db.query<{ table_name: string, column_name: string, charset: string, collation: string }>(query)
  const narrow = rows.filter((row) => String(row.charset).toLowerCase() !== 'utf8mb4')
  if (narrow.length > 0) {
    const named = narrow.map((row) => `${row.table_name}.${row.column_name} (${row.charset})`).join(', ')
    throw new SchemaMismatch(`the column${narrow.length > 1 ? 's' : ''} ${named} cannot store every character (4-byte ones such as emojis need utf8mb4): ` +
      `convert the table${narrow.length > 1 ? 's' : ''} (ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci), or create the database with DEFAULT CHARACTER SET utf8mb4 before migrating`)
  }
  const folding = rows.filter((row) => EXACT.has(`${row.table_name}.${row.column_name}`) && !/_bin$/i.test(String(row.collation)))
  if (folding.length > 0) {
    const named = folding.map((row) => `${row.table_name}.${row.column_name} (${row.collation})`).join(', ')
    throw new SchemaMismatch(`the column${folding.length > 1 ? 's' : ''} ${named} compare${folding.length > 1 ? '' : 's'} text by a collation that holds different emojis or keys equal: ` +
      'run "npx fastify-directmessages guards" on the migration that created the plugin\'s tables (it gives them utf8mb4_bin), and apply it')
  }
}

/**
 * The `driver` reaches the database the Prisma client reaches: the database's name and server,
 * or its file, asked through both.
 */
async function checkDriver (ctx: Context): Promise<void> {
  let identities
  try {
    const [plugin] = await ctx.db.query<{ identity: string }>(ctx.dialect.catalog.identity)
    const [client] = await ctx.viaPrisma.query<{ identity: string }>(ctx.dialect.catalog.identity)
    identities = { plugin: String(plugin?.identity), prisma: String(client?.identity) }
  } catch (err) {
    if (unreachable(err)) throw err
    throw new SchemaMismatch(`option "driver": its database does not answer the plugin's statements (${lastLine(err)})`)
  }
  if (identities.plugin !== identities.prisma) {
    throw new SchemaMismatch(`option "driver" reaches another database (${identities.plugin}) than the Prisma client (${identities.prisma}); pass the driver its adapter uses`)
  }
}

/**
 * The user table and columns that list statements read partners' names from (the client's data
 * model, see db/users.ts) are the database's.
 */
async function checkUserTable (ctx: Context): Promise<void> {
  const { options } = ctx
  const table = ctx.users.table
  if (table === null) return
  const rows = await ctx.db.query<{ column_name: string }>(ctx.dialect.catalog.columns(table.name))
  const columns = new Set(rows.map((row) => row.column_name))
  if (columns.size === 0) {
    throw new SchemaMismatch(`the table "${table.name}" of the Prisma model "${options.userModel}" is not in the database; ${SCHEMA_FIX}`)
  }
  for (const [key, column] of Object.entries(table.columns)) {
    if (column !== null && !columns.has(column)) {
      throw new SchemaMismatch(`the column "${column}" of the table "${table.name}" (field "${String((options.userFields as Record<string, string | null>)[key])}" of the Prisma model "${options.userModel}") is not in the database; ${SCHEMA_FIX}`)
    }
  }
}

async function checkUserModel (ctx: Context): Promise<void> {
  const { options } = ctx
  const { userModel, userFields, userIdType } = options
  const fields = Object.entries(userFields).filter((entry): entry is [string, string] => entry[1] !== null)
  const probe = userIdType === 'integer' ? 1 : 'x'
  const otherProbe = userIdType === 'integer' ? 'x' : 1
  const selectOf = (names: string[]): Record<string, true> => Object.fromEntries(names.map((name) => [name, true]))
  /** Whether the model takes `select` of `names` with ids of the probe's type (false: Prisma refused it). */
  const takes = async (names: string[], value: UserId): Promise<boolean> => {
    try {
      await ctx.users.probeModel(selectOf(names), value)
      return true
    } catch (err) {
      if (!isValidationError(err)) throw err
      return false
    }
  }
  if (await takes(fields.map(([, name]) => name), probe)) return
  // Something is wrong: name every wrong entry at once, and the fields the model has.
  const known = userModelFields(options.prisma, userModel)
  let missing: Array<[key: string, name: string]>
  if (known !== null) {
    missing = fields.filter(([, name]) => !known.includes(name))
  } else {
    // No data model to read: ask the model one field at a time (the id first: the others are asked by it).
    missing = []
    const [[idKey, idName], ...names] = fields as [[string, string], ...Array<[string, string]>]
    const value = await takes([idName], probe) ? probe : await takes([idName], otherProbe) ? otherProbe : null
    if (value === null) missing.push([idKey, idName])
    else for (const [key, name] of names) if (!(await takes([name], value))) missing.push([key, name])
  }
  if (missing.length > 0) {
    const has = known === null ? '' : `; its fields are ${known.join(', ')}`
    const advice = missing.some(([key]) => key === 'id') ? 'name the field holding its id' : 'name one of them, or null for none'
    if (missing.length === 1) {
      const [[key, name]] = missing as [[string, string]]
      throw new SchemaMismatch(`option "userFields.${key}": the Prisma model "${userModel}" has no field "${name}"${has}: ${advice}`)
    }
    const list = missing.map(([key, name]) => `"${name}" (userFields.${key})`)
    throw new SchemaMismatch(`option "userFields": the Prisma model "${userModel}" has no field ${list.slice(0, -1).join(', ')} nor ${list[list.length - 1] as string}${has}: ${advice}`)
  }
  if (await takes([fields[0]?.[1] as string], otherProbe)) {
    throw new SchemaMismatch(`the id of the Prisma model "${userModel}" is ${userIdType === 'integer' ? 'not an integer' : 'an integer'} ` +
      `but the option "userIdType" is "${userIdType}": set userIdType to "${userIdType === 'integer' ? 'string' : 'integer'}"`)
  }
  // Each field is the model's, of the right type; Prisma still refused them together.
  throw new SchemaMismatch(`the Prisma model "${userModel}" refuses the fields of the option "userFields" (${fields.map(([, name]) => name).join(', ')})`)
}
