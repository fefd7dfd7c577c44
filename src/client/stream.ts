/**
 * The event-stream reader of the client: an SSE parser (as browsers' EventSource parses) and a
 * subscription over `fetch` that resumes with Last-Event-ID and backs off with jitter.
 */
import { DirectMessagesError, errorOf } from './errors.js'
import type { StreamEventName, StreamEvents } from './types.js'

/** One dispatched SSE event. */
export interface SseEvent {
  /** `event:` (default `message`). */
  type: string
  /** The `data:` lines, joined with `\n`. */
  data: string
  /** The `id:` of this event's own block; undefined when the block had none. */
  id: string | undefined
}

export interface SseParserCallbacks {
  /** An event (a block with data). */
  event(event: SseEvent): void
  /** The last event id changed (an `id:` line, also in a block without data). */
  id?(lastEventId: string): void
  /** A `retry: <ms>` line. */
  retry?(ms: number): void
}

/**
 * Parses a `text/event-stream` by the HTML standard's rules: lines end with CRLF, LF or CR (also
 * split across chunks); `:` lines are comments; `field: value` (one leading space dropped);
 * several `data:` lines join with `\n`; an `id:` sets the last event id when its block ends (even
 * a block without data), unless it holds NUL; `retry:` takes digits only; a block ends at an empty
 * line, and a block without data dispatches nothing. An unfinished block at the end is dropped.
 */
export class SseParser {
  #buffer = ''
  #skipLineFeed = false
  #data: string[] = []
  #type = ''
  #blockId: string | undefined
  #idBuffer: string
  readonly #callbacks: SseParserCallbacks

  constructor (callbacks: SseParserCallbacks, lastEventId = '') {
    this.#callbacks = callbacks
    this.#idBuffer = lastEventId
  }

  /** Parses the next piece of text. */
  push (text: string): void {
    if (text === '') return
    if (this.#skipLineFeed) {
      this.#skipLineFeed = false
      if (text.startsWith('\n')) text = text.slice(1)
    }
    const buffer = this.#buffer + text
    let start = 0
    const ends = /\r\n|\r|\n/g
    let match: RegExpExecArray | null
    while ((match = ends.exec(buffer)) !== null) {
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && match.index === buffer.length - 1) this.#skipLineFeed = true
      this.#line(buffer.slice(start, match.index))
      start = ends.lastIndex
    }
    this.#buffer = buffer.slice(start)
  }

  /** Forgets an unfinished line and block (the connection ended). */
  reset (): void {
    this.#buffer = ''
    this.#skipLineFeed = false
    this.#data = []
    this.#type = ''
    this.#blockId = undefined
  }

  #line (line: string): void {
    if (line === '') return this.#dispatch()
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'event':
        this.#type = value
        break
      case 'data':
        this.#data.push(value)
        break
      case 'id':
        if (!value.includes('\0')) this.#idBuffer = this.#blockId = value
        break
      case 'retry':
        if (/^\d+$/.test(value)) this.#callbacks.retry?.(Number(value))
        break
    }
  }

  #dispatch (): void {
    const id = this.#blockId
    const data = this.#data
    const type = this.#type
    this.#data = []
    this.#type = ''
    this.#blockId = undefined
    if (id !== undefined) this.#callbacks.id?.(this.#idBuffer)
    if (data.length === 0) return
    this.#callbacks.event({ type: type === '' ? 'message' : type, data: data.join('\n'), id })
  }
}

/** What a handler gets besides the event's data. */
export interface EventMeta {
  /** The SSE id of this event (a change id); undefined for events without one (`read`, `typing`, `presence`). */
  id: string | undefined
}

/** One function per event, each optional; unknown events are ignored. */
export type EventHandlers = {
  [E in StreamEventName]?: (data: StreamEvents[E], meta: EventMeta) => unknown
}

/**
 * `connecting`: the first connection is being made; `open`: the server answered 200 with an event
 * stream; `reconnecting`: waiting to reconnect, or reconnecting; `closed`: for good (`close()`, the
 * `signal`, or an error that retrying cannot fix).
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed'

export interface ConnectionStateInfo {
  /** Connection attempts since the last one that delivered something (0 on the first). */
  attempt: number
  /** With `reconnecting`: the wait, in ms, before the next attempt. */
  delay?: number
  /** With `reconnecting` and `closed`: why the connection failed or ended, when it was an error. */
  error?: unknown
}

export interface SubscribeOptions {
  /** Start after this event id (a change id a previous subscription kept): sent as `Last-Event-ID`. */
  lastEventId?: string
  /** Told each state change, and each new wait while `reconnecting`. */
  onStateChange?: (state: ConnectionState, info: ConnectionStateInfo) => void
  /**
   * Told of a handler that threw (or whose promise rejected), data that is not JSON, and the error
   * that closed the subscription. Without it, a handler's error is thrown again asynchronously.
   */
  onError?: (error: unknown) => void
  /** The first reconnection delay in ms, doubled after each attempt that delivered nothing (default 1000). */
  initialDelay?: number
  /** The longest delay in ms, before jitter (default 30000). */
  maxDelay?: number
  /**
   * Reconnect when nothing (not even a heartbeat) arrived for this long, in ms (default 45000;
   * 0: never). Keep it above the server's `heartbeatInterval` (default 15 s).
   */
  idleTimeout?: number
  /** Aborting it closes the subscription. */
  signal?: AbortSignal
}

export interface Subscription {
  /** Stops for good: ends the connection, cancels a pending reconnection. Idempotent. */
  close(): void
  /** The last event id received (what a reconnection sends as `Last-Event-ID`). */
  readonly lastEventId: string | undefined
  readonly state: ConnectionState
  /** Resolves once the subscription is closed. */
  readonly closed: Promise<void>
}

/** Opens the stream: `lastEventId` goes into the `Last-Event-ID` header. */
export type StreamRequest = (lastEventId: string | undefined, signal: AbortSignal) => Promise<Response>

/** Statuses worth retrying: the rest (401, 400, 403, 404, 406...) close the subscription. */
const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504])
/** Reconnection delays are the computed one plus up to this share of it, at random. */
const JITTER = 0.5

class IdleTimeout extends Error {
  override readonly name = 'IdleTimeout'
}

/** @internal The loop behind `DirectMessagesClient.subscribe`. */
export function openSubscription (request: StreamRequest, handlers: EventHandlers, options: SubscribeOptions = {}): Subscription {
  const initialDelay = options.initialDelay ?? 1000
  const maxDelay = options.maxDelay ?? 30_000
  const idleTimeout = options.idleTimeout ?? 45_000
  let lastEventId = options.lastEventId === '' ? undefined : options.lastEventId
  let state: ConnectionState = 'connecting'
  let closed = false
  /** The server's `retry:`, which replaces initialDelay from then on (as in EventSource). */
  let serverRetry: number | undefined
  let current: AbortController | undefined
  let wake: (() => void) | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let resolveClosed: () => void = () => {}
  const closedPromise = new Promise<void>((resolve) => { resolveClosed = resolve })

  const report = (error: unknown, rethrow: boolean): void => {
    if (options.onError !== undefined) {
      try { options.onError(error) } catch { /* a throwing onError cannot stop the stream */ }
    } else if (rethrow) {
      queueMicrotask(() => { throw error })
    }
  }

  const setState = (next: ConnectionState, info: ConnectionStateInfo): void => {
    if (next === state && next !== 'reconnecting') return
    state = next
    try { options.onStateChange?.(next, info) } catch (err) { report(err, true) }
  }

  let delivered = false
  const parser = new SseParser({
    id (id) {
      lastEventId = id === '' ? undefined : id
      delivered = true
    },
    retry (ms) {
      serverRetry = ms
    },
    event ({ type, data, id }) {
      delivered = true
      const handler = (handlers as Record<string, ((data: unknown, meta: EventMeta) => unknown) | undefined>)[type]
      if (handler === undefined || closed) return
      let parsed: unknown
      try {
        parsed = JSON.parse(data)
      } catch {
        return report(new Error(`event "${type}": data is not JSON`), false)
      }
      try {
        const result = handler(parsed, { id })
        if (typeof (result as Promise<unknown> | undefined)?.then === 'function') (result as Promise<unknown>).then(undefined, (err: unknown) => report(err, true))
      } catch (err) {
        report(err, true)
      }
    }
  }, lastEventId ?? '')

  const close = (error?: unknown): void => {
    if (closed) return
    closed = true
    current?.abort()
    if (timer !== undefined) clearTimeout(timer)
    wake?.()
    options.signal?.removeEventListener('abort', onAbort)
    setState('closed', error === undefined ? { attempt: 0 } : { attempt: 0, error })
    if (error !== undefined) report(error, false)
    resolveClosed()
  }
  const onAbort = (): void => close()
  if (options.signal?.aborted === true) queueMicrotask(onAbort)
  else options.signal?.addEventListener('abort', onAbort)

  /** Reads one connection's body until it ends; throws on a network error or the idle timeout. */
  const read = async (body: ReadableStream<Uint8Array>, controller: AbortController): Promise<void> => {
    const reader = body.getReader()
    const decoder = new TextDecoder()
    let lastActivity = Date.now()
    let idle = false
    let watchdog: ReturnType<typeof setTimeout> | undefined
    const arm = (wait: number): void => {
      watchdog = setTimeout(() => {
        const quiet = Date.now() - lastActivity
        if (quiet < idleTimeout) return arm(idleTimeout - quiet)
        idle = true
        controller.abort()
      }, wait)
    }
    if (idleTimeout > 0) arm(idleTimeout)
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        lastActivity = Date.now()
        parser.push(decoder.decode(value, { stream: true }))
      }
      parser.push(decoder.decode())
    } catch (err) {
      throw idle ? new IdleTimeout(`nothing received for ${idleTimeout} ms`) : err
    } finally {
      if (watchdog !== undefined) clearTimeout(watchdog)
      parser.reset()
      reader.cancel().catch(() => {})
    }
  }

  const run = async (): Promise<void> => {
    let attempt = 0
    for (;;) {
      if (closed) break
      const controller = current = new AbortController()
      let retryAfter: number | undefined
      let failure: unknown
      delivered = false
      try {
        const response = await request(lastEventId, controller.signal)
        if (closed) {
          response.body?.cancel().catch(() => {})
          break
        }
        const type = response.headers.get('content-type') ?? ''
        if (!response.ok) {
          const error = await errorOf(response)
          if (!RETRYABLE.has(response.status)) return close(error)
          retryAfter = error.retryAfter
          failure = error
        } else if (!/^text\/event-stream/i.test(type) || response.body === null) {
          response.body?.cancel().catch(() => {})
          return close(new DirectMessagesError(response.status, `not an event stream (content-type: ${type || 'none'})`))
        } else {
          setState('open', { attempt })
          await read(response.body, controller)
        }
      } catch (err) {
        failure = err
      }
      if (closed) break
      if (delivered) attempt = 0
      const base = serverRetry ?? initialDelay
      let delay = Math.max(base, Math.min(maxDelay, base * 2 ** attempt))
      if (retryAfter !== undefined) delay = Math.max(delay, retryAfter)
      delay = Math.round(delay + Math.random() * delay * JITTER)
      attempt++
      setState('reconnecting', failure === undefined ? { attempt, delay } : { attempt, delay, error: failure })
      await new Promise<void>((resolve) => {
        wake = resolve
        timer = setTimeout(resolve, delay)
      })
      timer = undefined
      wake = undefined
    }
  }

  // The first state is reported after subscribe() returns, so that the caller holds the subscription.
  queueMicrotask(() => {
    if (closed) return
    try { options.onStateChange?.('connecting', { attempt: 0 }) } catch (err) { report(err, true) }
    run().catch((err: unknown) => close(err))
  })

  return {
    close: () => close(),
    get lastEventId () { return lastEventId },
    get state () { return state },
    closed: closedPromise
  }
}
