// Prisma CLI configuration for the SQLite schema and migrations (the example's default database).
// Runs without native engines: the driver adapter and the WebAssembly schema engine.
import { defineConfig } from 'prisma/config'
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'

process.env.DATABASE_URL ??= 'file:./dev.db'
const url = process.env.DATABASE_URL

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: './sqlite/schema.prisma',
  migrations: { path: './sqlite/migrations' },
  async adapter () {
    return new PrismaBetterSQLite3({ url })
  }
})
