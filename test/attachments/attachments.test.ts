// Attachments through the plugin's routes with its default storage (local files): declare, upload,
// send, read, on SQLite, PostgreSQL and MariaDB, on both paths (Prisma and the driver). What is
// stored is what was declared; every refusal is a 4xx with its code and stores nothing; the bytes
// are served so that they never run as a page; unsending and deleting take the files with them.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import sharp from 'sharp'
import { forEachPath, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, getJson, startApp, type PageJson, type TestUser } from '../helpers/app.js'
import { declare, fetchSigned, pdf, png, put, sendWith, storedKeys, uploaded, type AttachmentJson, type UploadJson } from '../helpers/attachments.js'
import type { RichMessage } from '../helpers/rich-messages.js'
import type { UserId } from '../../src/index.js'

type User = TestUser<UserId>

async function scene (t: Test, db: TestDatabase, options: Record<string, unknown> = {}) {
  const directory = await mkdtemp(join(tmpdir(), 'dm-attachments-test-'))
  t.teardown(() => rm(directory, { recursive: true, force: true }))
  const app = await startApp(db, { directMessages: { attachmentsDirectory: directory, ...options } })
  t.teardown(() => app.close())
  const [alice, bob, carol] = await createUsers<UserId>(app, 'alice', 'bob', 'carol') as User[]
  return { app, directory, alice: alice as User, bob: bob as User, carol: carol as User }
}

const messageCount = async (db: TestDatabase): Promise<number> => Number((await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM dm_message'))[0]?.n)
const attachmentRows = async (db: TestDatabase): Promise<number> => Number((await query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM dm_attachment'))[0]?.n)

forEachPath(t, 'attachments', async (t, db) => {
  const { app, directory, alice, bob, carol } = await scene(t, db)
  const photo = await png(1600, 1200)
  const document = pdf()

  await t.test('a photo and a PDF: sent together, seen by both with URLs of their own, served as declared', async (t) => {
    const photoId = await uploaded(app, alice, 'holiday.png', 'image/png', photo)
    const pdfId = await uploaded(app, alice, 'ticket.pdf', 'application/pdf', document)
    const res = await sendWith(app, alice, bob, '', [photoId, pdfId])
    t.equal(res.statusCode, 201, res.body)
    const sent = res.json<RichMessage & { attachments: AttachmentJson[] }>()
    t.equal(sent.content, '', 'content may be empty with attachments')
    t.match(sent.attachments, [
      { id: photoId, name: 'holiday.png', content_type: 'image/png', size: photo.length, width: 1600, height: 1200, url: String, thumbnail_url: String },
      { id: pdfId, name: 'ticket.pdf', content_type: 'application/pdf', size: document.length, width: null, height: null, url: String, thumbnail_url: null }
    ], 'in the order sent, images measured')

    const page = await getJson<PageJson<RichMessage & { attachments: AttachmentJson[] }>>(app, bob, `/api/dm/conversations/${alice.id}/`)
    const seen = page.results[0]
    t.same(seen?.attachments.map((a) => a.id), [photoId, pdfId], 'the recipient\'s page carries them')
    const list = await getJson<PageJson<{ last_message: { attachments: AttachmentJson[] } }>>(app, bob, '/api/dm/conversations/')
    t.same(list.results[0]?.last_message.attachments.map((a) => a.id), [photoId, pdfId], 'so does the conversation list\'s last message')

    const [image, file] = seen?.attachments ?? []
    const bytes = await fetchSigned(app, image?.url as string)
    t.equal(bytes.statusCode, 200)
    t.ok(bytes.rawPayload.equals(photo), 'the photo\'s bytes, unchanged')
    t.equal(bytes.headers['content-type'], 'image/png')
    t.equal(bytes.headers['x-content-type-options'], 'nosniff')
    t.match(bytes.headers['content-security-policy'], /^sandbox/)
    t.match(bytes.headers['content-disposition'], /^inline/, 'an image of a safe type is shown inline')
    const thumbnail = await fetchSigned(app, image?.thumbnail_url as string)
    t.equal(thumbnail.statusCode, 200)
    const measured = await sharp(thumbnail.rawPayload).metadata()
    t.same([measured.width, measured.height], [320, 240], 'the thumbnail\'s longest side is 320 px')
    const served = await fetchSigned(app, file?.url as string)
    t.equal(served.headers['content-type'], 'application/pdf')
    t.match(served.headers['content-disposition'], /^attachment; filename="ticket.pdf"/, 'other files are downloads')
    t.match(served.headers['content-security-policy'], /^sandbox/)

    const part = await fetchSigned(app, file?.url as string, { range: 'bytes=5-14' })
    t.equal(part.statusCode, 206, 'Range requests work')
    t.equal(part.headers['content-range'], `bytes 5-14/${document.length}`)
    t.ok(part.rawPayload.equals(document.subarray(5, 15)))
    const tail = await fetchSigned(app, file?.url as string, { range: 'bytes=-6' })
    t.ok(tail.rawPayload.equals(document.subarray(-6)), 'a suffix range')
    t.equal((await fetchSigned(app, file?.url as string, { range: `bytes=${document.length}-` })).statusCode, 416, 'a range beyond the end: 416')

    const opened = await as(app, bob, { method: 'GET', url: `/api/dm/attachments/${pdfId}/` })
    t.equal(opened.statusCode, 302, 'GET /attachments/<id>/ redirects a participant')
    t.equal((await fetchSigned(app, opened.headers.location as string)).statusCode, 200, 'to a URL of the bytes')
    const foreign = await as(app, carol, { method: 'GET', url: `/api/dm/attachments/${pdfId}/` })
    const unknown = await as(app, carol, { method: 'GET', url: '/api/dm/attachments/aaaaaaaaaaaaaaaaaaaaaaaaaa/' })
    t.equal(foreign.statusCode, 404, 'anyone else: 404')
    t.same(foreign.json(), unknown.json(), 'exactly as an unknown id')

    const viaService = await app.directMessages.conversation(bob.id, alice.id)
    t.same(viaService.items[0]?.attachments.map((a) => a.id), [photoId, pdfId], 'the service API carries them')
  })

  await t.test('a forged or expired URL answers 403 and tells nothing of the file', async (t) => {
    const id = await uploaded(app, alice, 'a.pdf', 'application/pdf', document)
    const sent = (await sendWith(app, alice, bob, 'doc', [id])).json<{ attachments: AttachmentJson[] }>()
    const url = new URL(sent.attachments[0]?.url as string, 'http://x')
    const tampered = `${url.pathname}?expires=${Number(url.searchParams.get('expires')) + 60}&signature=${url.searchParams.get('signature') as string}`
    const past = `${url.pathname}?expires=1000&signature=${url.searchParams.get('signature') as string}`
    const other = `/api/dm/attachments/aaaaaaaaaaaaaaaaaaaaaaaaaa/file${url.search}`
    const answers = await Promise.all([tampered, past, other].map((u) => fetchSigned(app, u)))
    t.same(answers.map((a) => a.statusCode), [403, 403, 403])
    t.same(new Set(answers.map((a) => a.body)).size, 1, 'one answer, whether the file exists or not')
    t.equal(answers[0]?.json<{ code: string }>().code, 'FST_DM_INVALID_ATTACHMENT_URL')
  })

  await t.test('bad declarations: a 4xx with its code each, nothing stored', async (t) => {
    const before = await attachmentRows(db)
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ name: 'a.png', content_type: 'image/png', size: 0 }, 400, 'FST_DM_INVALID_UPLOAD'],
      [{ name: 'a.png', content_type: 'image/png', size: -1 }, 400, 'FST_DM_INVALID_UPLOAD'],
      [{ name: 'a.png', content_type: 'image/png', size: 1.5 }, 400, 'FST_DM_INVALID_UPLOAD'],
      [{ name: 'a.png', content_type: 'image/png', size: 25 * 1024 * 1024 + 1 }, 413, 'FST_DM_ATTACHMENT_TOO_LARGE'],
      [{ name: 'page.html', content_type: 'text/html', size: 10 }, 415, 'FST_DM_ATTACHMENT_TYPE_NOT_ALLOWED'],
      [{ name: 'x.svg', content_type: 'image/svg+xml', size: 10 }, 415, 'FST_DM_ATTACHMENT_TYPE_NOT_ALLOWED'],
      [{ name: 'a.png', content_type: 'not a type', size: 10 }, 400, 'FST_DM_INVALID_UPLOAD'],
      [{ name: 'x'.repeat(300), content_type: 'image/png', size: 10 }, 400, 'FST_DM_INVALID_UPLOAD'],
      [{ name: 'nul\u0000.png', content_type: 'image/png', size: 10 }, 400, 'FST_DM_INVALID_UPLOAD'],
      [{ name: 'bell\u0007.png', content_type: 'image/png', size: 10 }, 400, 'FST_DM_INVALID_UPLOAD'],
      [{ name: '', content_type: 'image/png', size: 10 }, 400, 'FST_DM_INVALID_UPLOAD']
    ]
    for (const [body, status, code] of cases) {
      const res = await declare(app, alice, body)
      t.equal(res.statusCode, status, `${JSON.stringify(body).slice(0, 80)}: ${res.body}`)
      t.equal(res.json<{ code: string }>().code, code)
    }
    t.equal(await attachmentRows(db), before, 'no row')
    t.equal((await declare(app, null as unknown as User, { name: 'a.png', content_type: 'image/png', size: 10 })).statusCode, 401, 'anonymous: 401')
  })

  await t.test('names are display text only: never a path', async (t) => {
    for (const name of ['../../etc/passwd', 'CON', '..\\..\\boot.ini', 'é🙂.pdf']) {
      const id = await uploaded(app, alice, name, 'application/pdf', document)
      const sent = (await sendWith(app, alice, bob, 'n', [id])).json<{ attachments: AttachmentJson[] }>()
      t.equal(sent.attachments[0]?.name, name, `${name}: kept as given`)
      const served = await fetchSigned(app, sent.attachments[0]?.url as string)
      t.ok(served.rawPayload.equals(document), `${name}: served by its id`)
    }
    const keys = await storedKeys(directory)
    t.ok(keys.every((key) => /^[ft]\/[a-z2-7]{26}$/.test(key)), `the storage holds keys made of ids only: ${keys.join(' ')}`)
  })

  await t.test('uploads: more bytes than declared 413, fewer 400, twice 409, another type header 400', async (t) => {
    const declared = (await declare(app, alice, { name: 'a.pdf', content_type: 'application/pdf', size: document.length })).json<UploadJson>()
    const tooMany = await put(app, declared.upload, Buffer.concat([document, Buffer.from('xx')]))
    t.equal(tooMany.statusCode, 413)
    t.equal(tooMany.json<{ code: string }>().code, 'FST_DM_ATTACHMENT_TOO_LARGE')
    const tooFew = await put(app, declared.upload, document.subarray(0, 10))
    t.equal(tooFew.statusCode, 400)
    t.equal(tooFew.json<{ code: string }>().code, 'FST_DM_INCOMPLETE_UPLOAD')
    const wrongType = await put(app, declared.upload, document, { 'content-type': 'text/plain' })
    t.equal(wrongType.statusCode, 400)
    t.equal((await put(app, declared.upload, document)).statusCode, 204, 'then the right bytes')
    const again = await put(app, declared.upload, document)
    t.equal(again.statusCode, 409, 'an upload URL is used once')
    t.equal(again.json<{ code: string }>().code, 'FST_DM_ALREADY_UPLOADED')
    const keys = await storedKeys(directory)
    t.notOk(keys.some((key) => key.startsWith('.')), 'no temporary file left behind')

    const fresh = (await declare(app, alice, { name: 'b.pdf', content_type: 'application/pdf', size: document.length })).json<UploadJson>()
    const url = new URL(fresh.upload.url, 'http://x')
    const expired = { ...fresh.upload, url: `${url.pathname}?expires=1000&signature=${url.searchParams.get('signature') as string}` }
    const late = await put(app, expired, document)
    t.equal(late.statusCode, 403, 'an upload URL past its time (or altered): 403')
    t.equal(late.json<{ code: string }>().code, 'FST_DM_INVALID_ATTACHMENT_URL')
    t.notOk((await storedKeys(directory)).some((key) => key.endsWith(fresh.id)), 'nothing stored')
  })

  await t.test('sends naming wrong attachments: 400 FST_DM_INVALID_ATTACHMENT, nothing stored', async (t) => {
    const bobs = await uploaded(app, bob, 'bob.pdf', 'application/pdf', document)
    const sentOnce = await uploaded(app, alice, 'once.pdf', 'application/pdf', document)
    t.equal((await sendWith(app, alice, bob, 'first', [sentOnce])).statusCode, 201)
    const neverUploaded = (await declare(app, alice, { name: 'n.pdf', content_type: 'application/pdf', size: 100 })).json<UploadJson>().id
    const html = Buffer.from('<html><script>alert(1)</script></html>')
    const fakePng = await uploaded(app, alice, 'cat.png', 'image/png', html)
    const good = await uploaded(app, alice, 'good.pdf', 'application/pdf', document)
    const messages = await messageCount(db)
    const cases: Array<[string, unknown]> = [
      ['an unknown id', ['aaaaaaaaaaaaaaaaaaaaaaaaaa']],
      ['a malformed id', ['../../etc/passwd']],
      ['a number', [42]],
      ['eleven', Array.from({ length: 11 }, () => good)],
      ['none', []],
      ['not a list', good],
      ['another user\'s upload', [bobs]],
      ['one sent already', [sentOnce]],
      ['one never uploaded', [neverUploaded]],
      ['a .png that is HTML', [fakePng]],
      ['the same twice', [good, good]],
      ['a good one with a bad one', [good, bobs]]
    ]
    for (const [label, attachments] of cases) {
      const res = await sendWith(app, alice, bob, 'x', attachments)
      t.equal(res.statusCode, 400, `${label}: ${res.body}`)
      t.equal(res.json<{ code: string }>().code, 'FST_DM_INVALID_ATTACHMENT', label)
    }
    t.equal(await messageCount(db), messages, 'no message stored')
    const foreign = await sendWith(app, alice, bob, 'x', [bobs])
    const unknown = await sendWith(app, alice, bob, 'x', ['bbbbbbbbbbbbbbbbbbbbbbbbbb'])
    t.equal(foreign.json<{ message: string }>().message.replace(bobs, 'ID'), unknown.json<{ message: string }>().message.replace('bbbbbbbbbbbbbbbbbbbbbbbbbb', 'ID'), 'another user\'s upload reads as an unknown one')
    t.notOk((await storedKeys(directory)).some((key) => key.endsWith(fakePng)), 'the HTML posing as a PNG was deleted')
    t.equal((await sendWith(app, alice, bob, 'now', [good])).statusCode, 201, 'the good one is still sendable')
  })

  await t.test('a send retried with its Idempotency-Key answers the same message, attachments included', async (t) => {
    const id = await uploaded(app, alice, 'retry.pdf', 'application/pdf', document)
    const headers = { 'idempotency-key': `retry-${id}` }
    const first = await as(app, alice, { method: 'POST', url: `/api/dm/send/${bob.id}/`, headers, payload: { content: 'once', attachments: [id] } })
    const again = await as(app, alice, { method: 'POST', url: `/api/dm/send/${bob.id}/`, headers, payload: { content: 'once', attachments: [id] } })
    t.equal(first.statusCode, 201)
    t.equal(again.statusCode, 201, 'the retry is answered, not refused as "sent already"')
    t.equal(again.json<{ id: number }>().id, first.json<{ id: number }>().id, 'the same message')
    t.same(again.json<{ attachments: AttachmentJson[] }>().attachments.map((a) => a.id), [id])
    const other = await uploaded(app, alice, 'other.pdf', 'application/pdf', document)
    const conflict = await as(app, alice, { method: 'POST', url: `/api/dm/send/${bob.id}/`, headers, payload: { content: 'once', attachments: [other] } })
    t.equal(conflict.statusCode, 409, 'the key with other attachments: 409')
  })

  await t.test('unsend deletes the files; a message both deleted loses them; a deleted user\'s go with their messages', async (t) => {
    const a = await uploaded(app, alice, 'a.png', 'image/png', await png(50, 40))
    const unsent = (await sendWith(app, alice, bob, 'oops', [a])).json<RichMessage & { attachments: AttachmentJson[] }>()
    const url = unsent.attachments[0]?.url as string
    t.equal((await as(app, alice, { method: 'POST', url: `/api/dm/messages/${unsent.id}/unsend/` })).statusCode, 204)
    t.notOk((await storedKeys(directory)).some((key) => key.endsWith(a)), 'its file and thumbnail are gone from the storage')
    t.equal((await fetchSigned(app, url)).statusCode, 404, 'its URL answers 404')
    const page = await getJson<PageJson<RichMessage & { attachments: AttachmentJson[] }>>(app, bob, `/api/dm/conversations/${alice.id}/`)
    t.same(page.results.find((m) => m.id === unsent.id)?.attachments, [], 'the tombstone carries none')

    const b = await uploaded(app, alice, 'b.pdf', 'application/pdf', document)
    const both = (await sendWith(app, alice, carol, 'doc', [b])).json<{ id: number }>()
    t.equal((await as(app, alice, { method: 'DELETE', url: `/api/dm/messages/${both.id}/` })).statusCode, 204)
    t.ok((await storedKeys(directory)).some((key) => key.endsWith(b)), 'one participant deleted it: the other still reads it')
    t.equal((await as(app, carol, { method: 'DELETE', url: `/api/dm/conversations/${alice.id}/` })).statusCode, 204)
    t.notOk((await storedKeys(directory)).some((key) => key.endsWith(b)), 'both deleted it: gone')
  })
})

forEachPath(t, 'attachments, string ids', async (t, db) => {
  const { app, alice, bob } = await scene(t, db)
  const id = await uploaded(app, alice, 'p.png', 'image/png', await png(10, 10))
  const res = await sendWith(app, alice, bob, 'hi', [id])
  t.equal(res.statusCode, 201, res.body)
  t.match(res.json<{ attachments: AttachmentJson[] }>().attachments, [{ id, width: 10, height: 10 }])
  t.equal((await as(app, bob, { method: 'GET', url: `/api/dm/attachments/${id}/` })).statusCode, 302)
}, { userIdType: 'string' })
