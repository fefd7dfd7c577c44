/**
 * Presence across instances, with nothing but the database: this instance records which users
 * hold streams on it (features/presence/queries.ts), refreshes all its rows in one statement per interval,
 * and sweeps the rows of instances that died. Arrivals and departures are batched (a user who
 * drops and reconnects within a batch never reads offline), and a user who comes online or goes
 * offline is told to the online ones among their 50 most recent partners (one bus event).
 */
import type { FastifyBaseLogger } from 'fastify'
import type { UserId } from '../../domain/types.js'
import { MAX_PRESENCE_AUDIENCE, type BusEvent } from '../../realtime/bus.js'
import type { PresenceStore } from './queries.js'

/** How long arrivals and departures wait to be written together. */
const BATCH_DELAY = 100

export interface PresenceTrackerOptions {
  /** The statements of presence. */
  presence: PresenceStore
  publish: (event: BusEvent) => void
  log: FastifyBaseLogger
  /** The `presenceTimeout` option: rows not refreshed for that long read offline. */
  timeout: number
  /** This instance's id in dm_presence. */
  instance: string
}

export class PresenceTracker {
  readonly #options: PresenceTrackerOptions
  /** Users whose dm_presence row for this instance is written. */
  readonly #registered = new Set<UserId>()
  /** What is to be written: true, the user holds streams here; false, no longer. */
  readonly #pending = new Map<UserId, boolean>()
  #batch: NodeJS.Timeout | null = null
  readonly #refresh: NodeJS.Timeout
  /** Writes run one after the other. */
  #queue: Promise<void> = Promise.resolve()
  #stopped = false

  constructor (options: PresenceTrackerOptions) {
    this.#options = options
    this.#refresh = setInterval(() => { this.#enqueue(() => this.#tick()) }, Math.max(250, Math.floor(options.timeout / 3)))
    this.#refresh.unref()
  }

  /** The user's first stream on this instance opened. */
  arrived (user: UserId): void {
    this.#schedule(user, true)
  }

  /** The user's last stream on this instance closed. */
  left (user: UserId): void {
    this.#schedule(user, false)
  }

  /** Stops refreshing and writes every user here as gone (they go offline now, not after the timeout). */
  async stop (): Promise<void> {
    this.#stopped = true
    clearInterval(this.#refresh)
    if (this.#batch !== null) clearTimeout(this.#batch)
    for (const user of this.#registered) this.#pending.set(user, false)
    this.#enqueue(() => this.#flush())
    await this.#queue
  }

  #schedule (user: UserId, here: boolean): void {
    if (this.#stopped) return
    this.#pending.set(user, here)
    this.#batch ??= setTimeout(() => {
      this.#batch = null
      this.#enqueue(() => this.#flush())
    }, BATCH_DELAY)
  }

  #enqueue (work: () => Promise<void>): void {
    this.#queue = this.#queue.then(work).catch((err: unknown) => {
      this.#options.log.warn({ err }, 'directMessages: writing presence failed (tried again at the next refresh)')
    })
  }

  async #flush (): Promise<void> {
    const { presence, instance, timeout } = this.#options
    const arriving: UserId[] = []
    const leaving: UserId[] = []
    for (const [user, here] of this.#pending) {
      if (here && !this.#registered.has(user)) arriving.push(user)
      else if (!here && this.#registered.has(user)) leaving.push(user)
    }
    this.#pending.clear()
    const now = new Date()
    if (arriving.length > 0) {
      const { cameOnline, unknown } = await presence.arrive(instance, arriving, now, timeout)
      // A stream of a caller that is no user (its token outlived it) shows no presence.
      const skipped = new Set(unknown)
      for (const user of arriving) if (!skipped.has(user)) this.#registered.add(user)
      await this.#announce(cameOnline.map((user) => ({ user, lastSeenAt: null })), true, now)
    }
    if (leaving.length > 0) {
      const offline = await presence.leave(instance, leaving, now, timeout)
      for (const user of leaving) this.#registered.delete(user)
      await this.#announce(offline.map((user) => ({ user, lastSeenAt: now })), false, now)
    }
  }

  /** Refreshes this instance's rows (rewriting them if another instance swept them) and sweeps expired ones. */
  async #tick (): Promise<void> {
    const { presence, instance, timeout } = this.#options
    const now = new Date()
    if (this.#registered.size > 0 && await presence.refresh(instance, now) < this.#registered.size) {
      // This instance stalled past the timeout and its rows were swept: write them again.
      const { cameOnline, unknown } = await presence.arrive(instance, [...this.#registered], now, timeout)
      // Users deleted since they arrived: they are gone.
      for (const user of unknown) this.#registered.delete(user)
      await this.#announce(cameOnline.map((user) => ({ user, lastSeenAt: null })), true, now)
    }
    await this.#announce(await presence.sweep(now, timeout), false, now)
  }

  /** Tells each user's coming or going to their audience: one audience query for all of them. */
  async #announce (users: Array<{ user: UserId, lastSeenAt: Date | null }>, online: boolean, now: Date): Promise<void> {
    if (users.length === 0) return
    const audience = await this.#options.presence.audience(users.map(({ user }) => user), MAX_PRESENCE_AUDIENCE, now, this.#options.timeout)
    for (const { user, lastSeenAt } of users) {
      const to = audience.get(user)
      if (to !== undefined && to.length > 0) this.#options.publish({ type: 'presence', user, online, lastSeenAt: lastSeenAt?.toISOString() ?? null, to })
    }
  }
}
