/**
 * Server-sent event streams: this instance's open streams by user, fed by the bus.
 *
 * - `message` events (a message sent to or by the stream's user) carry the message id as their SSE
 *   `id:`; a client that reconnects with Last-Event-ID first receives, from the database, every
 *   message it missed, in order, then the live events (buffered meanwhile, without duplicates).
 * - `read` events tell a sender which of their messages the partner read; `deleted` events tell a
 *   user's other devices that they hid a message.
 * - A stream whose client does not read is closed once `streamBufferLimit` bytes wait in its send
 *   buffer: the server never buffers without limit, and the client resumes with Last-Event-ID.
 * - When the bus goes down, every stream is closed (events published meanwhile could be lost), and
 *   new streams are refused with 503 until it is back: a stream never silently stops delivering.
 */
import type { FastifyBaseLogger, FastifyReply } from 'fastify'
import type { BusEvent, DirectMessagesBus } from './bus.js'
import { StreamUnavailable } from './errors.js'
import type { Store } from './store.js'
import type { Message, UserId } from './types.js'

/** How many missed messages one replay query reads. */
const REPLAY_BATCH = 500
/** Live frames kept for a stream while its backlog replays; beyond that it is closed (and resumes). */
const MAX_PENDING = 1000

/** One SSE frame, as @fastify/sse sends it. */
interface Frame {
  id?: string
  event: 'message' | 'read' | 'deleted'
  data: unknown
}

/** The part of @fastify/sse's `reply.sse` a stream uses. */
export interface SseContext {
  send(message: Frame): Promise<void>
  sendHeaders(statusCode?: number): void
  keepAlive(): void
  close(): void
  onClose(callback: () => void): void
  readonly isConnected: boolean
}

interface Connection {
  user: UserId
  sse: SseContext
  raw: FastifyReply['raw']
  /** Live frames that arrived while the backlog was being replayed. */
  pending: Frame[] | null
}

export interface StreamHubOptions {
  store: Store
  bus: DirectMessagesBus
  log: FastifyBaseLogger
  streamBufferLimit: number
  /** The contract's message object, seen by `me`. */
  present: (message: Message, me: UserId) => unknown
}

export class StreamHub {
  readonly #connections = new Map<UserId, Set<Connection>>()
  readonly #options: StreamHubOptions
  #available = false
  #closing = false
  /** Deliveries run one after another, so that each stream sees events in bus order. */
  #delivering: Promise<void> = Promise.resolve()

  constructor (options: StreamHubOptions) {
    this.#options = options
  }

  /** Starts the bus; resolves once it is connected. */
  async start (): Promise<void> {
    await this.#options.bus.start({
      deliver: (event) => {
        this.#delivering = this.#delivering.then(() => this.#deliver(event)).catch((err: unknown) => {
          this.#options.log.error({ err, event }, 'directMessages: delivering a stream event failed')
        })
      },
      down: (error) => {
        this.#available = false
        this.#options.log.error({ err: error, bus: this.#options.bus.name }, 'directMessages: event bus down, closing event streams')
        this.closeAll()
      },
      up: () => {
        if (!this.#available) this.#options.log.info({ bus: this.#options.bus.name }, 'directMessages: event bus up')
        this.#available = true
      }
    })
  }

  /** Publishes an event to every instance; a bus failure is logged, never thrown at the caller. */
  publish (event: BusEvent): void {
    this.#options.bus.publish(event).catch((err: unknown) => {
      this.#options.log.warn({ err, bus: this.#options.bus.name, type: event.type }, 'directMessages: publishing a stream event failed')
    })
  }

  /** Streams the user's events on `sse`, first replaying what they missed after `lastEventId`. */
  async open (user: UserId, sse: SseContext, raw: FastifyReply['raw'], lastEventId: number | null): Promise<void> {
    if (!this.#available || this.#closing) throw new StreamUnavailable()
    const connection: Connection = { user, sse, raw, pending: lastEventId === null ? null : [] }
    let mine = this.#connections.get(user)
    if (mine === undefined) this.#connections.set(user, mine = new Set())
    mine.add(connection)
    sse.keepAlive()
    sse.onClose(() => this.#forget(connection))
    // Commit the headers now (the client sees the stream open, the heartbeat starts).
    sse.sendHeaders(200)
    raw.write(': stream open\n\n')
    if (lastEventId !== null) await this.#replay(connection, lastEventId)
  }

  /** Ends every stream of this instance (shutdown, bus outage). */
  closeAll (): void {
    for (const connections of this.#connections.values()) {
      for (const connection of connections) connection.sse.close()
    }
    this.#connections.clear()
  }

  /** Ends the streams for good and stops the bus. */
  async close (): Promise<void> {
    this.#closing = true
    this.closeAll()
    await this.#delivering
    await this.#options.bus.close()
  }

  /** Open streams of this instance, for tests and metrics. */
  get size (): number {
    let count = 0
    for (const connections of this.#connections.values()) count += connections.size
    return count
  }

  async #replay (connection: Connection, lastEventId: number): Promise<void> {
    let after = lastEventId
    for (;;) {
      const missed = await this.#options.store.messagesAfter(connection.user, after, REPLAY_BATCH)
      for (const message of missed) {
        if (!connection.sse.isConnected) return
        // Awaited: a replay goes at the client's pace, however long the backlog.
        await connection.sse.send(this.#messageFrame(message, connection.user))
        after = message.id
      }
      if (missed.length < REPLAY_BATCH) break
    }
    const pending = connection.pending ?? []
    connection.pending = null
    for (const frame of pending) {
      // Messages the replay already showed came in live meanwhile: skip them.
      if (frame.event === 'message' && Number(frame.id) <= after) continue
      this.#write(connection, frame)
    }
  }

  async #deliver (event: BusEvent): Promise<void> {
    switch (event.type) {
      case 'message': {
        const targets = [...this.#of(event.sender), ...this.#of(event.recipient)]
        if (targets.length === 0) return
        const message = await this.#options.store.messageById(event.id)
        if (message === null) return
        for (const connection of targets) {
          if (message.hiddenFor.includes(connection.user)) continue
          this.#push(connection, this.#messageFrame(message, connection.user))
        }
        return
      }
      case 'read':
        for (const connection of this.#of(event.partner)) {
          this.#push(connection, { event: 'read', data: { partner: event.reader, ids: event.ids, read_at: event.readAt } })
        }
        return
      case 'deleted':
        for (const connection of this.#of(event.user)) this.#push(connection, { event: 'deleted', data: { id: event.id } })
    }
  }

  #messageFrame (message: Message, me: UserId): Frame {
    return { id: String(message.id), event: 'message', data: this.#options.present(message, me) }
  }

  #push (connection: Connection, frame: Frame): void {
    if (connection.pending === null) {
      this.#write(connection, frame)
    } else if (connection.pending.length < MAX_PENDING) {
      connection.pending.push(frame)
    } else {
      this.#options.log.warn({ user: connection.user }, 'directMessages: closing an event stream whose replay falls behind')
      this.#cut(connection)
    }
  }

  /** Writes a live frame without waiting for the client; a client too far behind is cut off. */
  #write (connection: Connection, frame: Frame): void {
    if (!connection.sse.isConnected) return
    if (connection.raw.writableLength > this.#options.streamBufferLimit) {
      this.#options.log.warn({ user: connection.user, buffered: connection.raw.writableLength }, 'directMessages: closing an event stream whose client is not reading')
      this.#cut(connection)
      return
    }
    connection.sse.send(frame).catch(() => { /* the connection closed; its close callback cleans up */ })
  }

  /**
   * Ends a stream whose client is not keeping up, releasing its buffer at once: a graceful end
   * would wait behind the very data the client is not reading.
   */
  #cut (connection: Connection): void {
    connection.sse.close()
    connection.raw.destroy()
  }

  #of (user: UserId): Connection[] {
    const connections = this.#connections.get(user)
    return connections === undefined ? [] : [...connections]
  }

  #forget (connection: Connection): void {
    const connections = this.#connections.get(connection.user)
    connections?.delete(connection)
    if (connections?.size === 0) this.#connections.delete(connection.user)
  }
}
