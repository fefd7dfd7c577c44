/**
 * The two storages of attachments through the conformance kit every storage must pass
 * (`runStorageTests` of fastify-directmessages/testing): `localStorage` in a temporary folder, and
 * `s3Storage` on a real S3 server in this process (s3rver, see test/helpers/s3.ts), which checks
 * the signatures and expiry of presigned URLs. Then what is particular to each, beside: nothing
 * left behind on disk, a tampered signature refused, an unreachable S3 rejecting rather than
 * hanging, presigned uploads free of the SDK's default checksums, a host without the SDK told
 * what to install.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import t from 'tap'
import { localStorage } from '../../src/attachments/local-storage.js'
import { s3Storage } from '../../src/attachments/s3-storage.js'
import type { UploadRequest } from '../../src/attachments/storage.js'
import { runStorageTests } from '../../src/testing/index.js'
import { listObjects, startS3, testS3Client } from '../helpers/s3.js'

/** Sends `body` with `request` as a browser would (fetch sets Content-Length), answering the status. */
async function fetchUpload (request: UploadRequest, body: Buffer): Promise<number> {
  const res = await fetch(request.url, { method: request.method, headers: request.headers, body })
  await res.arrayBuffer()
  return res.status
}

/** A port of 127.0.0.1 nothing listens on (it was free a moment ago). */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Every file under `directory`, relative to it. */
async function filesUnder (directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true })
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(directory.length + 1)).sort()
}

t.test('local storage', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 'dm-local-storage-'))
  t.teardown(() => rm(directory, { recursive: true, force: true }))

  runStorageTests({ test: (name, fn) => t.test(name, fn), createStorage: () => localStorage({ directory }) })

  t.test('leaves nothing behind: no object, no temporary file', async (t) => {
    t.same(await filesUnder(directory), [], 'every file the kit wrote was deleted, and no temporary file is left')
  })

  t.test('answers null for presigned requests: the plugin\'s routes carry the bytes', async (t) => {
    const storage = localStorage({ directory })
    t.equal(storage.name, 'local')
    t.equal(await storage.uploadRequest('u/abc', { contentType: 'text/plain', size: 1, expiresAt: new Date(Date.now() + 60_000) }), null)
    t.equal(await storage.downloadUrl('u/abc', { contentType: 'text/plain', disposition: 'inline', expiresAt: new Date(Date.now() + 60_000) }), null)
  })
})

t.test('S3 storage', async (t) => {
  const s3 = await startS3()
  t.teardown(() => s3.close())
  const prefix = 'attachments/'

  runStorageTests({
    test: (name, fn) => t.test(name, fn),
    createStorage: () => s3Storage({ client: s3.client, bucket: s3.bucket, prefix }),
    fetchUpload
  })

  t.test('leaves nothing behind in the bucket', async (t) => {
    t.same(await listObjects(s3.directory), [], 'every object the kit wrote was deleted')
  })

  t.test('a prefixed storage keeps its objects under its prefix, and lists only them', async (t) => {
    const prefixed = s3Storage({ client: s3.client, bucket: s3.bucket, prefix })
    const bare = s3Storage({ client: s3.client, bucket: s3.bucket })
    t.equal(prefixed.name, 's3')
    await prefixed.write('u/prefixed', Buffer.from('a'), { contentType: 'text/plain', limit: 10 })
    await bare.write('u/bare', Buffer.from('b'), { contentType: 'text/plain', limit: 10 })
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}not-a-key.txt`, Body: 'c' }))
    t.same(await listObjects(s3.directory), [`${prefix}not-a-key.txt`, `${prefix}u/prefixed`, 'u/bare'], 'the objects, as the server holds them')
    const listed = async (storage: typeof prefixed): Promise<string[]> => {
      const keys: string[] = []
      for await (const key of storage.list()) keys.push(key)
      return keys.sort()
    }
    t.same(await listed(prefixed), ['u/prefixed'], 'the prefixed storage lists its key only, without the prefix, and none of other objects under it')
    t.same(await listed(bare), ['u/bare'], 'the storage without prefix lists the plugin\'s keys only (not `attachments/u/prefixed`)')
    await prefixed.delete(['u/prefixed'])
    await bare.delete(['u/bare'])
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `${prefix}not-a-key.txt` }))
    t.same(await listObjects(s3.directory), [])
  })

  t.test('the server checks signatures: an upload URL with one character of its signature changed is refused', async (t) => {
    const storage = s3Storage({ client: s3.client, bucket: s3.bucket })
    const body = Buffer.from('tampered')
    const request = await storage.uploadRequest('u/tampered', { contentType: 'text/plain', size: body.length, expiresAt: new Date(Date.now() + 60_000) })
    if (request === null) throw new Error('s3Storage answers upload requests')
    const url = new URL(request.url)
    const signature = url.searchParams.get('X-Amz-Signature') ?? ''
    t.match(signature, /^[0-9a-f]{64}$/, 'the URL is signed')
    url.searchParams.set('X-Amz-Signature', (signature[0] === '0' ? '1' : '0') + signature.slice(1))
    t.equal(await fetchUpload({ ...request, url: url.toString() }, body), 403, 'the tampered URL is refused')
    t.equal(await storage.size('u/tampered'), null, 'and nothing is stored')
    t.equal(await fetchUpload(request, body), 200, 'the URL as signed is accepted')
    await storage.delete(['u/tampered'])
  })

  t.test('a presigned upload carries no checksum, even from a client with the SDK\'s default checksums', async (t) => {
    // The SDK's default (requestChecksumCalculation 'WHEN_SUPPORTED') puts the CRC32 of an empty
    // body in a presigned PutObject URL, which S3 checks against the uploaded bytes (s3rver does
    // not): s3Storage must remove it.
    const client = testS3Client(s3.endpoint, { requestChecksumCalculation: 'WHEN_SUPPORTED', responseChecksumValidation: 'WHEN_SUPPORTED' })
    t.teardown(() => client.destroy())
    const raw = await getSignedUrl(client, new PutObjectCommand({ Bucket: s3.bucket, Key: 'u/raw', ContentType: 'text/plain', ContentLength: 1 }), { expiresIn: 60 })
    t.match(raw, /x-amz-checksum-crc32=/, 'the SDK alone presigns a checksum (or this test no longer tests anything)')
    const storage = s3Storage({ client, bucket: s3.bucket })
    const body = Buffer.from('no checksum')
    const request = await storage.uploadRequest('u/nochecksum', { contentType: 'text/plain', size: body.length, expiresAt: new Date(Date.now() + 60_000) })
    if (request === null) throw new Error('s3Storage answers upload requests')
    t.notMatch(request.url, /x-amz-checksum|x-amz-sdk-checksum/i, 'no checksum in the URL')
    t.equal(await fetchUpload(request, body), 200, 'the upload is accepted')
    const url = await storage.downloadUrl('u/nochecksum', { contentType: 'text/plain', disposition: 'inline', expiresAt: new Date(Date.now() + 60_000) })
    t.notMatch(url ?? '', /x-amz-checksum/i, 'nor in a download URL')
    t.equal(await (await fetch(url ?? '')).text(), 'no checksum', 'which serves the bytes')
    await storage.delete(['u/nochecksum'])
  })

  t.test('a host without the AWS SDK loads s3Storage, and is told what to install on first use', async (t) => {
    // The two modules, compiled as they are published, in a folder where no node_modules holds
    // the SDK: loading them must not need it.
    const folder = await mkdtemp(join(tmpdir(), 'dm-no-sdk-'))
    t.teardown(() => rm(folder, { recursive: true, force: true }))
    const { default: ts } = await import('typescript')
    await writeFile(join(folder, 'package.json'), '{"type":"module"}')
    for (const name of ['storage', 's3-storage']) {
      const source = await readFile(new URL(`../../src/attachments/${name}.ts`, import.meta.url), 'utf8')
      const compiled = ts.transpileModule(source, { fileName: `${name}.ts`, compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } })
      await writeFile(join(folder, `${name}.js`), compiled.outputText)
    }
    const loaded = await import(pathToFileURL(join(folder, 's3-storage.js')).href) as { s3Storage: typeof s3Storage }
    const storage = loaded.s3Storage({ client: s3.client, bucket: s3.bucket })
    t.equal(storage.name, 's3', 'the module loads and makes a storage')
    await t.rejects(storage.size('u/abc'), { message: /install them \(npm install @aws-sdk\/client-s3 @aws-sdk\/s3-request-presigner\)/ }, 'its first use says what to install')
    await t.rejects(storage.uploadRequest('u/abc', { contentType: 'text/plain', size: 1, expiresAt: new Date(Date.now() + 60_000) }), { message: /@aws-sdk\/client-s3/ }, 'and so does the next one')
  })

  t.test('an unreachable S3 makes every operation reject, without hanging', async (t) => {
    const port = await closedPort()
    const client = testS3Client(`http://127.0.0.1:${port}`, { maxAttempts: 1, requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 } })
    t.teardown(() => client.destroy())
    const storage = s3Storage({ client, bucket: s3.bucket })
    const started = Date.now()
    await t.rejects(storage.size('u/abc'), 'size')
    await t.rejects(storage.write('u/abc', Buffer.from('x'), { contentType: 'text/plain', limit: 10 }), 'write')
    await t.rejects(storage.read('u/abc'), 'read')
    await t.rejects(storage.read('u/abc', { start: 0, end: 1 }), 'read of a range')
    await t.rejects(storage.move('u/abc', 'f/abc'), 'move')
    await t.rejects(storage.delete(['u/abc']), 'delete')
    await t.rejects((async () => { for await (const key of storage.list()) t.fail(`nothing is listed (${key})`) })(), 'list')
    t.ok(Date.now() - started < 10_000, `all rejected within 10 s (${Date.now() - started} ms)`)
  })
})
