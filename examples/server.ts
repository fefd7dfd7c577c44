/**
 * `npm start`: migrates the database and serves the example application.
 *
 * Environment: DATABASE_URL (default file:./dev.db, or file:./dev-string.db with string ids; a
 * postgresql:// URL uses PostgreSQL, a mysql:// one MySQL or MariaDB),
 * HOST (default 127.0.0.1), PORT (default 3000), DM_ALLOWED_RECIPIENTS (e.g. 1,2,3),
 * DM_BUS (memory | postgres | redis), REDIS_URL (default redis://127.0.0.1:6379),
 * DM_PRESENCE_TIMEOUT (milliseconds, the `presenceTimeout` option),
 * DM_USER_ID_TYPE (integer | string: string cuids as user ids),
 * DM_DRIVER (1: the plugin's `driver` option, the fast path, on the database's own driver), and
 * the attachments': DM_STORAGE (local | s3), DM_ATTACHMENTS_DIR (default ./dm-attachments),
 * DM_ATTACHMENT_URL_TTL and DM_ATTACHMENT_UPLOAD_TTL (milliseconds), DM_ATTACHMENT_SECRET, and
 * with DM_STORAGE=s3 DM_S3_BUCKET, DM_S3_ENDPOINT, DM_S3_REGION, DM_S3_ACCESS_KEY_ID and
 * DM_S3_SECRET_ACCESS_KEY (see attachmentsFromEnvironment in app.ts). A wrong value stops the
 * server before it starts, with a message naming the variable.
 */
import closeWithGrace from 'close-with-grace'
import { attachmentsFromEnvironment, buildApp, busFromEnvironment, parseAllowedRecipients, parseUserIdType } from './app.js'
import pg from 'pg'
import { createDriver, createPrisma, DEFAULT_DATABASE_URL, migrate } from './database.js'

const host = process.env.HOST ?? '127.0.0.1'
const port = Number(process.env.PORT ?? 3000)

const userIdType = parseUserIdType(process.env.DM_USER_ID_TYPE)
// Each kind of user id has its own schema: its own default SQLite file too.
const databaseUrl = process.env.DATABASE_URL ?? (userIdType === 'string' ? 'file:./dev-string.db' : DEFAULT_DATABASE_URL)
const allowedRecipients = parseAllowedRecipients(process.env.DM_ALLOWED_RECIPIENTS, userIdType)
// Read before anything starts: a wrong value stops the server at once.
const attachments = await attachmentsFromEnvironment(process.env)

await migrate(databaseUrl, userIdType)
// With DM_DRIVER=1, the Prisma adapter (on PostgreSQL) and the plugin share one pool; on MySQL
// the adapter keeps a pool of its own beside the plugin's.
const driver = process.env.DM_DRIVER === '1' ? await createDriver(databaseUrl) : undefined
const prisma = await createPrisma(databaseUrl, { userIdType, ...(driver instanceof pg.Pool ? { pool: driver } : {}) })
const app = await buildApp({
  prisma,
  ...(driver === undefined ? {} : { driver }),
  userIdType,
  allowedRecipients,
  directMessages: {
    ...attachments.options,
    bus: busFromEnvironment(process.env.DM_BUS, databaseUrl, process.env.REDIS_URL),
    ...(process.env.DM_PRESENCE_TIMEOUT === undefined ? {} : { presenceTimeout: Number(process.env.DM_PRESENCE_TIMEOUT) })
  },
  logger: { level: process.env.LOG_LEVEL ?? 'info' }
})
app.addHook('onClose', async () => {
  // Disconnecting ends the pool the adapter was given; a SQLite driver is closed here.
  await prisma.$disconnect()
  if (driver !== undefined && !(driver instanceof pg.Pool)) {
    if ('prepare' in driver) driver.close()
    else await driver.end()
  }
  attachments.close()
})

// SIGTERM/SIGINT: stop accepting, let in-flight requests finish (at most 10 s), end the event
// streams, close the bus and the database, exit 0.
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'closing after an error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})

// A long accept queue: thousands of event streams reconnecting at once (after a network drop or a
// deploy) would overflow Node's default of 511 and be reset by the kernel.
await app.listen({ host, port, backlog: 4096 })
app.log.info(`API under http://${host}:${port}/api/dm/, documentation at http://${host}:${port}/docs`)
