/**
 * Messages: sending, the sender's edits and unsend, reactions, and each participant's delete
 * (see DirectMessagesService). Every change goes through the write path (core/write.ts): its
 * transaction, its change-log rows, and its events once it committed.
 */
import type { Context } from '../../core/context.js'
import type { Written } from '../../core/write.js'
import { CHANGE } from '../../core/change-log.js'
import {
  ContentTooLong, EditWindowClosed, EmptyContent, IdempotencyConflict, InternalError, InvalidContent, InvalidIdempotencyKey, InvalidReaction,
  InvalidReply, MessageNotFound, MessageUnsent, NotSender, SelfMessage, TooManyReactions, UnsendWindowClosed
} from '../../domain/errors.js'
import { IDEMPOTENCY_KEY, INVALID_TEXT } from '../../domain/ids.js'
import type { Message, MessageEdit, Reaction, SendOptions, UserId } from '../../domain/types.js'
import type { Attachments } from '../attachments/service.js'
import { attachmentsOfMessage, pair, completeOne, type StoredMessage } from './message.js'
import { checkPolicy, refuseBlocked } from './policy.js'
import * as queries from './queries.js'

/** A message changed: the event, and a wake-up for both participants' streams (they read the change log). */
function updated<R> (result: R, message: Message, event?: Written<R>['emit']): Written<R> {
  return {
    result,
    changes: queries.bothParticipants(CHANGE.updated, message),
    emit: event,
    publish: [{ type: 'updated', id: message.id, sender: message.senderId, recipient: message.recipientId }]
  }
}

export function messagesService (ctx: Context, attachments: Attachments) {
  const { options } = ctx

  /** What a send wrote, and, when it stored the message, its announcements (also for a late commit). */
  const written = (outcome: queries.SendOutcome): Written<queries.SendOutcome> => {
    if (outcome.outcome !== 'created') return { result: outcome }
    const { message, recipientMuted } = outcome
    return {
      result: outcome,
      emit: [{ event: 'messageSent', payloads: [{ message, from: message.senderId, to: message.recipientId, recipientMuted }] }],
      publish: [{ type: 'message', id: message.id, sender: message.senderId, recipient: message.recipientId }]
    }
  }

  /** A send with a key that was used before: the same message, or 409 when the request differs. */
  const replayed = (earlier: Message, recipientId: UserId, content: string, files: readonly string[]): Message => {
    if (earlier.recipientId !== recipientId || earlier.content !== content ||
      earlier.attachments.map((attachment) => attachment.id).join() !== files.join()) throw new IdempotencyConflict()
    return earlier
  }

  /** The content of a message: text, not empty unless the message carries files. */
  const checkContent = (content: unknown, withFiles = false): void => {
    if (typeof content !== 'string' || (!withFiles && content.trim() === '')) throw new EmptyContent()
    if (INVALID_TEXT.test(content)) throw new InvalidContent()
    const max = options.maxContentLength
    // Length in characters (code points), as the route schema counts it.
    if (content.length > max && countCodePoints(content) > max) throw new ContentTooLong(max)
  }

  /** A reaction is one emoji, or with the `reactions` option one of those. */
  const checkReaction = (emoji: unknown): void => {
    const allowed = options.reactions
    if (allowed !== null) {
      if (typeof emoji !== 'string' || !allowed.has(emoji)) throw new InvalidReaction(`one of ${[...allowed].join(' ')}`)
      return
    }
    if (typeof emoji !== 'string' || !isOneEmoji(emoji)) throw new InvalidReaction('one emoji')
  }

  /**
   * The rules of an edit or unsend of a locked message: the caller must see it (else 404), be its
   * sender (403), it must not be unsent (409), and be younger than the window (409).
   */
  const changeable = (locked: queries.LockedMessage | null, userId: UserId, window: number | null, Closed: new () => Error): StoredMessage => {
    if (locked === null || !locked.visible) throw new MessageNotFound()
    const { message } = locked
    if (message.senderId !== userId) throw new NotSender()
    if (message.unsentAt !== null) throw new MessageUnsent()
    if (window !== null && Date.now() - message.sentAt.getTime() > window) throw new Closed()
    return message
  }

  /** A locked message the caller may react to: one they see (else 404), not unsent (409). */
  const reactable = (locked: queries.LockedMessage | null): StoredMessage => {
    if (locked === null || !locked.visible) throw new MessageNotFound()
    if (locked.message.unsentAt !== null) throw new MessageUnsent()
    return locked.message
  }

  const send = async (senderId: UserId, recipientId: UserId, content: string, sendOptions: SendOptions): Promise<Message> => {
    const files = sendOptions.attachments ?? null
    checkContent(content, files !== null)
    if (senderId === recipientId) throw new SelfMessage()
    const key = sendOptions.idempotencyKey ?? null
    if (key !== null && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) throw new InvalidIdempotencyKey()
    const replyTo = sendOptions.replyTo ?? null
    if (replyTo !== null && (!Number.isSafeInteger(replyTo) || replyTo < 1)) throw new InvalidReply()
    if (key !== null) {
      // A retry answers what the first send created, even if the policy has changed since.
      const earlier = await queries.messageByIdempotencyKey(ctx, senderId, key)
      if (earlier !== null) return replayed(earlier, recipientId, content, files ?? [])
    }
    await checkPolicy(ctx, senderId, recipientId, sendOptions.request)
    if (replyTo !== null && !(await queries.isReplyTarget(ctx, senderId, recipientId, replyTo))) throw new InvalidReply()
    // The files' bytes are checked before the transaction (they may take a while), and claimed in it.
    const ids = files === null ? [] : await attachments.prepare(senderId, files)
    const [low, high] = pair(senderId, recipientId)
    const input = { senderId, recipientId, low, high, content, sentAt: new Date(), idempotencyKey: key, replyTo }
    // Blocks are checked by the statement that stores the message; a participant that is no user
    // is refused by the database (classified by Callers.write).
    const sendStatement = ctx.dialect.sendStatement
    const result = sendStatement !== undefined && ids.length === 0
      ? await ctx.writes.statement(sendStatement(input), (rows) => written(queries.sendOutcomeOf(ctx, rows)))
      : await ctx.writes.transaction(async (tx) => {
        const outcome = await queries.sendInTransaction(ctx, tx, input)
        if (outcome.outcome === 'created' && ids.length > 0) {
          await attachments.claim(tx, senderId, outcome.message.id, ids)
          outcome.message.attachments = await attachmentsOfMessage(ctx, outcome.message.id, tx)
        }
        return { ...written(outcome), changes: outcome.outcome === 'created' ? queries.bothParticipants(CHANGE.message, outcome.message) : [] }
      })
    if (result.outcome === 'blocked') return await refuseBlocked(ctx, senderId, recipientId)
    if (result.outcome === 'taken') {
      // The key was used before: the message that send stored (a replay announces nothing).
      const earlier = await queries.messageByIdempotencyKey(ctx, senderId, key as string)
      // (Gone meanwhile: its sender was deleted, or the message with it.)
      if (earlier === null) throw new InternalError()
      return replayed(earlier, recipientId, content, ids)
    }
    return result.message
  }

  return {
    async send (senderId: UserId, recipientId: UserId, content: string, sendOptions: SendOptions = {}): Promise<Message> {
      return await ctx.callers.write(senderId, () => send(senderId, recipientId, content, sendOptions), recipientId)
    },

    async deleteMessage (userId: UserId, messageId: number): Promise<void> {
      await ctx.callers.write(userId, async () => {
        const result = await ctx.writes.transaction(async (tx): Promise<Written<queries.HideResult>> => {
          const hidden = await queries.hideMessage(ctx, tx, userId, messageId, attachments)
          if (hidden.outcome !== 'hidden') return { result: hidden }
          return {
            result: hidden,
            changes: [{ user: userId, kind: CHANGE.deleted, messageId, partnerId: hidden.partnerId }],
            publish: [{ type: 'deleted', user: userId, id: messageId }]
          }
        })
        if (result.outcome === 'not-found') throw new MessageNotFound()
        // Deleted by both participants: its files go.
        if (result.outcome === 'hidden' && result.detached > 0) await attachments.sweepNow()
      })
    },

    async edit (userId: UserId, messageId: number, content: string): Promise<Message> {
      checkContent(content)
      const at = new Date()
      return await ctx.callers.write(userId, () => ctx.writes.transaction(async (tx) => {
        const message = changeable(await queries.lockMessage(ctx, tx, userId, messageId), userId, options.editWindow, EditWindowClosed)
        // The same content again changes nothing.
        if (message.content === content) return { result: await completeOne(ctx, message, userId, tx) }
        // Completed in the transaction: once it commits, announcing it needs no further read.
        const edited = await completeOne(ctx, await queries.editMessage(ctx, tx, message, content, at), userId, tx)
        return updated(edited, edited, [{ event: 'messageEdited', payloads: [{ message: edited, previousContent: message.content }] }])
      }))
    },

    async edits (userId: UserId, messageId: number): Promise<MessageEdit[]> {
      // A read: a caller that is no user simply sees no message.
      const edits = await queries.editsOf(ctx, userId, messageId)
      if (edits === null) throw new MessageNotFound()
      return edits
    },

    async unsend (userId: UserId, messageId: number): Promise<void> {
      const at = new Date()
      let detached = 0
      await ctx.callers.write(userId, () => ctx.writes.transaction(async (tx) => {
        const locked = await queries.lockMessage(ctx, tx, userId, messageId)
        // Unsent already: nothing changes.
        if (locked?.visible === true && locked.message.unsentAt !== null && locked.message.senderId === userId) return { result: undefined }
        const message = changeable(locked, userId, options.unsendWindow, UnsendWindowClosed)
        // Its files: nobody may read them any more (deleted below, once this commits).
        if (message.attachmentCount > 0) detached = await attachments.detach(tx, message.id)
        // A tombstone answers nothing and has no reactions or files: completing it reads nothing.
        const tombstone = await completeOne(ctx, await queries.unsendMessage(ctx, tx, message, at), userId, tx)
        return updated(undefined, tombstone, [{ event: 'messageUnsent', payloads: [{ message: tombstone }] }])
      }))
      if (detached > 0) await attachments.sweepNow()
    },

    async react (userId: UserId, messageId: number, emoji: string): Promise<Reaction[]> {
      checkReaction(emoji)
      return await ctx.callers.write(userId, () => ctx.writes.transaction(async (tx) => {
        const message = reactable(await queries.lockMessage(ctx, tx, userId, messageId))
        const after = await queries.addReaction(ctx, tx, message, userId, emoji, options.maxReactionKinds, new Date())
        if (after === 'too-many') throw new TooManyReactions(options.maxReactionKinds)
        if (after === 'unchanged') return { result: (await completeOne(ctx, message, userId, tx)).reactions }
        const reacted = await completeOne(ctx, after, userId, tx)
        return updated(reacted.reactions, reacted, [{ event: 'reactionAdded', payloads: [{ message: reacted, emoji, userId }] }])
      }))
    },

    async unreact (userId: UserId, messageId: number, emoji: string): Promise<Reaction[]> {
      checkReaction(emoji)
      return await ctx.callers.write(userId, () => ctx.writes.transaction(async (tx) => {
        const message = reactable(await queries.lockMessage(ctx, tx, userId, messageId))
        const after = await queries.removeReaction(ctx, tx, message, userId, emoji)
        if (after === null) return { result: (await completeOne(ctx, message, userId, tx)).reactions }
        const unreacted = await completeOne(ctx, after, userId, tx)
        return updated(unreacted.reactions, unreacted, [{ event: 'reactionRemoved', payloads: [{ message: unreacted, emoji, userId }] }])
      }))
    }
  }
}

/** Exactly one emoji (a recommended one: sequences, flags, keycaps and skin tones included), and not a lone modifier. */
// The v flag (properties of strings) is in Node 20; TypeScript's ES2022 target does not know it.
// eslint-disable-next-line prefer-regex-literals -- a literal with the v flag does not compile for ES2022
const ONE_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v')
const LONE_MODIFIER = /^\p{Emoji_Modifier}$/u
/** A pictograph without its emoji variation selector (`❤` for `❤️`), as keyboards may send it. */
const BARE_PICTOGRAPH = /^\p{Extended_Pictographic}\uFE0F?$/u

function isOneEmoji (text: string): boolean {
  return text.length <= 64 && (ONE_EMOJI.test(text) || BARE_PICTOGRAPH.test(text)) && !LONE_MODIFIER.test(text)
}

function countCodePoints (text: string): number {
  let count = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // A high surrogate followed by a low one is a single character.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
    count++
  }
  return count
}
