/** The route schemas of attachments: they validate requests, serialise responses, type the handlers and document the routes. */
import { Type } from '@sinclair/typebox'
import { describe, ErrorResponse, errorResponse, unauthorized } from '../../http/schemas.js'

const AttachmentIdParams = Type.Object({
  id: Type.String({ maxLength: 64, description: 'The attachment id' })
})

const SignedQuery = Type.Object({
  expires: Type.Optional(Type.String({ maxLength: 16, description: 'When the URL expires (Unix seconds), as signed' })),
  signature: Type.Optional(Type.String({ maxLength: 128, description: 'The URL\'s signature' }))
})

/** The routes of signed URLs need no credentials (OpenAPI: an empty requirement overrides the document's). */
const noCredentials = { security: [] }

const invalidUrl = { 403: errorResponse('The URL is forged or has expired (whether the file exists is not said): ask for a fresh one') }

/** @internal */
export function attachmentSchemas () {
  return {
    create: {
      ...describe('Declare an upload', 'Declares a file the caller will send in a message: its name, type and size in bytes. ' +
        'Answers the attachment id (what a send names in `attachments`) and the request that sends its bytes: `upload.method` to ' +
        '`upload.url` with exactly `upload.headers`, before `expires_at`. The bytes are checked when the attachment is first sent: ' +
        'their size must be the one declared, and the type sniffed from them must be allowed and agree with the declared one.'),
      body: Type.Object({
        name: Type.String({ description: 'The file name, shown to the partner (1–255 characters, no control characters); never used as a path' }),
        content_type: Type.String({ description: 'The media type, e.g. `image/png`; one the `attachmentTypes` option allows' }),
        size: Type.Number({ description: 'Bytes; at most the `maxAttachmentSize` option (default 25 MiB)' })
      }),
      response: {
        201: Type.Object({
          id: Type.String(),
          upload: Type.Object({
            method: Type.Literal('PUT'),
            url: Type.String({ description: 'Where to send the bytes: the plugin\'s own route, or a presigned URL of the storage' }),
            headers: Type.Record(Type.String(), Type.String(), { description: 'Headers the upload must carry' })
          }),
          expires_at: Type.String({ format: 'date-time', description: 'When the upload URL expires' })
        }, { title: 'AttachmentUpload' }),
        400: errorResponse('A name, type or size that is not one (`FST_DM_INVALID_UPLOAD`)'),
        ...unauthorized,
        413: errorResponse('Larger than the `maxAttachmentSize` option (`FST_DM_ATTACHMENT_TOO_LARGE`)'),
        415: errorResponse('A type the `attachmentTypes` option does not allow (`FST_DM_ATTACHMENT_TYPE_NOT_ALLOWED`)'),
        503: errorResponse('The storage cannot be reached (`FST_DM_STORAGE_UNAVAILABLE`); nothing was stored')
      }
    },
    open: {
      ...describe('Read an attachment', 'Redirects (302) to a fresh signed URL of the bytes of attachment `id`, for a participant who sees its message. ' +
        'Anyone else, an unknown id, an unsent message: 404, all alike.'),
      params: AttachmentIdParams,
      response: {
        302: Type.Null({ description: 'Location: the signed URL' }),
        ...unauthorized,
        404: errorResponse('No attachment the caller may read has this id (`FST_DM_ATTACHMENT_NOT_FOUND`)')
      }
    }
  }
}

/** @internal The routes signed URLs lead to. */
export function fileSchemas () {
  return {
    upload: {
      ...noCredentials,
      ...describe('Upload the bytes of an attachment', 'The signed upload URL of `POST /attachments/` with local storage: the body is the file\'s bytes, ' +
        'with the declared Content-Type. More bytes than declared are refused as they arrive (413); fewer: 400; a second upload: 409.'),
      params: AttachmentIdParams,
      querystring: SignedQuery,
      response: {
        204: Type.Null({ description: 'Stored' }),
        400: errorResponse('Another Content-Type than declared (`FST_DM_INVALID_UPLOAD`), or fewer bytes than declared (`FST_DM_INCOMPLETE_UPLOAD`)'),
        ...invalidUrl,
        404: errorResponse('The upload is gone (it expired)'),
        409: errorResponse('The bytes were uploaded already (`FST_DM_ALREADY_UPLOADED`)'),
        413: { ...ErrorResponse, description: 'More bytes than declared (`FST_DM_ATTACHMENT_TOO_LARGE`)' },
        503: errorResponse('The storage cannot be reached (`FST_DM_STORAGE_UNAVAILABLE`)')
      }
    },
    read: {
      ...noCredentials,
      ...describe('The bytes of an attachment', 'A signed URL of a message\'s file (or thumbnail), as messages carry them: the bytes with their stored type, ' +
        '`X-Content-Type-Options: nosniff`, `Content-Security-Policy: sandbox` and `Content-Disposition: attachment` (inline for images of safe types). ' +
        'Range requests are served (206). With a storage that serves files itself, a redirect (302) to its presigned URL.'),
      params: AttachmentIdParams,
      querystring: SignedQuery,
      response: {
        ...invalidUrl,
        404: errorResponse('The file is no message\'s any more (unsent, or deleted by both participants)')
      }
    }
  }
}
