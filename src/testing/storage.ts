/**
 * The conformance kit for attachment storages: the checks any {@link AttachmentStorage} must pass
 * before the plugin can keep files in it, registered as test cases with whatever runner the
 * caller uses (tap, node:test, vitest...). Run it against the real service (a bucket, a folder):
 * a storage is only as good as its behaviour there. It asserts with `node:assert/strict` and
 * depends on no test runner at run time. Its keys hold a random id of the run, and each case
 * deletes what it wrote: a bucket shared with other runs or other data is fine.
 *
 * @example
 * ```ts
 * import t from 'tap'
 * import { runStorageTests } from 'fastify-directmessages/testing'
 *
 * runStorageTests({
 *   test: (name, fn) => t.test(name, fn),
 *   createStorage: () => myStorage({ bucket: process.env.MY_BUCKET }),
 *   fetchUpload: async (request, body) => (await fetch(request.url, { method: request.method, headers: request.headers, body })).status
 * })
 * ```
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import type { AttachmentStorage, UploadRequest } from '../attachments/storage.js'

/** What {@link runStorageTests} needs to know of the storage under test. */
export interface StorageTestOptions {
  /**
   * Registers one test case with the caller's runner: tap's `(name, fn) => t.test(name, fn)`,
   * node:test's `test`, vitest's `it`... The cases may run one after the other or together.
   */
  test: (name: string, fn: () => Promise<void>) => unknown
  /** The storage under test; called once per case. */
  createStorage: () => AttachmentStorage | Promise<AttachmentStorage>
  /**
   * Optional: sends `body` with `request` (from `uploadRequest`) as a browser would, and answers
   * the HTTP status. Needed to check uploads when the storage answers upload requests (a storage
   * whose `uploadRequest` answers null has nothing to check); absent, only their shape is checked.
   */
  fetchUpload?: (request: UploadRequest, body: Buffer) => Promise<number>
}

/** The most the kit waits for a presigned URL to expire, in ms. */
const EXPIRY_TIMEOUT = 10_000
/** How often the kit asks whether a presigned URL has expired, in ms. */
const EXPIRY_POLL = 250

/** Keys of the plugin's shape that it must refuse: paths out of the storage, and near misses. */
function malformedKeys (id: string): string[] {
  return [
    `u/../../${id}`,
    `../${id}`,
    `u/../${id}`,
    `/u/${id}`,
    `u/${id}/x`,
    `u/${id}.txt`,
    `u//${id}`,
    `U/${id}`,
    `uu/${id}`,
    id,
    `u/${id}\0`,
    `u/${id}\n`,
    'u/',
    `u/${'a'.repeat(65)}`
  ]
}

/**
 * Registers the conformance cases of a storage with `options.test`: bytes written are read back
 * intact, whole or by range, from a Buffer or a stream; `size`; a write never replaces an object
 * (`EEXIST`) and never keeps more than its limit (`ETOOLARGE`, nothing kept, the body not read to
 * its end); `move`, `delete` (absent keys included) and `list`; absent keys answered null;
 * malformed keys refused; and, for a storage that presigns, that an upload URL accepts exactly
 * the declared bytes and that a download URL serves the bytes with the given headers until it
 * expires.
 */
export function runStorageTests (options: StorageTestOptions): void {
  const run = randomBytes(6).toString('hex')
  let keys = 0

  /** Runs `fn` with a storage and a way to name new keys, deleting every key named afterwards. */
  const withStorage = (fn: (storage: AttachmentStorage, key: (area?: string) => string) => Promise<void>) => async (): Promise<void> => {
    const storage = await options.createStorage()
    const named: string[] = []
    const key = (area = 'u'): string => {
      const made = `${area}/dmtest-${run}-${++keys}`
      named.push(made)
      return made
    }
    try {
      await fn(storage, key)
    } catch (err) {
      // The case's own failure says more than the cleanup's.
      await storage.delete(named).catch(() => {})
      throw err
    }
    await storage.delete(named)
  }

  /** The keys of `wanted` that `storage` lists, sorted. */
  const listed = async (storage: AttachmentStorage, wanted: readonly string[]): Promise<string[]> => {
    const found: string[] = []
    for await (const key of storage.list()) if (wanted.includes(key)) found.push(key)
    return found.sort()
  }

  options.test('writes bytes and reads them back intact, answering their number and size', withStorage(async (storage, key) => {
    assert.equal(typeof storage.name, 'string', 'a storage has a name')
    assert.ok(storage.name.length > 0, 'a storage has a name')
    const bytes = randomBytes(300 * 1024 + 7)
    const k = key()
    assert.equal(await storage.write(k, bytes, { contentType: 'application/octet-stream', limit: bytes.length }), bytes.length,
      'write answers the number of bytes written (a body of exactly the limit is accepted)')
    assert.ok(Buffer.from(await readAll(await storage.read(k))).equals(bytes), 'read answers the bytes written')
    assert.equal(await storage.size(k), bytes.length, 'size answers the number of bytes')
    const empty = key()
    assert.equal(await storage.write(empty, Buffer.alloc(0), { contentType: 'text/plain', limit: 10 }), 0, 'an empty body is written')
    assert.equal(await storage.size(empty), 0, 'an empty object has size 0')
  }))

  options.test('reads a range of an object: its first bytes, its middle, its last byte', withStorage(async (storage, key) => {
    const bytes = randomBytes(200 * 1024)
    const k = key()
    await storage.write(k, bytes, { contentType: 'application/octet-stream', limit: bytes.length })
    const ranges = [
      { start: 0, end: 99, what: 'the first 100 bytes' },
      { start: 65_536, end: 65_536 + 40_000, what: 'the middle' },
      { start: 1000, end: 1000, what: 'one byte in the middle' },
      { start: bytes.length - 1, end: bytes.length - 1, what: 'the last byte' },
      { start: 0, end: bytes.length - 1, what: 'the whole object as a range' }
    ]
    for (const { start, end, what } of ranges) {
      const read = await readAll(await storage.read(k, { start, end }))
      assert.ok(read.equals(bytes.subarray(start, end + 1)), `${what} (${start}-${end}): ${read.length} bytes read, ${end + 1 - start} expected`)
    }
  }))

  options.test('reads a body given as a stream, not a Buffer', withStorage(async (storage, key) => {
    const chunks = Array.from({ length: 20 }, (_, i) => randomBytes(5000 + i))
    const bytes = Buffer.concat(chunks)
    const k = key('t')
    assert.equal(await storage.write(k, Readable.from(chunks), { contentType: 'image/webp', limit: bytes.length + 1 }), bytes.length, 'write answers the number of bytes of the stream')
    assert.ok((await readAll(await storage.read(k))).equals(bytes), 'read answers the bytes of the stream')
    assert.equal(await storage.size(k), bytes.length)
  }))

  options.test('a write never replaces an object: EEXIST, and the object is unchanged', withStorage(async (storage, key) => {
    const first = randomBytes(10_000)
    const k = key()
    await storage.write(k, first, { contentType: 'application/octet-stream', limit: 1_000_000 })
    await assert.rejects(storage.write(k, randomBytes(5000), { contentType: 'application/octet-stream', limit: 1_000_000 }), { code: 'EEXIST' }, 'a second write of a key (Buffer) rejects with EEXIST')
    await assert.rejects(storage.write(k, Readable.from([randomBytes(5000)]), { contentType: 'application/octet-stream', limit: 1_000_000 }), { code: 'EEXIST' }, 'a second write of a key (stream) rejects with EEXIST')
    assert.ok((await readAll(await storage.read(k))).equals(first), 'the object still holds the first write')
    assert.equal(await storage.size(k), first.length)
  }))

  options.test('a write beyond its limit rejects with ETOOLARGE, keeps nothing and stops reading the body', withStorage(async (storage, key) => {
    const limit = 64 * 1024
    const buffered = key()
    await assert.rejects(storage.write(buffered, randomBytes(limit + 1), { contentType: 'application/octet-stream', limit }), { code: 'ETOOLARGE' }, 'a Buffer one byte over the limit')
    // A stream far larger than the limit, counting what is read of it: a storage that stops
    // reading at the limit reads a small part of it.
    const total = 64 * limit
    let pulled = 0
    const body = Readable.from((function * () {
      while (pulled < total) {
        pulled += 16 * 1024
        yield randomBytes(16 * 1024)
      }
    })())
    const streamed = key()
    await assert.rejects(storage.write(streamed, body, { contentType: 'application/octet-stream', limit }), { code: 'ETOOLARGE' }, 'a stream over the limit')
    assert.ok(pulled < total, `the stream is not read to its end once over the limit (${pulled} of ${total} bytes read)`)
    body.destroy()
    for (const k of [buffered, streamed]) {
      assert.equal(await storage.size(k), null, `nothing is kept of ${k}`)
      assert.equal(await storage.read(k), null, `nothing can be read of ${k}`)
    }
    assert.deepEqual(await listed(storage, [buffered, streamed]), [], 'list shows nothing of the refused writes')
    // The key is still free.
    const bytes = randomBytes(limit)
    assert.equal(await storage.write(streamed, bytes, { contentType: 'application/octet-stream', limit }), limit, 'the key of a refused write can be written')
  }))

  options.test('moves an object: the old key is absent, the new one has the bytes', withStorage(async (storage, key) => {
    const bytes = randomBytes(50_000)
    const from = key('u')
    const to = key('f')
    await storage.write(from, bytes, { contentType: 'application/pdf', limit: bytes.length })
    await storage.move(from, to)
    assert.equal(await storage.size(from), null, 'the old key is absent')
    assert.equal(await storage.read(from), null, 'the old key cannot be read')
    assert.ok((await readAll(await storage.read(to))).equals(bytes), 'the new key has the bytes')
    await assert.rejects(storage.move(from, key('f')), 'moving an absent key rejects')
  }))

  options.test('deletes present and absent keys', withStorage(async (storage, key) => {
    const present = [key('u'), key('f'), key('t')]
    for (const k of present) await storage.write(k, randomBytes(100), { contentType: 'text/plain', limit: 100 })
    const absent = key()
    await storage.delete([...present, absent])
    for (const k of present) assert.equal(await storage.size(k), null, `${k} is deleted`)
    await storage.delete(present)
    await storage.delete([])
  }))

  options.test('lists exactly the keys it holds', withStorage(async (storage, key) => {
    const kept = [key('u'), key('f'), key('t')]
    const deleted = key('u')
    const moved = key('u')
    const target = key('f')
    for (const k of [...kept, deleted, moved]) await storage.write(k, randomBytes(10), { contentType: 'text/plain', limit: 10 })
    await storage.delete([deleted])
    await storage.move(moved, target)
    assert.deepEqual(await listed(storage, [...kept, deleted, moved, target]), [...kept, target].sort(), 'list shows the written keys, not the deleted or moved-away ones')
  }))

  options.test('answers null for an absent key', withStorage(async (storage, key) => {
    const k = key()
    assert.equal(await storage.read(k), null, 'read')
    assert.equal(await storage.read(k, { start: 0, end: 9 }), null, 'read of a range')
    assert.equal(await storage.size(k), null, 'size')
  }))

  options.test('refuses keys that are not of the plugin\'s making, and creates nothing', withStorage(async (storage, key) => {
    const valid = key()
    await storage.write(valid, Buffer.from('valid'), { contentType: 'text/plain', limit: 10 })
    const id = `dmtest-${run}-bad`
    const expires = { expiresAt: new Date(Date.now() + 60_000) }
    for (const bad of malformedKeys(id)) {
      const what = JSON.stringify(bad)
      await refuses(`write(${what})`, () => storage.write(bad, Buffer.from('x'), { contentType: 'text/plain', limit: 10 }))
      await refuses(`write(${what}) of a stream`, () => storage.write(bad, Readable.from([Buffer.from('x')]), { contentType: 'text/plain', limit: 10 }))
      await refuses(`read(${what})`, () => storage.read(bad))
      await refuses(`size(${what})`, () => storage.size(bad))
      await refuses(`move(valid, ${what})`, () => storage.move(valid, bad))
      await refuses(`move(${what}, valid)`, () => storage.move(bad, valid))
      await refuses(`delete([${what}])`, () => storage.delete([bad]))
      await refuses(`uploadRequest(${what})`, () => storage.uploadRequest(bad, { contentType: 'text/plain', size: 1, ...expires }))
      await refuses(`downloadUrl(${what})`, () => storage.downloadUrl(bad, { contentType: 'text/plain', disposition: 'inline', ...expires }))
    }
    for await (const listedKey of storage.list()) assert.ok(!listedKey.includes(id), `nothing was created for a malformed key (${listedKey})`)
    assert.deepEqual((await readAll(await storage.read(valid))).toString(), 'valid', 'the valid key was neither moved nor deleted')
  }))

  options.test('an upload request, when the storage answers one, accepts exactly the declared bytes', withStorage(async (storage, key) => {
    const bytes = randomBytes(100_000)
    const contentType = 'image/png'
    const expiresAt = new Date(Date.now() + 5 * 60_000)
    const k = key()
    const request = await storage.uploadRequest(k, { contentType, size: bytes.length, expiresAt })
    if (request === null) return
    assert.equal(request.method, 'PUT', 'an upload is a PUT')
    assert.doesNotThrow(() => new URL(request.url), 'to a URL')
    assert.equal(typeof request.headers, 'object')
    if (options.fetchUpload === undefined) return
    const longer = key()
    const shorter = key()
    const longerRequest = await storage.uploadRequest(longer, { contentType, size: bytes.length, expiresAt }) as UploadRequest
    const shorterRequest = await storage.uploadRequest(shorter, { contentType, size: bytes.length, expiresAt }) as UploadRequest
    assert.ok(!isSuccess(await options.fetchUpload(longerRequest, Buffer.concat([bytes, Buffer.from([0])]))), 'one byte more than declared is refused')
    assert.ok(!isSuccess(await options.fetchUpload(shorterRequest, bytes.subarray(1))), 'one byte less than declared is refused')
    for (const refused of [longer, shorter]) assert.equal(await storage.size(refused), null, `nothing is kept of a refused upload (${refused})`)
    const status = await options.fetchUpload(request, bytes)
    assert.ok(isSuccess(status), `the declared bytes are accepted (status ${status})`)
    assert.equal(await storage.size(k), bytes.length, 'the object has the uploaded size')
    assert.ok((await readAll(await storage.read(k))).equals(bytes), 'the object has the uploaded bytes')
  }))

  options.test('a download URL, when the storage answers one, serves the bytes with the given headers', withStorage(async (storage, key) => {
    const bytes = randomBytes(120_000)
    const contentType = 'image/png'
    const disposition = 'attachment; filename="conformance test.png"'
    const k = key('f')
    await storage.write(k, bytes, { contentType, limit: bytes.length })
    const url = await storage.downloadUrl(k, { contentType, disposition, expiresAt: new Date(Date.now() + 5 * 60_000) })
    if (url === null) return
    const res = await fetch(url)
    const body = Buffer.from(await res.arrayBuffer())
    assert.equal(res.status, 200, `the URL answers 200 (${body.subarray(0, 300).toString()})`)
    assert.ok(body.equals(bytes), 'the URL serves the bytes')
    assert.equal(res.headers.get('content-type'), contentType, 'with the given Content-Type')
    assert.equal(res.headers.get('content-disposition'), disposition, 'with the given Content-Disposition')
  }))

  options.test('a download URL is refused once expired', withStorage(async (storage, key) => {
    const k = key('f')
    await storage.write(k, Buffer.from('expiring'), { contentType: 'text/plain', limit: 100 })
    const url = await storage.downloadUrl(k, { contentType: 'text/plain', disposition: 'inline', expiresAt: new Date(Date.now() + 1000) })
    if (url === null) return
    const deadline = Date.now() + EXPIRY_TIMEOUT
    const statuses: number[] = []
    for (;;) {
      const res = await fetch(url)
      await res.arrayBuffer()
      statuses.push(res.status)
      if (res.status === 403) break
      assert.equal(res.status, 200, `until it expires, the URL serves the object (statuses: ${statuses.join(', ')})`)
      assert.ok(Date.now() < deadline, `the URL is refused (403) within ${EXPIRY_TIMEOUT} ms of its expiry (statuses: ${statuses.join(', ')})`)
      await new Promise((resolve) => setTimeout(resolve, EXPIRY_POLL))
    }
  }))
}

/** Every byte of `stream`; fails when there is no stream (the object was expected to exist). */
async function readAll (stream: Readable | null): Promise<Buffer> {
  assert.ok(stream !== null, 'the object exists')
  const chunks: Buffer[] = []
  for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks)
}

/** Asserts that `call` throws or rejects. */
async function refuses (what: string, call: () => Promise<unknown>): Promise<void> {
  let outcome: Promise<unknown>
  try {
    outcome = call()
  } catch {
    return
  }
  await assert.rejects(outcome, `${what} is refused`)
}

function isSuccess (status: number): boolean {
  return status >= 200 && status < 300
}
