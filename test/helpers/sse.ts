/**
 * A server-sent events client for tests, over a real HTTP connection (event streams do not end,
 * so app.inject cannot read them): parses frames as they arrive and can stop reading entirely.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http'
import type { MessageJson } from './app.js'

export interface SseFrame {
  id?: string
  event: string
  data: unknown
}

export interface SseStream {
  status: number
  headers: IncomingMessage['headers']
  /** Frames received so far. */
  frames: SseFrame[]
  /** Comment lines received so far (heartbeats). */
  comments: string[]
  /**
   * The last `id:` the stream gave, as a browser's EventSource keeps it (also from a block
   * without data, such as the position a stream starts with): what a client resumes with.
   */
  readonly lastEventId: string | undefined
  /** Resolves with the frames once `predicate` holds for them; rejects after `timeout` ms. */
  until(predicate: (frames: SseFrame[]) => boolean, timeout?: number): Promise<SseFrame[]>
  /** Resolves with the position the stream started at (its first `id:`). */
  position(timeout?: number): Promise<string>
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  /** Stops reading from the socket (a stalled client) without closing it. */
  stall(): void
  /** Reads again after `stall`. */
  resume(): void
  close(): void
}

export function openStream (base: string, path: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(base + path, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const frames: SseFrame[] = []
      const comments: string[] = []
      const waiters = new Set<() => void>()
      let buffer = ''
      let lastEventId: string | undefined
      let resolveEnded: () => void = () => {}
      const ended = new Promise<void>((resolve) => { resolveEnded = resolve })
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const frame: SseFrame = { event: 'message', data: undefined }
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim())
            else if (line.startsWith('id:')) lastEventId = frame.id = line.slice(3).trim()
            else if (line.startsWith('event:')) frame.event = line.slice(6).trim()
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
          }
          if (data.length > 0) {
            const text = data.join('\n')
            try { frame.data = JSON.parse(text) } catch { frame.data = text }
            frames.push(frame)
          }
        }
        for (const waiter of waiters) waiter()
      })
      const finish = (): void => { resolveEnded(); for (const waiter of waiters) waiter() }
      res.on('end', finish)
      res.on('close', finish)
      res.on('error', finish)
      let done = false
      ended.then(() => { done = true }, () => {})
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        comments,
        get lastEventId () { return lastEventId },
        ended,
        until (predicate, timeout = 5000) {
          return new Promise((resolve, reject) => {
            const check = (): void => {
              if (predicate(frames)) { cleanup(); resolve(frames) } else if (done) { cleanup(); reject(new Error(`stream ended before the condition held; frames: ${JSON.stringify(frames)}`)) }
            }
            const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out after ${timeout} ms; frames: ${JSON.stringify(frames)}`)) }, timeout)
            const cleanup = (): void => { clearTimeout(timer); waiters.delete(check) }
            waiters.add(check)
            check()
          })
        },
        async position (timeout = 5000) {
          await stream.until(() => lastEventId !== undefined, timeout)
          return lastEventId as string
        },
        stall () { res.pause(); res.socket.pause() },
        resume () { res.socket.resume(); res.resume() },
        close () { req.destroy(); res.destroy() }
      }
      resolve(stream)
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * `user`'s event stream on `base`, closed at the end of `t`, once it has started (its position
 * line came): what it shows from then on is what happened after.
 */
export async function streamOf (t: { teardown: (fn: () => void) => void }, base: string, user: { headers: Record<string, string>, username: string }): Promise<SseStream> {
  const stream = await openStream(base, '/api/dm/events/', user.headers)
  t.teardown(() => stream.close())
  if (stream.status !== 200) throw new Error(`stream of ${user.username}: ${stream.status}`)
  await stream.position()
  return stream
}

/**
 * Waits for message `id` on `stream` and answers the frames that came before it: a message sent
 * after some calls is the signal that whatever those calls were to put on the stream has arrived,
 * so that "no frame of that kind" can be asserted without waiting a while.
 */
export async function framesBefore (stream: SseStream, id: number, timeout = 5000): Promise<SseFrame[]> {
  const isIt = (f: SseFrame): boolean => f.event === 'message' && (f.data as MessageJson).id === id
  const frames = await stream.until((all) => all.some(isIt), timeout)
  return frames.slice(0, frames.findIndex(isIt))
}
