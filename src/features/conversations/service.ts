/**
 * Conversations: pages of a conversation (marking it read), the list, unread counts, marking
 * read, mute and archive, deleting a whole conversation for one side (see DirectMessagesService).
 */
import { CHANGE } from '../../core/change-log.js'
import type { Context } from '../../core/context.js'
import { ConversationNotFound, SelfConversation } from '../../domain/errors.js'
import type { MessageEvent } from '../../domain/events.js'
import type {
  ConversationRequest, ConversationsRequest, ConversationSummary, MarkReadOptions, Message, Page, UnreadConversation, UnreadCounts, UserId
} from '../../domain/types.js'
import * as queries from './queries.js'
import type { Attachments } from '../attachments/service.js'

export function conversationsService (ctx: Context, attachments: Pick<Attachments, 'sweepNow'>) {
  /**
   * Marks read and announces, without the user check (the caller does it when it matters).
   * `check`: first ask the owner's conversation row whether anything is unread (usually nothing
   * is, and then marking costs no write at all); false when the caller knows.
   */
  const markRead = async (userId: UserId, partnerId: UserId, upTo: number | undefined, check = true): Promise<Message[]> => {
    if (check && await queries.conversationUnreadCount(ctx, userId, partnerId) === 0) return []
    return await ctx.writes.transaction(async (tx) => {
      const changed = await queries.markConversationRead(ctx, tx, userId, partnerId, new Date(), upTo)
      const readAt = changed[0]?.readAt?.toISOString()
      return {
        result: changed,
        emit: ctx.writes.listens('messageRead')
          ? [{ event: 'messageRead', payloads: changed.map((message): MessageEvent => ({ message, from: message.senderId, to: message.recipientId })) }]
          : [],
        // The streams read the messages from the change log: the event only wakes them.
        publish: readAt === undefined ? [] : [{ type: 'read', reader: userId, partner: partnerId, ids: [], readAt }]
      }
    })
  }

  /**
   * Sets one of `userId`'s flags on their own conversation row with `partnerId` (one statement).
   * No row: 404, the same whether the partner does not exist or they never exchanged a message.
   */
  const setFlag = async (userId: UserId, partnerId: UserId, flag: queries.ConversationFlag, value: boolean): Promise<void> => {
    if (userId === partnerId) throw new SelfConversation()
    await ctx.callers.write(userId, async () => {
      if (!(await queries.setConversationFlag(ctx, userId, partnerId, flag, value))) throw new ConversationNotFound()
    })
  }

  return {
    async conversation (userId: UserId, partnerId: UserId, request: ConversationRequest = {}): Promise<Page<Message>> {
      const scope = `${userId}|messages|${partnerId}`
      const position = ctx.pages.position(scope, request)
      const page = await queries.messagePage(ctx, userId, partnerId, position.direction, position.key, position.size + 1)
      let rows = page.messages
      if (request.markRead !== false && page.unreadCount > 0) {
        // Marks read what the reader could see when the page was read (up to the conversation's
        // newest message then), and shows the page's messages as read.
        const changed = await markRead(userId, partnerId, page.lastMessageId, false)
        const readAt = new Map(changed.map((message) => [message.id, message.readAt]))
        rows = rows.map((message) => readAt.has(message.id) ? { ...message, readAt: readAt.get(message.id) ?? null } : message)
      }
      if (rows.length === 0) await ctx.callers.checkPartner(userId, partnerId)
      return ctx.pages.page(scope, position, rows, (message) => message.id)
    },

    async conversations (userId: UserId, request: ConversationsRequest = {}): Promise<Page<ConversationSummary>> {
      const archived = request.archived === true
      // Each list its own cursors: a cursor of the one is refused by the other.
      const scope = archived ? `${userId}|conversations|archived` : `${userId}|conversations`
      const position = ctx.pages.position(scope, request)
      const rows = await queries.conversationPage(ctx, userId, archived, position.direction, position.key, position.size + 1)
      const page = ctx.pages.page(scope, position, rows, (entry) => entry.lastMessageId)
      const partners = await ctx.users.partnersOf(page.items.map((entry) => [entry.partnerId, entry.partner]))
      return {
        ...page,
        // A partner deleted meanwhile (rows cascade away) simply drops out of the page.
        items: page.items.flatMap((entry) => {
          const partner = partners.get(entry.partnerId)
          return partner === undefined
            ? []
            : [{ ...partner, unreadCount: entry.unreadCount, lastMessage: entry.lastMessage ?? null, muted: entry.muted, archived: entry.archived ?? archived }]
        })
      }
    },

    async markConversationRead (userId: UserId, partnerId: UserId, options: MarkReadOptions = {}): Promise<Message[]> {
      return await ctx.callers.write(userId, async () => {
        const changed = await markRead(userId, partnerId, options.upTo)
        // Nothing changed: a write of nothing, still refused to a caller or for a partner that is no user.
        if (changed.length === 0) await ctx.callers.checkBoth(userId, partnerId)
        return changed
      }, partnerId)
    },

    async deleteConversation (userId: UserId, partnerId: UserId): Promise<void> {
      await ctx.callers.write(userId, async () => {
        const { hidden, detached } = await ctx.writes.transaction(async (tx) => {
          const result = await queries.hideConversation(ctx.dialect, tx, userId, partnerId)
          if (result.hidden === 0) return { result }
          return {
            result,
            changes: [{ user: userId, kind: CHANGE.conversationDeleted, messageId: null, partnerId }],
            publish: [{ type: 'conversation_deleted', user: userId, partner: partnerId }]
          }
        })
        if (hidden === 0) await ctx.callers.checkBoth(userId, partnerId)
        if (detached > 0) await attachments.sweepNow()
      }, partnerId)
    },

    async unreadCount (userId: UserId): Promise<number> {
      return (await queries.unreadCounts(ctx, userId)).count
    },

    async unreadCounts (userId: UserId): Promise<UnreadCounts> {
      return await queries.unreadCounts(ctx, userId)
    },

    async unreadConversations (userId: UserId): Promise<UnreadConversation[]> {
      const entries = await queries.unreadConversations(ctx, userId)
      const partners = await ctx.users.partnersOf(entries.map((entry) => [entry.partnerId, entry.partner]))
      return entries.flatMap((entry) => {
        const partner = partners.get(entry.partnerId)
        return partner === undefined ? [] : [{ partnerId: entry.partnerId, partnerUsername: partner.username, unreadCount: entry.unreadCount, muted: entry.muted }]
      })
    },

    mute: (userId: UserId, partnerId: UserId): Promise<void> => setFlag(userId, partnerId, 'muted', true),
    unmute: (userId: UserId, partnerId: UserId): Promise<void> => setFlag(userId, partnerId, 'muted', false),
    archive: (userId: UserId, partnerId: UserId): Promise<void> => setFlag(userId, partnerId, 'archived', true),
    unarchive: (userId: UserId, partnerId: UserId): Promise<void> => setFlag(userId, partnerId, 'archived', false)
  }
}
