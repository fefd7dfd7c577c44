// The migration histories must not drift from the models: a database migrated by
// `prisma migrate deploy` must have exactly the tables, columns, indexes and keys of a database
// created from the schema itself (`prisma migrate diff --from-empty`). Both are real CLI runs.
// The CHECK constraints the migrations add by hand (Prisma does not model them) must be there too.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import mariadb from 'mariadb'
import pg from 'pg'
import t from 'tap'
import { migrate, variantOf, type Provider, type UserIdType } from '../../examples/database.js'
import { schemaFor } from '../../scripts/prisma-schemas.mjs'
import { MYSQL_ADMIN_URL, mysqlReachable, PG_ADMIN_URL, postgresReachable } from '../helpers/databases.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const cli = createRequire(import.meta.url).resolve('prisma/build/index.js')
const CHECKS = ['dm_message_not_to_self', 'dm_message_pair', 'dm_conversation_not_with_self', 'dm_conversation_unread_not_negative', 'dm_block_not_self']

/** The SQL that creates the schema's database from nothing, as the Prisma CLI writes it. */
function schemaScript (provider: Provider, userIdType: UserIdType, databaseUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dm-schema-'))
  const schema = join(dir, 'schema.prisma')
  writeFileSync(schema, schemaFor(variantOf(provider, userIdType) as Parameters<typeof schemaFor>[0]))
  const run = spawnSync(process.execPath, [cli, 'migrate', 'diff', '--config', `prisma/${provider}.config.ts`, '--from-empty', '--to-schema-datamodel', schema, '--script'], {
    cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl, DM_USER_ID_TYPE: userIdType, CHECKPOINT_DISABLE: '1' }, encoding: 'utf8'
  })
  rmSync(dir, { recursive: true, force: true })
  if (run.status !== 0) throw new Error(`prisma migrate diff failed: ${run.stderr}`)
  return run.stdout
}

function sqliteStructure (file: string): { structure: unknown, checks: string[] } {
  const db = new Database(file, { readonly: true })
  const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name").all() as Array<{ name: string, sql: string }>
  const structure = tables.map(({ name }) => ({
    table: name,
    columns: db.prepare(`PRAGMA table_info("${name}")`).all(),
    indexes: (db.prepare(`PRAGMA index_list("${name}")`).all() as Array<{ name: string, unique: number, origin: string }>)
      .map((index) => ({ ...index, columns: db.prepare(`PRAGMA index_xinfo("${index.name}")`).all() }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    foreignKeys: db.prepare(`PRAGMA foreign_key_list("${name}")`).all()
  }))
  const checks = CHECKS.filter((check) => tables.some((table) => table.sql.includes(`"${check}" CHECK`)))
  db.close()
  return { structure, checks }
}

async function postgresStructure (url: string): Promise<{ structure: unknown, checks: string[] }> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const columns = await client.query(`SELECT table_name, column_name, data_type, is_nullable, column_default, ordinal_position
    FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1, 2`)
  const indexes = await client.query(`SELECT tablename, indexname, indexdef FROM pg_indexes
    WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1, 2`)
  const keys = await client.query(`SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'u', 'f')
      AND conrelid::regclass::text <> '_prisma_migrations' ORDER BY 1, 2`)
  const checks = await client.query("SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype = 'c' ORDER BY 1")
  await client.end()
  return {
    structure: { columns: columns.rows, indexes: indexes.rows, keys: keys.rows },
    checks: CHECKS.filter((check) => checks.rows.some((row: { conname: string }) => row.conname === check))
  }
}

for (const userIdType of ['integer', 'string'] as const) {
  t.test(`the SQLite migration history matches the models (${userIdType} user ids)`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'dm-drift-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const migrated = join(dir, 'migrated.db')
    await migrate(`file:${migrated}`, userIdType)
    const fromSchema = join(dir, 'schema.db')
    const db = new Database(fromSchema)
    db.exec(schemaScript('sqlite', userIdType, `file:${fromSchema}`))
    db.close()
    const actual = sqliteStructure(migrated)
    t.same(actual.structure, sqliteStructure(fromSchema).structure, 'prisma migrate deploy builds what the schema describes')
    t.same(actual.checks, CHECKS, 'the CHECK constraints are in place')
  })
}

for (const userIdType of ['integer', 'string'] as const) {
  t.test(`the PostgreSQL migration history matches the models (${userIdType} user ids)`, async (t) => {
    if (!(await postgresReachable())) {
      if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is unreachable; on CI the PostgreSQL tests must run`)
      t.test('PostgreSQL', { skip: `PostgreSQL at ${PG_ADMIN_URL} is unreachable` }, async () => {})
      return
    }
    const names = [`dm_drift_migrated_${userIdType}_${process.pid}`, `dm_drift_schema_${userIdType}_${process.pid}`]
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
    await admin.connect()
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name}`)
    t.teardown(async () => {
      for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await admin.end()
    })
    const urlOf = (name: string): string => Object.assign(new URL(PG_ADMIN_URL), { pathname: `/${name}` }).toString()
    const [migratedUrl, schemaUrl] = names.map(urlOf) as [string, string]
    await migrate(migratedUrl, userIdType) // creates the database, then runs prisma migrate deploy
    await admin.query(`CREATE DATABASE ${names[1] as string}`)
    const client = new pg.Client({ connectionString: schemaUrl })
    await client.connect()
    await client.query(schemaScript('postgresql', userIdType, schemaUrl))
    await client.end()
    const actual = await postgresStructure(migratedUrl)
    t.same(actual.structure, (await postgresStructure(schemaUrl)).structure, 'prisma migrate deploy builds what the schema describes')
    t.same(actual.checks, CHECKS, 'the CHECK constraints are in place')
    const id = await new pg.Client({ connectionString: migratedUrl })
    await id.connect()
    const type = await id.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'dm_message' AND column_name = 'id'")
    await id.end()
    t.equal(type.rows[0]?.data_type, 'bigint', 'message ids are 64-bit')
  })
}

t.test('the README installs the models with the command, not with a copy of them', async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  t.ok(readme.includes([
    'npm install fastify-directmessages',
    'npx fastify-directmessages schema'
  ].join('\n')), 'the five commands start with the install and the schema command')
  t.notOk(/^model DirectMessage \{/m.test(readme), 'no hand-copied model to drift from the declared tables')
})

t.test('the provider schemas on disk are generated from the models', async (t) => {
  for (const variant of ['sqlite', 'postgresql', 'mysql', 'sqlite-string', 'postgresql-string', 'mysql-string'] as const) {
    const onDisk = readFileSync(join(root, 'prisma', variant, 'schema.prisma'), 'utf8')
    t.equal(onDisk, schemaFor(variant), `prisma/${variant}/schema.prisma is current (npm run prisma:generate)`)
  }
})

/** A structure both catalogs can describe: columns (nullability, a type family), indexes and foreign keys. */
interface Portable {
  columns: string[]
  indexes: string[]
  foreignKeys: string[]
}

/** A column type as a family both databases share: PostgreSQL's or MySQL's name in, one word out. */
function family (type: string): string {
  const name = type.toLowerCase()
  if (name === 'bigint') return 'bigint'
  if (name === 'integer' || name === 'int') return 'int'
  if (name === 'boolean' || name === 'tinyint') return 'boolean'
  if (name.startsWith('timestamp') || name === 'datetime') return 'datetime'
  if (/^(text|mediumtext|varchar|character varying)$/.test(name)) return 'text'
  return name
}

async function postgresPortable (url: string): Promise<Portable> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const columns = await client.query<{ table_name: string, column_name: string, is_nullable: string, data_type: string }>(`SELECT table_name, column_name, is_nullable, data_type
    FROM information_schema.columns WHERE table_schema = 'public' AND table_name LIKE 'dm\\_%'`)
  const indexes = await client.query<{ tablename: string, indexname: string, indexdef: string }>("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename LIKE 'dm\\_%'")
  const keys = await client.query<{ table_name: string, conname: string, definition: string }>(`SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype = 'f' AND conrelid::regclass::text LIKE 'dm\\_%'`)
  await client.end()
  const unquote = (list: string): string => list.split(',').map((name) => name.trim().replaceAll('"', '')).join(',')
  return {
    columns: columns.rows.map((row) => `${row.table_name}.${row.column_name} ${family(row.data_type)}${row.is_nullable === 'YES' ? ' null' : ''}`).sort(),
    indexes: indexes.rows.map((row) => {
      const [, unique, list] = /^CREATE (UNIQUE )?INDEX \S+ ON \S+ USING \w+ \((.*)\)$/.exec(row.indexdef) ?? []
      return `${row.tablename} ${row.indexname}${unique === undefined ? '' : ' unique'} (${unquote(list ?? row.indexdef)})`
    }).sort(),
    foreignKeys: keys.rows.map((row) => {
      const [, from, table, to, onDelete] = /^FOREIGN KEY \((.*)\) REFERENCES "?([^"(]+)"?\((.*)\)(?: ON UPDATE \w+)?(?: ON DELETE (\w+(?: \w+)?))?/.exec(row.definition) ?? []
      return `${row.table_name} ${row.conname} (${unquote(from ?? row.definition)}) -> ${table ?? ''}(${unquote(to ?? '')}) on delete ${(onDelete ?? 'NO ACTION').toLowerCase()}`
    }).sort()
  }
}

async function mysqlPortable (connection: mariadb.Connection, database: string): Promise<Portable> {
  const columns = await connection.query<Array<{ table_name: string, column_name: string, is_nullable: string, data_type: string }>>(`SELECT table_name AS table_name, column_name AS column_name, is_nullable AS is_nullable, data_type AS data_type
    FROM information_schema.columns WHERE table_schema = ? AND table_name LIKE 'dm\\_%'`, [database])
  const indexes = await connection.query<Array<{ table_name: string, index_name: string, non_unique: number | bigint, columns: string }>>(`SELECT table_name AS table_name, index_name AS index_name, MAX(non_unique) AS non_unique, GROUP_CONCAT(CONCAT(column_name, IF(collation = 'D', ' DESC', '')) ORDER BY seq_in_index) AS columns
    FROM information_schema.statistics WHERE table_schema = ? AND table_name LIKE 'dm\\_%' GROUP BY table_name, index_name`, [database])
  const keys = await connection.query<Array<{ table_name: string, constraint_name: string, columns: string, referenced_table_name: string, referenced: string, delete_rule: string }>>(`SELECT k.table_name AS table_name, k.constraint_name AS constraint_name, GROUP_CONCAT(k.column_name ORDER BY k.ordinal_position) AS columns,
      k.referenced_table_name AS referenced_table_name, GROUP_CONCAT(k.referenced_column_name ORDER BY k.ordinal_position) AS referenced, r.delete_rule AS delete_rule
    FROM information_schema.key_column_usage k
    JOIN information_schema.referential_constraints r ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name
    WHERE k.table_schema = ? AND k.table_name LIKE 'dm\\_%' AND k.referenced_table_name IS NOT NULL
    GROUP BY k.table_name, k.constraint_name, k.referenced_table_name, r.delete_rule`, [database])
  return {
    columns: columns.map((row) => `${row.table_name}.${row.column_name} ${family(row.data_type)}${row.is_nullable === 'YES' ? ' null' : ''}`).sort(),
    // MySQL names every primary key PRIMARY; Prisma's PostgreSQL name is <table>_pkey.
    indexes: indexes.map((row) => `${row.table_name} ${row.index_name === 'PRIMARY' ? `${row.table_name}_pkey` : row.index_name}${Number(row.non_unique) === 0 ? ' unique' : ''} (${row.columns})`).sort(),
    foreignKeys: keys.map((row) => `${row.table_name} ${row.constraint_name} (${row.columns}) -> ${row.referenced_table_name}(${row.referenced}) on delete ${row.delete_rule.toLowerCase()}`).sort()
  }
}

// The MySQL migrations are written by hand in the form Prisma's MySQL connector writes them (Prisma's
// CLI cannot diff MySQL schemas on these machines): the database they build must have the columns,
// indexes (by name), foreign keys (by name, with their ON DELETE) and nullability of the database
// Prisma itself builds from the same models on PostgreSQL, the native types the MySQL schema
// declares, and the guards.
for (const userIdType of ['integer', 'string'] as const) {
  t.test(`the MySQL migration history matches the models (${userIdType} user ids)`, async (t) => {
    if (!(await postgresReachable()) || !(await mysqlReachable())) {
      if (process.env.CI === 'true') throw new Error('PostgreSQL and MySQL/MariaDB must be reachable on CI')
      t.test('MySQL', { skip: `PostgreSQL at ${PG_ADMIN_URL} or MySQL/MariaDB at ${MYSQL_ADMIN_URL} is unreachable` }, async () => {})
      return
    }
    const name = `dm_drift_mysql_${userIdType}_${process.pid}`
    const pgName = `dm_drift_pg_for_mysql_${userIdType}_${process.pid}`
    const server = new URL(MYSQL_ADMIN_URL)
    const connection = await mariadb.createConnection({ host: server.hostname, port: Number(server.port || 3306), user: decodeURIComponent(server.username), password: decodeURIComponent(server.password) })
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
    await admin.connect()
    await connection.query(`DROP DATABASE IF EXISTS ${name}`)
    await admin.query(`DROP DATABASE IF EXISTS ${pgName}`)
    t.teardown(async () => {
      await connection.query(`DROP DATABASE IF EXISTS ${name}`)
      await connection.end()
      await admin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`)
      await admin.end()
    })
    await migrate(Object.assign(new URL(MYSQL_ADMIN_URL), { pathname: `/${name}` }).toString(), userIdType)
    await admin.query(`CREATE DATABASE ${pgName}`)
    const pgUrl = Object.assign(new URL(PG_ADMIN_URL), { pathname: `/${pgName}` }).toString()
    const client = new pg.Client({ connectionString: pgUrl })
    await client.connect()
    await client.query(schemaScript('postgresql', userIdType, pgUrl))
    await client.end()

    const actual = await mysqlPortable(connection, name)
    const expected = await postgresPortable(pgUrl)
    t.same(actual.columns, expected.columns, 'the same columns, type families and nullability as Prisma builds from the models')
    t.same(actual.indexes, expected.indexes, 'the same indexes, by name, unique or not, on the same columns')
    t.same(actual.foreignKeys, expected.foreignKeys, 'the same foreign keys, by name, with the same ON DELETE')

    // The native types the MySQL schema declares (@db.*), and Prisma's defaults for the others.
    const types = await connection.query<Array<{ column: string, type: string, charset: string | null, collation: string | null }>>(`SELECT CONCAT(table_name, '.', column_name) AS \`column\`, column_type AS type, character_set_name AS charset, collation_name AS collation
      FROM information_schema.columns WHERE table_schema = ? AND table_name LIKE 'dm\\_%'`, [name])
    const typeOf = new Map(types.map((row) => [row.column, row]))
    t.equal(typeOf.get('dm_message.id')?.type, 'bigint(20)', 'message ids are 64-bit')
    t.equal(typeOf.get('dm_message.content')?.type, 'mediumtext', 'content: @db.MediumText')
    t.equal(typeOf.get('dm_message.idempotency_key')?.type, 'varchar(255)', 'idempotency keys: @db.VarChar(255)')
    t.equal(typeOf.get('dm_reaction.emoji')?.type, 'varchar(64)', 'emojis: @db.VarChar(64)')
    t.equal(typeOf.get('dm_message.sent_at')?.type, 'datetime(3)', 'timestamps to the millisecond, as Prisma writes DateTime')
    t.equal(typeOf.get('dm_message.sender_id')?.type, userIdType === 'integer' ? 'int(11)' : 'varchar(191)', 'user ids as the user model\'s id')
    t.same(types.filter((row) => row.charset !== null && row.charset !== 'utf8mb4').map((row) => row.column), [], 'every text column is utf8mb4')
    t.same(types.filter((row) => /_bin$/.test(row.collation ?? '')).map((row) => row.column).sort(), ['dm_message.idempotency_key', 'dm_reaction.emoji'], 'keys and emojis compare by their bytes')
    const triggers = await connection.query<Array<{ name: string }>>('SELECT trigger_name AS name FROM information_schema.triggers WHERE trigger_schema = ? ORDER BY 1', [name])
    t.same(triggers.map((row) => row.name), CHECKS.flatMap((check) => [`${check}_insert`, `${check}_update`]).sort(), 'the guards are in place (as triggers)')
  })
}
