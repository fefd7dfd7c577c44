/** Blocks (dm_block): who blocks whom, and a blocker's list. */
import type { Executor } from '../../db/database.js'
import { isForeignKeyViolation } from '../../db/errors.js'
import { blockBetween, keyset, sql } from '../../db/sql.js'
import type { Context } from '../../core/context.js'
import type { PartnerColumns } from '../../core/users.js'
import type { Partner, UserId } from '../../domain/types.js'

/** A row of `owner`'s block list, keyed by the block's id (newest first). */
export interface BlockEntry {
  id: number
  blockedId: UserId
  /** The blocked user's names, when the statement read them (see Users.withPartners). */
  partner?: Partner
}

/** `blocker` blocks `blocked` (nothing changes when it already does); false when either does not exist. */
export async function block (ctx: Context, blocker: UserId, blocked: UserId): Promise<boolean> {
  try {
    await ctx.db.execute(sql`
      INSERT INTO dm_block (blocker_id, blocked_id, created_at) VALUES (${blocker}, ${blocked}, ${new Date()})
      ${ctx.dialect.keep(['blocker_id', 'blocked_id'])}`)
    return true
  } catch (err) {
    if (isForeignKeyViolation(err)) return false
    throw err
  }
}

/** `blocker` stops blocking `blocked` (nothing changes when it did not). */
export async function unblock (ctx: Context, blocker: UserId, blocked: UserId): Promise<void> {
  await ctx.db.execute(sql`DELETE FROM dm_block WHERE blocker_id = ${blocker} AND blocked_id = ${blocked}`)
}

/** Who of the two blocks the other: the blockers' ids (none, one or both), read through `db`. */
export async function blockersBetween (ctx: Context, a: UserId, b: UserId, db: Executor = ctx.db): Promise<UserId[]> {
  const rows = await db.query<{ blocker_id: number | string }>(sql`SELECT blocker_id FROM dm_block WHERE ${blockBetween(a, b)}`)
  return rows.map((row) => ctx.uid(row.blocker_id))
}

/** One page of the users `blocker` blocks, most recent block first. */
export async function blockPage (ctx: Context, blocker: UserId, direction: 'older' | 'newer', key: number, limit: number): Promise<BlockEntry[]> {
  const { beyond, order } = keyset(direction)
  const rows = await ctx.db.query<PartnerColumns & { id: bigint | number, blocked_id: number | string }>(ctx.users.withPartners(sql`
    SELECT id, blocked_id FROM dm_block WHERE blocker_id = ${blocker} AND id ${beyond} ${key} ORDER BY id ${order} LIMIT ${limit}`,
  'blocked_id', sql`p.id ${order}`))
  return rows.map((row) => ({ id: Number(row.id), blockedId: ctx.uid(row.blocked_id), partner: ctx.users.partnerOf(row, ctx.uid(row.blocked_id)) }))
}
