/**
 * The routes of rich messages (edits, unsend, replies, reactions) as a test calls them, the
 * application their tests share, and what their assertions compare with.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import type { DirectMessageEvents, UserId } from '../../src/index.js'
import type { TestDatabase } from './databases.js'
import { as, createUsers, getJson, startApp, type PageJson, type ReactionJson, type RichMessageJson, type TestUser } from './app.js'
import { Recorder, type Recorded, type RecordedName } from './events.js'
import type { SseFrame } from './sse.js'

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
export const HOUR = 3_600_000
export const UNKNOWN_ID = 987_654_321
export const NOT_FOUND = { statusCode: 404, code: 'FST_DM_MESSAGE_NOT_FOUND', error: 'Not Found', message: 'Message not found' }
export const MESSAGE_KEYS = ['attachments', 'content', 'direction', 'edited_at', 'id', 'reactions', 'read_at', 'recipient', 'reply_to', 'sender', 'sent_at', 'unsent_at']

export type User = TestUser<UserId>
export type RichMessage = RichMessageJson
export interface EditJson { content: string, edited_at: string }

export const messageUrl = (id: number, suffix = ''): string => `/api/dm/messages/${id}/${suffix}`
export const reactionUrl = (id: number, emoji: string): string => `/api/dm/messages/${id}/reactions/${encodeURIComponent(emoji)}/`
export const slashless = (url: string): string => url.slice(0, -1)
export const r = (emoji: string, count: number, me: boolean): ReactionJson => ({ emoji, count, me })

/** Requests of the rich-message routes on one app. */
export class Client {
  constructor (readonly app: FastifyInstance) {}

  request (user: User | null, options: InjectOptions): Promise<LightMyRequestResponse> {
    return as(this.app, user, options)
  }

  async send (from: User, to: User, content: string, replyTo?: number): Promise<RichMessage> {
    const payload = replyTo === undefined ? { content } : { content, reply_to: replyTo }
    const res = await this.request(from, { method: 'POST', url: `/api/dm/send/${to.id}/`, payload })
    if (res.statusCode !== 201) throw new Error(`send: ${res.statusCode} ${res.body}`)
    return res.json<RichMessage>()
  }

  edit (user: User | null, id: number, payload: unknown, url = messageUrl(id)): Promise<LightMyRequestResponse> {
    return this.request(user, { method: 'PATCH', url, payload: payload as object })
  }

  unsend (user: User | null, id: number, url = messageUrl(id, 'unsend/')): Promise<LightMyRequestResponse> {
    return this.request(user, { method: 'POST', url })
  }

  react (user: User | null, id: number, emoji: string, method: 'PUT' | 'DELETE' = 'PUT', url = reactionUrl(id, emoji)): Promise<LightMyRequestResponse> {
    return this.request(user, { method, url })
  }

  hide (user: User, id: number): Promise<LightMyRequestResponse> {
    return this.request(user, { method: 'DELETE', url: messageUrl(id) })
  }

  async edits (user: User, id: number): Promise<EditJson[]> {
    return await getJson<EditJson[]>(this.app, user, messageUrl(id, 'edits/'))
  }

  /** The message as `user` sees it in its conversation with `partner` (this GET marks it read). */
  async view (user: User, partner: User, id: number): Promise<RichMessage> {
    const page = await getJson<PageJson<RichMessage>>(this.app, user, `/api/dm/conversations/${partner.id}/?page_size=100`)
    const message = page.results.find((m) => m.id === id)
    if (message === undefined) throw new Error(`message ${id} is not in ${user.username}'s conversation with ${partner.username}`)
    return message
  }

  async unread (user: User): Promise<number> {
    return (await getJson<{ count: number }>(this.app, user, '/api/dm/unread/')).count
  }
}

export function payloadsOf<N extends RecordedName> (items: Recorded[], name: N): Array<DirectMessageEvents[N]> {
  return items.filter((item) => item.name === name).map((item) => item.payload as DirectMessageEvents[N])
}

export function jsonOf (res: LightMyRequestResponse): unknown {
  try {
    return res.json()
  } catch {
    return res.body
  }
}

/** Asserts an error answer with this status and code. */
export function isError (t: Test, res: LightMyRequestResponse, status: number, code: string, label: string): void {
  t.equal(res.statusCode, status, `${label}: ${status}`, { body: res.body.slice(0, 300) })
  t.match(jsonOf(res), { statusCode: status, code, error: String, message: String }, `${label}: ${code}`)
}

/** The `message_updated` frames about message `id`, as their data. */
export const updatesOf = (frames: SseFrame[], id: number): RichMessage[] =>
  frames.filter((f) => f.event === 'message_updated' && (f.data as RichMessage).id === id).map((f) => f.data as RichMessage)

/** The example application with the users the rich-message tests act as, and a recorder of its decorator events. */
export interface RichScene {
  app: FastifyInstance
  c: Client
  alice: User
  bob: User
  carol: User
  mallory: User
  dave: User
  events: Recorder
}

/** Starts the example application on `db` (closed at the end of `t`), with alice, bob, carol, mallory and dave. */
export async function richScene (t: Test, db: TestDatabase): Promise<RichScene> {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const users = await createUsers<UserId>(app, 'alice', 'bob', 'carol', 'mallory', 'dave', 'fence1', 'fence2')
  const [alice, bob, carol, mallory, dave, fence1, fence2] = users as [User, User, User, User, User, User, User]
  return { app, c: new Client(app), alice, bob, carol, mallory, dave, events: new Recorder(app.directMessages, [fence1, fence2]) }
}
