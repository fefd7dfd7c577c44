/**
 * `fastify-directmessages/client`: a typed client of the plugin's routes for browsers and Node 20+,
 * over `fetch`, with an event-stream reader that resumes with Last-Event-ID. It loads nothing but
 * its own files: the types come from the routes' schemas, at compile time only.
 *
 * @example
 * ```ts
 * import { createClient } from 'fastify-directmessages/client'
 * const dm = createClient({ baseUrl: 'https://example.com/api/dm', authorization: () => `Bearer ${jwt()}` })
 * const message = await dm.send(2, 'Hello!')
 * // A file: declared, then its bytes sent where the server says; then sent in a message.
 * const photo = await dm.uploadAttachment(input.files[0], { onProgress: (sent, total) => bar.value = sent / total })
 * await dm.send(2, '', { attachments: [photo.id] })
 * ```
 */
import { DirectMessagesError, errorOf } from './errors.js'
import { openSubscription, type EventHandlers, type SubscribeOptions, type Subscription } from './stream.js'
import type {
  AttachmentDeclaration, AttachmentUpload, ConversationPageBody, EditBody, MarkedReadBody, MessageBody, MessagePageBody, Page, PartnerBody,
  PartnerPageBody, PresenceBody, ReactionsBody, UnreadBody, UnreadConversationBody, UserId
} from './types.js'

export { DirectMessagesError }
export { SseParser, type SseEvent, type SseParserCallbacks } from './stream.js'
export type { ConnectionState, ConnectionStateInfo, EventHandlers, EventMeta, SubscribeOptions, Subscription } from './stream.js'
export type * from './types.js'

/** Headers as a plain object. */
export type HeaderRecord = Record<string, string>

/** Something that may be a promise. */
type Awaitable<T> = T | Promise<T>

export interface ClientOptions {
  /** The plugin's prefix as a URL, e.g. `http://127.0.0.1:3000/api/dm`; in a browser also a path, e.g. `/api/dm`. */
  baseUrl: string | URL
  /** An API token, sent as `Authorization: Token <token>` (the example application's scheme). */
  token?: string
  /**
   * The whole `Authorization` header, e.g. `Bearer <jwt>`, or a function answering it before each
   * request (and each stream reconnection), so a refreshed token is used; undefined or null: none.
   * It wins over `token`.
   */
  authorization?: string | (() => Awaitable<string | undefined | null>)
  /** Headers for every request, or a function answering them before each one; `authorization`/`token` win over them. */
  headers?: HeaderRecord | (() => Awaitable<HeaderRecord>)
  /** The `fetch` to use (default the global one). */
  fetch?: typeof fetch
  /** `fetch`'s `credentials`, e.g. `include` for a cookie session on another origin. */
  credentials?: 'omit' | 'same-origin' | 'include'
}

/** Every method takes an AbortSignal. */
export interface CallOptions {
  signal?: AbortSignal
}

export interface PageOptions extends CallOptions {
  /** A cursor taken from a `next`/`previous` link (`follow` does that for you). */
  cursor?: string
  /** Items per page, 1–100 (default 50). */
  pageSize?: number
}

export interface ConversationsOptions extends PageOptions {
  /** true: only the archived conversations; false (default): the others. */
  archived?: boolean
}

export interface ConversationOptions extends PageOptions {
  /** false: show the page without marking anything read (default true: reading marks every unread message of it read). */
  markRead?: boolean
}

export interface MarkReadOptions extends CallOptions {
  /** Only the messages up to this message id. */
  upTo?: number
}

export interface SendOptions extends CallOptions {
  /** The id of the message this one answers. */
  replyTo?: number
  /**
   * Ids of the caller's uploads the message carries, in this order (1 to 10; see
   * {@link DirectMessagesClient.uploadAttachment}); with attachments the content may be `""`. An
   * empty list is the same as none. Each upload is sent once: a second message cannot carry it.
   */
  attachments?: readonly string[]
  /** Makes the send safe to retry: the same key answers the message the first send created (e.g. `crypto.randomUUID()`). */
  idempotencyKey?: string
}

export interface SendInConversationOptions extends SendOptions {
  /** The size of the page answered. */
  pageSize?: number
}

/** Options of {@link DirectMessagesClient.uploadAttachment}. */
export interface UploadAttachmentOptions extends CallOptions {
  /**
   * The file name shown to the partner (1 to 255 characters, no control characters). Default: the
   * `name` of a `File`; a Blob that is not a File needs one.
   */
  name?: string
  /**
   * The media type to declare. Default: the Blob's `type` (`application/octet-stream` when it has
   * none). The server refuses a type its `attachmentTypes` option does not allow, and, when the
   * file is sent, bytes that are not of the declared type.
   */
  contentType?: string
  /**
   * Called with the bytes sent so far and the file's size. In a browser the bytes then go through
   * XMLHttpRequest (fetch cannot report an upload's progress, and the `fetch` option is not used
   * for them), and it is called as they go, the last call being `(size, size)`; elsewhere (Node)
   * they go through `fetch`, and it is called once, `(size, size)`, when the upload is complete.
   */
  onProgress?: (sent: number, total: number) => void
}

/** An uploaded attachment: name its `id` in a send's `attachments` to send it (before the upload expires, 24 h by default). */
export interface UploadedAttachment {
  /** The attachment id. */
  id: string
  /** The name declared. */
  name: string
  /** The media type declared. */
  content_type: string
  /** Bytes. */
  size: number
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
type Query = Record<string, string | number | boolean | undefined>

interface RequestOptions extends CallOptions {
  query?: Query
  body?: unknown
  headers?: HeaderRecord
}

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i
/** A URL naming its own host: with a scheme, or scheme-relative (`//host/...`). */
const ELSEWHERE = /^(?:[a-z][a-z0-9+.-]*:|[\\/]{2})/i
const id = (value: UserId | number): string => encodeURIComponent(String(value))

/**
 * A client of one plugin mount. Each method is one route; it resolves with the route's body
 * (undefined for 204) and rejects with {@link DirectMessagesError} for an HTTP error. Network
 * failures reject with what `fetch` throws.
 */
export class DirectMessagesClient {
  readonly #base: string
  readonly #options: ClientOptions
  readonly #fetch: typeof fetch

  constructor (options: ClientOptions) {
    if (options === null || typeof options !== 'object' || options.baseUrl === undefined || String(options.baseUrl) === '') {
      throw new TypeError('createClient: `baseUrl` is required, e.g. http://127.0.0.1:3000/api/dm')
    }
    const fetchFunction = options.fetch ?? globalThis.fetch
    if (typeof fetchFunction !== 'function') throw new TypeError('createClient: no global fetch here; pass the `fetch` option')
    this.#options = options
    this.#base = String(options.baseUrl).replace(/\/+$/, '')
    // Called unbound, as browsers' fetch must be.
    this.#fetch = (input, init) => fetchFunction(input, init)
  }

  /** `GET /unread/`: `{id, count, unmuted_count}`. */
  unreadCount (options?: CallOptions): Promise<UnreadBody> {
    return this.#request('GET', '/unread/', options)
  }

  /** `GET /conversations/`: a page of conversations, most recent activity first. */
  conversations (options: ConversationsOptions = {}): Promise<ConversationPageBody> {
    return this.#request('GET', '/conversations/', { ...options, query: { ...pageQuery(options), archived: options.archived } })
  }

  /** `GET /conversations/unread/`: the partners with unread messages and their counts. */
  unreadConversations (options?: CallOptions): Promise<UnreadConversationBody[]> {
    return this.#request('GET', '/conversations/unread/', options)
  }

  /** `GET /conversations/<id>/`: a page of the conversation, newest first; marks it read unless `markRead: false`. */
  conversation (partnerId: UserId, options: ConversationOptions = {}): Promise<MessagePageBody> {
    return this.#request('GET', `/conversations/${id(partnerId)}/`, {
      ...options,
      query: { ...pageQuery(options), mark_read: options.markRead === false ? false : undefined }
    })
  }

  /** `POST /conversations/<id>/read/`: marks read what the partner sent (or up to `upTo`); `{count}`. */
  markRead (partnerId: UserId, options: MarkReadOptions = {}): Promise<MarkedReadBody> {
    return this.#request('POST', `/conversations/${id(partnerId)}/read/`, {
      ...options,
      body: options.upTo === undefined ? undefined : { up_to: options.upTo }
    })
  }

  /** `DELETE /conversations/<id>/`: hides the whole conversation, for the caller only. */
  deleteConversation (partnerId: UserId, options?: CallOptions): Promise<void> {
    return this.#request('DELETE', `/conversations/${id(partnerId)}/`, options)
  }

  /** `POST /send/<id>/`: sends a message; resolves with it. */
  send (recipientId: UserId, content: string, options: SendOptions = {}): Promise<MessageBody> {
    return this.#request('POST', `/send/${id(recipientId)}/`, sendRequest(content, options))
  }

  /**
   * `POST /conversations/<id>/`: sends a message like {@link send}, then resolves with the first
   * page of the conversation, as {@link conversation} would (so it marks the conversation read).
   */
  sendInConversation (partnerId: UserId, content: string, options: SendInConversationOptions = {}): Promise<MessagePageBody> {
    return this.#request('POST', `/conversations/${id(partnerId)}/`, { ...sendRequest(content, options), query: { page_size: options.pageSize } })
  }

  /** `DELETE /messages/<id>/`: hides the message for the caller only. */
  deleteMessage (messageId: number, options?: CallOptions): Promise<void> {
    return this.#request('DELETE', `/messages/${id(messageId)}/`, options)
  }

  /** `PATCH /messages/<id>/`: the sender edits the message; resolves with it. */
  edit (messageId: number, content: string, options?: CallOptions): Promise<MessageBody> {
    return this.#request('PATCH', `/messages/${id(messageId)}/`, { ...options, body: { content } })
  }

  /** `GET /messages/<id>/edits/`: the earlier versions, oldest first. */
  edits (messageId: number, options?: CallOptions): Promise<EditBody[]> {
    return this.#request('GET', `/messages/${id(messageId)}/edits/`, options)
  }

  /** `POST /messages/<id>/unsend/`: the sender takes the message back, for both. */
  unsend (messageId: number, options?: CallOptions): Promise<void> {
    return this.#request('POST', `/messages/${id(messageId)}/unsend/`, options)
  }

  /** `PUT /messages/<id>/reactions/<emoji>/`: reacts; `{reactions}` as the caller now sees them. */
  react (messageId: number, emoji: string, options?: CallOptions): Promise<ReactionsBody> {
    return this.#request('PUT', `/messages/${id(messageId)}/reactions/${encodeURIComponent(emoji)}/`, options)
  }

  /** `DELETE /messages/<id>/reactions/<emoji>/`: takes the reaction back; `{reactions}`. */
  unreact (messageId: number, emoji: string, options?: CallOptions): Promise<ReactionsBody> {
    return this.#request('DELETE', `/messages/${id(messageId)}/reactions/${encodeURIComponent(emoji)}/`, options)
  }

  /**
   * `POST /attachments/`: declares a file to send (its name, media type and size in bytes);
   * resolves with the attachment's id and the request that sends its bytes. Most callers want
   * {@link uploadAttachment}, which sends them too.
   */
  createAttachment (declaration: AttachmentDeclaration, options?: CallOptions): Promise<AttachmentUpload> {
    return this.#request('POST', '/attachments/', { ...options, body: declaration })
  }

  /**
   * Uploads a file to send in a message: declares it (`POST /attachments/`, with the name of a
   * `File`, the Blob's type and size), then sends its bytes as the server says, to a path of the
   * plugin's own (resolved against `baseUrl`) or straight to the storage's presigned URL. Neither
   * the `Authorization` header nor the `headers` option goes with the bytes: the upload URL is
   * signed, and a storage's is another origin (its bucket must allow the page's origin by CORS for
   * a browser to upload there); to a storage's URL no cookie goes either. Resolves with the
   * attachment; send it with `send(partner, text, { attachments: [id] })`.
   *
   * Rejects with {@link DirectMessagesError} for a refusal, with the server's code (e.g.
   * `FST_DM_ATTACHMENT_TYPE_NOT_ALLOWED` (415), `FST_DM_ATTACHMENT_TOO_LARGE` (413),
   * `FST_DM_STORAGE_UNAVAILABLE` (503)); a storage's own refusal has its XML body as `body` and no
   * `code`. A network failure rejects with a `TypeError`, an aborted upload with `signal`'s reason
   * (an `AbortError`).
   *
   * @example
   * ```ts
   * const uploaded = await dm.uploadAttachment(file, { onProgress: (sent, total) => { bar.value = sent / total } })
   * await dm.send(partnerId, 'The photos', { attachments: [uploaded.id] })
   * ```
   */
  async uploadAttachment (file: Blob, options: UploadAttachmentOptions = {}): Promise<UploadedAttachment> {
    if (file === null || typeof file !== 'object' || typeof file.size !== 'number' || typeof file.slice !== 'function') {
      throw new TypeError('uploadAttachment: `file` must be a Blob or a File')
    }
    const ownName = (file as { name?: unknown }).name
    const name = options.name ?? (typeof ownName === 'string' ? ownName : '')
    if (name === '') throw new TypeError('uploadAttachment: this Blob has no name: pass the `name` option')
    const declaration: AttachmentDeclaration = {
      name,
      content_type: options.contentType ?? (file.type === '' ? 'application/octet-stream' : file.type),
      size: file.size
    }
    const { signal, onProgress } = options
    const { id, upload } = await this.createAttachment(declaration, signal === undefined ? undefined : { signal })
    await this.#sendBytes(upload, file, onProgress, signal)
    return { id, ...declaration }
  }

  /** `POST /blocks/<id>/`: blocks the user; resolves with their partner object. */
  block (userId: UserId, options?: CallOptions): Promise<PartnerBody> {
    return this.#request('POST', `/blocks/${id(userId)}/`, options)
  }

  /** `DELETE /blocks/<id>/`: unblocks the user. */
  unblock (userId: UserId, options?: CallOptions): Promise<void> {
    return this.#request('DELETE', `/blocks/${id(userId)}/`, options)
  }

  /** `GET /blocks/`: a page of the users the caller blocks, most recent first. */
  blocks (options: PageOptions = {}): Promise<PartnerPageBody> {
    return this.#request('GET', '/blocks/', { ...options, query: pageQuery(options) })
  }

  /** `POST /conversations/<id>/typing/`: tells the partner the caller is typing (call it on every keystroke: the server sends one per 2 s). */
  typing (partnerId: UserId, options?: CallOptions): Promise<void> {
    return this.#request('POST', `/conversations/${id(partnerId)}/typing/`, options)
  }

  /** `GET /presence/?ids=`: whether each user (1–100) is online, in the order asked. */
  presence (userIds: readonly UserId[], options?: CallOptions): Promise<PresenceBody[]> {
    return this.#request('GET', '/presence/', { ...options, query: { ids: userIds.map(String).join(',') } })
  }

  /** `PUT /conversations/<id>/mute/`: mutes the conversation for the caller. */
  mute (partnerId: UserId, options?: CallOptions): Promise<void> {
    return this.#request('PUT', `/conversations/${id(partnerId)}/mute/`, options)
  }

  /** `DELETE /conversations/<id>/mute/`. */
  unmute (partnerId: UserId, options?: CallOptions): Promise<void> {
    return this.#request('DELETE', `/conversations/${id(partnerId)}/mute/`, options)
  }

  /** `PUT /conversations/<id>/archive/`: archives the conversation for the caller (until a new message). */
  archive (partnerId: UserId, options?: CallOptions): Promise<void> {
    return this.#request('PUT', `/conversations/${id(partnerId)}/archive/`, options)
  }

  /** `DELETE /conversations/<id>/archive/`. */
  unarchive (partnerId: UserId, options?: CallOptions): Promise<void> {
    return this.#request('DELETE', `/conversations/${id(partnerId)}/archive/`, options)
  }

  /**
   * GETs a page's `next` or `previous` link. The link's path and query are requested at
   * `baseUrl`'s origin (the server writes links with the Host it was asked, and possibly `http:`
   * behind a TLS proxy): credentials never go to another origin.
   */
  follow<P extends Page<unknown>> (link: string, options?: CallOptions): Promise<P> {
    return this.#request('GET', this.#linkUrl(link), options, true)
  }

  /**
   * The pages of a list, from `first` (a page or its promise), following `next` (or `previous`)
   * until it is null.
   *
   * @example
   * ```ts
   * for await (const page of dm.pages(dm.conversations({ pageSize: 100 }))) render(page.results)
   * ```
   */
  async * pages<P extends Page<unknown>> (first: P | Promise<P>, options: CallOptions & { direction?: 'next' | 'previous' } = {}): AsyncGenerator<P, void, undefined> {
    const direction = options.direction ?? 'next'
    let page: P = await first
    for (;;) {
      yield page
      const link = page[direction]
      if (link === null) return
      page = await this.follow<P>(link, options)
    }
  }

  /** Every item of a list, page after page: `pages()` flattened. */
  async * items<T> (first: Page<T> | Promise<Page<T>>, options: CallOptions & { direction?: 'next' | 'previous' } = {}): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages(first, options)) yield * page.results
  }

  /**
   * `GET /events/`: reads the caller's event stream and calls `handlers[event]` with each event's
   * data, in stream order (not awaited). The stream reconnects by itself, resuming with
   * `Last-Event-ID`, until `close()`; see {@link SubscribeOptions}.
   */
  subscribe (handlers: EventHandlers, options: SubscribeOptions = {}): Subscription {
    return openSubscription(async (lastEventId, signal) => {
      const headers: HeaderRecord = { ...(await this.#headers()), accept: 'text/event-stream' }
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
      return await this.#fetch(this.#base + '/events/', this.#init('GET', headers, undefined, signal))
    }, handlers, options)
  }

  /** Sends an upload's bytes as the server said: through XMLHttpRequest in a browser for progress, else fetch. */
  async #sendBytes (upload: AttachmentUpload['upload'], file: Blob, onProgress: UploadAttachmentOptions['onProgress'], signal: AbortSignal | undefined): Promise<void> {
    // The plugin's own upload route answers a path: it is at baseUrl's origin. An absolute URL is
    // the storage's: another origin, which gets nothing of the caller's credentials.
    const own = !ELSEWHERE.test(upload.url)
    const url = own && ABSOLUTE.test(this.#base) ? new URL(upload.url, this.#base).href : upload.url
    const headers: HeaderRecord = { ...upload.headers }
    const credentials = own ? this.#options.credentials : 'omit'
    const total = file.size
    const Xhr = (globalThis as { XMLHttpRequest?: XhrConstructor }).XMLHttpRequest
    if (onProgress !== undefined && typeof Xhr === 'function') {
      await xhrUpload(new Xhr(), { method: upload.method, url, headers, file, withCredentials: credentials === 'include', onProgress, signal })
      return
    }
    const init: RequestInit = { method: upload.method, headers, body: file }
    if (credentials !== undefined) init.credentials = credentials
    if (signal !== undefined) init.signal = signal
    const response = await this.#fetch(url, init)
    if (!response.ok) throw await errorOf(response)
    await response.arrayBuffer()
    onProgress?.(total, total)
  }

  #linkUrl (link: string): string {
    if (!ABSOLUTE.test(link)) return link
    const target = new URL(link)
    const path = target.pathname + target.search
    return ABSOLUTE.test(this.#base) ? new URL(this.#base).origin + path : path
  }

  async #headers (): Promise<HeaderRecord> {
    const { headers, authorization, token } = this.#options
    const result: HeaderRecord = {}
    const extra = typeof headers === 'function' ? await headers() : headers
    for (const [name, value] of Object.entries(extra ?? {})) result[name.toLowerCase()] = value
    const auth = typeof authorization === 'function' ? await authorization() : authorization
    if (auth !== undefined && auth !== null) result.authorization = auth
    else if (token !== undefined) result.authorization = `Token ${token}`
    return result
  }

  #init (method: Method, headers: HeaderRecord, body: string | undefined, signal: AbortSignal | undefined): RequestInit {
    const init: RequestInit = { method, headers }
    if (body !== undefined) init.body = body
    if (signal !== undefined) init.signal = signal
    if (this.#options.credentials !== undefined) init.credentials = this.#options.credentials
    return init
  }

  async #request<T> (method: Method, path: string, options: RequestOptions = {}, absolute = false): Promise<T> {
    const headers: HeaderRecord = { ...(await this.#headers()), accept: 'application/json', ...options.headers }
    let body: string | undefined
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    const url = (absolute ? path : this.#base + path) + queryString(options.query)
    const response = await this.#fetch(url, this.#init(method, headers, body, options.signal))
    if (!response.ok) throw await errorOf(response)
    const text = await response.text()
    return (text === '' ? undefined : JSON.parse(text)) as T
  }
}

/** A client of the plugin mounted at `options.baseUrl`: `new DirectMessagesClient(options)`. */
export function createClient (options: ClientOptions): DirectMessagesClient {
  return new DirectMessagesClient(options)
}

function pageQuery (options: PageOptions): Query {
  return { cursor: options.cursor, page_size: options.pageSize }
}

function sendRequest (content: string, options: SendOptions): RequestOptions {
  const body: { content: string, reply_to?: number, attachments?: string[] } = { content }
  if (options.replyTo !== undefined) body.reply_to = options.replyTo
  if (options.attachments !== undefined && options.attachments.length > 0) body.attachments = [...options.attachments]
  const request: RequestOptions = { signal: options.signal, body }
  if (options.idempotencyKey !== undefined) request.headers = { 'idempotency-key': options.idempotencyKey }
  return request
}

function queryString (query: Query | undefined): string {
  if (query === undefined) return ''
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value))
  const text = params.toString()
  return text === '' ? '' : '?' + text
}

/** The part of XMLHttpRequest an upload uses (the client compiles without the DOM's types). */
interface XhrLike {
  open (method: string, url: string): void
  setRequestHeader (name: string, value: string): void
  getResponseHeader (name: string): string | null
  send (body: Blob): void
  abort (): void
  withCredentials: boolean
  readonly status: number
  readonly responseText: string
  readonly upload: { onprogress: ((event: { loaded: number }) => void) | null }
  onload: (() => void) | null
  onerror: (() => void) | null
  onabort: (() => void) | null
  ontimeout: (() => void) | null
}
type XhrConstructor = new () => XhrLike

/** The error an aborted request rejects with, as fetch's. */
function abortReason (signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException('This operation was aborted', 'AbortError')
}

/** An upload through XMLHttpRequest. */
interface XhrRequest {
  method: string
  url: string
  headers: HeaderRecord
  file: Blob
  withCredentials: boolean
  onProgress: (sent: number, total: number) => void
  signal: AbortSignal | undefined
}

/**
 * Sends `file` with `xhr`, reporting the upload's progress (never the same count twice, ending
 * with the total); rejects as `fetch` would (a TypeError for a network failure, the signal's
 * reason when aborted) or with the DirectMessagesError of an HTTP error.
 */
function xhrUpload (xhr: XhrLike, request: XhrRequest): Promise<void> {
  const { file, onProgress, signal } = request
  const total = file.size
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal))
      return
    }
    let reported = -1
    const progress = (sent: number): void => {
      if (sent <= reported) return
      reported = sent
      try {
        onProgress(sent, total)
      } catch { /* a throwing callback does not stop the upload */ }
    }
    const onAbort = (): void => { xhr.abort() }
    const settle = (): void => { signal?.removeEventListener('abort', onAbort) }
    xhr.open(request.method, request.url)
    xhr.withCredentials = request.withCredentials
    for (const [name, value] of Object.entries(request.headers)) xhr.setRequestHeader(name, value)
    xhr.upload.onprogress = (event) => { progress(Math.min(event.loaded, total)) }
    xhr.onload = () => {
      settle()
      const status = xhr.status
      if (status >= 200 && status < 300) {
        progress(total)
        resolve()
        return
      }
      const retryAfter = xhr.getResponseHeader('retry-after')
      const response = new Response([204, 205, 304].includes(status) ? null : xhr.responseText, {
        status,
        headers: retryAfter === null ? {} : { 'retry-after': retryAfter }
      })
      errorOf(response).then(reject, reject)
    }
    xhr.onerror = () => { settle(); reject(new TypeError('Failed to fetch: the upload did not reach the server')) }
    xhr.ontimeout = xhr.onerror
    xhr.onabort = () => { settle(); reject(abortReason(signal)) }
    signal?.addEventListener('abort', onAbort, { once: true })
    progress(0)
    xhr.send(file)
  })
}
