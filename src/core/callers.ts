/**
 * Who is calling, when it matters: a caller whose id names no user of the host (a token that
 * outlived its user) may not write. Asked only when a write was refused anyway, or changes
 * nothing: a write that succeeds costs no statement for it.
 */
import type { FastifyBaseLogger } from 'fastify'
import { isForeignKeyViolation } from '../db/errors.js'
import {
  ConversationNotFound, InvalidReply, MessageNotFound, MessageUnsent, NotSender, RecipientNotAllowed, UnknownCaller, UserNotFound
} from '../domain/errors.js'
import type { UserId } from '../domain/types.js'
import type { Users } from './users.js'

/** Refusals a caller that is no user also meets (it has no messages, conversations or rights). */
const CALLER_DEPENDENT = [MessageNotFound, ConversationNotFound, UserNotFound, InvalidReply, RecipientNotAllowed, NotSender, MessageUnsent]

/** Most unknown callers remembered as logged on this instance. */
const LOGGED = 1000

export class Callers {
  readonly #users: Users
  readonly #log: FastifyBaseLogger
  readonly #userModel: string
  /** The unknown callers already logged. */
  readonly #logged = new Set<UserId>()

  constructor (users: Users, log: FastifyBaseLogger, userModel: string) {
    this.#users = users
    this.#log = log
    this.#userModel = userModel
  }

  /**
   * Runs a write of `userId`'s. When it is refused for want of something of the caller's — a
   * message, a conversation or a partner not found, a policy or reply refusal, or the database
   * refusing a row of a user that does not exist — whether `userId` names a user at all is asked
   * then (one statement, never on the way of a write that succeeds): a caller that does not is
   * answered UnknownCaller; a `partnerId` that does not, when the database refused a row,
   * UserNotFound. Malformed input is answered as it is for anyone.
   */
  async write<T>(userId: UserId, write: () => Promise<T>, partnerId?: UserId): Promise<T> {
    try {
      return await write()
    } catch (err) {
      const refusedRow = isForeignKeyViolation(err)
      if (!refusedRow && !CALLER_DEPENDENT.some((Refusal) => err instanceof Refusal)) throw err
      let users: Set<UserId>
      try {
        users = await this.#users.existing(partnerId === undefined ? [userId] : [userId, partnerId])
      } catch {
        throw err
      }
      if (!users.has(userId)) throw this.unknown(userId)
      if (refusedRow && partnerId !== undefined && !users.has(partnerId)) throw new UserNotFound(partnerId)
      throw err
    }
  }

  /**
   * Before a write that changes nothing: the caller must be a user (else UnknownCaller) and so
   * must the partner (else UserNotFound), asked in one statement.
   */
  async checkBoth (userId: UserId, partnerId: UserId): Promise<void> {
    const users = await this.#users.existing([userId, partnerId])
    if (!users.has(userId)) throw this.unknown(userId)
    if (!users.has(partnerId)) throw new UserNotFound(partnerId)
  }

  /** 404 for a partner that does not exist (a conversation with oneself is merely empty): for reads. */
  async checkPartner (userId: UserId, partnerId: UserId): Promise<void> {
    if (userId !== partnerId && !(await this.#users.exists(partnerId))) throw new UserNotFound(partnerId)
  }

  /** The error for a caller that is no user, logged once per id on this instance (they tend to retry). */
  unknown (userId: UserId): Error {
    if (!this.#logged.has(userId)) {
      if (this.#logged.size >= LOGGED) this.#logged.clear()
      this.#logged.add(userId)
      this.#log.warn(`directMessages: getUserId returned ${JSON.stringify(userId)}, which names no user (no row of the model "${this.#userModel}"): ` +
        'its writes are answered 401 FST_DM_UNKNOWN_CALLER (a token that outlived its user?)')
    }
    return new UnknownCaller()
  }
}
