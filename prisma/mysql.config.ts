// Prisma CLI configuration for the MySQL/MariaDB schemas: `prisma generate` (the migrations of these
// variants are applied by the example and the tests themselves, see examples/database.ts: the
// WebAssembly schema engine has no MySQL connector, so the adapter here is never asked to migrate).
import { defineConfig } from 'prisma/config'
import { PrismaMariaDb } from '@prisma/adapter-mariadb'

process.env.DATABASE_URL ??= 'mysql://root@127.0.0.1:3306/directmessages'
const url = new URL(process.env.DATABASE_URL)
// DM_USER_ID_TYPE=string: the variant whose User.id (and every user id) is a string.
const variant = process.env.DM_USER_ID_TYPE === 'string' ? 'mysql-string' : 'mysql'

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: `./${variant}/schema.prisma`,
  migrations: { path: `./${variant}/migrations` },
  async adapter () {
    // (The type wants a factory that can also make a shadow database: only `migrate dev` would ask.)
    return new PrismaMariaDb({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username || 'root'),
      password: decodeURIComponent(url.password),
      database: decodeURIComponent(url.pathname.slice(1))
    }) as never
  }
})
