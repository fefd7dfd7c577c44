// The package as a host installs it: the `exports` map resolves to the built dist/ with its type
// declarations, and the plugin carries fastify-plugin metadata.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import t from 'tap'

const root = fileURLToPath(new URL('..', import.meta.url))

t.test('the package entry', async (t) => {
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'))
  t.equal(pkg.name, 'fastify-directmessages')
  t.equal(pkg.type, 'module')
  t.ok(existsSync(`${root}/${pkg.exports['.'].import as string}`), 'the built entry exists (npm run build)')
  t.ok(existsSync(`${root}/${pkg.exports['.'].types as string}`), 'its type declarations exist')

  const entry = await import('fastify-directmessages')
  t.type(entry.default, 'function', 'default export: the plugin')
  t.equal(entry.directMessages, entry.default, 'also a named export')
  t.same((entry.default as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')], { fastify: '5.x', name: 'fastify-directmessages' }, 'fastify-plugin metadata')
  t.equal(entry.PAGE_SIZE, 50)
  t.type(entry.errors.UserNotFound, 'function', 'error constructors are exported')
  t.equal(new entry.errors.UserNotFound(7).message, 'User 7 does not exist')

  const app = Fastify()
  await t.rejects(async () => {
    await app.register(entry.default, {} as never)
  }, { code: 'FST_DM_INVALID_OPTION' }, 'registers as a Fastify plugin and validates its options')
  await app.close().catch(() => {})
})
