/**
 * The typed event hub behind `fastify.directMessages.on/off`. Events are delivered after the
 * transaction that caused them has committed, on a later turn of the event loop, so a slow or
 * throwing listener never fails or delays the request that triggered it.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Message, UserId } from './types.js'

/** Payload of `messageRead` (and, with `recipientMuted`, of `messageSent`). */
export interface MessageEvent {
  /** The message as stored (for `messageRead`, with its new `readAt`). */
  message: Message
  /** The sender's user id. */
  from: UserId
  /** The recipient's user id. */
  to: UserId
}

/** Payload of `messageSent`. */
export interface MessageSentEvent extends MessageEvent {
  /**
   * Whether the recipient has muted the conversation with the sender, as it stood when the
   * message was stored: a host sending push notifications can skip them for a muted conversation.
   */
  recipientMuted: boolean
}

/** Payload of `messageEdited`. */
export interface MessageEditedEvent {
  /** The message with its new content (as its sender sees it). */
  message: Message
  /** The content it had before. */
  previousContent: string
}

/** Payload of `messageUnsent`. */
export interface MessageUnsentEvent {
  /** The tombstone. */
  message: Message
}

/** Payload of `reactionAdded` and `reactionRemoved`. */
export interface ReactionEvent {
  /** The message with its reactions after the change (as the reacting user sees it). */
  message: Message
  emoji: string
  /** Who reacted, or took the reaction back. */
  userId: UserId
}

/** The events and their payloads. */
export interface DirectMessageEvents {
  /** A message was stored (emitted once per message, after commit). */
  messageSent: MessageSentEvent
  /** An unread message was marked read (emitted once per message that changed, after commit). */
  messageRead: MessageEvent
  /** The sender edited a message (not emitted when the content did not change). */
  messageEdited: MessageEditedEvent
  /** The sender unsent a message (once). */
  messageUnsent: MessageUnsentEvent
  /** A user reacted to a message (not emitted when they already had). */
  reactionAdded: ReactionEvent
  /** A user took a reaction back (not emitted when there was none). */
  reactionRemoved: ReactionEvent
}

export type EventName = keyof DirectMessageEvents
export type Listener<E extends EventName> = (payload: DirectMessageEvents[E]) => unknown

export class EventHub {
  readonly #listeners: { [E in EventName]: Set<Listener<E>> } = {
    messageSent: new Set(),
    messageRead: new Set(),
    messageEdited: new Set(),
    messageUnsent: new Set(),
    reactionAdded: new Set(),
    reactionRemoved: new Set()
  }

  readonly #log: FastifyBaseLogger

  constructor (log: FastifyBaseLogger) {
    this.#log = log
  }

  on<E extends EventName>(event: E, listener: Listener<E>): void {
    this.#set(event).add(listener)
  }

  off<E extends EventName>(event: E, listener: Listener<E>): void {
    this.#set(event).delete(listener)
  }

  /** Whether anything listens: lets callers skip building payloads nobody reads. */
  listens (event: EventName): boolean {
    return this.#listeners[event].size > 0
  }

  /** Delivers each payload to every listener on a later turn; failures are logged, never thrown. */
  emit<E extends EventName>(event: E, payloads: ReadonlyArray<DirectMessageEvents[E]>): void {
    const listeners = [...this.#set(event)]
    if (listeners.length === 0 || payloads.length === 0) return
    setImmediate(() => {
      for (const payload of payloads) {
        for (const listener of listeners) this.#call(event, listener, payload)
      }
    })
  }

  #call<E extends EventName>(event: E, listener: Listener<E>, payload: DirectMessageEvents[E]): void {
    try {
      const result = listener(payload)
      if (isPromiseLike(result)) {
        result.then(undefined, (err: unknown) => this.#log.error({ err, event }, 'directMessages listener failed'))
      }
    } catch (err) {
      this.#log.error({ err, event }, 'directMessages listener failed')
    }
  }

  #set<E extends EventName>(event: E): Set<Listener<E>> {
    const set = this.#listeners[event] as Set<Listener<E>> | undefined
    if (set === undefined) throw new TypeError(`Unknown directMessages event "${String(event)}"; expected one of ${Object.keys(this.#listeners).join(', ')}`)
    return set
  }
}

function isPromiseLike (value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
