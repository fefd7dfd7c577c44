/**
 * Attachments over HTTP. For the caller (authenticated like every route): declaring an upload,
 * and a fresh URL of a file they may see. For whoever holds a signed URL (no authentication: the
 * signature is the permission, as with a storage's presigned URLs): the upload of the bytes
 * (local storage), and the bytes of a file or its thumbnail, served so that they can never run
 * as the application's page.
 */
import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AttachmentNotFound, InvalidAttachmentUrl } from '../../domain/errors.js'
import type { RouteContext, RouteInstance } from '../../http/index.js'
import type { AttachmentUrls, UrlPurpose } from '../../attachments/urls.js'
import { ATTACHMENT_ID, type Attachments } from './service.js'
import { attachmentSchemas, fileSchemas } from './schemas.js'

export async function attachmentRoutes (fastify: RouteInstance, { service, both, caller }: RouteContext): Promise<void> {
  const schemas = attachmentSchemas()
  both('/attachments/', (url, opts) => fastify.post(url, opts, async (request, reply) => {
    const { id, upload, expiresAt } = await service.createAttachment(caller(request), {
      name: request.body.name, contentType: request.body.content_type, size: request.body.size
    })
    return reply.code(201).send({ id, upload, expires_at: expiresAt.toISOString() })
  }), { schema: schemas.create })

  both('/attachments/:id/', (url, opts) => fastify.get(url, opts, async (request, reply) => {
    return reply.redirect(await service.attachmentUrl(caller(request), request.params.id), 302)
  }), { schema: schemas.open })
}

/** What the routes of signed URLs are given. */
export interface FileRoutesOptions {
  attachments: Attachments
  urls: AttachmentUrls
}

/** The routes signed URLs lead to: registered in a context of their own, without the callers' authentication. */
export async function attachmentFileRoutes (instance: FastifyInstance, { attachments, urls }: FileRoutesOptions): Promise<void> {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>()
  // The URLs the plugin signs lead here, whatever prefixes the host put before the plugin's.
  urls.base = fastify.prefix
  const schemas = fileSchemas()

  /** The signature and the time, checked before anything is looked up: a wrong or expired URL tells nothing of the file. */
  const signed = (id: string, purpose: UrlPurpose, query: { expires?: string, signature?: string }): void => {
    if (!ATTACHMENT_ID.test(id) || !urls.verify(id, purpose, query.expires, query.signature)) throw new InvalidAttachmentUrl()
  }

  // The bytes of an upload, as they come: no parser reads the body.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })

  fastify.put('/attachments/:id/upload', { schema: schemas.upload }, async (request, reply) => {
    const { id } = request.params
    signed(id, 'upload', request.query)
    const length = request.headers['content-length']
    await attachments.receive(id, request.body as Readable, request.headers['content-type'],
      length === undefined || !/^\d+$/.test(length) ? null : Number(length))
    return reply.code(204).send(null)
  })

  for (const purpose of ['file', 'thumbnail'] as const) {
    fastify.get(`/attachments/:id/${purpose}`, { schema: schemas.read }, async (request, reply) => {
      const { id } = request.params
      signed(id, purpose, request.query)
      const served = await attachments.served(id, purpose)
      if (served === null) throw new AttachmentNotFound()
      if (served.redirect !== null) return reply.redirect(served.redirect, 302)
      return await serve(reply, attachments, served, request.headers.range)
    })
  }
}

/** Bytes of a file, served as its stored type and never as a page of the application; one byte range when asked. */
async function serve (reply: FastifyReply, attachments: Attachments, file: { key: string, contentType: string, disposition: string }, range: string | undefined): Promise<FastifyReply> {
  const size = await attachments.storage.size(file.key)
  if (size === null) throw new AttachmentNotFound()
  reply.headers({
    'content-type': file.contentType,
    'content-disposition': file.disposition,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "sandbox; default-src 'none'",
    'cache-control': 'private, max-age=300',
    'accept-ranges': 'bytes'
  })
  const wanted = range === undefined ? null : byteRange(range, size)
  if (wanted === 'unsatisfiable') {
    return await reply.code(416).header('content-range', `bytes */${size}`).send()
  }
  const stream = await attachments.storage.read(file.key, wanted ?? undefined)
  if (stream === null) throw new AttachmentNotFound()
  if (wanted !== null) {
    reply.code(206).header('content-range', `bytes ${wanted.start}-${wanted.end}/${size}`)
  }
  reply.header('content-length', String(wanted === null ? size : wanted.end - wanted.start + 1))
  return await reply.send(stream)
}

/**
 * The range a Range header asks for (`bytes=a-b`, `bytes=a-`, `bytes=-n`); null for a header
 * this does not serve in part (several ranges, another unit: the whole file is served, as HTTP
 * allows); 'unsatisfiable' when it starts beyond the end.
 */
function byteRange (header: string, size: number): { start: number, end: number } | 'unsatisfiable' | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (match === null) return null
  const [, from = '', to = ''] = match
  if (from === '' && to === '') return null
  if (from === '') {
    const suffix = Number(to)
    if (suffix === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(from)
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1)
  if (start >= size) return 'unsatisfiable'
  if (end < start) return null
  return { start, end }
}
