/**
 * What the features share, built once when the plugin is registered: the options, the database
 * (through the host's Prisma client or its driver) and its dialect, the host's users, the write
 * path, pagination, and the event hub.
 */
import type { FastifyBaseLogger } from 'fastify'
import { AttachmentUrls } from '../attachments/urls.js'
import type { Database } from '../db/database.js'
import { prismaDatabase } from '../db/prisma.js'
import type { Dialect } from '../dialect/dialect.js'
import { dialectOf } from '../dialect/index.js'
import type { EventHub } from '../domain/events.js'
import type { ResolvedOptions } from '../options.js'
import type { BusEvent } from '../realtime/bus.js'
import { Callers } from './callers.js'
import { Pages } from './pages.js'
import { Users, type UserIdOf } from './users.js'
import { Writes } from './write.js'

export interface Context {
  readonly options: ResolvedOptions
  readonly dialect: Dialect
  /** Where the plugin's statements run: the Prisma client, or the `driver`. */
  readonly db: Database
  /** The Prisma client as a Database (the same as `db` unless the plugin runs on the `driver`). */
  readonly viaPrisma: Database
  /** Reads a user id column. */
  readonly uid: UserIdOf
  readonly users: Users
  readonly callers: Callers
  readonly writes: Writes
  readonly pages: Pages
  readonly events: EventHub
  /** Sends an event to the streams of every instance, for what is not a write (typing). */
  readonly publish: (event: BusEvent) => void
  readonly log: FastifyBaseLogger
  /** Signs the URLs of attachments (the routes set its base path). */
  readonly attachmentUrls: AttachmentUrls
}

export function createContext (options: ResolvedOptions, events: EventHub, publish: (event: BusEvent) => void, log: FastifyBaseLogger): Context {
  const { prisma, databaseTimeout: ms } = options
  const dialect = dialectOf(options.provider)
  const viaPrisma = prismaDatabase(prisma, dialect, ms)
  const db = options.driver === null ? viaPrisma : dialect.driver.database(options.driver, ms)
  const uid: UserIdOf = options.userIdType === 'string' ? String : Number
  const users = new Users(options, db, dialect, uid)
  return {
    options,
    dialect,
    db,
    viaPrisma,
    uid,
    users,
    callers: new Callers(users, log, options.userModel),
    writes: new Writes(db, dialect, events, publish, log),
    pages: new Pages(options.cursorSecret),
    events,
    publish,
    log,
    attachmentUrls: new AttachmentUrls(options.attachmentSecret)
  }
}
