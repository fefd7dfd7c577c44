/**
 * A Prisma 7 client for the tests, beside the project's own Prisma 6: the fixture test/prisma7/ has
 * its own package.json and lock (Prisma 7 and 6 cannot share node_modules). The first test that
 * asks for it installs the fixture (`npm ci`) and generates the clients, with nothing done by hand;
 * later runs find both up to date (stamp files holding a hash of their inputs) and skip the work.
 *
 * - Install: `npm ci --ignore-scripts` (Prisma's @prisma/engines postinstall only tries to download
 *   native engines from a host these machines cannot reach, and nothing here needs them), then
 *   `npm rebuild better-sqlite3` (the adapter's better-sqlite3 12 is a native module: a prebuilt
 *   binary when one can be downloaded, otherwise compiled from source, about a minute).
 * - Generation: the `prisma-client` generator from the same schema text the project generates for
 *   Prisma 6 (`schemaFor(variant)` in scripts/prisma-schemas.mjs), with Prisma 7's generator block
 *   and no `url` in the datasource (Prisma 7 reads it from prisma.config.ts). Prisma 7's CLI wants
 *   a native schema engine at start-up only: PRISMA_SCHEMA_ENGINE_BINARY points at a stub.
 * - Several test files (tap runs them in parallel) may ask at once: an exclusive lock folder
 *   (test/prisma7/.prepare.lock, taken with mkdir) makes the others wait; a lock left by a process
 *   that died is taken over.
 * - Failures are never skips: an unreachable registry or a failed build fails the test that asked,
 *   with the command's output.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import t from 'tap'
import { schemaFor, variants, type Variant } from '../../scripts/prisma-schemas.mjs'
import type { PoolConfig as MariadbPoolConfig } from 'mariadb'
import { mariadbConfig, providerOf, variantOf, type CreatePrismaOptions, type ExamplePrisma, type Provider } from '../../examples/database.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
export const PRISMA7_DIR = join(root, 'test', 'prisma7')
const NODE_MODULES = join(PRISMA7_DIR, 'node_modules')
const GENERATED = join(PRISMA7_DIR, 'generated')
const LOCK = join(PRISMA7_DIR, '.prepare.lock')
const INSTALL_STAMP = join(NODE_MODULES, '.dm-install-stamp')
const GENERATE_STAMP = join(GENERATED, '.dm-generate-stamp')
const TYPECHECK_STAMP = join(GENERATED, '.dm-typecheck-stamp')

/** The variants generated for Prisma 7: every provider, integer and string user ids. */
export const PRISMA7_VARIANTS: readonly Variant[] = ['sqlite', 'postgresql', 'mysql', 'sqlite-string', 'postgresql-string', 'mysql-string']

/** The datasource url `generate` wants set (it never connects). */
const UNUSED_URLS: Readonly<Record<Provider, string>> = {
  sqlite: 'file:./unused.db',
  postgresql: 'postgresql://postgres@127.0.0.1:5432/unused',
  mysql: 'mysql://root@127.0.0.1:3306/unused'
}

/** Bump when what this file generates changes, so that stamps from an older helper are stale. */
const FORMAT = 3

/** Time the first, cold install may take (download, compiling better-sqlite3, generation). */
const PREPARE_TIMEOUT = 20 * 60_000

const sha256 = (...parts: string[]): string => {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part).update('\0')
  return hash.digest('hex')
}
const readOr = (file: string, fallback = ''): string => existsSync(file) ? readFileSync(file, 'utf8') : fallback

/** What the installed node_modules depends on: the lock, and the Node ABI of the native module. */
function installInputs (): string {
  return sha256(String(FORMAT), readFileSync(join(PRISMA7_DIR, 'package-lock.json'), 'utf8'), process.versions.modules, process.platform, process.arch)
}

/** What the generated clients depend on: the installed versions and every variant's schema. */
function generateInputs (): string {
  return sha256(installInputs(), ...PRISMA7_VARIANTS.map(prisma7Schema))
}

/** What the type check depends on: the clients, and the types they are checked against. */
function typecheckInputs (): string {
  return sha256(generateInputs(), ...['examples/database.ts', 'src/options.ts', 'src/index.ts'].map((file) => readOr(join(root, file))))
}

/** The project's schema of `variant` (the one Prisma 6 gets), in the form Prisma 7 wants. */
export function prisma7Schema (variant: Variant): string {
  const schema = schemaFor(variant)
  const generator = /^generator client \{\n[^}]*\n\}$/m
  const url = /^(datasource db \{\n[^}]*?)^ {2}url\s*=.*\n/m
  if (!generator.test(schema) || !url.test(schema)) throw new Error('scripts/prisma-schemas.mjs: the generator block or the datasource url changed shape; adapt prisma7Schema in test/helpers/prisma7.ts')
  return [
    '// Generated by test/helpers/prisma7.ts from schemaFor() in scripts/prisma-schemas.mjs, for Prisma 7.',
    schema
      .replace(/^\/\/ (Generated by|Do not edit).*\n/gm, '')
      .replace(generator, [
        'generator client {',
        '  provider            = "prisma-client"',
        '  output              = "./client"',
        '  moduleFormat        = "esm"',
        // Relative imports between the generated .ts files end in .js, as the project's own do:
        // tap's TypeScript loader (ts-node) and tsc (NodeNext) map them to the .ts files. ("ts"
        // works too, but tsc then wants allowImportingTsExtensions.)
        '  importFileExtension = "js"',
        '}'
      ].join('\n'))
      // Prisma 7 refuses `url` in the schema: the CLI reads it from prisma.config.ts, the client
      // gets a driver adapter.
      .replace(url, '$1')
  ].join('\n')
}

/** Runs a command; rejects with its output when it fails. */
function run (command: string, args: string[], options: { cwd: string, env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    const output: Buffer[] = []
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk))
    child.on('error', (err) => reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}) could not start: ${err.message}`)))
    child.on('close', (code, signal) => {
      const text = Buffer.concat(output).toString()
      if (code === 0) resolve(text)
      else reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}) failed (${signal ?? `exit ${code}`}):\n${text.slice(-8000)}`))
    })
  })
}

/**
 * The environment for npm inside the fixture. Under `npm test` (or npx) npm exports its own
 * per-invocation settings, npm_config_local_prefix among them, which would point a nested `npm ci`
 * at the project's root: those are dropped (settings from .npmrc files and the user's own
 * npm_config_* variables stay), and `--prefix` names the fixture as well.
 */
function npmEnvironment (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  const perInvocation = /^npm_(package_|lifecycle_|command$|config_(local_prefix|prefix|global|call|yes|workspaces?|include_workspace_root|dry_run|package_lock_only|omit|include|production|only|ignore_scripts)$)/i
  for (const [key, value] of Object.entries(process.env)) if (!perInvocation.test(key)) env[key] = value
  return env
}

async function install (): Promise<void> {
  const env = npmEnvironment()
  rmSync(NODE_MODULES, { recursive: true, force: true })
  await run('npm', ['ci', '--prefix', PRISMA7_DIR, '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: PRISMA7_DIR, env })
  await run('npm', ['rebuild', 'better-sqlite3', '--prefix', PRISMA7_DIR], { cwd: PRISMA7_DIR, env })
  // The native module must load in this Node (it is what the SQLite adapter opens).
  await run(process.execPath, ['-e', 'new (require("better-sqlite3"))(":memory:").close()'], { cwd: PRISMA7_DIR })
  writeFileSync(INSTALL_STAMP, installInputs())
}

async function generate (): Promise<void> {
  rmSync(GENERATED, { recursive: true, force: true })
  mkdirSync(GENERATED, { recursive: true })
  // Prisma 7's CLI resolves a native schema engine before any command, `generate` included, and
  // downloads it when none is given; `generate` itself never calls it. An executable that fails
  // is enough.
  const stub = join(GENERATED, 'schema-engine-stub')
  writeFileSync(stub, '#!/bin/sh\necho "schema engine stub (test/helpers/prisma7.ts): Prisma 7 migrate commands are not available here" >&2\nexit 1\n')
  chmodSync(stub, 0o755)
  const cli = join(NODE_MODULES, 'prisma', 'build', 'index.js')
  const env = { ...npmEnvironment(), PRISMA_SCHEMA_ENGINE_BINARY: stub, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' }
  await Promise.all(PRISMA7_VARIANTS.map(async (variant) => {
    const dir = join(GENERATED, variant)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'schema.prisma'), prisma7Schema(variant))
    // The datasource url is only read by commands that connect; `generate` wants one to be set.
    const url = UNUSED_URLS[variants[variant].provider]
    writeFileSync(join(dir, 'prisma.config.ts'), `export default { schema: './schema.prisma', datasource: { url: '${url}' } }\n`)
    await run(process.execPath, [cli, 'generate', '--config', join(dir, 'prisma.config.ts')], { cwd: PRISMA7_DIR, env })
  }))
  // The driver adapters, imported from inside the fixture so that they resolve to its
  // node_modules (Prisma 7's), not the project's (Prisma 6's).
  writeFileSync(join(GENERATED, 'adapters.mjs'), "export { PrismaPg } from '@prisma/adapter-pg'\nexport { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'\nexport { PrismaMariaDb } from '@prisma/adapter-mariadb'\n")
  writeFileSync(GENERATE_STAMP, generateInputs())
}

/** Whether the owner of a lock ("<host> <pid>") may still be running. */
function alive (owner: string): boolean {
  if (owner === '') return true // the lock was just taken: its owner file is being written
  const [host, pid] = owner.trim().split(' ')
  if (host !== hostname()) return true // cannot tell: wait for it
  try {
    process.kill(Number(pid), 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Runs `fn` holding the fixture's lock: one process at a time installs and generates. */
async function withLock<R> (fn: () => Promise<R>): Promise<R> {
  const deadline = Date.now() + PREPARE_TIMEOUT
  const me = `${hostname()} ${process.pid}`
  for (;;) {
    try {
      mkdirSync(LOCK)
      writeFileSync(join(LOCK, 'owner'), me)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    if (!alive(readOr(join(LOCK, 'owner')))) {
      // Take over a dead process's lock: move it aside first (only one waiter's rename succeeds),
      // then check that it was the dead one's and not a lock just taken by another waiter.
      const aside = `${LOCK}.stale-${process.pid}`
      try {
        renameSync(LOCK, aside)
        const owner = readOr(join(aside, 'owner'))
        if (alive(owner)) renameSync(aside, LOCK)
        else rmSync(aside, { recursive: true, force: true })
      } catch {} // another waiter moved it first, or took the lock again meanwhile: try again
      continue
    }
    if (Date.now() > deadline) throw new Error(`waited ${PREPARE_TIMEOUT / 60_000} minutes for ${LOCK} (held by ${readOr(join(LOCK, 'owner'), 'unknown')}); remove it if no test run is going`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  try {
    return await fn()
  } finally {
    if (readOr(join(LOCK, 'owner')) === me) rmSync(LOCK, { recursive: true, force: true })
  }
}

const installUpToDate = (): boolean => readOr(INSTALL_STAMP) === installInputs()
const generationUpToDate = (): boolean => readOr(GENERATE_STAMP) === generateInputs()

/** While `fn` runs, this test file may take as long as a cold install does (tap's timeout). */
async function withLongTimeout<R> (fn: () => Promise<R>): Promise<R> {
  t.setTimeout(PREPARE_TIMEOUT)
  try {
    return await fn()
  } finally {
    // Back to the runner's timeout (.taprc `timeout`, in seconds), counted from now.
    t.setTimeout(Number(process.env.TAP_TIMEOUT ?? 30) * 1000)
  }
}

let prepared: Promise<void> | undefined

/** Installs the fixture and generates the Prisma 7 clients unless they are up to date. */
export function preparePrisma7 (): Promise<void> {
  prepared ??= (async () => {
    if (installUpToDate() && generationUpToDate()) return
    await withLongTimeout(() => withLock(async () => {
      // Another process may have done it while this one waited for the lock.
      if (!installUpToDate()) {
        t.comment('installing test/prisma7 (Prisma 7, once per clone; compiling better-sqlite3 takes about a minute)')
        await install().catch((err: unknown) => {
          throw new Error(`installing the Prisma 7 fixture test/prisma7 failed (is the npm registry reachable?): ${(err as Error).message}`, { cause: err })
        })
      }
      if (!generationUpToDate()) {
        await generate().catch((err: unknown) => {
          throw new Error(`generating the Prisma 7 clients into test/prisma7/generated failed: ${(err as Error).message}`, { cause: err })
        })
      }
    }))
  })()
  // A failure is reported to every caller, and a later call tries again.
  prepared.catch(() => { prepared = undefined })
  return prepared
}

/**
 * Type-checks the generated clients against the example's ExamplePrisma (which extends the
 * plugin's PrismaClientLike), with the project's TypeScript and tsconfig: the static half of
 * "the plugin takes a Prisma 7 client". The project's own `tsc --noEmit` cannot do it (it runs
 * before the tests generate the clients, and excludes them). Skipped when nothing changed.
 */
export async function typecheckPrisma7 (): Promise<void> {
  await preparePrisma7()
  if (readOr(TYPECHECK_STAMP) === typecheckInputs()) return
  await withLongTimeout(() => withLock(async () => {
    const imports: string[] = []
    const checks: string[] = []
    PRISMA7_VARIANTS.forEach((variant, i) => {
      imports.push(`import { PrismaClient as Client${i} } from './${variant}/client/client.js'`)
      const adapter = {
        sqlite: "new PrismaBetterSqlite3({ url: 'file:unused.db' })",
        postgresql: "new PrismaPg({ connectionString: 'postgresql://unused' })",
        mysql: "new PrismaMariaDb({ host: 'localhost', database: 'unused' })"
      }[variants[variant].provider]
      checks.push(`  new Client${i}({ adapter: ${adapter} }),`, `  new Client${i}({ adapter: ${adapter}, log: [{ emit: 'event', level: 'query' }] }),`)
    })
    writeFileSync(join(GENERATED, 'typecheck.ts'), [
      '// Written by test/helpers/prisma7.ts: every generated Prisma 7 client is an ExamplePrisma.',
      "import { PrismaPg } from '@prisma/adapter-pg'",
      "import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'",
      "import { PrismaMariaDb } from '@prisma/adapter-mariadb'",
      "import type { ExamplePrisma } from '../../../examples/database.js'",
      ...imports,
      '',
      'export const clients: ExamplePrisma[] = [',
      ...checks,
      ']',
      ''
    ].join('\n'))
    // The project's compiler options, for this one file.
    writeFileSync(join(GENERATED, 'tsconfig.json'), JSON.stringify({ extends: '../../../tsconfig.json', include: ['typecheck.ts'], exclude: [] }, null, 2))
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
    await run(process.execPath, [tsc, '-p', join(GENERATED, 'tsconfig.json')], { cwd: GENERATED })
    writeFileSync(TYPECHECK_STAMP, typecheckInputs())
  }))
}

interface Prisma7Adapters {
  PrismaPg: new (config: { connectionString: string, connectionTimeoutMillis?: number, query_timeout?: number }) => object
  PrismaBetterSqlite3: new (config: { url: string }) => object
  PrismaMariaDb: new (config: MariadbPoolConfig) => object
}
interface Prisma7ClientModule {
  PrismaClient: new (options: { adapter: object, log?: Array<{ emit: 'event', level: 'query' }> }) => ExamplePrisma
}

/**
 * A Prisma 7 client for the database at `databaseUrl`, built as examples/database.ts builds the
 * Prisma 6 one (same adapter options): `new PrismaClient({ adapter })` of the generated client.
 */
export async function createPrisma7 (databaseUrl: string, options: CreatePrismaOptions = {}): Promise<ExamplePrisma> {
  await preparePrisma7()
  const { logQueries = false, userIdType = 'integer' } = options
  const provider = providerOf(databaseUrl)
  // The generated modules exist only once preparePrisma7 ran, so they are imported by path; their
  // types are declared above and checked against the real ones by typecheckPrisma7.
  const adapters = await import(pathToFileURL(join(GENERATED, 'adapters.mjs')).href) as Prisma7Adapters
  const { PrismaClient } = await import(pathToFileURL(join(GENERATED, variantOf(provider, userIdType), 'client', 'client.ts')).href) as Prisma7ClientModule
  const adapter = provider === 'postgresql'
    ? new adapters.PrismaPg({
      connectionString: databaseUrl,
      connectionTimeoutMillis: options.connectTimeout ?? Number(process.env.DM_DB_CONNECT_TIMEOUT ?? 5000),
      query_timeout: options.queryTimeout ?? Number(process.env.DM_DB_QUERY_TIMEOUT ?? 10_000)
    })
    : provider === 'mysql'
      ? new adapters.PrismaMariaDb(mariadbConfig(databaseUrl, options))
      : new adapters.PrismaBetterSqlite3({ url: databaseUrl })
  return new PrismaClient({ adapter, log: logQueries ? [{ emit: 'event', level: 'query' }] : [] })
}
