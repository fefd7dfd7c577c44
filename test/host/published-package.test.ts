// The package as a host installs it: the `exports` map resolves to the built dist/ with its type
// declarations (the plugin, and the testing kit), and the plugin carries fastify-plugin metadata.
// And what `npm publish` would ship: exactly the built package, its README, CONTRIBUTING.md, the documents the
// README points at (docs/, its picture included), LICENSE and package.json — every source file
// compiled with its type declarations, and nothing else (no source maps, tests, examples,
// migrations, or stale output of a source file that moved).
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
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

/** `npm pack --dry-run --json`, without what `npm test` puts in the environment (npm_config_*). */
function dryRun (): Promise<{ files: Array<{ path: string }> }> {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) || key.toLowerCase() === 'npm_config_cache') env[key] = value
  }
  return new Promise((resolve, reject) => {
    // --ignore-scripts: `prepack` would rebuild dist/ while other test files import it.
    const child = spawn('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`npm pack --dry-run exited ${String(code)}: ${stderr}`))
      else resolve((JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0] as { files: Array<{ path: string }> })
    })
  })
}

t.test('the packed files', async (t) => {
  const packed = new Set((await dryRun()).files.map((file) => file.path))
  const sources = readdirSync(join(root, 'src'), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(join(root, 'src'), join(entry.parentPath, entry.name)).split('\\').join('/'))
  t.ok(sources.includes('index.ts') && sources.includes('cli/index.ts'), 'the sources include the entry and the CLI')
  const docs = readdirSync(join(root, 'docs'), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'))
  t.ok(docs.includes('docs/installation.md') && docs.includes('docs/chat.png'), 'the documents include the installation guide and the chat page picture')
  const expected = new Set(['LICENSE', 'README.md', 'CONTRIBUTING.md', 'package.json', ...docs])
  for (const source of sources) {
    const base = `dist/${source.replace(/\.ts$/, '')}`
    expected.add(`${base}.js`)
    expected.add(`${base}.d.ts`)
  }
  t.same([...expected].filter((path) => !packed.has(path)).sort(), [],
    'nothing missing (every src/**/*.ts as dist/**/*.js and .d.ts, every file of docs/; if dist/ is missing files: npm run build)')
  t.same([...packed].filter((path) => !expected.has(path)).sort(), [],
    'nothing unwanted (no maps, tests, examples, migrations; stale files of moved sources: rm -rf dist && npm run build)')

  // What package.json points at is in the package.
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    main: string, types: string, bin: Record<string, string>, exports: Record<string, string | Record<string, string>>
  }
  const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin),
    ...Object.values(pkg.exports).flatMap((target) => typeof target === 'string' ? [target] : Object.values(target))]
  for (const target of new Set(targets.map((path) => path.replace(/^\.\//, '')))) {
    t.ok(packed.has(target), `package.json points at ${target}: packed`)
  }
  t.same(Object.keys(pkg.bin), ['fastify-directmessages'], 'one command, fastify-directmessages')
  const bin = readFileSync(join(root, (pkg.bin['fastify-directmessages'] as string)), 'utf8')
  t.match(bin, /^#!\/usr\/bin\/env node\n/, 'the command starts with #!/usr/bin/env node (npm links it as an executable)')
})
