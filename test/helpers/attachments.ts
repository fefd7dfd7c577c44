/**
 * Attachments as a test handles them: real files (images made with sharp, a small PDF), the
 * upload of their bytes the way a client does it (declare, then send the bytes where told), and
 * what the storage holds afterwards.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import sharp from 'sharp'
import { as, type TestUser } from './app.js'
import type { UserId } from '../../src/index.js'

type User = TestUser<UserId>

/** A PNG of `width`×`height`, opaque red. */
export async function png (width: number, height: number): Promise<Buffer> {
  return await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 20, b: 20 } } }).png().toBuffer()
}

/** A small, valid PDF of one empty page. */
export function pdf (): Buffer {
  const objects = [
    '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n',
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n',
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n'
  ]
  let body = '%PDF-1.4\n'
  const offsets: number[] = []
  for (const object of objects) {
    offsets.push(body.length)
    body += object
  }
  const xref = body.length
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}`
  body += `trailer << /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(body, 'latin1')
}

/** What POST /attachments/ answers. */
export interface UploadJson {
  id: string
  upload: { method: 'PUT', url: string, headers: Record<string, string> }
  expires_at: string
}

/** The attachment object of a message. */
export interface AttachmentJson {
  id: string
  name: string
  content_type: string
  size: number
  width: number | null
  height: number | null
  url: string
  thumbnail_url: string | null
}

/** POST /attachments/ as `user`. */
export function declare (app: FastifyInstance, user: User, body: Record<string, unknown>): Promise<LightMyRequestResponse> {
  return as(app, user, { method: 'POST', url: '/api/dm/attachments/', payload: body })
}

/** Sends `bytes` as the upload told (the plugin's own upload route: no credentials). */
export function put (app: FastifyInstance, upload: UploadJson['upload'], bytes: Buffer, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: upload.method, url: upload.url, headers: { ...upload.headers, ...headers }, payload: bytes })
}

/** Declares and uploads a file of `user`: answers its id. */
export async function uploaded (app: FastifyInstance, user: User, name: string, contentType: string, bytes: Buffer): Promise<string> {
  const declared = await declare(app, user, { name, content_type: contentType, size: bytes.length })
  if (declared.statusCode !== 201) throw new Error(`declare ${name}: ${declared.statusCode} ${declared.body}`)
  const { id, upload } = declared.json<UploadJson>()
  const res = await put(app, upload, bytes)
  if (res.statusCode !== 204) throw new Error(`upload ${name}: ${res.statusCode} ${res.body}`)
  return id
}

/** Sends a message with attachments. */
export function sendWith (app: FastifyInstance, from: User, to: User, content: string, attachments: unknown): Promise<LightMyRequestResponse> {
  return as(app, from, { method: 'POST', url: `/api/dm/send/${to.id}/`, payload: { content, attachments } })
}

/** GET of a signed URL (no credentials), as a browser or an <img> does it. */
export function fetchSigned (app: FastifyInstance, url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers })
}

/** Every key a local storage folder holds (`area/name`), temporary files included. */
export async function storedKeys (directory: string): Promise<string[]> {
  const keys: string[] = []
  for (const area of await readdir(directory).catch(() => [] as string[])) {
    for (const name of await readdir(join(directory, area)).catch(() => [] as string[])) keys.push(`${area}/${name}`)
  }
  return keys.sort()
}
