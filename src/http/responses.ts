/** How the service's values are answered over HTTP: the contract's objects, and the page envelope. */
import type { FastifyRequest } from 'fastify'
import type { ConversationSummary, Page, Partner, UnreadConversation, UserId } from '../domain/types.js'
import { toMessageResponse } from './message.js'
import type { ConversationBody, PartnerBody, UnreadConversationBody } from './schemas.js'

export { toMessageResponse } from './message.js'

export function toPartnerResponse (partner: Partner): PartnerBody {
  return { id: partner.id, username: partner.username, first_name: partner.firstName, last_name: partner.lastName }
}

export function toConversationResponse (entry: ConversationSummary, me: UserId): ConversationBody {
  return {
    ...toPartnerResponse(entry),
    unread_count: entry.unreadCount,
    last_message: entry.lastMessage === null ? null : toMessageResponse(entry.lastMessage, me),
    muted: entry.muted,
    archived: entry.archived
  }
}

export function toUnreadConversationResponse (entry: UnreadConversation): UnreadConversationBody {
  return { partner_id: entry.partnerId, partner_username: entry.partnerUsername, unread_count: entry.unreadCount, muted: entry.muted }
}

/**
 * The pagination envelope, with absolute `next`/`previous` URLs on the path that was requested,
 * keeping every query parameter of the request but its cursor (`page_size`, `mark_read`...): a
 * client walking the pages gets what it asked for on every page.
 */
export function envelope<T, R> (request: FastifyRequest, page: Page<T>, present: (item: T) => R): { next: string | null, previous: string | null, results: R[] } {
  const queryAt = request.url.indexOf('?')
  const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt)
  const base = `${request.protocol}://${request.host}${path}`
  const kept = new URLSearchParams(queryAt === -1 ? '' : request.url.slice(queryAt + 1))
  kept.delete('cursor')
  const rest = kept.size === 0 ? '' : `&${kept.toString()}`
  const link = (cursor: string | null): string | null => cursor === null ? null : `${base}?cursor=${encodeURIComponent(cursor)}${rest}`
  return { next: link(page.next), previous: link(page.previous), results: page.items.map(present) }
}
