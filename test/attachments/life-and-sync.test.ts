// The life of attachments beyond one request: uploads never sent are deleted after
// attachmentUploadTtl, a deleted user's files go with their messages, a storage that is down at
// send answers 503 and stores nothing, the host's scanner runs before the message exists; events,
// streams and replays carry attachments, each viewer with URLs of their own. And the same life on
// a real S3-compatible server, where the bytes never pass through the application: nothing is left
// in the bucket afterwards.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { forEachDatabase, openDatabase, query, type TestDatabase } from '../helpers/databases.js'
import { as, createUsers, startApp, type TestUser } from '../helpers/app.js'
import { declare, fetchSigned, pdf, png, sendWith, storedKeys, uploaded, type AttachmentJson, type UploadJson } from '../helpers/attachments.js'
import { startS3, listObjects } from '../helpers/s3.js'
import { streamOf, openStream } from '../helpers/sse.js'
import { eventually } from '../helpers/wait.js'
import { localStorage, s3Storage, type AttachmentStorage, type DirectMessagesOptions, type MessageSentEvent, type UserId } from '../../src/index.js'

type User = TestUser<UserId>

async function folder (t: Test): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'dm-attachments-life-'))
  t.teardown(() => rm(directory, { recursive: true, force: true }))
  return directory
}

async function scene (t: Test, db: TestDatabase, options: Partial<DirectMessagesOptions>) {
  const app = await startApp(db, { directMessages: options })
  t.teardown(() => app.close())
  const [alice, bob, carol] = await createUsers<UserId>(app, 'alice', 'bob', 'carol') as User[]
  return { app, alice: alice as User, bob: bob as User, carol: carol as User }
}

/** A local storage that can be switched off, as a disk or a network share that fails. */
function switchable (storage: AttachmentStorage): AttachmentStorage & { down: boolean } {
  const fail = (): never => { throw Object.assign(new Error('storage unreachable'), { code: 'EIO' }) }
  const wrapped = {
    down: false,
    name: storage.name,
    uploadRequest: async (...args: Parameters<AttachmentStorage['uploadRequest']>) => wrapped.down ? fail() : await storage.uploadRequest(...args),
    downloadUrl: async (...args: Parameters<AttachmentStorage['downloadUrl']>) => wrapped.down ? fail() : await storage.downloadUrl(...args),
    write: async (...args: Parameters<AttachmentStorage['write']>) => wrapped.down ? fail() : await storage.write(...args),
    read: async (...args: Parameters<AttachmentStorage['read']>) => wrapped.down ? fail() : await storage.read(...args),
    size: async (...args: Parameters<AttachmentStorage['size']>) => wrapped.down ? fail() : await storage.size(...args),
    move: async (...args: Parameters<AttachmentStorage['move']>) => wrapped.down ? fail() : await storage.move(...args),
    delete: async (...args: Parameters<AttachmentStorage['delete']>) => wrapped.down ? fail() : await storage.delete(...args),
    list: () => storage.list()
  }
  return wrapped
}

const count = async (db: TestDatabase, table: string): Promise<number> => Number((await query<{ n: number }>(db, `SELECT COUNT(*) AS n FROM ${table}`))[0]?.n)

forEachDatabase(t, 'the life of attachments', async (t, db) => {
  const directory = await folder(t)
  const storage = switchable(localStorage({ directory }))
  const scanned: Array<{ name: string, messagesThen: number }> = []
  const { app, alice, bob, carol } = await scene(t, db, {
    storage,
    attachmentUploadTtl: 2000,
    scanAttachment: async (attachment) => {
      scanned.push({ name: attachment.name, messagesThen: await count(db, 'dm_message') })
      const head = (await (await attachment.read()).toArray()).map((chunk) => Buffer.from(chunk as Buffer)).join('')
      return head.includes('EICAR') ? 'a virus was found' : true
    }
  })
  const document = pdf()

  await t.test('the scanner runs before the message exists, and may refuse the file (400, deleted)', async (t) => {
    const clean = await uploaded(app, alice, 'clean.pdf', 'application/pdf', document)
    const messages = await count(db, 'dm_message')
    const res = await sendWith(app, alice, bob, 'clean', [clean])
    t.equal(res.statusCode, 201)
    t.same(scanned.at(-1), { name: 'clean.pdf', messagesThen: messages }, 'scanned before the message was stored')
    const virus = Buffer.concat([document.subarray(0, -6), Buffer.from('EICAR\n%%EOF\n')])
    const infected = await uploaded(app, alice, 'infected.pdf', 'application/pdf', virus)
    const refused = await sendWith(app, alice, bob, 'look', [infected])
    t.equal(refused.statusCode, 400)
    t.same(refused.json<{ code: string, message: string }>(), { statusCode: 400, code: 'FST_DM_ATTACHMENT_REJECTED', error: 'Bad Request', message: 'a virus was found' })
    t.equal(await count(db, 'dm_message'), messages + 1, 'no message for the refused file')
    t.notOk((await storedKeys(directory)).some((key) => key.endsWith(infected)), 'the refused file is deleted')
  })

  await t.test('a storage that is down at send: 503, nothing stored; back up, the same send works', async (t) => {
    const id = await uploaded(app, alice, 'later.pdf', 'application/pdf', document)
    const messages = await count(db, 'dm_message')
    storage.down = true
    const res = await sendWith(app, alice, bob, 'now?', [id])
    t.equal(res.statusCode, 503)
    t.equal(res.json<{ code: string }>().code, 'FST_DM_STORAGE_UNAVAILABLE')
    t.equal(res.headers['retry-after'], '1')
    const declared = await declare(app, alice, { name: 'x.pdf', content_type: 'application/pdf', size: 10 })
    t.equal(declared.statusCode, 503, 'a declaration needs the storage too')
    storage.down = false
    t.equal(await count(db, 'dm_message'), messages, 'no message stored')
    t.equal((await sendWith(app, alice, bob, 'now', [id])).statusCode, 201, 'the same upload sends once the storage is back')
  })

  await t.test('an upload never sent is deleted after attachmentUploadTtl, bytes and row', async (t) => {
    const forgotten = await uploaded(app, carol, 'forgotten.pdf', 'application/pdf', document)
    t.ok((await storedKeys(directory)).some((key) => key.endsWith(forgotten)), 'stored at first')
    // Its bytes go first, then its row.
    await eventually('the forgotten upload\'s row is swept', async () => (await query(db, `SELECT id FROM dm_attachment WHERE id = '${forgotten}'`)).length === 0, 20_000)
    t.notOk((await storedKeys(directory)).some((key) => key.endsWith(forgotten)), 'its bytes are gone')
    const late = await sendWith(app, carol, alice, 'late', [forgotten])
    t.equal(late.statusCode, 400, 'sending it now: 400')
  })

  await t.test('a deleted user\'s files go with their messages; nothing is left in the storage', async (t) => {
    const id = await uploaded(app, carol, 'mine.png', 'image/png', await png(64, 64))
    t.equal((await sendWith(app, carol, alice, 'from carol', [id])).statusCode, 201)
    await query(db, `DELETE FROM app_user WHERE id = ${Number(carol.id)}`)
    await eventually('carol\'s files are swept', async () => !(await storedKeys(directory)).some((key) => key.endsWith(id)), 20_000)
    // Everything else: unsend and delete the rest, then the storage and the table are empty.
    for (const user of [alice, bob]) {
      const partner = user === alice ? bob : alice
      await as(app, user, { method: 'DELETE', url: `/api/dm/conversations/${partner.id}/` })
    }
    await eventually('the storage is empty', async () => (await storedKeys(directory)).length === 0, 20_000)
    t.same(await storedKeys(directory), [], 'no object and no temporary file left')
    t.equal(await count(db, 'dm_attachment'), 0, 'no row left')
  })
})

forEachDatabase(t, 'attachments in events, streams and replays', async (t, db) => {
  const directory = await folder(t)
  const { app, alice, bob } = await scene(t, db, { attachmentsDirectory: directory })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const sent: MessageSentEvent[] = []
  app.directMessages.on('messageSent', (event) => { sent.push(event) })
  const stream = await streamOf(t, base, bob)
  const id = await uploaded(app, alice, 'live.png', 'image/png', await png(400, 300))
  const res = await sendWith(app, alice, bob, 'live', [id])
  t.equal(res.statusCode, 201)
  const message = res.json<{ id: number, attachments: AttachmentJson[] }>()
  const frames = await stream.until((all) => all.some((f) => f.event === 'message' && (f.data as { id: number }).id === message.id))
  const live = frames.find((f) => f.event === 'message' && (f.data as { id: number }).id === message.id)?.data as { attachments: AttachmentJson[], direction: string }
  t.equal(live.direction, 'in', 'the stream shows the message as bob sees it')
  t.match(live.attachments, [{ id, name: 'live.png', width: 400, height: 300 }], 'with its attachments')
  t.equal((await fetchSigned(app, live.attachments[0]?.thumbnail_url as string)).statusCode, 200, 'whose URLs work')
  t.match(sent.at(-1)?.message.attachments, [{ id, name: 'live.png', contentType: 'image/png', width: 400, height: 300 }], 'the decorator\'s event carries them')

  const replay = await openStream(base, '/api/dm/events/', { ...bob.headers, 'last-event-id': '0' })
  t.teardown(() => replay.close())
  const replayed = await replay.until((all) => all.some((f) => f.event === 'message' && (f.data as { id: number }).id === message.id))
  const again = replayed.find((f) => f.event === 'message' && (f.data as { id: number }).id === message.id)?.data as { attachments: AttachmentJson[] }
  t.match(again.attachments, [{ id, name: 'live.png' }], 'a replay carries them too')
})

t.test('attachments on an S3-compatible server: presigned upload and download, nothing left behind', async (t) => {
  const s3 = await startS3()
  t.teardown(() => s3.close())
  const db = await openDatabase('sqlite', 'attachments-s3')
  t.teardown(() => db.close())
  const { app, alice, bob } = await scene(t, db, { storage: s3Storage({ client: s3.client, bucket: s3.bucket }) })
  const photo = await png(800, 600)
  const declared = (await declare(app, alice, { name: 'photo.png', content_type: 'image/png', size: photo.length })).json<UploadJson>()
  t.match(declared.upload.url, new RegExp(`^${s3.endpoint}/`), 'the upload goes to the storage itself')
  const wrongLength = await fetch(declared.upload.url, { method: 'PUT', headers: declared.upload.headers, body: Buffer.concat([photo, Buffer.from('x')]) })
  t.equal(wrongLength.status, 403, 'the storage refuses more bytes than declared (the length is signed)')
  const put = await fetch(declared.upload.url, { method: 'PUT', headers: declared.upload.headers, body: photo })
  t.equal(put.status, 200, 'and takes the declared ones')
  const res = await sendWith(app, alice, bob, 'from S3', [declared.id])
  t.equal(res.statusCode, 201, res.body)
  const [attachment] = res.json<{ attachments: AttachmentJson[] }>().attachments
  t.match(attachment, { width: 800, height: 600 })
  const redirect = await fetchSigned(app, attachment?.url as string)
  t.equal(redirect.statusCode, 302, 'the message\'s URL redirects to the storage')
  t.match(redirect.headers.location, new RegExp(`^${s3.endpoint}/`))
  const bytes = await fetch(redirect.headers.location as string)
  t.equal(bytes.status, 200)
  t.ok(Buffer.from(await bytes.arrayBuffer()).equals(photo), 'the bytes come from the storage, unchanged')
  t.equal(bytes.headers.get('content-type'), 'image/png')
  t.same((await listObjects(s3.directory)).sort(), [`f/${declared.id}`, `t/${declared.id}`], 'the bucket holds the file and its thumbnail, by id')

  const message = res.json<{ id: number }>()
  t.equal((await as(app, alice, { method: 'POST', url: `/api/dm/messages/${message.id}/unsend/` })).statusCode, 204)
  t.same(await listObjects(s3.directory), [], 'unsent: the bucket is empty')
})
