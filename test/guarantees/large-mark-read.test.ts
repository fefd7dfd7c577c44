// Marking a whole conversation read when it holds more unread messages than one statement can
// name (SQLite takes at most 32,766 bound parameters, PostgreSQL and MySQL 65,535), each with a reaction and
// answering the one before: 200 with the count, the counts at zero, the messages read with their
// reactions and previews, never a 500. Likewise the unpaginated list of unread conversations of a
// user with that many partners. SQLite, PostgreSQL and MariaDB, through Prisma and the driver; the data is
// seeded with SQL.
import t from 'tap'
import { forEachPath, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, startApp, type PageJson, type RichMessageJson } from '../helpers/app.js'
import { eventually } from '../helpers/wait.js'

/**
 * What seeding in bulk takes on `db`: more rows than a statement has parameters (SQLite 32,766;
 * PostgreSQL and MySQL 65,535), the numbers 1..count as rows, a timestamp, and text concatenation.
 */
function seeding (db: TestDatabase): { count: number, sentAt: string, numbers: string, text: (...parts: string[]) => string } {
  if (db.provider === 'postgresql') {
    const count = 66_000
    return { count, sentAt: 'CAST(\'2026-12-01 00:00:00\' AS TIMESTAMP(3))', numbers: `SELECT g FROM generate_series(1, ${count}) g`, text: (...parts) => parts.join(' || ') }
  }
  if (db.provider === 'mysql') {
    // Five digits' cross join: recursion is capped at 1,000 rows by default there.
    const count = 66_000
    const digit = (name: string): string => `(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) ${name}`
    const numbers = `SELECT 1 + d1.d + 10 * d2.d + 100 * d3.d + 1000 * d4.d + 10000 * d5.d AS g FROM ${['d1', 'd2', 'd3', 'd4', 'd5'].map(digit).join(', ')} HAVING g <= ${count}`
    return { count, sentAt: '\'2026-12-01 00:00:00.000\'', numbers, text: (...parts) => `CONCAT(${parts.join(', ')})` }
  }
  const count = 33_000
  return {
    count,
    sentAt: '\'2026-12-01T00:00:00.000+00:00\'',
    numbers: `WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < ${count}) SELECT g FROM seq`,
    text: (...parts) => parts.join(' || ')
  }
}

forEachPath(t, 'marking read more messages than a statement has parameters', async (t, db) => {
  // Marking tens of thousands read takes seconds on a loaded machine: what is tested here is the
  // statements' size, not databaseTimeout (5 s by default).
  const app = await startApp(db, { directMessages: { databaseTimeout: 60_000 } })
  t.teardown(() => app.close())
  const [ann, bob] = await createUsers(app, 'ann', 'bob')
  if (ann === undefined || bob === undefined) throw new Error('users')
  const { count, sentAt, numbers, text } = seeding(db)
  const [low, high] = ann.id < bob.id ? [ann.id, bob.id] : [bob.id, ann.id]
  // bob's messages to ann, unread, each with ann's reaction and answering the one before it.
  await query(db, `INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at, reaction_count)
    SELECT ?, ?, ?, ?, ${text('\'message \'', 'g')}, ${sentAt}, 1 FROM (${numbers}) n ORDER BY g`, [bob.id, ann.id, low, high])
  const [range] = await query<{ first: number | bigint, last: number | bigint }>(db, 'SELECT MIN(id) AS first, MAX(id) AS last FROM dm_message WHERE sender_id = ?', [bob.id])
  const first = Number(range?.first)
  const last = Number(range?.last)
  await query(db, 'UPDATE dm_message SET reply_to_id = id - 1 WHERE sender_id = ? AND id > ?', [bob.id, first])
  await query(db, 'INSERT INTO dm_reaction (message_id, user_id, emoji, created_at) SELECT id, ?, \'👍\', sent_at FROM dm_message WHERE sender_id = ?', [ann.id, bob.id])
  await query(db, 'INSERT INTO dm_user (user_id) VALUES (?), (?)', [low, high])
  await query(db, 'INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count) VALUES (?, ?, ?, ?), (?, ?, ?, 0)',
    [ann.id, bob.id, last, count, bob.id, ann.id, last])
  t.same((await getJson<{ count: number }>(app, ann, '/api/dm/unread/')).count, count, `${count} unread`)

  let announced = 0
  app.directMessages.on('messageRead', () => { announced++ })
  const read = await as(app, ann, { method: 'POST', url: `/api/dm/conversations/${bob.id}/read/` })
  t.equal(read.statusCode, 200, 'marking them all read answers 200', { body: read.body.slice(0, 300) })
  t.same(read.json(), { count }, `${count} marked read`)
  t.same((await getJson<{ count: number }>(app, ann, '/api/dm/unread/')).count, 0, 'nothing unread')
  const page = await getJson<PageJson<RichMessageJson>>(app, ann, `/api/dm/conversations/${bob.id}/?page_size=2&mark_read=false`)
  t.match(page.results, [
    { id: last, read_at: String, reactions: [{ emoji: '👍', count: 1, me: true }], reply_to: { id: last - 1, content: `message ${count - 1}` } },
    { id: last - 1, read_at: String, reactions: [{ emoji: '👍', count: 1, me: true }], reply_to: { id: last - 2 } }
  ], 'the newest read, with their reactions and previews')
  // Decorator events come on a later turn of the event loop.
  await eventually('every messageRead announced', () => announced >= count).catch(() => {})
  t.equal(announced, count, 'messageRead announced every message read')
})

forEachPath(t, 'the unread conversation list with more partners than a statement has parameters', async (t, db) => {
  const app = await startApp(db, { directMessages: { databaseTimeout: 60_000 } })
  t.teardown(() => app.close())
  const [ann] = await createUsers(app, 'ann')
  if (ann === undefined) throw new Error('users')
  const { count, sentAt, numbers, text } = seeding(db)
  // `count` users, each of whom sent ann one message she has not read.
  await query(db, `INSERT INTO app_user (username, first_name, last_name, token) SELECT ${text('\'partner\'', 'g')}, 'P', ${text('\'\'', 'g')}, ${text('\'partner-token-\'', 'g')} FROM (${numbers}) n ORDER BY g`)
  await query(db, `INSERT INTO dm_message (sender_id, recipient_id, user_low_id, user_high_id, content, sent_at)
    SELECT id, ?, CASE WHEN id < ? THEN id ELSE ? END, CASE WHEN id < ? THEN ? ELSE id END, 'hello', ${sentAt} FROM app_user WHERE id <> ? ORDER BY app_user.id`,
  [ann.id, ann.id, ann.id, ann.id, ann.id, ann.id])
  await query(db, 'INSERT INTO dm_user (user_id) SELECT id FROM app_user')
  await query(db, 'INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count) SELECT recipient_id, sender_id, id, 1 FROM dm_message')
  await query(db, 'INSERT INTO dm_conversation (owner_id, partner_id, last_message_id, unread_count) SELECT sender_id, recipient_id, id, 0 FROM dm_message')
  const res = await as(app, ann, { method: 'GET', url: '/api/dm/conversations/unread/' })
  t.equal(res.statusCode, 200, 'GET /conversations/unread/ answers 200', { body: res.body.slice(0, 300) })
  const entries = res.json<Array<{ id: number, username: string, unread_count: number }>>()
  t.equal(entries.length, count, `all ${count} conversations`)
  const names = new Map((await query<{ id: number | bigint, username: string }>(db, 'SELECT id, username FROM app_user')).map((row) => [Number(row.id), row.username]))
  const wrong = entries.filter((entry) => entry.unread_count !== 1 || entry.username !== names.get(entry.id))
  t.same(wrong.slice(0, 3), [], 'each with its partner\'s username and one unread message')
})
