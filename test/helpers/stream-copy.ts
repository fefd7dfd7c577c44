/**
 * A user's client in the sync tests: its copy of its conversations, built from its event streams
 * only, as a client applying the stream to a local store would, across disconnections
 * and resumes with Last-Event-ID. Applying a frame asserts what the stream promises: SSE ids only
 * grow, across streams too; no message is announced (`message`) twice; a `read` summary agrees with
 * the `message_updated` frames before it.
 */
import assert from 'node:assert/strict'
import type { RichMessageJson, TestUser } from './app.js'
import type { SseFrame, SseStream } from './sse.js'

export class StreamCopy {
  readonly copy = new Map<number, RichMessageJson>()
  /** Every message id announced by a `message` frame, across streams. */
  readonly announced = new Set<number>()
  /** The stream followed now (null while disconnected). */
  stream: SseStream | null = null
  /** Frames of the current stream already applied. */
  applied = 0
  /** What a client resumes with: the last `id:` any of its streams gave. */
  lastEventId: string | undefined
  /** The newest SSE id applied, across streams: ids must only grow. */
  newestId = 0

  constructor (readonly user: TestUser, readonly label: string) {}

  /** Applies what the stream has brought since the last call. */
  apply (): void {
    const stream = this.stream
    if (stream === null) return
    for (; this.applied < stream.frames.length; this.applied++) this.#frame(stream.frames[this.applied] as SseFrame)
    this.lastEventId = stream.lastEventId ?? this.lastEventId
  }

  #frame (frame: SseFrame): void {
    if (frame.id !== undefined) {
      const id = Number(frame.id)
      assert.ok(id > this.newestId, `${this.label}: SSE id ${id} after ${this.newestId} (ids only grow, across reconnections too)`)
      this.newestId = id
    }
    switch (frame.event) {
      case 'message': {
        const message = frame.data as RichMessageJson
        assert.ok(!this.announced.has(message.id), `${this.label}: message ${message.id} announced twice`)
        this.announced.add(message.id)
        this.#put(message)
        return
      }
      case 'message_updated':
        this.#put(frame.data as RichMessageJson)
        return
      case 'deleted': {
        const { id } = frame.data as { id: number }
        this.copy.delete(id)
        // A reply to a message one has deleted shows no preview of it.
        for (const [key, m] of this.copy) if (m.reply_to?.id === id) this.copy.set(key, { ...m, reply_to: null })
        return
      }
      case 'conversation_deleted': {
        const { partner } = frame.data as { partner: number | string }
        for (const [key, m] of this.copy) if (m.sender === partner || m.recipient === partner) this.copy.delete(key)
        return
      }
      case 'read': {
        // Changes nothing (each message read came as message_updated before its summary), but the
        // summary agrees with what came before it.
        const { ids, read_at: readAt } = frame.data as { ids: number[], read_at: string }
        for (const id of ids) {
          const m = this.copy.get(id)
          if (m !== undefined) assert.equal(m.read_at, readAt, `${this.label}: read summary of ${id} after its message_updated`)
        }
        return
      }
      case 'presence':
      case 'typing':
        return
      default:
        assert.fail(`${this.label}: unexpected ${frame.event} frame ${JSON.stringify(frame)}`)
    }
  }

  /** Stores a message, and refreshes the previews of the replies to it. */
  #put (message: RichMessageJson): void {
    this.copy.set(message.id, message)
    for (const [key, m] of this.copy) {
      if (m.reply_to?.id !== message.id) continue
      const unsent = message.unsent_at !== null
      this.copy.set(key, { ...m, reply_to: { id: message.id, sender: message.sender, content: unsent ? '' : [...message.content].slice(0, 200).join(''), unsent } })
    }
  }
}

/** A small seeded PRNG (mulberry32) in [0, 1), so that a failing run can be replayed. */
export function prng (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
