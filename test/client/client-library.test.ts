// fastify-directmessages/client, the package's client library: the SSE parser; the subscription's reconnection rules
// against a small server of this test's own (`retry:`, 503 + Retry-After, 401, an idle connection,
// close()); every method against the example application over real HTTP (SQLite, PostgreSQL and MariaDB),
// with its errors; the pagination helpers; live events, connection states, and a resume with
// Last-Event-ID after the server dropped the connection; attachments (uploadAttachment through
// fetch, and through a stand-in XMLHttpRequest as in a browser; local storage and S3 on s3rver);
// and the built dist/client, which must load with nothing but its own files.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import {
  createClient, DirectMessagesClient, DirectMessagesError, SseParser,
  type Attachment, type AttachmentUpload, type ConnectionState, type ConnectionStateInfo, type MessageBody, type MessagePageBody, type PresenceBody,
  type SseEvent, type StreamEvents, type Subscription
} from '../../src/client/index.js'
import type { AttachmentsSchema } from '../../src/http/message.js'
import type { attachmentSchemas } from '../../src/features/attachments/schemas.js'
import type { presenceSchemas } from '../../src/features/presence/schemas.js'
import { s3Storage } from '../../src/index.js'
import { forEachDatabase, openDatabase } from '../helpers/databases.js'
import { createUsers, startApp } from '../helpers/app.js'
import { pdf, png } from '../helpers/attachments.js'
import { listObjects, startS3 } from '../helpers/s3.js'
import { eventually } from '../helpers/wait.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

// PresenceBody is written out (its schema is internal): it must be the schema's own type.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
type SchemaPresence = Static<ReturnType<typeof presenceSchemas>['presence']['response'][200]>[number]
const presenceTypeAgrees: Equal<PresenceBody, SchemaPresence> = true
// So is AttachmentUpload (the schema of POST /attachments/ is internal too); Attachment is the message schema's.
type SchemaUpload = Static<ReturnType<typeof attachmentSchemas>['create']['response'][201]>
const uploadTypeAgrees: Equal<AttachmentUpload, SchemaUpload> = true
const attachmentTypeAgrees: Equal<Attachment, Static<typeof AttachmentsSchema>[number]> = true
const messageHasAttachments: Equal<MessageBody['attachments'], Attachment[]> = true

/** A subscription's states and events, as they arrive. */
function recorder () {
  const states: Array<{ state: ConnectionState, info: ConnectionStateInfo, at: number }> = []
  const events: Array<{ [E in keyof StreamEvents]: { type: E, data: StreamEvents[E], id: string | undefined } }[keyof StreamEvents]> = []
  const errors: unknown[] = []
  const handler = <E extends keyof StreamEvents>(type: E) => (data: StreamEvents[E], meta: { id: string | undefined }) => {
    events.push({ type, data, id: meta.id } as (typeof events)[number])
  }
  return {
    states,
    events,
    errors,
    handlers: {
      message: handler('message'),
      message_updated: handler('message_updated'),
      read: handler('read'),
      deleted: handler('deleted'),
      conversation_deleted: handler('conversation_deleted'),
      reset: handler('reset'),
      typing: handler('typing'),
      presence: handler('presence')
    },
    options: {
      onStateChange: (state: ConnectionState, info: ConnectionStateInfo) => { states.push({ state, info, at: Date.now() }) },
      onError: (error: unknown) => { errors.push(error) }
    },
    of<E extends keyof StreamEvents> (type: E): Array<StreamEvents[E]> {
      return events.filter((event) => event.type === type).map((event) => event.data as StreamEvents[E])
    }
  }
}

/** A small HTTP server answering each request with the next of `answers` (the last one repeats). */
async function scriptedServer (t: Test, answers: Array<(req: IncomingMessage, res: ServerResponse) => void>) {
  const requests: Array<{ headers: IncomingMessage['headers'], at: number }> = []
  const server = createServer((req, res) => {
    requests.push({ headers: req.headers, at: Date.now() })
    const answer = answers[Math.min(requests.length, answers.length) - 1] as (req: IncomingMessage, res: ServerResponse) => void
    answer(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { requests, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

const eventStream = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }

t.test('the types of the client are the routes\' schemas', async (t) => {
  t.equal(presenceTypeAgrees, true, 'PresenceBody is the type of presenceSchemas\' response (checked by tsc)')
  t.equal(uploadTypeAgrees, true, 'AttachmentUpload is the type of POST /attachments/\' 201 (checked by tsc)')
  t.equal(attachmentTypeAgrees && messageHasAttachments, true, 'MessageBody.attachments is Attachment[], the schema\'s (checked by tsc)')
})

t.test('SseParser', async (t) => {
  const parse = (chunks: string[], lastEventId = ''): { events: SseEvent[], ids: string[], retries: number[] } => {
    const events: SseEvent[] = []
    const ids: string[] = []
    const retries: number[] = []
    const parser = new SseParser({ event: (e) => events.push(e), id: (id) => ids.push(id), retry: (ms) => retries.push(ms) }, lastEventId)
    for (const chunk of chunks) parser.push(chunk)
    return { events, ids, retries }
  }
  const text = [
    ': stream open', '',
    'id: 118', '',
    'id: 121', 'event: message', 'data: {"a":', 'data: 1}', '',
    ': heartbeat', '',
    'event: read', 'data:{"b":2}', '',
    'retry: 50', '',
    'retry: 5x', '',
    'id: 1\u00002', 'data: x', '',
    'data', '',
    'event: typing', 'data: unfinished'
  ].join('\n')
  const expected = {
    events: [
      { type: 'message', data: '{"a":\n1}', id: '121' },
      { type: 'read', data: '{"b":2}', id: undefined },
      { type: 'message', data: 'x', id: undefined },
      { type: 'message', data: '', id: undefined }
    ],
    ids: ['118', '121'],
    retries: [50]
  }
  t.same(parse([text]), expected, 'ids (also of a block without data), events, multi-line data, comments, retry; a NUL id and an unfinished block are ignored')
  t.same(parse([...text]), expected, 'the same, fed one character at a time')
  t.same(parse([text.replace(/\n/g, '\r\n')]), expected, 'CRLF line ends')
  t.same(parse([...text.replace(/\n/g, '\r\n')]), expected, 'CRLF split between chunks')
  t.same(parse([text.replace(/\n/g, '\r')]), expected, 'CR line ends')
  t.same(parse(['id: 5\n\nid:\n\n']).ids, ['5', ''], 'an empty id clears the last event id')
})

t.test('subscribe against a scripted server', async (t) => {
  await t.test('honours retry:, keeps the id of a block without data, sends it as Last-Event-ID', async (t) => {
    const server = await scriptedServer(t, [
      (_req, res) => { res.writeHead(200, eventStream); res.end('id: 7\n\nretry: 50\n\n') },
      (_req, res) => { res.writeHead(200, eventStream); res.write(': stream open\n\nid: 8\nevent: deleted\ndata: {"id":\ndata:  41}\n\n') }
    ])
    const rec = recorder()
    const client = createClient({ baseUrl: server.base, token: 'abc' })
    // Without the server's retry:, the first reconnection would wait a minute.
    const sub = client.subscribe(rec.handlers, { ...rec.options, initialDelay: 60_000 })
    t.teardown(() => sub.close())
    await eventually('the deleted event of the second connection', () => rec.of('deleted').length === 1, 3000)
    t.same(rec.of('deleted'), [{ id: 41 }], 'multi-line data parsed as JSON')
    t.equal(sub.lastEventId, '8')
    t.equal(server.requests.length, 2)
    t.equal(server.requests[0]?.headers['last-event-id'], undefined, 'the first connection sends no Last-Event-ID')
    t.equal(server.requests[0]?.headers.authorization, 'Token abc', 'the token as Authorization: Token')
    t.equal(server.requests[0]?.headers.accept, 'text/event-stream')
    t.equal(server.requests[1]?.headers['last-event-id'], '7', 'the reconnection resumes after the id-only block')
    const gap = (server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0)
    t.ok(gap >= 50, `not sooner than retry: 50 (${gap} ms)`)
    t.same(rec.states.map((s) => s.state), ['connecting', 'open', 'reconnecting', 'open'])
    const wait = rec.states[2]?.info.delay ?? 0
    t.ok(wait >= 50 && wait <= 75, `the wait is retry: plus up to 50% jitter (${wait} ms)`)
  })

  await t.test('503 with Retry-After: waits that long; 401: closes, tells onError, and does not retry', async (t) => {
    const server = await scriptedServer(t, [
      (_req, res) => { res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }); res.end('{"statusCode":503,"code":"FST_DM_STREAM_UNAVAILABLE","error":"Service Unavailable","message":"down"}') },
      (_req, res) => { res.writeHead(401, { 'content-type': 'application/json' }); res.end('{"statusCode":401,"code":"FST_DM_UNAUTHORIZED","error":"Unauthorized","message":"who?"}') }
    ])
    const rec = recorder()
    const sub = createClient({ baseUrl: server.base }).subscribe(rec.handlers, { ...rec.options, initialDelay: 10 })
    t.teardown(() => sub.close())
    await sub.closed
    t.same(rec.states.map((s) => s.state), ['connecting', 'reconnecting', 'closed'])
    const unavailable = rec.states[1]?.info.error
    t.ok(unavailable instanceof DirectMessagesError, 'the 503 is told with the reconnecting state')
    t.match(unavailable, { statusCode: 503, code: 'FST_DM_STREAM_UNAVAILABLE', retryAfter: 1000 })
    const gap = (server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0)
    t.ok(gap >= 1000, `waited Retry-After (${gap} ms), not initialDelay`)
    t.equal(rec.errors.length, 1, 'onError told once')
    t.match(rec.errors[0], { statusCode: 401, code: 'FST_DM_UNAUTHORIZED', message: 'who?' })
    t.equal(rec.states[2]?.info.error, rec.errors[0], 'the closed state carries the error')
    t.equal(sub.state, 'closed')
    t.equal(server.requests.length, 2, 'no attempt after the 401')
  })

  await t.test('a connection that goes quiet past idleTimeout is replaced', async (t) => {
    const server = await scriptedServer(t, [
      (_req, res) => { res.writeHead(200, eventStream); res.write(': stream open\n\nid: 3\n\n') },
      (_req, res) => { res.writeHead(200, eventStream); res.write('id: 4\nevent: reset\ndata: {"reason":"r"}\n\n') }
    ])
    const rec = recorder()
    const sub = createClient({ baseUrl: server.base }).subscribe(rec.handlers, { ...rec.options, initialDelay: 10, idleTimeout: 200 })
    t.teardown(() => sub.close())
    await eventually('the reset of the second connection', () => rec.of('reset').length === 1, 3000)
    t.equal(server.requests[1]?.headers['last-event-id'], '3')
    t.match(rec.states[2], { state: 'reconnecting', info: { error: { name: 'IdleTimeout' } } })
    t.ok((server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0) >= 200, 'not before idleTimeout')
  })

  await t.test('close() stops reconnecting; a throwing handler is reported and the stream goes on', async (t) => {
    let answered = 0
    const server = await scriptedServer(t, [
      (_req, res) => {
        answered++
        res.writeHead(200, eventStream)
        res.end(`id: ${answered}\nevent: typing\ndata: {"partner":2,"expires_at":"x"}\n\nid: ${answered}b\nevent: deleted\ndata: {"id":${answered}}\n\n`)
      }
    ])
    const rec = recorder()
    const deleted: number[] = []
    const sub: Subscription = createClient({ baseUrl: server.base }).subscribe({
      typing: () => { throw new Error('handler bug') },
      deleted: ({ id }) => {
        deleted.push(id)
        if (id === 3) sub.close()
      }
    }, { ...rec.options, initialDelay: 10, maxDelay: 10 })
    await sub.closed
    t.same(deleted, [1, 2, 3], 'events of three connections, then close() from a handler')
    t.equal(rec.errors.length, 3, 'each throw reported to onError')
    t.match(rec.errors[0], { message: 'handler bug' })
    t.equal(sub.state, 'closed')
    t.equal(rec.states.at(-1)?.state, 'closed')
    const requests = server.requests.length
    // A later request would have come within 10–15 ms of close(). The signal that it would have
    // come by now: a second client of the same server, started after close(), whose reconnection
    // waits 30–45 ms; once that client has reconnected, the closed one would have too.
    const fromClosed = (): number => server.requests.filter((request) => request.headers.authorization === undefined).length
    const later = createClient({ baseUrl: server.base, token: 'later' }).subscribe({}, { initialDelay: 30, maxDelay: 30 })
    await eventually('the later client\'s reconnection', () => server.requests.filter((request) => request.headers.authorization === 'Token later').length >= 2)
    later.close()
    t.equal(fromClosed(), requests, 'no request after close()')
    t.equal(requests, 3)
  })

  await t.test('close() during the wait and before the first connection', async (t) => {
    const server = await scriptedServer(t, [(_req, res) => { res.writeHead(500); res.end('boom') }])
    const rec = recorder()
    const sub = createClient({ baseUrl: server.base }).subscribe(rec.handlers, { ...rec.options, initialDelay: 10_000 })
    await eventually('the reconnecting state', () => sub.state === 'reconnecting')
    t.match(rec.states[1]?.info, { attempt: 1, error: { statusCode: 500, message: 'boom', code: undefined } }, 'a non-JSON error body: its text')
    sub.close()
    sub.close()
    await sub.closed
    t.same(rec.states.map((s) => s.state), ['connecting', 'reconnecting', 'closed'], 'closed once')
    t.equal(server.requests.length, 1)

    const controller = new AbortController()
    const early = createClient({ baseUrl: server.base }).subscribe({}, { signal: controller.signal })
    controller.abort()
    await early.closed
    t.equal(early.state, 'closed', 'the signal closes it')
  })
})

/** What a stand-in XMLHttpRequest was asked to send. */
interface XhrSent {
  method: string
  url: string
  headers: Record<string, string>
  withCredentials: boolean
  size: number
}

/**
 * A stand-in for a browser's XMLHttpRequest, installed as the global one until `t` ends: it
 * records each request, reports the upload's progress at half and at the whole, then answers the
 * next of `answers` (the last one repeats); `abort()` before that answers nothing.
 */
function fakeXhr (t: Test, answers: Array<{ status: number, body: string, headers?: Record<string, string> }>): XhrSent[] {
  const sent: XhrSent[] = []
  class FakeXhr {
    withCredentials = false
    status = 0
    responseText = ''
    readonly upload: { onprogress: ((event: { loaded: number }) => void) | null } = { onprogress: null }
    onload: (() => void) | null = null
    onerror: (() => void) | null = null
    onabort: (() => void) | null = null
    ontimeout: (() => void) | null = null
    #request = { method: '', url: '', headers: {} as Record<string, string> }
    #answer: { status: number, body: string, headers?: Record<string, string> } | undefined
    #timer: ReturnType<typeof setTimeout> | undefined
    open (method: string, url: string): void { this.#request = { method, url, headers: {} } }
    setRequestHeader (name: string, value: string): void { this.#request.headers[name.toLowerCase()] = value }
    getResponseHeader (name: string): string | null { return this.#answer?.headers?.[name.toLowerCase()] ?? null }
    abort (): void {
      clearTimeout(this.#timer)
      this.onabort?.()
    }

    send (body: Blob): void {
      sent.push({ ...this.#request, withCredentials: this.withCredentials, size: body.size })
      const answer = answers[Math.min(sent.length, answers.length) - 1] as { status: number, body: string, headers?: Record<string, string> }
      this.#timer = setTimeout(() => {
        for (const loaded of [Math.floor(body.size / 2), body.size]) this.upload.onprogress?.({ loaded })
        this.#answer = answer
        this.status = answer.status
        this.responseText = answer.body
        this.onload?.()
      }, 20)
    }
  }
  const global = globalThis as { XMLHttpRequest?: unknown }
  const before = global.XMLHttpRequest
  global.XMLHttpRequest = FakeXhr
  t.teardown(() => { global.XMLHttpRequest = before })
  return sent
}

t.test('uploadAttachment as in a browser (XMLHttpRequest), against a scripted server', async (t) => {
  const storageUrl = 'https://storage.example/bucket/u/abc?X-Amz-Signature=0123'
  const ownPath = '/api/dm/attachments/abc/upload?expires=1&signature=s'
  const declared = (url: string) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(201, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ id: 'abc', upload: { method: 'PUT', url, headers: { 'content-type': 'image/png' } }, expires_at: new Date().toISOString() }))
  }
  const bytes = new File([new Uint8Array(1000)], 'photo.png', { type: 'image/png' })

  await t.test('to a storage\'s URL: no Authorization, no headers option, no cookies; progress up to the total', async (t) => {
    const server = await scriptedServer(t, [declared(storageUrl)])
    const sent = fakeXhr(t, [{ status: 200, body: '' }])
    const client = createClient({ baseUrl: `${server.base}/api/dm`, token: 'secret', headers: { 'x-trace': 't1' }, credentials: 'include' })
    const progress: Array<[number, number]> = []
    const uploaded = await client.uploadAttachment(bytes, { onProgress: (sentBytes, total) => progress.push([sentBytes, total]) })
    t.same(uploaded, { id: 'abc', name: 'photo.png', content_type: 'image/png', size: 1000 }, 'the declared attachment')
    t.equal(server.requests[0]?.headers.authorization, 'Token secret', 'the declaration is authenticated')
    t.same(sent, [{ method: 'PUT', url: storageUrl, headers: { 'content-type': 'image/png' }, withCredentials: false, size: 1000 }],
      'the bytes go to the storage\'s URL with exactly upload.headers, without credentials')
    t.same(progress, [[0, 1000], [500, 1000], [1000, 1000]], 'onProgress from 0 to the total')
  })

  await t.test('to the plugin\'s own path: resolved against baseUrl; an error answer rejects with its code', async (t) => {
    const server = await scriptedServer(t, [declared(ownPath)])
    const sent = fakeXhr(t, [{
      status: 413,
      body: JSON.stringify({ statusCode: 413, code: 'FST_DM_ATTACHMENT_TOO_LARGE', error: 'Payload Too Large', message: 'too large' }),
      headers: { 'content-type': 'application/json' }
    }])
    const client = createClient({ baseUrl: `${server.base}/api/dm/`, token: 'secret', credentials: 'include' })
    const error = await failure(client.uploadAttachment(bytes, { onProgress: () => {} }))
    t.match(error, { statusCode: 413, code: 'FST_DM_ATTACHMENT_TOO_LARGE', message: 'too large' })
    t.same(sent.map((request) => [request.url, request.headers, request.withCredentials]),
      [[server.base + ownPath, { 'content-type': 'image/png' }, true]], 'at baseUrl\'s origin, cookies as the client\'s credentials say, no Authorization')
  })

  await t.test('a storage\'s refusal, a network failure, an abort', async (t) => {
    const server = await scriptedServer(t, [declared(storageUrl)])
    fakeXhr(t, [{ status: 403, body: '<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>' }])
    const client = createClient({ baseUrl: server.base })
    const refused = await failure(client.uploadAttachment(bytes, { onProgress: () => {} }))
    t.match(refused, { statusCode: 403, code: undefined, body: /AccessDenied/ }, 'a DirectMessagesError with the XML as body')

    const controller = new AbortController()
    const aborted = client.uploadAttachment(bytes, { onProgress: (sentBytes) => { if (sentBytes === 0) setTimeout(() => controller.abort(), 5) }, signal: controller.signal })
    t.match(await aborted.then(() => null, (err: unknown) => err), { name: 'AbortError' }, 'aborted during the upload: AbortError')
    const nameless = await client.uploadAttachment(new Blob(['x'], { type: 'text/plain' })).then(() => null, (err: unknown) => err)
    t.ok(nameless instanceof TypeError && /name/.test(nameless.message), 'a Blob without a name, and no name option: a TypeError')
    t.equal(server.requests.length, 2, 'and nothing was declared for it')
  })

  await t.test('without onProgress the bytes go through fetch (the fetch option), with no credentials to a storage', async (t) => {
    const server = await scriptedServer(t, [declared(storageUrl)])
    const sent = fakeXhr(t, [{ status: 500, body: '' }])
    const puts: Array<{ url: string, init: RequestInit | undefined }> = []
    const client = createClient({
      baseUrl: server.base,
      token: 'secret',
      credentials: 'include',
      fetch: async (input, init) => {
        if (String(input).startsWith('https://storage.example/')) {
          puts.push({ url: String(input), init })
          return new Response(null, { status: 200 })
        }
        return await fetch(input, init)
      }
    })
    const uploaded = await client.uploadAttachment(bytes, { name: 'renamed.png' })
    t.equal(uploaded.name, 'renamed.png', 'the name option wins over the File\'s')
    t.equal(sent.length, 0, 'XMLHttpRequest is not used')
    t.same(puts.map((put) => [put.url, put.init?.method, put.init?.headers, put.init?.credentials, (put.init?.body as Blob).size]),
      [[storageUrl, 'PUT', { 'content-type': 'image/png' }, 'omit', 1000]])
  })
})

/** The base URL of a listening app. */
async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

/** Rejects with the DirectMessagesError `promise` rejects with, failing when it resolves. */
async function failure (promise: Promise<unknown>): Promise<DirectMessagesError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof DirectMessagesError) return err
    throw err
  }
  throw new Error('expected a DirectMessagesError, the call succeeded')
}

forEachDatabase(t, 'client', async (t, db) => {
  const app = await startApp(db, { directMessages: { heartbeatInterval: 1000 } })
  const origin = await listen(app)
  const baseUrl = `${origin}/api/dm`
  t.teardown(() => app.close())
  const [alice, bob, carol, dave] = await createUsers(app, 'alice', 'bob', 'carol', 'dave')
  if (alice === undefined || bob === undefined || carol === undefined || dave === undefined) throw new Error('users')
  const asAlice = createClient({ baseUrl, token: alice.token })
  const asBob = new DirectMessagesClient({ baseUrl: baseUrl + '/', token: bob.token })
  const asCarol = createClient({ baseUrl, token: carol.token })
  const anonymous = createClient({ baseUrl })

  await t.test('messages: send, sendInConversation, edit, edits, react, unreact, unsend, deleteMessage', async (t) => {
    const sent = await asAlice.send(bob.id, 'Dinner tonight?')
    t.match(sent, { sender: alice.id, recipient: bob.id, direction: 'out', content: 'Dinner tonight?', read_at: null, reply_to: null, reactions: [] })
    const reply = await asBob.send(alice.id, 'Yes, at 8', { replyTo: sent.id })
    t.same(reply.reply_to, { id: sent.id, sender: alice.id, content: 'Dinner tonight?', unsent: false }, 'replyTo')
    const key = `key-${db.provider}`
    const once = await asAlice.send(bob.id, 'exactly once', { idempotencyKey: key })
    const again = await asAlice.send(bob.id, 'exactly once', { idempotencyKey: key })
    t.equal(again.id, once.id, 'the same Idempotency-Key answers the same message')
    const conflict = await failure(asAlice.send(bob.id, 'another text', { idempotencyKey: key }))
    t.match(conflict, { statusCode: 409, code: 'FST_DM_IDEMPOTENCY_CONFLICT' })

    const page = await asAlice.sendInConversation(bob.id, 'and a page back', { pageSize: 2 })
    t.equal(page.results.length, 2, 'POST /conversations/<id>/ answers the first page, of pageSize')
    t.match(page.results[0], { content: 'and a page back', direction: 'out' })
    t.type(page.next, 'string')

    const edited = await asAlice.edit(sent.id, 'Dinner at 8?')
    t.match(edited, { id: sent.id, content: 'Dinner at 8?', edited_at: String })
    t.match(await asBob.edits(sent.id), [{ content: 'Dinner tonight?', edited_at: String }])
    t.same(await asBob.react(sent.id, '👍'), { reactions: [{ emoji: '👍', count: 1, me: true }] }, 'an emoji, URL-encoded')
    t.same(await asAlice.react(sent.id, '👍'), { reactions: [{ emoji: '👍', count: 2, me: true }] })
    t.same(await asBob.unreact(sent.id, '👍'), { reactions: [{ emoji: '👍', count: 1, me: false }] })
    t.equal(await asAlice.unsend(sent.id), undefined, 'unsend: 204, undefined')
    const [tombstone] = (await asBob.conversation(alice.id, { pageSize: 100 })).results.filter((m) => m.id === sent.id)
    t.match(tombstone, { content: '', reactions: [], unsent_at: String })
    t.equal(await asBob.deleteMessage(reply.id), undefined)
    t.notOk((await asBob.conversation(alice.id, { pageSize: 100 })).results.some((m) => m.id === reply.id), 'deleted for bob')

    t.match(await failure(asBob.edit(once.id, 'not mine')), { statusCode: 403, code: 'FST_DM_NOT_SENDER' })
    t.match(await failure(asAlice.edit(sent.id, 'unsent')), { statusCode: 409, code: 'FST_DM_MESSAGE_UNSENT' })
    t.match(await failure(asAlice.react(once.id, 'not an emoji')), { statusCode: 400, code: 'FST_DM_INVALID_REACTION' })
    t.match(await failure(asAlice.deleteMessage(Number.MAX_SAFE_INTEGER)), { statusCode: 404, code: 'FST_DM_MESSAGE_NOT_FOUND' })
    t.match(await failure(asAlice.edits(Number.MAX_SAFE_INTEGER)), { statusCode: 404, code: 'FST_DM_MESSAGE_NOT_FOUND' })
    t.match(await failure(asCarol.unsend(once.id)), { statusCode: 404, code: 'FST_DM_MESSAGE_NOT_FOUND' }, 'unsend of a message one cannot see')
    t.match(await failure(asAlice.send(alice.id, 'me')), { statusCode: 400, code: 'FST_DM_SELF_MESSAGE' })
    t.match(await failure(asAlice.send(bob.id, '   ')), { statusCode: 400, code: 'FST_DM_EMPTY_CONTENT' })
    t.match(await failure(asAlice.send(bob.id, 'x', { replyTo: Number.MAX_SAFE_INTEGER })), { statusCode: 400, code: 'FST_DM_INVALID_REPLY' })
    t.match(await failure(asAlice.sendInConversation(999_999, 'nobody')), { statusCode: 404, code: 'FST_DM_USER_NOT_FOUND' })
  })

  await t.test('DirectMessagesError carries the server\'s error body; 401 without a token; network errors stay fetch\'s', async (t) => {
    const notFound = await failure(asAlice.send(999_999, 'nobody'))
    t.ok(notFound instanceof Error, 'an Error')
    t.equal(notFound.name, 'DirectMessagesError')
    t.equal(notFound.statusCode, 404)
    t.equal(notFound.code, 'FST_DM_USER_NOT_FOUND')
    t.equal(notFound.error, 'Not Found')
    t.match(notFound.message, /user/i, 'the server\'s message')
    t.match(notFound.body, { statusCode: 404, code: 'FST_DM_USER_NOT_FOUND', error: 'Not Found', message: notFound.message })
    t.equal(notFound.retryAfter, undefined)

    const unauthorized = await failure(anonymous.unreadCount())
    t.match(unauthorized, { statusCode: 401, code: 'FST_DM_UNAUTHORIZED', error: 'Unauthorized' })
    t.match(await failure(createClient({ baseUrl, token: 'wrong' }).conversations()), { statusCode: 401 })
    t.match(await failure(asAlice.conversation('abc')), { statusCode: 400, code: 'FST_ERR_VALIDATION' }, 'a malformed id')

    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const network = await createClient({ baseUrl: `http://127.0.0.1:${port}/api/dm` }).unreadCount().then(() => null, (err: unknown) => err)
    t.ok(network instanceof TypeError && !(network instanceof DirectMessagesError), 'a refused connection rejects with fetch\'s TypeError')

    const aborted = new AbortController()
    aborted.abort()
    const abort = await asAlice.unreadCount({ signal: aborted.signal }).then(() => null, (err: unknown) => err)
    t.match(abort, { name: 'AbortError' }, 'signal')

    t.throws(() => createClient({} as never), TypeError, 'baseUrl is required')
  })

  await t.test('conversations: unreadCount, unreadConversations, conversations, conversation, markRead, deleteConversation', async (t) => {
    const first = await asAlice.send(carol.id, 'one')
    const second = await asAlice.send(carol.id, 'two')
    await asAlice.send(carol.id, 'three')
    const carolBearer = createClient({ baseUrl, authorization: `Bearer ${carol.token}` })
    t.same(await carolBearer.unreadCount(), { id: carol.id, count: 3, unmuted_count: 3 }, 'authorization: a Bearer header')
    t.same(await asCarol.unreadConversations(), [{ partner_id: alice.id, partner_username: 'alice', unread_count: 3, muted: false }])
    const list = await asCarol.conversations()
    t.match(list, { next: null, previous: null, results: [{ id: alice.id, username: 'alice', unread_count: 3, muted: false, archived: false, last_message: { content: 'three' } }] })
    const peek = await asCarol.conversation(alice.id, { markRead: false })
    t.same(peek.results.map((m) => m.content), ['three', 'two', 'one'], 'newest first')
    t.equal((await asCarol.unreadCount()).count, 3, 'markRead: false marks nothing')
    t.same(await asCarol.markRead(alice.id, { upTo: second.id }), { count: 2 }, 'upTo')
    t.same(await asCarol.markRead(alice.id), { count: 1 }, 'the rest, without a body')
    t.equal((await asCarol.unreadCount()).count, 0)
    t.ok((await asAlice.conversation(carol.id)).results.every((m) => m.read_at !== null), 'read receipts')
    t.match(await failure(asCarol.markRead(999_999)), { statusCode: 404, code: 'FST_DM_USER_NOT_FOUND' })
    t.match(await failure(asCarol.conversations({ cursor: 'not-a-cursor' })), { statusCode: 400, code: 'FST_DM_INVALID_CURSOR' })
    t.match(await failure(asCarol.conversations({ pageSize: 0 })), { statusCode: 400, code: 'FST_ERR_VALIDATION' })

    t.equal(await asCarol.deleteConversation(alice.id), undefined)
    t.same((await asCarol.conversations()).results, [], 'the conversation left carol\'s list')
    t.ok((await asAlice.conversation(carol.id)).results.some((m) => m.id === first.id), 'alice keeps hers')
    t.match(await failure(asCarol.deleteConversation(999_999)), { statusCode: 404, code: 'FST_DM_USER_NOT_FOUND' })
  })

  await t.test('mute, unmute, archive, unarchive', async (t) => {
    const asDave = createClient({ baseUrl, token: dave.token })
    await asAlice.send(dave.id, 'hi dave')
    t.equal(await asDave.mute(alice.id), undefined)
    t.match(await asDave.unreadCount(), { count: 1, unmuted_count: 0 })
    t.match((await asDave.conversations()).results, [{ id: alice.id, muted: true }])
    await asDave.unmute(alice.id)
    t.match(await asDave.unreadCount(), { count: 1, unmuted_count: 1 })
    await asDave.archive(alice.id)
    t.same((await asDave.conversations()).results, [], 'archived: out of the main list')
    t.match((await asDave.conversations({ archived: true })).results, [{ id: alice.id, archived: true }], 'archived: true')
    await asDave.unarchive(alice.id)
    t.match((await asDave.conversations()).results, [{ id: alice.id, archived: false }])
    t.match(await failure(asDave.mute(bob.id)), { statusCode: 404 }, 'no conversation with bob')
    t.match(await failure(asDave.archive(dave.id)), { statusCode: 400 }, 'your own id')
  })

  await t.test('blocks, typing, presence', async (t) => {
    const asDave = createClient({ baseUrl, token: dave.token })
    t.same(await asDave.block(carol.id), { id: carol.id, username: 'carol', first_name: '', last_name: '' })
    t.match(await asDave.blocks(), { next: null, previous: null, results: [{ id: carol.id }] })
    t.match(await failure(asCarol.send(dave.id, 'hello?')), { statusCode: 400, code: 'FST_DM_RECIPIENT_NOT_ALLOWED' }, 'the block holds')
    t.equal(await asDave.unblock(carol.id), undefined)
    t.same((await asDave.blocks()).results, [])
    t.match(await failure(asDave.block(dave.id)), { statusCode: 400, code: 'FST_DM_SELF_BLOCK' })
    t.match(await failure(asDave.block(999_999)), { statusCode: 404, code: 'FST_DM_USER_NOT_FOUND' })

    t.equal(await asDave.typing(alice.id), undefined)
    t.match(await failure(asDave.typing(dave.id)), { statusCode: 400, code: 'FST_DM_SELF_TYPING' })
    t.match(await failure(asDave.typing(999_999)), { statusCode: 404, code: 'FST_DM_USER_NOT_FOUND' })

    t.same(await asDave.presence([alice.id, carol.id]), [
      { id: alice.id, online: false, last_seen_at: null },
      { id: carol.id, online: false, last_seen_at: null }
    ], 'in the order asked')
    t.match(await failure(asDave.presence([])), { statusCode: 400, code: 'FST_DM_INVALID_IDS' })
  })

  await t.test('attachments: uploadAttachment with progress, send with attachments, the partner\'s page, the bytes', async (t) => {
    const [x, y] = await createUsers(app, `ax-${db.provider}`, `ay-${db.provider}`)
    if (x === undefined || y === undefined) throw new Error('users')
    const requests: Array<{ url: string, method: string, authorization: string | null }> = []
    const asX = createClient({
      baseUrl,
      token: x.token,
      fetch: (input, init) => {
        requests.push({ url: String(input), method: init?.method ?? 'GET', authorization: new Headers(init?.headers).get('authorization') })
        return fetch(input, init)
      }
    })
    const asY = createClient({ baseUrl, token: y.token })
    const image = await png(64, 48)
    const document = pdf()
    const progress: Array<[number, number]> = []
    const onProgress = (sent: number, total: number): void => { progress.push([sent, total]) }

    const photo = await asX.uploadAttachment(new File([image], 'photo.png', { type: 'image/png' }), { onProgress })
    t.match(photo, { id: /^[a-z2-7]{26}$/, name: 'photo.png', content_type: 'image/png', size: image.length }, 'a File: its name, type and size')
    t.same(progress, [[image.length, image.length]], 'onProgress reaches the total (once, through fetch)')
    const upload = requests.find((request) => request.method === 'PUT')
    t.match(upload?.url, new RegExp(`^${origin}/api/dm/attachments/${photo.id}/upload\\?`), 'the upload path, resolved against baseUrl')
    t.equal(upload?.authorization, null, 'the upload carries no Authorization')
    progress.length = 0
    const report = await asX.uploadAttachment(new Blob([document], { type: 'application/pdf' }), { name: 'report.pdf', onProgress })
    t.match(report, { name: 'report.pdf', content_type: 'application/pdf', size: document.length }, 'a Blob with the name option')
    t.same(progress, [[document.length, document.length]])

    const sent = await asX.send(y.id, '', { attachments: [photo.id, report.id] })
    t.match(sent, { content: '', direction: 'out' }, 'with attachments the content may be empty')
    t.match(sent.attachments, [
      { id: photo.id, name: 'photo.png', content_type: 'image/png', size: image.length, width: 64, height: 48, url: /^\/api\/dm\//, thumbnail_url: /^\/api\/dm\// },
      { id: report.id, name: 'report.pdf', content_type: 'application/pdf', size: document.length, width: null, height: null, url: /^\/api\/dm\//, thumbnail_url: null }
    ], 'the send answers the message with its attachments, in order')

    const seen = (await asY.conversation(x.id)).results.find((message) => message.id === sent.id)
    t.same(seen?.attachments.map((attachment) => [attachment.id, attachment.name]), [[photo.id, 'photo.png'], [report.id, 'report.pdf']], 'the partner\'s page shows them')
    const [shownPhoto, shownReport] = seen?.attachments ?? []
    const photoFile = await fetch(origin + (shownPhoto?.url ?? ''))
    t.equal(photoFile.status, 200)
    t.equal(photoFile.headers.get('content-type'), 'image/png')
    t.ok(Buffer.from(await photoFile.arrayBuffer()).equals(image), 'fetching the image\'s url gives its bytes')
    const thumbnail = await fetch(origin + (shownPhoto?.thumbnail_url ?? ''))
    t.equal(thumbnail.headers.get('content-type'), 'image/webp', 'the thumbnail is WebP')
    await thumbnail.arrayBuffer()
    const reportFile = await fetch(origin + (shownReport?.url ?? ''))
    t.equal(reportFile.headers.get('content-type'), 'application/pdf')
    t.match(reportFile.headers.get('content-disposition'), /^attachment/, 'a PDF is served as a download')
    t.ok(Buffer.from(await reportFile.arrayBuffer()).equals(document), 'fetching the PDF\'s url gives its bytes')

    const again = await asX.uploadAttachment(new File([await png(10, 10)], 'small.png', { type: 'image/png' }))
    const page = await asX.sendInConversation(y.id, 'one more', { attachments: [again.id], pageSize: 1 })
    t.match(page.results, [{ content: 'one more', attachments: [{ id: again.id, width: 10, height: 10 }] }], 'sendInConversation takes attachments too')
    t.match(await failure(asX.send(y.id, 'reused', { attachments: [again.id] })), { statusCode: 400, code: 'FST_DM_INVALID_ATTACHMENT' }, 'an upload is sent once')
    t.match((await asX.send(y.id, 'none', { attachments: [] })).attachments, [], 'an empty list is no attachment')
  })

  await t.test('attachments: an upload of a type not allowed rejects with the server\'s code', async (t) => {
    const refused = await failure(asAlice.uploadAttachment(new File(['<p>hi</p>'], 'page.html', { type: 'text/html' }), { onProgress: () => t.fail('no bytes sent') }))
    t.match(refused, { name: 'DirectMessagesError', statusCode: 415, code: 'FST_DM_ATTACHMENT_TYPE_NOT_ALLOWED', error: 'Unsupported Media Type' })
  })

  await t.test('pagination: pages() and items() follow next and previous; follow() stays at baseUrl\'s origin', async (t) => {
    const [x, y] = await createUsers(app, `px-${db.provider}`, `py-${db.provider}`)
    if (x === undefined || y === undefined) throw new Error('users')
    const asX = createClient({ baseUrl, token: x.token })
    const sent: MessageBody[] = []
    for (let i = 1; i <= 5; i++) sent.push(await asX.send(y.id, `m${i}`))
    const newestFirst = sent.map((m) => m.id).reverse()
    const pages: MessagePageBody[] = []
    for await (const page of asX.pages(asX.conversation(y.id, { pageSize: 2 }))) pages.push(page)
    t.same(pages.map((page) => page.results.map((m) => m.id)), [newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)], 'three pages, each message once')
    t.equal(pages.at(-1)?.next, null)
    const back = []
    for await (const message of asX.items(pages.at(-1) as MessagePageBody, { direction: 'previous' })) back.push(message.id)
    t.same(back, [newestFirst[4], newestFirst[2], newestFirst[3], newestFirst[0], newestFirst[1]], 'previous, page by page, back to the first')
    const items = []
    for await (const message of asX.items(asX.conversation(y.id, { pageSize: 2 }))) items.push(message.content)
    t.same(items, ['m5', 'm4', 'm3', 'm2', 'm1'], 'items()')

    const urls: string[] = []
    const recording = createClient({
      baseUrl,
      token: x.token,
      fetch: (input, init) => { urls.push(String(input)); return fetch(input, init) }
    })
    const link = new URL(pages[0]?.next as string)
    const moved = `https://elsewhere.example${link.pathname}${link.search}`
    const followed = await recording.follow<MessagePageBody>(moved)
    t.same(followed.results.map((m) => m.id), newestFirst.slice(2, 4), 'the link\'s path and query')
    t.same(urls, [`${origin}${link.pathname}${link.search}`], 'at baseUrl\'s origin, not the link\'s')
  })

  await t.test('options: authorization and headers functions, called before each request', async (t) => {
    let calls = 0
    const seen: string[] = []
    const client = createClient({
      baseUrl,
      token: 'ignored',
      authorization: () => { calls++; return `Token ${alice.token}` },
      headers: async () => ({ 'X-Trace': `t${calls}` }),
      fetch: (input, init) => { seen.push(new Headers(init?.headers).get('x-trace') ?? ''); return fetch(input, init) }
    })
    t.match(await client.unreadCount(), { id: alice.id })
    t.match(await client.unreadCount(), { id: alice.id })
    t.equal(calls, 2, 'authorization() per request, winning over token')
    t.same(seen, ['t0', 't1'], 'headers() per request')
  })

  await t.test('subscribe: live events, connection states, resume after the server dropped the connection, close()', async (t) => {
    const [x, y] = await createUsers(app, `sx-${db.provider}`, `sy-${db.provider}`)
    if (x === undefined || y === undefined) throw new Error('users')
    const asX = createClient({ baseUrl, token: x.token })
    const streamRequests: Array<string | null> = []
    const asY = createClient({
      baseUrl,
      token: y.token,
      fetch: (input, init) => {
        if (String(input).endsWith('/events/')) streamRequests.push(new Headers(init?.headers).get('last-event-id'))
        return fetch(input, init)
      }
    })
    await asX.send(y.id, 'before the stream')
    const rec = recorder()
    let dropped = false
    let missed: Promise<MessageBody> | undefined
    const sub = asY.subscribe(rec.handlers, {
      ...rec.options,
      initialDelay: 500,
      onStateChange: (state, info) => {
        rec.options.onStateChange(state, info)
        // Sent while y is disconnected: it must arrive once, through the replay.
        if (state === 'reconnecting' && dropped && missed === undefined) missed = asX.send(y.id, 'while disconnected')
      }
    })
    t.teardown(() => sub.close())
    await eventually('the stream\'s position', () => sub.state === 'open' && sub.lastEventId !== undefined)
    const start = sub.lastEventId
    t.match(start, /^\d+$/, 'the position the stream started at is the last event id')

    const live = await asX.send(y.id, 'live')
    await eventually('message', () => rec.of('message').length === 1)
    t.same(rec.of('message'), [{ ...live, direction: 'in' }], 'message, from y\'s point of view')
    const messageEvent = rec.events.find((e) => e.type === 'message')
    t.ok(Number(messageEvent?.id) > Number(start), 'with its change id')
    t.equal(sub.lastEventId, messageEvent?.id)

    await asX.edit(live.id, 'live, edited')
    await eventually('message_updated', () => rec.of('message_updated').some((m) => m.content === 'live, edited'))
    await asY.deleteMessage(live.id)
    await eventually('deleted', () => rec.of('deleted').length === 1)
    t.same(rec.of('deleted'), [{ id: live.id }], 'y\'s own delete, for y\'s other devices')
    await asX.typing(y.id)
    await eventually('typing', () => rec.of('typing').length === 1)
    t.match(rec.of('typing'), [{ partner: x.id, expires_at: String }])
    t.equal(rec.events.find((e) => e.type === 'typing')?.id, undefined, 'typing has no SSE id')

    // The server drops every connection: the client resumes from its last event id.
    const beforeDrop = sub.lastEventId
    const messagesBefore = rec.of('message').length
    dropped = true
    app.server.closeAllConnections()
    await eventually('the missed message, after the reconnection', () => rec.of('message').length > messagesBefore && sub.state === 'open', 10_000)
    const sentMeanwhile = await (missed as Promise<MessageBody>)
    t.same(rec.of('message').map((m) => m.id), [live.id, sentMeanwhile.id], 'the message sent while disconnected arrives once')
    t.equal(streamRequests.length, 2, 'one reconnection')
    t.equal(streamRequests[0], null, 'the first connection had no Last-Event-ID')
    t.equal(streamRequests[1], beforeDrop, 'the reconnection sent the last event id')
    t.same(rec.states.map((s) => s.state), ['connecting', 'open', 'reconnecting', 'open'])
    const reconnect = rec.states[2] as { info: ConnectionStateInfo, at: number }
    t.ok((reconnect.info.delay ?? 0) >= 500 && (reconnect.info.delay ?? 0) <= 750, `initialDelay with jitter (${reconnect.info.delay} ms)`)
    await asX.send(y.id, 'after the reconnection')
    await eventually('a live message after the reconnection', () => rec.of('message').length === 3)
    t.same(rec.errors, [])

    sub.close()
    await sub.closed
    t.equal(sub.state, 'closed')
    t.equal(rec.states.at(-1)?.state, 'closed')
    // The server sees the stream end: y goes offline for x.
    await eventually('y offline for x', async () => (await asX.presence([y.id]))[0]?.online === false, 5000)
    await asX.send(y.id, 'after close')
    t.equal(streamRequests.length, 2, 'no reconnection after close()')
    t.equal(rec.of('message').length, 3, 'nothing delivered after close()')
  })

  await t.test('subscribe: 401 without a token closes the subscription', async (t) => {
    const rec = recorder()
    const sub = anonymous.subscribe(rec.handlers, { ...rec.options, initialDelay: 10 })
    await sub.closed
    t.same(rec.states.map((s) => s.state), ['connecting', 'closed'])
    t.match(rec.errors, [{ statusCode: 401, code: 'FST_DM_UNAUTHORIZED' }])
  })
})

t.test('attachments through an app whose storage is S3 (s3Storage on s3rver): presigned upload and download', async (t) => {
  const s3 = await startS3()
  t.teardown(() => s3.close())
  const db = await openDatabase('sqlite', 'client-s3')
  t.teardown(() => db.close())
  const app = await startApp(db, { directMessages: { storage: s3Storage({ client: s3.client, bucket: s3.bucket }) } })
  t.teardown(() => app.close())
  const origin = await listen(app)
  const [x, y] = await createUsers(app, 'sx', 'sy')
  if (x === undefined || y === undefined) throw new Error('users')
  const puts: Array<{ url: string, authorization: string | null, credentials: RequestInit['credentials'] }> = []
  const asX = createClient({
    baseUrl: `${origin}/api/dm`,
    token: x.token,
    fetch: (input, init) => {
      if (init?.method === 'PUT') puts.push({ url: String(input), authorization: new Headers(init.headers).get('authorization'), credentials: init.credentials })
      return fetch(input, init)
    }
  })
  const asY = createClient({ baseUrl: `${origin}/api/dm`, token: y.token })
  const image = await png(40, 30)
  const document = pdf()
  const progress: number[] = []
  const photo = await asX.uploadAttachment(new File([image], 'photo.png', { type: 'image/png' }), { onProgress: (sent) => progress.push(sent) })
  const report = await asX.uploadAttachment(new File([document], 'report.pdf', { type: 'application/pdf' }))
  t.same(progress, [image.length], 'onProgress reaches the total')
  t.equal(puts.length, 2)
  for (const put of puts) {
    t.ok(put.url.startsWith(`${s3.endpoint}/${s3.bucket}/`), `the bytes go straight to the S3 server (${put.url.slice(0, 60)}…)`)
    t.match(put.url, /X-Amz-Signature=/, 'through a presigned URL')
    t.equal(put.authorization, null, 'without the Authorization header')
    t.equal(put.credentials, 'omit', 'nor cookies')
  }
  t.ok((await listObjects(s3.directory)).includes(`u/${photo.id}`), 'the S3 server holds the upload')

  const sent = await asX.send(y.id, 'from S3', { attachments: [photo.id, report.id] })
  t.same(sent.attachments.map((attachment) => attachment.name), ['photo.png', 'report.pdf'])
  const seen = (await asY.conversation(x.id)).results.find((message) => message.id === sent.id)
  for (const [attachment, bytes] of [[seen?.attachments[0], image], [seen?.attachments[1], document]] as const) {
    const redirect = await fetch(origin + (attachment?.url ?? ''), { redirect: 'manual' })
    t.equal(redirect.status, 302, `${attachment?.name ?? ''}: the message's url answers 302`)
    const location = redirect.headers.get('location') ?? ''
    t.ok(location.startsWith(`${s3.endpoint}/${s3.bucket}/`), 'to the S3 server')
    const file = await fetch(location)
    t.equal(file.status, 200)
    t.equal(file.headers.get('content-type'), attachment?.content_type)
    t.ok(Buffer.from(await file.arrayBuffer()).equals(bytes), 'whose bytes equal the upload')
  }
})

t.test('dist/client loads without anything outside it', async (t) => {
  const dir = join(root, 'dist', 'client')
  if (!existsSync(join(dir, 'index.js'))) throw new Error('dist/client/index.js is missing: npm run build')
  const files = readdirSync(dir).filter((name) => name.endsWith('.js'))
  const specifiers: string[] = []
  for (const name of files) {
    const code = readFileSync(join(dir, name), 'utf8')
    // Static imports and re-exports, side-effect imports, dynamic imports, require.
    for (const match of code.matchAll(/^\s*(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]|\brequire\s*\(\s*['"]([^'"]+)['"]/gm)) {
      specifiers.push(`${name}: ${match[1] ?? match[2] ?? match[3] ?? match[4] ?? ''}`)
    }
    t.notMatch(code, /\bimport\s*\((?!\s*['"])/, `${name}: no computed dynamic import`)
  }
  t.ok(specifiers.length > 0, 'the files import each other')
  for (const specifier of specifiers) {
    const [file, target] = specifier.split(': ') as [string, string]
    t.ok(/^\.\/[\w-]+\.js$/.test(target) && files.includes(target.slice(2)), `${file} imports ${target}: a file of dist/client`)
  }

  // Copied alone into an empty directory (no node_modules anywhere above), it loads.
  const alone = mkdtempSync(join(tmpdir(), 'dm-client-'))
  t.teardown(() => rmSync(alone, { recursive: true, force: true }))
  for (const name of files) copyFileSync(join(dir, name), join(alone, name))
  writeFileSync(join(alone, 'package.json'), '{ "type": "module" }\n')
  const loaded = await import(pathToFileURL(join(alone, 'index.js')).href) as typeof import('../../src/client/index.js')
  t.type(loaded.createClient, 'function')
  t.type(loaded.DirectMessagesError, 'function')
  t.ok(loaded.createClient({ baseUrl: 'http://127.0.0.1:1/api/dm' }) instanceof loaded.DirectMessagesClient)
})
