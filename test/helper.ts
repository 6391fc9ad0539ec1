import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import MultipartForm from 'form-data'
import pg from 'pg'
import { buildApp, type App, type AppOverrides } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'

export const ADMIN = { username: 'admin', password: 'secret' }

// the Content-Type of each representation, as the service sends it
export const TEXT_TYPE = 'text/plain; charset=utf-8'
export const JSON_TYPE = 'application/json; charset=utf-8'
export const XML_TYPE = 'application/xml; charset=utf-8'
export const TEXT_XML_TYPE = 'text/xml; charset=utf-8'
export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8'
/** The body types POST /messages takes, as its 415 lists them. */
export const MESSAGE_TYPES = 'text/plain, application/json, application/octet-stream, multipart/form-data'

/** A private folder for one test, removed after it. */
export function tempDir (t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'restful-api-test-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Random bytes with NULs at the start (the first two bytes), in the middle and at the end. */
export function binaryWithNuls (size: number): Buffer {
  const bytes = randomBytes(size)
  bytes[0] = 0
  bytes[1] = 0
  bytes[size >> 1] = 0
  bytes[size - 1] = 0
  return bytes
}

/** The SHA-256 of `bytes` (a string as UTF-8), in hex, as the API reports it. */
export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex')

/**
 * PostgreSQL for the suites when TEST_DATABASE_URL names a server, else SQLite.
 * CI runs the suites both ways (see .ci/run and `npm run test:sqlite`).
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined

/** A database of its own for one test: a new SQLite file, or a new schema on the PostgreSQL server, dropped after. */
export async function freshDatabaseUrl (t: TestContext): Promise<string> {
  if (TEST_DATABASE_URL === undefined) return join(tempDir(t), 'app.db')
  const schema = `test_${randomBytes(8).toString('hex')}`
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  t.after(async () => {
    const cleanup = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await cleanup.connect()
    await cleanup.query(`DROP SCHEMA ${schema} CASCADE`)
    await cleanup.end()
  })
  const url = new URL(TEST_DATABASE_URL)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}

/** The defaults a user gets, on a fresh database, without a log file. */
export async function testConfig (t: TestContext, overrides: Partial<Config> = {}): Promise<Config> {
  const { config } = loadConfig([], { DATABASE_URL: await freshDatabaseUrl(t), LOG_FILE: '-' })
  return Object.freeze({ ...config, ...overrides })
}

export interface TestServer {
  readonly app: App
  readonly config: Config
  /** http://127.0.0.1:PORT, no trailing slash */
  readonly url: string
  fetch (path: string, init?: RequestInit): Promise<Response>
}

/** The whole API on a real SQLite file, listening on a free port; closed after the test. */
export async function startTestServer (t: TestContext, overrides: Partial<Config> = {}, appOverrides: AppOverrides = {}): Promise<TestServer> {
  const config = await testConfig(t, { port: 0, ...overrides })
  const app = await buildApp(config, appOverrides)
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  const url = `http://127.0.0.1:${address.port}`
  return { app, config, url, fetch: (path, init) => fetch(url + path, init) }
}

export function basicAuth (username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64')
}

export const adminAuth = (): string => basicAuth(ADMIN.username, ADMIN.password)

/** Creates a user through the API (as the admin) and returns its id and Authorization header. */
export async function createUser (server: TestServer, username: string, password = 'correct horse battery'): Promise<{ id: number, auth: string }> {
  const res = await server.fetch('/users', {
    method: 'POST',
    headers: { authorization: adminAuth(), 'content-type': 'application/json' },
    body: JSON.stringify({ username, password })
  })
  if (res.status !== 201) throw new Error(`creating ${username}: ${res.status} ${await res.text()}`)
  const user = await res.json() as { id: number }
  return { id: user.id, auth: basicAuth(username, password) }
}

/** A bearer token for a Basic credential, through POST /tokens. */
export async function bearerFor (server: TestServer, basic: string): Promise<string> {
  const res = await server.fetch('/tokens', { method: 'POST', headers: { authorization: basic } })
  if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`)
  return 'Bearer ' + (await res.json() as { token: string }).token
}

/** The parts every error body has; `requestId` must echo the X-Request-Id header. */
export async function assertErrorBody (res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  assert.equal(res.status, status)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  const body = await res.json() as Record<string, unknown>
  assert.equal(body.status, status)
  assert.equal(body.code, code)
  assert.equal(typeof body.message, 'string')
  assert.equal(body.requestId, res.headers.get('x-request-id'))
  return body
}

// The error contract, stored state, and request bodies several suites share

export const AS_ADMIN_JSON = { authorization: adminAuth(), 'content-type': 'application/json' }

interface ErrorDetail { field: string, message: string }

/**
 * The whole error contract: status, a JSON type, requestId echoing X-Request-Id,
 * and no keys beyond status, message, code, requestId (and errors, for
 * validation failures, each naming a field).
 */
export async function assertError (res: Response, status: number, code: string, withErrors = false): Promise<Record<string, unknown>> {
  const body = await assertErrorBody(res, status, code)
  assert.equal(typeof body.requestId, 'string')
  assert.notEqual(body.requestId, '')
  const keys = ['code', 'message', 'requestId', 'status']
  if (withErrors) keys.push('errors')
  assert.deepEqual(Object.keys(body).sort(), keys.sort())
  if (withErrors) {
    assert.ok(Array.isArray(body.errors) && body.errors.length > 0, 'errors is a non-empty array')
    for (const detail of body.errors as ErrorDetail[]) {
      assert.equal(typeof detail.field, 'string')
      assert.equal(typeof detail.message, 'string')
    }
  }
  return body
}

export const fieldsOf = (body: Record<string, unknown>): string[] => (body.errors as ErrorDetail[]).map((e) => e.field)

/** What a client can see of the stored data: every user and every message (as the admin). */
export async function storedState (server: TestServer): Promise<{ users: unknown, messages: unknown }> {
  const users = await server.fetch('/users?limit=100', { headers: { accept: 'application/json' } })
  const messages = await server.fetch('/messages?limit=100', { headers: { authorization: adminAuth(), accept: 'application/json' } })
  assert.equal(users.status, 200)
  assert.equal(messages.status, 200)
  return { users: await users.json(), messages: await messages.json() }
}

/** A server holding one message besides the demo users, and a check that none of it changed. */
export async function serverWithData (t: TestContext, overrides: Partial<Config> = {}) {
  const server = await startTestServer(t, overrides)
  const seeded = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'keep me' })
  assert.equal(seeded.status, 201)
  const before = await storedState(server)
  assert.equal((before.messages as unknown[]).length, 1)
  return {
    server,
    async assertUnchanged () {
      assert.deepEqual(await storedState(server), before)
    }
  }
}

export async function assertStillServing (server: TestServer): Promise<void> {
  const res = await server.fetch('/hello')
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8')
  assert.equal(await res.text(), 'Hello John Doe')
}

export function multipartBody (fields: number, files = 0): { body: Buffer, contentType: string } {
  const form = new MultipartForm()
  for (let i = 0; i < fields; i++) form.append(`field${i}`, `value ${i}`)
  for (let i = 0; i < files; i++) form.append(`file${i}`, Buffer.from(`file ${i}`), { filename: `f${i}.txt`, contentType: 'text/plain' })
  return { body: form.getBuffer(), contentType: String(form.getHeaders()['content-type']) }
}

// The tutorial's secret

const SECRET = 'Shhh this is top secret spy stuff!'

export async function assertSecret (res: Response): Promise<void> {
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8')
  assert.equal(await res.text(), SECRET)
}

export const secrets = (server: TestServer, authorization?: string, headers: Record<string, string> = {}) =>
  server.fetch('/secrets', { headers: authorization === undefined ? headers : { ...headers, authorization } })
