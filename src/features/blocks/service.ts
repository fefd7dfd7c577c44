/** Blocking: the service's block, unblock and block list (see DirectMessagesService). */
import type { Context } from '../../core/context.js'
import { SelfBlock, UserNotFound } from '../../domain/errors.js'
import type { Page, PageRequest, Partner, UserId } from '../../domain/types.js'
import * as queries from './queries.js'

export function blocksService (ctx: Context) {
  return {
    async block (userId: UserId, targetId: UserId): Promise<Partner> {
      if (userId === targetId) throw new SelfBlock()
      const users = await ctx.users.partners([userId, targetId])
      if (!users.has(userId)) throw ctx.callers.unknown(userId)
      const target = users.get(targetId)
      if (target === undefined) throw new UserNotFound(targetId)
      // False: one of them was deleted meanwhile.
      if (!(await queries.block(ctx, userId, targetId))) {
        await ctx.callers.checkBoth(userId, targetId)
        throw new UserNotFound(targetId)
      }
      return target
    },

    async unblock (userId: UserId, targetId: UserId): Promise<void> {
      await ctx.callers.checkBoth(userId, targetId)
      await queries.unblock(ctx, userId, targetId)
    },

    async blocks (userId: UserId, request: PageRequest = {}): Promise<Page<Partner>> {
      const scope = `${userId}|blocks`
      const position = ctx.pages.position(scope, request)
      const rows = await queries.blockPage(ctx, userId, position.direction, position.key, position.size + 1)
      const page = ctx.pages.page(scope, position, rows, (entry) => entry.id)
      const partners = await ctx.users.partnersOf(page.items.map((entry) => [entry.blockedId, entry.partner]))
      return { ...page, items: page.items.flatMap((entry) => partners.get(entry.blockedId) ?? []) }
    }
  }
}
