/**
 * Server-sent event streams: this instance's open streams by user, woken by the bus.
 *
 * The database is the source of truth of what a stream shows. A `message` event on the bus only
 * says "user X has something new"; each of X's streams then reads X's messages after the last id
 * it has sent, oldest first, and sends them with their id as the SSE `id:`. Since every send
 * locks both participants' dm_user rows before drawing the message id (see Store.insertMessage),
 * each user's messages get ids in commit order: once a stream has shown message N, no message
 * below N can still appear. So, whatever order the bus delivers its events in, and across
 * reconnections (Last-Event-ID starts the tail at that id), a stream shows every message exactly
 * once, in order.
 *
 * - `read` events tell a sender which of their messages the partner read; `deleted` events tell a
 *   user's other devices that they hid a message. Neither is replayed on resume.
 * - A stream whose client does not read is closed once `streamBufferLimit` bytes wait in its send
 *   buffer: the server never buffers without limit, and the client resumes with Last-Event-ID.
 * - When the bus goes down, every stream is closed (wake-ups published meanwhile would be lost),
 *   and new streams are refused with 503 until it is back: a stream never silently stops.
 */
import type { FastifyBaseLogger, FastifyReply } from 'fastify'
import type { BusEvent, DirectMessagesBus } from './bus.js'
import { StreamUnavailable, TooManyStreams } from '../domain/errors.js'
import type { Store } from '../store/index.js'
import type { Message, UserId } from '../domain/types.js'

/** How many messages one catch-up query reads. */
const BATCH = 500

/** One SSE frame, as @fastify/sse sends it. */
interface Frame {
  id?: string
  event: 'message' | 'message_updated' | 'read' | 'deleted' | 'conversation_deleted'
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
  /** The id of the newest message this stream has shown (or started after). */
  lastSentId: number
  /** A catch-up is running; `again` asks it to read once more when it is done. */
  running: boolean
  again: boolean
}

export interface StreamHubOptions {
  store: Store
  bus: DirectMessagesBus
  log: FastifyBaseLogger
  streamBufferLimit: number
  /** Most streams one user may hold open on this instance. */
  maxStreamsPerUser: number
  /** The contract's message object, seen by `me`. */
  present: (message: Message, me: UserId) => unknown
}

export class StreamHub {
  readonly #connections = new Map<UserId, Set<Connection>>()
  readonly #options: StreamHubOptions
  readonly #catchUps = new Set<Promise<void>>()
  #available = false
  #closing = false

  constructor (options: StreamHubOptions) {
    this.#options = options
  }

  /** Starts the bus; resolves once it is connected. */
  async start (): Promise<void> {
    await this.#options.bus.start({
      deliver: (event) => this.#deliver(event),
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

  /**
   * Streams the user's events on `sse`: first every message after `lastEventId` (when given), then
   * live. Without `lastEventId` the stream starts after the user's newest message.
   */
  async open (user: UserId, sse: SseContext, raw: FastifyReply['raw'], lastEventId: number | null): Promise<void> {
    if (!this.#available || this.#closing) throw new StreamUnavailable()
    if ((this.#connections.get(user)?.size ?? 0) >= this.#options.maxStreamsPerUser) throw new TooManyStreams(this.#options.maxStreamsPerUser)
    const lastSentId = lastEventId ?? await this.#options.store.latestMessageId(user)
    const connection: Connection = { user, sse, raw, lastSentId, running: false, again: false }
    let mine = this.#connections.get(user)
    if (mine === undefined) this.#connections.set(user, mine = new Set())
    mine.add(connection)
    sse.keepAlive()
    sse.onClose(() => this.#forget(connection))
    // Commit the headers now (the client sees the stream open, the heartbeat starts).
    sse.sendHeaders(200)
    raw.write(': stream open\n\n')
    // The replay, and anything that committed while the stream was being set up.
    this.#wake(connection)
  }

  /** Ends every stream of this instance (shutdown, bus outage). */
  closeAll (): void {
    for (const connections of this.#connections.values()) {
      for (const connection of connections) connection.sse.close()
    }
    this.#connections.clear()
  }

  /** Ends the streams for good, waits for running catch-ups, and stops the bus. */
  async close (): Promise<void> {
    this.#closing = true
    this.closeAll()
    await Promise.allSettled([...this.#catchUps])
    await this.#options.bus.close()
  }

  #deliver (event: BusEvent): void {
    switch (event.type) {
      case 'message':
        for (const connection of [...this.#of(event.sender), ...this.#of(event.recipient)]) this.#wake(connection)
        return
      case 'read':
        for (const connection of this.#of(event.partner)) {
          this.#write(connection, { event: 'read', data: { partner: event.reader, ids: event.ids, read_at: event.readAt } })
        }
        return
      case 'deleted':
        for (const connection of this.#of(event.user)) this.#write(connection, { event: 'deleted', data: { id: event.id } })
        return
      case 'conversation-deleted':
        for (const connection of this.#of(event.user)) this.#write(connection, { event: 'conversation_deleted', data: { partner: event.partner } })
        return
      case 'updated':
        for (const user of new Set([event.sender, event.recipient])) {
          if (this.#of(user).length > 0) this.#sendUpdate(user, event.id)
        }
    }
  }

  /**
   * A message changed: each of `user`'s streams here gets it as `user` now sees it (one read for
   * all of them), unless `user` has hidden it.
   */
  #sendUpdate (user: UserId, id: number): void {
    const update = this.#options.store.messageFor(user, id).then((message) => {
      if (message === null) return
      const data = this.#options.present(message, user)
      for (const connection of this.#of(user)) this.#write(connection, { event: 'message_updated', data })
    }).catch((err: unknown) => {
      this.#options.log.warn({ err, user, id }, 'directMessages: reading a changed message for its event streams failed')
    }).finally(() => { this.#catchUps.delete(update) })
    this.#catchUps.add(update)
  }

  /** Makes the stream show what it has not shown yet; one catch-up at a time per stream. */
  #wake (connection: Connection): void {
    if (connection.running) {
      connection.again = true
      return
    }
    connection.running = true
    const catchUp = this.#catchUp(connection)
      .catch((err: unknown) => {
        // The stream can no longer promise completeness: end it, the client resumes.
        this.#options.log.error({ err, user: connection.user }, 'directMessages: reading an event stream\'s messages failed')
        connection.sse.close()
      })
      .finally(() => {
        connection.running = false
        this.#catchUps.delete(catchUp)
        // A wake-up that came after the last read of the loop, before this ran.
        if (connection.again && connection.sse.isConnected) this.#wake(connection)
      })
    this.#catchUps.add(catchUp)
  }

  async #catchUp (connection: Connection): Promise<void> {
    do {
      connection.again = false
      const messages = await this.#options.store.messagesAfter(connection.user, connection.lastSentId, BATCH)
      for (const message of messages) {
        const frame: Frame = { id: String(message.id), event: 'message', data: this.#options.present(message, connection.user) }
        if (!this.#write(connection, frame)) return
        connection.lastSentId = message.id
      }
      if (messages.length === BATCH) connection.again = true
    } while (connection.again && connection.sse.isConnected)
  }

  /**
   * Writes a frame without waiting for the client; a client too far behind is cut off, its
   * buffer released at once (a graceful end would wait behind the very data it is not reading).
   * Answers whether the frame was written.
   */
  #write (connection: Connection, frame: Frame): boolean {
    if (!connection.sse.isConnected) return false
    if (connection.raw.writableLength > this.#options.streamBufferLimit) {
      this.#options.log.warn({ user: connection.user, buffered: connection.raw.writableLength }, 'directMessages: closing an event stream whose client is not reading')
      connection.sse.close()
      connection.raw.destroy()
      return false
    }
    connection.sse.send(frame).catch(() => { /* the connection closed; its close callback cleans up */ })
    return true
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
