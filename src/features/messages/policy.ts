/**
 * Who may message whom: the `allowedRecipients` allowlist and the host's `canMessage` policy, then
 * blocks (checked by the statement that stores a message). A refusal is the same 400 whatever
 * refused, so that a block is not revealed; a recipient that does not exist is still a 404.
 */
import type { FastifyRequest } from 'fastify'
import type { Context } from '../../core/context.js'
import { BlockedByYou, RecipientNotAllowed, UserNotFound } from '../../domain/errors.js'
import type { UserId } from '../../domain/types.js'
import { blockersBetween } from '../blocks/queries.js'

/** Whether the sender may message the recipient by the allowlist and the host's `canMessage` (blocks aside). */
export async function checkPolicy (ctx: Context, senderId: UserId, recipientId: UserId, request: FastifyRequest | undefined): Promise<void> {
  const allowed = ctx.options.allowedRecipients
  if (allowed !== null && !allowed.has(senderId) && !allowed.has(recipientId)) return await refuse(ctx, recipientId)
  const canMessage = ctx.options.canMessage
  if (canMessage !== null) {
    const verdict = await canMessage(senderId, recipientId, request)
    if (verdict !== true) return await refuse(ctx, recipientId, typeof verdict === 'string' && verdict !== '' ? verdict : undefined)
  }
}

/** Whether `senderId` may message `recipientId` now: the policy allows it and no block stands between them. */
export async function mayMessage (ctx: Context, senderId: UserId, recipientId: UserId): Promise<boolean> {
  try {
    await checkPolicy(ctx, senderId, recipientId, undefined)
  } catch (err) {
    if (err instanceof RecipientNotAllowed) return false
    throw err
  }
  return (await blockersBetween(ctx, senderId, recipientId)).length === 0
}

/**
 * A block refused the send: the recipient's is answered like any refusal (so that it is not
 * revealed); the sender's own says so. A block lifted in the meantime still refused this send.
 */
export async function refuseBlocked (ctx: Context, senderId: UserId, recipientId: UserId): Promise<never> {
  const blockers = await blockersBetween(ctx, senderId, recipientId)
  if (blockers.includes(senderId) && !blockers.includes(recipientId)) throw new BlockedByYou()
  return await refuse(ctx, recipientId)
}

async function refuse (ctx: Context, recipientId: UserId, message?: string): Promise<never> {
  if (!(await ctx.users.exists(recipientId))) throw new UserNotFound(recipientId)
  const error = new RecipientNotAllowed()
  if (message !== undefined) error.message = message
  throw error
}
