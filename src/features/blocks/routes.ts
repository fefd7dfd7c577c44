/** Blocks: block, unblock, and the list of blocked users. */
import type { RouteContext, RouteInstance } from '../../http/index.js'
import { envelope, toPartnerResponse } from '../../http/responses.js'
import { blockSchemas } from './schemas.js'

export async function blockRoutes (fastify: RouteInstance, { service, schemas: shared, both, caller }: RouteContext): Promise<void> {
  const schemas = blockSchemas(shared)

  both('/blocks/', (url, opts) => fastify.get(url, opts, async (request) => {
    const page = await service.blocks(caller(request), { cursor: request.query.cursor, pageSize: request.query.page_size })
    return envelope(request, page, toPartnerResponse)
  }), { schema: schemas.blocks })

  both('/blocks/:id/', (url, opts) => fastify.post(url, opts, async (request, reply) => {
    const blocked = await service.block(caller(request), request.params.id)
    return reply.code(201).send(toPartnerResponse(blocked))
  }), { schema: schemas.block })

  both('/blocks/:id/', (url, opts) => fastify.delete(url, opts, async (request, reply) => {
    await service.unblock(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.unblock })
}
