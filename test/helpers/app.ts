/** The example application over a test database, and users to act as. */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp, type ExampleAppOptions } from '../../examples/app.js'
import type { UserId } from '../../src/index.js'
import type { TestDatabase } from './databases.js'

/** A user to act as; `Id` is `UserId` for suites that run with string ids too. */
export interface TestUser<Id extends UserId = number> {
  id: Id
  username: string
  token: string
  headers: { authorization: string }
}

export async function startApp (db: TestDatabase, options: Omit<ExampleAppOptions, 'prisma'> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ prisma: db.prisma, userIdType: db.userIdType, ...(db.driver === undefined ? {} : { driver: db.driver }), ...options })
  await app.ready()
  return app
}

/** Creates a user through the example application's POST /users. */
export async function createUser<Id extends UserId = number> (app: FastifyInstance, username: string, names: { first_name?: string, last_name?: string } = {}): Promise<TestUser<Id>> {
  const res = await app.inject({ method: 'POST', url: '/users', payload: { username, ...names } })
  if (res.statusCode !== 201) throw new Error(`creating user ${username}: ${res.statusCode} ${res.body}`)
  const body = res.json<{ id: Id, username: string, token: string }>()
  return { id: body.id, username: body.username, token: body.token, headers: { authorization: `Token ${body.token}` } }
}

export async function createUsers<Id extends UserId = number> (app: FastifyInstance, ...names: string[]): Promise<Array<TestUser<Id>>> {
  const users: Array<TestUser<Id>> = []
  for (const name of names) users.push(await createUser<Id>(app, name))
  return users
}

/** A request as `user` (or anonymous with `null`). */
export function as (app: FastifyInstance, user: TestUser<UserId> | null, options: InjectOptions): Promise<LightMyRequestResponse> {
  return app.inject({ ...options, headers: { ...(user === null ? {} : user.headers), ...options.headers } })
}

/** Sends `content` from `from` to `to` through POST /api/dm/send/<id>/ and answers the message. */
export async function send (app: FastifyInstance, from: TestUser<UserId>, to: TestUser<UserId> | UserId, content: string): Promise<MessageJson> {
  const id = typeof to === 'object' ? to.id : to
  const res = await as(app, from, { method: 'POST', url: `/api/dm/send/${id}/`, payload: { content } })
  if (res.statusCode !== 201) throw new Error(`send: ${res.statusCode} ${res.body}`)
  return res.json<MessageJson>()
}

export async function getJson<T = unknown> (app: FastifyInstance, user: TestUser<UserId>, url: string): Promise<T> {
  const res = await as(app, user, { method: 'GET', url })
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`)
  return res.json<T>()
}

export interface MessageJson {
  id: number
  sender: number
  recipient: number
  direction: 'in' | 'out'
  sent_at: string
  read_at: string | null
  content: string
}

/** A reply preview, as the message object's `reply_to` holds it. */
export interface ReplyJson { id: number, sender: UserId, content: string, unsent: boolean }
/** One entry of the message object's `reactions`. */
export interface ReactionJson { emoji: string, count: number, me: boolean }

/** The whole message object, rich-message fields included (user ids of either type). */
export interface RichMessageJson {
  id: number
  sender: UserId
  recipient: UserId
  direction: 'in' | 'out'
  sent_at: string
  read_at: string | null
  content: string
  edited_at: string | null
  unsent_at: string | null
  reply_to: ReplyJson | null
  reactions: ReactionJson[]
}

export interface PageJson<T> {
  next: string | null
  previous: string | null
  results: T[]
}

export interface PartnerJson {
  id: number
  username: string
  first_name: string
  last_name: string
}

/** The path and query of an absolute `next`/`previous` URL, for app.inject. */
export function pathOf (url: string): string {
  const parsed = new URL(url)
  return parsed.pathname + parsed.search
}
