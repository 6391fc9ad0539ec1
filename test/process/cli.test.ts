import { strict as assert } from 'node:assert'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import Database from 'better-sqlite3'
import { OPTIONS } from '../../src/config.js'
import { basicAuth, DEMO_ADMIN, runCli, startServer, tempDir, TEST_TIMEOUT_MS } from './spawn.js'

const SECRET_TEXT = 'Shhh this is top secret spy stuff!'
const QUIET = ['--log-file', '-']

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const word = (text: string) => new RegExp(`(?<![\\w-])${escape(text)}(?![\\w-])`)

/** A port held open by this test, so nothing else can bind it. */
async function occupiedPort (t: TestContext): Promise<number> {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => blocker.close(resolve)))
  return (blocker.address() as AddressInfo).port
}

async function freePort (): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

function stderrLines (stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '')
}

function readDb<T> (path: string, work: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    return work(db)
  } finally {
    db.close()
  }
}

describe('restful-api --help', { concurrency: true }, () => {
  it('exits 0 and lists every flag on one line with its environment variable', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const result = await runCli(t, ['--help'], { cwd: tempDir(t) })
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, '')
    const lines = result.stdout.split('\n')
    // the contract's list (API.md section 1), then whatever else the service offers
    const documented = [
      ['--host', 'HOST'], ['--port', 'PORT'], ['--database', 'DATABASE_URL'], ['--log-file', 'LOG_FILE'],
      ['--log-level', 'LOG_LEVEL'], ['--debug', 'DEBUG'], ['--workers', 'WORKERS'], ['--admin-user', 'ADMIN_USER'],
      ['--admin-password-file', 'ADMIN_PASSWORD'], ['--redis-url', 'REDIS_URL']
    ]
    for (const [flag, env] of [...documented, ...OPTIONS.map((o) => [o.flag, o.env])] as Array<[string, string]>) {
      assert.ok(lines.some((line) => word(flag).test(line) && word(env).test(line)),
        `no line of --help names ${flag} together with ${env}`)
    }
    assert.match(result.stdout, word('--no-demo-data'))
    for (const command of ['serve', 'migrate', 'users add', 'tokens create']) {
      assert.match(result.stdout, word(command), `--help does not mention the ${command} command`)
    }
  })
})

describe('restful-api configuration errors', { concurrency: true }, () => {
  const cases: Array<{ name: string, args: string[], env?: Record<string, string>, option: string }> = [
    { name: '--port abc', args: ['--port', 'abc'], option: '--port' },
    { name: '--port 70000', args: ['--port', '70000'], option: '--port' },
    { name: 'PORT=abc', args: [], env: { PORT: 'abc' }, option: 'PORT' },
    { name: '--log-level loud', args: ['--port', '0', '--log-level', 'loud'], option: '--log-level' },
    { name: 'an unknown flag', args: ['--port', '0', '--frobnicate'], option: '--frobnicate' }
  ]
  for (const { name, args, env, option } of cases) {
    it(`refuses ${name} with one line naming ${option}`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      // the bad setting comes last, so it is not shadowed by a flag parsed after it
      const result = await runCli(t, ['--database', ':memory:', ...QUIET, ...args], { cwd: tempDir(t), env: env ?? {} })
      assert.equal(result.signal, null, `the process had to be killed: ${result.stdout}${result.stderr}`)
      assert.notEqual(result.code, 0)
      assert.doesNotMatch(result.stdout, /listening on/)
      const lines = stderrLines(result.stderr)
      assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`)
      assert.match(lines[0] as string, word(option))
    })
  }
})

describe('restful-api with several bad options', { concurrency: true }, () => {
  it('refuses them all at once, exit 2, one line each naming its flag and its variable', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const result = await runCli(t, ['--database', ':memory:', ...QUIET, '--port', 'abc', '--log-level', 'loud', '--frobnicate'],
      { cwd: tempDir(t), env: { JSON_LIMIT: '1 parsec' } })
    assert.equal(result.signal, null, `the process had to be killed: ${result.stdout}${result.stderr}`)
    assert.equal(result.code, 2, result.stderr)
    assert.doesNotMatch(result.stdout, /listening on/)
    const lines = stderrLines(result.stderr)
    assert.equal(lines.length, 4, `expected four lines on stderr, got:\n${result.stderr}`)
    for (const line of lines) assert.match(line, /^restful-api: /)
    for (const [flag, env] of [['--port', 'PORT'], ['--log-level', 'LOG_LEVEL'], ['--json-limit', 'JSON_LIMIT']]) {
      assert.ok(lines.some((line) => word(flag as string).test(line) && word(env as string).test(line)), `no line names ${flag} and ${env}:\n${result.stderr}`)
    }
    assert.ok(lines.some((line) => word('--frobnicate').test(line)), result.stderr)
  })
})

describe('configuration precedence', { concurrency: true }, () => {
  it('a flag beats its environment variable', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const taken = await occupiedPort(t)
    // were PORT used, binding the held port would fail
    const server = await startServer(t, ['--port', '0', '--database', ':memory:', ...QUIET],
      { cwd: tempDir(t), env: { PORT: String(taken) } })
    assert.notEqual(server.port, taken)
    assert.equal((await server.fetch('/hello')).status, 200)
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
  })

  it('an environment variable beats the default', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const port = await freePort()
    const database = join(cwd, 'from-env', 'app.db')
    const logFile = join(cwd, 'from-env', 'app.log')
    const server = await startServer(t, [], {
      cwd, env: { PORT: String(port), DATABASE_URL: database, LOG_FILE: logFile }
    })
    assert.equal(server.listening, `http://127.0.0.1:${port}`)
    assert.equal((await server.fetch('/hello')).status, 200)
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
    assert.ok(existsSync(database), 'DATABASE_URL was not used')
    assert.ok(existsSync(logFile), 'LOG_FILE was not used')
    assert.ok(!existsSync(join(cwd, 'data')), 'the default ./data folder was created although both paths were set')
  })
})

describe('serving beyond loopback', { concurrency: true }, () => {
  const LONG_PASSWORD = 'correct-horse-battery-staple-42'

  it('refuses 0.0.0.0 with the demo password, naming ADMIN_PASSWORD', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const result = await runCli(t, ['--host', '0.0.0.0', '--port', '0', '--database', ':memory:', ...QUIET], { cwd: tempDir(t) })
    assert.equal(result.signal, null, `the process had to be killed: ${result.stdout}${result.stderr}`)
    assert.notEqual(result.code, 0)
    assert.doesNotMatch(result.stdout, /listening on/)
    const lines = stderrLines(result.stderr)
    assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`)
    assert.match(lines[0] as string, /demo/i)
    assert.match(lines[0] as string, /ADMIN_PASSWORD/)
  })

  it('refuses 0.0.0.0 with ADMIN_PASSWORD=secret', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const result = await runCli(t, ['--host', '0.0.0.0', '--port', '0', '--database', ':memory:', ...QUIET],
      { cwd: tempDir(t), env: { ADMIN_PASSWORD: 'secret' } })
    assert.equal(result.signal, null, `the process had to be killed: ${result.stdout}${result.stderr}`)
    assert.notEqual(result.code, 0)
    assert.doesNotMatch(result.stdout, /listening on/)
    const lines = stderrLines(result.stderr)
    assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`)
    assert.match(lines[0] as string, /password/i)
  })

  it('serves 0.0.0.0 with a long ADMIN_PASSWORD, which replaces the demo one', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const server = await startServer(t, ['--host', '0.0.0.0', '--port', '0', '--database', ':memory:', ...QUIET],
      { cwd: tempDir(t), env: { ADMIN_PASSWORD: LONG_PASSWORD } })
    assert.equal(server.listening, `http://0.0.0.0:${server.port}`)
    const ok = await server.fetch('/secrets', { headers: { authorization: basicAuth('admin', LONG_PASSWORD) } })
    assert.equal(ok.status, 200)
    assert.equal(await ok.text(), SECRET_TEXT)
    const demo = await server.fetch('/secrets', { headers: { authorization: basicAuth(DEMO_ADMIN.username, DEMO_ADMIN.password) } })
    assert.equal(demo.status, 401)
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
  })

  it('serves 0.0.0.0 with a long password from --admin-password-file', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    writeFileSync(join(cwd, 'admin-password'), `${LONG_PASSWORD}\n`)
    const server = await startServer(t, ['--host', '0.0.0.0', '--port', '0', '--database', ':memory:', ...QUIET,
      '--admin-password-file', join(cwd, 'admin-password')], { cwd })
    const ok = await server.fetch('/secrets', { headers: { authorization: basicAuth('admin', LONG_PASSWORD) } })
    assert.equal(ok.status, 200)
    assert.equal(await ok.text(), SECRET_TEXT)
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
  })
})

describe('restful-api migrate', { concurrency: true }, () => {
  const TABLES = [
    'article_tags', 'articles', 'articles_fts', 'articles_fts_config', 'articles_fts_data', 'articles_fts_docsize', 'articles_fts_idx',
    'comments', 'favorites', 'files', 'follows', 'message_parts', 'messages', 'schema_migrations', 'tokens', 'users'
  ]
  const DEMO_USERS = [{ id: 1, username: 'john' }, { id: 2, username: 'steve' }, { id: 3, username: 'bill' }]

  it('creates the schema, its folder and the demo users, exits 0, and changes nothing when run again', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const path = join(cwd, 'nested', 'deeper', 'app.db')
    const snapshot = () => readDb(path, (db) => ({
      tables: (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>)
        .map((row) => row.name),
      schema: db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all(),
      migrations: db.prepare('SELECT * FROM schema_migrations ORDER BY version').all(),
      users: db.prepare('SELECT id, username FROM users ORDER BY id').all()
    }))

    const first = await runCli(t, ['migrate', '--database', 'nested/deeper/app.db', ...QUIET], { cwd })
    assert.equal(first.code, 0, first.stderr)
    assert.doesNotMatch(first.stdout, /listening on/)
    const before = snapshot()
    assert.deepEqual(before.tables, TABLES)
    assert.deepEqual(before.users, DEMO_USERS)
    assert.ok(before.migrations.length > 0, 'no migration recorded')

    const second = await runCli(t, ['migrate', '--database', 'nested/deeper/app.db', ...QUIET], { cwd })
    assert.equal(second.code, 0, second.stderr)
    assert.deepEqual(snapshot(), before)
  })
})

describe('restful-api users add and tokens create', { concurrency: true }, () => {
  it('add a user from the password on stdin and print a token; both authenticate /secrets', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const password = 'alice-password-123'
    const added = await runCli(t, ['users', 'add', 'alice', '--database', 'app.db', ...QUIET], { cwd, input: `${password}\n` })
    assert.equal(added.code, 0, added.stderr)
    const created = await runCli(t, ['tokens', 'create', 'alice', '--database', 'app.db', ...QUIET], { cwd })
    assert.equal(created.code, 0, created.stderr)
    const lines = created.stdout.split('\n').filter((line) => line !== '')
    assert.equal(lines.length, 1, `expected the token alone on stdout, got:\n${created.stdout}`)
    const token = lines[0] as string

    const server = await startServer(t, ['--port', '0', '--database', 'app.db', ...QUIET], { cwd })
    const withBasic = await server.fetch('/secrets', { headers: { authorization: basicAuth('alice', password) } })
    assert.equal(withBasic.status, 200, 'the user added by the CLI cannot authenticate with Basic')
    assert.equal(await withBasic.text(), SECRET_TEXT)
    const wrong = await server.fetch('/secrets', { headers: { authorization: basicAuth('alice', 'not-her-password') } })
    assert.equal(wrong.status, 401)
    const withToken = await server.fetch('/secrets', { headers: { authorization: `Bearer ${token}` } })
    assert.equal(withToken.status, 200, 'the token printed by the CLI does not authenticate')
    assert.equal(await withToken.text(), SECRET_TEXT)
    const forged = await server.fetch('/secrets', { headers: { authorization: `Bearer ${token}x` } })
    assert.equal(forged.status, 401)
    const users = await server.fetch('/users')
    assert.ok((await users.json() as Array<{ username: string }>).some((user) => user.username === 'alice'))
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
  })
})

describe('restful-api users add and tokens create, refused', { concurrency: true }, () => {
  /** One line on stderr, `restful-api: <message>`, exit 1, nothing on stdout. */
  const assertRefused = (result: { code: number | null, signal: string | null, stdout: string, stderr: string }, message: RegExp) => {
    assert.equal(result.signal, null, `the process had to be killed: ${result.stdout}${result.stderr}`)
    assert.equal(result.code, 1, result.stderr)
    assert.equal(result.stdout, '')
    const lines = stderrLines(result.stderr)
    assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`)
    assert.match(lines[0] as string, message)
  }

  it('refuses a taken name and the admin\'s name as POST /users does (409), and keeps the first password', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const args = ['--database', 'app.db', ...QUIET]
    const added = await runCli(t, ['users', 'add', 'alice', ...args], { cwd, input: 'first-password-123\n' })
    assert.equal(added.code, 0, added.stderr)
    assertRefused(await runCli(t, ['users', 'add', 'alice', ...args], { cwd, input: 'second-password-123\n' }),
      /^restful-api: Conflict: the username alice is taken$/)
    assertRefused(await runCli(t, ['users', 'add', 'admin', ...args], { cwd, input: 'admin-password-123\n' }),
      /^restful-api: Conflict: the username admin is taken$/)
    // a demo user, seeded without a password, is taken too
    assertRefused(await runCli(t, ['users', 'add', 'john', ...args], { cwd, input: 'john-password-123\n' }),
      /^restful-api: Conflict: the username john is taken$/)

    const server = await startServer(t, ['--port', '0', ...args], { cwd })
    const first = await server.fetch('/secrets', { headers: { authorization: basicAuth('alice', 'first-password-123') } })
    assert.equal(first.status, 200, 'the refused second add changed the password')
    const users = await (await server.fetch('/users', { headers: { accept: 'application/json' } })).json() as Array<{ username: string }>
    assert.deepEqual(users.map((user) => user.username).filter((name) => ['alice', 'admin'].includes(name)), ['alice'])
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
  })

  it('refuses a user the schema of POST /users refuses', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const result = await runCli(t, ['users', 'add', 'bob', '--database', 'app.db', ...QUIET], { cwd: tempDir(t), input: '\n' })
    assertRefused(result, /^restful-api: invalid user: \/password /)
  })

  it('refuses a token for a user that does not exist (404), and prints one for the admin', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const args = ['--database', 'app.db', ...QUIET]
    assertRefused(await runCli(t, ['tokens', 'create', 'nobody', ...args], { cwd }), /^restful-api: Not Found: no user named nobody$/)
    const admin = await runCli(t, ['tokens', 'create', 'admin', ...args], { cwd })
    assert.equal(admin.code, 0, admin.stderr)
    const token = admin.stdout.trim()
    const server = await startServer(t, ['--port', '0', ...args], { cwd })
    const res = await server.fetch('/secrets', { headers: { authorization: `Bearer ${token}` } })
    assert.equal(res.status, 200, 'the admin\'s token does not authenticate')
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
  })
})

describe('restful-api serve', { concurrency: true }, () => {
  it('starts with no users under --no-demo-data', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const server = await startServer(t, ['--port', '0', '--database', 'app.db', '--no-demo-data', ...QUIET], { cwd: tempDir(t) })
    const res = await server.fetch('/users')
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), [])
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
  })

  it('creates ./data/app.db, its folder and the demo users when started with no settings', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    assert.ok(!existsSync(join(cwd, 'data')))
    const server = await startServer(t, ['--port', '0'], { cwd })
    assert.equal(server.listening, `http://127.0.0.1:${server.port}`)
    assert.ok(existsSync(join(cwd, 'data', 'app.db')), './data/app.db was not created')
    const res = await server.fetch('/users')
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), [{ id: 1, username: 'john' }, { id: 2, username: 'steve' }, { id: 3, username: 'bill' }])
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
  })
})
