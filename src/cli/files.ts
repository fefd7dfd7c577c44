/**
 * What the CLI's commands share: their error type, finding the host's Prisma schema as Prisma
 * does, reading its datasource provider, atomic writes, and running the host's own Prisma CLI.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path'
import { listed, PROVIDERS, providerNamed, type Provider } from '../dialect/index.js'

/** A failure the user can act on: the CLI prints its message on one line and exits with `status`. */
export class CliError extends Error {
  /** The exit status (2 for errors, 1 for `schema --check` finding something out of date). */
  readonly status: number

  /** @param message - one line naming the problem and the way out */
  constructor (message: string, status = 2) {
    super(message)
    this.name = 'CliError'
    this.status = status
  }
}

/** A Prisma schema as found: one file, or a folder of `*.prisma` files (a multi-file schema). */
export interface FoundSchema {
  /** The absolute path of the file or folder. */
  path: string
  /** Whether it is a folder (a multi-file schema). */
  folder: boolean
  /** Where it was found, for messages (e.g. `--schema`, `prisma.config.ts`). */
  source: string
}

/** One schema file, read. */
export interface SchemaFile {
  /** Its absolute path. */
  path: string
  /** Its text, with `\n` line ends. */
  text: string
  /** Whether the file on disk uses `\r\n` line ends (kept when it is rewritten). */
  crlf: boolean
}

const CONFIG_FILES = ['prisma.config.ts', 'prisma.config.mts', 'prisma.config.cts', 'prisma.config.js', 'prisma.config.mjs', 'prisma.config.cjs']
const LOOKED_FOR = 'prisma.config.ts, package.json "prisma.schema", schema.prisma, prisma/schema.prisma, prisma/schema/'

/** `path` relative to `cwd` for messages (the absolute path when it lies elsewhere). */
export function display (path: string, cwd: string): string {
  const rel = relative(cwd, path)
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel
}

function kindOf (path: string): 'file' | 'folder' | undefined {
  try {
    const stat = statSync(path)
    return stat.isDirectory() ? 'folder' : stat.isFile() ? 'file' : undefined
  } catch {
    return undefined
  }
}

function found (path: string, source: string, cwd: string): FoundSchema {
  const kind = kindOf(path)
  if (kind === undefined) {
    throw new CliError(`the Prisma schema ${display(path, cwd)} named by ${source} does not exist; fix ${source === '--schema' ? 'the path' : source} or pass --schema <file or folder>`)
  }
  return { path, folder: kind === 'folder', source }
}

/** The `schema:` of a Prisma config file, read as text: a plain string literal, else an error. */
function configSchema (file: string, cwd: string): string | undefined {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|\s)\/\/.*$/gm, '$1')
  if (!/(^|[\s{,])['"]?schema['"]?\s*:/.test(text)) return undefined
  const literal = /(?:^|[\s{,])['"]?schema['"]?\s*:\s*(?:'([^'\\\n]*)'|"([^"\\\n]*)"|`([^`\\$]*)`)\s*(?:[,}\n]|$)/.exec(text)
  if (literal === null) {
    throw new CliError(`${display(file, cwd)} sets "schema" to something other than a plain string, which this command cannot read; pass --schema <file or folder>`)
  }
  return literal[1] ?? literal[2] ?? literal[3]
}

/**
 * The host's Prisma schema, found as the Prisma CLI finds it, relative to `cwd`: `--schema`; else
 * the `schema` of `prisma.config.ts` (or .mts/.cts/.js/.mjs/.cjs); else package.json's
 * `prisma.schema`; else `schema.prisma`, `prisma/schema.prisma`; else a `prisma/schema/` folder.
 *
 * @param option - the `--schema` option, when given
 * @throws {CliError} when none is found, or a named one does not exist
 */
export function findSchema (cwd: string, option?: string): FoundSchema {
  if (option !== undefined) return found(resolve(cwd, option), '--schema', cwd)
  for (const name of CONFIG_FILES) {
    const file = join(cwd, name)
    if (!existsSync(file)) continue
    const schema = configSchema(file, cwd)
    if (schema !== undefined) return found(resolve(cwd, schema), name, cwd)
    break
  }
  const pkgFile = join(cwd, 'package.json')
  if (existsSync(pkgFile)) {
    let pkg: { prisma?: { schema?: unknown } }
    try {
      pkg = JSON.parse(readFileSync(pkgFile, 'utf8'))
    } catch {
      throw new CliError(`${display(pkgFile, cwd)} is not valid JSON; fix it or pass --schema <file or folder>`)
    }
    const schema = pkg?.prisma?.schema
    if (typeof schema === 'string') return found(resolve(cwd, schema), 'package.json "prisma.schema"', cwd)
  }
  for (const name of ['schema.prisma', join('prisma', 'schema.prisma')]) {
    if (kindOf(join(cwd, name)) === 'file') return { path: join(cwd, name), folder: false, source: name }
  }
  const folder = join(cwd, 'prisma', 'schema')
  if (kindOf(folder) === 'folder') return { path: folder, folder: true, source: 'prisma/schema/' }
  throw new CliError(`no Prisma schema found (looked for ${LOOKED_FOR}); pass --schema <file or folder>`)
}

/** The `*.prisma` files of a folder, recursively (following symbolic links), as Prisma reads them. */
function prismaFiles (folder: string, seen = new Set<string>()): string[] {
  const real = realpathSync(folder)
  if (seen.has(real)) return []
  seen.add(real)
  const files: string[] = []
  for (const name of readdirSync(folder).sort()) {
    const path = join(folder, name)
    const kind = kindOf(path)
    if (kind === 'folder') files.push(...prismaFiles(path, seen))
    else if (kind === 'file' && extname(name) === '.prisma') files.push(path)
  }
  return files
}

/** Reads one file as a {@link SchemaFile}. */
export function readSchemaFile (path: string): SchemaFile {
  const raw = readFileSync(path, 'utf8')
  return { path, text: raw.replace(/\r\n/g, '\n'), crlf: raw.includes('\r\n') }
}

/**
 * The files of a found schema: the file itself, or every `*.prisma` file of the folder.
 *
 * @throws {CliError} when a folder holds no `.prisma` file
 */
export function readSchema (schema: FoundSchema, cwd: string): SchemaFile[] {
  if (!schema.folder) return [readSchemaFile(schema.path)]
  const files = prismaFiles(schema.path)
  if (files.length === 0) throw new CliError(`the schema folder ${display(schema.path, cwd)} holds no .prisma file; pass --schema <file or folder>`)
  return files.map(readSchemaFile)
}

/** A top-level block of a Prisma schema (`model`, `view`, `type`, `enum`, `datasource`, `generator`). */
export interface Block {
  /** The keyword. */
  kind: string
  /** The block's name. */
  name: string
  /** The index of its opening line. */
  start: number
  /** The index of its closing `}` line. */
  end: number
}

/** The top-level blocks of a schema file's text (lines split on `\n`). */
export function blocksOf (lines: readonly string[]): Block[] {
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(model|view|type|enum|datasource|generator)\s+(\w+)\s*\{\s*(\/\/.*)?$/.exec(lines[i] as string)
    if (open === null) continue
    let end = i + 1
    while (end < lines.length && !/^\s*\}\s*(\/\/.*)?$/.test(lines[end] as string)) end++
    blocks.push({ kind: open[1] as string, name: open[2] as string, start: i, end })
    i = end
  }
  return blocks
}

/** The datasource provider a schema declares, and the file declaring it. */
export interface DatasourceInfo {
  /** The provider as written (e.g. `postgresql`, `postgres`, `sqlite`, `mysql`). */
  provider: string
  /** The file holding the datasource block. */
  file: string
  /** The environment variables its `url`, `directUrl` and `shadowDatabaseUrl` read. */
  envVars: string[]
}

/** The schema's datasource provider, when it declares one. */
export function datasourceOf (files: readonly SchemaFile[]): DatasourceInfo | undefined {
  for (const file of files) {
    const lines = file.text.split('\n')
    for (const block of blocksOf(lines)) {
      if (block.kind !== 'datasource') continue
      const body = lines.slice(block.start + 1, block.end)
      const provider = body.map((line) => /^\s*provider\s*=\s*"([^"]*)"/.exec(line)?.[1]).find((value) => value !== undefined)
      if (provider === undefined) continue
      const envVars = body.flatMap((line) => {
        const match = /^\s*(?:url|directUrl|shadowDatabaseUrl)\s*=\s*env\(\s*"([^"]+)"\s*\)/.exec(line)
        return match === null ? [] : [match[1] as string]
      })
      return { provider, file: file.path, envVars }
    }
  }
  return undefined
}

/** The provider a datasource names, when the plugin runs on it (an alias Prisma accepts, such as `postgres`, included). */
export function supportedProvider (provider: string): Provider | undefined {
  return providerNamed(provider)
}

/** The one-line error for a provider the plugin does not support. */
export function unsupportedProvider (provider: string, where: string): CliError {
  return new CliError(`the datasource provider "${provider}" (${where}) is not supported; fastify-directmessages supports ${listed(PROVIDERS.map((name) => `"${name}"`), 'and')}`)
}

/**
 * Checks that `path` can be written: an existing file, or a new file's folder, must have a write
 * bit in its mode (checked on the mode itself, since `access(W_OK)` always succeeds for root).
 *
 * @throws {CliError} naming the read-only file or folder
 */
export function assertWritable (path: string, cwd: string): void {
  const target = existsSync(path) ? path : dirname(path)
  const mode = statSync(target).mode
  if ((mode & 0o222) === 0) {
    const kind = target === path ? 'file' : 'folder'
    throw new CliError(`the ${kind} ${display(target, cwd)} is read-only; make it writable (chmod u+w ${display(target, cwd)}) and run again; nothing was written`)
  }
}

/**
 * Writes `text` to `path` atomically: to a temporary file in the same folder, then renamed over
 * `path`, so a reader sees the old file or the new one, never half of it. An existing file's mode
 * is kept.
 */
export function writeAtomic (path: string, text: string): void {
  const mode = existsSync(path) ? statSync(path).mode & 0o7777 : 0o644
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.fastify-directmessages.tmp`)
  try {
    writeFileSync(temp, text, { mode })
    chmodSync(temp, mode)
    renameSync(temp, path)
  } catch (error) {
    try { unlinkSync(temp) } catch {}
    throw error
  }
}

/** The text to write for a {@link SchemaFile}'s new text (its `\r\n` line ends restored). */
export function onDisk (file: SchemaFile, text: string): string {
  return file.crlf ? text.replace(/\n/g, '\r\n') : text
}

/**
 * The host's own Prisma CLI (`prisma/build/index.js`), resolved from `cwd` as the host's code
 * would resolve it.
 *
 * @throws {CliError} telling to `npm install -D prisma` when the host has none
 */
export function resolvePrismaCli (cwd: string): string {
  const require = createRequire(join(cwd, 'package.json'))
  try {
    return require.resolve('prisma/build/index.js')
  } catch {}
  try {
    const pkgFile = require.resolve('prisma/package.json')
    const bin = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { bin?: { prisma?: string } }).bin?.prisma ?? 'build/index.js'
    return join(dirname(pkgFile), bin)
  } catch {}
  throw new CliError(`the Prisma CLI is not installed in ${cwd} (this command validates the schema with it); run npm install -D prisma, then run again`)
}

const PLACEHOLDER_URLS: Record<string, string> = {
  sqlite: 'file:./fastify-directmessages-validate.db',
  postgresql: 'postgresql://localhost:5432/fastify_directmessages_validate',
  postgres: 'postgresql://localhost:5432/fastify_directmessages_validate',
  cockroachdb: 'postgresql://localhost:26257/fastify_directmessages_validate',
  mysql: 'mysql://localhost:3306/fastify_directmessages_validate',
  sqlserver: 'sqlserver://localhost:1433;database=fastify_directmessages_validate',
  mongodb: 'mongodb://localhost:27017/fastify_directmessages_validate'
}

/** What `prisma validate` answered: nothing when the schema is valid, else its first error. */
export interface Validation {
  /** Whether Prisma accepted the schema. */
  ok: boolean
  /** Whether Prisma found an error in the schema itself (else `prisma validate` failed otherwise). */
  schemaError?: boolean
  /** Prisma's first error message line. */
  message?: string
  /** Where Prisma located the error (`file:line`), when it said. */
  location?: string
}

/**
 * Runs `prisma validate --schema <schema>` with the host's Prisma CLI, in `cwd` (so the host's
 * Prisma config applies). The datasource's environment variables that are unset get a harmless
 * placeholder URL for the provider (validation does not connect; Prisma wants them resolvable),
 * and Prisma's update check and telemetry are off.
 */
export function prismaValidate (cli: string, cwd: string, schema: string, datasource: DatasourceInfo | undefined): Validation {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1', NO_COLOR: '1', FORCE_COLOR: '0' }
  const placeholder = datasource === undefined ? undefined : PLACEHOLDER_URLS[datasource.provider]
  if (placeholder !== undefined) {
    for (const name of datasource?.envVars ?? []) {
      if (env[name] === undefined || env[name] === '') env[name] = placeholder
    }
  }
  const run = spawnSync(process.execPath, [cli, 'validate', '--schema', schema], { cwd, env, encoding: 'utf8' })
  if (run.status === 0) return { ok: true }
  // eslint-disable-next-line no-control-regex
  const output = `${run.stderr ?? ''}\n${run.stdout ?? ''}`.replace(/\u001b\[[0-9;]*m/g, '')
  const lines = output.split('\n').map((line) => line.trim()).filter((line) => line !== '')
  const error = lines.findIndex((line) => /^error: /.test(line))
  if (error !== -1) {
    const location = lines.slice(error + 1).find((line) => line.startsWith('-->'))?.replace(/^-->\s*/, '')
    return { ok: false, schemaError: true, message: (lines[error] as string).replace(/^error: /, ''), location }
  }
  const first = lines.find((line) => !/^(Loaded Prisma config|Prisma config detected|Prisma schema loaded|Environment variables loaded)/.test(line))
  return { ok: false, schemaError: false, message: (first ?? (run.error?.message ?? `prisma validate exited with status ${String(run.status)}`)).replace(/^Error: /, '') }
}
