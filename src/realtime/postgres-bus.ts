/**
 * A {@link DirectMessagesBus} over PostgreSQL LISTEN/NOTIFY, on the application's own database:
 * no other server to run. Needs the optional peer dependency `pg`, imported only when the bus
 * starts, so applications that do not use this bus need not install it.
 */
import type { Client, Notification } from 'pg'
import { type BusEvent, type BusHandlers, type DirectMessagesBus, decodeEvent, encodeEvent } from './bus.js'

/** Options of {@link postgresBus}. */
export interface PostgresBusOptions {
  /** Where to connect, e.g. `postgresql://user:secret@db:5432/app`: normally the application's database. */
  connectionString: string
  /**
   * The NOTIFY channel, shared by every instance of the application (default `"directmessages"`).
   * Lower-case letters, digits and underscores, not starting with a digit, at most 63 characters.
   */
  channel?: string
  /** Delay before the first reconnection attempt after the connection is lost, in ms (default 1000). */
  reconnectDelay?: number
  /** Longest delay between reconnection attempts, in ms (default 30,000); the delay doubles up to it. */
  maxReconnectDelay?: number
}

/** PostgreSQL rejects a NOTIFY payload of 8000 bytes or more; keep a margin. */
export const MAX_POSTGRES_PAYLOAD_BYTES = 7900

const CHANNEL_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/
/** A publish that the server does not answer in this time rejects (e.g. a silently dead connection). */
const PUBLISH_TIMEOUT = 10_000
/** A (re)connection attempt that takes longer fails, and is retried later. */
const CONNECT_TIMEOUT = 10_000

/**
 * The PostgreSQL bus: every instance LISTENs on one channel, and publishing is a `pg_notify` on it.
 *
 * - `start` connects and LISTENs, then reports `up`; it rejects when the first connection fails,
 *   so that the application does not boot half-working.
 * - When the connection is lost (server restart, `pg_terminate_backend`, network), the bus reports
 *   `down(error)` once, then reconnects with exponential backoff (`reconnectDelay` doubling up to
 *   `maxReconnectDelay`) until it succeeds, LISTENs again and reports `up`.
 * - `publish` rejects while the bus is down, after `close`, and for an event whose encoding is
 *   over {@link MAX_POSTGRES_PAYLOAD_BYTES} bytes.
 * - `close` stops reconnecting and ends the connection; it can be called more than once.
 *
 * One connection per instance: the bus publishes through the very client that listens, rather
 * than a separate pool, because (1) a pg client runs its queries one after the other, so events
 * published by one instance are notified, hence delivered everywhere, in publish order (two pooled
 * connections could commit two concurrent publishes in either order); (2) "publish rejects while
 * the bus is down" then holds by construction; (3) it costs the database one connection, not three.
 * PostgreSQL delivers a session's own notifications back to it, so this instance receives its
 * events too, as the bus interface requires.
 */
export function postgresBus (options: PostgresBusOptions): DirectMessagesBus {
  if (options === null || typeof options !== 'object') throw new TypeError('postgresBus: options must be an object')
  const { connectionString } = options
  if (typeof connectionString !== 'string' || connectionString === '') {
    throw new TypeError('postgresBus: option "connectionString" must be a non-empty string')
  }
  const channel = options.channel ?? 'directmessages'
  if (typeof channel !== 'string' || !CHANNEL_PATTERN.test(channel)) {
    throw new TypeError(`postgresBus: option "channel" must match ${CHANNEL_PATTERN} (got ${JSON.stringify(channel)})`)
  }
  const reconnectDelay = options.reconnectDelay ?? 1000
  const maxReconnectDelay = options.maxReconnectDelay ?? 30_000
  if (!Number.isFinite(reconnectDelay) || reconnectDelay < 0) {
    throw new TypeError('postgresBus: option "reconnectDelay" must be a non-negative number of milliseconds')
  }
  if (!Number.isFinite(maxReconnectDelay) || maxReconnectDelay < reconnectDelay) {
    throw new TypeError('postgresBus: option "maxReconnectDelay" must be a number of milliseconds, at least "reconnectDelay"')
  }

  type ClientClass = new (config: object) => Client
  let ClientCtor: ClientClass | null = null
  let handlers: BusHandlers | null = null
  /** The client that is connected and listening; null while down. */
  let active: Client | null = null
  /** A client being connected (first connection or a reconnection attempt). */
  let connecting: Client | null = null
  let timer: NodeJS.Timeout | null = null
  let nextDelay = reconnectDelay
  let started = false
  let closed = false
  let closing: Promise<void> | null = null

  function onNotification (message: Notification): void {
    if (message.channel !== channel || typeof message.payload !== 'string') return
    const event = decodeEvent(message.payload)
    if (event !== null && handlers !== null && !closed) handlers.deliver(event)
  }

  /** Connects a new client and LISTENs on it; on failure, the client is released and this rejects. */
  async function connect (): Promise<Client> {
    const client = new (ClientCtor as ClientClass)({
      connectionString,
      // Shows in pg_stat_activity, unless the connection string (or PGAPPNAME) names the application.
      fallback_application_name: 'directmessages-bus',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: CONNECT_TIMEOUT,
      query_timeout: PUBLISH_TIMEOUT
    })
    connecting = client
    let failure: Error | null = null
    // Until the client is active, errors surface through connect()/query() rejecting; the
    // listener only keeps a late error from being an unhandled 'error' event.
    client.on('error', (error: Error) => { failure ??= error; if (client === active) lost(client, error) })
    client.on('end', () => { if (client === active) lost(client, new Error('PostgreSQL bus: connection ended unexpectedly')) })
    client.on('notification', onNotification)
    try {
      await client.connect()
      await client.query(`LISTEN "${channel}"`)
      if (closed) throw new Error('PostgreSQL bus: closed while connecting')
      if (failure !== null) throw failure
    } catch (error) {
      await client.end().catch(() => {})
      throw error
    } finally {
      if (connecting === client) connecting = null
    }
    return client
  }

  /** The active client failed: report `down` once and start reconnecting. */
  function lost (client: Client, error: Error): void {
    if (client !== active || closed) return
    active = null
    client.end().catch(() => {})
    nextDelay = reconnectDelay
    schedule() // first, so that a throwing handler cannot stop the reconnection
    handlers?.down(error)
  }

  function schedule (): void {
    if (closed || timer !== null) return
    const delay = nextDelay
    nextDelay = Math.min(nextDelay * 2, maxReconnectDelay)
    timer = setTimeout(() => {
      timer = null
      connect().then((client) => {
        if (closed) {
          client.end().catch(() => {})
          return
        }
        active = client
        nextDelay = reconnectDelay
        handlers?.up()
      }, () => schedule())
    }, delay)
  }

  return {
    name: 'postgres',

    async start (h) {
      if (started) throw new Error('PostgreSQL bus: already started')
      if (closed) throw new Error('PostgreSQL bus: closed')
      started = true
      handlers = h
      try {
        ClientCtor ??= (await import('pg')).default.Client as unknown as ClientClass
        active = await connect()
      } catch (error) {
        started = false
        handlers = null
        throw error
      }
      h.up()
    },

    async publish (event: BusEvent) {
      if (closed) throw new Error('PostgreSQL bus: closed')
      const client = active
      if (client === null) throw new Error('PostgreSQL bus: down, the event was not published')
      const payload = encodeEvent(event)
      const bytes = Buffer.byteLength(payload)
      if (bytes > MAX_POSTGRES_PAYLOAD_BYTES) {
        throw new Error(`PostgreSQL bus: event of ${bytes} bytes is over the ${MAX_POSTGRES_PAYLOAD_BYTES}-byte NOTIFY limit`)
      }
      await client.query('SELECT pg_notify($1, $2)', [channel, payload])
    },

    close () {
      closing ??= (async () => {
        closed = true
        handlers = null
        if (timer !== null) {
          clearTimeout(timer)
          timer = null
        }
        const clients = [active, connecting].filter((c): c is Client => c !== null)
        active = null
        connecting = null
        await Promise.all(clients.map((c) => c.end().catch(() => {})))
      })()
      return closing
    }
  }
}
