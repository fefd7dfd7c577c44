/**
 * The bus carries real-time events between the instances of an application, behind one small
 * interface (like @fastify/rate-limit's stores): the in-process bus for a single instance, and
 * PostgreSQL LISTEN/NOTIFY or Redis pub/sub for several (see postgres-bus.ts, redis-bus.ts).
 *
 * Events carry ids, not message bodies: each instance reads what its own streams need from the
 * database, and payloads stay far below PostgreSQL's 8000-byte NOTIFY limit.
 */
import { STRING_USER_ID } from '../domain/ids.js'
import type { UserId } from '../domain/types.js'

/** Most message ids in one `read` event: keeps a payload under ~6 KB. */
export const MAX_IDS_PER_EVENT = 400

/** How long a typing indicator lasts (`expires_at` is this long after the call). */
export const TYPING_TIMEOUT = 5000
/**
 * Typing calls of one user to one partner closer than this are sent on once: by the instance that
 * takes them, and again by each instance that shows them (calls through different instances).
 */
export const TYPING_COALESCE = 2000

/** Most partners one `presence` event is told to (the user's most recent, connected ones). */
export const MAX_PRESENCE_AUDIENCE = 50

/** What crosses instances. */
export type BusEvent =
  /** Message `id` from `sender` to `recipient` was stored. */
  | { type: 'message', id: number, sender: UserId, recipient: UserId }
  /** `reader` read messages `ids` that `partner` had sent, at `readAt` (ISO 8601). */
  | { type: 'read', reader: UserId, partner: UserId, ids: number[], readAt: string }
  /** `user` hid message `id` for themselves. */
  | { type: 'deleted', user: UserId, id: number }
  /** `user` hid their whole conversation with `partner`. */
  | { type: 'conversation_deleted', user: UserId, partner: UserId }
  /** Message `id` between `sender` and `recipient` changed (an edit, unsend or reaction). */
  | { type: 'updated', id: number, sender: UserId, recipient: UserId }
  /** `user` is typing to `partner`, until `expiresAt` (ISO 8601). Nothing of it is stored. */
  | { type: 'typing', user: UserId, partner: UserId, expiresAt: string }
  /** `user` came online or went offline: told to `to` (at most 50 of their partners). */
  | { type: 'presence', user: UserId, online: boolean, lastSeenAt: string | null, to: UserId[] }

/** What a bus reports to the plugin once started. */
export interface BusHandlers {
  /** Every event published by any instance, this one included, exactly once per instance. */
  deliver(event: BusEvent): void
  /**
   * The bus lost its connection: events published meanwhile may never arrive, so the plugin
   * closes its streams (clients resume with Last-Event-ID) and refuses new ones until `up`.
   */
  down(error: Error): void
  /** The bus is connected (again). */
  up(): void
}

/** A transport of {@link BusEvent}s between instances. */
export interface DirectMessagesBus {
  /** A short name for logs and errors, e.g. `"postgres"`. */
  readonly name: string
  /** Connects and subscribes; resolves once events can flow. Reconnects by itself afterwards. */
  start(handlers: BusHandlers): Promise<void>
  /** Sends an event to every instance (this one included). Rejects when the bus is down. */
  publish(event: BusEvent): Promise<void>
  /** Unsubscribes and releases every connection and timer. */
  close(): Promise<void>
}

/** The in-process bus: the default, for an application running as a single instance. */
export function memoryBus (): DirectMessagesBus {
  let handlers: BusHandlers | null = null
  return {
    name: 'memory',
    async start (h) {
      handlers = h
      h.up()
    },
    async publish (event) {
      // Asynchronous like the networked buses: delivery never runs inside the publisher's call.
      const target = handlers
      if (target !== null) queueMicrotask(() => target.deliver(event))
    },
    async close () {
      handlers = null
    }
  }
}

/** Encodes an event for a text transport. */
export function encodeEvent (event: BusEvent): string {
  return JSON.stringify(event)
}

/** Decodes an event from a text transport; anything malformed answers null. */
export function decodeEvent (text: string): BusEvent | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const event = value as Record<string, unknown>
  const isId = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) > 0
  const isUser = (x: unknown): x is UserId => isId(x) || (typeof x === 'string' && STRING_USER_ID.test(x))
  switch (event.type) {
    case 'message':
      return isId(event.id) && isUser(event.sender) && isUser(event.recipient)
        ? { type: 'message', id: event.id, sender: event.sender, recipient: event.recipient }
        : null
    case 'read':
      return isUser(event.reader) && isUser(event.partner) && Array.isArray(event.ids) && event.ids.every(isId) && typeof event.readAt === 'string'
        ? { type: 'read', reader: event.reader, partner: event.partner, ids: event.ids as number[], readAt: event.readAt }
        : null
    case 'deleted':
      return isUser(event.user) && isId(event.id) ? { type: 'deleted', user: event.user, id: event.id } : null
    case 'updated':
      return isId(event.id) && isUser(event.sender) && isUser(event.recipient)
        ? { type: 'updated', id: event.id, sender: event.sender, recipient: event.recipient }
        : null
    // (`conversation-deleted`: the spelling of earlier versions, which a cluster being upgraded still runs.)
    case 'conversation_deleted':
    case 'conversation-deleted':
      return isUser(event.user) && isUser(event.partner) ? { type: 'conversation_deleted', user: event.user, partner: event.partner } : null
    case 'typing':
      return isUser(event.user) && isUser(event.partner) && typeof event.expiresAt === 'string'
        ? { type: 'typing', user: event.user, partner: event.partner, expiresAt: event.expiresAt }
        : null
    case 'presence':
      return isUser(event.user) && typeof event.online === 'boolean' && (event.lastSeenAt === null || typeof event.lastSeenAt === 'string') &&
        Array.isArray(event.to) && event.to.length <= MAX_PRESENCE_AUDIENCE && event.to.every(isUser)
        ? { type: 'presence', user: event.user, online: event.online, lastSeenAt: event.lastSeenAt, to: event.to as UserId[] }
        : null
    default:
      return null
  }
}
