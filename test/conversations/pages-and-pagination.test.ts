// Cursor pagination, as in the reference's contract: 50 per page, newest first, absolute `next`/`previous` links that are
// null at the ends, and following `next` until null yields every item exactly once when nothing
// changes. On SQLite, PostgreSQL and MariaDB.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { Test } from 'tap'
import { forEachDatabase, openDatabase } from '../helpers/databases.js'
import { host } from '../helpers/host.js'
import {
  as, createUser, createUsers, getJson, pathOf, send, startApp,
  type MessageJson, type PageJson, type PartnerJson, type TestUser
} from '../helpers/app.js'

const PAGE = 50

/** Runs `count` tasks, `size` at a time, and answers their results in task order. */
async function batched<T> (count: number, size: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = []
  for (let start = 0; start < count; start += size) {
    const indexes = Array.from({ length: Math.min(size, count - start) }, (_, i) => start + i)
    results.push(...await Promise.all(indexes.map(task)))
  }
  return results
}

/** Asserts the shape of a page's links: absolute http URLs with a cursor, on `path`, or null. */
function checkLinks (t: Test, page: PageJson<unknown>, path: string, name: string): void {
  for (const [which, link] of [['next', page.next], ['previous', page.previous]] as const) {
    if (link === null) continue
    t.ok(link.startsWith('http://'), `${name}: ${which} is an absolute URL`, { link })
    t.ok(link.includes('?cursor='), `${name}: ${which} carries ?cursor=`, { link })
    t.equal(new URL(link).pathname, path, `${name}: ${which} stays on ${path}`)
  }
}

/**
 * Follows `direction` links from `first` until null (or a safety bound), answering every page in
 * the order visited, `first` included.
 */
async function walk<T> (app: FastifyInstance, user: TestUser, first: PageJson<T>, direction: 'next' | 'previous'): Promise<Array<PageJson<T>>> {
  const pages = [first]
  let link = first[direction]
  while (link !== null) {
    if (pages.length > 100) throw new Error(`more than 100 pages following ${direction}`)
    const page = await getJson<PageJson<T>>(app, user, pathOf(link))
    pages.push(page)
    link = page[direction]
  }
  return pages
}

const ids = (page: PageJson<{ id: number }>): number[] => page.results.map((item) => item.id)

function duplicates (values: number[]): number[] {
  const seen = new Set<number>()
  return values.filter((value) => seen.has(value) || (seen.add(value), false))
}

function strictlyDecreasing (values: number[]): boolean {
  return values.every((value, i) => i === 0 || (values[i - 1] as number) > value)
}

type ConversationJson = PartnerJson & { unread_count: number, last_message: MessageJson | null }

function post (app: FastifyInstance, user: TestUser, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return as(app, user, { method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
}

function del (app: FastifyInstance, user: TestUser, url: string): Promise<LightMyRequestResponse> {
  return as(app, user, { method: 'DELETE', url })
}

function conversations (app: FastifyInstance, user: TestUser, query = ''): Promise<PageJson<ConversationJson>> {
  return getJson<PageJson<ConversationJson>>(app, user, `/api/dm/conversations/${query}`)
}

/** Follows `next` links from `url`, checking each keeps `page_size`; answers the pages. */
async function walkKeeping<T> (t: Test, app: FastifyInstance, user: TestUser, url: string, pageSize: number): Promise<Array<PageJson<T>>> {
  const pages: Array<PageJson<T>> = []
  let next: string | null = url
  while (next !== null && pages.length < 50) {
    const page: PageJson<T> = await getJson<PageJson<T>>(app, user, next)
    pages.push(page)
    for (const link of [page.next, page.previous]) {
      if (link !== null) t.equal(new URL(link).searchParams.get('page_size'), String(pageSize), `${url}: links keep page_size`)
    }
    next = page.next === null ? null : pathOf(page.next)
  }
  return pages
}

forEachDatabase(t, 'pagination', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, zoe] = await createUsers(app, 'alice', 'bob', 'zoe')
  if (alice === undefined || bob === undefined || zoe === undefined) throw new Error('users')

  // A conversation of 120 messages, both directions, sent through the API ten at a time.
  const sent = await batched(120, 10, (i) => i % 3 === 0 ? send(app, bob, alice, `message ${i}`) : send(app, alice, bob, `message ${i}`))
  const sentIds = sent.map((message) => message.id).sort((a, b) => b - a)
  const conversationPath = `/api/dm/conversations/${bob.id}/`

  await t.test('an empty conversation or list is one page: {next: null, previous: null, results: []}', async (t) => {
    for (const url of [`/api/dm/conversations/${zoe.id}/`, `/api/dm/conversations/${zoe.id}`]) {
      t.same(await getJson(app, alice, url), { next: null, previous: null, results: [] }, `alice with zoe: ${url}`)
    }
    t.same(await getJson(app, zoe, '/api/dm/conversations/'), { next: null, previous: null, results: [] }, 'zoe has no conversations')
    t.same(await getJson(app, zoe, '/api/dm/conversations'), { next: null, previous: null, results: [] }, 'without the slash')
  })

  // Regression: links kept only page_size, so a client walking with ?mark_read=false marked
  // everything read from page two on.
  await t.test('next and previous links keep every query parameter but the cursor (mark_read=false stays false)', async (t) => {
    const unreadBefore = (await getJson<{ count: number }>(app, bob, '/api/dm/unread/')).count
    t.ok(unreadBefore > 0, 'bob has unread messages from alice')
    let url: string | null = `/api/dm/conversations/${alice.id}/?mark_read=false&page_size=30`
    const pages: Array<PageJson<MessageJson>> = []
    while (url !== null) {
      const page: PageJson<MessageJson> = await getJson<PageJson<MessageJson>>(app, bob, url)
      pages.push(page)
      for (const link of [page.next, page.previous]) {
        if (link === null) continue
        const query = new URL(link).searchParams
        t.equal(query.get('mark_read'), 'false', 'mark_read=false is kept')
        t.equal(query.get('page_size'), '30', 'page_size is kept')
        t.equal(query.getAll('cursor').length, 1, 'one cursor')
      }
      url = page.next === null ? null : pathOf(page.next)
    }
    t.same(pages.map((page) => page.results.length), [30, 30, 30, 30], 'every page of 30')
    t.ok(pages.flatMap((page) => page.results).every((message) => message.direction === 'out' || message.read_at === null), 'nothing was shown read')
    t.equal((await getJson<{ count: number }>(app, bob, '/api/dm/unread/')).count, unreadBefore, 'nothing was marked read')
    const back = await getJson<PageJson<MessageJson>>(app, bob, pathOf(pages[2]?.previous as string))
    t.same(back.results.map((message) => message.id), pages[1]?.results.map((message) => message.id), 'previous with the kept parameters gives the page before')
    t.equal((await getJson<{ count: number }>(app, bob, '/api/dm/unread/')).count, unreadBefore, 'still nothing marked read')
  })

  await t.test('following next through 120 messages: pages of 50, 50, 20, newest first, each once', async (t) => {
    t.equal(new Set(sentIds).size, 120, '120 messages were sent')
    const first = await getJson<PageJson<MessageJson>>(app, alice, conversationPath)
    t.equal(first.previous, null, 'the first page has no previous')
    t.not(first.next, null, 'the first page has a next')
    const pages = await walk(app, alice, first, 'next')
    t.same(pages.map((page) => page.results.length), [50, 50, 20], 'pages of 50, 50, 20')
    pages.forEach((page, i) => checkLinks(t, page, conversationPath, `page ${i + 1}`))
    t.equal(pages.at(-1)?.next, null, 'the last page has no next')
    t.ok(pages.slice(1).every((page) => page.previous !== null), 'every later page has a previous')
    const all = pages.flatMap(ids)
    t.ok(strictlyDecreasing(all), 'ids strictly decrease within and across pages')
    t.same(duplicates(all), [], 'no message twice')
    t.same(all, sentIds, 'all 120 exactly once, newest first')
    t.ok(pages.flatMap((page) => page.results).every((m) => (m.direction === 'out') === (m.sender === alice.id)), 'directions are alice\'s')
  })

  await t.test('following previous back from the last page gives the same pages in reverse', async (t) => {
    const forward = await walk(app, alice, await getJson<PageJson<MessageJson>>(app, alice, conversationPath), 'next')
    const last = forward.at(-1)
    if (last === undefined) throw new Error('no pages')
    const backward = await walk(app, alice, last, 'previous')
    t.same(backward.map(ids), [...forward].reverse().map(ids), 'the same pages, last to first')
    t.same(backward.map((page) => page.results), [...forward].reverse().map((page) => page.results), 'the same messages')
    t.equal(backward.at(-1)?.previous, null, 'back at the first page, previous is null')
    t.not(backward.at(-1)?.next, null, 'and next is not')
    backward.forEach((page, i) => checkLinks(t, page, conversationPath, `backward page ${i + 1}`))
    // The first page reached backwards leads forward again to the same second page.
    const again = await walk(app, alice, backward.at(-1) as PageJson<MessageJson>, 'next')
    t.same(again.map(ids), forward.map(ids), 'and forward again')
  })

  await t.test('links from a URL without the trailing slash keep the path without it', async (t) => {
    const path = `/api/dm/conversations/${alice.id}`
    const first = await getJson<PageJson<MessageJson>>(app, bob, path)
    checkLinks(t, first, path, 'first page')
    const middle = await getJson<PageJson<MessageJson>>(app, bob, pathOf(first.next as string))
    t.equal(middle.results.length, 50)
    checkLinks(t, middle, path, 'middle page')
    t.not(middle.next, null)
    t.not(middle.previous, null)
    const pages = await walk(app, bob, first, 'next')
    pages.forEach((page, i) => checkLinks(t, page, path, `page ${i + 1}`))
    t.same(pages.flatMap(ids), sentIds, 'bob sees the same 120, each once')
    const listPath = '/api/dm/conversations'
    t.match(await getJson(app, bob, listPath), { next: null, previous: null, results: [{ id: alice.id, username: 'alice', first_name: '', last_name: '' }] }, 'the list without the slash')
  })

  await t.test('a page boundary: exactly 50 messages is one page; one more makes two', async (t) => {
    const [left, right] = await createUsers(app, 'left', 'right')
    if (left === undefined || right === undefined) throw new Error('users')
    const fifty = await batched(50, 10, (i) => send(app, i % 2 === 0 ? left : right, i % 2 === 0 ? right : left, `b ${i}`))
    const path = `/api/dm/conversations/${right.id}/`
    const only = await getJson<PageJson<MessageJson>>(app, left, path)
    t.equal(only.results.length, 50)
    t.equal(only.next, null, '50 messages: no next')
    t.equal(only.previous, null, '50 messages: no previous')
    const extra = await send(app, right, left, 'the 51st')
    const first = await getJson<PageJson<MessageJson>>(app, left, path)
    t.equal(first.results[0]?.id, extra.id, 'the new message leads')
    const pages = await walk(app, left, first, 'next')
    t.same(pages.map((page) => page.results.length), [50, 1], '51 messages: 50 and 1')
    t.same(pages.flatMap(ids), [extra.id, ...fifty.map((m) => m.id).sort((a, b) => b - a)], 'each once, newest first')
    const back = await walk(app, left, pages.at(-1) as PageJson<MessageJson>, 'previous')
    t.same(back.map(ids), [...pages].reverse().map(ids), 'and back')

    // The only message of page 2 is deleted between two requests: page 2 is empty, not an error,
    // and its previous link leads back to page 1.
    const oldest = pages[1]?.results[0]?.id as number
    t.equal((await as(app, left, { method: 'DELETE', url: `/api/dm/messages/${oldest}/` })).statusCode, 204)
    const empty = await getJson<PageJson<MessageJson>>(app, left, pathOf(first.next as string))
    t.same(empty.results, [], 'the emptied page has no results')
    t.equal(empty.next, null, 'and no next')
    t.not(empty.previous, null, 'but a previous')
    const backAgain = await getJson<PageJson<MessageJson>>(app, left, pathOf(empty.previous as string))
    t.same(ids(backAgain), ids(first), 'which is page 1 again')
    t.equal(backAgain.previous, null, 'the first page, with no previous')
    // Reached backwards, the page cannot know that nothing older is left; its next may lead to an
    // empty last page, but never to a message again.
    const after = await walk(app, left, backAgain, 'next')
    t.same(after.slice(1).flatMap(ids), [], 'nothing older is left')
  })

  await t.test('deleted messages vanish from the deleter\'s pages, not from the partner\'s', async (t) => {
    // Delete across the page boundaries: newest, 50th, 51st, 100th, 101st and the oldest.
    const doomed = [0, 49, 50, 99, 100, 119].map((i) => sentIds[i] as number)
    for (const id of doomed) {
      const res = await as(app, alice, { method: 'DELETE', url: `/api/dm/messages/${id}/` })
      t.equal(res.statusCode, 204, `delete ${id}`)
    }
    const kept = sentIds.filter((id) => !doomed.includes(id))
    const pages = await walk(app, alice, await getJson<PageJson<MessageJson>>(app, alice, conversationPath), 'next')
    t.same(pages.map((page) => page.results.length), [50, 50, 14], 'alice: pages of 50, 50, 14')
    t.same(pages.flatMap(ids), kept, 'alice: every remaining message once, newest first, none of the deleted')
    const back = await walk(app, alice, pages.at(-1) as PageJson<MessageJson>, 'previous')
    t.same(back.map(ids), [...pages].reverse().map(ids), 'alice: the same pages backwards')
    const bobPages = await walk(app, bob, await getJson<PageJson<MessageJson>>(app, bob, `/api/dm/conversations/${alice.id}/`), 'next')
    t.same(bobPages.map((page) => page.results.length), [50, 50, 20], 'bob: still 50, 50, 20')
    t.same(bobPages.flatMap(ids), sentIds, 'bob: all 120, the deleted ones included')
  })

  // A user with 60 conversation partners, each created through POST /users with one message.
  const hub = await createUser(app, 'hub')
  const partners = await batched(60, 10, (i) => createUser(app, `partner${String(i).padStart(2, '0')}`))
  const greetings = await batched(60, 10, (i) => {
    const partner = partners[i] as TestUser
    return i % 2 === 0 ? send(app, hub, partner, `hello ${partner.username}`) : send(app, partner, hub, `hi hub from ${partner.username}`)
  })
  const byId = new Map(partners.map((partner) => [partner.id, partner]))
  /** Partner ids, most recent activity first. */
  const recency = partners.map((partner, i) => ({ partner: partner.id, last: (greetings[i] as MessageJson).id }))
    .sort((a, b) => b.last - a.last).map((entry) => entry.partner)

  await t.test('the conversation list of 60 partners: pages of 50 and 10, most recent first, each once', async (t) => {
    const first = await getJson<PageJson<PartnerJson>>(app, hub, '/api/dm/conversations/')
    t.equal(first.previous, null, 'the first page has no previous')
    const pages = await walk(app, hub, first, 'next')
    t.same(pages.map((page) => page.results.length), [50, 10], 'pages of 50 and 10')
    pages.forEach((page, i) => checkLinks(t, page, '/api/dm/conversations/', `page ${i + 1}`))
    t.equal(pages.at(-1)?.next, null, 'the last page has no next')
    const all = pages.flatMap(ids)
    t.same(duplicates(all), [], 'no partner twice')
    t.same(all, recency, 'every partner once, most recent activity first')
    t.ok(pages.flatMap((page) => page.results).every((p) => p.username === byId.get(p.id)?.username), 'with their usernames')
    const back = await walk(app, hub, pages.at(-1) as PageJson<PartnerJson>, 'previous')
    t.same(back.map(ids), [...pages].reverse().map(ids), 'previous walks back to the first page')
    t.equal(back.at(-1)?.previous, null, 'which has no previous')
    const bare = await walk(app, hub, await getJson<PageJson<PartnerJson>>(app, hub, '/api/dm/conversations'), 'next')
    bare.forEach((page, i) => checkLinks(t, page, '/api/dm/conversations', `no-slash page ${i + 1}`))
    t.same(bare.flatMap(ids), recency, 'the same without the trailing slash')
  })

  await t.test('new messages while paging move conversations to the front without duplicating or dropping the rest', async (t) => {
    const first = await getJson<PageJson<PartnerJson>>(app, hub, '/api/dm/conversations/')
    t.same(ids(first), recency.slice(0, PAGE))
    // One conversation already seen (in the middle of page 1) and one not yet seen (on page 2) get news.
    const seenBefore = recency[20] as number
    const unseenBefore = recency[55] as number
    await send(app, byId.get(seenBefore) as TestUser, hub, 'news from a conversation on page 1')
    await send(app, hub, byId.get(unseenBefore) as TestUser, 'news in a conversation on page 2')
    const forward = await walk(app, hub, first, 'next')
    const forwardIds = forward.flatMap(ids)
    t.same(duplicates(forwardIds), [], 'following next shows no partner twice')
    const unmoved = recency.filter((id) => id !== seenBefore && id !== unseenBefore)
    t.same(forwardIds.filter((id) => unmoved.includes(id)), unmoved, 'every partner that did not move: exactly once, in order')
    t.equal(forwardIds.filter((id) => id === seenBefore).length, 1, 'the moved conversation already seen is not shown again')
    // Walking back from the end reaches the front of the list, where the moved conversations now are.
    const backward = await walk(app, hub, forward.at(-1) as PageJson<PartnerJson>, 'previous')
    const backwardIds = backward.slice(1).flatMap(ids)
    t.same(duplicates(backward.flatMap(ids)), [], 'following previous shows no partner twice')
    t.equal(backward.at(-1)?.results[0]?.id, unseenBefore, 'previous reaches the front, where the newest news is')
    t.equal(backward.at(-1)?.previous, null, 'and ends there')
    t.ok(backwardIds.includes(seenBefore) && backwardIds.includes(unseenBefore), 'both moved conversations appear walking back')
    const everything = new Set([...forwardIds, ...backward.flatMap(ids)])
    t.same(recency.filter((id) => !everything.has(id)), [], 'every partner seen at least once')
    const fresh = await walk(app, hub, await getJson<PageJson<PartnerJson>>(app, hub, '/api/dm/conversations/'), 'next')
    const freshIds = fresh.flatMap(ids)
    t.same(freshIds, [unseenBefore, seenBefore, ...unmoved], 'a fresh walk: the two moved to the front, newest first, then the rest')
    t.same(fresh.map((page) => page.results.length), [50, 10])
  })

  await t.test('a conversation whose messages the owner deleted leaves the owner\'s list, not the partner\'s', async (t) => {
    const before = (await walk(app, hub, await getJson<PageJson<PartnerJson>>(app, hub, '/api/dm/conversations/'), 'next')).flatMap(ids)
    const gone = before[PAGE] as number // the first partner of page 2
    const greeting = greetings[partners.findIndex((partner) => partner.id === gone)] as MessageJson
    const res = await as(app, hub, { method: 'DELETE', url: `/api/dm/messages/${greeting.id}/` })
    t.equal(res.statusCode, 204)
    const pages = await walk(app, hub, await getJson<PageJson<PartnerJson>>(app, hub, '/api/dm/conversations/'), 'next')
    t.same(pages.map((page) => page.results.length), [50, 9], 'hub: 59 partners, 50 and 9')
    t.same(pages.flatMap(ids), before.filter((id) => id !== gone), 'hub: the others each once, in the same order')
    const theirs = await getJson<PageJson<PartnerJson>>(app, byId.get(gone) as TestUser, '/api/dm/conversations/')
    t.same(ids(theirs), [hub.id], 'the partner still lists hub')
    const conversation = await getJson<PageJson<MessageJson>>(app, byId.get(gone) as TestUser, `/api/dm/conversations/${hub.id}/`)
    t.same(ids(conversation), [greeting.id], 'and still sees the message')
  })
})

// page_size on the three paged lists, over the conversation list's scene (its entries are checked
// in conversation-list.test.ts): four partners, one message deleted by alice, one by its sender.
forEachDatabase(t, 'page_size', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())
  const [alice, bob, carol, dave, erin] = await createUsers(app, 'alice', 'bob', 'carol', 'dave', 'erin') as [TestUser, TestUser, TestUser, TestUser, TestUser]
  const hide = async (user: TestUser, id: number): Promise<void> => {
    const res = await del(app, user, `/api/dm/messages/${id}/`)
    if (res.statusCode !== 204) throw new Error(`hiding message ${id}: ${res.statusCode} ${res.body}`)
  }
  await send(app, bob, alice, 'b1')
  await send(app, bob, alice, 'b2')
  await send(app, alice, carol, 'to carol')
  await send(app, dave, alice, 'd1')
  await getJson(app, alice, `/api/dm/conversations/${dave.id}/`)
  await hide(alice, (await send(app, alice, dave, 'to dave, then deleted by alice')).id)
  await hide(erin, (await send(app, erin, alice, 'e1, deleted by erin')).id)

  await t.test('page_size 1 and 100 work and links keep it; 0, 101 and x are 400', async (t) => {
    const full = await conversations(app, alice)
    const pages = await walkKeeping<ConversationJson>(t, app, alice, '/api/dm/conversations/?page_size=1', 1)
    t.same(pages.map((page) => page.results.length), [1, 1, 1, 1], 'one entry per page')
    t.same(pages.flatMap((page) => page.results), full.results, 'walking next gives the whole list')
    const hundred = await conversations(app, alice, '?page_size=100')
    t.same(hundred, full, 'page_size=100')

    t.equal((await post(app, alice, `/api/dm/blocks/${carol.id}/`)).statusCode, 201)
    t.equal((await post(app, alice, `/api/dm/blocks/${dave.id}/`)).statusCode, 201)
    const blockPages = await walkKeeping<PartnerJson>(t, app, alice, '/api/dm/blocks/?page_size=1', 1)
    t.same(blockPages.flatMap((page) => page.results.map((p) => p.id)), [dave.id, carol.id], '/blocks/ with page_size=1')
    t.same((await getJson<PageJson<PartnerJson>>(app, alice, '/api/dm/blocks/?page_size=100')).results.map((p) => p.id), [dave.id, carol.id])

    const messagePages = await walkKeeping<MessageJson>(t, app, alice, `/api/dm/conversations/${bob.id}/?page_size=1`, 1)
    t.same(messagePages.flatMap((page) => page.results.map((m) => m.content)), ['b2', 'b1'], '/conversations/<id>/ with page_size=1')
    t.equal((await getJson<PageJson<MessageJson>>(app, alice, `/api/dm/conversations/${bob.id}/?page_size=100`)).results.length, 2)

    for (const url of ['/api/dm/conversations/', `/api/dm/conversations/${bob.id}/`, '/api/dm/blocks/']) {
      for (const size of ['0', '101', 'x']) {
        const res = await as(app, alice, { method: 'GET', url: `${url}?page_size=${size}` })
        t.equal(res.statusCode, 400, `${url}?page_size=${size}`)
      }
    }
  })
})

t.test('cursorSecret on a bare host', async (t) => {
  const db = await openDatabase('sqlite', 'cursor_secret')
  t.teardown(() => db.close())
  const alice = await db.prisma.user.create({ data: { username: 'alice', firstName: 'Alice', lastName: 'A', token: 'a' } })

  await t.test('cursors signed with one secret are refused under another', async (t) => {
    for (let i = 0; i < 51; i++) await db.prisma.user.create({ data: { username: `p${i}`, firstName: '', lastName: '', token: `p${i}` } })
    const partners = await db.sql<{ id: number }>("SELECT id FROM app_user WHERE username LIKE 'p%'")
    const first = await host(db, { cursorSecret: 'first secret' })
    for (const { id } of partners) await first.directMessages.send(id, alice.id, 'hi')
    const page = (await first.inject({ method: 'GET', url: '/conversations/', headers: { 'x-user': String(alice.id) } })).json()
    t.type(page.next, 'string')
    const cursor = new URL(page.next).searchParams.get('cursor') ?? ''
    t.equal((await first.inject({ method: 'GET', url: `/conversations/?cursor=${encodeURIComponent(cursor)}`, headers: { 'x-user': String(alice.id) } })).statusCode, 200)
    await first.close()
    const second = await host(db, { cursorSecret: 'second secret' })
    const refused = await second.inject({ method: 'GET', url: `/conversations/?cursor=${encodeURIComponent(cursor)}`, headers: { 'x-user': String(alice.id) } })
    t.equal(refused.statusCode, 400)
    t.equal(refused.json().message, 'Invalid cursor')
    await second.close()
  })
})
