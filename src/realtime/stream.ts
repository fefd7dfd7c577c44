/**
 * Server-sent event streams: this instance's open streams by user, woken by the bus.
 *
 * The database is the source of truth of what a stream shows. A `message` event on the bus only
 * says "user X has something new"; X's streams here then read X's messages after the last id they
 * have sent, oldest first — one read for all of X's streams — and send them with their id as the
 * SSE `id:`. Since every send locks both participants' dm_user rows before drawing the message id
 * (see Store.sendMessage),
 * each user's messages get ids in commit order: once a stream has shown message N, no message
 * below N can still appear. So, whatever order the bus delivers its events in, and across
 * reconnections (Last-Event-ID starts the tail at that id), a stream shows every message exactly
 * once, in order.
 *
 * - `read` events tell a sender which of their messages the partner read; `deleted` events tell a
 *   user's other devices that they hid a message; `message_updated` events carry a message that
 *   was edited, unsent or reacted to. None of these is replayed on resume yet.
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
}

/** A user's streams on this instance, and their one catch-up. */
interface UserStreams {
  connections: Set<Connection>
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
  readonly #users = new Map<UserId, UserStreams>()
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
    if ((this.#users.get(user)?.connections.size ?? 0) >= this.#options.maxStreamsPerUser) throw new TooManyStreams(this.#options.maxStreamsPerUser)
    const lastSentId = lastEventId ?? await this.#options.store.latestMessageId(user)
    const connection: Connection = { user, sse, raw, lastSentId }
    let mine = this.#users.get(user)
    if (mine === undefined) this.#users.set(user, mine = { connections: new Set(), running: false, again: false })
    mine.connections.add(connection)
    sse.keepAlive()
    sse.onClose(() => this.#forget(connection))
    // Commit the headers now (the client sees the stream open, the heartbeat starts).
    sse.sendHeaders(200)
    raw.write(': stream open\n\n')
    // The replay, and anything that committed while the stream was being set up.
    this.#wake(user)
  }

  /** Ends every stream of this instance (shutdown, bus outage). */
  closeAll (): void {
    for (const streams of this.#users.values()) {
      for (const connection of streams.connections) connection.sse.close()
    }
    this.#users.clear()
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
        this.#wake(event.sender)
        this.#wake(event.recipient)
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

  /**
   * Makes the user's streams here show what they have not shown yet: one catch-up at a time per
   * user, whatever their number of streams, each read shared by all of them.
   */
  #wake (user: UserId): void {
    const streams = this.#users.get(user)
    if (streams === undefined) return
    if (streams.running) {
      streams.again = true
      return
    }
    streams.running = true
    const catchUp = this.#catchUp(user, streams)
      .catch((err: unknown) => {
        // The streams can no longer promise completeness: end them, the clients resume.
        this.#options.log.error({ err, user }, 'directMessages: reading an event stream\'s messages failed')
        for (const connection of streams.connections) connection.sse.close()
      })
      .finally(() => {
        streams.running = false
        this.#catchUps.delete(catchUp)
        // A wake-up that came after the last read of the loop, before this ran.
        if (streams.again && streams.connections.size > 0) this.#wake(user)
      })
    this.#catchUps.add(catchUp)
  }

  /**
   * Reads the user's messages after the oldest position among their open streams, and gives each
   * stream those after its own. A stream opened during the read woke the user again: the next
   * read starts from its position, so no stream skips a message.
   */
  async #catchUp (user: UserId, streams: UserStreams): Promise<void> {
    do {
      streams.again = false
      const open = [...streams.connections].filter((connection) => connection.sse.isConnected)
      if (open.length === 0) return
      const from = Math.min(...open.map((connection) => connection.lastSentId))
      const messages = await this.#options.store.messagesAfter(user, from, BATCH)
      const frames = messages.map((message): Frame => ({ id: String(message.id), event: 'message', data: this.#options.present(message, user) }))
      for (const connection of open) {
        for (const [i, message] of messages.entries()) {
          if (message.id <= connection.lastSentId) continue
          if (!this.#write(connection, frames[i] as Frame)) break
          connection.lastSentId = message.id
        }
      }
      if (messages.length === BATCH) streams.again = true
    } while (streams.again && streams.connections.size > 0)
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
    const streams = this.#users.get(user)
    return streams === undefined ? [] : [...streams.connections]
  }

  #forget (connection: Connection): void {
    const streams = this.#users.get(connection.user)
    streams?.connections.delete(connection)
    // A catch-up still running keeps its record; the next open makes a new one.
    if (streams?.connections.size === 0) this.#users.delete(connection.user)
  }
}
