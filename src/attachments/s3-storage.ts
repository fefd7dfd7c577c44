/**
 * Attachments in an S3 bucket (AWS, or any S3-compatible service): clients upload and download
 * the bytes directly, through presigned URLs, and the plugin only reads the small objects it
 * checks or makes (thumbnails). The AWS SDK is an optional peer of the plugin: its modules are
 * loaded on first use, so that a host without them can load the plugin and use another storage.
 */
import { Readable } from 'node:stream'
import type * as ClientS3 from '@aws-sdk/client-s3'
import type * as Presigner from '@aws-sdk/s3-request-presigner'
import type { S3Client } from '@aws-sdk/client-s3'
import { STORAGE_KEY, type AttachmentStorage } from './storage.js'

/**
 * An `S3Client` of `@aws-sdk/client-s3` (v3), as the plugin's types describe it: by its shape,
 * so that the plugin's declarations name no module a host without the SDK lacks.
 */
export interface S3ClientLike {
  send: (command: never, options?: never) => Promise<unknown>
  config: object
  middlewareStack: object
  destroy: () => void
}

/** Where {@link s3Storage} keeps the objects. */
export interface S3StorageOptions {
  /** The client to send requests with (its region, endpoint, credentials, retries, timeouts): an `S3Client`. */
  client: S3ClientLike
  /** The bucket, which must exist. */
  bucket: string
  /**
   * Put before every key in the bucket (`attachments/` for instance), so that the bucket can hold
   * other things too; `list` then sees only the keys under it. Default: none.
   */
  prefix?: string
}

/** The SDK's modules, loaded once for every storage. */
interface Sdk {
  s3: typeof ClientS3
  presigner: typeof Presigner
}

let loading: Promise<Sdk> | undefined

/** Loads the SDK's modules on first call; rejects with how to install them when they are absent. */
function loadSdk (): Promise<Sdk> {
  loading ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')])
    .then(([s3, presigner]) => ({ s3, presigner }))
    .catch((err: unknown) => {
      // Not cached: once the packages are installed, the next call loads them.
      loading = undefined
      throw new Error('s3Storage needs the packages @aws-sdk/client-s3 and @aws-sdk/s3-request-presigner: ' +
        'install them (npm install @aws-sdk/client-s3 @aws-sdk/s3-request-presigner)', { cause: err })
    })
  return loading
}

/** The longest a presigned URL may be valid for, in seconds (S3's limit, a week). */
const MAX_EXPIRES_IN = 604_800

/**
 * A storage in `options.bucket` of `options.client`, object `<prefix><key>` for each key. Uploads
 * and downloads go directly between clients and S3 through presigned URLs; the upload URL signs
 * the declared Content-Type and Content-Length, so that S3 refuses any other.
 *
 * `write` is for the small objects the plugin makes (thumbnails): it holds a stream body in
 * memory, up to `limit` bytes, to send it with its length. Its refusal of an existing key is best
 * effort: it asks whether the key exists, then writes, and a write of the same key in between
 * would be replaced (S3 has no atomic create here). The plugin's keys are random, so two writes
 * of one key are a bug, not a race.
 */
export function s3Storage (options: S3StorageOptions): AttachmentStorage {
  const { bucket } = options
  // Typed by its shape in the options (see S3ClientLike): the SDK's client it is.
  const client = options.client as unknown as S3Client
  const prefix = options.prefix ?? ''

  /** The object key in the bucket of `key`, once checked to be one of the plugin's keys. */
  const objectKey = (key: string): string => {
    if (typeof key !== 'string' || !STORAGE_KEY.test(key)) throw new TypeError(`not a storage key: ${JSON.stringify(key)}`)
    return prefix + key
  }

  /** Whether `key`'s object exists: HeadObject, with absence not an error. */
  const head = async (sdk: Sdk, key: string): Promise<number | null> => {
    try {
      const result = await client.send(new sdk.s3.HeadObjectCommand({ Bucket: bucket, Key: key }))
      return result.ContentLength ?? 0
    } catch (err) {
      if (isAbsent(err)) return null
      throw err
    }
  }

  return {
    name: 's3',

    async uploadRequest (key, upload) {
      const Key = objectKey(key)
      const sdk = await loadSdk()
      const command = new sdk.s3.PutObjectCommand({ Bucket: bucket, Key, ContentType: upload.contentType, ContentLength: upload.size })
      withoutChecksums(command)
      const url = await sdk.presigner.getSignedUrl(client, command, {
        expiresIn: expiresIn(upload.expiresAt),
        // Signed, so S3 refuses any other type or length; browsers set Content-Length themselves.
        signableHeaders: new Set(['content-type', 'content-length'])
      })
      return { method: 'PUT', url, headers: { 'content-type': upload.contentType } }
    },

    async downloadUrl (key, download) {
      const Key = objectKey(key)
      const sdk = await loadSdk()
      const seconds = expiresIn(download.expiresAt)
      const command = new sdk.s3.GetObjectCommand({
        Bucket: bucket,
        Key,
        ResponseContentType: download.contentType,
        ResponseContentDisposition: download.disposition,
        ResponseCacheControl: `private, max-age=${seconds}`
      })
      withoutChecksums(command)
      return await sdk.presigner.getSignedUrl(client, command, { expiresIn: seconds })
    },

    async write (key, body, { contentType, limit }) {
      const Key = objectKey(key)
      let bytes: Buffer
      if (Buffer.isBuffer(body)) {
        if (body.length > limit) throw tooLarge(limit)
        bytes = body
      } else {
        const chunks: Buffer[] = []
        let size = 0
        // Leaving the loop early destroys the body: nothing more is read.
        for await (const chunk of body as AsyncIterable<Buffer | string>) {
          const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
          size += buffer.length
          if (size > limit) throw tooLarge(limit)
          chunks.push(buffer)
        }
        bytes = Buffer.concat(chunks, size)
      }
      const sdk = await loadSdk()
      if (await head(sdk, Key) !== null) throw Object.assign(new Error(`${key} already exists`), { code: 'EEXIST' })
      await client.send(new sdk.s3.PutObjectCommand({ Bucket: bucket, Key, Body: bytes, ContentType: contentType, ContentLength: bytes.length }))
      return bytes.length
    },

    async read (key, range) {
      const Key = objectKey(key)
      const sdk = await loadSdk()
      let result
      try {
        result = await client.send(new sdk.s3.GetObjectCommand({
          Bucket: bucket,
          Key,
          ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end}` })
        }))
      } catch (err) {
        if (isAbsent(err)) return null
        throw err
      }
      return toReadable(result.Body)
    },

    async size (key) {
      const Key = objectKey(key)
      return await head(await loadSdk(), Key)
    },

    async move (from, to) {
      const source = objectKey(from)
      const target = objectKey(to)
      const sdk = await loadSdk()
      await client.send(new sdk.s3.CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: copySource(bucket, source) }))
      await client.send(new sdk.s3.DeleteObjectCommand({ Bucket: bucket, Key: source }))
    },

    async delete (keys) {
      const objectKeys = keys.map(objectKey)
      if (objectKeys.length === 0) return
      const sdk = await loadSdk()
      // One DeleteObject per key: S3 answers success for an absent key. (DeleteObjects would
      // need one request only, but some S3-compatible servers refuse it.)
      await Promise.all(objectKeys.map((Key) => client.send(new sdk.s3.DeleteObjectCommand({ Bucket: bucket, Key }))))
    },

    async * list () {
      const sdk = await loadSdk()
      let token: string | undefined
      do {
        const command = new sdk.s3.ListObjectsV2Command({ Bucket: bucket, ...(prefix === '' ? {} : { Prefix: prefix }), ...(token === undefined ? {} : { ContinuationToken: token }) })
        withoutBucketSlash(command, bucket)
        const page = await client.send(command)
        for (const object of page.Contents ?? []) {
          const key = object.Key?.slice(prefix.length)
          // Only the plugin's keys: whatever else is under the prefix is none of its objects.
          if (key !== undefined && object.Key?.startsWith(prefix) === true && STORAGE_KEY.test(key)) yield key
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined
      } while (token !== undefined)
    }
  }
}

/** The seconds from now to `expiresAt`: at least 1, at most S3's week. */
function expiresIn (expiresAt: Date): number {
  return Math.min(MAX_EXPIRES_IN, Math.max(1, Math.ceil((expiresAt.getTime() - Date.now()) / 1000)))
}

/**
 * CopyObject's `x-amz-copy-source`: the bucket, then the key URL-encoded segment by segment.
 * Keeping the slashes as they are is what S3 documents and what every S3-compatible server
 * decodes; an encoded slash (`%2F`) is not decoded by some of them.
 */
function copySource (bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`
}

/** The object's body as a Node stream (as the SDK answers it in Node; a web stream elsewhere). */
function toReadable (body: unknown): Readable {
  if (body instanceof Readable) return body
  if (body !== null && typeof body === 'object' && 'transformToWebStream' in body && typeof body.transformToWebStream === 'function') {
    return Readable.fromWeb(body.transformToWebStream())
  }
  throw new TypeError('S3 answered an object without a readable body')
}

/** Whether `err` says the object is absent (not the bucket: a missing bucket is an error). */
function isAbsent (err: unknown): boolean {
  const { name, $metadata } = err as { name?: unknown, $metadata?: { httpStatusCode?: unknown } }
  if (name === 'NoSuchBucket') return false
  return name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404
}

function tooLarge (limit: number): Error {
  return Object.assign(new Error(`the body holds more than ${limit} bytes`), { code: 'ETOOLARGE' })
}

/** A command whose middleware stack takes a build-step middleware on its request. */
interface Command {
  middlewareStack: {
    add: (middleware: (next: (args: { request: unknown }) => Promise<unknown>) => (args: { request: unknown }) => Promise<unknown>,
      options: { step: 'build', priority: 'low', name: string }) => void
  }
}

/** Runs `edit` on the HTTP request of `command` once it is built, before it is signed. */
function editRequest (command: unknown, name: string, edit: (request: { path?: unknown, headers?: Record<string, string> }) => void): void {
  (command as Command).middlewareStack.add((next) => async (args) => {
    edit(args.request as { path?: unknown, headers?: Record<string, string> })
    return next(args)
  }, { step: 'build', priority: 'low', name })
}

/**
 * Removes the checksum headers the SDK adds by default (`requestChecksumCalculation:
 * 'WHEN_SUPPORTED'`) from a request to presign: presigned, they would carry the checksum of an
 * empty body, and S3 would refuse every upload made with the URL.
 */
function withoutChecksums (command: unknown): void {
  editRequest(command, 'directMessagesWithoutChecksums', (request) => {
    for (const header of Object.keys(request.headers ?? {})) {
      const lower = header.toLowerCase()
      if (lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') delete request.headers?.[header]
    }
  })
}

/**
 * Sends a path-style bucket request as `/<bucket>` rather than the SDK's `/<bucket>/`: both are
 * the same request for S3, but some S3-compatible servers check the signature against the path
 * without the slash, and refuse it.
 */
function withoutBucketSlash (command: unknown, bucket: string): void {
  editRequest(command, 'directMessagesWithoutBucketSlash', (request) => {
    if (typeof request.path === 'string' && request.path.endsWith(`/${bucket}/`)) request.path = request.path.slice(0, -1)
  })
}
