/**
 * What the benchmarks (bench/bench.ts, bench/scale.ts, bench/streams.ts) share: their databases,
 * the servers under test, load and latency measurement, and reporting.
 *
 * The servers run in child processes of their own, so that the load generator does not share an
 * event loop with them: this file, forked with DM_BENCH_ROLE set, is that server.
 * - `plugin`: the example application (examples/app.ts: token lookup through Prisma, the plugin at
 *   /api/dm) on a PrismaClient whose adapter (PrismaPg, or PrismaMariaDb on a mysql:// URL) has a
 *   pool of DM_BENCH_POOL connections;
 * - `driver`: the same with the plugin's `driver` option on the database's own driver (a pg Pool
 *   shared with the Prisma adapter; a mariadb Pool on MySQL/MariaDB);
 * - `floor`: a bare Fastify application answering the same routes with the same JSON, doing the
 *   same work (the same token lookup, the same statements, the same writes of a send) with
 *   hand-written SQL on a `pg.Pool` or a `mariadb` Pool of DM_BENCH_POOL connections (a
 *   FloorStore per database). No ORM, no plugin, no schemas.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { cpus, loadavg } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import pg from 'pg'
import { buildApp } from '../examples/app.js'
import type { Connection as MariadbConnection, Pool as MariadbPool, PoolConfig as MariadbPoolConfig, PoolConnection as MariadbPoolConnection } from 'mariadb'
import { mariadbConfig, migrate, providerOf, type ExamplePrisma } from '../examples/database.js'

/** The server (maintenance) connection the benchmarks create their databases through. */
export const ADMIN_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'

/** The database of ADMIN_URL: PostgreSQL, or MySQL/MariaDB (a mysql:// URL). */
export type Engine = 'postgresql' | 'mysql'
export const ENGINE: Engine = (() => {
  const provider = providerOf(ADMIN_URL)
  if (provider === 'sqlite') throw new Error('DATABASE_URL must be a postgresql:// or mysql:// server URL')
  return provider
})()

/** `plugin`: the example app on Prisma; `driver`: the same with the `driver` option (the database's own driver); `floor`: bare Fastify + that driver. */
export type Role = 'plugin' | 'driver' | 'floor'

/** The five paths the issue measures, in the order they are run (reads first, then send). */
export const ENDPOINTS = ['GET /unread/', 'GET /conversations/unread/', 'GET /conversations/', 'GET /conversations/<id>/', 'POST /send/<id>/'] as const
export type Endpoint = typeof ENDPOINTS[number]

const started = Date.now()

/** A progress line, with the seconds since the script started. */
export function progress (message: string): void {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`)
}

/** The machine, and how busy it was over the last minute (other work skews the figures). */
export function machineNote (): string {
  return `${cpus().length} cores, load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`
}

/** Runs `fn` and logs how long it took. */
export async function timed<T> (label: string, fn: () => Promise<T>): Promise<{ value: T, ms: number }> {
  const start = performance.now()
  const value = await fn()
  const ms = performance.now() - start
  progress(`${label}: ${(ms / 1000).toFixed(1)} s`)
  return { value, ms }
}

/** The URL of database `name` on the server of ADMIN_URL. */
export function databaseUrl (name: string): string {
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

/** Drops database `name` (ending its connections), creates it again, and migrates it. */
export async function recreateDatabase (name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`)
  const url = databaseUrl(name)
  if (ENGINE === 'mysql') {
    // (migrate creates it, with the character set and collation the plugin wants.)
    const { default: mariadb } = await import('mariadb')
    const admin = await mariadb.createConnection({ ...mariadbConfig(ADMIN_URL, {}), database: undefined })
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`)
    } finally {
      await admin.end()
    }
  } else {
    const admin = new pg.Client({ connectionString: ADMIN_URL })
    await admin.connect()
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await admin.query(`CREATE DATABASE ${name}`)
    } finally {
      await admin.end()
    }
  }
  await migrate(url)
  return url
}

/** Runs `fn` with one connection to `url` (for seeding: temporary tables live as long as it). */
export async function withClient<T> (url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** MySQL/MariaDB: runs `fn` with one connection to `url` (for seeding). */
export async function withMariadb<T> (url: string, fn: (connection: MariadbConnection) => Promise<T>): Promise<T> {
  const { default: mariadb } = await import('mariadb')
  const connection = await mariadb.createConnection({ ...mariadbConfig(url, {}), queryTimeout: 0 })
  try {
    return await fn(connection)
  } finally {
    await connection.end()
  }
}

/**
 * MySQL/MariaDB: runs `fn` with a table `bench_seq` (column `g`) of the integers 1..`count` (a
 * cross join of digit tables: MariaDB has no generate_series, and caps recursion at 1,000 rows),
 * dropped afterwards. A real table: a temporary one cannot be read twice in one statement.
 */
export async function withSequence<T> (db: MariadbConnection, count: number, fn: () => Promise<T>): Promise<T> {
  const digits = Math.max(1, Math.ceil(Math.log10(count + 1)))
  await db.query('DROP TABLE IF EXISTS bench_digit, bench_seq')
  await db.query('CREATE TABLE bench_digit (n INT PRIMARY KEY)')
  await db.query('INSERT INTO bench_digit VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)')
  await db.query('CREATE TABLE bench_seq (g INT PRIMARY KEY)')
  const terms = Array.from({ length: digits }, (_, i) => `${10 ** i} * d${i}.n`).join(' + ')
  const from = Array.from({ length: digits }, (_, i) => `bench_digit d${i}`).join(' CROSS JOIN ')
  await db.query(`INSERT INTO bench_seq (g) SELECT 1 + ${terms} FROM ${from} WHERE ${terms} < ${count}`)
  try {
    return await fn()
  } finally {
    await db.query('DROP TABLE IF EXISTS bench_digit, bench_seq')
  }
}

/** A mariadb pool of `max` connections to `url`, with the example's bounds. */
export async function mariadbPool (url: string, max: number, options: Partial<MariadbPoolConfig> = {}): Promise<MariadbPool> {
  const { default: mariadb } = await import('mariadb')
  return mariadb.createPool({ ...mariadbConfig(url, {}), connectionLimit: max, ...options })
}

/**
 * The example application's PrismaClient, with a pool of `max` connections: on PostgreSQL the
 * adapter runs on `pool` when given; the MariaDB adapter always makes its own.
 */
export async function createBenchPrisma (url: string, max: number, pool?: pg.Pool): Promise<ExamplePrisma> {
  if (ENGINE === 'mysql') {
    const { PrismaMariaDb } = await import('@prisma/adapter-mariadb')
    const { PrismaClient } = await import('../examples/generated/mysql/index.js')
    const client: ExamplePrisma = new PrismaClient({ adapter: new PrismaMariaDb({ ...mariadbConfig(url, {}), connectionLimit: max }) })
    return client
  }
  const { PrismaPg } = await import('@prisma/adapter-pg')
  const { PrismaClient } = await import('../examples/generated/postgresql/index.js')
  const client: ExamplePrisma = new PrismaClient({ adapter: new PrismaPg(pool ?? { connectionString: url, max }) })
  return client
}

// ---------------------------------------------------------------------------------------------
// The floor: the same routes, the same work, hand-written SQL on pg.
// ---------------------------------------------------------------------------------------------

const AUTHORIZATION = /^(?:Token|Bearer)\s+([A-Za-z0-9_-]{1,128})$/i
const USER_ID = /^[1-9][0-9]{0,9}$/
/** The plugin's default cursor secret and format: the floor's cursors are the plugin's. */
const CURSOR_SECRET = 'fastify-directmessages'
const NEWEST = Number.MAX_SAFE_INTEGER
const PAGE_SIZE = 50

interface MessageRow {
  id: string
  sender_id: number
  recipient_id: number
  content: string
  sent_at: Date
  read_at: Date | null
  edited_at: Date | null
  unsent_at: Date | null
  reply_to_id: string | null
  reaction_count: number
  attachment_count: number
}

interface MessageJson {
  id: number
  sender: number
  recipient: number
  direction: 'in' | 'out'
  sent_at: string
  read_at: string | null
  content: string
  edited_at: string | null
  unsent_at: string | null
  reply_to: { id: number, sender: number, content: string, unsent: boolean } | null
  reactions: Array<{ emoji: string, count: number, me: boolean }>
  /** The floor serves no files (bench/attachments.ts adds them): `[]`, as the plugin answers a message without any. */
  attachments: unknown[]
}

/** What the plugin adds to a page's messages: the previews they answer and their reactions (only queried when some have them). */
interface Extras {
  previews: Map<string, { id: number, sender: number, content: string, unsent: boolean }>
  reactions: Map<string, Array<{ emoji: string, count: number, me: boolean }>>
}
const NO_EXTRAS: Extras = { previews: new Map(), reactions: new Map() }

type Direction = 'older' | 'newer'
interface Position { direction: Direction, key: number, first: boolean, size: number }
interface Page<T> { items: T[], next: string | null, previous: string | null }

class HttpError extends Error {
  constructor (readonly statusCode: number, message: string) {
    super(message)
  }
}

function toMessageJson (row: MessageRow, me: number, extras: Extras = NO_EXTRAS): MessageJson {
  const unsent = row.unsent_at !== null
  return {
    id: Number(row.id),
    sender: row.sender_id,
    recipient: row.recipient_id,
    direction: row.recipient_id === me ? 'in' : 'out',
    sent_at: row.sent_at.toISOString(),
    read_at: row.read_at === null ? null : row.read_at.toISOString(),
    content: unsent ? '' : row.content,
    edited_at: row.edited_at === null ? null : row.edited_at.toISOString(),
    unsent_at: unsent ? (row.unsent_at as Date).toISOString() : null,
    reply_to: unsent || row.reply_to_id === null ? null : extras.previews.get(row.reply_to_id) ?? null,
    reactions: unsent || row.reaction_count === 0 ? [] : extras.reactions.get(row.id) ?? [],
    attachments: []
  }
}

function mac (scope: string, payload: string): string {
  return createHmac('sha256', CURSOR_SECRET).update(scope).update('\n').update(payload).digest('base64url').slice(0, 22)
}

function encodeCursor (scope: string, direction: Direction, key: number): string {
  const payload = `${direction === 'older' ? 'o' : 'n'}:${key}`
  return `${Buffer.from(payload).toString('base64url')}.${mac(scope, payload)}`
}

function position (scope: string, query: { cursor?: string, page_size?: string }): Position {
  const size = query.page_size === undefined ? PAGE_SIZE : Number(query.page_size)
  if (!Number.isSafeInteger(size) || size < 1 || size > 100) throw new HttpError(400, 'page_size must be 1-100')
  if (query.cursor === undefined) return { direction: 'older', key: NEWEST, first: true, size }
  const parts = /^([A-Za-z0-9_-]{2,24})\.([A-Za-z0-9_-]{22})$/.exec(query.cursor)
  if (parts === null) throw new HttpError(400, 'Invalid cursor')
  const payload = Buffer.from(parts[1] as string, 'base64url').toString('latin1')
  if (!timingSafeEqual(Buffer.from(mac(scope, payload)), Buffer.from(parts[2] as string))) throw new HttpError(400, 'Invalid cursor')
  const fields = /^([on]):([1-9][0-9]{0,15})$/.exec(payload)
  if (fields === null) throw new HttpError(400, 'Invalid cursor')
  return { direction: fields[1] === 'o' ? 'older' : 'newer', key: Number(fields[2]), first: false, size }
}

/** `size + 1` rows in the page's direction to a newest-first page, as the plugin's service does. */
/**
 * The floor's page of `me`'s conversation with the request's partner, as the plugin answers it: the
 * page and the caller's conversation row in one statement, the page marked read (unless
 * `mark_read=false`), a partner that does not exist a 404, and the page's links.
 */
async function conversationPage (store: FloorStore, request: FastifyRequest, me: number): Promise<Page<MessageRow>> {
  const partner = idParam(request)
  const query = request.query as { cursor?: string, page_size?: string, mark_read?: string }
  const scope = `${me}|messages|${partner}`
  const at = position(scope, query)
  const page = await store.messagePage(me, partner, at)
  let rows = page.rows.sort(at.direction === 'older' ? (a, b) => Number(b.id) - Number(a.id) : (a, b) => Number(a.id) - Number(b.id))
  if (query.mark_read !== 'false' && page.unreadCount > 0) {
    const marked = await store.markRead(me, partner, page.lastMessageId, new Date())
    const readAt = new Map(marked.map((row) => [row.id, row.read_at]))
    rows = rows.map((row) => readAt.has(row.id) ? { ...row, read_at: readAt.get(row.id) ?? null } : row)
  }
  if (rows.length === 0 && me !== partner && !(await store.userExists(partner))) throw new HttpError(404, 'User not found')
  return paginate(scope, at, rows, (row) => Number(row.id))
}

function paginate<T> (scope: string, at: Position, rows: T[], keyOf: (item: T) => number): Page<T> {
  const more = rows.length > at.size
  const items = rows.slice(0, at.size)
  if (at.direction === 'newer') items.reverse()
  const newest = items[0]
  const oldest = items[items.length - 1]
  if (at.direction === 'older') {
    return {
      items,
      next: more && oldest !== undefined ? encodeCursor(scope, 'older', keyOf(oldest)) : null,
      previous: at.first ? null : encodeCursor(scope, 'newer', newest === undefined ? at.key - 1 : keyOf(newest))
    }
  }
  return {
    items,
    next: encodeCursor(scope, 'older', oldest === undefined ? at.key + 1 : keyOf(oldest)),
    previous: more && newest !== undefined ? encodeCursor(scope, 'newer', keyOf(newest)) : null
  }
}

function envelope<T, R> (request: FastifyRequest, page: Page<T>, present: (item: T) => R): { next: string | null, previous: string | null, results: R[] } {
  const base = `${request.protocol}://${request.host}${request.url.split('?', 1)[0] as string}`
  const pageSize = (request.query as { page_size?: string }).page_size
  const size = pageSize === undefined ? '' : `&page_size=${pageSize}`
  const link = (cursor: string | null): string | null => cursor === null ? null : `${base}?cursor=${encodeURIComponent(cursor)}${size}`
  return { next: link(page.next), previous: link(page.previous), results: page.items.map(present) }
}

function idParam (request: FastifyRequest): number {
  const id = (request.params as { id: string }).id
  if (!USER_ID.test(id)) throw new HttpError(400, 'params/id must be a positive integer')
  return Number(id)
}

/** A user as the floor answers partners. */
interface UserRow { id: number, username: string, first_name: string, last_name: string }
/** A row of the conversation list: the conversation row and its last message. */
type ListRow = MessageRow & { partner_id: number, last_message_id: string, unread_count: number, muted: boolean, archived: boolean }
interface UnreadRow { partner_id: number, last_message_id: string, unread_count: number, muted: boolean }
interface PreviewRow { id: string, sender_id: number, content: string, unsent_at: Date | null }
interface ReactionRow { message_id: string, emoji: string, count: number, me: boolean }
interface SendInput { low: number, high: number, sender: number, recipient: number, content: string, sentAt: Date }

/**
 * The floor's statements on one database: the work the plugin does there, hand-written for its
 * driver. buildFloor answers the routes from them, the same way whatever the database.
 */
export interface FloorStore {
  /** The example app's authentication: the caller's id from app_user by token. */
  caller(token: string): Promise<number | undefined>
  users(ids: number[]): Promise<UserRow[]>
  userExists(id: number): Promise<boolean>
  unread(me: number): Promise<{ count: number, unmuted: number }>
  previews(ids: string[]): Promise<PreviewRow[]>
  reactions(me: number, ids: string[]): Promise<ReactionRow[]>
  /** `at.size + 1` rows of the list in the page's direction, each with its partner when the statement reads it (undefined: look it up). */
  conversations(me: number, at: Position): Promise<Array<ListRow & { partner?: UserRow }>>
  unreadConversations(me: number): Promise<UnreadRow[]>
  /** `at.size + 1` messages in the page's direction (any order), and the reader's conversation row, read together. */
  messagePage(me: number, partner: number, at: Position): Promise<{ rows: MessageRow[], unreadCount: number, lastMessageId: number }>
  /** Marks read what `partner` sent `me` up to `upTo`; answers the changed rows. */
  markRead(me: number, partner: number, upTo: number, at: Date): Promise<MessageRow[]>
  /** The new message; null when a block refuses it; HttpError 404 when a participant is no user. */
  send(input: SendInput): Promise<MessageRow | null>
  close(): Promise<void>
}

// PostgreSQL (pg).

/** `timestamp without time zone` columns hold UTC wall-clock times (as Prisma writes them). */
const TIMESTAMP = 1114
const floorTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => oid === TIMESTAMP
    ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`)
    : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser
}

/** The floor's connection pool on PostgreSQL. */
export function floorPool (url: string, max: number): pg.Pool {
  return new pg.Pool({ connectionString: url, max, types: floorTypes })
}

const MESSAGE_COLUMNS = 'id, sender_id, recipient_id, content, sent_at, read_at, edited_at, unsent_at, reply_to_id, reaction_count, attachment_count'
const M_MESSAGE_COLUMNS = MESSAGE_COLUMNS.split(', ').map((column) => `m.${column}`).join(', ')

export function pgFloorStore (pool: pg.Pool): FloorStore {
  async function inTransaction<T> (fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }

  return {
    async caller (token) {
      const { rows } = await pool.query<{ id: number }>(
        'SELECT id FROM app_user WHERE token = $1', [token])
      return rows[0]?.id
    },
    async users (ids) {
      return (await pool.query<UserRow>('SELECT id, username, first_name, last_name FROM app_user WHERE id = ANY($1::int[])', [ids])).rows
    },
    async userExists (id) {
      return (await pool.query('SELECT id FROM app_user WHERE id = $1', [id])).rows.length > 0
    },
    async unread (me) {
      const { rows } = await pool.query<{ count: string | null, unmuted_count: string | null }>(
        'SELECT SUM(unread_count) AS count, SUM(CASE WHEN muted = false THEN unread_count ELSE 0 END) AS unmuted_count FROM dm_conversation WHERE owner_id = $1 AND unread_count > 0', [me])
      return { count: Number(rows[0]?.count ?? 0), unmuted: Number(rows[0]?.unmuted_count ?? 0) }
    },
    async previews (ids) {
      return (await pool.query<PreviewRow>('SELECT id, sender_id, content, unsent_at FROM dm_message WHERE id = ANY($1)', [ids])).rows
    },
    async reactions (me, ids) {
      const { rows } = await pool.query<{ message_id: string, emoji: string, count: string, me: string }>(
        `SELECT message_id, emoji, COUNT(*) AS count, MIN(id) AS first_id, SUM(CASE WHEN user_id = $1 THEN 1 ELSE 0 END) AS me
         FROM dm_reaction WHERE message_id = ANY($2) GROUP BY message_id, emoji ORDER BY message_id, first_id`, [me, ids])
      return rows.map((row) => ({ message_id: row.message_id, emoji: row.emoji, count: Number(row.count), me: Number(row.me) > 0 }))
    },
    async conversations (me, at) {
      const { rows } = await pool.query<ListRow>(at.direction === 'older'
        ? `SELECT c.partner_id, c.last_message_id, c.unread_count, c.muted, c.archived, ${M_MESSAGE_COLUMNS}
           FROM dm_conversation c JOIN dm_message m ON m.id = c.last_message_id
           WHERE c.owner_id = $1 AND c.archived = false AND c.last_message_id < $2 ORDER BY c.last_message_id DESC LIMIT $3`
        : `SELECT c.partner_id, c.last_message_id, c.unread_count, c.muted, c.archived, ${M_MESSAGE_COLUMNS}
           FROM dm_conversation c JOIN dm_message m ON m.id = c.last_message_id
           WHERE c.owner_id = $1 AND c.archived = false AND c.last_message_id > $2 ORDER BY c.last_message_id ASC LIMIT $3`, [me, at.key, at.size + 1])
      return rows
    },
    async unreadConversations (me) {
      return (await pool.query<UnreadRow>(
        `SELECT partner_id, last_message_id, unread_count, muted FROM dm_conversation
         WHERE owner_id = $1 AND unread_count > 0 ORDER BY last_message_id DESC`, [me])).rows
    },
    async messagePage (me, partner, at) {
      const [low, high] = me < partner ? [me, partner] : [partner, me]
      // The page and the reader's conversation row, in one statement, as the plugin reads them.
      const page = `SELECT ${MESSAGE_COLUMNS} FROM dm_message
           WHERE user_low_id = $1 AND user_high_id = $2 AND id ${at.direction === 'older' ? '<' : '>'} $3
             AND ((sender_id = $4 AND deleted_by_sender = false) OR (recipient_id = $4 AND deleted_by_recipient = false))
           ORDER BY id ${at.direction === 'older' ? 'DESC' : 'ASC'} LIMIT $5`
      const result = await pool.query<MessageRow & { kind: number, unread_count: number | null, last_message_id: string | null }>(
        `SELECT 0 AS kind, ${MESSAGE_COLUMNS}, NULL AS unread_count, NULL AS last_message_id FROM (${page}) page
         UNION ALL
         SELECT 1, ${MESSAGE_COLUMNS.split(', ').map(() => 'NULL').join(', ')}, unread_count, last_message_id FROM dm_conversation WHERE owner_id = $4 AND partner_id = $6`,
        [low, high, at.key, me, at.size + 1, partner])
      const conversation = result.rows.find((row) => row.kind === 1)
      return {
        rows: result.rows.filter((row) => row.kind === 0),
        unreadCount: conversation?.unread_count ?? 0,
        lastMessageId: Number(conversation?.last_message_id ?? 0)
      }
    },
    async markRead (me, partner, upTo, at) {
      return await inTransaction(async (client) => {
        const changed = await client.query<MessageRow>(
          `UPDATE dm_message SET read_at = $1
           WHERE recipient_id = $2 AND read_at IS NULL AND deleted_by_recipient = false AND unsent_at IS NULL AND sender_id = $3 AND id <= $4
           RETURNING ${MESSAGE_COLUMNS}`, [at.toISOString(), me, partner, upTo])
        if (changed.rows.length > 0) {
          await client.query('UPDATE dm_conversation SET unread_count = unread_count - $1 WHERE owner_id = $2 AND partner_id = $3',
            [changed.rows.length, me, partner])
        }
        return changed.rows
      })
    },
    async send ({ low, high, sender, recipient, content, sentAt }) {
      let result: pg.QueryResult<MessageRow & { blocked: boolean }>
      try {
        // The plugin's one-statement send: both dm_user rows locked before the message row exists,
        // blocks checked, both conversation rows brought up to date, the change log written.
        result = await pool.query<MessageRow & { blocked: boolean }>(
          `WITH locked AS (
             INSERT INTO dm_user (user_id) VALUES ($1), ($2)
             ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id
             RETURNING user_id
           ), blocked AS (
             SELECT EXISTS (
               SELECT 1 FROM dm_block WHERE (blocker_id = $3 AND blocked_id = $4) OR (blocker_id = $4 AND blocked_id = $3)
             ) AS blocked
           ), message AS (
             INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, idempotency_key, reply_to_id)
             SELECT s.user_id, r.user_id, CASE WHEN s.user_id = $1 THEN s.user_id ELSE r.user_id END,
                    CASE WHEN s.user_id = $1 THEN r.user_id ELSE s.user_id END,
                    CAST($5 AS TEXT), CAST($6 AS TIMESTAMP(3)), CAST($7 AS TEXT), CAST($8 AS BIGINT)
             FROM locked s, locked r, blocked b
             WHERE s.user_id = $3 AND r.user_id = $4 AND NOT b.blocked
             ON CONFLICT (sender_id, idempotency_key) DO NOTHING
             RETURNING ${MESSAGE_COLUMNS}, user_low_id, user_high_id
           ), conversations AS (
             INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
             SELECT owner_id, partner_id, id, unread FROM (
               SELECT user_low_id AS owner_id, user_high_id AS partner_id, id, CASE WHEN recipient_id = user_low_id THEN 1 ELSE 0 END AS unread FROM message
               UNION ALL
               SELECT user_high_id, user_low_id, id, CASE WHEN recipient_id = user_high_id THEN 1 ELSE 0 END FROM message
             ) sides
             ON CONFLICT (owner_id, partner_id) DO UPDATE SET
               last_message_id = CASE
                 WHEN dm_conversation.last_message_id IS NULL OR dm_conversation.last_message_id < excluded.last_message_id
                 THEN excluded.last_message_id ELSE dm_conversation.last_message_id END,
               unread_count = dm_conversation.unread_count + excluded.unread_count,
               archived = false
           ), changes AS (
             INSERT INTO dm_change (user_id, kind, message_id, partner_id, created_at)
             SELECT sender_id, 1, id, recipient_id, sent_at FROM message
             UNION ALL
             SELECT recipient_id, 1, id, sender_id, sent_at FROM message
           )
           SELECT ${M_MESSAGE_COLUMNS}, b.blocked
           FROM blocked b LEFT JOIN message m ON true`,
          [low, high, sender, recipient, content, sentAt.toISOString(), null, null])
      } catch (err) {
        if ((err as { code?: string }).code === '23503') throw new HttpError(404, 'User not found')
        throw err
      }
      const row = result.rows[0] as MessageRow & { blocked: boolean }
      return row.blocked ? null : row
    },
    close: () => pool.end()
  }
}

// MySQL and MariaDB (mariadb).

/** A row as the mariadb driver gives it (64-bit integers as BigInt, times as text, booleans as 0/1). */
type RawRow = Record<string, unknown>

/** DATETIME columns hold UTC wall-clock times (as Prisma and the plugin write them). */
const utc = (value: unknown): Date | null => value === null ? null : new Date(`${String(value).replace(' ', 'T')}Z`)
/** A time as the plugin writes it into a DATETIME(3) column. */
const utcText = (at: Date): string => at.toISOString().replace('T', ' ').replace('Z', '')

function mysqlMessage (row: RawRow): MessageRow {
  return {
    id: String(row.id),
    sender_id: Number(row.sender_id),
    recipient_id: Number(row.recipient_id),
    content: row.content as string,
    sent_at: utc(row.sent_at) as Date,
    read_at: utc(row.read_at),
    edited_at: utc(row.edited_at),
    unsent_at: utc(row.unsent_at),
    reply_to_id: row.reply_to_id === null ? null : String(row.reply_to_id),
    reaction_count: Number(row.reaction_count),
    attachment_count: Number(row.attachment_count)
  }
}

/** `?, ?, ...` for `count` values. */
const marks = (count: number): string => Array.from({ length: count }, () => '?').join(', ')

/** The floor's pool on MySQL/MariaDB: times as text (read as UTC), as the plugin's driver path reads them. */
export async function floorMariadbPool (url: string, max: number): Promise<MariadbPool> {
  return await mariadbPool(url, max, { dateStrings: true })
}

/**
 * The floor on MySQL/MariaDB: the plugin's statements there (src/dialect/mysql and its queries),
 * without RETURNING (a write reads what it changed in its transaction, after LAST_INSERT_ID or
 * its rows locked), ON DUPLICATE KEY UPDATE for the upserts, READ COMMITTED per transaction.
 */
export function mariadbFloorStore (pool: MariadbPool): FloorStore {
  const select = async (text: string, values: unknown[]): Promise<RawRow[]> => await pool.query<RawRow[]>(text, values)

  async function inTransaction<T> (fn: (connection: MariadbPoolConnection) => Promise<T>): Promise<T> {
    const connection = await pool.getConnection()
    try {
      // In one round trip, as the plugin sends them (pipelined, in order).
      await Promise.all([connection.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED'), connection.query('BEGIN')])
      const result = await fn(connection)
      await connection.query('COMMIT')
      return result
    } catch (err) {
      await connection.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      await connection.release()
    }
  }

  return {
    async caller (token) {
      const [row] = await select('SELECT id FROM app_user WHERE token = ?', [token])
      return row === undefined ? undefined : Number(row.id)
    },
    async users (ids) {
      const rows = await select(`SELECT id, username, first_name, last_name FROM app_user WHERE id IN (${marks(ids.length)})`, ids)
      return rows as unknown as UserRow[]
    },
    async userExists (id) {
      return (await select('SELECT id FROM app_user WHERE id = ?', [id])).length > 0
    },
    async unread (me) {
      const [row] = await select(
        'SELECT SUM(unread_count) AS count, SUM(CASE WHEN muted = false THEN unread_count ELSE 0 END) AS unmuted_count FROM dm_conversation WHERE owner_id = ? AND unread_count > 0', [me])
      return { count: Number(row?.count ?? 0), unmuted: Number(row?.unmuted_count ?? 0) }
    },
    async previews (ids) {
      const rows = await select(`SELECT id, sender_id, content, unsent_at FROM dm_message WHERE id IN (${marks(ids.length)})`, ids)
      return rows.map((row) => ({ id: String(row.id), sender_id: Number(row.sender_id), content: row.content as string, unsent_at: utc(row.unsent_at) }))
    },
    async reactions (me, ids) {
      const rows = await select(
        `SELECT message_id, CAST(emoji AS CHAR) AS emoji, COUNT(*) AS count, MIN(id) AS first_id, SUM(CASE WHEN user_id = ? THEN 1 ELSE 0 END) AS me
         FROM dm_reaction WHERE message_id IN (${marks(ids.length)}) GROUP BY message_id, emoji ORDER BY message_id, first_id`, [me, ...ids])
      return rows.map((row) => ({ message_id: String(row.message_id), emoji: row.emoji as string, count: Number(row.count), me: Number(row.me) > 0 }))
    },
    async conversations (me, at) {
      // The partners in the same statement, joined by key, as the plugin's MySQL dialect reads them.
      const older = at.direction === 'older'
      const rows = await select(
        `SELECT p.*, u.username, u.first_name, u.last_name FROM (
           SELECT c.partner_id, c.last_message_id, c.unread_count, c.muted, c.archived, ${M_MESSAGE_COLUMNS}
           FROM dm_conversation c JOIN dm_message m ON m.id = c.last_message_id
           WHERE c.owner_id = ? AND c.archived = false AND c.last_message_id ${older ? '<' : '>'} ? ORDER BY c.last_message_id ${older ? 'DESC' : 'ASC'} LIMIT ?
         ) p JOIN app_user u ON u.id = p.partner_id
         ORDER BY p.last_message_id ${older ? 'DESC' : 'ASC'}`, [me, at.key, at.size + 1])
      return rows.map((row) => ({
        ...mysqlMessage(row),
        partner_id: Number(row.partner_id),
        last_message_id: String(row.last_message_id),
        unread_count: Number(row.unread_count),
        muted: Number(row.muted) !== 0,
        archived: Number(row.archived) !== 0,
        partner: { id: Number(row.partner_id), username: row.username as string, first_name: row.first_name as string, last_name: row.last_name as string }
      }))
    },
    async unreadConversations (me) {
      const rows = await select(
        `SELECT partner_id, last_message_id, unread_count, muted FROM dm_conversation
         WHERE owner_id = ? AND unread_count > 0 ORDER BY last_message_id DESC`, [me])
      return rows.map((row) => ({ partner_id: Number(row.partner_id), last_message_id: String(row.last_message_id), unread_count: Number(row.unread_count), muted: Number(row.muted) !== 0 }))
    },
    async messagePage (me, partner, at) {
      const [low, high] = me < partner ? [me, partner] : [partner, me]
      const page = `SELECT ${MESSAGE_COLUMNS} FROM dm_message
           WHERE user_low_id = ? AND user_high_id = ? AND id ${at.direction === 'older' ? '<' : '>'} ?
             AND ((sender_id = ? AND deleted_by_sender = false) OR (recipient_id = ? AND deleted_by_recipient = false))
           ORDER BY id ${at.direction === 'older' ? 'DESC' : 'ASC'} LIMIT ?`
      const rows = await select(
        `SELECT 0 AS kind, ${MESSAGE_COLUMNS}, NULL AS unread_count, NULL AS last_message_id FROM (${page}) page
         UNION ALL
         SELECT 1, ${MESSAGE_COLUMNS.split(', ').map(() => 'NULL').join(', ')}, unread_count, last_message_id FROM dm_conversation WHERE owner_id = ? AND partner_id = ?`,
        [low, high, at.key, me, me, at.size + 1, me, partner])
      const conversation = rows.find((row) => Number(row.kind) === 1)
      return {
        rows: rows.filter((row) => Number(row.kind) === 0).map(mysqlMessage),
        unreadCount: Number(conversation?.unread_count ?? 0),
        lastMessageId: Number(conversation?.last_message_id ?? 0)
      }
    },
    async markRead (me, partner, upTo, at) {
      const unread = 'recipient_id = ? AND read_at IS NULL AND deleted_by_recipient = false AND unsent_at IS NULL AND sender_id = ? AND id <= ?'
      return await inTransaction(async (connection) => {
        // No RETURNING: the rows locked and known first, read back once marked.
        const ids = (await connection.query<RawRow[]>(`SELECT id FROM dm_message WHERE ${unread} ORDER BY id FOR UPDATE`, [me, partner, upTo])).map((row) => row.id)
        if (ids.length === 0) return []
        await connection.query(`UPDATE dm_message SET read_at = ? WHERE ${unread}`, [utcText(at), me, partner, upTo])
        const changed = (await connection.query<RawRow[]>(`SELECT ${MESSAGE_COLUMNS} FROM dm_message WHERE id IN (${marks(ids.length)})`, ids)).map(mysqlMessage)
        await connection.query('UPDATE dm_conversation SET unread_count = unread_count - ? WHERE owner_id = ? AND partner_id = ?', [changed.length, me, partner])
        return changed
      })
    },
    async send ({ low, high, sender, recipient, content, sentAt }) {
      const at = utcText(sentAt)
      try {
        return await inTransaction(async (connection) => {
          // The plugin's send on MySQL: blocks checked, both dm_user rows locked (in id order)
          // before the message row exists, the message read back by LAST_INSERT_ID, both
          // conversation rows brought up to date, the change log written.
          const blocks = await connection.query<RawRow[]>('SELECT blocker_id FROM dm_block WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?)',
            [sender, recipient, recipient, sender])
          if (blocks.length > 0) return null
          await connection.query('INSERT INTO dm_user (user_id) VALUES (?), (?) ON DUPLICATE KEY UPDATE user_id = VALUES(user_id)', [low, high])
          await connection.query(
            `INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, idempotency_key, reply_to_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [sender, recipient, low, high, content, at, null, null])
          const [inserted] = await connection.query<RawRow[]>(`SELECT ${MESSAGE_COLUMNS} FROM dm_message WHERE id = LAST_INSERT_ID()`)
          const message = mysqlMessage(inserted as RawRow)
          const lowUnread = low === recipient ? 1 : 0
          await connection.query(
            `INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
             VALUES (?, ?, ?, ?), (?, ?, ?, ?)
             ON DUPLICATE KEY UPDATE
               last_message_id = CASE
                 WHEN dm_conversation.last_message_id IS NULL OR dm_conversation.last_message_id < VALUES(last_message_id)
                 THEN VALUES(last_message_id) ELSE dm_conversation.last_message_id END,
               unread_count = dm_conversation.unread_count + VALUES(unread_count),
               archived = false`, [low, high, message.id, lowUnread, high, low, message.id, 1 - lowUnread])
          await connection.query('INSERT INTO dm_change (user_id, kind, message_id, partner_id, created_at) VALUES (?, 1, ?, ?, ?), (?, 1, ?, ?, ?)',
            [sender, message.id, recipient, at, recipient, message.id, sender, at])
          return message
        })
      } catch (err) {
        // ER_NO_REFERENCED_ROW_2: a participant is no user.
        if ((err as { errno?: number }).errno === 1452) throw new HttpError(404, 'User not found')
        throw err
      }
    },
    close: () => pool.end()
  }
}

// The routes, the same on every database.

export function buildFloor (store: FloorStore): FastifyInstance {
  const app = Fastify({ logger: false })

  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply: FastifyReply) => {
    const statusCode = error.statusCode ?? 500
    if (statusCode >= 500) console.error(error)
    return reply.code(statusCode).send({ statusCode, error: statusCode >= 500 ? 'Internal Server Error' : 'Error', message: error.message })
  })

  /** The example app's authentication: the caller's token, looked up in app_user. */
  async function caller (request: FastifyRequest): Promise<number> {
    const token = AUTHORIZATION.exec(request.headers.authorization ?? '')?.[1]
    if (token === undefined) throw new HttpError(401, 'Unauthorized')
    const id = await store.caller(token)
    if (id === undefined) throw new HttpError(401, 'Unauthorized')
    return id
  }

  async function partners (ids: number[]): Promise<Map<number, UserRow>> {
    const found = new Map<number, UserRow>()
    if (ids.length === 0) return found
    for (const row of await store.users([...new Set(ids)])) found.set(row.id, row)
    return found
  }

  app.get('/api/dm/unread/', async (request) => {
    const me = await caller(request)
    const { count, unmuted } = await store.unread(me)
    return { id: me, count, unmuted_count: unmuted }
  })

  /** The plugin's Store.present: previews and reactions, one statement each, only when some message has them. */
  async function extras (rows: MessageRow[], me: number): Promise<Extras> {
    const live = rows.filter((row) => row.unsent_at === null)
    const replyIds = [...new Set(live.flatMap((row) => row.reply_to_id === null ? [] : [row.reply_to_id]))]
    const reacted = live.filter((row) => row.reaction_count > 0).map((row) => row.id)
    const found: Extras = { previews: new Map(), reactions: new Map() }
    if (replyIds.length > 0) {
      for (const row of await store.previews(replyIds)) {
        const unsent = row.unsent_at !== null
        found.previews.set(row.id, { id: Number(row.id), sender: row.sender_id, content: unsent ? '' : Array.from(row.content).slice(0, 200).join(''), unsent })
      }
    }
    if (reacted.length > 0) {
      for (const row of await store.reactions(me, reacted)) {
        const list = found.reactions.get(row.message_id) ?? []
        list.push({ emoji: row.emoji, count: row.count, me: row.me })
        found.reactions.set(row.message_id, list)
      }
    }
    return found
  }

  app.get('/api/dm/conversations/', async (request) => {
    const me = await caller(request)
    const scope = `${me}|conversations`
    const at = position(scope, request.query as { cursor?: string, page_size?: string })
    const rows = await store.conversations(me, at)
    const page = paginate(scope, at, rows, (row) => Number(row.last_message_id))
    const users = page.items.every((row) => row.partner !== undefined)
      ? new Map(page.items.map((row) => [row.partner_id, row.partner as UserRow]))
      : await partners(page.items.map((row) => row.partner_id))
    const more = await extras(page.items, me)
    const result = envelope(request, page, (row) => {
      const user = users.get(row.partner_id)
      return user === undefined ? null : { ...user, unread_count: row.unread_count, last_message: toMessageJson(row, me, more), muted: row.muted, archived: row.archived }
    })
    return { ...result, results: result.results.filter((entry) => entry !== null) }
  })

  app.get('/api/dm/conversations/unread/', async (request) => {
    const me = await caller(request)
    const rows = await store.unreadConversations(me)
    const users = await partners(rows.map((row) => row.partner_id))
    return rows.flatMap((row) => {
      const user = users.get(row.partner_id)
      return user === undefined ? [] : [{ partner_id: row.partner_id, partner_username: user.username, unread_count: row.unread_count, muted: row.muted }]
    })
  })

  app.get('/api/dm/conversations/:id/', async (request) => {
    const me = await caller(request)
    const pageOf = await conversationPage(store, request, me)
    const more = await extras(pageOf.items, me)
    return envelope(request, pageOf, (row) => toMessageJson(row, me, more))
  })

  app.post('/api/dm/send/:id/', async (request, reply) => {
    const me = await caller(request)
    const recipient = idParam(request)
    const content = (request.body as { content?: unknown } | undefined)?.content
    if (typeof content !== 'string' || content.trim() === '') throw new HttpError(400, 'content must not be empty')
    if (recipient === me) throw new HttpError(400, 'You cannot message yourself')
    const [low, high] = me < recipient ? [me, recipient] : [recipient, me]
    const row = await store.send({ low, high, sender: me, recipient, content, sentAt: new Date() })
    if (row === null) throw new HttpError(400, 'You are not allowed to send messages to this user')
    return reply.code(201).send(toMessageJson(row, me))
  })

  return app
}

/** The floor's statements on the database of `url`, on a pool of `max` connections. */
export async function floorStore (url: string, max: number): Promise<FloorStore> {
  return ENGINE === 'mysql' ? mariadbFloorStore(await floorMariadbPool(url, max)) : pgFloorStore(floorPool(url, max))
}

// ---------------------------------------------------------------------------------------------
// The servers, each in a child process.
// ---------------------------------------------------------------------------------------------

interface CpuTime { user: number, system: number }

/**
 * What the server's log and answers held, when it runs with DM_BENCH_DIAGNOSTICS set: its log
 * lines of level warn and above, counted by level, message and error code (with the first error
 * message of each), and its answers counted by status code.
 */
export interface ServerDiagnostics {
  log: Array<{ level: string, message: string, count: number, sample: string | null }>
  statuses: Record<string, number>
  /** The delay of the server's event loop (ms) since the previous call. */
  eventLoopDelay: { mean: number, p99: number, max: number }
}

type FromServer = { type: 'ready', port: number } | { type: 'cpu', cpu: CpuTime } |
  { type: 'memory', memory: NodeJS.MemoryUsage } | { type: 'diagnostics', diagnostics: ServerDiagnostics }

/** More of a server's set-up (startServer's `extra`); every field is optional and changes nothing when absent. */
export interface ServerExtra {
  /** Node options of the server process, after those of this process (e.g. --expose-gc). */
  execArgv?: string[]
  /** The `backlog` of the server's listen (default: Node's). */
  backlog?: number
  /** Count the server's warnings, errors and answer statuses (see {@link Server.diagnostics}). */
  diagnostics?: boolean
}

export interface Server {
  role: Role
  /** http://127.0.0.1:<port> */
  origin: string
  port: number
  pid: number
  /** CPU time (µs) the server process has used so far. */
  cpu(): Promise<number>
  /** The server's process.memoryUsage(), after a full garbage collection when it runs with --expose-gc. */
  memory(): Promise<NodeJS.MemoryUsage>
  /** What the server logged and answered so far (all empty unless started with `diagnostics`). */
  diagnostics(): Promise<ServerDiagnostics>
  close(): Promise<void>
}

/**
 * Forks this file as a `role` server on `url`, with a pool of `pool` connections. With
 * DM_BENCH_CPU_PROF set, the child writes a V8 CPU profile (--cpu-prof) into that directory.
 */
export async function startServer (role: Role, url: string, pool: number, extra: ServerExtra = {}): Promise<Server> {
  const profile = process.env.DM_BENCH_CPU_PROF
  const env: NodeJS.ProcessEnv = { ...process.env, DM_BENCH_ROLE: role, DM_BENCH_DATABASE_URL: url, DM_BENCH_POOL: String(pool) }
  if (extra.backlog !== undefined) env.DM_BENCH_BACKLOG = String(extra.backlog)
  if (extra.diagnostics === true) env.DM_BENCH_DIAGNOSTICS = '1'
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env,
    execArgv: [...process.execArgv, ...(profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${role}.cpuprofile`]), ...(extra.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const waiting: Array<{ resolve: (message: FromServer) => void, reject: (err: Error) => void }> = []
  child.on('message', (message: FromServer) => { waiting.shift()?.resolve(message) })
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`${role} server exited with code ${code}`))
    resolve()
  }))
  const next = (): Promise<FromServer> => new Promise((resolve, reject) => { waiting.push({ resolve, reject }) })
  const ready = await next()
  if (ready.type !== 'ready') throw new Error(`${role} server: unexpected message`)
  return {
    role,
    origin: `http://127.0.0.1:${ready.port}`,
    port: ready.port,
    pid: child.pid as number,
    async cpu () {
      const reply = next()
      child.send({ type: 'cpu' })
      const message = await reply
      if (message.type !== 'cpu') throw new Error(`${role} server: unexpected message`)
      return message.cpu.user + message.cpu.system
    },
    async memory () {
      const reply = next()
      child.send({ type: 'memory' })
      const message = await reply
      if (message.type !== 'memory') throw new Error(`${role} server: unexpected message`)
      return message.memory
    },
    async diagnostics () {
      const reply = next()
      child.send({ type: 'diagnostics' })
      const message = await reply
      if (message.type !== 'diagnostics') throw new Error(`${role} server: unexpected message`)
      return message.diagnostics
    },
    async close () {
      if (child.exitCode !== null) return
      child.send({ type: 'close' })
      await exited
    }
  }
}

/** The server's side of ServerDiagnostics: a log stream that counts lines instead of printing them. */
function diagnosticsRecorder (): { stream: { write(line: string): void }, countStatus(status: number): void, summary(): ServerDiagnostics } {
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }
  const lines = new Map<string, { level: string, message: string, count: number, sample: string | null }>()
  const statuses: Record<string, number> = {}
  return {
    stream: {
      write (line: string) {
        let entry: { level?: number, msg?: string, err?: { code?: string, message?: string, type?: string } }
        try {
          entry = JSON.parse(line) as typeof entry
        } catch {
          entry = { level: 50, msg: line.slice(0, 200) }
        }
        const level = LEVELS[entry.level ?? 0] ?? String(entry.level)
        const code = entry.err?.code ?? entry.err?.type
        const message = `${entry.msg ?? ''}${code === undefined ? '' : ` [${code}]`}`
        const key = `${level} ${message}`
        const known = lines.get(key)
        if (known !== undefined) known.count++
        else lines.set(key, { level, message, count: 1, sample: entry.err?.message?.slice(0, 300) ?? null })
      }
    },
    countStatus (status: number) {
      statuses[status] = (statuses[status] ?? 0) + 1
    },
    summary: () => {
      const eventLoopDelay = { mean: delay.mean / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 }
      delay.reset()
      return { log: [...lines.values()], statuses: { ...statuses }, eventLoopDelay }
    }
  }
}

async function serve (role: Role, url: string, pool: number): Promise<void> {
  let app: FastifyInstance
  const recorder = process.env.DM_BENCH_DIAGNOSTICS === undefined ? null : diagnosticsRecorder()
  const logger = recorder === null ? {} : { logger: { level: 'warn', stream: recorder.stream } }
  if (role === 'plugin') {
    const prisma = await createBenchPrisma(url, pool)
    app = await buildApp({ prisma, ...logger })
    app.addHook('onClose', async () => { await prisma.$disconnect() })
  } else if (role === 'driver' && ENGINE === 'mysql') {
    // The plugin's and the token lookup's mariadb Pool (the example's createDriver); the MariaDB
    // adapter keeps a pool of its own, which the hot paths then leave idle.
    const connections = await mariadbPool(url, pool)
    const prisma = await createBenchPrisma(url, pool)
    app = await buildApp({ prisma, driver: connections, ...logger })
    app.addHook('onClose', async () => {
      await prisma.$disconnect()
      await connections.end()
    })
  } else if (role === 'driver') {
    // One pool, as a host would have it: the Prisma adapter's, and the plugin's and the token lookup's.
    const connections = new pg.Pool({ connectionString: url, max: pool })
    const prisma = await createBenchPrisma(url, pool, connections)
    app = await buildApp({ prisma, driver: connections, ...logger })
    app.addHook('onClose', async () => { await prisma.$disconnect() })
  } else {
    const store = await floorStore(url, pool)
    app = buildFloor(store)
    app.addHook('onClose', async () => { await store.close() })
  }
  if (recorder !== null) {
    app.addHook('onResponse', async (_request, reply) => { recorder.countStatus(reply.statusCode) })
  }
  const backlog = process.env.DM_BENCH_BACKLOG === undefined ? undefined : Number(process.env.DM_BENCH_BACKLOG)
  await app.listen({ host: '127.0.0.1', port: 0, ...(backlog === undefined ? {} : { backlog }) })
  const send = (message: FromServer): void => { process.send?.(message) }
  process.on('message', (message: { type: string }) => {
    if (message.type === 'cpu') send({ type: 'cpu', cpu: process.cpuUsage() })
    if (message.type === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc
      if (gc !== undefined) {
        gc()
        gc()
      }
      send({ type: 'memory', memory: process.memoryUsage() })
    }
    if (message.type === 'diagnostics') send({ type: 'diagnostics', diagnostics: recorder?.summary() ?? { log: [], statuses: {}, eventLoopDelay: { mean: 0, p99: 0, max: 0 } } })
    if (message.type === 'close') {
      // Requests whose connection the load generator dropped at the end of its last run may still
      // be running: let them finish before the pool closes. Then let the loop drain (process.exit()
      // would skip writing a --cpu-prof profile).
      setTimeout(() => {
        app.close().then(() => process.disconnect(), (err: unknown) => {
          console.error(err)
          process.exit(1)
        })
      }, 500)
    }
  })
  send({ type: 'ready', port: (app.server.address() as AddressInfo).port })
}

const role = process.env.DM_BENCH_ROLE
if (role !== undefined && process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  if (role !== 'plugin' && role !== 'driver' && role !== 'floor') throw new Error(`DM_BENCH_ROLE must be plugin, driver or floor, got ${role}`)
  await serve(role, process.env.DM_BENCH_DATABASE_URL as string, Number(process.env.DM_BENCH_POOL))
}

// ---------------------------------------------------------------------------------------------
// Load (autocannon) and sequential latency.
// ---------------------------------------------------------------------------------------------

/** A request of a load run; `pick` is called for every request sent. */
export interface RequestSpec {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string>
  body?: string
}

interface AutocannonResult {
  duration: number
  errors: number
  timeouts: number
  non2xx: number
  requests: { average: number, total: number }
  latency: { p50: number, p99: number, average: number }
}

type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  total: number
  failed: number
  /** CPU time of the server process per request, µs. */
  serverCpuUs: number
  /** CPU time of the load generator (this process) per request, µs. */
  clientCpuUs: number
  /** The rest of the machine's busy time per request (PostgreSQL, mostly), µs. */
  otherCpuUs: number
}

/** Busy CPU time of the whole machine so far, µs (from /proc/stat). */
export function machineBusyUs (): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string).trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal ...
  const busy = (fields[0] ?? 0) + (fields[1] ?? 0) + (fields[2] ?? 0) + (fields[5] ?? 0) + (fields[6] ?? 0) + (fields[7] ?? 0)
  return busy * 10_000 // USER_HZ = 100
}

function ownCpuUs (): number {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

/** Loads `server` with `connections` connections for `seconds`, each request from `pick()`. */
export async function load (server: Server, pick: () => RequestSpec, connections: number, seconds: number): Promise<LoadResult> {
  const serverBefore = await server.cpu()
  const ownBefore = ownCpuUs()
  const machineBefore = machineBusyUs()
  const result = await autocannon({
    url: server.origin,
    connections,
    duration: seconds,
    requests: [{
      setupRequest: (request: Record<string, unknown>) => {
        const spec = pick()
        return { ...request, method: spec.method, path: spec.path, headers: spec.headers, body: spec.body }
      }
    }]
  })
  const machine = machineBusyUs() - machineBefore
  const own = ownCpuUs() - ownBefore
  const serverCpu = (await server.cpu()) - serverBefore
  const total = result.requests.total
  return {
    rps: total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total,
    failed: result.non2xx + result.errors + result.timeouts,
    serverCpuUs: serverCpu / total,
    clientCpuUs: own / total,
    otherCpuUs: Math.max(0, machine - serverCpu - own) / total
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 })

/** One HTTP request on a kept-alive connection; answers the status, the body and the time taken (ms). */
export function timedRequest (origin: string, spec: RequestSpec): Promise<{ status: number, body: string, ms: number }> {
  const url = new URL(spec.path, origin)
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const req = httpRequest({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: spec.method, headers: spec.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: performance.now() - start }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(spec.body)
  })
}

export function closeAgent (): void {
  agent.destroy()
}

/** The `p`-th percentile (0-100) of `values`, nearest rank. */
export function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? NaN
}

export function authHeaders (token: string, json = false): Record<string, string> {
  return json ? { authorization: `Token ${token}`, 'content-type': 'application/json' } : { authorization: `Token ${token}` }
}

/** A plain-text table: a header row, a rule, and the rows, columns padded (numbers right-aligned). */
export function table (header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((row) => row.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)))
  const line = (row: string[], numeric: boolean): string => row.map((cell, i) => {
    const width = widths[i] as number
    return numeric && i > 0 ? cell.padStart(width) : cell.padEnd(width)
  }).join('  ').trimEnd()
  return [line(header, false), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map((row) => line(row, true))].join('\n')
}

export function round (value: number, digits = 2): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

/**
 * Derives every dm_conversation row from dm_message with one GROUP BY: per participant, the newest
 * message not hidden by them and their unread, not hidden, inbound messages.
 */
export const DERIVE_CONVERSATIONS = `  INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
  SELECT owner_id, partner_id, MAX(id) FILTER (WHERE NOT hidden), COUNT(*) FILTER (WHERE inbound AND read_at IS NULL AND NOT hidden)
  FROM (
    SELECT sender_id AS owner_id, recipient_id AS partner_id, id, read_at, false AS inbound, deleted_by_sender AS hidden FROM dm_message
    UNION ALL
    SELECT recipient_id, sender_id, id, read_at, true, deleted_by_recipient FROM dm_message
  ) sides
  GROUP BY owner_id, partner_id`

/** DERIVE_CONVERSATIONS on MySQL/MariaDB (no FILTER clause there). */
export const DERIVE_CONVERSATIONS_MYSQL = `  INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count)
  SELECT owner_id, partner_id, MAX(CASE WHEN NOT hidden THEN id END), SUM(CASE WHEN inbound AND read_at IS NULL AND NOT hidden THEN 1 ELSE 0 END)
  FROM (
    SELECT sender_id AS owner_id, recipient_id AS partner_id, id, read_at, false AS inbound, deleted_by_sender AS hidden FROM dm_message
    UNION ALL
    SELECT recipient_id, sender_id, id, read_at, true, deleted_by_recipient FROM dm_message
  ) sides
  GROUP BY owner_id, partner_id`

// ---------------------------------------------------------------------------------------------
// The floor's pieces, for floors built elsewhere (bench/attachments.ts) to answer as this one does.
// ---------------------------------------------------------------------------------------------

export { HttpError as FloorHttpError, MESSAGE_COLUMNS as FLOOR_MESSAGE_COLUMNS, conversationPage as floorConversationPage, envelope, idParam, paginate, position, toMessageJson }
export type { MessageJson as FloorMessageJson, MessageRow as FloorMessageRow, Position as FloorPosition }
