/**
 * Server-sent event streams: this instance's open streams by user, woken by the bus.
 *
 * The change log (core/change-log.ts) is the source of truth of what a stream shows. An event on
 * the bus only says "user X has something new"; X's streams here then read X's changes after the
 * last one they have shown, oldest first — one read for all of X's streams — and send each with
 * its change id as the SSE `id:`. Each user's changes get ids in commit order (the dm_user lock),
 * so once a stream has shown change N, no change below N can still appear: whatever order the bus
 * delivers in, and across reconnections (Last-Event-ID starts the tail at that change), a stream
 * shows every change exactly once, in order.
 *
 * - A change shows as `message` (new), `message_updated` (edited, unsent, reacted to, read: the
 *   message as the receiver now sees it), `deleted` or `conversation_deleted` (the receiver's own
 *   deletes), and, after the reads of a sender's messages, one `read` summary (no SSE id). A change
 *   to a message the receiver has hidden since is skipped.
 * - A stream starts with an `id:` line of its position (no event), so that a client that saw no
 *   change yet still resumes from where it started.
 * - A stream resumed after a change the log no longer holds (older than `changeRetention`, or not
 *   the user's) starts with a `reset` event: the client reloads, then follows the stream.
 * - `typing` and `presence` are not changes: written to the streams open now, never replayed,
 *   without an SSE id.
 * - Stream requests are admitted a few at a time (OPENING), before their authentication runs, and
 *   reads for streams (positions, catch-ups) run a few at a time (STREAM_READS), catch-ups first;
 *   in a reconnect storm, a request beyond `streamQueueLimit` waiting ones is told to come back (`retry:`).
 * - A stream whose client does not read is closed once `streamBufferLimit` bytes wait in its send
 *   buffer: the server never buffers without limit, and the client resumes with Last-Event-ID.
 * - When the bus goes down, every stream is closed (wake-ups published meanwhile would be lost),
 *   and new streams are refused with 503 until it is back: a stream never silently stops.
 */
import type { FastifyBaseLogger, FastifyReply } from 'fastify'
import { MAX_IDS_PER_EVENT, TYPING_COALESCE, type BusEvent, type DirectMessagesBus } from './bus.js'
import { StreamUnavailable, TooManyStreams } from '../domain/errors.js'
import { CHANGE } from '../core/change-log.js'
import { Gate, ReadSlots } from './admission.js'
import type { Change, ChangeReader } from './changes.js'
import type { Message, UserId } from '../domain/types.js'

/** How many changes one catch-up query reads. */
const BATCH = 500
/**
 * Most reads for streams (a stream's position, a catch-up) running at once on this instance:
 * the rest of the database pool stays free for sends and pages, also in a reconnect storm.
 */
const STREAM_READS = 4
/**
 * A stream turned away reconnects after RETRY_MIN ms plus a random part (SSE `retry:`) that grows
 * with the queue: RETRY_SPREAD ms, or RETRY_PER_WAITING ms per waiting stream if more.
 */
const RETRY_MIN = 1000
const RETRY_SPREAD = 5000
const RETRY_PER_WAITING = 2

/**
 * Stream requests being opened at once (the host's authentication, then the stream's position):
 * the others wait their turn before anything of them runs, so that a reconnect storm does not
 * queue thousands of authentication queries in front of every send.
 */
const OPENING = 8

/** One SSE frame (written by frameText). */
interface Frame {
  id?: string
  event: 'message' | 'message_updated' | 'read' | 'deleted' | 'conversation_deleted' | 'reset' | 'typing' | 'presence'
  data: unknown
}

/** A frame as the event stream's text (JSON has no line breaks: its data is one `data:` line). */
function frameText (frame: Frame): string {
  return `${frame.id === undefined ? '' : `id: ${frame.id}\n`}event: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`
}

/** The part of @fastify/sse's `reply.sse` a stream uses. */
export interface SseContext {
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
  /** The id of the newest change this stream has shown (or started after). */
  lastSentId: number
}

/** A user's streams on this instance, and their one catch-up. */
interface UserStreams {
  connections: Set<Connection>
  /** A catch-up is running; `again` asks it to read once more when it is done. */
  running: boolean
  again: boolean
  /**
   * The `expires_at` (ms) of the last `typing` shown here from each partner: calls sent on by
   * different instances are coalesced here too, as the sending instance coalesces its own.
   */
  typing: Map<UserId, number>
}

export interface StreamHubOptions {
  /** The change log, as streams read it. */
  changes: ChangeReader
  bus: DirectMessagesBus
  log: FastifyBaseLogger
  streamBufferLimit: number
  /** Most streams one user may hold open on this instance. */
  maxStreamsPerUser: number
  /**
   * Stream requests waiting for their turn beyond which a new one is told to come back later. A
   * waiting stream costs a socket and a few hundred bytes; one turned away costs a whole request
   * (its authentication included) each time it comes back, so the default queue is long.
   */
  streamQueueLimit: number
  /** The contract's message object (JSON), seen by `me`. */
  toJson: (message: Message, me: UserId) => unknown
  /** The `changeRetention` option. */
  changeRetention: number | null
  /** Told when a user's first stream on this instance opens and their last one closes (presence). */
  presence?: { arrived(user: UserId): void, left(user: UserId): void } | null
}

export class StreamHub {
  readonly #users = new Map<UserId, UserStreams>()
  readonly #options: StreamHubOptions
  readonly #catchUps = new Set<Promise<void>>()
  readonly #reads = new ReadSlots(STREAM_READS)
  readonly #opening: Gate
  #available = false
  #closing = false

  constructor (options: StreamHubOptions) {
    this.#options = options
    this.#opening = new Gate(OPENING, options.streamQueueLimit)
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
   * Streams the user's events on `sse`: first every change after `lastEventId` (when given), then
   * live. Without `lastEventId` the stream starts after the user's newest change; with one the
   * log no longer holds, after a `reset` event.
   */
  async open (user: UserId, sse: SseContext, raw: FastifyReply['raw'], lastEventId: number | null): Promise<void> {
    if (!this.#available || this.#closing) throw new StreamUnavailable()
    if ((this.#users.get(user)?.connections.size ?? 0) >= this.#options.maxStreamsPerUser) throw new TooManyStreams(this.#options.maxStreamsPerUser)
    const position = await this.#reads.run('open', async () => sse.isConnected
      ? await this.#options.changes.position(user, lastEventId ?? 0, this.#options.changeRetention)
      : null)
    // The client left while it waited.
    if (position === null || !sse.isConnected) return
    if (!this.#available || this.#closing) throw new StreamUnavailable()
    if ((this.#users.get(user)?.connections.size ?? 0) >= this.#options.maxStreamsPerUser) throw new TooManyStreams(this.#options.maxStreamsPerUser)
    const reset = lastEventId !== null && !position.resumable
    const lastSentId = lastEventId === null || reset ? position.latest : lastEventId
    const connection: Connection = { user, sse, raw, lastSentId }
    let mine = this.#users.get(user)
    if (mine === undefined) {
      this.#users.set(user, mine = { connections: new Set(), running: false, again: false, typing: new Map() })
      this.#options.presence?.arrived(user)
    }
    mine.connections.add(connection)
    sse.keepAlive()
    sse.onClose(() => this.#forget(connection))
    // Commit the headers now (the client sees the stream open, the heartbeat starts).
    sse.sendHeaders(200)
    raw.write(': stream open\n\n')
    if (reset) this.#write(connection, { id: String(lastSentId), event: 'reset', data: { reason: 'the changes after Last-Event-ID are no longer kept: reload, then follow the stream' } })
    // The position, without an event: a client that sees no change before it reconnects resumes here.
    else this.#writePosition(connection, lastSentId)
    // The replay, and anything that committed while the stream was being set up.
    this.#wake(user)
  }

  /**
   * Admission of a stream request, before anything of it runs (its authentication included):
   * resolves with the function to call once the stream is open (or refused); null when so many
   * wait already that this one is to come back later (see {@link retryDelay}).
   */
  admit (): Promise<() => void> | null {
    return this.#opening.enter()
  }

  /** The reconnection delay told to a stream turned away (SSE `retry:`): random, longer the longer the queue. */
  retryDelay (): number {
    return RETRY_MIN + Math.floor(Math.random() * Math.max(RETRY_SPREAD, this.#opening.waiting * RETRY_PER_WAITING))
  }

  /** Ends every stream of this instance (shutdown, bus outage). */
  closeAll (): void {
    for (const [user, streams] of this.#users) {
      for (const connection of streams.connections) connection.sse.close()
      this.#options.presence?.left(user)
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

  /** Every event says whose changes to read: those users' streams here catch up. */
  #deliver (event: BusEvent): void {
    switch (event.type) {
      case 'message':
      case 'updated':
        this.#wake(event.sender)
        this.#wake(event.recipient)
        return
      case 'read':
        this.#wake(event.reader)
        this.#wake(event.partner)
        return
      case 'deleted':
      case 'conversation_deleted':
        this.#wake(event.user)
        return
      // Not changes: shown to the streams open now, never replayed, without an SSE id.
      case 'typing': {
        const streams = this.#users.get(event.partner)
        if (streams === undefined) return
        // Each instance coalesces the calls it receives; calls through two instances less than
        // TYPING_COALESCE apart (or arriving out of order) are shown once here. All instances hear
        // the same events, so they agree on which ones to show.
        const expires = Date.parse(event.expiresAt)
        const shown = streams.typing.get(event.user)
        if (shown !== undefined && expires - shown < TYPING_COALESCE) return
        streams.typing.set(event.user, expires)
        this.#tell(event.partner, { event: 'typing', data: { partner: event.user, expires_at: event.expiresAt } })
        return
      }
      case 'presence':
        for (const user of event.to) this.#tell(user, { event: 'presence', data: { user: event.user, online: event.online, last_seen_at: event.lastSeenAt } })
    }
  }

  /** Writes a frame to every stream of `user` here. */
  #tell (user: UserId, frame: Frame): void {
    const streams = this.#users.get(user)
    if (streams !== undefined) for (const connection of streams.connections) this.#write(connection, frame)
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
   * Reads the user's changes after the oldest position among their open streams, and gives each
   * stream those after its own. A stream opened during the read woke the user again: the next
   * read starts from its position, so no stream skips a change.
   */
  async #catchUp (user: UserId, streams: UserStreams): Promise<void> {
    do {
      streams.again = false
      const open = [...streams.connections].filter((connection) => connection.sse.isConnected)
      if (open.length === 0) return
      const from = Math.min(...open.map((connection) => connection.lastSentId))
      const changes = await this.#reads.run('delivery', () => this.#options.changes.after(user, from, BATCH))
      const frames = this.#framesOf(user, changes)
      const last = changes[changes.length - 1]?.id
      for (const connection of open) {
        let written = true
        const start = connection.lastSentId
        for (const { after, frame } of frames) {
          if (after <= start) continue
          if (!(written = this.#write(connection, frame))) break
          if (frame.id !== undefined) connection.lastSentId = after
        }
        // Changes that showed nothing (messages hidden since) are behind this stream too: its
        // client is told (an id without an event), so that it does not resume before them.
        if (written && last !== undefined && last > connection.lastSentId && this.#writePosition(connection, last)) connection.lastSentId = last
      }
      if (changes.length === BATCH) streams.again = true
    } while (streams.again && streams.connections.size > 0)
  }

  /**
   * The frames of `user`'s changes, each with the change id it follows (`after`): a `read`
   * summary follows the last read of a run of reads of the same partner at the same time.
   */
  #framesOf (user: UserId, changes: Change[]): Array<{ after: number, frame: Frame }> {
    const frames: Array<{ after: number, frame: Frame }> = []
    let reads: { partner: UserId, readAt: string, ids: number[], after: number } | null = null
    const flush = (): void => {
      if (reads === null) return
      for (let i = 0; i < reads.ids.length; i += MAX_IDS_PER_EVENT) {
        frames.push({ after: reads.after, frame: { event: 'read', data: { partner: reads.partner, ids: reads.ids.slice(i, i + MAX_IDS_PER_EVENT), read_at: reads.readAt } } })
      }
      reads = null
    }
    for (const change of changes) {
      const { message } = change
      const id = String(change.id)
      // A read of one of the user's own messages: part of the partner's read summary.
      const readOfMine = change.kind === CHANGE.read && message?.senderId === user && message.readAt !== null ? message : null
      if (reads !== null && (readOfMine === null || readOfMine.recipientId !== reads.partner || readOfMine.readAt?.toISOString() !== reads.readAt)) flush()
      switch (change.kind) {
        case CHANGE.message:
          if (message !== null) frames.push({ after: change.id, frame: { id, event: 'message', data: this.#options.toJson(message, user) } })
          break
        case CHANGE.updated:
        case CHANGE.read:
          if (message !== null) frames.push({ after: change.id, frame: { id, event: 'message_updated', data: this.#options.toJson(message, user) } })
          break
        case CHANGE.deleted:
          frames.push({ after: change.id, frame: { id, event: 'deleted', data: { id: change.messageId } } })
          break
        case CHANGE.conversationDeleted:
          frames.push({ after: change.id, frame: { id, event: 'conversation_deleted', data: { partner: change.partnerId } } })
      }
      if (readOfMine !== null) {
        reads ??= { partner: readOfMine.recipientId, readAt: (readOfMine.readAt as Date).toISOString(), ids: [], after: change.id }
        reads.ids.push(readOfMine.id)
        reads.after = change.id
      }
    }
    flush()
    return frames
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
    // Written straight to the socket, as the position lines are: a send through the SSE context would
    // add a pair of drain/error listeners for each frame written while the socket's buffer is full.
    connection.raw.write(frameText(frame))
    return true
  }

  /** Writes an `id:` line without an event (browsers keep it as the Last-Event-ID, dispatch nothing). */
  #writePosition (connection: Connection, id: number): boolean {
    if (!connection.sse.isConnected) return false
    connection.raw.write(`id: ${id}\n\n`)
    return true
  }

  #forget (connection: Connection): void {
    const streams = this.#users.get(connection.user)
    streams?.connections.delete(connection)
    // A catch-up still running keeps its record; the next open makes a new one.
    if (streams?.connections.size === 0 && this.#users.get(connection.user) === streams) {
      this.#users.delete(connection.user)
      this.#options.presence?.left(connection.user)
    }
  }
}
