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
import pg from 'pg'
import t from 'tap'
import { migrate, variantOf, type Provider, type UserIdType } from '../../examples/database.js'
import { schemaFor } from '../../scripts/prisma-schemas.mjs'
import { PG_ADMIN_URL, postgresReachable } from '../helpers/databases.js'

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
  for (const variant of ['sqlite', 'postgresql', 'sqlite-string', 'postgresql-string'] as const) {
    const onDisk = readFileSync(join(root, 'prisma', variant, 'schema.prisma'), 'utf8')
    t.equal(onDisk, schemaFor(variant), `prisma/${variant}/schema.prisma is current (npm run prisma:generate)`)
  }
})
