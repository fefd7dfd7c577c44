/**
 * An S3 server for the tests: `@20minutes/s3rver`, a real HTTP server in this process that keeps
 * objects as files of a temporary folder, checks SigV4 signatures (headers and presigned URLs)
 * and the expiry of presigned URLs. Its known gaps: it checks the signature of a bucket-level
 * request against the path without its trailing slash (s3Storage sends `/<bucket>`, see
 * s3-storage.ts), it decodes `x-amz-copy-source` with decodeURI (an encoded `/` stays `%2F`), it
 * canonicalises query values with encodeURIComponent (so a presigned URL whose parameters hold
 * `'`, `*`, `(`, `)` or `!` fails its signature: `filename*=UTF-8''...` dispositions), it answers
 * `Range: bytes=0-0` with the whole object, and it ignores checksums and conditional writes.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'

/** The part of s3rver's API the tests use (the package is CommonJS, without types). */
interface S3rverInstance {
  run: () => Promise<AddressInfo>
  close: () => Promise<void>
}
type S3rverConstructor = new (options: {
  address: string
  port: number
  silent: boolean
  directory: string
  configureBuckets: Array<{ name: string }>
}) => S3rverInstance

const S3rver = createRequire(import.meta.url)('@20minutes/s3rver') as S3rverConstructor

/** s3rver's one account: any request signed with another key is refused. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

/** The suffix s3rver gives the file of an object's bytes (`<key>._S3rver_object`). */
const OBJECT_SUFFIX = '._S3rver_object'

/** A running s3rver with one bucket, and a client of it. */
export interface TestS3 {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string
  bucket: string
  /** The server's folder: `<directory>/<bucket>/...` holds the objects (see {@link listObjects}). */
  directory: string
  /** A client of the server, path-style, signing with s3rver's credentials. */
  client: S3Client
  /** Stops the server, destroys the client and removes the folder. */
  close: () => Promise<void>
}

/**
 * A client of the S3 server at `endpoint`, as the tests need it: path-style (the bucket in the
 * path, not the host name), s3rver's credentials, and checksums only when an operation requires
 * them (s3rver checks none, and the SDK's default ones are not what these tests are about).
 */
export function testS3Client (endpoint: string, config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...config
  })
}

/** Starts s3rver on a free port of 127.0.0.1, in a new temporary folder, with bucket `bucket`. */
export async function startS3 (bucket = 'directmessages-test'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'dm-s3rver-'))
  try {
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] })
    const address = await server.run()
    const endpoint = `http://127.0.0.1:${address.port}`
    const client = testS3Client(endpoint)
    return {
      endpoint,
      bucket,
      directory,
      client,
      async close () {
        client.destroy()
        try {
          await server.close()
        } finally {
          await rm(directory, { recursive: true, force: true })
        }
      }
    }
  } catch (err) {
    await rm(directory, { recursive: true, force: true })
    throw err
  }
}

/**
 * Every object key the s3rver of `directory` holds, read from its folder rather than asked of the
 * server, sorted: what a test checks to know that nothing was left behind. The keys of every
 * bucket are listed, without the bucket's name (the servers of {@link startS3} have one bucket).
 */
export async function listObjects (directory: string): Promise<string[]> {
  const keys: string[] = []
  for (const bucket of await readdir(directory, { withFileTypes: true })) {
    if (!bucket.isDirectory()) continue
    const root = join(directory, bucket.name)
    for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || !entry.name.endsWith(OBJECT_SUFFIX)) continue
      const path = relative(root, join(entry.parentPath, entry.name))
      keys.push(path.slice(0, -OBJECT_SUFFIX.length).split(sep).join('/'))
    }
  }
  return keys.sort()
}
