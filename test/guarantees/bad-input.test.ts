// Anything a client can send gets a clear 4xx with a message: malformed ids, bodies, content types,
// credentials and cursors. Never a 500, never another user's data. On SQLite, PostgreSQL and MariaDB.
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { Test } from 'tap'
import { forEachDatabase, forEachPath, query } from '../helpers/databases.js'
import type { UserId } from '../../src/index.js'
import {
  as, createUser, createUsers, getJson, send, startApp,
  type MessageJson, type PageJson, type PartnerJson, type TestUser
} from '../helpers/app.js'

const MAX_CONTENT_LENGTH = 10_000

/** Ids no route taking a user id may accept: not a positive integer of at most 2^31 - 1. */
const BAD_USER_IDS = [
  'abc', '1abc', '%20', '0x10', '0b11', '1e1', '1e400', '-1', '-0', '0', '1.5',
  '2147483648', '9007199254740992', '99999999999999999999'
]

/** Ids DELETE /messages/<id>/ may not accept: not a positive safe integer. */
const BAD_MESSAGE_IDS = [
  'abc', '1abc', '%20', '0x10', '0b11', '1e1', '1e400', '-1', '-0', '0', '1.5',
  '9007199254740992', '9007199254740993', '99999999999999999999', '18446744073709551616'
]

interface Seen {
  name: string
  status: number
}

function bodyOf (res: LightMyRequestResponse): Record<string, unknown> | null {
  try {
    const body: unknown = res.json()
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? body as Record<string, unknown> : null
  } catch {
    return null
  }
}

/** The cursor of an absolute `next`/`previous` URL. */
function cursorOf (url: string | null): string {
  if (url === null) throw new Error('expected a link, got null')
  const cursor = new URL(url).searchParams.get('cursor')
  if (cursor === null) throw new Error(`no cursor in ${url}`)
  return cursor
}

/** `text` with its character at `index` replaced by another character of the base64url alphabet. */
function changeCharAt (text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A'
  return text.slice(0, index) + replacement + text.slice(index + 1)
}

forEachDatabase(t, 'bad input', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol, dave, erin] = await createUsers(app, 'alice', 'bob', 'carol', 'dave', 'erin')
  if (alice === undefined || bob === undefined || carol === undefined || dave === undefined || erin === undefined) throw new Error('users')

  /** Every response of this run, for the final "never a 500" check. */
  const seen: Seen[] = []

  async function request (user: TestUser | null, options: InjectOptions): Promise<LightMyRequestResponse> {
    const res = await as(app, user, options)
    seen.push({ name: `${options.method ?? 'GET'} ${String(options.url).slice(0, 120)}`, status: res.statusCode })
    return res
  }

  /** Asserts an error answer: this exact status, a JSON body with that statusCode and a non-empty message. */
  function isError (t: Test, res: LightMyRequestResponse, status: number, name: string, message?: string | RegExp): void {
    t.equal(res.statusCode, status, `${name}: status ${status}`)
    const body = bodyOf(res)
    t.ok(body !== null, `${name}: JSON error body`, { body: res.body.slice(0, 300) })
    t.equal(body?.statusCode, status, `${name}: statusCode in body`)
    t.ok(typeof body?.message === 'string' && body.message.trim() !== '', `${name}: a message`, { body: res.body.slice(0, 300) })
    if (message !== undefined) {
      if (typeof message === 'string') t.equal(body?.message, message, `${name}: message`)
      else t.match(body?.message, message, `${name}: message`)
    }
  }

  /** Asserts a 4xx error answer (the exact code left open) with a message. */
  function isClientError (t: Test, res: LightMyRequestResponse, allowed: number[], name: string): void {
    t.ok(allowed.includes(res.statusCode), `${name}: one of ${allowed.join('/')}, got ${res.statusCode}`, { body: res.body.slice(0, 300) })
    isError(t, res, res.statusCode, name)
  }

  async function unreadOf (user: TestUser): Promise<number> {
    return (await getJson<{ id: number, count: number }>(app, user, '/api/dm/unread/')).count
  }

  const sendRoutes = (to: TestUser | number): Array<{ route: string, url: string }> => {
    const id = typeof to === 'number' ? to : to.id
    return [
      { route: 'POST /send/<id>/', url: `/api/dm/send/${id}/` },
      { route: 'POST /conversations/<id>/', url: `/api/dm/conversations/${id}/` }
    ]
  }

  await t.test('malformed ids are 400 on every route taking an id, with and without the slash', async (t) => {
    // Real messages of alice's (ids 1 to 16 on a fresh database: 0x10, 0b11, 1e1 and 1.5 read as
    // numbers would name one), so that a request that got through would have something to change.
    await send(app, alice, carol, 'keep me')
    for (let n = 2; n <= 16; n++) await send(app, alice, carol, `keep me ${n}`)
    const before = await unreadOf(carol)
    const kept = await getJson<PageJson<MessageJson>>(app, carol, `/api/dm/conversations/${alice.id}/?mark_read=false`)
    const thumb = encodeURIComponent('👍')
    const VALIDATION = 'FST_ERR_VALIDATION'
    const routes: Array<{ method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: (id: string) => string, ids: string[], code: string }> = [
      { method: 'GET', path: (id) => `/api/dm/conversations/${id}/`, ids: BAD_USER_IDS, code: VALIDATION },
      { method: 'POST', path: (id) => `/api/dm/conversations/${id}/`, ids: BAD_USER_IDS, code: VALIDATION },
      { method: 'POST', path: (id) => `/api/dm/send/${id}/`, ids: BAD_USER_IDS, code: VALIDATION },
      { method: 'DELETE', path: (id) => `/api/dm/messages/${id}/`, ids: BAD_MESSAGE_IDS, code: VALIDATION },
      { method: 'PATCH', path: (id) => `/api/dm/messages/${id}/`, ids: BAD_MESSAGE_IDS, code: VALIDATION },
      { method: 'GET', path: (id) => `/api/dm/messages/${id}/edits/`, ids: BAD_MESSAGE_IDS, code: VALIDATION },
      { method: 'POST', path: (id) => `/api/dm/messages/${id}/unsend/`, ids: BAD_MESSAGE_IDS, code: VALIDATION },
      { method: 'PUT', path: (id) => `/api/dm/messages/${id}/reactions/${thumb}/`, ids: BAD_MESSAGE_IDS, code: VALIDATION },
      { method: 'DELETE', path: (id) => `/api/dm/messages/${id}/reactions/${thumb}/`, ids: BAD_MESSAGE_IDS, code: VALIDATION },
      { method: 'POST', path: (id) => `/api/dm/conversations/${id}/typing/`, ids: BAD_USER_IDS, code: VALIDATION },
      { method: 'PUT', path: (id) => `/api/dm/conversations/${id}/mute/`, ids: BAD_USER_IDS, code: VALIDATION },
      { method: 'DELETE', path: (id) => `/api/dm/conversations/${id}/mute/`, ids: BAD_USER_IDS, code: VALIDATION },
      { method: 'PUT', path: (id) => `/api/dm/conversations/${id}/archive/`, ids: BAD_USER_IDS, code: VALIDATION },
      { method: 'DELETE', path: (id) => `/api/dm/conversations/${id}/archive/`, ids: BAD_USER_IDS, code: VALIDATION },
      // Presence takes its ids in the query: alone, and after a good one.
      { method: 'GET', path: (id) => `/api/dm/presence/?ids=${id}`, ids: BAD_USER_IDS, code: 'FST_DM_INVALID_IDS' },
      { method: 'GET', path: (id) => `/api/dm/presence/?ids=${carol.id},${id}`, ids: BAD_USER_IDS, code: 'FST_DM_INVALID_IDS' }
    ]
    // The same path without its trailing slash (before the query, if any).
    const slashless = (url: string): string => url.replace(/\/(\?|$)/, '$1')
    for (const { method, path, ids, code } of routes) {
      for (const id of ids) {
        for (const url of [path(id), slashless(path(id))]) {
          const res = await request(alice, { method, url, payload: method === 'POST' || method === 'PATCH' ? { content: `id ${id}` } : undefined })
          isError(t, res, 400, `${method} ${url}`)
          t.equal(bodyOf(res)?.code, code, `${method} ${url}: code`)
        }
      }
    }
    t.equal(await unreadOf(carol), before, 'nothing was sent to anybody')
    const page = await getJson<PageJson<MessageJson>>(app, carol, `/api/dm/conversations/${alice.id}/`)
    t.equal(page.results.length, 16)
    t.same(page.results.map((m) => m.content), kept.results.map((m) => m.content), 'nothing was deleted or edited')
    t.same(page.results.map(({ read_at: _, ...m }) => m), kept.results.map(({ read_at: _, ...m }) => m), 'nothing was unsent or reacted to')
    for (const message of page.results) t.same(await getJson(app, alice, `/api/dm/messages/${message.id}/edits/`), [], `message ${message.id}: no earlier versions`)
    const list = await getJson<PageJson<PartnerJson & { muted: boolean, archived: boolean }>>(app, alice, '/api/dm/conversations/')
    t.same(list.results.map((entry) => [entry.id, entry.muted, entry.archived]), [[carol.id, false, false]], 'alice\'s conversation with carol is neither muted nor archived')
  })

  await t.test('malformed bodies on both send routes are 400 and store nothing', async (t) => {
    t.equal(await unreadOf(bob), 0, 'bob starts with nothing')
    const raw: Array<[name: string, payload: string]> = [
      ['not JSON', 'this is not json'],
      ['truncated JSON', '{"content": "hi"'],
      ['single quotes', "{'content': 'hi'}"],
      ['empty body', ''],
      ['a string', '"hi"'],
      ['an array', '[]'],
      ['an array holding the object', '[{"content": "hi"}]'],
      ['null', 'null'],
      ['a number', '42'],
      ['true', 'true'],
      ['prototype poisoning', '{"content": "hi", "__proto__": {"content": "x"}}'],
      ['constructor poisoning', '{"content": "hi", "constructor": {"prototype": {"content": "x"}}}']
    ]
    const objects: Array<[name: string, payload: unknown]> = [
      ['content missing', {}],
      ['content misspelt', { contents: 'hi' }],
      ['content null', { content: null }],
      ['content a number', { content: 123 }],
      ['content zero', { content: 0 }],
      ['content a boolean', { content: true }],
      ['content an array', { content: ['hi'] }],
      ['content an empty array', { content: [] }],
      ['content an object', { content: { text: 'hi' } }],
      ['content empty', { content: '' }],
      ['content a space', { content: ' ' }],
      ['content white space only', { content: ' \n\t\r\u00a0\u3000 ' }]
    ]
    for (const { route, url } of sendRoutes(bob)) {
      for (const [name, payload] of raw) {
        const res = await request(alice, { method: 'POST', url, payload, headers: { 'content-type': 'application/json' } })
        isError(t, res, 400, `${route} ${name}`)
      }
      for (const [name, payload] of objects) {
        const res = await request(alice, { method: 'POST', url, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } })
        isError(t, res, 400, `${route} ${name}`)
      }
    }
    t.equal(await unreadOf(bob), 0, 'nothing was stored: 123 was not coerced into "123", nor true into "true"')
    t.same(await getJson(app, alice, '/api/dm/conversations/unread/'), [], 'nor anything for alice')
    const page = await getJson<PageJson<MessageJson>>(app, bob, `/api/dm/conversations/${alice.id}/`)
    t.same(page.results, [], 'bob\'s conversation with alice is empty')
  })

  await t.test('content length is counted in characters: the maximum is 201, one more is 400', async (t) => {
    for (const { route, url } of sendRoutes(erin)) {
      const exact = await request(alice, { method: 'POST', url, payload: { content: 'a'.repeat(MAX_CONTENT_LENGTH) } })
      t.equal(exact.statusCode, 201, `${route} ${MAX_CONTENT_LENGTH} characters`)
      const longer = await request(alice, { method: 'POST', url, payload: { content: 'b'.repeat(MAX_CONTENT_LENGTH + 1) } })
      isError(t, longer, 400, `${route} ${MAX_CONTENT_LENGTH + 1} characters`, /content/)
    }
    const page = await getJson<PageJson<MessageJson>>(app, erin, `/api/dm/conversations/${alice.id}/`)
    t.same(page.results.map((m) => m.content.length), [MAX_CONTENT_LENGTH, MAX_CONTENT_LENGTH], 'both stored whole, the longer ones not at all')
  })

  await t.test('multi-byte characters: 10,000 emoji are 10,000 characters, stored exactly', async (t) => {
    const emoji = '\u{1F600}'.repeat(MAX_CONTENT_LENGTH)
    t.equal(emoji.length, 2 * MAX_CONTENT_LENGTH, 'two UTF-16 units each')
    const res = await request(alice, { method: 'POST', url: `/api/dm/send/${erin.id}/`, payload: { content: emoji } })
    t.equal(res.statusCode, 201, '10,000 emoji as UTF-8')
    const id = res.json<MessageJson>().id
    t.ok(res.json<MessageJson>().content === emoji, 'answered exactly')
    const page = await getJson<PageJson<MessageJson>>(app, erin, `/api/dm/conversations/${alice.id}/`)
    t.ok(page.results.find((m) => m.id === id)?.content === emoji, 'read back exactly')

    const tooMany = await request(alice, { method: 'POST', url: `/api/dm/send/${erin.id}/`, payload: { content: emoji + '\u{1F600}' } })
    isError(t, tooMany, 400, '10,001 emoji', /content/)

    const mixed = 'é'.repeat(MAX_CONTENT_LENGTH / 2) + '\u{1F44D}'.repeat(MAX_CONTENT_LENGTH / 2)
    const mixedRes = await request(alice, { method: 'POST', url: `/api/dm/conversations/${erin.id}/`, payload: { content: mixed } })
    t.equal(mixedRes.statusCode, 201, '10,000 mixed two- and four-byte characters')
    t.ok(mixedRes.json<PageJson<MessageJson>>().results[0]?.content === mixed, 'stored exactly')

    // The same characters spelt with JSON \u escapes (what e.g. Python's json.dumps sends by
    // default) are the same content, and within maxContentLength.
    const escapedBmp = `{"content":"${'\\u00e9'.repeat(MAX_CONTENT_LENGTH)}"}`
    const bmp = await request(alice, { method: 'POST', url: `/api/dm/send/${erin.id}/`, payload: escapedBmp, headers: { 'content-type': 'application/json' } })
    t.equal(bmp.statusCode, 201, '10,000 characters spelt as \\u escapes', { body: bmp.body.slice(0, 300) })
    t.ok(bmp.statusCode === 201 && bmp.json<MessageJson>().content === 'é'.repeat(MAX_CONTENT_LENGTH), 'stored as the characters')
    const escapedEmoji = `{"content":"${'\\ud83d\\ude00'.repeat(MAX_CONTENT_LENGTH)}"}`
    const astral = await request(alice, { method: 'POST', url: `/api/dm/send/${erin.id}/`, payload: escapedEmoji, headers: { 'content-type': 'application/json' } })
    t.equal(astral.statusCode, 201, '10,000 emoji spelt as \\u surrogate-pair escapes (120 KB of JSON)', { body: astral.body.slice(0, 300) })
    t.ok(astral.statusCode === 201 && astral.json<MessageJson>().content === emoji, 'stored as the emoji')
  })

  await t.test('text no database stores is 400; any other text is stored exactly', async (t) => {
    const refused: Array<[name: string, content: string]> = [
      ['a NUL character', 'before\u0000after'],
      ['a lone high surrogate', 'x\ud800y'],
      ['a lone low surrogate', 'x\udc00y'],
      ['a low surrogate before a high one', 'x\udc00\ud800y']
    ]
    for (const [name, content] of refused) {
      const res = await request(alice, { method: 'POST', url: `/api/dm/send/${erin.id}/`, payload: { content } })
      isError(t, res, 400, name, /no NUL characters or unpaired surrogates/)
      t.equal(bodyOf(res)?.code, 'FST_DM_INVALID_CONTENT', `${name}: code`)
    }
    const stored: Array<[name: string, content: string]> = [
      ['SQL', "'); DROP TABLE dm_message; --"],
      ['a backslash and quotes', '\\"\'`'],
      ['the last code point', '\u{10FFFF}'],
      ['a byte-order mark', '\ufeffhello'],
      ['other control characters', 'tab\there\u0001\u001f']
    ]
    for (const [name, content] of stored) {
      const res = await request(alice, { method: 'POST', url: `/api/dm/send/${erin.id}/`, payload: { content } })
      t.equal(res.statusCode, 201, `${name}: 201`, { body: res.body.slice(0, 300) })
      const page = await getJson<PageJson<MessageJson>>(app, erin, `/api/dm/conversations/${alice.id}/`)
      t.equal(page.results[0]?.content, content, `${name}: read back exactly`)
    }
  })

  await t.test('bodies over the limit are 413; unsupported content types 415 or 400', async (t) => {
    const huge = JSON.stringify({ content: 'x'.repeat(200_000) })
    for (const { route, url } of sendRoutes(bob)) {
      const res = await request(alice, { method: 'POST', url, payload: huge, headers: { 'content-type': 'application/json' } })
      isError(t, res, 413, `${route} a 200 KB body`)
      const xml = await request(alice, { method: 'POST', url, payload: '<content>hi</content>', headers: { 'content-type': 'application/xml' } })
      isError(t, xml, 415, `${route} application/xml`)
      const form = await request(alice, { method: 'POST', url, payload: 'content=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      isError(t, form, 415, `${route} application/x-www-form-urlencoded`)
      const text = await request(alice, { method: 'POST', url, payload: 'hi', headers: { 'content-type': 'text/plain' } })
      isClientError(t, text, [400, 415], `${route} text/plain`)
      const textJson = await request(alice, { method: 'POST', url, payload: '{"content":"hi"}', headers: { 'content-type': 'text/plain' } })
      isClientError(t, textJson, [400, 415], `${route} JSON sent as text/plain`)
      const garbage = await request(alice, { method: 'POST', url, payload: '{"content":"hi"}', headers: { 'content-type': ';;;' } })
      isClientError(t, garbage, [400, 415], `${route} a malformed content type`)
    }
    t.equal(await unreadOf(bob), 0, 'nothing was stored')

    // A body really encoded in UTF-16: read correctly (201 with the same text) or refused, never a 500.
    for (const { route, url } of sendRoutes(erin)) {
      const utf16 = await request(alice, {
        method: 'POST', url, payload: Buffer.from('{"content":"hé"}', 'utf16le'), headers: { 'content-type': 'application/json; charset=utf-16le' }
      })
      if (utf16.statusCode === 201) {
        const body = utf16.json<MessageJson | PageJson<MessageJson>>()
        const content = 'content' in body ? body.content : body.results[0]?.content
        t.equal(content, 'hé', `${route} UTF-16: decoded as sent`)
      } else {
        isClientError(t, utf16, [400, 415], `${route} a UTF-16 body`)
      }
    }
  })

  await t.test('unknown, malformed or oversized credentials are 401', async (t) => {
    const headers: Array<[name: string, value: string]> = [
      ['an unknown token', 'Token not-a-real-token'],
      ['Bearer with garbage', 'Bearer !!!@@@###'],
      ['Bearer with an unknown token', 'Bearer abcdefghijklmnopqrstuvwxyz'],
      ['Token with no value', 'Token'],
      ['Token and a space', 'Token '],
      ['the token alone', alice.token],
      ['two tokens', `Token ${alice.token} ${alice.token}`],
      ['an unknown scheme', `Basic ${alice.token}`],
      ['a 129-character token', `Token ${'a'.repeat(129)}`],
      ['a very long header', `Token ${'a'.repeat(100_000)}`],
      ['a very long Bearer header', `Bearer ${alice.token}${'!'.repeat(50_000)}`]
    ]
    // A message of alice's to dave, for the newer routes to act on were a caller let through.
    const target = await send(app, alice, dave, 'untouched')
    const thumb = encodeURIComponent('👍')
    const routes: Array<[method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string]> = [
      ['GET', '/api/dm/unread/'],
      ['GET', `/api/dm/conversations/${bob.id}/`],
      ['POST', `/api/dm/send/${bob.id}/`],
      ['DELETE', '/api/dm/messages/1/'],
      ['PATCH', `/api/dm/messages/${target.id}/`],
      ['GET', `/api/dm/messages/${target.id}/edits/`],
      ['POST', `/api/dm/messages/${target.id}/unsend/`],
      ['PUT', `/api/dm/messages/${target.id}/reactions/${thumb}/`],
      ['DELETE', `/api/dm/messages/${target.id}/reactions/${thumb}/`],
      ['POST', `/api/dm/conversations/${dave.id}/typing/`],
      ['GET', `/api/dm/presence/?ids=${dave.id}`],
      ['PUT', `/api/dm/conversations/${dave.id}/mute/`],
      ['DELETE', `/api/dm/conversations/${dave.id}/mute/`],
      ['PUT', `/api/dm/conversations/${dave.id}/archive/`],
      ['DELETE', `/api/dm/conversations/${dave.id}/archive/`]
    ]
    for (const [name, authorization] of headers) {
      for (const [method, url] of routes) {
        const res = await request(null, { method, url, headers: { authorization }, payload: method === 'POST' || method === 'PATCH' ? { content: 'hi' } : undefined })
        isError(t, res, 401, `${method} ${url} ${name}`)
        t.equal(bodyOf(res)?.code, 'FST_DM_UNAUTHORIZED', `${method} ${url} ${name}: code`)
      }
    }
    t.equal(await unreadOf(bob), 0, 'nothing was sent')
    const daveView = await getJson<PageJson<MessageJson>>(app, dave, `/api/dm/conversations/${alice.id}/?mark_read=false`)
    t.same(daveView.results, [{ ...target, direction: 'in' }], 'the message is as it was sent: not edited, unsent or reacted to')
    t.same(await getJson(app, alice, `/api/dm/messages/${target.id}/edits/`), [], 'no earlier versions')
    const list = await getJson<PageJson<PartnerJson & { muted: boolean, archived: boolean }>>(app, alice, '/api/dm/conversations/')
    t.match(list.results.find((entry) => entry.id === dave.id), { muted: false, archived: false }, 'alice\'s conversation with dave is neither muted nor archived')
  })

  await t.test('malformed, tampered and foreign cursors are 400, never someone else\'s page', async (t) => {
    // alice <-> carol: more than a page; alice <-> dave: a few messages; alice: more than a page of partners.
    for (let i = 0; i < 55; i += 5) {
      await Promise.all([0, 1, 2, 3, 4].map((j) => (i + j) % 2 === 0 ? send(app, alice, carol, `ac ${i + j}`) : send(app, carol, alice, `ca ${i + j}`)))
    }
    for (const n of [1, 2, 3]) await send(app, dave, alice, `da ${n}`)
    for (let i = 0; i < 50; i += 10) {
      const users = await Promise.all(Array.from({ length: 10 }, (_, j) => createUser(app, `fan${i + j}`)))
      await Promise.all(users.map((user) => send(app, user, alice, `hello from ${user.username}`)))
    }

    const carolPage = await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${carol.id}/`)
    const listPage = await getJson<PageJson<PartnerJson>>(app, alice, '/api/dm/conversations/')
    t.equal(carolPage.results.length, 50)
    t.equal(listPage.results.length, 50)
    const carolNext = cursorOf(carolPage.next)
    const listNext = cursorOf(listPage.next)
    const carolSecond = await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${carol.id}/?cursor=${encodeURIComponent(carolNext)}`)
    const carolPrevious = cursorOf(carolSecond.previous)
    t.ok(carolSecond.results.length > 0, 'the genuine cursors work')

    const [payload = '', mac = ''] = carolNext.split('.')
    t.ok(payload !== '' && mac !== '', 'a cursor has two dot-separated halves')
    const invalid: Array<[name: string, user: TestUser, url: string]> = [
      ['garbage', alice, '/api/dm/conversations/?cursor=garbage'],
      ['garbage on a conversation', alice, `/api/dm/conversations/${carol.id}/?cursor=garbage`],
      ['a dot only', alice, `/api/dm/conversations/${carol.id}/?cursor=.`],
      ['percent-encoded bytes', alice, `/api/dm/conversations/${carol.id}/?cursor=%ff%00%fe`],
      ['an encoded NUL', alice, `/api/dm/conversations/${carol.id}/?cursor=${encodeURIComponent(carolNext + '\u0000')}`],
      ['payload changed in its first character', alice, `/api/dm/conversations/${carol.id}/?cursor=${changeCharAt(payload, 0)}.${mac}`],
      ['payload changed in its second character', alice, `/api/dm/conversations/${carol.id}/?cursor=${changeCharAt(payload, 1)}.${mac}`],
      ['MAC changed in its first character', alice, `/api/dm/conversations/${carol.id}/?cursor=${payload}.${changeCharAt(mac, 0)}`],
      ['MAC changed in its middle character', alice, `/api/dm/conversations/${carol.id}/?cursor=${payload}.${changeCharAt(mac, 11)}`],
      ['the halves swapped', alice, `/api/dm/conversations/${carol.id}/?cursor=${mac}.${payload}`],
      ['the MAC alone', alice, `/api/dm/conversations/${carol.id}/?cursor=${mac}`],
      ['the payload alone', alice, `/api/dm/conversations/${carol.id}/?cursor=${payload}`],
      ['the MAC truncated', alice, `/api/dm/conversations/${carol.id}/?cursor=${payload}.${mac.slice(0, -1)}`],
      ['a character appended', alice, `/api/dm/conversations/${carol.id}/?cursor=${carolNext}A`],
      ['a forged payload with the genuine MAC', alice, `/api/dm/conversations/${carol.id}/?cursor=${Buffer.from('o:9007199254740991').toString('base64url')}.${mac}`],
      ['alice\'s conversation-list cursor used by bob', bob, `/api/dm/conversations/?cursor=${listNext}`],
      ['alice\'s conversation-list cursor used by carol', carol, `/api/dm/conversations/?cursor=${listNext}`],
      ['alice\'s conversation-list cursor on a conversation', alice, `/api/dm/conversations/${carol.id}/?cursor=${listNext}`],
      ['the carol conversation cursor on alice\'s conversation list', alice, `/api/dm/conversations/?cursor=${carolNext}`],
      ['the carol conversation cursor on the conversation with dave', alice, `/api/dm/conversations/${dave.id}/?cursor=${carolNext}`],
      ['the carol conversation previous cursor on the conversation with dave', alice, `/api/dm/conversations/${dave.id}/?cursor=${carolPrevious}`],
      ['alice\'s carol conversation cursor used by carol', carol, `/api/dm/conversations/${alice.id}/?cursor=${carolNext}`],
      ['alice\'s carol conversation cursor used by bob on his conversation with carol', bob, `/api/dm/conversations/${carol.id}/?cursor=${carolNext}`],
      ['alice\'s carol conversation cursor used by dave on his conversation with alice', dave, `/api/dm/conversations/${alice.id}/?cursor=${carolNext}`]
    ]
    for (const [name, user, url] of invalid) {
      for (const path of [url, url.replace('/?', '?')]) {
        const res = await request(user, { method: 'GET', url: path })
        isError(t, res, 400, `${name} (${path.includes('/?') ? 'slash' : 'no slash'})`, 'Invalid cursor')
      }
    }

    const malformed: Array<[name: string, url: string]> = [
      ['empty', '/api/dm/conversations/?cursor='],
      ['empty on a conversation', `/api/dm/conversations/${carol.id}/?cursor=`],
      ['overlong', `/api/dm/conversations/${carol.id}/?cursor=${'A'.repeat(129)}`],
      ['a genuine cursor padded past 128 characters', `/api/dm/conversations/${carol.id}/?cursor=${carolNext}${'A'.repeat(128)}`],
      ['a very long one', `/api/dm/conversations/?cursor=${'x'.repeat(100_000)}`],
      ['two different cursors', `/api/dm/conversations/${carol.id}/?cursor=garbage&cursor=${carolNext}`],
      ['the genuine cursor twice', `/api/dm/conversations/${carol.id}/?cursor=${carolNext}&cursor=${carolNext}`]
    ]
    for (const [name, url] of malformed) {
      const res = await request(alice, { method: 'GET', url })
      isError(t, res, 400, name, /cursor/i)
    }
  })

  await t.test('unknown query parameters are ignored', async (t) => {
    const urls: Array<[url: string, check: (body: unknown) => boolean]> = [
      ['/api/dm/unread/?foo=bar', (body) => (body as { id: number }).id === alice.id],
      ['/api/dm/conversations/?page=2&limit=1000&ordering=id', (body) => (body as PageJson<PartnerJson>).results.length === 50],
      ['/api/dm/conversations/unread/?x=1&x=2', (body) => Array.isArray(body)],
      [`/api/dm/conversations/${carol.id}/?limit=1000&offset=3&size=7`, (body) => (body as PageJson<MessageJson>).results.length === 50],
      [`/api/dm/conversations/${carol.id}?cursor[]=x&Cursor=y`, (body) => (body as PageJson<MessageJson>).results.length === 50]
    ]
    for (const [url, check] of urls) {
      const res = await request(alice, { method: 'GET', url })
      t.equal(res.statusCode, 200, url)
      t.ok(res.statusCode === 200 && check(res.json()), `${url}: the usual answer`)
    }
    const sent = await request(alice, { method: 'POST', url: `/api/dm/send/${erin.id}/?priority=high&content=ignored`, payload: { content: 'query ignored' } })
    t.equal(sent.statusCode, 201, 'POST /send/<id>/ with unknown parameters')
    t.equal(sent.json<MessageJson>().content, 'query ignored', 'the body is what counts')
    const deleted = await request(alice, { method: 'DELETE', url: `/api/dm/messages/${sent.json<MessageJson>().id}/?force=true` })
    t.equal(deleted.statusCode, 204, 'DELETE with unknown parameters')
  })

  await t.test('odd Host headers do not break the pagination links', async (t) => {
    for (const host of ['evil.example:99999', 'a b', '[::1', 'x'.repeat(5000), '\u00e9.example']) {
      const res = await request(alice, { method: 'GET', url: `/api/dm/conversations/${carol.id}/`, headers: { host } })
      t.ok(res.statusCode === 200 || (res.statusCode >= 400 && res.statusCode < 500), `Host ${JSON.stringify(host.slice(0, 20))}: 200 or 4xx, got ${res.statusCode}`)
    }
  })

  await t.test('no response of this run was a 500', async (t) => {
    t.ok(seen.length > 250, `${seen.length} responses collected`)
    const failures = seen.filter((entry) => entry.status >= 500)
    t.same(failures, [], 'no 5xx')
    const unexpected = seen.filter((entry) => entry.status < 200 || (entry.status >= 300 && entry.status < 400))
    t.same(unexpected, [], 'every answer is a 2xx or a 4xx')
  })
})

// A caller that is no user (a token that outlived its user) sending anything at all: malformed
// input is answered 400 as for anyone, well-formed writes 401 FST_DM_UNKNOWN_CALLER, policy
// refusals too (the caller is asked about first), never a 500 and nothing stored. Both paths,
// integer and string ids.
for (const userIdType of ['integer', 'string'] as const) {
  forEachPath(t, `bad input from a caller that is no user (${userIdType} ids)`, async (t, db) => {
    const callers = new Map<string, UserId>()
    const closed = new Set<UserId>()
    const app = await startApp(db, {
      directMessages: {
        getUserId: (request) => callers.get(String(request.headers.authorization)),
        // A policy that lets nobody message carol: an unknown caller still hears it is unknown.
        canMessage: (_sender, recipient) => !closed.has(recipient)
      }
    })
    t.teardown(() => app.close())
    const [bob, carol, ghost] = await createUsers<UserId>(app, 'bob', 'carol', 'ghost')
    if (bob === undefined || carol === undefined || ghost === undefined) throw new Error('users')
    closed.add(carol.id)
    for (const user of [bob, ghost]) callers.set(user.headers.authorization, user.id)
    const message = (await as(app, bob, { method: 'POST', url: `/api/dm/send/${ghost.id}/`, payload: { content: 'hi' } })).json<MessageJson>()
    await query(db, 'DELETE FROM app_user WHERE id = ?', [ghost.id])
    const count = async (): Promise<number> => Number((await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM dm_message'))[0]?.n)
    const stored = await count()

    const malformed: Array<[string, InjectOptions]> = [
      ['a send with a malformed id', { method: 'POST', url: '/api/dm/send/not!an!id/', payload: { content: 'x' } }],
      ['a send without content', { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: {} }],
      ['a send of white space', { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: { content: '   ' } }],
      ['a send of a number', { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: { content: 5 } }],
      ['a send with reply_to a string', { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: { content: 'x', reply_to: 'five' } }],
      ['a send with a malformed Idempotency-Key', { method: 'POST', url: `/api/dm/send/${bob.id}/`, headers: { 'idempotency-key': 'a b' }, payload: { content: 'x' } }],
      ['an edit of a malformed message id', { method: 'PATCH', url: '/api/dm/messages/0x10/', payload: { content: 'x' } }],
      ['a reaction that is no emoji', { method: 'PUT', url: `/api/dm/messages/${message.id}/reactions/abc/` }],
      ['a mark-read up to a fraction', { method: 'POST', url: `/api/dm/conversations/${bob.id}/read/`, payload: { up_to: 1.5 } }]
    ]
    for (const [what, options] of malformed) {
      const res = await as(app, ghost, options)
      t.equal(res.statusCode, 400, `${what}: 400 as for anyone (${res.body.slice(0, 120)})`)
    }
    const wellFormed: Array<[string, InjectOptions]> = [
      ['a send the policy refuses', { method: 'POST', url: `/api/dm/send/${carol.id}/`, payload: { content: 'x' } }],
      ['a send', { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: { content: 'x' } }],
      ['a reply to a message it no longer sees', { method: 'POST', url: `/api/dm/send/${bob.id}/`, payload: { content: 'x', reply_to: message.id } }],
      ['a read of a conversation with unknown users', { method: 'POST', url: `/api/dm/conversations/${userIdType === 'string' ? 'nobody' : 2_000_000}/read/` }],
      ['a reaction to the message it received', { method: 'PUT', url: `/api/dm/messages/${message.id}/reactions/${encodeURIComponent('❤️')}/` }]
    ]
    for (const [what, options] of wellFormed) {
      const res = await as(app, ghost, options)
      t.equal(res.statusCode, 401, `${what}: 401 (${res.body.slice(0, 120)})`)
      t.equal(res.json<{ code?: string }>().code, 'FST_DM_UNKNOWN_CALLER', `${what}: FST_DM_UNKNOWN_CALLER`)
    }
    t.equal(await count(), stored, 'nothing was stored')
  }, { userIdType })
}

// Attachments: every part a client sends — the declaration, the upload's URL and bytes, the ids a
// send names, the id in a path — answered with a 4xx and a code, never a 500, nothing stored.
forEachPath(t, 'bad input to attachments', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob] = await createUsers(app, 'alice', 'bob') as [TestUser, TestUser]
  const rows = async (): Promise<number> => Number((await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM dm_attachment'))[0]?.n)
  const messages = async (): Promise<number> => Number((await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM dm_message'))[0]?.n)
  const clear = (res: LightMyRequestResponse, label: string): void => {
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${label}: a 4xx (${res.statusCode} ${res.body.slice(0, 120)})`)
    t.match(res.json(), { code: String, message: String }, `${label}: a code and a message`)
  }

  await t.test('declarations of every wrong shape', async (t) => {
    const before = await rows()
    const bodies: unknown[] = [
      {}, [], null, 'a.png', { name: 'a.png' }, { name: 1, content_type: 'image/png', size: 10 }, { name: ['a'], content_type: 'image/png', size: 10 },
      { name: 'a.png', content_type: 5, size: 10 }, { name: 'a.png', content_type: 'image/png', size: '10' }, { name: 'a.png', content_type: 'image/png', size: null },
      { name: 'a.png', content_type: 'image/png', size: 1e300 }, { name: 'a.png', content_type: 'image/png', size: Number.MAX_SAFE_INTEGER + 2 },
      { name: 'a.png', content_type: 'image/png\r\nx-evil: 1', size: 10 },
      { name: 'a.png', content_type: 'x'.repeat(300) + '/png', size: 10 }, { name: '\ud800.png', content_type: 'image/png', size: 10 },
      { name: ' ', content_type: 'image/png', size: 10 }, { name: 'a.png', content_type: '*/*', size: 10 }
    ]
    for (const payload of bodies) clear(await as(app, alice, { method: 'POST', url: '/api/dm/attachments/', payload: payload as object }), `POST /attachments/ ${JSON.stringify(payload)?.slice(0, 60)}`)
    t.equal(await rows(), before, 'no row stored')
  })

  await t.test('upload URLs and ids in paths of every wrong shape', async (t) => {
    const declared = (await as(app, alice, { method: 'POST', url: '/api/dm/attachments/', payload: { name: 'a.txt', content_type: 'text/plain', size: 5 } })).json<{ id: string, upload: { url: string } }>()
    const path = `/api/dm/attachments/${declared.id}/upload`
    const queries = ['', '?expires=', '?expires=abc&signature=x', '?expires=99999999999999999999&signature=x', '?expires=1&expires=2&signature=x', `?${'x'.repeat(5000)}=1`]
    for (const query of queries) clear(await app.inject({ method: 'PUT', url: `${path}${query}`, headers: { 'content-type': 'text/plain' }, payload: 'hello' }), `PUT upload ${query.slice(0, 40)}`)
    for (const id of ['x', '../../etc/passwd', '%00', 'A'.repeat(26), 'é'.repeat(26), '1'.repeat(64)]) {
      const encoded = encodeURIComponent(id)
      clear(await as(app, alice, { method: 'GET', url: `/api/dm/attachments/${encoded}/` }), `GET /attachments/${id.slice(0, 20)}/`)
      clear(await app.inject({ method: 'GET', url: `/api/dm/attachments/${encoded}/file?expires=9999999999&signature=x` }), `GET /attachments/${id.slice(0, 20)}/file`)
      clear(await app.inject({ method: 'PUT', url: `/api/dm/attachments/${encoded}/upload?expires=9999999999&signature=x`, payload: 'x' }), `PUT /attachments/${id.slice(0, 20)}/upload`)
    }
  })

  await t.test('sends naming attachments of every wrong shape: 400 FST_DM_INVALID_ATTACHMENT, no message', async (t) => {
    const before = await messages()
    const values: unknown[] = [{}, 'abc', 1, true, [null], [[]], [{}], [1], ['x'.repeat(10_000)], Array.from({ length: 1000 }, () => 'aaaaaaaaaaaaaaaaaaaaaaaaaa')]
    for (const attachments of values) {
      for (const url of [`/api/dm/send/${bob.id}/`, `/api/dm/conversations/${bob.id}/`]) {
        const res = await as(app, alice, { method: 'POST', url, payload: { content: 'x', attachments } })
        t.equal(res.statusCode, 400, `${url} attachments ${JSON.stringify(attachments).slice(0, 40)}`)
        t.equal(res.json<{ code: string }>().code, 'FST_DM_INVALID_ATTACHMENT')
      }
    }
    t.equal(await messages(), before, 'no message stored')
  })
})
