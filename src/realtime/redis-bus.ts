/**
 * A {@link DirectMessagesBus} over Redis pub/sub. Needs the optional peer dependency `ioredis`
 * (version 6), imported only when the bus starts, so applications that do not use this bus need
 * not install it.
 */
import type { Redis, RedisOptions } from 'ioredis'
import { type BusEvent, type BusHandlers, type DirectMessagesBus, decodeEvent, encodeEvent } from './bus.js'

/** Options of {@link redisBus}. */
export interface RedisBusOptions {
  /** The Redis server, e.g. `redis://:secret@cache:6379/0` (default `"redis://127.0.0.1:6379"`). */
  url?: string
  /** The pub/sub channel, shared by every instance of the application (default `"directmessages"`). */
  channel?: string
  /**
   * Prefix of the names the two connections give themselves (`CLIENT SETNAME`), to tell them
   * apart in `CLIENT LIST`: `<connectionName>-subscriber` and `<connectionName>-publisher`
   * (default `"directmessages"`). No spaces.
   */
  connectionName?: string
}

/** How long `start` waits for both connections and the subscription. */
const START_TIMEOUT = 5000
/** How long a publish may wait for the server's answer before it rejects. */
const PUBLISH_TIMEOUT = 2000

/**
 * The Redis bus: two connections per instance, a subscriber (in subscribe mode, it can do nothing
 * else) and a publisher.
 *
 * - `start` connects both and subscribes, then reports `up`; it rejects when that does not
 *   succeed within 5 s (unreachable server, wrong password...), leaving nothing running.
 * - ioredis reconnects by itself (exponential backoff up to 5 s). When the subscriber's
 *   connection is lost the bus reports `down(error)` once; when it is back and subscribed again,
 *   `up`. (ioredis's own `autoResubscribe` is turned off: it re-subscribes without waiting for
 *   the answer, whereas this bus subscribes itself on each reconnection and reports `up` only
 *   once Redis has confirmed the subscription.) The publisher's outages are not reported: they
 *   only make `publish` fail.
 * - `publish` rejects at once while the publisher is not connected (no offline queue), rejects as
 *   soon as the connection is lost while waiting for the server's answer (the event may or may
 *   not have gone out; it is never resent later), and after 2 s without an answer. It also
 *   rejects after `close`.
 * - `close` stops reconnecting and closes both connections; it can be called more than once.
 */
export function redisBus (options: RedisBusOptions = {}): DirectMessagesBus {
  if (options === null || typeof options !== 'object') throw new TypeError('redisBus: options must be an object')
  const url = options.url ?? 'redis://127.0.0.1:6379'
  if (typeof url !== 'string' || url === '') throw new TypeError('redisBus: option "url" must be a non-empty string')
  const channel = options.channel ?? 'directmessages'
  if (typeof channel !== 'string' || channel === '') throw new TypeError('redisBus: option "channel" must be a non-empty string')
  const connectionName = options.connectionName ?? 'directmessages'
  if (typeof connectionName !== 'string' || !/^[!-~]+$/.test(connectionName)) {
    throw new TypeError('redisBus: option "connectionName" must be a non-empty string of printable characters without spaces')
  }

  let handlers: BusHandlers | null = null
  let subscriber: Redis | null = null
  let publisher: Redis | null = null
  let started = false
  /** `start` has succeeded: from then on, the subscriber's 'ready' events are reconnections. */
  let running = false
  let closed = false
  let closing: Promise<void> | null = null
  /** Subscribed and reported `up`. */
  let isUp = false
  /** The subscriber's last error, reported with `down`. */
  let lastError: Error | null = null
  /** Rejections of the publishes waiting for an answer, called when the publisher's connection is lost. */
  const pending = new Set<(error: Error) => void>()

  function rejectPending (error: Error): void {
    for (const reject of pending) reject(error)
    pending.clear()
  }

  function onMessage (from: string, text: string): void {
    if (from !== channel || closed) return
    const event = decodeEvent(text)
    if (event !== null) handlers?.deliver(event)
  }

  function onSubscriberLost (): void {
    if (!isUp || closed) return
    isUp = false
    const error = lastError ?? new Error('Redis bus: subscriber connection lost')
    lastError = null
    handlers?.down(error)
  }

  /** The subscriber is connected again (a new connection): subscribe on it, then report `up`. */
  function onSubscriberReady (): void {
    const client = subscriber
    if (!running || closed || isUp || client === null) return
    client.subscribe(channel).then(() => {
      if (closed || isUp || client.status !== 'ready') return
      isUp = true
      lastError = null
      handlers?.up()
    }, (error: Error) => {
      // The connection went away again (it will reconnect and come back here), or Redis refused
      // the subscription: drop this connection so that ioredis starts over.
      lastError = error
      if (!closed && client.status === 'ready') client.disconnect(true)
    })
  }

  function create (Ctor: typeof Redis, role: 'subscriber' | 'publisher'): Redis {
    const common: RedisOptions = {
      lazyConnect: true,
      connectTimeout: START_TIMEOUT,
      // disconnect() arms a timer of this length to destroy a socket that does not close; on a
      // socket already dead (a failed start, a close during an outage) the timer just runs out,
      // keeping the process alive meanwhile: keep it short. close() quits gracefully instead.
      disconnectTimeout: 100,
      connectionName: `${connectionName}-${role}`
    }
    return role === 'subscriber'
      ? new Ctor(url, { ...common, autoResubscribe: false })
      : new Ctor(url, {
        ...common,
        // Fail fast during an outage instead of queueing; never resend a publish later.
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
        commandTimeout: PUBLISH_TIMEOUT
      })
  }

  /** Quits gracefully when connected (for at most a second), else drops the connection; stops reconnecting either way. */
  async function release (client: Redis | null): Promise<void> {
    if (client === null) return
    if (client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined
      const quit = client.quit().then(() => true, () => false)
      const gaveUp = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), 1000) })
      const quitted = await Promise.race([quit, gaveUp])
      clearTimeout(timer)
      if (quitted) return
    }
    client.disconnect()
  }

  return {
    name: 'redis',

    async start (h) {
      if (started) throw new Error('Redis bus: already started')
      if (closed) throw new Error('Redis bus: closed')
      started = true
      handlers = h
      let timer: NodeJS.Timeout | undefined
      try {
        const { Redis: Ctor } = await import('ioredis')
        const sub = subscriber = create(Ctor, 'subscriber')
        const pub = publisher = create(Ctor, 'publisher')
        let firstError: Error | null = null
        sub.on('error', (error: Error) => { lastError = error; firstError ??= error })
        sub.on('message', onMessage)
        sub.on('close', onSubscriberLost)
        sub.on('end', onSubscriberLost)
        sub.on('ready', onSubscriberReady)
        // publish() reports what matters; the rest would be an unhandled 'error'.
        pub.on('error', (error: Error) => { if (!running) firstError ??= error })
        pub.on('close', () => rejectPending(new Error('Redis bus: publisher connection lost, the event may not have been published')))
        const timeout = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis bus: could not connect to ${redact(url)} within ${START_TIMEOUT} ms`)), START_TIMEOUT)
        })
        const ready = (async () => {
          await Promise.all([sub.connect(), pub.connect()])
          await sub.subscribe(channel)
        })()
        ready.catch(() => {}) // when the timeout wins
        try {
          await Promise.race([ready, timeout])
        } catch (error) {
          // ioredis rejects connect() with a bare "Connection is closed."; its 'error' event said why.
          if (firstError === null) throw error
          throw new Error(`Redis bus: could not connect to ${redact(url)}: ${(firstError as Error).message}`, { cause: firstError })
        }
        if (closed) throw new Error('Redis bus: closed while starting')
      } catch (error) {
        const clients = [subscriber, publisher]
        subscriber = publisher = null
        handlers = null
        started = false
        for (const client of clients) client?.disconnect()
        throw error
      } finally {
        clearTimeout(timer)
      }
      isUp = true
      running = true
      lastError = null
      h.up()
    },

    async publish (event: BusEvent) {
      if (closed) throw new Error('Redis bus: closed')
      const client = publisher
      if (client === null) throw new Error('Redis bus: not started')
      if (client.status !== 'ready') throw new Error(`Redis bus: publisher not connected (${client.status}), the event was not published`)
      const payload = encodeEvent(event)
      await new Promise<void>((resolve, reject) => {
        pending.add(reject)
        client.publish(channel, payload).then(() => {
          pending.delete(reject)
          resolve()
        }, (error: Error) => {
          pending.delete(reject)
          reject(error)
        })
      })
    },

    close () {
      closing ??= (async () => {
        closed = true
        isUp = false
        handlers = null
        rejectPending(new Error('Redis bus: closed'))
        const clients = [subscriber, publisher]
        subscriber = publisher = null
        await Promise.all(clients.map(release))
      })()
      return closing
    }
  }
}

/** The URL without its password, for error messages. */
function redact (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'the Redis server'
  }
}
