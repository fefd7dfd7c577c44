/** Typing indicators and presence (see DirectMessagesService): nothing of typing is stored. */
import type { Context } from '../../core/context.js'
import { InvalidPresenceIds, SelfTyping } from '../../domain/errors.js'
import type { PresenceEntry, UserId } from '../../domain/types.js'
import { TYPING_COALESCE, TYPING_TIMEOUT } from '../../realtime/bus.js'
import { mayMessage } from '../messages/policy.js'
import type { PresenceStore } from './queries.js'

/** Most ids one presence request may ask about. */
export const MAX_PRESENCE_IDS = 100

/** Most (user, partner) typing times remembered before the old ones are dropped. */
const TYPING_REMEMBERED = 10_000

export function presenceService (ctx: Context, store: PresenceStore) {
  /** When each (user, partner) typing was last sent on. */
  const typingSent = new Map<string, number>()
  return {
    async typing (userId: UserId, partnerId: UserId): Promise<void> {
      if (userId === partnerId) throw new SelfTyping()
      const key = `${userId}|${partnerId}`
      const now = Date.now()
      const last = typingSent.get(key)
      if (last !== undefined && now - last < TYPING_COALESCE) return
      await ctx.callers.checkBoth(userId, partnerId)
      // Someone the caller could not message is not told either, and the caller is not told why.
      if (!(await mayMessage(ctx, userId, partnerId))) return
      if (typingSent.size >= TYPING_REMEMBERED) {
        for (const [k, at] of typingSent) if (now - at >= TYPING_COALESCE) typingSent.delete(k)
      }
      typingSent.set(key, now)
      ctx.publish({ type: 'typing', user: userId, partner: partnerId, expiresAt: new Date(now + TYPING_TIMEOUT).toISOString() })
    },

    async presence (userId: UserId, ids: readonly UserId[]): Promise<PresenceEntry[]> {
      if (ids.length < 1 || ids.length > MAX_PRESENCE_IDS || new Set(ids).size !== ids.length) throw new InvalidPresenceIds(MAX_PRESENCE_IDS)
      if (!ctx.options.presence) return ids.map((id) => ({ id, online: false, lastSeenAt: null }))
      return await store.read(userId, ids, new Date(), ctx.options.presenceTimeout)
    }
  }
}
