// Prisma CLI configuration for the PostgreSQL schema and migrations.
// Runs without native engines: the driver adapter and the WebAssembly schema engine.
import { defineConfig } from 'prisma/config'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'

process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/directmessages'
const url = new URL(process.env.DATABASE_URL)
// DM_USER_ID_TYPE=string: the variant whose User.id (and every user id) is a string.
const variant = process.env.DM_USER_ID_TYPE === 'string' ? 'postgresql-string' : 'postgresql'

// The schema engine reads catalog columns of types `name` (OID 19) and `"char"` (OID 18), which
// the adapter cannot deserialise; report them as text (and their arrays as text[]). CLI only.
interface FieldDescription { dataTypeID: number }
const result = pg.Result.prototype as unknown as { addFields(fields: FieldDescription[]): void }
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
  schema: `./${variant}/schema.prisma`,
  migrations: { path: `./${variant}/migrations` },
  async adapter () {
    // Discrete fields, not a connection string: `migrate dev` derives its shadow database by
    // replacing `database`. A short idle timeout lets it drop that database afterwards.
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
