/**
 * Presence in the database the plugin already uses: dm_presence holds one row per (user, instance)
 * while the user has event streams open on that instance; each instance refreshes `seen_at` of all
 * its rows in one statement per interval. A user is online while one of their rows is younger than
 * `presenceTimeout`; `dm_user.last_seen_at` is when their last stream closed. Rows of an instance
 * that died expire, and any instance sweeps them, folding their `seen_at` into `last_seen_at`.
 */
import type { PresenceEntry, UserId } from '../../domain/types.js'
import { dateOf, type Database, type Executor } from '../../db/database.js'
import { isForeignKeyViolation } from '../../db/errors.js'
import { batches, join, lockUsers, noBlockBetween, sql, type Sql } from '../../db/sql.js'
import type { Dialect } from '../../dialect/dialect.js'

/** Users per statement of a batch (see batches). */
const CHUNK = 500

function chunks<T> (items: readonly T[]): T[][] {
  return batches(items, CHUNK)
}

export class PresenceStore {
  readonly #db: Database
  readonly #uid: (value: unknown) => UserId
  readonly #time: (at: Date) => Sql
  readonly #dialect: Dialect

  constructor (db: Database, uid: (value: unknown) => UserId, dialect: Dialect) {
    this.#db = db
    this.#uid = uid
    this.#dialect = dialect
    this.#time = dialect.time
  }

  /**
   * Records that `users` hold streams on `instance` (creating their dm_user rows if need be), and
   * answers those of them who were offline everywhere until now, and those that are no user of
   * the host (a caller whose token outlived its user: the database refuses their rows, and they
   * are left out). Under the users' dm_user locks, so that two instances seeing the same user
   * arrive at once announce it once.
   */
  async arrive (instance: string, users: readonly UserId[], now: Date, timeout: number): Promise<{ cameOnline: UserId[], unknown: UserId[] }> {
    const cameOnline: UserId[] = []
    const unknown: UserId[] = []
    const write = (batch: readonly UserId[]): Promise<UserId[]> => this.#db.transaction(async (tx) => {
      await tx.execute(lockUsers(this.#dialect, ...batch))
      const online = await this.#live(tx, batch, now, timeout)
      await tx.execute(sql`
        INSERT INTO dm_presence (user_id, instance_id, seen_at) VALUES ${join(batch.map((user) => sql`(${user}, ${instance}, ${this.#time(now)})`))}
        ${this.#dialect.upsert(['user_id', 'instance_id'], sql`seen_at = ${this.#dialect.inserted('seen_at')}`)}`)
      return batch.filter((user) => !online.has(user))
    })
    for (const batch of chunks(users)) {
      try {
        cameOnline.push(...await write(batch))
      } catch (err) {
        if (!isForeignKeyViolation(err)) throw err
        // One of them is no user: each alone, so that the others still arrive.
        for (const user of batch) {
          try {
            cameOnline.push(...await write([user]))
          } catch (error) {
            if (!isForeignKeyViolation(error)) throw error
            unknown.push(user)
          }
        }
      }
    }
    return { cameOnline, unknown }
  }

  /**
   * Records that `users` no longer hold streams on `instance`: their rows go, their
   * `last_seen_at` becomes `now` (never earlier than it was). Answers those of them now offline
   * everywhere; under the users' locks, like {@link arrive}.
   */
  async leave (instance: string, users: readonly UserId[], now: Date, timeout: number): Promise<UserId[]> {
    const wentOffline: UserId[] = []
    for (const batch of chunks(users)) {
      wentOffline.push(...await this.#db.transaction(async (tx) => {
        await tx.execute(lockUsers(this.#dialect, ...batch))
        const removed = await this.#deleted<{ user_id: number | string }>(tx, sql`dm_presence WHERE instance_id = ${instance} AND user_id IN (${join(batch)})`, sql`user_id`)
        const gone = [...new Set(removed.map((row) => this.#uid(row.user_id)))]
        if (gone.length === 0) return []
        await tx.execute(sql`
          UPDATE dm_user SET last_seen_at = ${this.#time(now)}
          WHERE user_id IN (${join(gone)}) AND (last_seen_at IS NULL OR last_seen_at < ${this.#time(now)})`)
        const online = await this.#live(tx, gone, now, timeout)
        return gone.filter((user) => !online.has(user))
      }))
    }
    return wentOffline
  }

  /**
   * Deletes the rows `from` (a table and its WHERE) selects, and answers their `columns`: in the
   * same statement where the database returns rows from a DELETE, otherwise locked and read first.
   */
  async #deleted<T> (tx: Executor, from: Sql, columns: Sql): Promise<T[]> {
    if (this.#dialect.returning) return await tx.query<T>(sql`DELETE FROM ${from} RETURNING ${columns}`)
    const rows = await tx.query<T>(sql`SELECT ${columns} FROM ${from} ${this.#dialect.forUpdate}`)
    if (rows.length > 0) await tx.execute(sql`DELETE FROM ${from}`)
    return rows
  }

  /** Which of `users` have a live row (on any instance). */
  async #live (db: Executor, users: readonly UserId[], now: Date, timeout: number): Promise<Set<UserId>> {
    const rows = await db.query<{ user_id: number | string }>(sql`
      SELECT DISTINCT user_id FROM dm_presence WHERE user_id IN (${join(users)}) AND seen_at > ${this.#time(new Date(now.getTime() - timeout))}`)
    return new Set(rows.map((row) => this.#uid(row.user_id)))
  }

  /** Refreshes every row of `instance` (one statement); answers how many it refreshed. */
  async refresh (instance: string, now: Date): Promise<number> {
    return await this.#db.execute(sql`UPDATE dm_presence SET seen_at = ${this.#time(now)} WHERE instance_id = ${instance}`)
  }

  /**
   * Deletes the rows that expired (their instance stopped refreshing them), folding their time
   * into `last_seen_at`, and answers the users this left offline everywhere, with that time.
   */
  async sweep (now: Date, timeout: number): Promise<Array<{ user: UserId, lastSeenAt: Date }>> {
    const cutoff = this.#time(new Date(now.getTime() - timeout))
    const from = sql`dm_presence WHERE seen_at <= ${cutoff}`
    type Expired = { user_id: number | string, seen_at: Date | string | number }
    // One statement, which almost always finds nothing; without RETURNING, a transaction only when it finds some.
    const expired = this.#dialect.returning
      ? await this.#db.query<Expired>(sql`DELETE FROM ${from} RETURNING user_id, seen_at`)
      : (await this.#db.query(sql`SELECT user_id FROM ${from} LIMIT 1`)).length === 0
          ? []
          : await this.#db.transaction((tx) => this.#deleted<Expired>(tx, from, sql`user_id, seen_at`))
    if (expired.length === 0) return []
    const latest = new Map<UserId, Date>()
    for (const row of expired) {
      const user = this.#uid(row.user_id)
      const at = dateOf(row.seen_at) as Date
      if ((latest.get(user)?.getTime() ?? 0) < at.getTime()) latest.set(user, at)
    }
    const offline: Array<{ user: UserId, lastSeenAt: Date }> = []
    // One statement per time (all the rows of one dead instance carry its last refresh's time).
    const byTime = new Map<number, UserId[]>()
    for (const [user, at] of latest) {
      let users = byTime.get(at.getTime())
      if (users === undefined) byTime.set(at.getTime(), users = [])
      users.push(user)
    }
    for (const [time, users] of byTime) {
      const at = this.#time(new Date(time))
      for (const batch of chunks(users)) {
        await this.#db.execute(sql`
          UPDATE dm_user SET last_seen_at = ${at} WHERE user_id IN (${join(batch)}) AND (last_seen_at IS NULL OR last_seen_at < ${at})`)
      }
    }
    for (const batch of chunks([...latest.keys()])) {
      const live = await this.#db.query<{ user_id: number | string }>(sql`
        SELECT DISTINCT user_id FROM dm_presence WHERE user_id IN (${join(batch)}) AND seen_at > ${cutoff}`)
      const online = new Set(live.map((row) => this.#uid(row.user_id)))
      for (const user of batch) if (!online.has(user)) offline.push({ user, lastSeenAt: latest.get(user) as Date })
    }
    return offline
  }

  /**
   * The presence of `ids` as `viewer` may see it: truthful for users `viewer` has a conversation
   * with and no block between them; every other id reads offline, never seen (in the order asked).
   */
  async read (viewer: UserId, ids: readonly UserId[], now: Date, timeout: number): Promise<PresenceEntry[]> {
    const rows = await this.#db.query<{ user_id: number | string, last_seen_at: Date | string | number | null, seen: Date | string | number | null }>(sql`
      SELECT u.user_id, u.last_seen_at, MAX(p.seen_at) AS seen
      FROM dm_user u LEFT JOIN dm_presence p ON p.user_id = u.user_id
      WHERE u.user_id IN (${join(ids)})
        AND EXISTS (SELECT 1 FROM dm_conversation c WHERE c.owner_id = ${viewer} AND c.partner_id = u.user_id)
        AND ${noBlockBetween(this.#dialect.splitOrLookups === true, sql`${viewer}`, sql`u.user_id`)}
      GROUP BY u.user_id, u.last_seen_at`)
    const known = new Map(rows.map((row) => [this.#uid(row.user_id), row]))
    const cutoff = now.getTime() - timeout
    return ids.map((id) => {
      const row = known.get(id)
      if (row === undefined) return { id, online: false, lastSeenAt: null }
      const seen = dateOf(row.seen)
      const lastSeen = dateOf(row.last_seen_at)
      if (seen !== null && seen.getTime() > cutoff) return { id, online: true, lastSeenAt: lastSeen }
      // Rows of an instance that died and were not swept yet: their time is when the user was last seen.
      const latest = seen !== null && (lastSeen === null || seen > lastSeen) ? seen : lastSeen
      return { id, online: false, lastSeenAt: latest }
    })
  }

  /**
   * For each of `users`, the partners among their `limit` most recent conversations who are
   * online and whom no block separates from them: whom their coming and going is told to.
   */
  async audience (users: readonly UserId[], limit: number, now: Date, timeout: number): Promise<Map<UserId, UserId[]>> {
    const audience = new Map<UserId, UserId[]>()
    for (const batch of chunks(users)) {
      const recent = this.#dialect.recentPartners(batch, limit)
      const rows = await this.#db.query<{ owner_id: number | string, partner_id: number | string }>(sql`
        SELECT owner_id, partner_id FROM (${recent}) recent
        WHERE EXISTS (SELECT 1 FROM dm_presence p WHERE p.user_id = recent.partner_id AND p.seen_at > ${this.#time(new Date(now.getTime() - timeout))})
          AND ${noBlockBetween(this.#dialect.splitOrLookups === true, sql`recent.owner_id`, sql`recent.partner_id`)}`)
      for (const row of rows) {
        const owner = this.#uid(row.owner_id)
        let list = audience.get(owner)
        if (list === undefined) audience.set(owner, list = [])
        list.push(this.#uid(row.partner_id))
      }
    }
    return audience
  }
}
