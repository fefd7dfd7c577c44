/**
 * `npm run bench:streams`: the event streams under a reconnect storm, on PostgreSQL, against one
 * instance (the example application with the plugin, memory bus: bench/lib.ts's `plugin` server,
 * in a process of its own, listening with a backlog of DM_STREAMS_BACKLOG). A benchmark, not a
 * test: it prints its figures and whether each target of the issue is met; it fails only when it
 * crashes.
 *
 * DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is the server connection:
 * the script drops and creates its own database `dm_bench_streams`, migrates it, and seeds with
 * set-based SQL DM_STREAMS_CLIENTS client users (1..N) and DM_STREAMS_SENDERS sender users (after
 * them), each with a token and a dm_user row. Then:
 *
 * 1. warm-up: a few sends, one stream opened and closed (by a sender); the server's memory
 *    (process.memoryUsage() after a full garbage collection);
 * 2. every client opens its stream, without Last-Event-ID, DM_STREAMS_WAVE at a time, each wave
 *    waiting for its streams' starting position (`id:`); the server's memory again: memory per
 *    stream is the growth of RSS and of the V8 heap divided by the number of streams;
 * 3. delivery latency with every stream open: DM_STREAMS_DELIVERIES sends, one at a time, from a
 *    random sender to a random client; latency is from the start of the send request to the
 *    `message` frame of that message id on the recipient's stream;
 * 4. the storm: every client socket is destroyed at once (a network drop); DM_STREAMS_AWAY sends
 *    to random clients while they are away; then all clients reconnect with their Last-Event-ID,
 *    every request issued in the same tick. Meanwhile a separate process (so that the clients'
 *    own work does not delay it) sends DM_STREAMS_SEND_RATE messages a second, open loop, from the
 *    senders to random clients, on kept-alive connections warmed up before, from the reconnect
 *    until every client has held a stream for 2 s (or DM_STREAMS_DEADLINE s have passed); each
 *    send is issued when it is due, whether or not earlier ones have been answered, and its
 *    latency runs from then to its answer (also broken down by the second of the storm);
 * 5. delivery check, after waiting (at most 60 s) for every client to hold a stream and every
 *    message to arrive: each message answered 201 (steps 3 and 4) must have reached its
 *    recipient's streams exactly once. A message missing on a stream its recipient has held for
 *    5 s or more is lost; one whose recipient is not back (or only just) is "not delivered", and
 *    fails the target as well. The same message id twice on a client's streams is a duplicate
 *    (also broken down: twice after the resume, or before the drop and again after it).
 *
 * A client HOLDS A STREAM while its current request was answered 200, that response has carried
 * the `: stream open` comment, and it has not ended since. "All N hold a stream" happens at the
 * last moment the number of clients holding a stream reached N, provided it stayed N until the
 * end of the measurement (that moment + 2 s): a stream admitted and then told to retry (`retry:`
 * and closed) counts for the instant it was open only, and then moves that moment later. The time
 * to all-connected is measured from the reconnect tick.
 *
 * What a client does (as an EventSource would, plus what the issue's admission control asks):
 * - parses the stream incrementally, SSE rules (fields applied when their frame ends with a blank
 *   line); the last `id:` seen is its Last-Event-ID; a `message` event's data is the message, of
 *   which only the id is kept (with the time and whether it came before the drop or after);
 * - a 200 stream that ends after a `retry: <ms>` line: reconnects after that many ms; one that ends
 *   without: after 1 s (counted as closed by the server);
 * - 503: reconnects after its Retry-After (seconds; 1 s without one); 429 and every other status:
 *   counted, reconnects after 1 s. Any 5xx other than 503 is "a client saw a 500";
 * - a connection error (ECONNRESET, ECONNREFUSED...): counted, reconnects after a jittered
 *   exponential backoff (50-100 % of min(5 s, 100 ms × 2^failures));
 * - it sets no timeout of its own while it waits for an answer (neither does EventSource): a
 *   connection the server's kernel has not completed waits for TCP's retransmissions.
 *
 * Prints a table and writes bench-streams-results.json in the current directory.
 * Environment: DM_STREAMS_CLIENTS (10,000), DM_STREAMS_SENDERS (50), DM_STREAMS_WAVE (500),
 * DM_STREAMS_DELIVERIES (300), DM_STREAMS_AWAY (1,000), DM_STREAMS_SEND_RATE (100),
 * DM_STREAMS_DEADLINE (120, seconds), DM_STREAMS_BACKLOG (the server's listen backlog, 4,096; see
 * BACKLOG below), DM_BENCH_POOL (10).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { Agent, request, type ClientRequest, type IncomingHttpHeaders } from 'node:http'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import {
  machineBusyUs, machineNote, percentile, progress, recreateDatabase, round, startServer, table, timed, withClient,
  type Server, type ServerDiagnostics
} from './lib.js'

const DATABASE = 'dm_bench_streams'

function setting (name: string, fallback: number): number {
  const value = process.env[name]
  if (value === undefined || value === '') return fallback
  const number = Number(value)
  if (!Number.isSafeInteger(number) || number < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`)
  return number
}

const CLIENTS = setting('DM_STREAMS_CLIENTS', 10_000)
const SENDERS = Math.max(1, setting('DM_STREAMS_SENDERS', 50))
const WAVE = Math.max(1, setting('DM_STREAMS_WAVE', 500))
const DELIVERIES = setting('DM_STREAMS_DELIVERIES', 300)
const AWAY = setting('DM_STREAMS_AWAY', 1000)
const SEND_RATE = Math.max(1, setting('DM_STREAMS_SEND_RATE', 100))
const DEADLINE_MS = setting('DM_STREAMS_DEADLINE', 120) * 1000
/**
 * The server's listen backlog. Node's default (511) is too short a queue for 10,000 connections
 * arriving at once: the kernel drops the handshakes beyond it and the clients wait in TCP
 * retransmission (seconds, then tens of seconds), so the figures would show the kernel's timers
 * rather than the plugin. The host sets it (Fastify's `listen({ backlog })`), as this one does;
 * the kernel caps it at net.core.somaxconn. DM_STREAMS_BACKLOG=511 measures Node's default.
 */
const BACKLOG = setting('DM_STREAMS_BACKLOG', 4096)
const POOL = setting('DM_BENCH_POOL', 10)

/** The issue's targets. */
const TARGET_CONNECT_MS = 30_000
const TARGET_SEND_P99_MS = 250
/** How long every client must keep holding a stream for the storm to be over. */
const HOLD_MS = 2000
/** How long the check waits for the messages still on their way. */
const SETTLE_MS = 60_000
/** Reconnection delay when the server says none (a stream closed without `retry:`, a 429, a 5xx...). */
const DEFAULT_RECONNECT_MS = 1000
/** How long the delivery-latency step waits for one message's frame. */
const DELIVERY_TIMEOUT_MS = 10_000
/** How long the server may take to close at the end. */
const CLOSE_MS = 30_000
/** Sends in flight at once while the clients are away. */
const AWAY_CONCURRENCY = 10
const FIRST_SENDER = CLIENTS + 1

const token = (user: number): string => `streams-token-${user}`
const randomClient = (): number => 1 + Math.floor(Math.random() * CLIENTS)
const randomSender = (): number => FIRST_SENDER + Math.floor(Math.random() * SENDERS)

// ---------------------------------------------------------------------------------------------
// Sends: one POST on a kept-alive connection.
// ---------------------------------------------------------------------------------------------

interface Sent {
  /** HTTP status, or 0 when the request failed (then `error` is its code). */
  status: number
  /** The message id of a 201. */
  id: number | null
  ms: number
  error: string | null
}

function send (agent: Agent, port: number, sender: number, recipient: number, content: string): Promise<Sent> {
  return new Promise((resolve) => {
    const start = performance.now()
    const body = JSON.stringify({ content })
    const req = request({
      agent,
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: `/api/dm/send/${recipient}/`,
      headers: { authorization: `Token ${token(sender)}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
    }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => {
        const status = res.statusCode ?? 0
        let id: number | null = null
        if (status === 201) {
          try {
            id = Number((JSON.parse(text) as { id: unknown }).id)
          } catch { /* counted as a 201 without an id below */ }
        }
        resolve({ status, id, ms: performance.now() - start, error: status === 201 && id === null ? 'no id in 201' : null })
      })
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, id: null, ms: performance.now() - start, error: err.code ?? err.message }))
    })
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, id: null, ms: performance.now() - start, error: err.code ?? err.message }))
    req.end(body)
  })
}

// ---------------------------------------------------------------------------------------------
// The sender process: sends at a steady rate during the storm, apart from the clients.
// ---------------------------------------------------------------------------------------------

type ToSender = { type: 'warm', port: number } | { type: 'go' } | { type: 'stop' }
/** [ms from the loop's start to the request's start, latency ms, status, message id or 0, recipient, error code or ''] */
type SenderRecord = [number, number, number, number, number, string]
type FromSender = { type: 'warm', ms: number } | { type: 'results', sends: SenderRecord[], unfinished: number }

function runSender (): void {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  let port = 0
  let loop: NodeJS.Timeout | null = null
  const records: SenderRecord[] = []
  const inFlight = new Set<Promise<void>>()
  const reply = (message: FromSender): void => { process.send?.(message) }
  process.on('message', (message: ToSender) => {
    if (message.type === 'warm') {
      port = message.port
      // One kept-alive connection per sender, opened now: sends in the storm do not queue for a new one.
      const start = performance.now()
      Promise.all(Array.from({ length: Math.min(SENDERS, 64) }, (_, i) => new Promise<void>((resolve) => {
        const req = request({ agent, host: '127.0.0.1', port, path: '/api/dm/unread/', headers: { authorization: `Token ${token(FIRST_SENDER + (i % SENDERS))}` } }, (res) => {
          res.resume()
          res.on('end', () => resolve())
          res.on('error', () => resolve())
        })
        req.on('error', () => resolve())
        req.end()
      }))).then(() => reply({ type: 'warm', ms: performance.now() - start }))
    }
    if (message.type === 'go') {
      const start = performance.now()
      let issued = 0
      loop = setInterval(() => {
        const due = Math.floor((performance.now() - start) * SEND_RATE / 1000)
        while (issued < due) {
          issued++
          const at = performance.now() - start
          const recipient = randomClient()
          const work: Promise<void> = send(agent, port, randomSender(), recipient, `Storm message ${issued}: are you back online?`).then((sent) => {
            records.push([at, sent.ms, sent.status, sent.id ?? 0, recipient, sent.error ?? ''])
            inFlight.delete(work)
          })
          inFlight.add(work)
        }
      }, 2)
    }
    if (message.type === 'stop') {
      if (loop !== null) clearInterval(loop)
      // Wait for the sends still running (30 s at most), then answer what was measured.
      const unfinished = [...inFlight]
      // (The parent ends this process once it has them.)
      Promise.race([Promise.all(unfinished), new Promise((resolve) => setTimeout(resolve, 30_000).unref())]).then(() => {
        agent.destroy()
        reply({ type: 'results', sends: records, unfinished: inFlight.size })
      })
    }
  })
}

interface SenderProcess {
  warm(port: number): Promise<number>
  go(): void
  stop(): Promise<{ sends: SenderRecord[], unfinished: number }>
  kill(): void
}

function startSender (): SenderProcess {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, DM_STREAMS_ROLE: 'sender' },
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const next = (): Promise<FromSender> => new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`the sender process exited with code ${code}`))
    child.once('exit', onExit)
    child.once('message', (message: FromSender) => {
      child.off('exit', onExit)
      resolve(message)
    })
  })
  return {
    async warm (port) {
      const reply = next()
      child.send({ type: 'warm', port } satisfies ToSender)
      const message = await reply
      if (message.type !== 'warm') throw new Error('sender: unexpected message')
      return message.ms
    },
    go () { child.send({ type: 'go' } satisfies ToSender) },
    async stop () {
      const reply = next()
      child.send({ type: 'stop' } satisfies ToSender)
      const message = await reply
      if (message.type !== 'results') throw new Error('sender: unexpected message')
      return { sends: message.sends, unfinished: message.unfinished }
    },
    kill () { if (child.exitCode === null) child.kill() }
  }
}

// ---------------------------------------------------------------------------------------------
// The stream clients.
// ---------------------------------------------------------------------------------------------

/** What the clients saw during one step. */
interface Tally {
  /** Stream requests issued. */
  requests: number
  /** Answered 200. */
  ok: number
  /** 200 streams that carried `: stream open`. */
  opened: number
  /** 200 streams that ended after a `retry:` line (admission: reconnect later). */
  toldToRetry: number
  /** 200 streams that ended without `retry:` (closed by the server). */
  closedByServer: number
  /** 503 answers, and how many of them had no usable Retry-After. */
  unavailable: number
  unavailableWithoutRetryAfter: number
  /** The Retry-After values of the 503 answers (seconds, as sent) and the `retry:` values (by second). */
  retryAfter: Record<string, number>
  retryMs: Record<string, number>
  tooManyStreams: number
  /** 5xx other than 503: "a client saw a 500". */
  serverErrors: Record<string, number>
  otherStatuses: Record<string, number>
  /** Connection errors, by code. */
  connectionErrors: Record<string, number>
  /** `reset` events (the log no longer held the client's Last-Event-ID). */
  resets: number
  /** The first body of an answer that was neither 200 nor 503. */
  sample: string | null
}

function newTally (): Tally {
  return {
    requests: 0,
    ok: 0,
    opened: 0,
    toldToRetry: 0,
    closedByServer: 0,
    unavailable: 0,
    unavailableWithoutRetryAfter: 0,
    retryAfter: {},
    retryMs: {},
    tooManyStreams: 0,
    serverErrors: {},
    otherStatuses: {},
    connectionErrors: {},
    resets: 0,
    sample: null
  }
}

function bump (counts: Record<string, number>, key: string | number): void {
  counts[key] = (counts[key] ?? 0) + 1
}

interface Client {
  user: number
  /** The last SSE id seen (sent back as Last-Event-ID). */
  lastEventId: string | null
  /** The request of the current attempt, if one is running. */
  req: ClientRequest | null
  holding: boolean
  /** The current request has its answer's headers. */
  answered: boolean
  /** The current stream has sent an id (its starting position). */
  positioned: boolean
  /** The `retry:` value of the current stream. */
  retryMs: number | null
  /** Connection errors in a row. */
  failures: number
  timer: NodeJS.Timeout | null
  /** The first time the client held a stream in the storm (ms, performance.now()). */
  heldAt: number | null
  /** Since when it holds its current stream. */
  holdingSince: number | null
  // The SSE parser: the unfinished line, and the fields of the frame being read.
  rest: string
  frameId: string | null
  frameEvent: string
  frameData: string | null
}

/** A message seen on the streams: when first, on which side of the drop, and on whose stream. */
interface Receipt {
  firstAt: number
  beforeDrop: number
  afterResume: number
  wrongRecipient: number
}

/** What the clients do now: reconnect when a stream ends (run), or nothing (away, stopped). */
let mode: 'run' | 'away' | 'stopped' = 'run'
let serverPort = 0
let tally = newTally()
/** Set when the clients reconnect after the drop: receipts from then on are "after resume". */
let resumed = false
let held = 0
/** The last time `held` reached every client (null while it is below). */
let allSince: number | null = null
let badFrames = 0
const clients: Client[] = []
const receipts = new Map<number, Receipt>()
const waiters = new Map<number, () => void>()

function setHolding (client: Client, holding: boolean): void {
  if (client.holding === holding) return
  client.holding = holding
  client.holdingSince = holding ? performance.now() : null
  held += holding ? 1 : -1
  if (holding && held === clients.length) allSince = performance.now()
  if (!holding) allSince = null
  if (holding && resumed && client.heldAt === null) client.heldAt = performance.now()
}

function schedule (client: Client, ms: number): void {
  if (mode !== 'run') return
  client.timer = setTimeout(() => {
    client.timer = null
    connect(client)
  }, ms)
}

function backoff (failures: number): number {
  const cap = Math.min(5000, 100 * 2 ** Math.min(failures, 6))
  return cap / 2 + Math.random() * cap / 2
}

/** Retry-After in ms: delta-seconds or an HTTP date; null when absent or unreadable. */
function retryAfterMs (value: string | undefined): number | null {
  if (value === undefined) return null
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now())
}

function connect (client: Client): void {
  if (mode !== 'run') return
  tally.requests++
  const headers: Record<string, string> = { authorization: `Token ${token(client.user)}`, accept: 'text/event-stream' }
  if (client.lastEventId !== null) headers['last-event-id'] = client.lastEventId
  const req = request({ host: '127.0.0.1', port: serverPort, method: 'GET', path: '/api/dm/events/', headers, agent: false })
  client.req = req
  client.answered = false
  client.retryMs = null
  client.positioned = false
  client.rest = ''
  client.frameId = null
  client.frameEvent = ''
  client.frameData = null
  req.on('response', (res) => {
    if (client.req !== req) {
      res.destroy()
      return
    }
    const status = res.statusCode ?? 0
    client.answered = true
    res.setEncoding('utf8')
    res.on('error', () => { /* 'close' follows */ })
    if (status === 200) {
      tally.ok++
      client.failures = 0
      res.on('data', (chunk: string) => { if (client.req === req) parse(client, chunk) })
      res.on('close', () => { if (client.req === req) streamEnded(client) })
      return
    }
    let body = ''
    res.on('data', (chunk: string) => { if (body.length < 400) body += chunk })
    res.on('close', () => {
      if (client.req !== req) return
      client.req = null
      refused(client, status, res.headers, body)
    })
  })
  req.on('error', (err: NodeJS.ErrnoException) => {
    if (client.req !== req) return
    client.req = null
    setHolding(client, false)
    bump(tally.connectionErrors, err.code ?? err.message)
    client.failures++
    schedule(client, backoff(client.failures))
  })
  req.end()
}

function streamEnded (client: Client): void {
  client.req = null
  setHolding(client, false)
  if (client.retryMs !== null) tally.toldToRetry++
  else tally.closedByServer++
  schedule(client, client.retryMs ?? DEFAULT_RECONNECT_MS)
}

function refused (client: Client, status: number, headers: IncomingHttpHeaders, body: string): void {
  if (status === 503) {
    tally.unavailable++
    const header = headers['retry-after']
    bump(tally.retryAfter, header ?? 'none')
    const ms = retryAfterMs(header)
    if (ms === null) tally.unavailableWithoutRetryAfter++
    schedule(client, ms ?? DEFAULT_RECONNECT_MS)
    return
  }
  if (status === 429) tally.tooManyStreams++
  else if (status >= 500) bump(tally.serverErrors, status)
  else bump(tally.otherStatuses, status)
  tally.sample ??= `${status} ${body.slice(0, 300)}`
  schedule(client, DEFAULT_RECONNECT_MS)
}

/** Feeds a chunk of the stream to the client's SSE parser (a chunk may end in the middle of a line). */
function parse (client: Client, chunk: string): void {
  const text = client.rest + chunk
  let start = 0
  for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end)
    start = end + 1
    if (line === '') {
      dispatch(client)
      continue
    }
    if (line.charCodeAt(0) === 58) { // ':', a comment
      if (line === ': stream open') {
        tally.opened++
        setHolding(client, true)
      }
      continue
    }
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    switch (field) {
      case 'id':
        client.frameId = value
        break
      case 'event':
        client.frameEvent = value
        break
      case 'data':
        client.frameData = client.frameData === null ? value : `${client.frameData}\n${value}`
        break
      case 'retry':
        if (/^\d+$/.test(value)) {
          client.retryMs = Number(value)
          bump(tally.retryMs, `${Math.floor(client.retryMs / 1000)}-${Math.floor(client.retryMs / 1000) + 1} s`)
        }
    }
  }
  client.rest = text.slice(start)
}

/** A frame ended (blank line): its id becomes the client's Last-Event-ID; a `message` is recorded. */
function dispatch (client: Client): void {
  if (client.frameId !== null) {
    client.lastEventId = client.frameId
    client.positioned = true
  }
  const event = client.frameEvent === '' ? 'message' : client.frameEvent
  if (client.frameData !== null) {
    if (event === 'message') received(client, client.frameData)
    else if (event === 'reset') tally.resets++
  }
  client.frameId = null
  client.frameEvent = ''
  client.frameData = null
}

function received (client: Client, data: string): void {
  let message: { id?: unknown, recipient?: unknown }
  try {
    message = JSON.parse(data) as typeof message
  } catch {
    badFrames++
    return
  }
  const id = Number(message.id)
  if (!Number.isSafeInteger(id)) {
    badFrames++
    return
  }
  let receipt = receipts.get(id)
  if (receipt === undefined) receipts.set(id, receipt = { firstAt: performance.now(), beforeDrop: 0, afterResume: 0, wrongRecipient: 0 })
  if (resumed) receipt.afterResume++
  else receipt.beforeDrop++
  if (Number(message.recipient) !== client.user) receipt.wrongRecipient++
  const waiter = waiters.get(id)
  if (waiter !== undefined) {
    waiters.delete(id)
    waiter()
  }
}

/** Ends the client's stream or attempt on its side, as a dropped network would. */
function drop (client: Client): void {
  if (client.timer !== null) clearTimeout(client.timer)
  client.timer = null
  const req = client.req
  client.req = null
  setHolding(client, false)
  req?.destroy()
}

function waitFor (condition: () => boolean, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  return new Promise((resolve) => {
    const check = (): void => {
      if (condition()) resolve(true)
      else if (performance.now() >= deadline) resolve(false)
      else setTimeout(check, intervalMs)
    }
    check()
  })
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Where the clients are: holding a stream, waiting for an answer or a stream open, waiting to retry. */
function census (): string {
  let waiting = 0
  let answered = 0
  let retrying = 0
  for (const client of clients) {
    if (client.holding) continue
    if (client.req !== null) {
      if (client.answered) answered++
      else waiting++
    } else if (client.timer !== null) retrying++
  }
  const errors = Object.entries(tally.connectionErrors).map(([code, n]) => `${n} ${code}`).join(', ')
  return `holding ${held}/${clients.length}, no answer yet ${waiting}, 200 without stream open yet ${answered}, waiting to reconnect ${retrying}; ` +
    `so far ${tally.requests} requests, ${tally.unavailable} × 503, ${tally.toldToRetry} told to retry, ${tally.closedByServer} closed by the server, ` +
    `${tally.tooManyStreams} × 429, ${sum(tally.serverErrors)} other 5xx, connection errors: ${errors === '' ? 'none' : errors}`
}

/** The listen backlog the kernel grants: BACKLOG, capped by net.core.somaxconn. */
function effectiveBacklog (): number {
  try {
    return Math.min(BACKLOG, Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim()))
  } catch {
    return BACKLOG
  }
}

/** The kernel's TCP counters of listen queues (machine-wide: /proc/net/netstat). */
function listenCounters (): Record<string, number> {
  const wanted = ['ListenOverflows', 'ListenDrops', 'TCPReqQFullDoCookies', 'TCPReqQFullDrop', 'SyncookiesSent', 'SyncookiesRecv', 'SyncookiesFailed']
  const counters: Record<string, number> = {}
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((line) => line.startsWith('TcpExt:'))
    const names = (lines[0] ?? '').split(/\s+/)
    const values = (lines[1] ?? '').split(/\s+/)
    names.forEach((name, i) => { if (wanted.includes(name)) counters[name] = Number(values[i]) })
  } catch { /* not Linux: no counters */ }
  return counters
}

function counterDelta (before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, value]) => [name, value - (before[name] ?? 0)]))
}

// ---------------------------------------------------------------------------------------------
// The run.
// ---------------------------------------------------------------------------------------------

async function seed (url: string): Promise<void> {
  await withClient(url, async (db) => {
    await db.query('SET synchronous_commit = off')
    await db.query(`
      INSERT INTO app_user (id, username, first_name, last_name, token)
      SELECT g, 'user' || g, 'First' || g, 'Last' || g, 'streams-token-' || g FROM generate_series(1, ${CLIENTS + SENDERS}) g`)
    await db.query(`SELECT setval(pg_get_serial_sequence('app_user', 'id'), ${CLIENTS + SENDERS})`)
    await db.query('INSERT INTO dm_user (user_id) SELECT id FROM app_user')
    await db.query('VACUUM ANALYZE')
  })
  progress(`seeded ${CLIENTS} client users (1..${CLIENTS}) and ${SENDERS} senders (${FIRST_SENDER}..${CLIENTS + SENDERS})`)
}

/** When a message was sent. */
type Step = 'before the drop' | 'while away' | 'during the storm'

interface Latencies { count: number, p50: number, p99: number, max: number }

function latencies (values: number[]): Latencies {
  return {
    count: values.length,
    p50: round(percentile(values, 50), 1),
    p99: round(percentile(values, 99), 1),
    max: round(values.reduce((max, value) => Math.max(max, value), 0), 1)
  }
}

function memoryFigures (memory: NodeJS.MemoryUsage): { rss: number, heap_used: number, external: number } {
  return { rss: memory.rss, heap_used: memory.heapUsed, external: memory.external }
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`
const seconds = (ms: number | null): string => ms === null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`
const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((total, n) => total + n, 0)

async function main (): Promise<void> {
  const begin = performance.now()
  progress(`bench:streams: ${CLIENTS} clients, ${SENDERS} senders, pool of ${POOL}, listen backlog ${BACKLOG} (effective ${effectiveBacklog()})`)
  progress(`machine: ${machineNote()}`)
  const { value: url } = await timed(`database ${DATABASE} created and migrated`, () => recreateDatabase(DATABASE))
  await timed('seeded (set-based SQL)', () => seed(url))
  const server: Server = await startServer('plugin', url, POOL, { execArgv: ['--expose-gc'], diagnostics: true, backlog: BACKLOG })
  serverPort = server.port
  progress(`server (example app + plugin, memory bus) on ${server.origin}, pid ${server.pid}`)
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const sender = startSender()
  /** Every message answered 201: its recipient, and the step it was sent in. */
  const expected = new Map<number, { recipient: number, step: Step }>()
  const failedSends: Record<string, number> = {}
  const record = (sent: Sent, recipient: number, step: Step): void => {
    if (sent.status === 201 && sent.id !== null) expected.set(sent.id, { recipient, step })
    else bump(failedSends, sent.status === 0 ? (sent.error ?? 'error') : sent.status)
  }
  try {
    // 1. Warm-up, then the server's memory without streams.
    for (let i = 0; i < 20; i++) await send(agent, server.port, randomSender(), randomClient(), 'Warm-up message')
    const probe: Client = newClient(FIRST_SENDER)
    clients.push(probe)
    connect(probe)
    await waitFor(() => probe.positioned, 10_000)
    drop(probe)
    clients.length = 0
    held = 0
    await sleep(500)
    const memoryBefore = await server.memory()
    progress(`server memory before streams: RSS ${mib(memoryBefore.rss)}, heap ${mib(memoryBefore.heapUsed)}`)

    // 2. Every client opens its stream, in waves.
    for (let user = 1; user <= CLIENTS; user++) clients.push(newClient(user))
    const initialTally = tally = newTally()
    const initialStart = performance.now()
    let stuckWaves = 0
    for (let first = 0; first < CLIENTS; first += WAVE) {
      const wave = clients.slice(first, first + WAVE)
      for (const client of wave) connect(client)
      const done = await waitFor(() => wave.every((client) => client.holding && client.positioned), 60_000)
      if (!done) stuckWaves++
      if ((first / WAVE) % 5 === 4 || first + WAVE >= CLIENTS) progress(`  opened ${Math.min(first + WAVE, CLIENTS)} streams: ${census()}`)
    }
    const initialMs = performance.now() - initialStart
    progress(`all streams opened in waves of ${WAVE}: ${seconds(initialMs)}${stuckWaves > 0 ? ` (${stuckWaves} waves not all open after 60 s)` : ''}`)
    await sleep(1000)
    const memoryAfter = await server.memory()
    const streamsOpen = held
    const rssPerStream = (memoryAfter.rss - memoryBefore.rss) / Math.max(1, streamsOpen)
    const heapPerStream = (memoryAfter.heapUsed - memoryBefore.heapUsed) / Math.max(1, streamsOpen)
    progress(`server memory with ${streamsOpen} streams: RSS ${mib(memoryAfter.rss)}, heap ${mib(memoryAfter.heapUsed)}: ${kib(rssPerStream)} RSS, ${kib(heapPerStream)} heap per stream`)

    // 3. Delivery latency with every stream open.
    const deliveryMs: number[] = []
    let deliveryTimeouts = 0
    for (let i = 0; i < DELIVERIES; i++) {
      const recipient = randomClient()
      const start = performance.now()
      const sent = await send(agent, server.port, randomSender(), recipient, `Latency message ${i}: see you at noon?`)
      record(sent, recipient, 'before the drop')
      if (sent.status !== 201 || sent.id === null) continue
      const id = sent.id
      if (!receipts.has(id)) {
        const arrived = new Promise<void>((resolve) => waiters.set(id, resolve))
        const timeout = sleep(DELIVERY_TIMEOUT_MS)
        await Promise.race([arrived, timeout])
        waiters.delete(id)
      }
      const receipt = receipts.get(id)
      if (receipt === undefined) deliveryTimeouts++
      else deliveryMs.push(receipt.firstAt - start)
    }
    const delivery = latencies(deliveryMs)
    progress(`delivery latency with ${held} streams open: p50 ${delivery.p50} ms, p99 ${delivery.p99} ms (${delivery.count} messages, ${deliveryTimeouts} not delivered within ${DELIVERY_TIMEOUT_MS / 1000} s)`)

    // 4. The storm: every socket dropped at once, messages sent meanwhile, everyone back at once.
    const warmMs = await sender.warm(server.port)
    progress(`sender process: ${Math.min(SENDERS, 64)} kept-alive connections opened in ${warmMs.toFixed(0)} ms`)
    mode = 'away'
    const dropAt = performance.now()
    for (const client of clients) drop(client)
    progress(`dropped ${clients.length} client sockets at once`)
    let awayIssued = 0
    await Promise.all(Array.from({ length: AWAY_CONCURRENCY }, async () => {
      while (awayIssued < AWAY) {
        awayIssued++
        const recipient = randomClient()
        record(await send(agent, server.port, randomSender(), recipient, `Message ${awayIssued} sent while you were away`), recipient, 'while away')
      }
    }))
    const awayMs = performance.now() - dropAt
    progress(`${AWAY} messages sent while the clients were away (${seconds(awayMs)})`)

    const stormTally = tally = newTally()
    const countersBefore = listenCounters()
    await server.diagnostics() // resets the server's event-loop delay histogram
    const serverCpuBefore = await server.cpu()
    const machineBefore = machineBusyUs()
    const ownBefore = process.cpuUsage()
    mode = 'run'
    resumed = true
    allSince = null
    sender.go()
    const stormStart = performance.now()
    for (const client of clients) connect(client)
    progress(`${clients.length} reconnections issued in one tick (${(performance.now() - stormStart).toFixed(0)} ms to issue)`)
    let lastReport = performance.now()
    let ended: 'held' | 'deadline' = 'deadline'
    while (performance.now() - stormStart < DEADLINE_MS) {
      const since = allSince
      if (since !== null && performance.now() - since >= HOLD_MS) {
        ended = 'held'
        break
      }
      if (performance.now() - lastReport >= 2000) {
        lastReport = performance.now()
        progress(`  storm +${seconds(lastReport - stormStart)}: ${census()}`)
      }
      await sleep(50)
    }
    const stormEnd = performance.now()
    const listenQueues = counterDelta(countersBefore, listenCounters())
    const stormDiagnostics = await server.diagnostics()
    const stormUs = (stormEnd - stormStart) * 1000
    const ownUsed = process.cpuUsage(ownBefore)
    const cpu = {
      server_percent: round(100 * ((await server.cpu()) - serverCpuBefore) / stormUs, 0),
      clients_percent: round(100 * (ownUsed.user + ownUsed.system) / stormUs, 0),
      machine_percent: round(100 * (machineBusyUs() - machineBefore) / stormUs, 0),
      cores: cpus().length
    }
    progress(`during the storm: server event loop delay p99 ${stormDiagnostics.eventLoopDelay.p99.toFixed(0)} ms, max ${stormDiagnostics.eventLoopDelay.max.toFixed(0)} ms; ` +
      `CPU (100 % = one core): server ${cpu.server_percent} %, clients ${cpu.clients_percent} %, whole machine ${cpu.machine_percent} % of ${cpu.cores * 100} %`)
    progress(`kernel listen-queue counters during the storm (machine-wide): ${JSON.stringify(listenQueues)}`)
    const allConnectedMs = ended === 'held' && allSince !== null ? allSince - stormStart : null
    const heldAtEnd = held
    const stormSends = await sender.stop()
    progress(ended === 'held'
      ? `all ${CLIENTS} clients hold a stream ${seconds(allConnectedMs)} after the reconnect (${census()})`
      : `deadline: after ${seconds(DEADLINE_MS)}, ${census()}`)
    const heldTimes = clients.flatMap((client) => client.heldAt === null ? [] : [client.heldAt - stormStart])
    const sendMs: number[] = []
    const stormFailures: Record<string, number> = {}
    for (const [, ms, status, id, recipient, error] of stormSends.sends) {
      sendMs.push(ms)
      if (status === 201 && id !== 0) expected.set(id, { recipient, step: 'during the storm' })
      else {
        bump(stormFailures, status === 0 ? error : status)
        bump(failedSends, status === 0 ? error : status)
      }
    }
    // Sends still running when the sender process gave up on them: slower than anything measured.
    for (let i = 0; i < stormSends.unfinished; i++) {
      sendMs.push(Number.POSITIVE_INFINITY)
      bump(stormFailures, 'unfinished')
    }
    const stormSend = latencies(sendMs)
    // Send latency by the second of the storm they started in: when the slow ones were.
    const bySecond: number[][] = []
    for (const [at, ms] of stormSends.sends) (bySecond[Math.floor(at / 1000)] ??= []).push(ms)
    const sendsBySecond = Array.from(bySecond, (values, second) => ({ second, count: values?.length ?? 0, p50: values === undefined ? null : round(percentile(values, 50), 0), max: values === undefined ? null : round(Math.max(...values), 0) }))
    const slowSeconds = sendsBySecond.filter((entry) => (entry.max ?? 0) >= TARGET_SEND_P99_MS).map((entry) => `${entry.second}s: max ${entry.max} ms`)
    progress(`storm seconds with a send ≥ ${TARGET_SEND_P99_MS} ms: ${slowSeconds.length === 0 ? 'none' : slowSeconds.join(', ')}`)
    progress(`sends during the storm: ${stormSend.count}, p50 ${stormSend.p50} ms, p99 ${stormSend.p99} ms, non-201: ${JSON.stringify(stormFailures)}`)

    // 5. Every message answered 201 reached its recipient exactly once.
    const settleTally = tally = newTally()
    const settled = await waitFor(() => {
      if (held < clients.length) return false
      for (const id of expected.keys()) if (!receipts.has(id)) return false
      return true
    }, SETTLE_MS, 250)
    const heldAfterSettle = held
    // Missing on a stream its recipient has held for a while is lost; missing because the
    // recipient is not back (or only just) is not delivered yet.
    let lost = 0
    let undelivered = 0
    const lostBy: Record<string, number> = {}
    const checkedAt = performance.now()
    let duplicated = 0
    let twiceAfterResume = 0
    let replayed = 0
    let wrongRecipient = 0
    const lostSample: Array<{ id: number, recipient: number }> = []
    for (const [id, { recipient, step }] of expected) {
      const receipt = receipts.get(id)
      if (receipt === undefined) {
        const client = clients[recipient - 1]
        if (client === undefined || !client.holding || checkedAt - (client.holdingSince ?? checkedAt) < 5000) {
          undelivered++
          continue
        }
        lost++
        bump(lostBy, step)
        if (lostSample.length < 5) lostSample.push({ id, recipient })
        continue
      }
      if (receipt.beforeDrop + receipt.afterResume > 1) duplicated++
      if (receipt.afterResume > 1) twiceAfterResume++
      if (receipt.beforeDrop > 0 && receipt.afterResume > 0) replayed++
      if (receipt.wrongRecipient > 0) wrongRecipient++
    }
    const unexpected = [...receipts.keys()].filter((id) => !expected.has(id)).length
    progress(`delivery check${settled ? '' : ` (after waiting ${SETTLE_MS / 1000} s)`}: ${heldAfterSettle}/${clients.length} clients hold a stream; ${expected.size} messages sent, ` +
      `${lost} lost (missing on a stream held ≥ 5 s), ${undelivered} not delivered (recipient not back, or only just), ${duplicated} duplicated, ` +
      `${wrongRecipient} on a wrong stream, ${unexpected} received that no 201 announced`)
    const diagnostics: ServerDiagnostics = await server.diagnostics()
    const memoryEnd = await server.memory()

    // The report.
    const sawServerError = sum(initialTally.serverErrors) + sum(stormTally.serverErrors) + sum(settleTally.serverErrors)
    const tooMany = initialTally.tooManyStreams + stormTally.tooManyStreams + settleTally.tooManyStreams
    const nonCreated = sum(stormFailures)
    const targets = [
      {
        target: `all ${CLIENTS} clients hold a stream again within ${TARGET_CONNECT_MS / 1000} s`,
        value: allConnectedMs === null ? `not all after ${seconds(stormEnd - stormStart)} (${heldAtEnd} holding)` : seconds(allConnectedMs),
        met: allConnectedMs !== null && allConnectedMs <= TARGET_CONNECT_MS
      },
      {
        target: 'no client sees a 5xx other than 503',
        value: sawServerError === 0 ? 'none' : JSON.stringify({ initial: initialTally.serverErrors, storm: stormTally.serverErrors, after: settleTally.serverErrors }),
        met: sawServerError === 0
      },
      {
        target: 'no message lost (nor duplicated)',
        value: `${lost} lost, ${duplicated} duplicated of ${expected.size}${undelivered > 0 ? `; ${undelivered} not delivered: recipient not back` : ''}`,
        met: lost === 0 && duplicated === 0 && undelivered === 0
      },
      {
        target: `sends during the storm: p99 < ${TARGET_SEND_P99_MS} ms, every one 201`,
        value: `p99 ${stormSend.p99} ms, ${nonCreated} not 201`,
        met: stormSend.p99 < TARGET_SEND_P99_MS && nonCreated === 0
      },
      {
        target: 'no 429 (each client is its own user)',
        value: String(tooMany),
        met: tooMany === 0
      }
    ]
    const json = {
      config: { clients: CLIENTS, senders: SENDERS, wave: WAVE, deliveries: DELIVERIES, away_messages: AWAY, send_rate: SEND_RATE, deadline_s: DEADLINE_MS / 1000, pool: POOL, backlog: BACKLOG, effective_backlog: effectiveBacklog(), bus: 'memory' },
      machine: machineNote(),
      initial_connect: { ms: round(initialMs, 0), waves_not_open_after_60_s: stuckWaves, streams_open: streamsOpen, clients: initialTally },
      memory: {
        before: memoryFigures(memoryBefore),
        with_streams: memoryFigures(memoryAfter),
        at_end: memoryFigures(memoryEnd),
        rss_per_stream_bytes: round(rssPerStream, 0),
        heap_per_stream_bytes: round(heapPerStream, 0)
      },
      delivery_latency_ms: { ...delivery, not_delivered_within_10_s: deliveryTimeouts, streams_open: streamsOpen },
      storm: {
        away_ms: round(awayMs, 0),
        time_to_all_connected_ms: allConnectedMs === null ? null : round(allConnectedMs, 0),
        ended_by: ended,
        measured_ms: round(stormEnd - stormStart, 0),
        holding_at_end: heldAtEnd,
        first_hold_ms: { count: heldTimes.length, p50: round(percentile(heldTimes, 50), 0), p90: round(percentile(heldTimes, 90), 0), p99: round(percentile(heldTimes, 99), 0) },
        clients: stormTally,
        kernel_listen_counters: listenQueues,
        server_event_loop_delay_ms: stormDiagnostics.eventLoopDelay,
        cpu,
        sends: { ...stormSend, non_201: stormFailures, by_second: sendsBySecond }
      },
      after_storm: { clients: settleTally },
      delivery_check: {
        settled_within_60_s: settled,
        clients_holding: heldAfterSettle,
        expected: expected.size,
        lost,
        not_delivered_recipient_not_back: undelivered,
        lost_by_step: lostBy,
        lost_sample: lostSample,
        duplicated,
        duplicated_twice_after_resume: twiceAfterResume,
        duplicated_replayed_after_resume: replayed,
        on_wrong_stream: wrongRecipient,
        received_without_201: unexpected,
        unparsable_frames: badFrames,
        failed_sends: failedSends
      },
      targets: targets.map((target) => ({ target: target.target, value: target.value, met: target.met })),
      server: { log: diagnostics.log, statuses: diagnostics.statuses }
    }
    writeFileSync('bench-streams-results.json', `${JSON.stringify(json, null, 2)}\n`)

    console.log('')
    console.log(`Event streams, reconnect storm: ${CLIENTS} clients on one instance (memory bus, pool ${POOL}, listen backlog ${effectiveBacklog()}), ${SENDERS} senders`)
    console.log('')
    console.log(table(['figure', 'value'], [
      [`initial connect (waves of ${WAVE})`, seconds(initialMs)],
      ['server RSS before / with streams', `${mib(memoryBefore.rss)} / ${mib(memoryAfter.rss)}`],
      ['server heap before / with streams', `${mib(memoryBefore.heapUsed)} / ${mib(memoryAfter.heapUsed)}`],
      ['memory per stream: RSS / heap', `${kib(rssPerStream)} / ${kib(heapPerStream)}`],
      [`delivery latency p50 / p99 (${delivery.count} msgs, ${streamsOpen} streams)`, `${delivery.p50} / ${delivery.p99} ms`],
      ['away: messages sent while dropped', `${AWAY} in ${seconds(awayMs)}`],
      ['storm: time to all-connected', allConnectedMs === null ? `not reached (${heldAtEnd}/${CLIENTS} at ${seconds(stormEnd - stormStart)})` : seconds(allConnectedMs)],
      ['storm: first hold p50 / p90 / p99', `${seconds(json.storm.first_hold_ms.p50)} / ${seconds(json.storm.first_hold_ms.p90)} / ${seconds(json.storm.first_hold_ms.p99)}`],
      ['storm: stream requests / 503 / told to retry', `${stormTally.requests} / ${stormTally.unavailable} / ${stormTally.toldToRetry}`],
      ['storm: closed by server / 429 / other 5xx / other status', `${stormTally.closedByServer} / ${stormTally.tooManyStreams} / ${sum(stormTally.serverErrors)} / ${JSON.stringify(stormTally.otherStatuses)}`],
      ['storm: connection errors', JSON.stringify(stormTally.connectionErrors)],
      ['storm: server event loop delay p99 / max', `${stormDiagnostics.eventLoopDelay.p99.toFixed(0)} / ${stormDiagnostics.eventLoopDelay.max.toFixed(0)} ms`],
      ['storm: CPU server / clients / machine (100 % = 1 core)', `${cpu.server_percent} / ${cpu.clients_percent} / ${cpu.machine_percent} % of ${cpu.cores * 100} %`],
      ['storm: kernel ListenOverflows / ListenDrops', `${listenQueues.ListenOverflows ?? 'n/a'} / ${listenQueues.ListenDrops ?? 'n/a'}`],
      [`storm: sends p50 / p99 (${stormSend.count} at ${SEND_RATE}/s)`, `${stormSend.p50} / ${stormSend.p99} ms, ${nonCreated} not 201`],
      ['at the delivery check: clients holding a stream', `${heldAfterSettle}/${clients.length}`],
      ['messages: sent / lost / not delivered / duplicated', `${expected.size} / ${lost} / ${undelivered} / ${duplicated}`]
    ]))
    console.log('')
    console.log(table(['target', 'value', ''], targets.map((target) => [target.target, target.value, target.met ? 'met' : 'MISSED'])))
    console.log('')
    console.log(`server answers by status (its onResponse hook; event streams not included): ${JSON.stringify(diagnostics.statuses)}`)
    if (diagnostics.log.length === 0) console.log('server log (warn and above): nothing')
    else {
      console.log('server log (warn and above), by message:')
      for (const line of diagnostics.log) console.log(`  ${String(line.count).padStart(6)} × ${line.level} ${line.message}${line.sample === null ? '' : ` — ${line.sample}`}`)
    }
    const sample = initialTally.sample ?? stormTally.sample ?? settleTally.sample
    if (sample !== null) console.log(`first unexpected answer: ${sample}`)
    console.log('')
    progress(`machine: ${machineNote()}`)
    progress(`wrote bench-streams-results.json; total ${((performance.now() - begin) / 1000).toFixed(0)} s`)
  } finally {
    mode = 'stopped'
    for (const client of clients) drop(client)
    agent.destroy()
    sender.kill()
    // The server ends its streams and closes; one that does not within CLOSE_MS is reported and killed.
    const closing = performance.now()
    const closed = await Promise.race([server.close().then(() => true), sleep(CLOSE_MS).then(() => false)])
    if (closed) progress(`server closed in ${((performance.now() - closing) / 1000).toFixed(1)} s`)
    else {
      progress(`the server did not close within ${CLOSE_MS / 1000} s of being asked to: killing it`)
      process.kill(server.pid, 'SIGKILL')
      await server.close()
    }
  }
}

function newClient (user: number): Client {
  return {
    user,
    lastEventId: null,
    req: null,
    holding: false,
    answered: false,
    positioned: false,
    retryMs: null,
    failures: 0,
    timer: null,
    heldAt: null,
    holdingSince: null,
    rest: '',
    frameId: null,
    frameEvent: '',
    frameData: null
  }
}

if (process.env.DM_STREAMS_ROLE === 'sender' && process.send !== undefined) runSender()
else if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
