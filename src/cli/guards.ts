/**
 * `fastify-directmessages guards <migration.sql>`: adds the CHECK constraints Prisma cannot model
 * to the migration `prisma migrate dev --create-only` wrote for the plugin's models, in the form
 * the database needs (see Dialect.checks) — appended `ALTER TABLE ... ADD CONSTRAINT` statements,
 * or `CONSTRAINT` lines inside the `CREATE TABLE` statements for a database that cannot add a
 * CHECK to an existing table. Constraints already there are left alone, so running it again
 * changes nothing.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import {
  assertWritable, CliError, datasourceOf, display, findSchema, onDisk, readSchema, readSchemaFile, supportedProvider,
  unsupportedProvider, writeAtomic
} from './files.js'
import { dialectOf, type Dialect, type Provider } from '../dialect/index.js'
import { EXACT_COLUMNS } from '../schema/tables.js'

/** The tables that carry guards. */
export const GUARDED_TABLES = ['dm_message', 'dm_conversation', 'dm_block'] as const

/** A table the command reads: one with guards, or with a column compared by its bytes. */
type GuardedTable = typeof GUARDED_TABLES[number] | 'dm_reaction'

/** One guard: its constraint name, its table and its CHECK expression. */
export interface Guard {
  /** The constraint's name. */
  name: string
  /** The table it belongs to. */
  table: GuardedTable
  /** The CHECK expression, parenthesised. */
  check: string
}

/**
 * The guards for a database and kind of user id column:
 * no message to oneself, a conversation key consistent with the participants, no conversation with
 * oneself, no negative unread count, no self-block.
 *
 * @param byBytes - text user ids on a database that must be told to compare them by their bytes,
 *   as the plugin orders them (Dialect.checks.byBytes)
 */
export function guardsFor (dialect: Dialect, byBytes: boolean, column: (name: string) => string = dialect.quote): Guard[] {
  const { least, greatest } = dialect.checks
  const bytes = dialect.checks.byBytes
  const c = column
  const id = (name: string): string => byBytes && bytes !== undefined ? bytes(c(name)) : c(name)
  return [
    { name: 'dm_message_not_to_self', table: 'dm_message', check: `(${c('sender_id')} <> ${c('recipient_id')})` },
    {
      name: 'dm_message_pair',
      table: 'dm_message',
      check: `(${c('user_low_id')} = ${least}(${id('sender_id')}, ${id('recipient_id')}) AND ${c('user_high_id')} = ${greatest}(${id('sender_id')}, ${id('recipient_id')}))`
    },
    { name: 'dm_conversation_not_with_self', table: 'dm_conversation', check: `(${c('owner_id')} <> ${c('partner_id')})` },
    { name: 'dm_conversation_unread_not_negative', table: 'dm_conversation', check: `(${c('unread_count')} >= 0)` },
    { name: 'dm_block_not_self', table: 'dm_block', check: `(${c('blocker_id')} <> ${c('blocked_id')})` }
  ]
}

/** How the output names the byte-wise collation given to the exact columns. */
const BYTEWISE = 'byte-wise idempotency keys and emojis'

/** A `CREATE TABLE` statement of a guarded table in the migration. */
interface Statement {
  /** The table, without the `new_` prefix of SQLite's table redefinitions. */
  table: GuardedTable
  /** Whether it is SQLite's redefinition form (`CREATE TABLE "new_dm_message"`). */
  redefinition: boolean
  /** `"schema".` when the table name is qualified, else ''. */
  qualifier: string
  /** The index of its first line (`CREATE TABLE ... (`). */
  start: number
  /** The index of its closing `);` line. */
  end: number
}

function statementsOf (lines: readonly string[]): Statement[] {
  const statements: Statement[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*CREATE TABLE\s+((?:[`"][^`"]+[`"]\.)?)[`"](new_)?(dm_message|dm_conversation|dm_block|dm_reaction)[`"]\s*\(\s*$/.exec(lines[i] as string)
    if (open === null) continue
    let end = i + 1
    // `);`, or MySQL's `) DEFAULT CHARACTER SET ... ;`
    while (end < lines.length && !/^\s*\)[^,(]*;?\s*$/.test(lines[end] as string)) end++
    if (end === lines.length) continue
    statements.push({ table: open[3] as GuardedTable, redefinition: open[2] !== undefined, qualifier: open[1] as string, start: i, end })
    i = end
  }
  return statements
}

function lockProvider (migration: string): string | undefined {
  const lock = join(dirname(dirname(migration)), 'migration_lock.toml')
  if (!existsSync(lock)) return undefined
  return /^\s*provider\s*=\s*"([^"]+)"/m.exec(readFileSync(lock, 'utf8'))?.[1]
}

/** The options of the `guards` command. */
export interface GuardsOptions {
  /** The folder the command runs in (the host project). */
  cwd: string
  /** The migration.sql (or the migration's folder). */
  file: string
  /** `--schema`, to find the provider when the migration has no migration_lock.toml beside it. */
  schema?: string
}

/**
 * Runs the `guards` command.
 *
 * @returns the lines to print on stdout
 * @throws {CliError} for every error (nothing written)
 */
export function guardsCommand (options: GuardsOptions): string[] {
  const { cwd } = options
  let path = resolve(cwd, options.file)
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'migration.sql')
  const shown = display(path, cwd)
  if (!existsSync(path)) {
    throw new CliError(`${shown} does not exist; pass the migration.sql that \`npx prisma migrate dev --create-only\` wrote, e.g. prisma/migrations/<timestamp>_direct_messages/migration.sql`)
  }
  const file = readSchemaFile(path)

  let provider: Provider | undefined
  const locked = lockProvider(path)
  if (locked !== undefined) {
    provider = supportedProvider(locked)
    if (provider === undefined) throw unsupportedProvider(locked, display(join(dirname(dirname(path)), 'migration_lock.toml'), cwd))
  } else {
    let datasource
    try {
      datasource = datasourceOf(readSchema(findSchema(cwd, options.schema), cwd))
    } catch (error) {
      if (!(error instanceof CliError)) throw error
      throw new CliError(`cannot tell the database provider of ${shown}: no migration_lock.toml beside its folder, and ${error.message}`)
    }
    if (datasource === undefined) throw new CliError(`cannot tell the database provider of ${shown}: no migration_lock.toml beside its folder, and the schema has no datasource provider; pass --schema <file or folder>`)
    provider = supportedProvider(datasource.provider)
    if (provider === undefined) throw unsupportedProvider(datasource.provider, display(datasource.file, cwd))
  }

  const lines = file.text.split('\n')
  const statements = statementsOf(lines)
  const created = new Set<string>(statements.filter((statement) => !statement.redefinition).map((statement) => statement.table))
  const redefined = statements.some((statement) => statement.redefinition)
  const missing = GUARDED_TABLES.filter((table) => !created.has(table))
  const dialect = dialectOf(provider)
  const inline = dialect.checks.placement === 'inline'
  if (statements.length === 0 || (missing.length > 0 && (!inline || !redefined))) {
    const which = statements.length === 0 ? 'does not create the plugin\'s tables' : `does not create ${missing.map((table) => `"${table}"`).join(', ')}`
    throw new CliError(`${shown} ${which} (CREATE TABLE "dm_message", "dm_conversation", "dm_block"${inline ? `, or ${dialect.label}'s "new_dm_..." redefinitions` : ''}): it is not a create-only migration of the plugin's models; pass the migration.sql that \`npx prisma migrate dev --create-only\` wrote after \`npx fastify-directmessages schema\``)
  }

  // Text user ids: compare bytes, where the database must be told. UUID and integer columns need no collation.
  const columnType = (statement: Statement | undefined, column: string): string | undefined => statement === undefined
    ? undefined
    : lines.slice(statement.start + 1, statement.end).map((line) => new RegExp(`^\\s*[\`"]${column}[\`"]\\s+([A-Za-z]+)`).exec(line)?.[1]).find((type) => type !== undefined)
  const message = statements.find((statement) => statement.table === 'dm_message')
  const senderType = (columnType(message, 'sender_id') ?? columnType(statements.find((statement) => statement.table === 'dm_block'), 'blocker_id') ?? 'INTEGER').toUpperCase()
  const stringIds = /^(TEXT|VARCHAR|CHAR|CHARACTER|CITEXT|UUID)$/.test(senderType)
  const collate = dialect.checks.byBytes !== undefined && /^(TEXT|VARCHAR|CHAR|CHARACTER)$/.test(senderType)
  const guards = guardsFor(dialect, collate)

  const added: string[] = []
  let text: string
  if (dialect.checks.placement === 'triggers') {
    const q = dialect.quote
    const guarded = guardsFor(dialect, collate, (name) => `NEW.${q(name)}`)
    const lacking = guarded.filter((guard) => !file.text.includes(q(`${guard.name}_insert`)))
    // The columns compared by their bytes, as Prisma wrote them but for their collation.
    const exact = dialect.checks.exactCollation === undefined
      ? []
      : EXACT_COLUMNS.flatMap(({ table, column }) => {
        const statement = statements.find((candidate) => candidate.table === table)
        const line = statement === undefined ? undefined : lines.slice(statement.start + 1, statement.end).find((candidate) => new RegExp(`^\\s*[\`"]${column}[\`"]\\s`).test(candidate))
        if (line === undefined || /\bCOLLATE\b/i.test(line) || file.text.includes(`MODIFY ${q(column)}`)) return []
        return [`ALTER TABLE ${statement?.qualifier ?? ''}${q(table)} MODIFY ${line.trim().replace(/,$/, '')} COLLATE ${dialect.checks.exactCollation as string};`]
      })
    text = lacking.length === 0 && exact.length === 0
      ? file.text
      : [
          file.text.replace(/\s+$/, ''),
          '',
          '',
          `-- Guards added by \`npx fastify-directmessages guards\`: checks the database keeps whatever writes the rows (Prisma does not model them; ${dialect.label} refuses a CHECK on a column a foreign key's ON DELETE writes, so they are triggers).`,
          ...(collate ? [`-- User ids are ordered by their bytes (${dialect.checks.exactCollation ?? 'COLLATE'}), as the plugin orders them.`] : []),
          ...lacking.flatMap((guard) => {
            const qualifier = statements.find((statement) => statement.table === guard.table)?.qualifier ?? ''
            return ['INSERT', 'UPDATE'].map((event) => `CREATE TRIGGER ${q(`${guard.name}_${event.toLowerCase()}`)} BEFORE ${event} ON ${qualifier}${q(guard.table)} FOR EACH ROW ` +
              `IF NOT ${guard.check} THEN SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = '${guard.name}'; END IF;`)
          }),
          ...(exact.length === 0 ? [] : ['-- Keys and emojis compare by their bytes (the default collation holds different ones equal).', ...exact]),
          ''
        ].join('\n')
    added.push(...lacking.map((guard) => guard.name), ...(exact.length > 0 ? [BYTEWISE] : []))
  } else if (!inline) {
    const lacking = guards.filter((guard) => !file.text.includes(`"${guard.name}"`))
    text = lacking.length === 0
      ? file.text
      : [
          file.text.replace(/\s+$/, ''),
          '',
          '',
          '-- Guards added by `npx fastify-directmessages guards`: checks the database keeps whatever writes the rows (Prisma does not model CHECK constraints).',
          ...(collate ? ['-- User ids are ordered by their bytes (COLLATE "C"), as the plugin orders them.'] : []),
          ...lacking.map((guard) => {
            const qualifier = statements.find((statement) => statement.table === guard.table)?.qualifier ?? ''
            return `ALTER TABLE ${qualifier}"${guard.table}" ADD CONSTRAINT "${guard.name}" CHECK ${guard.check};`
          }),
          ''
        ].join('\n')
    added.push(...lacking.map((guard) => guard.name))
  } else {
    for (const statement of [...statements].reverse()) {
      const body = lines.slice(statement.start + 1, statement.end)
      const lacking = guards.filter((guard) => guard.table === statement.table && !body.some((line) => line.includes(`"${guard.name}"`)))
      if (lacking.length === 0) continue
      const checks = [
        '    -- Guards added by `npx fastify-directmessages guards` (Prisma does not model CHECK constraints).',
        ...lacking.map((guard) => `    CONSTRAINT "${guard.name}" CHECK ${guard.check},`)
      ]
      const firstConstraint = body.findIndex((line) => /^\s*CONSTRAINT\s/.test(line))
      if (firstConstraint !== -1) {
        lines.splice(statement.start + 1 + firstConstraint, 0, ...checks)
      } else {
        let last = statement.end - 1
        while (last > statement.start && (lines[last] as string).trim() === '') last--
        lines[last] = `${(lines[last] as string).replace(/,?\s*$/, '')},`
        checks[checks.length - 1] = (checks[checks.length - 1] as string).replace(/,$/, '')
        lines.splice(last + 1, 0, ...checks)
      }
      added.push(...lacking.map((guard) => guard.name))
    }
    text = lines.join('\n')
  }

  const names = [...guards.map((guard) => guard.name), BYTEWISE].filter((name) => added.includes(name))
  const what = `${dialect.label}, ${stringIds ? 'String' : 'Int'} user ids`
  if (added.length === 0) return [`fastify-directmessages: ${shown} already has the guards (${what}); nothing to do.`, 'Next: npx prisma migrate dev']
  assertWritable(path, cwd)
  writeAtomic(path, onDisk(file, text))
  return [`fastify-directmessages: added the guards ${names.join(', ')} to ${shown} (${what}).`, 'Next: npx prisma migrate dev']
}
