/**
 * Reading the change log (core/change-log.ts) for the event streams: where a resuming stream
 * stands, the changes after its position with their messages as its user now sees them, and
 * pruning what `changeRetention` no longer keeps.
 */
import { dateOf } from '../db/database.js'
import { batches, join, sql } from '../db/sql.js'
import { changesStatement, positionStatement, type ChangeKind } from '../core/change-log.js'
import type { Context } from '../core/context.js'
import type { Message, UserId } from '../domain/types.js'
import { complete, toMessage, type MessageRow, type StoredMessage } from '../features/messages/message.js'

/** A change of a user's, as their event streams show it. */
export interface Change {
  id: number
  kind: ChangeKind
  messageId: number | null
  partnerId: UserId | null
  /** The message as the user sees it now; null when they no longer see it (or it is not about one). */
  message: Message | null
}

/** Where a stream resuming after a change stands. */
export interface StreamPosition {
  /** Whether the change it resumes after is still in the log (or, for 0, nothing was pruned). */
  resumable: boolean
  /** The id of the user's newest change (0: none). */
  latest: number
}

/** What the streams read of the change log. */
export interface ChangeReader {
  position(user: UserId, after: number, retention: number | null): Promise<StreamPosition>
  after(user: UserId, after: number, limit: number): Promise<Change[]>
}

/** The change log's reads, on the context's database. */
export function changeReader (ctx: Context): ChangeReader {
  return {
    position: (user, after, retention) => streamPosition(ctx, user, after, retention),
    after: (user, after, limit) => changesAfter(ctx, user, after, limit)
  }
}

/**
 * Where a stream of `user` resuming after change `after` stands (one statement): resumable when
 * that change is still in the log — for 0 (a client that had seen no change), when the user's
 * oldest change is younger than `retention` (older ones may have been pruned) — and the user's
 * newest change.
 */
async function streamPosition (ctx: Context, user: UserId, after: number, retention: number | null): Promise<StreamPosition> {
  const [row] = await ctx.db.query<{ found: bigint | number, oldest: Date | string | number | null, latest: bigint | number | null }>(positionStatement(user, after))
  const latest = Number(row?.latest ?? 0)
  if (after !== 0) return { resumable: Number(row?.found ?? 0) > 0, latest }
  const oldest = dateOf(row?.oldest ?? null)
  return { resumable: oldest === null || retention === null || oldest.getTime() > Date.now() - retention, latest }
}

/**
 * `user`'s changes after change `after`, oldest first, at most `limit`, each with its message as
 * `user` sees it now (one index range scan of the user's changes, joined to their messages).
 */
async function changesAfter (ctx: Context, user: UserId, after: number, limit: number): Promise<Change[]> {
  const rows = await ctx.db.query<MessageRow & { change_id: bigint | number, kind: bigint | number, change_message_id: bigint | number | null, change_partner_id: number | string | null }>(
    changesStatement(user, after, limit))
  const stored = new Map<number, StoredMessage>()
  for (const row of rows) if (row.id !== null && !stored.has(Number(row.id))) stored.set(Number(row.id), toMessage(row, ctx.uid))
  const messages = new Map((await complete(ctx, [...stored.values()], user)).map((message) => [message.id, message]))
  return rows.map((row) => ({
    id: Number(row.change_id),
    kind: Number(row.kind) as ChangeKind,
    messageId: row.change_message_id === null ? null : Number(row.change_message_id),
    partnerId: row.change_partner_id === null ? null : ctx.uid(row.change_partner_id),
    message: row.id === null ? null : messages.get(Number(row.id)) ?? null
  }))
}

/** Users whose newest change one pruning statement looks up. */
const NEWEST_PER_STATEMENT = 200

/**
 * Deletes up to `limit` changes older than `before`, oldest first from change `after` on, but
 * each user's newest (what tells a resuming stream its position is still known). Answers the
 * id of the last change it looked at (where the next call starts), or null when none it looked
 * at was old enough (nothing more to prune now).
 */
export async function pruneChanges (ctx: Context, before: Date, after: number, limit: number): Promise<number | null> {
  const rows = await ctx.db.query<{ id: bigint | number, user_id: number | string, created_at: Date | string | number }>(sql`
    SELECT id, user_id, created_at FROM dm_change WHERE id > ${after} ORDER BY id LIMIT ${limit}`)
  const old: Array<{ id: number, user: number | string }> = []
  for (const row of rows) {
    if ((dateOf(row.created_at) as Date).getTime() >= before.getTime()) break
    old.push({ id: Number(row.id), user: row.user_id })
  }
  if (old.length === 0) return null
  // Each user's newest change, one lookup of (user_id, id) per user: a branch per user (a GROUP BY
  // over dm_change, or an IN list against dm_user, may be planned as a scan of the table), in
  // groups within SQLite's 500 terms of a compound SELECT. A newer change can only come later, so
  // a change that is not its user's newest now never will be again.
  const kept = new Set<number>()
  for (const group of batches([...new Set(old.map((change) => change.user))], NEWEST_PER_STATEMENT)) {
    const rows = await ctx.db.query<{ newest: bigint | number | null }>(
      join(group.map((user) => sql`SELECT MAX(id) AS newest FROM dm_change WHERE user_id = ${user}`), ' UNION ALL '))
    for (const row of rows) if (row.newest !== null) kept.add(Number(row.newest))
  }
  const pruned = old.filter((change) => !kept.has(change.id)).map((change) => change.id)
  if (pruned.length > 0) await ctx.db.execute(sql`DELETE FROM dm_change WHERE id IN (${join(pruned)})`)
  return (old[old.length - 1] as { id: number }).id
}
