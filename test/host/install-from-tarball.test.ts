// The host path, end to end, as a new user meets it: the packed tarball installed into scratch host
// projects whose user model has its own names (model Account, table accounts, id field accountId,
// handle/givenName/familyName), the README's five installation commands (adapted to this machine, see
// `adopt`), then the host's own server over real HTTP: send, list, read, block, the event stream,
// and the database guards. Per provider (SQLite, PostgreSQL, MySQL) an ESM host goes from nothing to
// messages, then a CommonJS host is served from the same migrated database (see `cjsHost`).
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import mariadb from 'mariadb'
import pg from 'pg'
import t, { type Test } from 'tap'
import { MYSQL_ADMIN_URL, mysqlReachable, PG_ADMIN_URL, postgresReachable } from '../helpers/databases.js'
import { openStream, type SseStream } from '../helpers/sse.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
// About 75 s with the machine to itself (two cores), but mostly Prisma CLI processes: beside other
// files' Prisma work on a loaded machine it has taken up to ~160 s, past .taprc's 180 s per file.
t.setTimeout(300_000)
const work = mkdtempSync(join(tmpdir(), 'dm-host-'))
t.teardown(() => rm(work, { recursive: true, force: true }))

// ---------------------------------------------------------------------------------------------
// Processes

/** Every child process still running, killed (by pid) at teardown whatever happened. */
const children = new Set<ChildProcess>()
t.teardown(async () => {
  await Promise.all([...children].map(async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    process.kill(child.pid as number, 'SIGKILL')
    await exited
  }))
})

/**
 * The environment of the host's commands: ours without what `npm test` and tap put in it.
 * `npm_config_local_prefix` (= this repository) would make `npm install` write to our own
 * package.json; tap's NODE_OPTIONS would load its loaders and coverage into every child.
 */
const KEEP_NPM = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_registry', 'npm_config_cafile'])
function hostEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !KEEP_NPM.has(key.toLowerCase())) continue
    if (/^(_?TAP|_TAPJS|NODE_OPTIONS$|NODE_V8_COVERAGE$|INIT_CWD$)/.test(key)) continue
    env[key] = value
  }
  return {
    ...env,
    // Quiet and offline: no update checks, no telemetry pings to hosts these machines cannot reach.
    npm_config_update_notifier: 'false',
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    ...extra
  }
}

interface Ran { code: number | null, stdout: string, stderr: string, ms: number }

/** Runs a command to its end; never throws on a non-zero exit (the tests assert the code). */
function run (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = hostEnv()): Promise<Ran> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.on('error', reject)
    child.on('close', (code) => {
      children.delete(child)
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) })
    })
  })
}

/** Fails the test with the command's output when it did not exit 0. */
function ok (t: Test, ran: Ran, what: string): boolean {
  return t.equal(ran.code, 0, what, { stdout: ran.stdout.slice(-3000), stderr: ran.stderr.slice(-3000) })
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

// ---------------------------------------------------------------------------------------------
// 1. The package, packed for real

/**
 * `npm pack --ignore-scripts`: `npm test` builds dist/ before tap runs, and `prepack` (a second
 * `tsc` writing into dist/ file by file) would race the other test files that import dist/ at the
 * same moment. So the tarball is packed from the dist/ that exists, after checking that it is
 * there and no older than any source file.
 */
function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
}

async function packTarball (t: Test): Promise<string> {
  for (const source of sourceFiles(join(root, 'src'))) {
    const built = join(root, 'dist', source.replace(/\.ts$/, '.js'))
    if (!existsSync(built)) throw new Error(`there is no ${relative(root, built)}: run \`npm run build\` first (npm test does)`)
    if (statSync(built).mtimeMs < statSync(join(root, 'src', source)).mtimeMs) {
      throw new Error(`${relative(root, built)} is older than src/${source}: run \`npm run build\` first (npm test does)`)
    }
  }
  const ran = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root)
  if (ran.code !== 0) throw new Error(`npm pack failed: ${ran.stderr}`)
  const { filename } = (JSON.parse(ran.stdout) as Array<{ filename: string }>)[0] as { filename: string }
  const tarball = join(work, filename)
  t.ok(existsSync(tarball), `packed ${filename} in ${seconds(ran.ms)}`)
  return tarball
}

// ---------------------------------------------------------------------------------------------
// 2. One install, shared by the hosts

/** The host's own dependencies, at exactly the versions installed here (so npm finds them in its cache). */
const HOST_DEPENDENCIES = ['fastify', 'prisma', '@prisma/client', '@prisma/adapter-better-sqlite3', '@prisma/adapter-pg', '@prisma/adapter-mariadb', 'better-sqlite3', 'pg', 'mariadb']
const versionHere = (name: string): string =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version

/**
 * `npm install <tarball> fastify prisma ...` once, in a folder of its own; every host links its
 * node_modules to it. `--ignore-scripts`: Prisma's postinstall downloads engines from a host these
 * machines cannot reach, and better-sqlite3 has no prebuilt binary here and would compile for a
 * minute — its compiled addon (same version) is copied from this repository's install instead.
 */
async function installOnce (t: Test, tarball: string): Promise<string> {
  const install = join(work, 'install')
  mkdirSync(install)
  writeFileSync(join(install, 'package.json'), JSON.stringify({ name: 'host-install', version: '1.0.0', private: true }, null, 2))
  const ran = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball,
    ...HOST_DEPENDENCIES.map((name) => `${name}@${versionHere(name)}`)], install)
  if (ran.code !== 0) throw new Error(`npm install failed: ${ran.stderr}`)
  const addon = join('build', 'Release', 'better_sqlite3.node')
  mkdirSync(join(install, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true })
  copyFileSync(join(root, 'node_modules', 'better-sqlite3', addon), join(install, 'node_modules', 'better-sqlite3', addon))
  t.ok(existsSync(join(install, 'node_modules', 'fastify-directmessages', 'package.json')), `npm install of the tarball and ${HOST_DEPENDENCIES.length} host dependencies: ${seconds(ran.ms)}`)
  return install
}

// ---------------------------------------------------------------------------------------------
// 3. A host project

type Provider = 'sqlite' | 'postgresql' | 'mysql'
type ModuleKind = 'esm' | 'cjs'

function schemaOf (provider: Provider): string {
  return `// The host's own schema, before the plugin.
generator client {
  provider   = "prisma-client-js"
  engineType = "client"
  output     = "../generated/prisma"
}

datasource db {
  provider = "${provider}"
  url      = env("DATABASE_URL")
}

// The host's users, with its own names for everything: model, table, id field, name fields.
model Account {
  accountId  Int      @id @default(autoincrement()) @map("id")
  handle     String   @unique
  givenName  String   @map("given_name")
  familyName String   @map("family_name")
  joinedAt   DateTime @default(now()) @map("joined_at")

  @@map("accounts")
}
`
}

/** The Prisma CLI's config, as it runs on these machines: driver adapter, WebAssembly engine. */
function prismaConfigOf (provider: Provider): string {
  if (provider === 'mysql') {
    // \`prisma generate\` only: see adopt() for how a MySQL host's migration is made here.
    return `import { defineConfig } from 'prisma/config'
import { PrismaMariaDb } from '@prisma/adapter-mariadb'

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  async adapter () {
    return new PrismaMariaDb(process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/host') as never
  }
})
`
  }
  if (provider === 'sqlite') {
    return `import { defineConfig } from 'prisma/config'
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  async adapter () {
    return new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? 'file:./dev.db' })
  }
})
`
  }
  return `import { defineConfig } from 'prisma/config'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'

const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/host')

// prisma/orm#27403: the schema engine reads catalog columns of types name (OID 19) and "char"
// (OID 18), which the adapter cannot deserialise; report them as text (arrays as text[]).
const result = pg.Result.prototype as unknown as { addFields(fields: Array<{ dataTypeID: number }>): void }
const addFields = result.addFields
result.addFields = function (fields) {
  for (const field of fields) {
    if (field.dataTypeID === 18 || field.dataTypeID === 19) field.dataTypeID = 25
    else if (field.dataTypeID === 1002 || field.dataTypeID === 1003) field.dataTypeID = 1009
  }
  return addFields.call(this, fields)
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  async adapter () {
    // Discrete fields (migrate dev derives its shadow database by replacing \`database\`).
    return new PrismaPg({
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username || 'postgres'),
      password: decodeURIComponent(url.password),
      database: decodeURIComponent(url.pathname.slice(1)),
      idleTimeoutMillis: 1
    })
  }
})
`
}

/**
 * The host's server, as its developer writes it (README "Register the plugin"): its own auth
 * (header x-user), the plugin under /api/dm, its user model's names. `withIdField: false` leaves
 * out `userFields.id`, a mistake the start-up check should name.
 */
function serverOf (kind: ModuleKind, provider: Provider, withIdField = true): string {
  const adapter = {
    sqlite: { name: 'PrismaBetterSQLite3', module: '@prisma/adapter-better-sqlite3', create: 'new PrismaBetterSQLite3({ url: process.env.DATABASE_URL })' },
    postgresql: { name: 'PrismaPg', module: '@prisma/adapter-pg', create: 'new PrismaPg({ connectionString: process.env.DATABASE_URL })' },
    mysql: { name: 'PrismaMariaDb', module: '@prisma/adapter-mariadb', create: 'new PrismaMariaDb(process.env.DATABASE_URL)' }
  }[provider]
  const body = `const prisma = new PrismaClient({ adapter: ${adapter.create} })
const app = Fastify({ logger: { level: 'warn' } })
await app.register(directMessages, {
  prefix: '/api/dm',
  prisma,
  provider: '${provider}',
  getUserId: (request) => {
    const user = request.headers['x-user']
    return typeof user === 'string' && /^[0-9]+$/.test(user) ? Number(user) : null
  },
  userModel: 'account',
  userFields: { ${withIdField ? "id: 'accountId', " : ''}username: 'handle', firstName: 'givenName', lastName: 'familyName' }
})
const address = await app.listen({ host: '127.0.0.1', port: 0 })
console.log('listening on ' + address)
`
  if (kind === 'esm') {
    return `import Fastify from 'fastify'
import { ${adapter.name} } from '${adapter.module}'
import directMessages from 'fastify-directmessages'
import { PrismaClient } from './generated/prisma/index.js'

${body}`
  }
  // What a CommonJS developer writes. require() of the ESM package (Node 20.19+) returns its
  // module namespace; Fastify's register takes it (it unwraps \`default\`, fastify-plugin's
  // metadata included), so no \`.default\` is needed.
  return `const Fastify = require('fastify')
const { ${adapter.name} } = require('${adapter.module}')
const directMessages = require('fastify-directmessages')
const { PrismaClient } = require('./generated/prisma')

async function main () {
${body.replace(/^(?=.)/gm, '  ')}}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
`
}

interface Host {
  dir: string
  kind: ModuleKind
  provider: Provider
  databaseUrl: string
}

function writeHost (install: string, dir: string, kind: ModuleKind, provider: Provider, databaseUrl: string): Host {
  mkdirSync(join(dir, 'prisma'), { recursive: true })
  const installed = JSON.parse(readFileSync(join(install, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({
    name: `host-${kind}-${provider}`,
    version: '1.0.0',
    private: true,
    type: kind === 'esm' ? 'module' : 'commonjs',
    dependencies: installed.dependencies
  }, null, 2))
  symlinkSync(join(install, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'prisma', 'schema.prisma'), schemaOf(provider))
  writeFileSync(join(dir, 'prisma.config.ts'), prismaConfigOf(provider))
  writeFileSync(join(dir, 'server.js'), serverOf(kind, provider))
  writeFileSync(join(dir, 'server-without-id-field.js'), serverOf(kind, provider, false))
  return { dir, kind, provider, databaseUrl }
}

// ---------------------------------------------------------------------------------------------
// The host's database, from the test's side

interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>
  close(): Promise<void>
}

let databases = 0
/** A connection to the MySQL/MariaDB server the tests use (MYSQL_ADMIN_URL), or to one of its databases. */
async function mysqlConnection (database?: string): Promise<mariadb.Connection> {
  const server = new URL(MYSQL_ADMIN_URL)
  return await mariadb.createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username),
    password: decodeURIComponent(server.password),
    multipleStatements: true,
    ...(database === undefined ? {} : { database })
  })
}

/** A fresh database for the hosts of a provider: a SQLite file, or a new PostgreSQL or MySQL database (dropped at teardown). */
async function createDatabase (t: Test, provider: Provider): Promise<string> {
  if (provider === 'sqlite') return `file:${join(work, 'host.db')}`
  const name = `dm_host_${process.pid}_${++databases}`
  if (provider === 'mysql') {
    const admin = await mysqlConnection()
    await admin.query(`DROP DATABASE IF EXISTS ${name}`)
    await admin.query(`CREATE DATABASE ${name} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
    t.teardown(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`)
      await admin.end()
    })
    return Object.assign(new URL(MYSQL_ADMIN_URL), { pathname: `/${name}` }).toString()
  }
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${name}`)
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  t.teardown(async () => {
    const cleanup = new pg.Client({ connectionString: PG_ADMIN_URL })
    await cleanup.connect()
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await cleanup.end()
  })
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

/** Direct SQL on the host's database, written with `?` placeholders. */
async function connect (host: Host): Promise<Sql> {
  if (host.provider === 'sqlite') {
    const db = new Database(host.databaseUrl.slice('file:'.length))
    return {
      async query<T>(text: string, params: unknown[] = []) {
        const statement = db.prepare(text)
        return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as T[]
      },
      async close () { db.close() }
    }
  }
  if (host.provider === 'mysql') {
    const connection = await mysqlConnection(new URL(host.databaseUrl).pathname.slice(1))
    return {
      async query<T>(text: string, params: unknown[] = []) {
        const result: unknown = await connection.query(text, params)
        return (Array.isArray(result) ? result : []) as T[]
      },
      async close () { await connection.end() }
    }
  }
  const client = new pg.Client({ connectionString: host.databaseUrl })
  client.on('error', () => {}) // DROP DATABASE ... WITH (FORCE) may end it first
  await client.connect()
  return {
    async query<T>(text: string, params: unknown[] = []) {
      let n = 0
      return (await client.query(text.replace(/\?/g, () => `$${++n}`), params)).rows as T[]
    },
    async close () { await client.end() }
  }
}

// ---------------------------------------------------------------------------------------------
// The README's five installation commands, on this machine

const bin = (host: Host, name: string): string => join(host.dir, 'node_modules', '.bin', name)
const commandEnv = (host: Host): NodeJS.ProcessEnv => hostEnv({ DATABASE_URL: host.databaseUrl })

/**
 * `fastify-directmessages schema`, the migration, `fastify-directmessages guards`, `migrate deploy`,
 * and `prisma generate` for the host's client. Returns the time each took.
 *
 * Why not `prisma migrate dev` (the README tells users to run it): on these machines, in a fresh
 * host project, it fails in ways real machines do not (without its native engines, as the CLI runs here:
 * SQLite P1014 on the first run and P3006 with --create-only; PostgreSQL "null pointer passed to
 * rust"). What works here, and writes the same migration: `prisma migrate diff --from-empty
 * --to-schema-datamodel prisma/schema.prisma --script` into prisma/migrations/<stamp>_<name>/ with a
 * migration_lock.toml, then `prisma migrate deploy`. From empty, because this host's users table
 * does not exist yet: its first migration creates it too (a host whose table exists would diff from
 * its previous schema).
 */
async function adopt (t: Test, host: Host): Promise<Record<string, number>> {
  const times: Record<string, number> = {}
  const env = commandEnv(host)
  const schemaFile = join(host.dir, 'prisma', 'schema.prisma')

  const schema = await run(bin(host, 'fastify-directmessages'), ['schema', '--user-model', 'Account'], host.dir, env)
  times.schema = schema.ms
  if (!ok(t, schema, 'fastify-directmessages schema --user-model Account: exit 0')) throw new Error('schema failed')
  const written = readFileSync(schemaFile, 'utf8')
  for (const model of ['DirectMessage', 'DirectConversation', 'DirectMessagesUser', 'DirectMessageBlock']) {
    t.match(written, new RegExp(`^model ${model} \\{`, 'm'), `the schema has model ${model}`)
  }
  const account = /^model Account \{[^}]*\}/m.exec(written)?.[0] ?? ''
  t.equal((account.match(/@relation\("Direct/g) ?? []).length, 8, 'the user model got the 8 back-relations')
  // (Running `schema` again would change nothing: --check says so, without another Prisma validation.)
  ok(t, await run(bin(host, 'fastify-directmessages'), ['schema', '--user-model', 'Account', '--check'], host.dir, env), 'schema --check: exit 0, up to date')
  t.equal(readFileSync(schemaFile, 'utf8'), written, '--check writes nothing')

  // The client and the migration need nothing of each other: generate while the migration is made.
  const generate = run(bin(host, 'prisma'), ['generate'], host.dir, env)

  const stamp = '20270101000000_direct_messages'
  const migration = join(host.dir, 'prisma', 'migrations', stamp, 'migration.sql')
  mkdirSync(join(host.dir, 'prisma', 'migrations', stamp), { recursive: true })
  if (host.provider === 'mysql') {
    writeFileSync(migration, mysqlMigration())
  } else {
    const diff = await run(bin(host, 'prisma'), ['migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'], host.dir, env)
    times.diff = diff.ms
    if (!ok(t, diff, 'prisma migrate diff --from-empty: exit 0')) throw new Error('migrate diff failed')
    writeFileSync(migration, diff.stdout)
  }
  writeFileSync(join(host.dir, 'prisma', 'migrations', 'migration_lock.toml'), `provider = "${host.provider}"\n`)

  const guards = await run(bin(host, 'fastify-directmessages'), ['guards', `prisma/migrations/${stamp}/migration.sql`], host.dir, env)
  times.guards = guards.ms
  if (!ok(t, guards, 'fastify-directmessages guards <migration.sql>: exit 0')) throw new Error('guards failed')
  const guarded = readFileSync(migration, 'utf8')
  if (host.provider === 'mysql') {
    t.equal((guarded.match(/^CREATE TRIGGER /gm) ?? []).length, 10, 'the migration has the 5 guards, as insert and update triggers')
    t.match(guarded, /ALTER TABLE `dm_reaction` MODIFY `emoji` VARCHAR\(64\) NOT NULL COLLATE utf8mb4_bin;/, 'and byte-wise emojis')
  } else {
    t.equal((guarded.match(/CHECK\s*\(/g) ?? []).length, 5, 'the migration has the 5 CHECK constraints')
  }
  ok(t, await run(bin(host, 'fastify-directmessages'), ['guards', `prisma/migrations/${stamp}/migration.sql`], host.dir, env), 'guards again: exit 0')
  t.equal(readFileSync(migration, 'utf8'), guarded, 'guards again changes nothing')

  if (host.provider === 'mysql') {
    const applying = performance.now()
    const sql = await connect(host)
    await sql.query(guarded)
    await sql.close()
    times.apply = performance.now() - applying
    t.pass('the migration is applied')
  } else {
    const deploy = await run(bin(host, 'prisma'), ['migrate', 'deploy'], host.dir, env)
    times.deploy = deploy.ms
    if (!ok(t, deploy, 'prisma migrate deploy: exit 0')) throw new Error('migrate deploy failed')
    t.match(deploy.stdout, /successfully applied/, 'the migration is applied')
  }

  const generated = await generate
  times.generate = generated.ms
  if (!ok(t, generated, 'prisma generate: exit 0')) throw new Error('prisma generate failed')
  return times
}

/**
 * The migration Prisma writes for this host's schema on MySQL. The Prisma CLI here has no MySQL
 * connector (`migrate diff` and `deploy` cannot run against MySQL): this is the example's MySQL
 * migration (which test/host/migrations.test.ts checks against what Prisma builds from the same
 * models), its guards left out for the command to add, with this host's user table (model Account,
 * as Prisma writes it) in place of the example's, then the example's later migrations. The test applies it with a connection of its own.
 */
function mysqlMigration (): string {
  const example = readFileSync(join(root, 'prisma/mysql/migrations/20261207120000_init/migration.sql'), 'utf8')
  const unguarded = example.slice(0, example.indexOf('\n-- Guards') + 1)
  const exampleUsers = /-- CreateTable\nCREATE TABLE `app_user` \([^;]*;\n/.exec(unguarded)?.[0]
  if (exampleUsers === undefined) throw new Error('the example\'s MySQL migration no longer starts with its app_user table')
  const accounts = [
    '-- CreateTable',
    'CREATE TABLE `accounts` (',
    '    `id` INTEGER NOT NULL AUTO_INCREMENT,',
    '    `handle` VARCHAR(191) NOT NULL,',
    '    `given_name` VARCHAR(191) NOT NULL,',
    '    `family_name` VARCHAR(191) NOT NULL,',
    '    `joined_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),',
    '',
    '    UNIQUE INDEX `accounts_handle_key`(`handle`),',
    '    PRIMARY KEY (`id`)',
    ') DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;',
    ''
  ].join('\n')
  // The example's later migrations, in order (they name no user table).
  const later = readdirSync(join(root, 'prisma/mysql/migrations')).filter((name) => /^\d+_/.test(name) && name !== '20261207120000_init').sort()
    .map((name) => readFileSync(join(root, 'prisma/mysql/migrations', name, 'migration.sql'), 'utf8'))
  return [unguarded.replace(exampleUsers, accounts).replaceAll('REFERENCES `app_user`(`id`)', 'REFERENCES `accounts`(`id`)'), ...later].join('\n')
}

// ---------------------------------------------------------------------------------------------
// 4. The running host

interface Server { base: string, output: () => string }

/** Starts the host's server and waits for its "listening on" line. */
function start (t: Test, host: Host): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['server.js'], { cwd: host.dir, env: commandEnv(host), stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    let output = ''
    let buffer = ''
    let listening = false
    const exited = new Promise<void>((resolve) => child.once('exit', () => { children.delete(child); resolve() }))
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid as number, 'SIGTERM')
      await exited
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
      buffer += chunk
      let end: number
      while (!listening && (end = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, end)
        buffer = buffer.slice(end + 1)
        const address = /^listening on (http:\/\/\S+)$/.exec(line)?.[1]
        if (address !== undefined) {
          listening = true
          resolve({ base: address, output: () => output })
        }
      }
    })
    child.on('error', reject)
    exited.then(() => { if (!listening) reject(new Error(`the host's server exited before listening:\n${output}`)) }, reject)
  })
}

// `any`: the JSON answers, whose shape the assertions check.
interface Answer { status: number, body: any }

async function call (server: Server, method: string, path: string, user: number | null, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (user !== null) headers['x-user'] = String(user)
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(server.base + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const text = await response.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch {}
  return { status: response.status, body: parsed }
}

/** A user of the host: a row of its own table. */
interface Person { handle: string, givenName: string, familyName: string }

/**
 * What users of the host see, `a` writing to `b`: send, the event stream, list, read, block; and
 * the database guards. The users are new rows in the host's table, created as the host creates them.
 */
async function exercise (t: Test, host: Host, server: Server, a: Person, b: Person): Promise<void> {
  const sql = await connect(host)
  t.teardown(() => sql.close())
  const logs = (): { serverOutput: string } => ({ serverOutput: server.output().slice(-3000) })

  await sql.query('INSERT INTO accounts (handle, given_name, family_name) VALUES (?, ?, ?), (?, ?, ?)',
    [a.handle, a.givenName, a.familyName, b.handle, b.givenName, b.familyName])
  const rows = await sql.query<{ id: number, handle: string }>('SELECT id, handle FROM accounts WHERE handle IN (?, ?)', [a.handle, b.handle])
  const aId = Number(rows.find((row) => row.handle === a.handle)?.id)
  const bId = Number(rows.find((row) => row.handle === b.handle)?.id)

  t.equal((await call(server, 'GET', '/api/dm/unread/', null)).status, 401, 'no x-user: 401')

  const stream: SseStream = await openStream(server.base, '/api/dm/events/', { 'x-user': String(bId) })
  t.teardown(() => stream.close())
  t.equal(stream.status, 200, `${b.givenName}'s event stream opens`)
  t.match(String(stream.headers['content-type']), /^text\/event-stream/, 'as text/event-stream')

  const content = `Hello, ${b.givenName}`
  const sent = await call(server, 'POST', `/api/dm/send/${bId}/`, aId, { content })
  t.equal(sent.status, 201, `${a.givenName} sends to ${b.givenName}: 201`, { body: sent.body, ...logs() })
  t.match(sent.body, { sender: aId, recipient: bId, direction: 'out', content, read_at: null }, 'the message')

  const frames = await stream.until((frames) => frames.some((frame) => frame.event === 'message'), 20_000)
  t.match(frames.find((frame) => frame.event === 'message')?.data, { id: sent.body.id, sender: aId, direction: 'in', content },
    `${b.givenName}'s stream gets the message event`)

  t.same((await call(server, 'GET', '/api/dm/unread/', bId)).body, { id: bId, count: 1, unmuted_count: 1 }, `${b.givenName} has 1 unread`)
  const list = await call(server, 'GET', '/api/dm/conversations/', bId)
  t.equal(list.status, 200, `${b.givenName}'s conversations: 200`, { body: list.body, ...logs() })
  t.match(list.body, { results: [{ id: aId, username: a.handle, first_name: a.givenName, last_name: a.familyName }] },
    'the partner, named from handle, givenName, familyName')
  t.match((await call(server, 'GET', '/api/dm/conversations/', aId)).body, { results: [{ id: bId, username: b.handle, first_name: b.givenName, last_name: b.familyName }] },
    `and ${a.givenName}'s`)

  const conversation = await call(server, 'GET', `/api/dm/conversations/${aId}/`, bId)
  t.equal(conversation.status, 200, `${b.givenName} reads the conversation`)
  t.match(conversation.body, { results: [{ content, direction: 'in' }] }, 'the message is in it')
  t.same((await call(server, 'GET', '/api/dm/unread/', bId)).body, { id: bId, count: 0, unmuted_count: 0 }, 'reading marks it read: 0 unread')

  const unknown = await call(server, 'POST', '/api/dm/send/999999/', aId, { content: 'anyone?' })
  t.equal(unknown.status, 404, 'a send to a user the host does not have: 404', { body: unknown.body, ...logs() })

  const block = await call(server, 'POST', `/api/dm/blocks/${aId}/`, bId)
  t.equal(block.status, 201, `${b.givenName} blocks ${a.givenName}: 201`, { body: block.body, ...logs() })
  const refused = await call(server, 'POST', `/api/dm/send/${bId}/`, aId, { content: 'Still there?' })
  t.equal(refused.status, 400, `then ${a.givenName} cannot send to ${b.givenName}: 400`, { body: refused.body })

  // The guards `fastify-directmessages guards` added hold whatever writes the rows.
  await t.rejects(sql.query('INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content) VALUES (?, ?, ?, ?, ?)', [aId, aId, aId, aId, 'me to me']),
    host.provider === 'mysql' ? /dm_message_not_to_self/ : /check constraint/i, 'the database refuses a message to oneself')
  await t.rejects(sql.query('INSERT INTO dm_block (blocker_id, blocked_id) VALUES (?, ?)', [aId, aId]),
    host.provider === 'mysql' ? /dm_block_not_self/ : /check constraint/i, 'and a self-block')
}

// ---------------------------------------------------------------------------------------------
// The README's strict TypeScript example, type-checked in the host

const README_MARKER = '<!-- strict-example -->'
const README_USER_ID = 'getUserId: (request) => request.user?.id'
const README_WRONG_USER_ID = 'getUserId: (request) => request.user'

/** The ```ts block right after README's `<!-- strict-example -->` line, verbatim. */
function readmeStrictExample (): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const lines = readme.split(/\r?\n/)
  const at = lines.findIndex((line) => line.trim() === README_MARKER)
  if (at === -1) throw new Error(`README.md has no line ${README_MARKER}`)
  if (lines[at + 1]?.trim() !== '```ts') throw new Error(`README.md: the line after ${README_MARKER} is not a \`\`\`ts fence (it is ${JSON.stringify(lines[at + 1])})`)
  const end = lines.findIndex((line, i) => i > at + 1 && line.trim() === '```')
  if (end === -1) throw new Error(`README.md: the \`\`\`ts block after ${README_MARKER} is never closed`)
  const block = lines.slice(at + 2, end).join('\n') + '\n'
  if (block.trim() === '') throw new Error(`README.md: the \`\`\`ts block after ${README_MARKER} is empty`)
  return block
}

/** tsc's diagnostics (`--pretty false`): `src/x.ts(12,3): error TS2322: ...` lines, as { file, line }. */
const diagnosticsOf = (output: string): Array<{ file: string, line: number }> =>
  [...output.matchAll(/^(\S+)\((\d+),\d+\): error TS\d+:/gm)].map((match) => ({ file: match[1] as string, line: Number(match[2]) }))

interface Typechecked { example: string, negative: string, checked: Ran, refused: Ran }

/**
 * README promises its strict example "compiles as written (`tsc --strict`, `module: nodenext`; a
 * test checks it) in a project whose `./prisma.js` exports its `PrismaClient`, generated from the
 * schema that `fastify-directmessages schema` wrote". This is that project: a TypeScript folder in
 * the ESM host (which has just run the CLI and `prisma generate`), its src/server.ts the README's
 * block verbatim, its src/prisma.ts a real `new PrismaClient({ adapter })` of the host's generated
 * client, type-checked by this repository's tsc against the installed tarball's declarations; and
 * a negative control, the same file with the user object in place of its id. Both tsc runs at once.
 */
async function typecheckReadme (host: Host): Promise<Typechecked> {
  const example = readmeStrictExample()
  const negative = example.replace(README_USER_ID, README_WRONG_USER_ID)

  const dir = join(host.dir, 'typescript')
  mkdirSync(join(dir, 'src'), { recursive: true })
  // ESM, as the example's top-level await needs; the host's node_modules is its parent's.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'host-typescript', private: true, type: 'module' }, null, 2))
  // The type packages a TypeScript host has beside its dependencies, linked from this repository's
  // install into the host's node_modules (where the adapter's declarations look for better-sqlite3's;
  // the compiler follows the links, and finds undici-types beside @types/node there).
  for (const types of ['node', 'better-sqlite3']) {
    const link = join(host.dir, 'node_modules', '@types', types)
    mkdirSync(join(link, '..'), { recursive: true })
    if (!existsSync(link)) symlinkSync(join(root, 'node_modules', '@types', types), link, 'dir')
  }
  // No skipLibCheck: the installed declarations (the tarball's, the generated client's) are checked
  // too. `lib` as a Node project has it: the default for ES2022 adds the DOM's, a third of the time.
  const compilerOptions = {
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'ES2022',
    lib: ['ES2022'],
    types: ['node'],
    noEmit: true
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['src/server.ts'] }, null, 2))
  writeFileSync(join(dir, 'tsconfig.negative.json'), JSON.stringify({ compilerOptions, files: ['src/server-negative.ts'] }, null, 2))
  writeFileSync(join(dir, 'src', 'prisma.ts'), `import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaClient } from '../../generated/prisma/index.js'

const adapter = new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? 'file:./dev.db' })
export const prisma = new PrismaClient({ adapter })
`)
  writeFileSync(join(dir, 'src', 'server.ts'), example)
  writeFileSync(join(dir, 'src', 'server-negative.ts'), negative)

  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const env = hostEnv()
  const [checked, refused] = await Promise.all([
    run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false', '--listFiles'], dir, env),
    run(process.execPath, [tsc, '-p', 'tsconfig.negative.json', '--pretty', 'false'], dir, env)
  ])
  return { example, negative, checked, refused }
}

function assertTypechecked (t: Test, { example, negative, checked, refused }: Typechecked): void {
  // Its output without the --listFiles lines (absolute paths; diagnostics' paths are relative).
  const output = (ran: Ran): string => (ran.stdout + ran.stderr).split('\n')
    .filter((line) => !(line.startsWith('/') && /\.[cm]?ts$/.test(line))).join('\n')

  t.equal(checked.code, 0, `tsc --strict (nodenext) accepts the README example as written: ${seconds(checked.ms)}`,
    { tsc: output(checked).slice(-5000) })
  const files = checked.stdout.split('\n')
  t.ok(files.some((file) => file.endsWith('/node_modules/fastify-directmessages/dist/index.d.ts')),
    'against the installed tarball\'s declarations (node_modules/fastify-directmessages/dist)')
  t.notOk(files.some((file) => file.startsWith(join(root, 'src')) || file.startsWith(join(root, 'dist'))), 'not this repository\'s src/ or dist/')
  t.ok(files.some((file) => file.endsWith('/generated/prisma/index.d.ts')), 'and the host\'s generated client')

  t.ok(example.includes(README_USER_ID), `the README example has \`${README_USER_ID}\`, for the negative control`)
  t.not(refused.code, 0, `the negative control (\`${README_WRONG_USER_ID}\`) fails tsc: ${seconds(refused.ms)}`)
  const line = negative.split('\n').findIndex((text) => text.includes(README_WRONG_USER_ID)) + 1
  const errors = diagnosticsOf(refused.stdout)
  t.ok(errors.length > 0 && errors.every((error) => error.file === 'src/server-negative.ts' && error.line === line),
    `its errors are all at its getUserId line (${line}), none elsewhere`, { tsc: refused.stdout.slice(-5000) })
  t.match(refused.stdout, /Type '\{ id: number; \}' is not assignable to type '[^']*\bUserId\b/,
    'because the user object is not a UserId', { tsc: refused.stdout.slice(-5000) })
}

// ---------------------------------------------------------------------------------------------
// 5. The runs

const ADA: Person = { handle: 'ada', givenName: 'Ada', familyName: 'Lovelace' }
const GRACE: Person = { handle: 'grace', givenName: 'Grace', familyName: 'Hopper' }
const ALAN: Person = { handle: 'alan', givenName: 'Alan', familyName: 'Turing' }
const BARBARA: Person = { handle: 'barbara', givenName: 'Barbara', familyName: 'Liskov' }

const timing = (times: Record<string, number>): string => Object.entries(times).map(([step, ms]) => `${step} ${seconds(ms)}`).join(', ')

/** The ESM host, from nothing to messages: the five commands, then its server. */
async function esmHost (t: Test, host: Host): Promise<void> {
  const started = performance.now()
  const times = await adopt(t, host)
  // The README's strict example, type-checked (SQLite: its provider) while the server is tested:
  // tsc is CPU, the server's tests mostly wait. Its outcome, an error included, is the subtest's.
  const typecheck = host.provider === 'sqlite'
    ? typecheckReadme(host).then((result) => ({ result }), (error: unknown) => ({ error }))
    : undefined

  // Registered without userFields.id, the plugin would query a field `id` the model lacks: the
  // start-up check refuses to serve and says which option to set (not a 500 at the first request).
  const wrong = await run(process.execPath, ['server-without-id-field.js'], host.dir, commandEnv(host))
  t.not(wrong.code, 0, 'without userFields.id the server does not start')
  t.match(wrong.stdout + wrong.stderr, /FST_DM_SCHEMA_MISMATCH/, 'ready() fails with FST_DM_SCHEMA_MISMATCH')
  t.match(wrong.stdout + wrong.stderr, /userFields\.id/, 'naming the option userFields.id')

  const starting = performance.now()
  const server = await start(t, host)
  times['server start'] = performance.now() - starting
  await exercise(t, host, server, ADA, GRACE)
  if (typecheck !== undefined) {
    await t.test('the README strict TypeScript example type-checks in this host', async (t) => {
      const outcome = await typecheck
      if ('error' in outcome) throw outcome.error
      assertTypechecked(t, outcome.result)
    })
  }
  t.comment(`ESM × ${host.provider}: ${seconds(performance.now() - started)} (${timing(times)})`)
}

/**
 * The CommonJS host, on the database the ESM host migrated: its prisma/ folder is the ESM host's
 * (the schema as `fastify-directmessages schema` wrote it, the guarded migration), so it runs
 * `schema --check` and `prisma generate` (which loads its prisma.config.ts in a "type": "commonjs"
 * project) but not the migration again. Four runs from nothing took too long beside the rest of
 * the suite on two cores; what differs for a CommonJS host is its config, require() and its server.
 */
async function cjsHost (t: Test, host: Host, esm: Host): Promise<void> {
  const started = performance.now()
  const times: Record<string, number> = {}
  cpSync(join(esm.dir, 'prisma'), join(host.dir, 'prisma'), { recursive: true, filter: (path) => !path.endsWith('.db') })
  const env = commandEnv(host)
  const check = await run(bin(host, 'fastify-directmessages'), ['schema', '--user-model', 'Account', '--check'], host.dir, env)
  times['schema --check'] = check.ms
  ok(t, check, 'fastify-directmessages schema --check: exit 0, up to date')
  const generate = await run(bin(host, 'prisma'), ['generate'], host.dir, env)
  times.generate = generate.ms
  if (!ok(t, generate, 'prisma generate: exit 0')) throw new Error('prisma generate failed')

  // What require() gives a CommonJS host (Node 20.19+ loads the ESM package synchronously).
  const probe = await run(process.execPath, ['-e', `const m = require('fastify-directmessages')
console.log(JSON.stringify({ kind: Object.prototype.toString.call(m), esModule: m.__esModule, default: typeof m.default, named: m.directMessages === m.default }))`], host.dir, env)
  ok(t, probe, "require('fastify-directmessages') loads")
  t.same(JSON.parse(probe.stdout), { kind: '[object Module]', esModule: true, default: 'function', named: true },
    'it returns the module namespace: the plugin is .default and .directMessages; register() takes the namespace itself')
  t.equal(probe.stderr, '', 'with no warning')

  const starting = performance.now()
  const server = await start(t, host)
  times['server start'] = performance.now() - starting
  await exercise(t, host, server, ALAN, BARBARA)
  t.comment(`CommonJS × ${host.provider}: ${seconds(performance.now() - started)} (${timing(times)})`)
}

t.test('host projects adopt the packed plugin', async (t) => {
  const started = performance.now()
  const postgres = await postgresReachable()
  if (!postgres && process.env.CI === 'true') throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is unreachable; on CI the PostgreSQL tests must run`)
  const mysql = await mysqlReachable()
  if (!mysql && process.env.CI === 'true') throw new Error(`MySQL/MariaDB at ${MYSQL_ADMIN_URL} is unreachable; on CI the MySQL tests must run`)

  const tarball = await packTarball(t)
  const install = await installOnce(t, tarball)

  // The two providers side by side: much of a run is waiting (Prisma 6.19's `migrate deploy` on
  // PostgreSQL lingers ~10 s on a timer of its WebAssembly engine before it exits).
  await t.test('SQLite, PostgreSQL and MySQL', { jobs: 2 }, async (t) => {
    for (const provider of ['sqlite', 'postgresql', 'mysql'] as const) {
      const name = { sqlite: 'SQLite', postgresql: 'PostgreSQL', mysql: 'MySQL (MariaDB)' }[provider]
      if (provider === 'postgresql' && !postgres) {
        t.test(name, { skip: `PostgreSQL at ${PG_ADMIN_URL} is unreachable (set DM_TEST_PG_URL)` }, async () => {})
        continue
      }
      if (provider === 'mysql' && !mysql) {
        t.test(name, { skip: `MySQL/MariaDB at ${MYSQL_ADMIN_URL} is unreachable (set DM_TEST_MYSQL_URL)` }, async () => {})
        continue
      }
      t.test(name, { buffered: true }, async (t) => {
        const databaseUrl = await createDatabase(t, provider)
        const esm = writeHost(install, join(work, `host-esm-${provider}`), 'esm', provider, databaseUrl)
        const cjs = writeHost(install, join(work, `host-cjs-${provider}`), 'cjs', provider, databaseUrl)
        await t.test(`ESM host × ${name}`, (t) => esmHost(t, esm))
        await t.test(`CommonJS host × ${name}, same database`, (t) => cjsHost(t, cjs, esm))
      })
    }
  })
  t.comment(`total: ${seconds(performance.now() - started)}`)
})
