/**
 * Keeps the change log bounded: every instance deletes, now and then, the changes older than
 * `changeRetention` (each user's newest excepted, see pruneChanges in realtime/changes.ts), a batch per statement,
 * oldest first. Several instances doing it at once only share the work.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Context } from '../core/context.js'
import { pruneChanges } from './changes.js'

/** Changes one statement looks at. */
const BATCH = 1000
/** The longest pause between two prunings. */
const MAX_INTERVAL = 15 * 60_000

export interface Pruner {
  /** Prunes now (also what the timer runs); resolves when nothing old is left. */
  run(): Promise<void>
  /** Stops the timer and waits for a pruning under way. */
  stop(): Promise<void>
}

export function startPruning (ctx: Context, retention: number, log: FastifyBaseLogger): Pruner {
  let running: Promise<void> | null = null
  let stopped = false
  const pass = async (): Promise<void> => {
    const before = new Date(Date.now() - retention)
    // From the start each time: a change kept as its user's newest becomes prunable once the user
    // has a newer one. (What a pass reads again is at most one kept change per idle user.)
    let cursor = 0
    for (;;) {
      if (stopped) return
      const last = await pruneChanges(ctx, before, cursor, BATCH)
      if (last === null) return
      cursor = last
    }
  }
  const run = (): Promise<void> => {
    running ??= pass()
      .catch((err: unknown) => { log.warn({ err }, 'directMessages: pruning the change log failed (tried again later)') })
      .finally(() => { running = null })
    return running
  }
  const timer = setInterval(() => { run().catch(() => {}) }, Math.min(Math.max(Math.floor(retention / 4), 1000), MAX_INTERVAL))
  timer.unref()
  return {
    run,
    async stop () {
      stopped = true
      clearInterval(timer)
      await running
    }
  }
}
