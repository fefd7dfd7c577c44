#!/usr/bin/env node
/**
 * The `fastify-directmessages` command: `schema` writes the plugin's models into the host's
 * Prisma schema, `guards` adds the database guards to the migration Prisma wrote for them.
 * Errors print one line on stderr and exit with status 2; `schema --check` exits with 1 when the
 * schema is not up to date.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CliError } from './files.js'
import { guardsCommand } from './guards.js'
import { schemaCommand } from './schema.js'
import { PROVIDERS } from '../dialect/index.js'

/** The one-line usage, printed with usage errors. */
export const USAGE = 'usage: fastify-directmessages schema [--schema <file or folder>] [--user-model <Model>] [--check] | fastify-directmessages guards <migration.sql> [--schema <file or folder>]'

/** What `--help` prints. */
export const HELP = `Usage:
  fastify-directmessages schema [--schema <file or folder>] [--user-model <Model>] [--check]
      Writes the plugin's models, adapted to the schema's provider (${PROVIDERS.join(', ')}) and to the
      user model's id (Int or String), into the Prisma schema (between marker comments at its end,
      or into directmessages.prisma for a multi-file schema), and their back-relation fields into
      the user model (default User). Running it again changes nothing; after an upgrade of the
      package it rewrites what lies between its markers. The schema is found as Prisma finds it
      (--schema, prisma.config.ts, package.json "prisma.schema", schema.prisma,
      prisma/schema.prisma, prisma/schema/) and validated with the project's Prisma CLI.
      --check writes nothing: exits 0 when up to date, 1 when something is missing or out of date.

  fastify-directmessages guards <migration.sql> [--schema <file or folder>]
      Adds the database guards Prisma cannot model (CHECK constraints: no message to oneself,
      a consistent conversation key, no conversation with oneself, no negative unread count,
      no self-block) to the migration \`prisma migrate dev --create-only\` wrote for the models.
      Running it again changes nothing.

Then: npx prisma migrate dev --create-only --name direct_messages
      npx fastify-directmessages guards prisma/migrations/<timestamp>_direct_messages/migration.sql
      npx prisma migrate dev`

/** The parsed command line. */
export type Command =
  | { command: 'help' }
  | { command: 'schema', schema?: string, userModel?: string, check: boolean }
  | { command: 'guards', file: string, schema?: string }

/**
 * Parses the arguments (without `node` and the script).
 *
 * @throws {CliError} on an unknown command or flag, or a missing argument
 */
export function parseArgs (args: readonly string[]): Command {
  if (args.includes('--help') || args.includes('-h') || args[0] === 'help') return { command: 'help' }
  const [command, ...rest] = args
  if (command === undefined) throw new CliError(`missing command; ${USAGE}`)
  if (command !== 'schema' && command !== 'guards') throw new CliError(`unknown command "${command}"; ${USAGE}`)
  const flags: Record<string, string | true> = {}
  const positional: string[] = []
  const valued = new Set(command === 'schema' ? ['--schema', '--user-model'] : ['--schema'])
  const booleans = new Set(command === 'schema' ? ['--check'] : [])
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg : arg.slice(0, eq)
    if (booleans.has(name) && eq === -1) {
      flags[name] = true
    } else if (valued.has(name)) {
      const value = eq === -1 ? rest[++i] : arg.slice(eq + 1)
      if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) throw new CliError(`${name} needs a value; ${USAGE}`)
      flags[name] = value
    } else {
      throw new CliError(`unknown option "${arg}" for ${command}; ${USAGE}`)
    }
  }
  const schema = typeof flags['--schema'] === 'string' ? flags['--schema'] : undefined
  if (command === 'schema') {
    if (positional.length > 0) throw new CliError(`unexpected argument "${positional[0] as string}"; ${USAGE}`)
    const userModel = typeof flags['--user-model'] === 'string' ? flags['--user-model'] : undefined
    return { command, ...(schema === undefined ? {} : { schema }), ...(userModel === undefined ? {} : { userModel }), check: flags['--check'] === true }
  }
  if (positional.length === 0) throw new CliError(`guards needs the migration.sql to guard; ${USAGE}`)
  if (positional.length > 1) throw new CliError(`unexpected argument "${positional[1] as string}"; ${USAGE}`)
  return { command, file: positional[0] as string, ...(schema === undefined ? {} : { schema }) }
}

/**
 * Runs the command line in `cwd`, printing through `out` (stdout) and `err` (stderr).
 *
 * @returns the exit status: 0 on success, 1 when `schema --check` finds the schema out of date,
 *   2 on every error
 */
export function main (args: readonly string[], cwd: string, out: (line: string) => void, err: (line: string) => void): number {
  try {
    const parsed = parseArgs(args)
    if (parsed.command === 'help') {
      out(HELP)
      return 0
    }
    const lines = parsed.command === 'schema'
      ? schemaCommand({ cwd, ...(parsed.schema === undefined ? {} : { schema: parsed.schema }), ...(parsed.userModel === undefined ? {} : { userModel: parsed.userModel }), check: parsed.check })
      : guardsCommand({ cwd, file: parsed.file, ...(parsed.schema === undefined ? {} : { schema: parsed.schema }) })
    for (const line of lines) out(line)
    return 0
  } catch (error) {
    if (error instanceof CliError) {
      err(`fastify-directmessages: ${error.message.replace(/\s*\n\s*/g, ' ')}`)
      return error.status
    }
    const message = error instanceof Error ? error.message : String(error)
    err(`fastify-directmessages: unexpected error: ${message.replace(/\s*\n\s*/g, ' ')}; please report it`)
    return 2
  }
}

/** Whether this module is the program node runs (also through npm's bin symlink). */
function isMain (): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)
  } catch {
    return false
  }
}

if (isMain()) {
  process.exitCode = main(process.argv.slice(2), process.cwd(), (line) => console.log(line), (line) => console.error(line))
}
