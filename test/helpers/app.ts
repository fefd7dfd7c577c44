/** The example application over a test database, and users to act as. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp, type ExampleAppOptions } from '../../examples/app.js'
import type { UserId } from '../../src/index.js'
import type { TestDatabase } from './databases.js'
import type { MessageBody, PartnerBody } from '../../src/http/schemas.js'

/** A user to act as; `Id` is `UserId` for suites that run with string ids too. */
export interface TestUser<Id extends UserId = number> {
  id: Id
  username: string
  token: string
  headers: { authorization: string }
}

/**
 * The example application on `db`, its attachments (unless `options` gives a storage) in a
 * folder of its own, removed when the app closes.
 */
export async function startApp (db: TestDatabase, options: Omit<ExampleAppOptions, 'prisma'> = {}): Promise<FastifyInstance> {
  const own = options.directMessages?.storage === undefined && options.directMessages?.attachmentsDirectory === undefined
  const directory = own ? await mkdtemp(join(tmpdir(), 'dm-attachments-')) : undefined
  const app = await buildApp({
    prisma: db.prisma,
    userIdType: db.userIdType,
    ...(db.driver === undefined ? {} : { driver: db.driver }),
    ...options,
    directMessages: { ...(directory === undefined ? {} : { attachmentsDirectory: directory }), ...options.directMessages }
  })
  if (directory !== undefined) app.addHook('onClose', async () => { await rm(directory, { recursive: true, force: true }) })
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

/** The whole message object, as the routes answer it (user ids of either type): from the routes' own schema. */
export type RichMessageJson = MessageBody
/** The message object as suites with integer user ids read it. */
export type MessageJson = Omit<MessageBody, 'sender' | 'recipient'> & { sender: number, recipient: number }
/** A reply preview, as the message object's `reply_to` holds it. */
export type ReplyJson = NonNullable<MessageBody['reply_to']>
/** One entry of the message object's `reactions`. */
export type ReactionJson = MessageBody['reactions'][number]

export interface PageJson<T> {
  next: string | null
  previous: string | null
  results: T[]
}

/** A partner object with an integer user id. */
export type PartnerJson = Omit<PartnerBody, 'id'> & { id: number }

/** The path and query of an absolute `next`/`previous` URL, for app.inject. */
export function pathOf (url: string): string {
  const parsed = new URL(url)
  return parsed.pathname + parsed.search
}
