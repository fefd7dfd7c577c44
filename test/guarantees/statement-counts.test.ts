// No N+1 anywhere: how many statements a request issues must not depend on the data. For every
// route of the plugin (but the event stream), the same request is made by a user with little data
// (3 partners, a few messages, small pages) and by a user with much more (40 partners, a
// conversation of 120+ messages, 40+ unread, 40 blocks, pages of 50), both in the same state
// (both with unread messages, or both without; both deleting their newest message, ...), and the
// statements Prisma reports for each request are counted. The counts must be equal. The example
// application's own token lookup is one of them, on both sides. Runs on SQLite, PostgreSQL and MariaDB.
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { countingDriver, forEachDatabase, forEachPath, MARKER, statementsReported } from '../helpers/databases.js'
import { pdf, uploaded } from '../helpers/attachments.js'
import { as, createUsers, getJson, pathOf, send, startApp, type MessageJson, type PageJson, type PartnerJson, type TestUser } from '../helpers/app.js'

const MISSING = 2_000_000
const LARGE_PARTNERS = 40
const LARGE_CONVERSATION = 120
const LARGE_UNREAD = 40

type ConversationJson = PartnerJson & { unread_count: number, last_message: MessageJson | null }

interface Call {
  user: TestUser
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH'
  url: string
  payload?: object
  headers?: Record<string, string>
  status: number
  /** What the answer must show about the data (e.g. how many results), to be sure of the case. */
  expect?: (res: LightMyRequestResponse) => unknown
  expected?: unknown
}

const resultsOf = (res: LightMyRequestResponse): number => res.json<PageJson<unknown>>().results.length
const entriesOf = (res: LightMyRequestResponse): number => res.json<unknown[]>().length
const countOf = (res: LightMyRequestResponse): number => res.json<{ count: number }>().count

forEachPath(t, 'statements per request do not depend on the data', async (t, db) => {
  let recording: string[] | null = null
  const record = (statement: string): void => { recording?.push(statement.replace(/\s+/g, ' ').trim()) }
  // With the driver, the plugin's statements and the example's token lookup go through it
  // (counted there, BEGIN and COMMIT too).
  if (db.driver !== undefined) db.driver = countingDriver(db.driver, record)
  db.prisma.$on('query', (event) => { record(event.query) })
  // No presence timers: their statements would count against whatever request is running.
  const app = await startApp(db, { directMessages: { presence: false } })
  t.teardown(() => app.close())
  const dm = app.directMessages

  const summary: string[] = []

  async function issued (call: Call): Promise<{ statements: string[], res: LightMyRequestResponse }> {
    const statements: string[] = []
    recording = statements
    let res: LightMyRequestResponse
    try {
      res = await as(app, call.user, { method: call.method, url: call.url, headers: call.headers, ...(call.payload === undefined ? {} : { payload: call.payload }) })
      // Query events arrive after the statements' answers: once a marker statement issued now is
      // reported, every statement of the request has been.
      await statementsReported(db, () => statements)
    } finally {
      recording = null
    }
    return { statements: statements.filter((statement) => !statement.includes(MARKER)), res }
  }

  /** `small` and `large` issue as many statements as each other. */
  async function same (t: Test, label: string, small: Call, large: Call): Promise<void> {
    const a = await issued(small)
    const b = await issued(large)
    for (const [size, call, { res }] of [['small', small, a], ['large', large, b]] as const) {
      t.equal(res.statusCode, call.status, `${label} (${size} data): ${call.method} ${call.url} answers ${call.status}`, { body: res.body })
      if (call.expect !== undefined) t.same(call.expect(res), call.expected, `${label} (${size} data): ${JSON.stringify(call.expected)}`)
    }
    t.ok(a.statements.length > 0, `${label}: statements are logged`)
    t.equal(b.statements.length, a.statements.length,
      `${label}: ${a.statements.length} statements with small data, ${b.statements.length} with large data`,
      { small: a.statements, large: b.statements })
    t.comment(`${label}: ${a.statements.length} statements (small data), ${b.statements.length} (large data)`)
    summary.push(`${label.padEnd(58)} ${String(a.statements.length).padStart(2)} / ${String(b.statements.length).padStart(2)}`)
  }

  const GET = (user: TestUser, url: string, extra: Partial<Call> = {}): Call => ({ user, method: 'GET', url, status: 200, ...extra })
  const POST = (user: TestUser, url: string, extra: Partial<Call> = {}): Call => ({ user, method: 'POST', url, status: 201, ...extra })
  const DELETE = (user: TestUser, url: string, extra: Partial<Call> = {}): Call => ({ user, method: 'DELETE', url, status: 204, ...extra })
  const PUT = (user: TestUser, url: string, extra: Partial<Call> = {}): Call => ({ user, method: 'PUT', url, status: 204, ...extra })

  // The cast: a user with little data, one with much more, and a third one who warms up every route.
  const [small, large, warm, warmPartner, outsider] = await createUsers(app, 'small', 'large', 'warm', 'warmpartner', 'outsider') as
    [TestUser, TestUser, TestUser, TestUser, TestUser]
  const sp = await createUsers(app, 'sp0', 'sp1', 'sp2') as [TestUser, TestUser, TestUser]
  const lp = await createUsers(app, ...Array.from({ length: LARGE_PARTNERS }, (_, i) => `lp${i}`)) as TestUser[] & [TestUser, TestUser, TestUser]

  // small: 4 messages with sp0 (the last 2, from sp0, unread), 1 unread from each of sp1 and sp2.
  const smallOldInbound = await dm.send(sp[0].id, small.id, 'sp0 first')
  await dm.send(small.id, sp[0].id, 'small reply')
  await dm.markConversationRead(small.id, sp[0].id)
  for (let i = 0; i < 2; i++) await dm.send(sp[0].id, small.id, `sp0 unread ${i}`)
  await dm.send(sp[1].id, small.id, 'sp1 unread')
  await dm.send(sp[2].id, small.id, 'sp2 unread')
  // large: 120 messages with lp0 (the last 40, from lp0, unread), 1 unread from each of lp1..lp39.
  let largeOldInbound = null
  for (let i = 0; i < LARGE_CONVERSATION - LARGE_UNREAD; i++) {
    const message = await dm.send(i % 2 === 0 ? lp[0].id : large.id, i % 2 === 0 ? large.id : lp[0].id, `lp0 ${i}`)
    if (i === 10) largeOldInbound = message
  }
  await dm.markConversationRead(large.id, lp[0].id)
  for (let i = 0; i < LARGE_UNREAD; i++) await dm.send(lp[0].id, large.id, `lp0 unread ${i}`)
  for (const partner of lp.slice(1)) await dm.send(partner.id, large.id, `${partner.username} unread`)
  if (largeOldInbound === null) throw new Error('no old inbound message')

  // Warm-up: every route once, by a third user, before anything is counted.
  const warmMessage = await dm.send(warmPartner.id, warm.id, 'warm-up')
  await dm.send(warmPartner.id, warm.id, 'warm-up 2')
  for (const call of [
    GET(warm, '/api/dm/unread/'), GET(warm, '/api/dm/conversations/'), GET(warm, '/api/dm/conversations/unread/'),
    GET(warm, `/api/dm/conversations/${warmPartner.id}/`), POST(warm, `/api/dm/conversations/${warmPartner.id}/read/`, { payload: {} }),
    POST(warm, `/api/dm/send/${warmPartner.id}/`, { payload: { content: 'warm' } }),
    POST(warm, `/api/dm/conversations/${warmPartner.id}/`, { payload: { content: 'warm reply' } }),
    POST(warm, `/api/dm/blocks/${outsider.id}/`), GET(warm, '/api/dm/blocks/'), DELETE(warm, `/api/dm/blocks/${outsider.id}/`),
    PUT(warm, `/api/dm/conversations/${warmPartner.id}/mute/`), DELETE(warm, `/api/dm/conversations/${warmPartner.id}/mute/`),
    PUT(warm, `/api/dm/conversations/${warmPartner.id}/archive/`), GET(warm, '/api/dm/conversations/?archived=true'),
    DELETE(warm, `/api/dm/conversations/${warmPartner.id}/archive/`),
    DELETE(warm, `/api/dm/messages/${warmMessage.id}/`), DELETE(warm, `/api/dm/conversations/${warmPartner.id}/`)
  ]) {
    await issued(call)
  }

  await t.test('GET /unread/', async (t) => {
    await same(t, 'GET /unread/',
      GET(small, '/api/dm/unread/', { expect: countOf, expected: 4 }),
      GET(large, '/api/dm/unread/', { expect: countOf, expected: LARGE_UNREAD + LARGE_PARTNERS - 1 }))
  })

  await t.test('GET /conversations/', async (t) => {
    await same(t, 'GET /conversations/ (first page)',
      GET(small, '/api/dm/conversations/?page_size=5', { expect: resultsOf, expected: 3 }),
      GET(large, '/api/dm/conversations/?page_size=50', { expect: resultsOf, expected: LARGE_PARTNERS }))
    const smallFirst = (await issued(GET(small, '/api/dm/conversations/?page_size=2'))).res.json<PageJson<unknown>>()
    const largeFirst = (await issued(GET(large, '/api/dm/conversations/?page_size=20'))).res.json<PageJson<unknown>>()
    if (smallFirst.next === null || largeFirst.next === null) throw new Error('no next page')
    await same(t, 'GET /conversations/ (next page)',
      GET(small, pathOf(smallFirst.next), { expect: resultsOf, expected: 1 }),
      GET(large, pathOf(largeFirst.next), { expect: resultsOf, expected: 20 }))
  })

  await t.test('GET /conversations/unread/', async (t) => {
    await same(t, 'GET /conversations/unread/',
      GET(small, '/api/dm/conversations/unread/', { expect: entriesOf, expected: 3 }),
      GET(large, '/api/dm/conversations/unread/', { expect: entriesOf, expected: LARGE_PARTNERS }))
  })

  // Mute and archive: one statement on the caller's own row, whatever their data; the
  // archived list and the unread counts with muted conversations read as many as without.
  await t.test('mute and archive', async (t) => {
    for (const what of ['mute', 'archive'] as const) {
      await same(t, `PUT /conversations/<id>/${what}/`,
        PUT(small, `/api/dm/conversations/${sp[1].id}/${what}/`),
        PUT(large, `/api/dm/conversations/${lp[1].id}/${what}/`))
      await same(t, `PUT /conversations/<id>/${what}/ (again)`,
        PUT(small, `/api/dm/conversations/${sp[1].id}/${what}/`),
        PUT(large, `/api/dm/conversations/${lp[1].id}/${what}/`))
      await same(t, `DELETE /conversations/<id>/${what}/`,
        DELETE(small, `/api/dm/conversations/${sp[1].id}/${what}/`),
        DELETE(large, `/api/dm/conversations/${lp[1].id}/${what}/`))
      await same(t, `PUT /conversations/<missing user>/${what}/ (404)`,
        PUT(small, `/api/dm/conversations/${MISSING}/${what}/`, { status: 404 }),
        PUT(large, `/api/dm/conversations/${MISSING}/${what}/`, { status: 404 }))
    }
    // small mutes 2 of its 3 conversations, large 39 of its 40.
    for (const partner of sp.slice(1)) await dm.mute(small.id, partner.id)
    for (const partner of lp.slice(1)) await dm.mute(large.id, partner.id)
    const unmutedOf = (res: LightMyRequestResponse): unknown => res.json<{ count: number, unmuted_count: number }>()
    await same(t, 'GET /unread/ (with muted conversations)',
      GET(small, '/api/dm/unread/', { expect: unmutedOf, expected: { id: small.id, count: 4, unmuted_count: 2 } }),
      GET(large, '/api/dm/unread/', { expect: unmutedOf, expected: { id: large.id, count: LARGE_UNREAD + LARGE_PARTNERS - 1, unmuted_count: LARGE_UNREAD } }))
    await same(t, 'GET /conversations/unread/ (with muted conversations)',
      GET(small, '/api/dm/conversations/unread/', { expect: entriesOf, expected: 3 }),
      GET(large, '/api/dm/conversations/unread/', { expect: entriesOf, expected: LARGE_PARTNERS }))
    // Both archive all but their newest conversation.
    for (const partner of sp.slice(0, 2)) await dm.archive(small.id, partner.id)
    for (const partner of lp.slice(0, LARGE_PARTNERS - 1)) await dm.archive(large.id, partner.id)
    await same(t, 'GET /conversations/ (archived ones left out)',
      GET(small, '/api/dm/conversations/?page_size=5', { expect: resultsOf, expected: 1 }),
      GET(large, '/api/dm/conversations/?page_size=50', { expect: resultsOf, expected: 1 }))
    await same(t, 'GET /conversations/?archived=true (first page)',
      GET(small, '/api/dm/conversations/?archived=true&page_size=5', { expect: resultsOf, expected: 2 }),
      GET(large, '/api/dm/conversations/?archived=true&page_size=50', { expect: resultsOf, expected: LARGE_PARTNERS - 1 }))
    const smallFirst = (await issued(GET(small, '/api/dm/conversations/?archived=true&page_size=1'))).res.json<PageJson<unknown>>()
    const largeFirst = (await issued(GET(large, '/api/dm/conversations/?archived=true&page_size=20'))).res.json<PageJson<unknown>>()
    if (smallFirst.next === null || largeFirst.next === null) throw new Error('no next page')
    await same(t, 'GET /conversations/?archived=true (next page)',
      GET(small, pathOf(smallFirst.next), { expect: resultsOf, expected: 1 }),
      GET(large, pathOf(largeFirst.next), { expect: resultsOf, expected: LARGE_PARTNERS - 1 - 20 }))
    // As they were: the later cases count on it.
    for (const partner of sp) { await dm.unmute(small.id, partner.id); await dm.unarchive(small.id, partner.id) }
    for (const partner of lp) { await dm.unmute(large.id, partner.id); await dm.unarchive(large.id, partner.id) }
  })

  await t.test('GET /conversations/<id>/', async (t) => {
    await same(t, 'GET /conversations/<id>/ (marks unread messages read)',
      GET(small, `/api/dm/conversations/${sp[0].id}/?page_size=5`, { expect: resultsOf, expected: 4 }),
      GET(large, `/api/dm/conversations/${lp[0].id}/?page_size=50`, { expect: resultsOf, expected: 50 }))
    await same(t, 'GET /conversations/<id>/ (nothing unread)',
      GET(small, `/api/dm/conversations/${sp[0].id}/?page_size=5`, { expect: resultsOf, expected: 4 }),
      GET(large, `/api/dm/conversations/${lp[0].id}/?page_size=50`, { expect: resultsOf, expected: 50 }))
    const smallFirst = (await issued(GET(small, `/api/dm/conversations/${sp[0].id}/?page_size=2`))).res.json<PageJson<unknown>>()
    const largeFirst = (await issued(GET(large, `/api/dm/conversations/${lp[0].id}/?page_size=50`))).res.json<PageJson<unknown>>()
    if (smallFirst.next === null || largeFirst.next === null) throw new Error('no next page')
    await same(t, 'GET /conversations/<id>/ (next page)',
      GET(small, pathOf(smallFirst.next), { expect: resultsOf, expected: 2 }),
      GET(large, pathOf(largeFirst.next), { expect: resultsOf, expected: 50 }))
    await same(t, 'GET /conversations/<id>/?mark_read=false (unread left)',
      GET(small, `/api/dm/conversations/${sp[1].id}/?mark_read=false&page_size=5`, { expect: resultsOf, expected: 1 }),
      GET(large, `/api/dm/conversations/${lp[0].id}/?mark_read=false&page_size=50`, { expect: resultsOf, expected: 50 }))
    await same(t, 'GET /conversations/<missing user>/ (404)',
      GET(small, `/api/dm/conversations/${MISSING}/`, { status: 404 }),
      GET(large, `/api/dm/conversations/${MISSING}/`, { status: 404 }))
  })

  await t.test('POST /conversations/<id>/read/', async (t) => {
    await dm.send(sp[1].id, small.id, 'sp1 unread 2')
    for (let i = 0; i < LARGE_UNREAD; i++) await dm.send(lp[1].id, large.id, `lp1 unread ${i}`)
    await same(t, 'POST /conversations/<id>/read/ (unread messages)',
      POST(small, `/api/dm/conversations/${sp[1].id}/read/`, { payload: {}, status: 200, expect: countOf, expected: 2 }),
      POST(large, `/api/dm/conversations/${lp[1].id}/read/`, { payload: {}, status: 200, expect: countOf, expected: LARGE_UNREAD + 1 }))
    await same(t, 'POST /conversations/<id>/read/ (nothing unread)',
      POST(small, `/api/dm/conversations/${sp[1].id}/read/`, { payload: {}, status: 200, expect: countOf, expected: 0 }),
      POST(large, `/api/dm/conversations/${lp[1].id}/read/`, { payload: {}, status: 200, expect: countOf, expected: 0 }))
    const smallUpTo = (await dm.send(sp[2].id, small.id, 'sp2 unread 2')).id
    await dm.send(sp[2].id, small.id, 'sp2 unread 3')
    let largeUpTo = 0
    for (let i = 0; i < LARGE_UNREAD; i++) {
      const message = await dm.send(lp[2].id, large.id, `lp2 unread ${i}`)
      if (i === 29) largeUpTo = message.id
    }
    await same(t, 'POST /conversations/<id>/read/ with up_to',
      POST(small, `/api/dm/conversations/${sp[2].id}/read/`, { payload: { up_to: smallUpTo }, status: 200, expect: countOf, expected: 2 }),
      POST(large, `/api/dm/conversations/${lp[2].id}/read/`, { payload: { up_to: largeUpTo }, status: 200, expect: countOf, expected: 31 }))
  })

  await t.test('POST /send/<id>/', async (t) => {
    await same(t, 'POST /send/<id>/',
      POST(small, `/api/dm/send/${sp[0].id}/`, { payload: { content: 'hello' } }),
      POST(large, `/api/dm/send/${lp[0].id}/`, { payload: { content: 'hello' } }))
    await same(t, 'POST /send/<id>/ with a new Idempotency-Key',
      POST(small, `/api/dm/send/${sp[0].id}/`, { payload: { content: 'once' }, headers: { 'idempotency-key': 'small-1' } }),
      POST(large, `/api/dm/send/${lp[0].id}/`, { payload: { content: 'once' }, headers: { 'idempotency-key': 'large-1' } }))
    await same(t, 'POST /send/<id>/ replayed with its Idempotency-Key',
      POST(small, `/api/dm/send/${sp[0].id}/`, { payload: { content: 'once' }, headers: { 'idempotency-key': 'small-1' } }),
      POST(large, `/api/dm/send/${lp[0].id}/`, { payload: { content: 'once' }, headers: { 'idempotency-key': 'large-1' } }))
    await same(t, 'POST /send/<missing user>/ (404)',
      POST(small, `/api/dm/send/${MISSING}/`, { payload: { content: 'hello?' }, status: 404 }),
      POST(large, `/api/dm/send/${MISSING}/`, { payload: { content: 'hello?' }, status: 404 }))
  })

  let smallNewest = 0
  let largeNewest = 0
  await t.test('POST /conversations/<id>/', async (t) => {
    const smallCall = POST(small, `/api/dm/conversations/${sp[0].id}/?page_size=5`, { payload: { content: 'a reply' }, expect: resultsOf, expected: 5 })
    const largeCall = POST(large, `/api/dm/conversations/${lp[0].id}/?page_size=50`, { payload: { content: 'a reply' }, expect: resultsOf, expected: 50 })
    await same(t, 'POST /conversations/<id>/ (send, then the first page)', smallCall, largeCall)
    smallNewest = (await dm.conversation(small.id, sp[0].id, { pageSize: 1 })).items[0]?.id ?? 0
    largeNewest = (await dm.conversation(large.id, lp[0].id, { pageSize: 1 })).items[0]?.id ?? 0
  })

  await t.test('DELETE /messages/<id>/', async (t) => {
    await same(t, 'DELETE /messages/<id>/ (own newest message)',
      DELETE(small, `/api/dm/messages/${smallNewest}/`),
      DELETE(large, `/api/dm/messages/${largeNewest}/`))
    await same(t, 'DELETE /messages/<id>/ (an older message, read)',
      DELETE(small, `/api/dm/messages/${smallOldInbound.id}/`),
      DELETE(large, `/api/dm/messages/${largeOldInbound.id}/`))
    const smallUnread = await dm.send(sp[0].id, small.id, 'delete me unread')
    const largeUnread = await dm.send(lp[0].id, large.id, 'delete me unread')
    await same(t, 'DELETE /messages/<id>/ (newest, unread inbound)',
      DELETE(small, `/api/dm/messages/${smallUnread.id}/`),
      DELETE(large, `/api/dm/messages/${largeUnread.id}/`))
    await same(t, 'DELETE /messages/<id>/ (already deleted)',
      DELETE(small, `/api/dm/messages/${smallUnread.id}/`),
      DELETE(large, `/api/dm/messages/${largeUnread.id}/`))
    await same(t, 'DELETE /messages/<id>/ (someone else\'s, 404)',
      DELETE(small, `/api/dm/messages/${warmMessage.id}/`, { status: 404 }),
      DELETE(large, `/api/dm/messages/${warmMessage.id}/`, { status: 404 }))
  })

  await t.test('DELETE /conversations/<id>/', async (t) => {
    await same(t, 'DELETE /conversations/<id>/',
      DELETE(small, `/api/dm/conversations/${sp[0].id}/`),
      DELETE(large, `/api/dm/conversations/${lp[0].id}/`))
    await same(t, 'DELETE /conversations/<id>/ (nothing left)',
      DELETE(small, `/api/dm/conversations/${sp[0].id}/`),
      DELETE(large, `/api/dm/conversations/${lp[0].id}/`))
    await same(t, 'DELETE /conversations/<missing user>/ (404)',
      DELETE(small, `/api/dm/conversations/${MISSING}/`, { status: 404 }),
      DELETE(large, `/api/dm/conversations/${MISSING}/`, { status: 404 }))
  })

  await t.test('blocks', async (t) => {
    for (const partner of sp) await dm.block(small.id, partner.id)
    for (const partner of lp) await dm.block(large.id, partner.id)
    await same(t, 'GET /blocks/ (first page)',
      GET(small, '/api/dm/blocks/?page_size=5', { expect: resultsOf, expected: 3 }),
      GET(large, '/api/dm/blocks/?page_size=50', { expect: resultsOf, expected: LARGE_PARTNERS }))
    const smallFirst = (await issued(GET(small, '/api/dm/blocks/?page_size=2'))).res.json<PageJson<unknown>>()
    const largeFirst = (await issued(GET(large, '/api/dm/blocks/?page_size=20'))).res.json<PageJson<unknown>>()
    if (smallFirst.next === null || largeFirst.next === null) throw new Error('no next page')
    await same(t, 'GET /blocks/ (next page)',
      GET(small, pathOf(smallFirst.next), { expect: resultsOf, expected: 1 }),
      GET(large, pathOf(largeFirst.next), { expect: resultsOf, expected: 20 }))
    await same(t, 'POST /blocks/<id>/',
      POST(small, `/api/dm/blocks/${outsider.id}/`),
      POST(large, `/api/dm/blocks/${outsider.id}/`))
    await same(t, 'POST /blocks/<id>/ (already blocked)',
      POST(small, `/api/dm/blocks/${outsider.id}/`),
      POST(large, `/api/dm/blocks/${outsider.id}/`))
    await same(t, 'POST /send/<id>/ to a user who blocks the sender (400)',
      POST(sp[0], `/api/dm/send/${small.id}/`, { payload: { content: 'let me in' }, status: 400 }),
      POST(lp[0], `/api/dm/send/${large.id}/`, { payload: { content: 'let me in' }, status: 400 }))
    await same(t, 'DELETE /blocks/<id>/',
      DELETE(small, `/api/dm/blocks/${outsider.id}/`),
      DELETE(large, `/api/dm/blocks/${outsider.id}/`))
    await same(t, 'DELETE /blocks/<id>/ (not blocked)',
      DELETE(small, `/api/dm/blocks/${outsider.id}/`),
      DELETE(large, `/api/dm/blocks/${outsider.id}/`))
  })

  // Rich messages: pages and lists whose messages answer others, carry reactions and files read
  // them in a constant number of statements; reacting, editing and unsending touch what they change.
  await t.test('rich messages', async (t) => {
    const [rs, rl] = await createUsers(app, 'richsmall', 'richlarge') as [TestUser, TestUser]
    const rsp = await createUsers(app, 'rsp0', 'rsp1') as [TestUser, TestUser]
    const rlp = await createUsers(app, ...Array.from({ length: 20 }, (_, i) => `rlp${i}`)) as TestUser[] & [TestUser, TestUser]
    const EMOJI = ['👍', '❤️', '😂']
    // A conversation where every message answers the one before, carries a file and reactions of both.
    const PDF = pdf()
    const file = async (from: TestUser): Promise<string[]> => [await uploaded(app, from, 'notes.pdf', 'application/pdf', PDF)]
    async function thread (owner: TestUser, partner: TestUser, count: number): Promise<number[]> {
      const ids: number[] = []
      for (let i = 0; i < count; i++) {
        const [from, to] = i % 2 === 0 ? [partner, owner] : [owner, partner]
        const message = await dm.send(from.id, to.id, `thread ${i}`, { attachments: await file(from), ...(ids.length === 0 ? {} : { replyTo: ids[ids.length - 1] as number }) })
        ids.push(message.id)
        await dm.react(owner.id, message.id, EMOJI[i % 3] as string)
        await dm.react(partner.id, message.id, EMOJI[(i + 1) % 3] as string)
      }
      return ids
    }
    const smallIds = await thread(rs, rsp[0], 3)
    const largeIds = await thread(rl, rlp[0], 60)
    // Conversation lists whose last messages answer and carry reactions: 2 partners and 20.
    for (const [owner, partners] of [[rs, rsp], [rl, rlp]] as Array<[TestUser, TestUser[]]>) {
      for (const partner of partners.slice(1)) {
        const first = await dm.send(partner.id, owner.id, 'question')
        const last = await dm.send(owner.id, partner.id, 'answer', { replyTo: first.id, attachments: await file(owner) })
        await dm.react(partner.id, last.id, '👍')
      }
    }
    await dm.markConversationRead(rs.id, rsp[0].id)
    await dm.markConversationRead(rl.id, rlp[0].id)
    const hasRich = (res: LightMyRequestResponse): boolean => res.json<PageJson<{ reactions: unknown[], attachments: unknown[], reply_to: unknown }>>().results
      .every((message) => message.reactions.length > 0 && message.attachments.length > 0) && res.json<PageJson<{ reply_to: unknown }>>().results.some((message) => message.reply_to !== null)
    await same(t, 'GET /conversations/<id>/ (replies, reactions and files on every message)',
      GET(rs, `/api/dm/conversations/${rsp[0].id}/`, { expect: hasRich, expected: true }),
      GET(rl, `/api/dm/conversations/${rlp[0].id}/`, { expect: hasRich, expected: true }))
    const lastRich = (res: LightMyRequestResponse): boolean => res.json<PageJson<{ last_message: { reactions: unknown[], attachments: unknown[], reply_to: unknown } }>>().results
      .every((entry) => entry.last_message.reactions.length > 0 && entry.last_message.attachments.length > 0 && entry.last_message.reply_to !== null)
    await same(t, 'GET /conversations/ (last messages with replies, reactions and files)',
      GET(rs, '/api/dm/conversations/', { expect: lastRich, expected: true }),
      GET(rl, '/api/dm/conversations/', { expect: lastRich, expected: true }))
    const smallLast = smallIds[smallIds.length - 1] as number
    const largeLast = largeIds[largeIds.length - 1] as number
    const reaction = `/reactions/${encodeURIComponent('🎉')}/`
    await same(t, 'PUT /messages/<id>/reactions/<emoji>/',
      { user: rs, method: 'PUT', url: `/api/dm/messages/${smallLast}${reaction}`, status: 200 },
      { user: rl, method: 'PUT', url: `/api/dm/messages/${largeLast}${reaction}`, status: 200 })
    await same(t, 'DELETE /messages/<id>/reactions/<emoji>/',
      { user: rs, method: 'DELETE', url: `/api/dm/messages/${smallLast}${reaction}`, status: 200 },
      { user: rl, method: 'DELETE', url: `/api/dm/messages/${largeLast}${reaction}`, status: 200 })
    // The partner sent each thread's even messages, the owner the odd ones: edit and unsend one of the owner's.
    const smallOwn = smallIds[1] as number
    const largeOwn = largeIds[largeIds.length - 1] as number
    await same(t, 'PATCH /messages/<id>/',
      { user: rs, method: 'PATCH', url: `/api/dm/messages/${smallOwn}/`, payload: { content: 'edited' }, status: 200 },
      { user: rl, method: 'PATCH', url: `/api/dm/messages/${largeOwn}/`, payload: { content: 'edited' }, status: 200 })
    // A reply's send: one statement more than a plain send, the check of reply_to; on PostgreSQL
    // the send's one statement reads the preview too (SQLite: one more read in its transaction).
    const plain = await issued(POST(rs, `/api/dm/send/${rsp[0].id}/`, { payload: { content: 'plain' } }))
    const reply = await issued(POST(rs, `/api/dm/send/${rsp[0].id}/`, { payload: { content: 'a reply', reply_to: smallIds[0] } }))
    t.equal(reply.res.statusCode, 201, 'the reply is sent', { body: reply.res.body })
    t.match(reply.res.json(), { reply_to: { id: smallIds[0], content: 'thread 0', unsent: false } }, 'with its preview')
    const extra = db.provider === 'postgresql' ? 1 : 2
    t.equal(reply.statements.length, plain.statements.length + extra,
      `a reply's send: ${reply.statements.length} statements, ${plain.statements.length} for a plain one`, { plain: plain.statements, reply: reply.statements })
    await same(t, 'POST /messages/<id>/unsend/',
      POST(rs, `/api/dm/messages/${smallOwn}/unsend/`, { status: 204 }),
      POST(rl, `/api/dm/messages/${largeOwn}/unsend/`, { status: 204 }))
  })

  t.comment(`statements per request (small data / large data), ${db.provider}${db.driver === undefined ? '' : ' with the driver'}:\n${summary.join('\n')}`)
}, { logQueries: true })

// The conversation list, on its own: 3 partners or 30, the same statements.
forEachDatabase(t, 'no N+1 in the conversation list', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  let recording: string[] | null = null
  db.prisma.$on('query', (event) => { recording?.push(event.query) })

  const [few, many, warm] = await createUsers(app, 'few', 'many', 'warm') as [TestUser, TestUser, TestUser]
  const partners = await createUsers(app, ...Array.from({ length: 30 }, (_, i) => `partner${i}`))
  for (const [i, partner] of partners.entries()) {
    await send(app, partner, many, `hello many ${i}`)
    if (i < 3) await send(app, few, partner, `hello from few ${i}`)
  }
  await send(app, warm, partners[0] as TestUser, 'warm-up')

  async function statements (user: TestUser, expected: number): Promise<string[]> {
    const issued: string[] = []
    recording = issued
    try {
      const page = await getJson<PageJson<ConversationJson>>(app, user, '/api/dm/conversations/?page_size=50')
      t.equal(page.results.length, expected, `${user.username} has ${expected} conversations`)
      await statementsReported(db, () => issued)
    } finally {
      recording = null
    }
    return issued.filter((statement) => !statement.includes(MARKER))
  }

  await statements(warm, 1)
  const forFew = await statements(few, 3)
  const forMany = await statements(many, 30)
  t.ok(forFew.length > 0, 'queries are logged')
  t.equal(forMany.length, forFew.length, `the same number of statements for 3 and 30 partners (${forFew.length} vs ${forMany.length})`,
    { few: forFew, many: forMany })
}, { logQueries: true })
