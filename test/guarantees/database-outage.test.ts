// Database outages under load, on a PostgreSQL server of the test's own (initdb + pg_ctl as the
// postgres user, on a free port) so that disturbing it disturbs no other test.
// - Stopped: requests fail fast with 503 and Retry-After (never a 500, never a hang), the
//   application recovers by itself when the server is back, every send answered 201 is in the
//   database, and clients retrying with their Idempotency-Key create no duplicates.
// - Frozen (SIGSTOP: connections open, nothing answers): every request still answers 503 within
//   the `databaseTimeout` option, and sends that timed out but committed once the server woke
//   are found, not duplicated, by the clients' retries.
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import t, { type Test } from 'tap'
import directMessages from '../../src/index.js'
import { createDriver, createPrisma, migrate, type ExamplePrisma } from '../../examples/database.js'
import { buildApp } from '../../examples/app.js'
import { openStream, type SseFrame, type SseStream } from '../helpers/sse.js'
import { eventually, within } from '../helpers/wait.js'

const run = promisify(execFile)
const BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].find((dir) => existsSync(join(dir, 'pg_ctl')))
const PORT = 55000 + (process.pid % 400)

if (BIN === undefined || process.getuid?.() !== 0) {
  if (process.env.CI === 'true') throw new Error('this test needs PostgreSQL\'s server binaries and root (to run them as the postgres user); on CI it must run')
  t.test('outage', { skip: 'needs PostgreSQL\'s server binaries and root' }, async () => {})
} else {
  await outageTests(BIN)
}

async function outageTests (bin: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dm-outage-'))
  chmodSync(dir, 0o777)
  const data = join(dir, 'data')
  const asPostgres = async (cmd: string, ...args: string[]): Promise<void> => { await run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) }
  const start = (): Promise<void> => asPostgres('pg_ctl', '-D', data, '-o', `-p ${PORT} -k ${dir} -c listen_addresses=127.0.0.1`, '-l', join(dir, 'log'), 'start', '-w')
  const stop = (): Promise<void> => asPostgres('pg_ctl', '-D', data, 'stop', '-m', 'fast', '-w')
  /** The server's processes (the postmaster and its children), all started by this test. */
  const serverPids = async (): Promise<number[]> => {
    const postmaster = Number((readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n', 1)[0] as string).trim())
    const children = await run('pgrep', ['-P', String(postmaster)]).then(({ stdout }) => stdout.split('\n').filter(Boolean).map(Number), () => [])
    return [postmaster, ...children]
  }
  let frozen: number[] = []
  const freeze = async (): Promise<void> => {
    frozen = await serverPids()
    // A child may have exited since it was listed (a backend of a closed connection, an autovacuum
    // worker): the others are frozen all the same.
    for (const pid of frozen) {
      try { process.kill(pid, 'SIGSTOP') } catch { /* gone */ }
    }
  }
  const thaw = (): void => {
    for (const pid of frozen.splice(0)) {
      try { process.kill(pid, 'SIGCONT') } catch { /* gone */ }
    }
  }
  await asPostgres('initdb', '-D', data, '-A', 'trust', '-U', 'postgres')
  await start()
  t.teardown(async () => {
    thaw()
    await stop().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })

  /** A migrated database on the private server, the example application on it, and its users. */
  async function setUp (t: Test, name: string, withDriver: boolean, databaseTimeout?: number, onConnect?: (client: pg.PoolClient) => void, queryTimeout = databaseTimeout): Promise<Setup> {
    const url = `postgresql://postgres@127.0.0.1:${PORT}/${name}`
    await migrate(url)
    // The example's own queries (its token lookup) get the same bound from the driver.
    const bounds = databaseTimeout === undefined ? {} : { connectTimeout: databaseTimeout, queryTimeout }
    // With the driver: one pool for the Prisma adapter, the plugin and the token lookup. A test
    // that watches the connections gets such a pool on either path (the plugin's on the driver only).
    const pool = withDriver || onConnect !== undefined ? await createDriver(url, bounds) as pg.Pool : undefined
    if (onConnect !== undefined) pool?.on('connect', onConnect)
    const driver = withDriver ? pool : undefined
    const prisma = await createPrisma(url, { ...bounds, ...(pool === undefined ? {} : { pool }) })
    const failures: string[] = []
    const app = await buildApp({
      prisma,
      ...(driver === undefined ? {} : { driver }),
      logger: { level: 'error', stream: { write: (line: string) => { failures.push(line) } } },
      directMessages: databaseTimeout === undefined ? {} : { databaseTimeout }
    })
    await app.ready()
    // Every messageSent the application hears: each stored message must be announced exactly once,
    // also when its send timed out and committed after all.
    const announced: number[] = []
    app.directMessages.on('messageSent', ({ message }) => { announced.push(message.id) })
    // One teardown, in order: the clients first, then the server they talk to.
    const closers: Array<() => Promise<unknown>> = [async () => {
      await app.close()
      // The driver's pool may keep waiting for a connection the outage broke mid-transaction;
      // give up on it after a while rather than hang.
      await within('the Prisma client disconnecting', prisma.$disconnect(), 2000).catch(() => {})
    }]
    t.teardown(async () => { for (const close of closers.reverse()) await close().catch(() => {}) })
    const users = []
    for (const username of ['ann', 'ben']) {
      const res = await app.inject({ method: 'POST', url: '/users', payload: { username } })
      users.push(res.json<{ id: number, token: string }>())
    }
    const [ann, ben] = users as [{ id: number, token: string }, { id: number, token: string }]
    const statuses: number[] = []
    const acknowledged = new Map<string, number>()
    const setup: Setup = {
      url,
      app,
      prisma,
      announced,
      failures,
      statuses,
      acknowledged,
      slowest: 0,
      ann,
      ben,
      async attempt (key) {
        const started = Date.now()
        const res = await app.inject({
          method: 'POST',
          url: `/api/dm/send/${ben.id}/`,
          headers: { authorization: `Token ${ann.token}`, 'idempotency-key': key },
          payload: { content: `message ${key}` }
        })
        setup.slowest = Math.max(setup.slowest, Date.now() - started)
        statuses.push(res.statusCode)
        if (res.statusCode === 201) acknowledged.set(key, res.json<{ id: number }>().id)
        if (res.statusCode === 503) t.ok(Number(res.headers['retry-after']) > 0 && res.json<{ message: string }>().message.length > 0, `503 for ${key} says when to retry`)
        return res.statusCode
      },
      async read () {
        const started = Date.now()
        const res = await app.inject({ method: 'GET', url: '/api/dm/unread/', headers: { authorization: `Token ${ben.token}` } })
        setup.slowest = Math.max(setup.slowest, Date.now() - started)
        statuses.push(res.statusCode)
        return res.statusCode
      },
      async retryAndCheck (keys, others = 0, announcedElsewhere = []) {
        // The application recovers by itself; clients retry what was not acknowledged, with the same
        // keys, until all are (given up on quietly: the assertion says what was not).
        await eventually('every send acknowledged', async () => {
          for (const key of keys.filter((k) => !acknowledged.has(k))) await setup.attempt(key)
          return acknowledged.size === keys.length
        }, 20_000).catch(() => {})
        t.equal(acknowledged.size, keys.length, 'every send is eventually acknowledged')
        const check = new pg.Client({ connectionString: url })
        check.on('error', () => {})
        await check.connect()
        closers.push(() => check.end())
        const rows = (await check.query<{ id: string, idempotency_key: string }>('SELECT id, idempotency_key FROM dm_message')).rows
        t.equal(rows.length, keys.length + others, 'exactly one message per logical send: retries created no duplicates')
        const stored = new Map(rows.map((row) => [row.idempotency_key, Number(row.id)]))
        t.ok([...acknowledged].every(([key, id]) => stored.get(key) === id), 'every acknowledged message is in the database, with the id that was answered')
        const unread = await app.inject({ method: 'GET', url: '/api/dm/unread/', headers: { authorization: `Token ${ben.token}` } })
        t.same(unread.json(), { id: ben.id, count: keys.length + others, unmuted_count: keys.length + others }, 'the counts are right after the outage')
        // Late commits are announced when the database answers them, which may follow the retries.
        const all = (): number[] => [...announced, ...announcedElsewhere]
        await eventually('every stored message announced', () => new Set(all()).size >= rows.length).catch(() => {})
        t.same(all().sort((a, b) => a - b), rows.map((row) => Number(row.id)).sort((a, b) => a - b),
          'every stored message was announced (messageSent) exactly once, those whose send timed out included')
      }
    }
    return setup
  }

  for (const withDriver of [false, true]) {
    const path = withDriver ? ' (driver)' : ''
    t.test(`the server stopped under load${path}`, async (t) => {
      const db = await setUp(t, `dm_outage${withDriver ? '_driver' : ''}`, withDriver)
      const keys = Array.from({ length: 120 }, (_, i) => `send-${i}`)
      const pending = [...keys]
      // The server stops once the load is flowing (a tenth of the sends answered), and starts
      // again once every other send has been tried against it.
      let stopped = false
      const outage = (async () => {
        await eventually('the load flowing', () => db.statuses.length >= keys.length / 10, 30_000)
        await stop()
        stopped = true
        await eventually('every send tried', () => pending.length === 0, 30_000)
        await start()
      })()
      // Five clients send in turn while the server goes down and comes back.
      await Promise.all(Array.from({ length: 5 }, async () => {
        for (let key = pending.shift(); key !== undefined; key = pending.shift()) await db.attempt(key)
      }))
      await outage
      t.ok(stopped, 'the server was stopped during the load')
      t.ok(db.statuses.includes(503), `some sends met the outage: ${db.statuses.filter((s) => s === 503).length} answered 503`)
      t.same([...new Set(db.statuses)].filter((s) => s !== 201 && s !== 503), [], `nothing but 201 and 503 (never a 500): ${[...new Set(db.statuses)].join(', ')}`)
      for (const line of db.failures.filter((l) => !l.includes('"statusCode":503')).slice(0, 3)) t.comment(line.slice(0, 1500))
      t.ok(db.slowest < 6000, `no request hung: the slowest took ${db.slowest} ms`)
      await db.retryAndCheck(keys)
    })

    t.test(`the server frozen under load: answers within databaseTimeout${path}`, async (t) => {
      const timeout = 1000
      const db = await setUp(t, `dm_frozen${withDriver ? '_driver' : ''}`, withDriver, timeout)
      // A host whose driver has no timeouts at all (and whose authentication needs no query): only
      // the plugin's own bound stands between its routes and a hang.
      const unboundedPool = withDriver ? await createDriver(db.url, { connectTimeout: 0, queryTimeout: 0 }) as pg.Pool : undefined
      const unbounded = await createPrisma(db.url, { connectTimeout: 0, queryTimeout: 0, ...(unboundedPool === undefined ? {} : { pool: unboundedPool }) })
      const bare = Fastify()
      await bare.register(directMessages, {
        ...(unboundedPool === undefined ? {} : { driver: unboundedPool }),
        prisma: unbounded,
        getUserId: (request) => Number(request.headers['x-user']),
        databaseTimeout: timeout
      })
      const bareAnnounced: number[] = []
      bare.directMessages.on('messageSent', ({ message }) => { bareAnnounced.push(message.id) })
      // The other changes, announced once each too: edits and reactions of a message sent before.
      const edited: string[] = []
      const reacted: string[] = []
      bare.directMessages.on('messageEdited', ({ message }) => { edited.push(message.content) })
      bare.directMessages.on('reactionAdded', ({ emoji }) => { reacted.push(emoji) })
      t.teardown(async () => {
        await bare.close()
        await within('the unbounded Prisma client disconnecting', unbounded.$disconnect(), 2000).catch(() => {})
      })
      const bareRequests = [
        { method: 'GET' as const, url: '/unread/', headers: { 'x-user': String(db.ben.id) } },
        { method: 'GET' as const, url: `/conversations/${db.ann.id}/`, headers: { 'x-user': String(db.ben.id) } },
        { method: 'POST' as const, url: `/send/${db.ben.id}/`, headers: { 'x-user': String(db.ann.id), 'idempotency-key': 'bare' }, payload: { content: 'message bare' } }
      ]
      const keys = Array.from({ length: 60 }, (_, i) => `frozen-${i}`)
      // Some traffic before, so that the pools hold connections the freeze will leave hanging.
      for (const key of keys.slice(0, 5)) await db.attempt(key)
      const target = (await bare.inject({ method: 'POST', url: `/send/${db.ben.id}/`, headers: { 'x-user': String(db.ann.id) }, payload: { content: 'to be edited' } })).json<{ id: number }>().id
      let edits = 0
      const changeRequests = [
      // Each edit a new content: every one that commits is one more version.
        (): InjectOptions => ({ method: 'PATCH', url: `/messages/${target}/`, headers: { 'x-user': String(db.ann.id) }, payload: { content: `edit ${++edits}` } }),
        (): InjectOptions => ({ method: 'PUT', url: `/messages/${target}/reactions/${encodeURIComponent('👍')}/`, headers: { 'x-user': String(db.ben.id) } })
      ]
      t.same(db.statuses, [201, 201, 201, 201, 201], 'sends succeed before the freeze')
      t.equal((await bare.inject(bareRequests[0] as InjectOptions)).statusCode, 200, 'the bare host answers before the freeze')
      db.statuses.length = 0
      db.slowest = 0
      const bareAnswers: Array<{ status: number, code: string, retryAfter: unknown, ms: number }> = []
      await freeze()
      let during: number[]
      try {
      // Five clients of the example and three of the bare host, while nothing answers, three
      // requests each (each answered after a timeout).
        const pending = keys.slice(5)
        const ROUNDS = 3
        await Promise.all([
          ...Array.from({ length: 5 }, async (_, client) => {
            for (let round = 0; round < ROUNDS; round++) {
              const key = pending.shift()
              if (key === undefined || client % 2 === 1) await db.read()
              else await db.attempt(key)
            }
          }),
          ...[...bareRequests.map((request) => () => request as InjectOptions), ...changeRequests].map(async (request) => {
            for (let round = 0; round < ROUNDS; round++) {
              const started = Date.now()
              const res = await bare.inject(request())
              bareAnswers.push({ status: res.statusCode, code: res.json<{ code: string }>().code, retryAfter: res.headers['retry-after'], ms: Date.now() - started })
            }
          })
        ])
        during = [...db.statuses]
      } finally {
        thaw()
      }
      t.ok(during.length >= 5, `requests were made to the example while the server was frozen: ${during.length}`)
      t.same([...new Set(during)], [503], 'every request made while nothing answered got 503')
      for (const line of db.failures.filter((l) => !l.includes('"statusCode":503')).slice(0, 3)) t.comment(line.slice(0, 1500))
      t.ok(db.slowest < timeout + 1500, `each answered within the timeout (${timeout} ms) and some slack: the slowest took ${db.slowest} ms`)
      t.ok(bareAnswers.length >= 6, `requests were made to the bare host: ${bareAnswers.length}`)
      t.same([...new Set(bareAnswers.map((answer) => `${answer.status} ${answer.code} retry-after ${String(answer.retryAfter)}`))],
        ['503 FST_DM_DATABASE_TIMEOUT retry-after 1'], 'the bare host answered every request 503 FST_DM_DATABASE_TIMEOUT with Retry-After')
      const bareSlowest = Math.max(...bareAnswers.map((answer) => answer.ms))
      t.ok(bareSlowest >= timeout && bareSlowest < timeout + 1500, `the plugin waited its databaseTimeout, no longer: the slowest took ${bareSlowest} ms`)

      // The bare host recovers by itself too; its send, retried with its key, is stored once.
      let bareSend = 0
      await eventually('the bare host\'s send acknowledged', async () => {
        bareSend = (await bare.inject(bareRequests[2] as InjectOptions)).statusCode
        return bareSend === 201
      }, 20_000).catch(() => {})
      t.equal(bareSend, 201, 'the bare host\'s send is acknowledged once the server is back')
      // Sends that timed out may have committed when the server woke: retrying with their keys finds them.
      await db.retryAndCheck(keys, 2, bareAnnounced)
      t.ok(db.announced.length > 0, 'the example announced its sends')

      // Edits and reactions that timed out but committed when the server woke were announced then, once.
      const check = new pg.Client({ connectionString: db.url })
      await check.connect()
      t.teardown(() => check.end())
      const versions = async (): Promise<{ edits: number, reactions: number, content: string }> => {
        const [row] = (await check.query<{ edits: number, reactions: number, content: string }>(`
        SELECT (SELECT COUNT(*)::int FROM dm_message_edit WHERE message_id = $1) AS edits,
               (SELECT COUNT(*)::int FROM dm_reaction WHERE message_id = $1) AS reactions,
               (SELECT content FROM dm_message WHERE id = $1) AS content`, [target])).rows
        return row as { edits: number, reactions: number, content: string }
      }
      let stored = await versions()
      await eventually('every committed edit and reaction announced', async () => {
        stored = await versions()
        return edited.length >= stored.edits && reacted.length >= stored.reactions
      }).catch(() => {})
      t.comment(`${edits} edits and some reactions tried while frozen; ${stored.edits} edits and ${stored.reactions} reactions committed`)
      t.equal(edited.length, stored.edits, 'every edit that committed was announced (messageEdited) exactly once')
      t.equal(reacted.length, stored.reactions, 'the reaction, if it committed, was announced (reactionAdded) exactly once')
      if (stored.edits > 0) t.ok(edited.includes(stored.content), 'the announced edits include the content the message holds')
    })

    t.test(`changes whose COMMIT meets a frozen server are announced when they commit, once${path}`, async (t) => {
      const timeout = 1000
      // The next COMMIT sent on any connection freezes the server first: the transaction has done
      // all its work, its COMMIT is on its way, and nothing answers until the test thaws it.
      let armed = false
      let met = 0
      const db = await setUp(t, `dm_late${withDriver ? '_driver' : ''}`, withDriver, timeout, (client) => {
        const query = client.query.bind(client) as (...args: unknown[]) => unknown
        Object.assign(client, {
          query: (...args: unknown[]) => {
            const first = args[0] as string | { text?: string } | undefined
            const text = typeof first === 'string' ? first : first?.text
            if (armed && typeof text === 'string' && /^\s*COMMIT\b/i.test(text) && typeof args[args.length - 1] !== 'function') {
              armed = false
              met++
              return freeze().then(() => query(...args))
            }
            return query(...args)
          }
        })
      // The pool's own query_timeout longer than databaseTimeout, as the README advises: the COMMIT
      // that met the freeze is answered once the server is thawed, on either path.
      }, 10 * timeout)
      const { app, ann, ben } = db
      const heard: string[] = []
      app.directMessages.on('messageEdited', ({ message }) => { heard.push(`edited ${message.id} ${message.content}`) })
      app.directMessages.on('reactionAdded', ({ message, emoji }) => { heard.push(`reacted ${message.id} ${emoji}`) })
      app.directMessages.on('reactionRemoved', ({ message, emoji }) => { heard.push(`unreacted ${message.id} ${emoji}`) })
      app.directMessages.on('messageRead', ({ message }) => { heard.push(`read ${message.id}`) })
      app.directMessages.on('messageUnsent', ({ message }) => { heard.push(`unsent ${message.id}`) })
      await app.listen({ host: '127.0.0.1', port: 0 })
      const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
      const streams: SseStream[] = []
      t.teardown(() => { for (const stream of streams) stream.close() })
      const streamOf = async (user: { token: string }): Promise<SseStream> => {
        const stream = await openStream(base, '/api/dm/events/', { authorization: `Token ${user.token}` })
        streams.push(stream)
        await stream.position(5000)
        return stream
      }
      const annStream = await streamOf(ann)
      const benStream = await streamOf(ben)
      const as = async (user: { token: string }, options: InjectOptions): Promise<LightMyRequestResponse> => await
      app.inject({ ...options, headers: { authorization: `Token ${user.token}` } })
      const sent = await as(ann, { method: 'POST', url: `/api/dm/send/${ben.id}/`, payload: { content: 'before' } })
      t.equal(sent.statusCode, 201)
      const id = sent.json<{ id: number }>().id
      await benStream.until((frames) => frames.some((f) => f.event === 'message'), 5000)
      // The streams' presence is written (its own transactions): no COMMIT of it can be the one that
      // meets the freeze below, which is each change's own.
      for (const [viewer, other] of [[ann, ben], [ben, ann]] as const) {
        await eventually('presence written', async () => (await as(viewer, { method: 'GET', url: `/api/dm/presence/?ids=${other.id}` })).json<Array<{ online: boolean }>>()[0]?.online === true, 10_000)
      }
      const updates = (check: (message: Record<string, unknown>) => boolean) => (frame: SseFrame): boolean =>
        frame.event === 'message_updated' && (frame.data as { id: number }).id === id && check(frame.data as Record<string, unknown>)
      const check = new pg.Client({ connectionString: db.url })
      await check.connect()
      t.teardown(() => check.end())
      const stored = async (): Promise<Record<string, unknown>> => (await check.query(`
        SELECT content, read_at IS NOT NULL AS read, unsent_at IS NOT NULL AS unsent, deleted_by_recipient AS hidden,
               (SELECT COUNT(*)::int FROM dm_reaction WHERE message_id = $1) AS reactions
        FROM dm_message WHERE id = $1`, [id])).rows[0] as Record<string, unknown>

      // Each change, the stream that must be told of it, and the frame that tells it.
      const cases: Array<{ what: string, by: { token: string }, request: InjectOptions, announced: string | null, committed: (row: Record<string, unknown>) => boolean, frame: [SseStream, (frame: SseFrame) => boolean] }> = [
        { what: 'an edit', by: ann, request: { method: 'PATCH', url: `/api/dm/messages/${id}/`, payload: { content: 'edited late' } }, announced: `edited ${id} edited late`, committed: (row) => row.content === 'edited late', frame: [benStream, updates((m) => m.content === 'edited late')] },
        { what: 'a reaction', by: ben, request: { method: 'PUT', url: `/api/dm/messages/${id}/reactions/${encodeURIComponent('👍')}/` }, announced: `reacted ${id} 👍`, committed: (row) => row.reactions === 1, frame: [annStream, updates((m) => (m.reactions as unknown[]).length === 1)] },
        { what: 'a reaction taken back', by: ben, request: { method: 'DELETE', url: `/api/dm/messages/${id}/reactions/${encodeURIComponent('👍')}/` }, announced: `unreacted ${id} 👍`, committed: (row) => row.reactions === 0, frame: [annStream, updates((m) => (m.reactions as unknown[]).length === 0)] },
        { what: 'a read', by: ben, request: { method: 'POST', url: `/api/dm/conversations/${ann.id}/read/` }, announced: `read ${id}`, committed: (row) => row.read === true, frame: [annStream, (f) => f.event === 'read' || updates((m) => m.read_at !== null)(f)] },
        { what: 'a delete (hide)', by: ben, request: { method: 'DELETE', url: `/api/dm/messages/${id}/` }, announced: null, committed: (row) => row.hidden === true, frame: [benStream, (f) => f.event === 'deleted' && (f.data as { id: number }).id === id] },
        { what: 'an unsend', by: ann, request: { method: 'POST', url: `/api/dm/messages/${id}/unsend/` }, announced: `unsent ${id}`, committed: (row) => row.unsent === true, frame: [annStream, updates((m) => m.unsent_at !== null)] }
      ]
      const expected: string[] = []
      for (const change of cases) {
        const before = met
        const [stream, tells] = change.frame
        const seen = stream.frames.length
        armed = true
        let res
        try {
          res = await as(change.by, change.request)
        } finally {
          armed = false
          thaw()
        }
        t.equal(met, before + 1, `${change.what}: its COMMIT met the frozen server`)
        t.equal(res.statusCode, 503, `${change.what}: answered 503 while its COMMIT waited`, { body: res.body })
        t.equal(res.json<{ code: string }>().code, 'FST_DM_DATABASE_TIMEOUT')
        // Told when it committed: the frame after the request, and the decorator event.
        const frames = await stream.until((all) => all.slice(seen).some(tells), 5000).catch(() => stream.frames)
        t.ok(frames.slice(seen).some(tells), `${change.what}: its stream was told once it committed`)
        if (change.announced !== null) expected.push(change.announced)
        await eventually(`${change.what}: announced`, () => heard.length >= expected.length).catch(() => {})
        t.same(heard, expected, `${change.what}: announced (${change.announced ?? 'no decorator event'})`)
        t.ok(change.committed(await stored()), `${change.what}: it committed after its 503`)
      }
      // A last send, announced after everything before it: no late change was announced twice.
      const last = await as(ann, { method: 'POST', url: `/api/dm/send/${ben.id}/`, payload: { content: 'after' } })
      t.equal(last.statusCode, 201)
      const lastId = last.json<{ id: number }>().id
      await eventually('the last send announced', () => db.announced.includes(lastId)).catch(() => {})
      t.ok(db.announced.includes(lastId), 'the last send was announced')
      t.same(heard, expected, 'each change was announced (decorator events) once, when it committed')
    })
  }
}

interface Setup {
  url: string
  app: FastifyInstance
  prisma: ExamplePrisma
  /** The ids of the messages the application announced with messageSent. */
  announced: number[]
  failures: string[]
  statuses: number[]
  acknowledged: Map<string, number>
  slowest: number
  ann: { id: number, token: string }
  ben: { id: number, token: string }
  /** One send from ann to ben with this Idempotency-Key; answers the status. */
  attempt(key: string): Promise<number>
  /** ben reads his unread count; answers the status. */
  read(): Promise<number>
  /**
   * Retries until every key is acknowledged, then checks the database holds exactly those sends
   * (and `others` more), each announced once (here, or by another host: `announcedElsewhere`).
   */
  retryAndCheck(keys: string[], others?: number, announcedElsewhere?: number[]): Promise<void>
}
