// The example application (examples/): its own routes in-process, and the real server started the
// way `npm start` starts it (migrations, HOST/PORT, DATABASE_URL, DM_ALLOWED_RECIPIENTS, SIGTERM,
// the attachments' DM_STORAGE with DM_S3_* on a real S3 server).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mariadb from 'mariadb'
import pg from 'pg'
import t, { type Test } from 'tap'
import { attachmentsFromEnvironment, busFromEnvironment, parseAllowedRecipients, parseUserIdType } from '../../examples/app.js'
import { pdf } from '../helpers/attachments.js'
import { listObjects, S3RVER_CREDENTIALS, startS3 } from '../helpers/s3.js'
import { openStream } from '../helpers/sse.js'
import { forEachDatabase, MYSQL_ADMIN_URL, mysqlReachable, PG_ADMIN_URL, postgresReachable } from '../helpers/databases.js'
import { createUser, startApp } from '../helpers/app.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

forEachDatabase(t, 'example routes', async (t, db) => {
  const app = await startApp(db)
  t.teardown(() => app.close())

  const res = await app.inject({ method: 'POST', url: '/users', payload: { username: 'jane', first_name: 'Jane', last_name: 'Doe' } })
  t.equal(res.statusCode, 201)
  const jane = res.json()
  t.same(Object.keys(jane).sort(), ['first_name', 'id', 'last_name', 'token', 'username'])
  t.match(jane, { id: Number, username: 'jane', first_name: 'Jane', last_name: 'Doe', token: /^[A-Za-z0-9_-]{20,}$/ })

  const minimal = await app.inject({ method: 'POST', url: '/users', payload: { username: 'bo' } })
  t.match(minimal.json(), { username: 'bo', first_name: '', last_name: '' }, 'names are optional')

  const taken = await app.inject({ method: 'POST', url: '/users', payload: { username: 'jane' } })
  t.equal(taken.statusCode, 409)
  t.same(taken.json(), { statusCode: 409, code: 'USERNAME_TAKEN', error: 'Conflict', message: 'The username "jane" is taken' })

  // Looking a user up by name (the chat page's "Start a conversation with"), with and without the slash.
  const auth = { authorization: `Token ${jane.token as string}` }
  for (const path of ['/users/', '/users']) {
    const found = await app.inject({ method: 'GET', url: `${path}?username=bo`, headers: auth })
    t.equal(found.statusCode, 200, `GET ${path}?username=bo`)
    t.same(found.json(), { id: minimal.json().id, username: 'bo', first_name: '', last_name: '' }, `${path}: the user, without its token`)
    t.same((await app.inject({ method: 'GET', url: `${path}?username=nobody`, headers: auth })).json(),
      { statusCode: 404, code: 'USER_NOT_FOUND', error: 'Not Found', message: 'No user named "nobody"' }, `${path}: an unknown name`)
    for (const query of ['', '?username=', '?username=has%20space', `?username=${'x'.repeat(151)}`]) {
      const res = await app.inject({ method: 'GET', url: `${path}${query}`, headers: auth })
      t.equal(res.statusCode, 400, `GET ${path}${query.slice(0, 30)}: 400`)
      t.match(res.json(), { statusCode: 400, message: String }, 'with a message')
    }
    for (const headers of [{}, { authorization: 'Token not-a-token' }, { authorization: 'Basic abc' }]) {
      const res = await app.inject({ method: 'GET', url: `${path}?username=bo`, headers })
      t.same(res.json(), { statusCode: 401, code: 'UNAUTHORIZED', error: 'Unauthorized', message: 'No authenticated user' }, `${path} as ${JSON.stringify(headers)}: 401`)
    }
    const anonymousInvalid = await app.inject({ method: 'GET', url: `${path}?username=` })
    t.equal(anonymousInvalid.statusCode, 401, `${path}: without a token, 401 before the query is validated`)
  }

  for (const payload of [{}, { username: '' }, { username: 'has space' }, { username: 'x'.repeat(151) }, { username: 7 }]) {
    t.equal((await app.inject({ method: 'POST', url: '/users', payload })).statusCode, 400, JSON.stringify(payload))
  }

  for (const scheme of ['Token', 'Bearer', 'token', 'bearer']) {
    const me = await app.inject({ method: 'GET', url: '/api/dm/unread/', headers: { authorization: `${scheme} ${jane.token as string}` } })
    t.same(me.json(), { id: jane.id, count: 0, unmuted_count: 0 }, `${scheme} <token>`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/dm/unread/', headers: { authorization: `Token ${jane.token as string}x` } })).statusCode, 401, 'a wrong token')

  const allowApp = await startApp(db, { allowedRecipients: [jane.id] })
  t.teardown(() => allowApp.close())
  const carl = await createUser(allowApp, 'carl')
  const dora = await createUser(allowApp, 'dora')
  t.equal((await allowApp.inject({ method: 'POST', url: `/api/dm/send/${dora.id}/`, headers: carl.headers, payload: { content: 'hi' } })).statusCode, 400, 'allowedRecipients reaches the plugin')
  t.equal((await allowApp.inject({ method: 'POST', url: `/api/dm/send/${jane.id as number}/`, headers: carl.headers, payload: { content: 'hi' } })).statusCode, 201)
})

t.test('DM_ALLOWED_RECIPIENTS parsing', async (t) => {
  t.equal(parseAllowedRecipients(undefined), null)
  t.equal(parseAllowedRecipients(' '), null)
  t.same(parseAllowedRecipients('1,2, 3'), [1, 2, 3])
  t.throws(() => parseAllowedRecipients('1,x'), /DM_ALLOWED_RECIPIENTS/)
  t.throws(() => parseAllowedRecipients('0'), /DM_ALLOWED_RECIPIENTS/)
})

t.test('DM_USER_ID_TYPE and string DM_ALLOWED_RECIPIENTS', async (t) => {
  t.equal(parseUserIdType(undefined), 'integer')
  t.equal(parseUserIdType('integer'), 'integer')
  t.equal(parseUserIdType('string'), 'string')
  t.throws(() => parseUserIdType('uuid'), /DM_USER_ID_TYPE must be integer or string/)
  t.same(parseAllowedRecipients('cm1abc, cm2def', 'string'), ['cm1abc', 'cm2def'])
  t.throws(() => parseAllowedRecipients('not an id', 'string'), /DM_ALLOWED_RECIPIENTS/)
})

t.test('DM_USER_ID_TYPE=string runs the example with string user ids', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-server-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { child, base, exited } = await startServer({ DATABASE_URL: `file:${join(dir, 'strings.db')}`, DM_USER_ID_TYPE: 'string' })
  const post = async (path: string, body: unknown, token?: string): Promise<Response> => await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Token ${token}` }) },
    body: JSON.stringify(body)
  })
  const ann = await (await post('/users', { username: 'ann' })).json() as { id: unknown, token: string }
  const ben = await (await post('/users', { username: 'ben' })).json() as { id: unknown, token: string }
  t.match(ann.id, /^[a-z0-9]{20,}$/, 'users get cuid ids')
  const sent = await post(`/api/dm/send/${String(ben.id)}/`, { content: 'hello ben' }, ann.token)
  t.equal(sent.status, 201)
  t.match(await sent.json(), { sender: ann.id, recipient: ben.id, content: 'hello ben' })
  const list = await (await fetch(`${base}/api/dm/conversations/`, { headers: { authorization: `Token ${ben.token}` } })).json() as { results: Array<{ id: unknown }> }
  t.same(list.results.map((entry) => entry.id), [ann.id], 'the string ids come back as strings')
  t.equal((await post('/api/dm/send/12/', { content: 'x' }, ann.token)).status, 404, 'a well-formed unknown id is a 404')
  t.equal((await post('/api/dm/send/has%20space/', { content: 'x' }, ann.token)).status, 400, 'a malformed one a 400')
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exits 0')
})

t.test('DM_BUS picks the bus', async (t) => {
  t.equal(busFromEnvironment(undefined, 'file:./x.db', undefined).name, 'memory')
  t.equal(busFromEnvironment('memory', 'file:./x.db', undefined).name, 'memory')
  t.equal(busFromEnvironment('postgres', 'postgresql://h/db', undefined).name, 'postgres')
  t.equal(busFromEnvironment('redis', 'file:./x.db', 'redis://127.0.0.1:6379').name, 'redis')
  t.throws(() => busFromEnvironment('postgres', 'file:./x.db', undefined), /DM_BUS=postgres needs a postgresql/)
  t.throws(() => busFromEnvironment('postgres', 'mysql://root@127.0.0.1:3306/dm', undefined), /DM_BUS=postgres needs a PostgreSQL database .* use DM_BUS=redis/)
  t.throws(() => busFromEnvironment('kafka', 'file:./x.db', undefined), /DM_BUS must be memory, postgres or redis/)
})

t.test('the attachments\' environment: DM_STORAGE, DM_ATTACHMENTS_DIR, the TTLs, the secret, DM_S3_*', async (t) => {
  t.same((await attachmentsFromEnvironment({})).options, {}, 'nothing set: the plugin\'s defaults (local files in ./dm-attachments)')
  t.same((await attachmentsFromEnvironment({
    DM_STORAGE: 'local', DM_ATTACHMENTS_DIR: '/var/dm', DM_ATTACHMENT_URL_TTL: '60000', DM_ATTACHMENT_UPLOAD_TTL: '7200000', DM_ATTACHMENT_SECRET: 'a'.repeat(32)
  })).options, { attachmentsDirectory: '/var/dm', attachmentUrlTtl: 60_000, attachmentUploadTtl: 7_200_000, attachmentSecret: 'a'.repeat(32) })
  const s3 = await attachmentsFromEnvironment({ DM_STORAGE: 's3', DM_S3_BUCKET: 'files', DM_S3_ENDPOINT: 'http://127.0.0.1:9000', DM_S3_ACCESS_KEY_ID: 'k', DM_S3_SECRET_ACCESS_KEY: 's' })
  t.equal(s3.options.storage?.name, 's3', 'DM_STORAGE=s3: s3Storage')
  s3.close()
  const refusals: Array<[Record<string, string>, RegExp]> = [
    [{ DM_STORAGE: 'ftp' }, /^DM_STORAGE must be local or s3, got "ftp"$/],
    [{ DM_ATTACHMENT_URL_TTL: '1h' }, /^DM_ATTACHMENT_URL_TTL must be a number of milliseconds/],
    [{ DM_ATTACHMENT_UPLOAD_TTL: '999' }, /^DM_ATTACHMENT_UPLOAD_TTL must be a number of milliseconds from 1000/],
    [{ DM_ATTACHMENT_SECRET: 'short' }, /^DM_ATTACHMENT_SECRET must be at least 16 characters/],
    [{ DM_S3_BUCKET: 'files' }, /^DM_S3_BUCKET is only read with DM_STORAGE=s3/],
    [{ DM_STORAGE: 's3' }, /^DM_STORAGE=s3 needs DM_S3_BUCKET/],
    [{ DM_STORAGE: 's3', DM_S3_BUCKET: 'files', DM_ATTACHMENTS_DIR: '/var/dm' }, /^DM_ATTACHMENTS_DIR is only read with DM_STORAGE=local/],
    [{ DM_STORAGE: 's3', DM_S3_BUCKET: 'Not_A_Bucket' }, /^DM_S3_BUCKET must be a bucket name/],
    [{ DM_STORAGE: 's3', DM_S3_BUCKET: 'files', DM_S3_ENDPOINT: '127.0.0.1:9000' }, /^DM_S3_ENDPOINT must be an http:\/\/ or https:\/\/ URL/],
    [{ DM_STORAGE: 's3', DM_S3_BUCKET: 'files', DM_S3_REGION: 'Europe West' }, /^DM_S3_REGION must be a region name/],
    [{ DM_STORAGE: 's3', DM_S3_BUCKET: 'files', DM_S3_ACCESS_KEY_ID: 'k' }, /^DM_S3_ACCESS_KEY_ID is set without DM_S3_SECRET_ACCESS_KEY/]
  ]
  for (const [env, message] of refusals) await t.rejects(attachmentsFromEnvironment(env), { message }, JSON.stringify(env))
  await t.rejects(attachmentsFromEnvironment({ DM_ATTACHMENT_SECRET: 'not-long-enough' }), { message: /^(?!.*not-long-enough)/ }, 'a short secret is not repeated in the message')
})

t.test('DM_STORAGE=s3 with DM_S3_* on an S3 server: files go through presigned URLs, straight to S3', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-server-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const s3 = await startS3()
  t.teardown(() => s3.close())
  const { child, base, exited } = await startServer({
    DATABASE_URL: `file:${join(dir, 's3.db')}`,
    DM_STORAGE: 's3',
    DM_S3_ENDPOINT: s3.endpoint,
    DM_S3_BUCKET: s3.bucket,
    DM_S3_REGION: 'us-east-1',
    DM_S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    DM_S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    DM_ATTACHMENT_SECRET: 'a secret of the example server'
  })
  t.teardown(() => { child.kill('SIGKILL') })
  const post = async (path: string, body: unknown, token?: string): Promise<Response> => await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Token ${token}` }) },
    body: JSON.stringify(body)
  })
  const ann = await (await post('/users', { username: 'ann' })).json() as { id: number, token: string }
  const ben = await (await post('/users', { username: 'ben' })).json() as { id: number, token: string }
  const bytes = pdf()
  const declared = await post('/api/dm/attachments/', { name: 'minutes.pdf', content_type: 'application/pdf', size: bytes.length }, ann.token)
  t.equal(declared.status, 201, 'POST /api/dm/attachments/')
  const { id, upload } = await declared.json() as { id: string, upload: { method: string, url: string, headers: Record<string, string> } }
  t.ok(upload.url.startsWith(`${s3.endpoint}/${s3.bucket}/`), 'the upload URL is the S3 server\'s')
  t.match(upload.url, /X-Amz-Signature=/, 'presigned')
  const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes })
  t.equal(put.status, 200, 'the S3 server takes the bytes')
  t.same(await listObjects(s3.directory), [`u/${id}`], 'and holds them')

  const sent = await post(`/api/dm/send/${ben.id}/`, { content: 'the minutes', attachments: [id] }, ann.token)
  t.equal(sent.status, 201, 'a message carries the file')
  const page = await (await fetch(`${base}/api/dm/conversations/${ann.id}/`, { headers: { authorization: `Token ${ben.token}` } })).json() as {
    results: Array<{ attachments: Array<{ id: string, name: string, url: string }> }>
  }
  const attachment = page.results[0]?.attachments[0]
  t.match(attachment, { id, name: 'minutes.pdf' }, 'the partner sees it')
  const redirect = await fetch(base + (attachment?.url ?? ''), { redirect: 'manual' })
  t.equal(redirect.status, 302, 'its url redirects')
  const location = redirect.headers.get('location') ?? ''
  t.ok(location.startsWith(`${s3.endpoint}/${s3.bucket}/`), 'to the S3 server')
  const file = await fetch(location)
  t.equal(file.status, 200)
  t.ok(Buffer.from(await file.arrayBuffer()).equals(bytes), 'which serves the bytes sent')
  t.same(await listObjects(s3.directory), [`f/${id}`], 'the checked file, and nothing else, is in the bucket')
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exits 0')
})

t.test('a wrong DM_STORAGE stops the server at start, naming the variable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-server-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { status, output } = await runToExit({ DATABASE_URL: `file:${join(dir, 'ftp.db')}`, DM_STORAGE: 'ftp' })
  t.not(status, 0, 'the server does not start')
  t.match(output, /DM_STORAGE must be local or s3, got "ftp"/, 'and says which variable is wrong')
  t.notMatch(output, /Server listening/)
})

/** Runs `tsx examples/server.ts` with `env` until it exits by itself (a server that fails to start). */
async function runToExit (env: Record<string, string>): Promise<{ status: number | null, output: string }> {
  const child = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'examples/server.ts'], {
    cwd: root, env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const status = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(timer)
  return { status, output }
}

/** Starts `tsx examples/server.ts` (what `npm start` runs) and resolves with its base URL. */
function startServer (env: Record<string, string>): Promise<{ child: ChildProcess, base: string, exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'examples/server.ts'], {
    cwd: root, env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`server did not start:\n${output}`)) }, 60_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (listening !== null) {
        clearTimeout(timer)
        resolve({ child, base: listening[1] as string, exited })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${output}`)) }, reject)
  })
}

async function exercise (t: Test, base: string): Promise<void> {
  const post = async (path: string, body: unknown, token?: string): Promise<Response> => await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Token ${token}` }) },
    body: JSON.stringify(body)
  })
  const a = await (await post('/users', { username: 'ann' })).json() as { id: number, token: string }
  const b = await (await post('/users', { username: 'ben' })).json() as { id: number, token: string }
  const c = await (await post('/users', { username: 'cat' })).json() as { id: number, token: string }
  t.equal((await post(`/api/dm/send/${b.id}/`, { content: 'hello ben' }, a.token)).status, 400, 'DM_ALLOWED_RECIPIENTS: ann may not message ben')
  t.equal((await post(`/api/dm/send/${c.id}/`, { content: 'hello cat' }, a.token)).status, 201, 'but may message cat')
  const unread = await (await fetch(`${base}/api/dm/unread/`, { headers: { authorization: `Bearer ${c.token}` } })).json()
  t.same(unread, { id: c.id, count: 1, unmuted_count: 1 })
  const docs = await fetch(`${base}/docs/json`)
  t.equal(docs.status, 200)
  t.ok(((await docs.json()) as { paths: object }).paths, 'the OpenAPI document is served')
}

t.test('the server migrates a new SQLite database, serves, and exits 0 on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-server-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // The third user (cat) is the only allowed recipient.
  const { child, base, exited } = await startServer({ DATABASE_URL: `file:${join(dir, 'example.db')}`, DM_ALLOWED_RECIPIENTS: '3' })
  await exercise(t, base)
  // SIGTERM with an event stream open and a request in flight: the request is answered, the
  // stream ends, the process exits 0.
  const dan = await (await fetch(`${base}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'dan' }) })).json() as { token: string }
  const stream = await openStream(base, '/api/dm/events/', { authorization: `Token ${dan.token}` })
  t.equal(stream.status, 200)
  const inFlight = fetch(`${base}/docs/json`)
  child.kill('SIGTERM')
  t.equal((await inFlight).status, 200, 'the request in flight is answered')
  await stream.ended
  t.pass('the event stream is ended')
  t.equal(await exited, 0, 'exits 0')
})

t.test('a postgresql:// DATABASE_URL uses PostgreSQL, creating and migrating the database', async (t) => {
  if (!(await postgresReachable())) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is unreachable; on CI the PostgreSQL tests must run`)
    t.test('PostgreSQL', { skip: `PostgreSQL at ${PG_ADMIN_URL} is unreachable` }, async () => {})
    return
  }
  const name = `dm_test_example_server_${process.pid}`
  const url = Object.assign(new URL(PG_ADMIN_URL), { pathname: `/${name}` }).toString()
  t.teardown(async () => {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
    await admin.connect()
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  })
  const { child, base, exited } = await startServer({ DATABASE_URL: url, DM_ALLOWED_RECIPIENTS: '3' })
  await exercise(t, base)
  const check = new pg.Client({ connectionString: url })
  await check.connect()
  const stored = await check.query('SELECT content FROM dm_message')
  await check.end()
  t.same(stored.rows, [{ content: 'hello cat' }], 'the message is in PostgreSQL')

  // A second server on the same database with DM_BUS=postgres: the two deliver to each other.
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exits 0')
  const one = await startServer({ DATABASE_URL: url, DM_BUS: 'postgres' })
  const two = await startServer({ DATABASE_URL: url, DM_BUS: 'postgres' })
  t.teardown(() => { one.child.kill('SIGKILL'); two.child.kill('SIGKILL') })
  const dan = await (await fetch(`${one.base}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'dan' }) })).json() as { id: number, token: string }
  const eve = await (await fetch(`${two.base}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'eve' }) })).json() as { id: number, token: string }
  // The browser way: the token in the query string, as EventSource cannot send headers.
  const stream = await openStream(two.base, `/api/dm/events/?access_token=${eve.token}`)
  t.teardown(() => stream.close())
  t.equal(stream.status, 200, 'the stream authenticates with ?access_token=')
  const sent = await fetch(`${one.base}/api/dm/send/${eve.id}/`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Token ${dan.token}` }, body: JSON.stringify({ content: 'across servers' }) })
  t.equal(sent.status, 201)
  const frames = await stream.until((f) => f.some((frame) => frame.event === 'message'), 2000)
  t.match(frames[0]?.data, { sender: dan.id, recipient: eve.id, content: 'across servers', direction: 'in' }, 'a stream on server two receives a message sent through server one')
  stream.close()
  one.child.kill('SIGTERM')
  two.child.kill('SIGTERM')
  t.same([await one.exited, await two.exited], [0, 0], 'both exit 0')
})

t.test('a mysql:// DATABASE_URL uses MySQL/MariaDB, creating and migrating the database; DM_BUS=redis across servers, DM_BUS=postgres refused', async (t) => {
  if (!(await mysqlReachable())) {
    if (process.env.CI === 'true') throw new Error(`MySQL/MariaDB at ${MYSQL_ADMIN_URL} is unreachable; on CI the MySQL tests must run`)
    t.test('MySQL', { skip: `MySQL/MariaDB at ${MYSQL_ADMIN_URL} is unreachable` }, async () => {})
    return
  }
  const name = `dm_test_example_server_${process.pid}`
  const url = Object.assign(new URL(MYSQL_ADMIN_URL), { pathname: `/${name}` }).toString()
  const server = new URL(MYSQL_ADMIN_URL)
  const admin = await mariadb.createConnection({ host: server.hostname, port: Number(server.port || 3306), user: decodeURIComponent(server.username), password: decodeURIComponent(server.password) })
  t.teardown(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`)
    await admin.end()
  })
  await admin.query(`DROP DATABASE IF EXISTS ${name}`)

  const { child, base, exited } = await startServer({ DATABASE_URL: url, DM_ALLOWED_RECIPIENTS: '3' })
  await exercise(t, base)
  t.same(await admin.query(`SELECT content FROM ${name}.dm_message`), [{ content: 'hello cat' }], 'the message is in MariaDB')
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exits 0')

  const refused = spawn(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'examples/server.ts'], {
    cwd: root, env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATABASE_URL: url, DM_BUS: 'postgres' }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  refused.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  refused.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const status = await new Promise<number | null>((resolve) => refused.on('exit', resolve))
  t.not(status, 0, 'DM_BUS=postgres with a MySQL database: the server does not start')
  t.match(output, /DM_BUS=postgres needs a PostgreSQL database \(it uses LISTEN\/NOTIFY\), and DATABASE_URL is a MySQL one; across instances on MySQL or MariaDB use DM_BUS=redis/, 'and says why')
  t.notMatch(output, /Server listening/)

  // Two servers on the same database, one through the driver (DM_DRIVER=1), with DM_BUS=redis: the two deliver to each other.
  const one = await startServer({ DATABASE_URL: url, DM_BUS: 'redis', DM_DRIVER: '1' })
  const two = await startServer({ DATABASE_URL: url, DM_BUS: 'redis' })
  t.teardown(() => { one.child.kill('SIGKILL'); two.child.kill('SIGKILL') })
  const signup = async (base: string, username: string): Promise<{ id: number, token: string }> =>
    await (await fetch(`${base}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username }) })).json() as { id: number, token: string }
  const dan = await signup(one.base, 'dan')
  const eve = await signup(two.base, 'eve')
  const stream = await openStream(two.base, `/api/dm/events/?access_token=${eve.token}`)
  t.teardown(() => stream.close())
  t.equal(stream.status, 200)
  const sent = await fetch(`${one.base}/api/dm/send/${eve.id}/`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Token ${dan.token}` }, body: JSON.stringify({ content: 'across servers 😀' }) })
  t.equal(sent.status, 201, 'the server on the driver sends')
  const frames = await stream.until((f) => f.some((frame) => frame.event === 'message'), 5000)
  t.match(frames[0]?.data, { sender: dan.id, recipient: eve.id, content: 'across servers 😀', direction: 'in' }, 'a stream on server two receives a message sent through server one, 4-byte characters included')
  stream.close()
  one.child.kill('SIGTERM')
  two.child.kill('SIGTERM')
  t.same([await one.exited, await two.exited], [0, 0], 'both exit 0')
})
