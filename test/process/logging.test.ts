import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { basicAuth, eventually, startServer, tempDir, TEST_TIMEOUT_MS, type ServerProcess } from './spawn.js'

const unique = (label: string) => `${label}-${randomBytes(12).toString('hex')}`

interface Sent {
  readonly method: string
  readonly url: string
  readonly status: number
  readonly requestId: string
}

interface Exercise {
  readonly sent: Sent[]
  /** Every credential that crossed the wire, in every form a log could hold it. */
  readonly secrets: string[]
}

/**
 * Requests that carry credentials every way the API takes them: Basic for the
 * admin and a user, a password in JSON, a bearer token, and wrong ones of each.
 */
async function exercise (server: ServerProcess, adminPassword: string): Promise<Exercise> {
  const sent: Sent[] = []
  const secrets: string[] = [adminPassword]
  const call = async (method: string, url: string, headers: Record<string, string> = {}, body?: string) => {
    const res = await server.fetch(url, { method, headers, body })
    const text = await res.text()
    const requestId = res.headers.get('x-request-id')
    assert.ok(requestId !== null, `${method} ${url} answered without X-Request-Id`)
    if (headers['x-request-id'] !== undefined) assert.equal(requestId, headers['x-request-id'])
    sent.push({ method, url, status: res.status, requestId })
    return { status: res.status, text }
  }
  const authorization = (value: string) => {
    secrets.push(value, value.slice(value.indexOf(' ') + 1))
    return value
  }
  const json = { 'content-type': 'application/json' }

  const admin = authorization(basicAuth('admin', adminPassword))
  const alicePassword = unique('alice-pw')
  const newPassword = unique('alice-new-pw')
  const wrongPassword = unique('wrong-pw')
  const bogusToken = unique('bogustoken')
  const truncatedPassword = unique('truncated-pw')
  secrets.push(alicePassword, newPassword, wrongPassword, bogusToken, truncatedPassword)

  await call('GET', '/hello?name=Luis')
  await call('GET', '/secrets', { authorization: admin, 'x-request-id': unique('admin-secrets') })
  const created = await call('POST', '/users', { ...json, authorization: admin },
    JSON.stringify({ username: 'alice', password: alicePassword }))
  assert.equal(created.status, 201, created.text)
  const aliceId = (JSON.parse(created.text) as { id: number }).id
  const alice = authorization(basicAuth('alice', alicePassword))
  assert.equal((await call('GET', '/secrets', { authorization: alice })).status, 200)

  const issued = await server.fetch('/tokens', { method: 'POST', headers: { authorization: alice, accept: 'application/json' } })
  assert.equal(issued.status, 201)
  const { token } = await issued.json() as { token: string }
  sent.push({ method: 'POST', url: '/tokens', status: 201, requestId: issued.headers.get('x-request-id') ?? '' })
  secrets.push(token)
  assert.equal((await call('GET', '/secrets', { authorization: authorization(`Bearer ${token}`) })).status, 200)

  assert.equal((await call('GET', '/secrets', { authorization: authorization(basicAuth('alice', wrongPassword)) })).status, 401)
  assert.equal((await call('GET', '/secrets', { authorization: authorization(`Bearer ${bogusToken}`) })).status, 401)
  assert.equal((await call('PATCH', `/users/${aliceId}`, { ...json, authorization: alice }, JSON.stringify({ password: newPassword }))).status, 200)
  // a body that does not parse, and still holds a password
  assert.equal((await call('POST', '/users', { ...json, authorization: admin },
    `{"username": "bob", "password": "${truncatedPassword}"`)).status, 400)
  assert.equal((await call('GET', '/no/such/thing')).status, 404)
  // answered by Fastify before routing, without the hooks of every other request
  assert.equal((await call('GET', '/users/%zz')).status, 400)
  return { sent, secrets }
}

function jsonLines (text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((line) => line.trim() !== '').map((line, index) => {
    try {
      return JSON.parse(line) as Record<string, unknown>
    } catch {
      throw new assert.AssertionError({ message: `log line ${index + 1} is not JSON: ${line}` })
    }
  })
}

const requestLines = (lines: Array<Record<string, unknown>>) =>
  lines.filter((line) => 'method' in line && 'status' in line)

function assertNoSecrets (where: string, text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `${where} holds the secret ${JSON.stringify(secret)}`)
  }
}

describe('the request log', { concurrency: true }, () => {
  it('holds one JSON line per request with method, url, status, durationMs and requestId', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const logFile = join(cwd, 'logs', 'app.log')
    const adminPassword = unique('admin-pw')
    const server = await startServer(t, ['--port', '0', '--database', ':memory:', '--log-file', logFile],
      { cwd, env: { ADMIN_PASSWORD: adminPassword } })
    const { sent } = await exercise(server, adminPassword)
    // the file is written asynchronously: wait for the last request's line
    await eventually('a log line for every request', () => {
      const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''
      return sent.every((request) => text.includes(request.requestId)) ? true : undefined
    })
    assert.deepEqual(await server.stop(), { code: 0, signal: null })

    const lines = requestLines(jsonLines(readFileSync(logFile, 'utf8')))
    assert.equal(lines.length, sent.length, `expected ${sent.length} request lines, got ${lines.length}`)
    for (const request of sent) {
      const matching = lines.filter((line) => line.requestId === request.requestId)
      assert.equal(matching.length, 1, `${matching.length} lines for ${request.method} ${request.url}`)
      const line = matching[0] as Record<string, unknown>
      assert.deepEqual(
        { method: line.method, url: line.url, status: line.status, requestId: line.requestId },
        { method: request.method, url: request.url, status: request.status, requestId: request.requestId })
      assert.equal(typeof line.durationMs, 'number')
      assert.ok((line.durationMs as number) >= 0)
    }
  })

  it('never holds an Authorization header, a password or a token', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const logFile = join(cwd, 'app.log')
    const adminPassword = unique('admin-pw')
    const server = await startServer(t, ['--port', '0', '--database', ':memory:', '--log-file', logFile, '--log-level', 'trace'],
      { cwd, env: { ADMIN_PASSWORD: adminPassword } })
    const { sent, secrets } = await exercise(server, adminPassword)
    const last = sent.at(-1)?.requestId ?? ''
    await eventually('the last request\'s log line', () =>
      existsSync(logFile) && readFileSync(logFile, 'utf8').includes(last) ? true : undefined)
    assert.deepEqual(await server.stop(), { code: 0, signal: null })

    const text = readFileSync(logFile, 'utf8')
    assert.ok(requestLines(jsonLines(text)).length >= sent.length)
    assertNoSecrets('the log file', text, secrets)
    assertNoSecrets('stdout', server.stdout(), secrets)
    assertNoSecrets('stderr', server.stderr(), secrets)
  })

  it('goes to ./data/app.log by default', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const server = await startServer(t, ['--port', '0', '--database', ':memory:'], { cwd })
    const res = await server.fetch('/hello')
    assert.equal(res.status, 200)
    const requestId = res.headers.get('x-request-id') ?? ''
    const logFile = join(cwd, 'data', 'app.log')
    await eventually('the request\'s line in ./data/app.log', () =>
      existsSync(logFile) && readFileSync(logFile, 'utf8').includes(requestId) ? true : undefined)
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
    const line = requestLines(jsonLines(readFileSync(logFile, 'utf8'))).find((l) => l.requestId === requestId)
    assert.equal(line?.url, '/hello')
  })

  it('writes no file with --log-file -, and nothing to stdout but the startup line', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const server = await startServer(t, ['--port', '0', '--database', ':memory:', '--log-file', '-'], { cwd })
    assert.equal((await server.fetch('/hello')).status, 200)
    assert.equal((await server.fetch('/no/such/thing')).status, 404)
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
    assert.deepEqual(readdirSync(cwd, { recursive: true }), [])
    assert.equal(server.stdout(), `listening on ${server.listening}\n`)
  })
})

describe('--debug', { concurrency: true }, () => {
  it('prints readable, non-JSON log lines on stdout, without secrets', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const logFile = join(cwd, 'app.log')
    const adminPassword = unique('admin-pw')
    const server = await startServer(t, ['--port', '0', '--database', ':memory:', '--log-file', logFile, '--debug'],
      { cwd, env: { ADMIN_PASSWORD: adminPassword } })
    const { sent, secrets } = await exercise(server, adminPassword)
    const last = sent.at(-1)?.requestId ?? ''
    await eventually('the last request on stdout', () => server.stdout().includes(last) ? true : undefined)
    assert.deepEqual(await server.stop(), { code: 0, signal: null })

    const stdout = server.stdout()
    const lines = stdout.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('listening on '))
    for (const line of lines) {
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch {
        continue
      }
      assert.ok(typeof parsed !== 'object' || parsed === null, `a JSON log line on stdout under --debug: ${line}`)
    }
    // a readable line for the request, naming its level, message and URL
    assert.ok(lines.some((line) => /\bINFO\b/.test(line) && /\brequest\b/.test(line)), `no readable request line in:\n${stdout}`)
    assert.match(stdout, /\/hello\?name=Luis/)
    assertNoSecrets('stdout under --debug', stdout, secrets)
    assertNoSecrets('the log file under --debug', readFileSync(logFile, 'utf8'), secrets)
  })
})
