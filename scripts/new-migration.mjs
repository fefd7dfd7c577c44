// `npm run prisma:migration -- <name>`: writes, for each variant (provider and kind of user id), the migration that takes the
// models as committed (git HEAD: src/schema/tables.ts and prisma/example-user.prisma) to the models in the working tree,
// computed by `prisma migrate diff` between the two schemas (no database or shadow database needed).
// Review the SQL it writes; hand-written guards (CHECK constraints) go in by hand.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tsImport } from 'tsx/esm/api'
import { prismaDir, schemaFor, variants } from './prisma-schemas.mjs'

const name = process.argv[2]
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run prisma:migration -- <name_in_snake_case>')
  process.exit(2)
}
const git = (path) => execFileSync('git', ['show', `HEAD:${path}`], { encoding: 'utf8' })
const cli = createRequire(import.meta.url).resolve('prisma/build/index.js')
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14)
const work = mkdtempSync(join(tmpdir(), 'dm-migration-'))
try {
  // The declaration as committed (a module that imports nothing), loaded from a copy.
  writeFileSync(join(work, 'tables.ts'), git('src/schema/tables.ts'))
  const { TABLES: committed } = await tsImport(join(work, 'tables.ts'), import.meta.url)
  for (const [variant, { provider }] of Object.entries(variants)) {
    const before = join(work, `${variant}-before.prisma`)
    const after = join(work, `${variant}-after.prisma`)
    writeFileSync(before, schemaFor(variant, committed, git('prisma/example-user.prisma')))
    writeFileSync(after, schemaFor(variant, undefined, readFileSync(join(prismaDir, 'example-user.prisma'), 'utf8')))
    const diff = spawnSync(process.execPath, [cli, 'migrate', 'diff', '--config', join(prismaDir, `${provider}.config.ts`),
      '--from-schema-datamodel', before, '--to-schema-datamodel', after, '--script'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        CHECKPOINT_DISABLE: '1',
        DM_USER_ID_TYPE: variant.endsWith('-string') ? 'string' : 'integer',
        DATABASE_URL: provider === 'sqlite'
          ? 'file:./dev.db'
          : provider === 'mysql' ? 'mysql://root@127.0.0.1:3306/directmessages' : (process.env.DM_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres')
      }
    })
    if (diff.status !== 0 && provider === 'mysql') {
      // A schema engine without the MySQL connector cannot diff MySQL schemas.
      console.log(`${variant}: prisma migrate diff cannot run here (${diff.stderr.trim().split('\n').pop()}); write ` +
        `prisma/${variant}/migrations/${stamp}_${name}/migration.sql by hand in the form Prisma writes for MySQL ` +
        '(test/host/migrations.test.ts checks it against the models)')
      continue
    }
    if (diff.status !== 0) throw new Error(`prisma migrate diff (${variant}) failed:\n${diff.stderr}`)
    if (/^-- This is an empty migration\./m.test(diff.stdout) || diff.stdout.trim() === '') {
      console.log(`${variant}: no change`)
      continue
    }
    const dir = join(prismaDir, variant, 'migrations', `${stamp}_${name}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'migration.sql'), diff.stdout)
    console.log(`${variant}: wrote ${dir}/migration.sql`)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
