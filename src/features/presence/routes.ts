/** Typing indicators and presence: nothing of typing is stored; presence is read from dm_presence. */
import { InvalidPresenceIds } from '../../domain/errors.js'
import { isUserId } from '../../domain/ids.js'
import type { UserId } from '../../domain/types.js'
import { DECIMAL_ID } from '../../domain/ids.js'
import type { RouteContext, RouteInstance } from '../../http/index.js'
import { MAX_PRESENCE_IDS } from './service.js'
import { presenceSchemas } from './schemas.js'

export async function presenceRoutes (fastify: RouteInstance, { options, service, schemas: shared, both, caller }: RouteContext): Promise<void> {
  const schemas = presenceSchemas(shared)

  both('/conversations/:id/typing/', (url, opts) => fastify.post(url, opts, async (request, reply) => {
    await service.typing(caller(request), request.params.id)
    return reply.code(204).send(null)
  }), { schema: schemas.typing })

  /** `ids` as user ids of `userIdType`: integers written in plain decimal digits, or string ids. */
  const parseIds = (text: string): UserId[] => {
    // Longer than 100 of the longest ids and their commas: refused before it is split.
    if (text.length > MAX_PRESENCE_IDS * 129) throw new InvalidPresenceIds(MAX_PRESENCE_IDS)
    const parts = text.split(',')
    if (parts.length > MAX_PRESENCE_IDS) throw new InvalidPresenceIds(MAX_PRESENCE_IDS)
    return parts.map((part) => {
      const id = options.userIdType === 'integer' ? (DECIMAL_ID.test(part) ? Number(part) : NaN) : part
      if (!isUserId(id, options.userIdType)) throw new InvalidPresenceIds(MAX_PRESENCE_IDS)
      return id
    })
  }

  both('/presence/', (url, opts) => fastify.get(url, opts, async (request) => {
    const entries = await service.presence(caller(request), parseIds(request.query.ids))
    return entries.map((entry) => ({ id: entry.id, online: entry.online, last_seen_at: entry.lastSeenAt?.toISOString() ?? null }))
  }), { schema: schemas.presence })
}
