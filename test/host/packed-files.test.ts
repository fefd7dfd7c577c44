// What `npm publish` would ship: exactly the built package, its models, README, the documents the
// README points at (docs/, its picture included), LICENSE and package.json — every source file
// compiled with its type declarations, and nothing else (no source maps, tests, examples,
// migrations, or stale output of a source file that moved).
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../..', import.meta.url))

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
  const expected = new Set(['LICENSE', 'README.md', 'CONTRIBUTING.md', 'package.json', 'prisma/models.prisma', ...docs])
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
