// A database outage under load, on a PostgreSQL server of the test's own (initdb + pg_ctl as the
// postgres user, on a free port) so that stopping it disturbs no other test: requests fail fast
// with 503 and Retry-After (never a 500, never a hang), the application recovers by itself when
// the server is back, every send answered 201 is in the database, and clients retrying with their
// Idempotency-Key create no duplicates.
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import t from 'tap'
import { createPrisma, migrate } from '../examples/database.js'
import { buildApp } from '../examples/app.js'

const run = promisify(execFile)
const BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].find((dir) => existsSync(join(dir, 'pg_ctl')))
const PORT = 55000 + (process.pid % 400)

t.test('a database outage under load', async (t) => {
  if (BIN === undefined || process.getuid?.() !== 0) {
    if (process.env.CI === 'true') throw new Error('this test needs PostgreSQL\'s server binaries and root (to run them as the postgres user); on CI it must run')
    t.test('outage', { skip: 'needs PostgreSQL\'s server binaries and root' }, async () => {})
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'dm-outage-'))
  chmodSync(dir, 0o777)
  const asPostgres = async (cmd: string, ...args: string[]): Promise<void> => { await run('runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args]) }
  const start = (): Promise<void> => asPostgres('pg_ctl', '-D', join(dir, 'data'), '-o', `-p ${PORT} -k ${dir} -c listen_addresses=127.0.0.1`, '-l', join(dir, 'log'), 'start', '-w')
  const stop = (): Promise<void> => asPostgres('pg_ctl', '-D', join(dir, 'data'), 'stop', '-m', 'fast', '-w')
  await asPostgres('initdb', '-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres')
  await start()
  // One teardown, in order: the clients first, then the server they talk to.
  const closers: Array<() => Promise<unknown>> = []
  t.teardown(async () => {
    for (const close of closers.reverse()) await close().catch(() => {})
    await stop().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })
  const url = `postgresql://postgres@127.0.0.1:${PORT}/dm_outage`
  await migrate(url)
  const prisma = await createPrisma(url)
  const failures: string[] = []
  const app = await buildApp({ prisma, logger: { level: 'error', stream: { write: (line: string) => { failures.push(line) } } } })
  await app.ready()
  closers.push(async () => {
    await app.close()
    // The driver's pool may keep waiting for a connection the outage broke mid-transaction;
    // give up on it after a while rather than hang.
    await Promise.race([prisma.$disconnect(), new Promise((resolve) => setTimeout(resolve, 2000))])
  })

  const users = []
  for (const username of ['ann', 'ben']) {
    const res = await app.inject({ method: 'POST', url: '/users', payload: { username } })
    users.push(res.json<{ id: number, token: string }>())
  }
  const [ann, ben] = users as [{ id: number, token: string }, { id: number, token: string }]

  // Clients: each logical send has its own key; a send answered anything but 201 is retried later.
  const acknowledged = new Map<string, number>()
  const statuses: number[] = []
  let slowest = 0
  const attempt = async (key: string): Promise<number> => {
    const started = Date.now()
    const res = await app.inject({
      method: 'POST',
      url: `/api/dm/send/${ben.id}/`,
      headers: { authorization: `Token ${ann.token}`, 'idempotency-key': key },
      payload: { content: `message ${key}` }
    })
    slowest = Math.max(slowest, Date.now() - started)
    statuses.push(res.statusCode)
    if (res.statusCode === 201) acknowledged.set(key, res.json<{ id: number }>().id)
    if (res.statusCode === 503) t.ok(Number(res.headers['retry-after']) > 0 && res.json<{ message: string }>().message.length > 0, `503 for ${key} says when to retry`)
    return res.statusCode
  }

  const keys = Array.from({ length: 120 }, (_, i) => `send-${i}`)
  let stopped = false
  const outage = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 150))
    await stop()
    stopped = true
    await new Promise((resolve) => setTimeout(resolve, 700))
    await start()
  })()
  // Five clients send in turn while the server goes down and comes back.
  const pending = [...keys]
  await Promise.all(Array.from({ length: 5 }, async () => {
    for (let key = pending.shift(); key !== undefined; key = pending.shift()) await attempt(key)
  }))
  await outage
  t.ok(stopped, 'the server was stopped during the load')
  t.ok(statuses.includes(503), `some sends met the outage: ${statuses.filter((s) => s === 503).length} answered 503`)
  t.same([...new Set(statuses)].filter((s) => s !== 201 && s !== 503), [], `nothing but 201 and 503 (never a 500): ${[...new Set(statuses)].join(', ')}`)
  for (const line of failures.slice(0, 3)) t.comment(line.slice(0, 1500))
  t.ok(slowest < 6000, `no request hung: the slowest took ${slowest} ms`)

  // The application recovers by itself; clients retry what was not acknowledged, with the same keys.
  for (let round = 0; round < 50 && acknowledged.size < keys.length; round++) {
    for (const key of keys.filter((k) => !acknowledged.has(k))) await attempt(key)
    if (acknowledged.size < keys.length) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.equal(acknowledged.size, keys.length, 'every send is eventually acknowledged')
  const check = new pg.Client({ connectionString: url })
  check.on('error', () => {})
  await check.connect()
  closers.push(() => check.end())
  const rows = (await check.query<{ id: string, idempotency_key: string }>('SELECT id, idempotency_key FROM dm_message')).rows
  t.equal(rows.length, keys.length, 'exactly one message per logical send: retries created no duplicates')
  const stored = new Map(rows.map((row) => [row.idempotency_key, Number(row.id)]))
  t.ok([...acknowledged].every(([key, id]) => stored.get(key) === id), 'every acknowledged message is in the database, with the id that was answered')
  const unread = await app.inject({ method: 'GET', url: '/api/dm/unread/', headers: { authorization: `Token ${ben.token}` } })
  t.same(unread.json(), { id: ben.id, count: keys.length }, 'the counts are right after the outage')
})
