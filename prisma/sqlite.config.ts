// Prisma CLI configuration for the SQLite schemas and migrations (the example's default database).
// Runs without native engines: the driver adapter and the WebAssembly schema engine.
import { defineConfig } from 'prisma/config'
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'

process.env.DATABASE_URL ??= 'file:./dev.db'
const url = process.env.DATABASE_URL
// DM_USER_ID_TYPE=string: the variant whose User.id (and every user id) is a string.
const variant = process.env.DM_USER_ID_TYPE === 'string' ? 'sqlite-string' : 'sqlite'

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: `./${variant}/schema.prisma`,
  migrations: { path: `./${variant}/migrations` },
  async adapter () {
    return new PrismaBetterSQLite3({ url })
  }
})
