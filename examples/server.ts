/**
 * `npm start`: migrates the database and serves the example application.
 *
 * Environment: DATABASE_URL (default file:./dev.db; a postgresql:// URL uses PostgreSQL),
 * HOST (default 127.0.0.1), PORT (default 3000), DM_ALLOWED_RECIPIENTS (e.g. 1,2,3),
 * DM_BUS (memory | postgres | redis) and REDIS_URL (default redis://127.0.0.1:6379).
 */
import { buildApp, busFromEnvironment, parseAllowedRecipients } from './app.js'
import { createPrisma, DEFAULT_DATABASE_URL, migrate } from './database.js'

const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL
const host = process.env.HOST ?? '127.0.0.1'
const port = Number(process.env.PORT ?? 3000)

await migrate(databaseUrl)
const prisma = await createPrisma(databaseUrl)
const app = await buildApp({
  prisma,
  allowedRecipients: parseAllowedRecipients(process.env.DM_ALLOWED_RECIPIENTS),
  directMessages: { bus: busFromEnvironment(process.env.DM_BUS, databaseUrl, process.env.REDIS_URL) },
  logger: { level: process.env.LOG_LEVEL ?? 'info' }
})
app.addHook('onClose', async () => { await prisma.$disconnect() })

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'shutting down')
    app.close().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  })
}

await app.listen({ host, port })
app.log.info(`API under http://${host}:${port}/api/dm/, documentation at http://${host}:${port}/docs`)
