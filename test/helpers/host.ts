/**
 * A bare host of the plugin, without the example application: Fastify with the plugin at the root
 * on a test database, callers saying who they are in an `x-user` header. For the tests of an
 * option on its own.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import directMessages, { type DirectMessagesOptions } from '../../src/index.js'
import type { TestDatabase } from './databases.js'

export async function host (db: TestDatabase, options: Partial<DirectMessagesOptions>, fastifyOptions: object = {}): Promise<FastifyInstance> {
  const app = Fastify(fastifyOptions)
  await app.register(directMessages, {
    prisma: db.prisma,
    // Callers say who they are in a header: enough for these tests.
    getUserId: (request) => request.headers['x-user'] === undefined ? null : Number(request.headers['x-user']),
    ...options
  })
  await app.ready()
  return app
}
