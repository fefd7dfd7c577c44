/** The route schemas of blocks: they validate requests, serialise responses, type the handlers and document the routes. */
import { Type } from '@sinclair/typebox'
import { badRequest, describe, ErrorResponse, notFound, PageQuery, unauthorized, type SharedSchemas } from '../../http/schemas.js'

/** @internal */
export function blockSchemas ({ UserIdParams, PartnerResponse, PartnerPageResponse }: SharedSchemas) {
  return {
    block: {
      ...describe('Block a user', 'User `id` can no longer message the caller (their sends are refused with the same 400 as any refusal). History stays. Blocking again is fine.'),
      params: UserIdParams,
      response: {
        201: PartnerResponse,
        ...unauthorized,
        400: { ...ErrorResponse, description: 'Malformed id, or blocking yourself' },
        ...notFound
      }
    },
    unblock: {
      ...describe('Unblock a user', 'User `id` may message the caller again. Unblocking again is fine.'),
      params: UserIdParams,
      response: { 204: Type.Null({ description: 'Unblocked' }), ...badRequest, ...unauthorized, ...notFound }
    },
    blocks: {
      ...describe('Blocked users', 'The users the caller blocks, most recent first, 50 per page (`page_size` 1–100).'),
      querystring: PageQuery,
      response: { 200: PartnerPageResponse, ...badRequest, ...unauthorized }
    }
  }
}
