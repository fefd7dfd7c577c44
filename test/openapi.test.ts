// The OpenAPI document of the example application validates as OpenAPI 3 and lists every route
// of the contract, each with tags, a summary, a description and its response codes.
import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { openDatabase } from './helpers/databases.js'
import { startApp } from './helpers/app.js'

interface Operation { tags?: string[], summary?: string, description?: string, responses: Record<string, unknown>, parameters?: Array<{ name: string, in: string }>, requestBody?: unknown }
type Document = { openapi: string, paths: Record<string, Record<string, Operation>> }

const CONTRACT: Array<[string, string, string[]]> = [
  ['get', '/api/dm/unread/', ['200', '401']],
  ['get', '/api/dm/conversations/', ['200', '400', '401']],
  ['get', '/api/dm/conversations/unread/', ['200', '401']],
  ['get', '/api/dm/conversations/{id}/', ['200', '400', '401', '404']],
  ['post', '/api/dm/conversations/{id}/', ['201', '400', '401', '404', '409', '413', '429']],
  ['delete', '/api/dm/conversations/{id}/', ['204', '400', '401', '404']],
  ['post', '/api/dm/conversations/{id}/read/', ['200', '400', '401', '404']],
  ['put', '/api/dm/conversations/{id}/mute/', ['204', '400', '401', '404']],
  ['delete', '/api/dm/conversations/{id}/mute/', ['204', '400', '401', '404']],
  ['put', '/api/dm/conversations/{id}/archive/', ['204', '400', '401', '404']],
  ['delete', '/api/dm/conversations/{id}/archive/', ['204', '400', '401', '404']],
  ['post', '/api/dm/conversations/{id}/typing/', ['204', '400', '401', '404']],
  ['get', '/api/dm/presence/', ['200', '400', '401']],
  ['post', '/api/dm/send/{id}/', ['201', '400', '401', '404', '409', '413', '429']],
  ['delete', '/api/dm/messages/{id}/', ['204', '400', '401', '404']],
  ['patch', '/api/dm/messages/{id}/', ['200', '400', '401', '403', '404', '409', '413']],
  ['get', '/api/dm/messages/{id}/edits/', ['200', '400', '401', '404']],
  ['post', '/api/dm/messages/{id}/unsend/', ['204', '400', '401', '403', '404', '409']],
  ['put', '/api/dm/messages/{id}/reactions/{emoji}/', ['200', '400', '401', '404', '409']],
  ['delete', '/api/dm/messages/{id}/reactions/{emoji}/', ['200', '400', '401', '404', '409']],
  ['get', '/api/dm/blocks/', ['200', '400', '401']],
  ['post', '/api/dm/blocks/{id}/', ['201', '400', '401', '404']],
  ['delete', '/api/dm/blocks/{id}/', ['204', '400', '401', '404']],
  ['get', '/api/dm/events/', ['200', '400', '401', '406', '429', '503']]
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

  const ui = await app.inject({ method: 'GET', url: '/docs' })
  t.ok(ui.statusCode === 200 || ui.statusCode === 302, 'Swagger UI is served at /docs')
  const json = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(json.statusCode, 200)
  t.same(json.json(), JSON.parse(JSON.stringify(doc)), '/docs/json serves the document')
})
