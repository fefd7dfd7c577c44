// The package as a host installs it: the `exports` map resolves to the built dist/ with its type
// declarations (the plugin, and the testing kit), and the plugin carries fastify-plugin metadata.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import t from 'tap'

const root = fileURLToPath(new URL('../..', import.meta.url))

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

t.test('fastify-directmessages/testing: the conformance kit of buses', async (t) => {
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'))
  t.ok(existsSync(`${root}/${pkg.exports['./testing'].import as string}`), 'the built kit exists (npm run build)')
  t.ok(existsSync(`${root}/${pkg.exports['./testing'].types as string}`), 'its type declarations exist')
  const testing = await import('fastify-directmessages/testing')
  t.type(testing.runBusTests, 'function', 'runBusTests is exported')
})

t.test('a host on another Fastify than 5 is told so before anything else', async (t) => {
  // npm refuses the install (the peer range), and the README says so first in its installation section.
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'))
  t.equal(pkg.peerDependencies.fastify, '5.x', 'fastify 5 is the peer range npm checks')
  const readme = readFileSync(`${root}/README.md`, 'utf8')
  const install = readme.slice(readme.indexOf('## Installing into your application'))
  const first = install.split('\n\n')[1] ?? ''
  t.match(first, /Fastify 5 is required/, 'the first paragraph of the installation section names the requirement')
  t.match(first, /ERESOLVE unable to resolve dependency tree/, 'and the error npm answers a Fastify 3 or 4 application')
  t.match(first, /docs\/installation\.md#upgrading-from-fastify-3-or-4/, 'with the way to upgrade')
  const guide = readFileSync(`${root}/docs/installation.md`, 'utf8')
  t.match(guide, /peer fastify@"5\.x" from fastify-directmessages/, 'the guide quotes the peer npm could not resolve')
})
