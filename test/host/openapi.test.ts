// The OpenAPI document of the example application validates as OpenAPI 3 and lists every route
// of the contract, each with tags, a summary, a description and its response codes.
import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { openDatabase } from '../helpers/databases.js'
import { startApp } from '../helpers/app.js'

interface Operation { tags?: string[], summary?: string, description?: string, responses: Record<string, unknown>, parameters?: Array<{ name: string, in: string }>, requestBody?: unknown }
type Document = { openapi: string, paths: Record<string, Record<string, Operation>> }

const CONTRACT: Array<[string, string, string[]]> = [
  ['get', '/api/dm/unread/', ['200', '401']],
  ['get', '/api/dm/conversations/', ['200', '400', '401']],
  ['get', '/api/dm/conversations/unread/', ['200', '401']],
  ['get', '/api/dm/conversations/{id}/', ['200', '400', '401', '404']],
  ['post', '/api/dm/conversations/{id}/', ['201', '400', '401', '404', '409', '413', '429', '503']],
  ['delete', '/api/dm/conversations/{id}/', ['204', '400', '401', '404']],
  ['post', '/api/dm/conversations/{id}/read/', ['200', '400', '401', '404']],
  ['put', '/api/dm/conversations/{id}/mute/', ['204', '400', '401', '404']],
  ['delete', '/api/dm/conversations/{id}/mute/', ['204', '400', '401', '404']],
  ['put', '/api/dm/conversations/{id}/archive/', ['204', '400', '401', '404']],
  ['delete', '/api/dm/conversations/{id}/archive/', ['204', '400', '401', '404']],
  ['post', '/api/dm/conversations/{id}/typing/', ['204', '400', '401', '404']],
  ['get', '/api/dm/presence/', ['200', '400', '401']],
  ['post', '/api/dm/send/{id}/', ['201', '400', '401', '404', '409', '413', '429', '503']],
  ['delete', '/api/dm/messages/{id}/', ['204', '400', '401', '404']],
  ['patch', '/api/dm/messages/{id}/', ['200', '400', '401', '403', '404', '409', '413']],
  ['get', '/api/dm/messages/{id}/edits/', ['200', '400', '401', '404']],
  ['post', '/api/dm/messages/{id}/unsend/', ['204', '400', '401', '403', '404', '409']],
  ['put', '/api/dm/messages/{id}/reactions/{emoji}/', ['200', '400', '401', '404', '409']],
  ['delete', '/api/dm/messages/{id}/reactions/{emoji}/', ['200', '400', '401', '404', '409']],
  ['get', '/api/dm/blocks/', ['200', '400', '401']],
  ['post', '/api/dm/blocks/{id}/', ['201', '400', '401', '404']],
  ['delete', '/api/dm/blocks/{id}/', ['204', '400', '401', '404']],
  ['get', '/api/dm/events/', ['200', '400', '401', '406', '429', '503']],
  ['post', '/api/dm/attachments/', ['201', '400', '401', '413', '415', '503']],
  ['get', '/api/dm/attachments/{id}/', ['302', '401', '404']],
  ['put', '/api/dm/attachments/{id}/upload', ['204', '400', '403', '404', '409', '413', '503']],
  ['get', '/api/dm/attachments/{id}/file', ['403', '404']],
  ['get', '/api/dm/attachments/{id}/thumbnail', ['403', '404']]
]

t.test('OpenAPI document', async (t) => {
  const db = await openDatabase('sqlite', 'openapi')
  t.teardown(() => db.close())
  const app = await startApp(db)
  t.teardown(() => app.close())
  const doc = app.swagger() as unknown as Document

  await t.resolves(SwaggerParser.validate(structuredClone(doc) as never), 'validates as OpenAPI 3')
  t.match(doc.openapi, /^3\./)

  for (const [method, path, codes] of CONTRACT) {
    const operation = doc.paths[path]?.[method]
    t.ok(operation, `${method.toUpperCase()} ${path} is listed`)
    if (operation === undefined) continue
    t.same(operation.tags, ['direct messages'], `${path} tags`)
    t.ok((operation.summary ?? '').length > 0 && (operation.description ?? '').length > 0, `${path} has a summary and description`)
    t.same(Object.keys(operation.responses).sort(), codes, `${method.toUpperCase()} ${path} documents ${codes.join(', ')}`)
    if (path.includes('{id}')) t.ok(operation.parameters?.some((p) => p.name === 'id' && p.in === 'path'), `${path} documents its id`)
    if ((method === 'post' && !path.includes('/blocks/') && !path.endsWith('/unsend/') && !path.endsWith('/typing/')) || method === 'patch') t.ok(operation.requestBody, `${path} documents its body`)
  }
  const pluginPaths = Object.keys(doc.paths).filter((path) => path.startsWith('/api/dm'))
  t.same(pluginPaths.sort(), [...new Set(CONTRACT.map(([, path]) => path))].sort(), 'the paths without the trailing slash are not listed twice')
  t.ok(doc.paths['/users']?.post, 'the example\'s POST /users is listed')
  t.ok((doc.paths['/api/dm/events/']?.get?.responses['200'] as { content?: Record<string, unknown> } | undefined)?.content?.['text/event-stream'], 'the stream is documented as text/event-stream')

  // The fields of rich messages, and of typing, presence, mute and archive, are in the schemas
  // clients generate their types from.
  type Schema = { type?: string, properties?: Record<string, Schema>, items?: Schema, required?: string[] }
  const deref = await SwaggerParser.dereference(structuredClone(doc) as never) as unknown as { paths: Document['paths'] }
  const jsonOf = (op: Operation | undefined, code: string): Schema | undefined =>
    (op?.responses[code] as { content?: Record<string, { schema?: Schema }> } | undefined)?.content?.['application/json']?.schema
  const fields = (schema: Schema | undefined): string[] => Object.keys(schema?.properties ?? {}).sort()
  const message = jsonOf(deref.paths['/api/dm/send/{id}/']?.post, '201')
  t.same(fields(message), ['attachments', 'content', 'direction', 'edited_at', 'id', 'reactions', 'read_at', 'recipient', 'reply_to', 'sender', 'sent_at', 'unsent_at'], 'the message object has the rich fields')
  t.same(fields(message?.properties?.attachments?.items), ['content_type', 'height', 'id', 'name', 'size', 'thumbnail_url', 'url', 'width'], 'attachments: id, name, type, size, dimensions, URLs')
  t.same(fields(message?.properties?.reply_to), ['content', 'id', 'sender', 'unsent'], 'reply_to: the preview')
  t.same(fields(message?.properties?.reactions?.items), ['count', 'emoji', 'me'], 'reactions: emoji, count, me')
  const sendBody = (deref.paths['/api/dm/send/{id}/']?.post?.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)?.content?.['application/json']?.schema
  t.same(fields(sendBody), ['attachments', 'content', 'reply_to'], 'a send takes content, reply_to and attachments')
  const entry = jsonOf(deref.paths['/api/dm/conversations/']?.get, '200')?.properties?.results?.items
  t.ok(['muted', 'archived', 'last_message'].every((field) => fields(entry).includes(field)), `conversation entries carry muted, archived and last_message: ${fields(entry).join(', ')}`)
  t.ok(deref.paths['/api/dm/conversations/']?.get?.parameters?.some((p) => p.name === 'archived' && p.in === 'query'), 'the list takes ?archived=')
  t.same(fields(jsonOf(deref.paths['/api/dm/unread/']?.get, '200')), ['count', 'id', 'unmuted_count'], '/unread/ answers count and unmuted_count')
  t.same(fields(jsonOf(deref.paths['/api/dm/presence/']?.get, '200')?.items), ['id', 'last_seen_at', 'online'], 'presence entries: id, online, last_seen_at')
  t.ok(deref.paths['/api/dm/presence/']?.get?.parameters?.some((p) => p.name === 'ids' && p.in === 'query'), 'presence takes ?ids=')
  t.same(fields(jsonOf(deref.paths['/api/dm/messages/{id}/edits/']?.get, '200')?.items), ['content', 'edited_at'], 'edit history entries: content, edited_at')
  t.same(fields(jsonOf(deref.paths['/api/dm/messages/{id}/reactions/{emoji}/']?.put, '200')), ['reactions'], 'a reaction answers {reactions}')
  t.same(fields(jsonOf(deref.paths['/api/dm/messages/{id}/']?.patch, '200')), fields(message), 'an edit answers the message object')

  const ui = await app.inject({ method: 'GET', url: '/docs' })
  t.ok(ui.statusCode === 200 || ui.statusCode === 302, 'Swagger UI is served at /docs')
  const json = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(json.statusCode, 200)
  t.same(json.json(), JSON.parse(JSON.stringify(doc)), '/docs/json serves the document')
})

t.test('the security option puts the host\'s security requirement on every route of the plugin', async (t) => {
  const db = await openDatabase('sqlite', 'openapi-security')
  t.teardown(() => db.close())
  const { default: Fastify } = await import('fastify')
  const { default: swagger } = await import('@fastify/swagger')
  const { default: directMessages } = await import('../../src/index.js')
  const documentOf = async (options: { security?: Array<Record<string, string[]>> }): Promise<Document & { components?: unknown }> => {
    // A host as a JWT application writes it: a bearer scheme declared, no document-wide requirement.
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(swagger, {
      openapi: { openapi: '3.0.3', info: { title: 'host', version: '1.0.0' }, components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } } }
    })
    app.get('/health', { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, async () => ({ ok: true }))
    await app.register(directMessages, { prefix: '/api/dm', prisma: db.prisma, getUserId: () => 1, ...options })
    await app.ready()
    return app.swagger() as unknown as Document
  }
  const operations = (doc: Document): Array<[string, Operation & { security?: unknown }]> =>
    Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]): [string, Operation & { security?: unknown }] => [`${method.toUpperCase()} ${path}`, op]))

  const secured = await documentOf({ security: [{ bearerAuth: [] }] })
  await t.resolves(SwaggerParser.validate(structuredClone(secured) as never), 'the document with the requirement validates as OpenAPI 3')
  const ours = operations(secured).filter(([name]) => name.includes(' /api/dm/'))
  t.equal(ours.length, CONTRACT.length, `every operation of the plugin is in the document (${ours.length})`)
  // The routes of signed URLs take no credentials: the signature is the permission.
  const signed = (name: string): boolean => /\/attachments\/\{id\}\/(upload|file|thumbnail)$/.test(name)
  for (const [name, op] of ours) t.same(op.security, signed(name) ? [] : [{ bearerAuth: [] }], `${name} ${signed(name) ? 'says it needs no credentials' : 'carries the requirement'}`)
  t.equal(operations(secured).find(([name]) => name === 'GET /health')?.[1].security, undefined, 'the host\'s own routes are left as they are')

  const plain = await documentOf({})
  t.ok(operations(plain).every(([name, op]) => op.security === undefined || (signed(name) && Array.isArray(op.security) && op.security.length === 0)),
    'without the option, no operation carries a requirement')
})

// The document, whole, as clients generate their code from it: a change to any route, schema,
// code or description shows here (regenerate deliberately with `npx tap --snapshot test/host/openapi.test.ts`).
for (const userIdType of ['integer', 'string'] as const) {
  t.test(`the OpenAPI document is unchanged (${userIdType} ids)`, async (t) => {
    const db = await openDatabase('sqlite', 'openapi-snapshot', { userIdType })
    t.teardown(() => db.close())
    const app = await startApp(db)
    t.teardown(() => app.close())
    t.matchSnapshot(JSON.stringify(app.swagger(), null, 2), 'the document')
  })
}
