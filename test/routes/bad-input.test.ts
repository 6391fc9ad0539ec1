import { strict as assert } from 'node:assert'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { connect } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import MultipartForm from 'form-data'
import type { Config } from '../../src/config.js'
import { adminAuth, assertErrorBody, basicAuth, createUser, startTestServer, type TestServer } from '../helper.js'
import { headerValues, rawExchange, rawGet, sendChunked, toResponse } from '../http.js'

const MESSAGE_TYPES = 'text/plain, application/json, application/octet-stream, multipart/form-data'
const JSON_BODY = { 'content-type': 'application/json' }
const AS_ADMIN_JSON = { authorization: adminAuth(), 'content-type': 'application/json' }
const MiB = 1024 * 1024

interface ErrorDetail { field: string, message: string }

/**
 * The whole error contract: status, a JSON type, requestId echoing X-Request-Id,
 * and no keys beyond status, message, code, requestId (and errors, for
 * validation failures, each naming a field).
 */
async function assertError (res: Response, status: number, code: string, withErrors = false): Promise<Record<string, unknown>> {
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

const fieldsOf = (body: Record<string, unknown>): string[] => (body.errors as ErrorDetail[]).map((e) => e.field)

/** What a client can see of the stored data: every user and every message (as the admin). */
async function storedState (server: TestServer): Promise<{ users: unknown, messages: unknown }> {
  const users = await server.fetch('/users?limit=100', { headers: { accept: 'application/json' } })
  const messages = await server.fetch('/messages?limit=100', { headers: { authorization: adminAuth(), accept: 'application/json' } })
  assert.equal(users.status, 200)
  assert.equal(messages.status, 200)
  return { users: await users.json(), messages: await messages.json() }
}

/** A server holding one message besides the demo users, and a check that none of it changed. */
async function serverWithData (t: TestContext, overrides: Partial<Config> = {}) {
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

function headerPairs (raw: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!])
  return pairs
}

function collect (incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('error', reject)
    incoming.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

interface Sent {
  readonly res: Response
  /** Every header line as sent, so repeated headers stay apart. */
  readonly headers: Array<[string, string]>
}

/** Any method, any header, through node:http (fetch refuses TRACE and friends). */
function send (server: TestServer, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Sent> {
  return new Promise((resolve, reject) => {
    // an explicit length: node:http sends a DELETE or TRACE body unframed otherwise
    const framing = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }
    const req = httpRequest(server.url + path, { method, headers: { ...headers, ...framing }, agent: false }, (incoming) => {
      collect(incoming).then((bytes) => {
        const pairs = headerPairs(incoming.rawHeaders)
        resolve({ res: toResponse(incoming.statusCode ?? 0, pairs, bytes), headers: pairs })
      }, reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function assertStillServing (server: TestServer): Promise<void> {
  const res = await server.fetch('/hello')
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8')
  assert.equal(await res.text(), 'Hello John Doe')
}

function assertPrototypeClean (): void {
  const probe: Record<string, unknown> = {}
  assert.equal(probe.x, undefined)
  assert.equal(Object.hasOwn(Object.prototype, 'x'), false)
}

function multipartBody (fields: number, files = 0): { body: Buffer, contentType: string } {
  const form = new MultipartForm()
  for (let i = 0; i < fields; i++) form.append(`field${i}`, `value ${i}`)
  for (let i = 0; i < files; i++) form.append(`file${i}`, Buffer.from(`file ${i}`), { filename: `f${i}.txt`, contentType: 'text/plain' })
  return { body: form.getBuffer(), contentType: String(form.getHeaders()['content-type']) }
}

describe('malformed JSON', () => {
  const cases = ['{"username": "mallory",', '{username: "mallory"}', "{'username': 'mallory'}", '{"a": 1}}', 'nul', '\u0000']
  for (const text of cases) {
    it(`refuses ${JSON.stringify(text)} on POST /users with 400`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t)
      const res = await server.fetch('/users', { method: 'POST', headers: AS_ADMIN_JSON, body: text })
      await assertError(res, 400, 'INVALID_JSON')
      await assertUnchanged()
    })

    it(`refuses ${JSON.stringify(text)} on POST /messages with 400`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t)
      const res = await server.fetch('/messages', { method: 'POST', headers: JSON_BODY, body: text })
      await assertError(res, 400, 'INVALID_JSON')
      await assertUnchanged()
    })
  }

  it('refuses an empty JSON body on POST /users with 400', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/users', { method: 'POST', headers: AS_ADMIN_JSON, body: '' })
    await assertError(res, 400, 'INVALID_JSON')
    await assertUnchanged()
  })

  it('refuses an empty JSON body on POST /messages with 400', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/messages', { method: 'POST', headers: JSON_BODY, body: '' })
    await assertError(res, 400, 'INVALID_JSON')
    await assertUnchanged()
  })

  it('refuses malformed application/vnd.example+json with 400, not 415', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const users = await server.fetch('/users', {
      method: 'POST', headers: { authorization: adminAuth(), 'content-type': 'application/vnd.example+json' }, body: '{"username":'
    })
    await assertError(users, 400, 'INVALID_JSON')
    const messages = await server.fetch('/messages', {
      method: 'POST', headers: { 'content-type': 'application/vnd.example+json' }, body: '{"message":'
    })
    await assertError(messages, 400, 'INVALID_JSON')
    await assertUnchanged()
  })

  it('refuses a text/plain message that is not valid UTF-8 with 400', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/messages', {
      method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from([0x68, 0x69, 0xff, 0xfe, 0xc3])
    })
    await assertError(res, 400, 'INVALID_TEXT')
    await assertUnchanged()
  })

  it('never answers 500 to deeply nested JSON on POST /messages', async (t) => {
    const { server } = await serverWithData(t)
    const depth = 100_000
    const res = await server.fetch('/messages', { method: 'POST', headers: JSON_BODY, body: '['.repeat(depth) + ']'.repeat(depth) })
    assert.ok(res.status === 201 || (res.status >= 400 && res.status < 500), `expected 201 or a 4xx, got ${res.status}: ${await res.clone().text()}`)
    if (res.status !== 201) await assertError(res, res.status, res.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INVALID_JSON')
    await assertStillServing(server)
  })

  it('refuses deeply nested JSON on POST /users with 400', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const depth = 100_000
    const res = await server.fetch('/users', { method: 'POST', headers: AS_ADMIN_JSON, body: '['.repeat(depth) + ']'.repeat(depth) })
    await assertError(res, 400, 'VALIDATION_FAILED', true)
    await assertUnchanged()
  })
})

describe('POST /users with values of the wrong shape', () => {
  const cases: Array<{ name: string, body: unknown, fields: string[] }> = [
    { name: 'a numeric username', body: { username: 123, password: 'long enough password' }, fields: ['body.username'] },
    { name: 'a password that is too short', body: { username: 'mallory', password: 'short' }, fields: ['body.password'] },
    { name: 'a numeric password', body: { username: 'mallory', password: 12345678 }, fields: ['body.password'] },
    { name: 'a missing password', body: { username: 'mallory' }, fields: ['body.password'] },
    { name: 'a missing username', body: { password: 'long enough password' }, fields: ['body.username'] },
    { name: 'an extra field', body: { username: 'mallory', password: 'long enough password', admin: true }, fields: [] },
    { name: 'a username with a path in it', body: { username: '../etc/passwd', password: 'long enough password' }, fields: ['body.username'] },
    { name: 'a username with spaces and markup', body: { username: '<b>x</b> y', password: 'long enough password' }, fields: ['body.username'] },
    { name: 'a username too long', body: { username: 'a'.repeat(65), password: 'long enough password' }, fields: ['body.username'] },
    { name: 'an empty username', body: { username: '', password: 'long enough password' }, fields: ['body.username'] },
    { name: 'a password too long', body: { username: 'mallory', password: 'p'.repeat(1025) }, fields: ['body.password'] },
    { name: 'objects for strings', body: { username: { $ne: null }, password: ['long enough password'] }, fields: ['body.username', 'body.password'] },
    { name: 'an array', body: [{ username: 'mallory', password: 'long enough password' }], fields: [] },
    { name: 'a string', body: 'mallory', fields: [] },
    { name: 'null', body: null, fields: [] }
  ]
  for (const { name, body, fields } of cases) {
    it(`refuses ${name} with 400 and errors[]`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t)
      const res = await server.fetch('/users', { method: 'POST', headers: AS_ADMIN_JSON, body: JSON.stringify(body) })
      const error = await assertError(res, 400, 'VALIDATION_FAILED', true)
      for (const field of fields) assert.ok(fieldsOf(error).includes(field), `errors name ${field}: ${JSON.stringify(error.errors)}`)
      await assertUnchanged()
    })
  }

  it('names the unexpected property of an extra field', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users', {
      method: 'POST', headers: AS_ADMIN_JSON, body: JSON.stringify({ username: 'mallory', password: 'long enough password', isAdmin: true })
    })
    const error = await assertError(res, 400, 'VALIDATION_FAILED', true)
    assert.match(JSON.stringify(error.errors), /isAdmin/)
  })
})

describe('PATCH /users/:id with values of the wrong shape', () => {
  const cases: Array<{ name: string, body: unknown }> = [
    { name: 'a numeric password', body: { password: 12345678 } },
    { name: 'a short password', body: { password: 'short' } },
    { name: 'no password', body: {} },
    { name: 'an extra username', body: { password: 'another long password', username: 'root' } }
  ]
  for (const { name, body } of cases) {
    it(`refuses ${name} with 400 and keeps the old password`, async (t) => {
      const server = await startTestServer(t)
      const user = await createUser(server, 'victim', 'the old password')
      const res = await server.fetch(`/users/${user.id}`, { method: 'PATCH', headers: AS_ADMIN_JSON, body: JSON.stringify(body) })
      await assertError(res, 400, 'VALIDATION_FAILED', true)
      const secrets = await server.fetch('/secrets', { headers: { authorization: user.auth } })
      assert.equal(secrets.status, 200)
    })
  }
})

describe('text an engine would not store as sent', () => {
  // PostgreSQL's text cannot hold NUL; both engines would store a lone surrogate as U+FFFD
  const UNSTORABLE = ['a\u0000b', '\ud800', 'x\udfffy']

  it('refuses NUL and lone surrogates in an article with 400 on POST, PUT and PATCH, changing nothing', async (t) => {
    const server = await startTestServer(t)
    const created = await server.fetch('/articles', { method: 'POST', headers: AS_ADMIN_JSON, body: JSON.stringify({ title: 'Kept', body: 'As it is.' }) })
    assert.equal(created.status, 201)
    const { id } = await created.json() as { id: number }
    const articles = async () => await (await server.fetch('/articles?limit=100')).json() as unknown
    const before = await articles()
    for (const text of UNSTORABLE) {
      for (const field of ['title', 'summary', 'body']) {
        const fields = { title: 'T', body: 'B', [field]: text }
        for (const [method, path] of [['POST', '/articles'], ['PUT', `/articles/${id}`], ['PATCH', `/articles/${id}`]]) {
          const res = await server.fetch(path!, { method, headers: AS_ADMIN_JSON, body: JSON.stringify(method === 'PATCH' ? { [field]: text } : fields) })
          await assertError(res, 400, 'INVALID_TEXT')
        }
      }
    }
    assert.deepEqual(await articles(), before)
    // the same words, well formed, are stored as sent
    const kept = await server.fetch('/articles', { method: 'POST', headers: AS_ADMIN_JSON, body: JSON.stringify({ title: 'a b \ud83d\ude00', body: 'x\ufffdy' }) })
    assert.equal(kept.status, 201)
    const stored = await (await server.fetch(kept.headers.get('location')!)).json() as { title: string, body: string }
    assert.deepEqual([stored.title, stored.body], ['a b 😀', 'x\ufffdy'])
  })

  it('refuses NUL in a search filter with 400', async (t) => {
    const server = await startTestServer(t)
    await assertError(await server.fetch('/articles?author=jo%00hn'), 400, 'INVALID_TEXT')
  })
})

describe('prototype-poisoning JSON', () => {
  const poisons = [
    { name: '__proto__', json: '{"username": "mallory", "password": "long enough password", "__proto__": {"x": 1}}' },
    { name: 'constructor.prototype', json: '{"username": "mallory", "password": "long enough password", "constructor": {"prototype": {"x": 1}}}' },
    { name: 'a bare __proto__', json: '{"__proto__": {"x": 1}}' },
    { name: 'a bare constructor.prototype', json: '{"constructor": {"prototype": {"x": 1}}}' },
    { name: 'a nested __proto__', json: '{"a": [{"b": {"__proto__": {"x": 1}}}]}' }
  ]
  for (const type of ['application/json', 'application/vnd.example+json']) {
    for (const { name, json } of poisons) {
      it(`refuses ${name} as ${type} on POST /users with 400`, async (t) => {
        const { server, assertUnchanged } = await serverWithData(t)
        const res = await server.fetch('/users', { method: 'POST', headers: { authorization: adminAuth(), 'content-type': type }, body: json })
        await assertError(res, 400, 'INVALID_JSON')
        assertPrototypeClean()
        await assertUnchanged()
      })

      it(`refuses ${name} as ${type} on POST /messages with 400`, async (t) => {
        const { server, assertUnchanged } = await serverWithData(t)
        const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': type }, body: json })
        await assertError(res, 400, 'INVALID_JSON')
        assertPrototypeClean()
        await assertUnchanged()
      })
    }
  }

  for (const type of ['application/json', 'application/merge-patch+json']) {
    it(`refuses __proto__ as ${type} on PATCH /users/:id and keeps the old password`, async (t) => {
      const server = await startTestServer(t)
      const user = await createUser(server, 'victim', 'the old password')
      const res = await server.fetch(`/users/${user.id}`, {
        method: 'PATCH',
        headers: { authorization: adminAuth(), 'content-type': type },
        body: '{"password": "a brand new password", "__proto__": {"x": 1}}'
      })
      await assertError(res, 400, 'INVALID_JSON')
      assertPrototypeClean()
      const old = await server.fetch('/secrets', { headers: { authorization: user.auth } })
      assert.equal(old.status, 200)
    })
  }
})

describe('bodies of a type the endpoint does not take', () => {
  const odd = ['application/x-www-form-urlencoded', 'text/html', ';;;', 'application/xml', 'image/png', 'json', 'application/']
  for (const type of odd) {
    it(`answers Content-Type ${JSON.stringify(type)} on POST /users with 415 and Accept-Post`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t)
      const res = await server.fetch('/users', {
        method: 'POST',
        headers: { authorization: adminAuth(), 'content-type': type },
        body: '{"username": "mallory", "password": "long enough password"}'
      })
      assert.equal(res.headers.get('accept-post'), 'application/json')
      await assertError(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
      await assertUnchanged()
    })

    it(`answers Content-Type ${JSON.stringify(type)} on POST /messages with 415 and Accept-Post`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t)
      const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': type }, body: 'username=mallory' })
      assert.equal(res.headers.get('accept-post'), MESSAGE_TYPES)
      await assertError(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
      await assertUnchanged()
    })
  }

  it('answers a body without Content-Type on POST /users with 415 and Accept-Post', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/users', {
      method: 'POST',
      headers: { authorization: adminAuth() },
      body: Buffer.from('{"username": "mallory", "password": "long enough password"}')
    })
    assert.equal(res.headers.get('accept-post'), 'application/json')
    await assertError(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    await assertUnchanged()
  })

  it('answers a body without Content-Type on POST /messages with 415 and Accept-Post', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/messages', { method: 'POST', body: Buffer.from('no type at all') })
    assert.equal(res.headers.get('accept-post'), MESSAGE_TYPES)
    await assertError(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    await assertUnchanged()
  })

  it('answers a chunked body without Content-Type on POST /messages with 415', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await sendChunked(server, 'POST', '/messages', {}, Buffer.from('no type at all'), 64)
    assert.equal(res.headers.get('accept-post'), MESSAGE_TYPES)
    await assertError(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    await assertUnchanged()
  })

  it('answers a JSON body sent as text/plain on POST /users with 415', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/users', {
      method: 'POST',
      headers: { authorization: adminAuth(), 'content-type': 'text/plain' },
      body: '{"username": "mallory", "password": "long enough password"}'
    })
    assert.equal(res.headers.get('accept-post'), 'application/json')
    await assertError(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    await assertUnchanged()
  })

  it('answers an unknown charset on a text message with 415', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'text/plain; charset=x-no-such-charset' }, body: 'hi' })
    assert.equal(res.headers.get('accept-post'), MESSAGE_TYPES)
    await assertError(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    await assertUnchanged()
  })

  it('answers an odd type on PATCH /users/:id with 415 and Accept-Patch', async (t) => {
    const server = await startTestServer(t)
    const user = await createUser(server, 'victim', 'the old password')
    const res = await server.fetch(`/users/${user.id}`, {
      method: 'PATCH', headers: { authorization: adminAuth(), 'content-type': 'text/html' }, body: '{"password": "a brand new password"}'
    })
    assert.equal(res.headers.get('accept-patch'), 'application/json, application/merge-patch+json')
    assert.equal(res.headers.get('accept-post'), null)
    await assertError(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    const old = await server.fetch('/secrets', { headers: { authorization: user.auth } })
    assert.equal(old.status, 200)
  })

  it('takes application/vnd.example+json as JSON on POST /users', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users', {
      method: 'POST',
      headers: { authorization: adminAuth(), 'content-type': 'application/vnd.example+json; charset=utf-8' },
      body: '{"username": "vnd", "password": "long enough password"}'
    })
    assert.equal(res.status, 201)
    assert.equal((await res.json() as { username: string }).username, 'vnd')
  })

  it('takes application/vnd.example+json as JSON on POST /messages', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/messages', {
      method: 'POST', headers: { 'content-type': 'application/vnd.example+json' }, body: '{"message":"Hello Data"}'
    })
    assert.equal(res.status, 201)
    assert.equal(await res.text(), 'JSON Message: {"message": "Hello Data"}')
  })
})

describe('oversized bodies', () => {
  it('refuses JSON over 1 MiB on POST /users with 413 by default', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const body = JSON.stringify({ username: 'big', password: 'p'.repeat(MiB) })
    assert.ok(Buffer.byteLength(body) > MiB)
    const res = await server.fetch('/users', { method: 'POST', headers: AS_ADMIN_JSON, body })
    await assertError(res, 413, 'PAYLOAD_TOO_LARGE')
    await assertUnchanged()
  })

  it('refuses a message over 10 MiB with 413 by default', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/messages', {
      method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(10 * MiB + 1, 0x61)
    })
    await assertError(res, 413, 'PAYLOAD_TOO_LARGE')
    await assertUnchanged()
  })

  it('refuses JSON over the configured limit on POST /users with 413', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t, { bodyLimit: 1024, jsonLimit: 512 })
    const body = JSON.stringify({ username: 'big', password: 'p'.repeat(600) })
    const res = await server.fetch('/users', { method: 'POST', headers: AS_ADMIN_JSON, body })
    await assertError(res, 413, 'PAYLOAD_TOO_LARGE')
    await assertUnchanged()
  })

  it('stores a message at the configured limit and refuses one byte more with 413', async (t) => {
    const { server } = await serverWithData(t, { bodyLimit: 1024, jsonLimit: 512 })
    const headers = { 'content-type': 'application/octet-stream' }
    const fits = await server.fetch('/messages', { method: 'POST', headers, body: Buffer.alloc(1024, 0x61) })
    assert.equal(fits.status, 201)
    const before = await storedState(server)
    const res = await server.fetch('/messages', { method: 'POST', headers, body: Buffer.alloc(1025, 0x61) })
    await assertError(res, 413, 'PAYLOAD_TOO_LARGE')
    assert.deepEqual(await storedState(server), before)
  })

  it('refuses chunked JSON without Content-Length over the limit on POST /users with 413', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t, { bodyLimit: 1024, jsonLimit: 512 })
    const res = await sendChunked(server, 'POST', '/users', AS_ADMIN_JSON, Buffer.from(' '.repeat(256)), 1024 * 1024)
    await assertError(res, 413, 'PAYLOAD_TOO_LARGE')
    await assertUnchanged()
  })

  for (const type of ['application/octet-stream', 'text/plain', 'application/json']) {
    it(`refuses a chunked ${type} message without Content-Length over the limit with 413`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t, { bodyLimit: 1024, jsonLimit: 512 })
      const res = await sendChunked(server, 'POST', '/messages', { 'content-type': type }, Buffer.from(' '.repeat(256)), 1024 * 1024)
      await assertError(res, 413, 'PAYLOAD_TOO_LARGE')
      await assertUnchanged()
    })
  }

  it('refuses a chunked message over the 10 MiB default with 413', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await sendChunked(server, 'POST', '/messages', { 'content-type': 'application/octet-stream' }, Buffer.alloc(64 * 1024, 0x61), 32 * MiB)
    await assertError(res, 413, 'PAYLOAD_TOO_LARGE')
    await assertUnchanged()
    await assertStillServing(server)
  })
})

describe('POST /messages with multipart/form-data', () => {
  it('stores a form with exactly the default 10 parts', async (t) => {
    const server = await startTestServer(t)
    const { body, contentType } = multipartBody(5, 5)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': contentType }, body })
    assert.equal(res.status, 201)
    assert.equal(await res.text(), 'Multipart message written!')
  })

  for (const [fields, files] of [[11, 0], [0, 11], [6, 5], [100, 100]] as const) {
    it(`refuses ${fields} fields and ${files} files (over the default 10 parts) with 413 and stores nothing`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t)
      const { body, contentType } = multipartBody(fields, files)
      const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': contentType }, body })
      await assertError(res, 413, 'TOO_MANY_PARTS')
      await assertUnchanged()
    })
  }

  it('follows the configured part limit', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t, { multipartParts: 2 })
    const { body, contentType } = multipartBody(2, 1)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': contentType }, body })
    await assertError(res, 413, 'TOO_MANY_PARTS')
    await assertUnchanged()
  })

  const valid = multipartBody(2, 1)
  const boundary = /boundary=(.+)$/.exec(valid.contentType)![1]!
  const malformed: Array<{ name: string, contentType: string, body: Buffer }> = [
    { name: 'no boundary parameter', contentType: 'multipart/form-data', body: valid.body },
    { name: 'an empty boundary', contentType: 'multipart/form-data; boundary=', body: valid.body },
    { name: 'a boundary the body does not use', contentType: 'multipart/form-data; boundary=not-the-one-in-the-body', body: valid.body },
    { name: 'a body cut before its closing delimiter', contentType: valid.contentType, body: valid.body.subarray(0, valid.body.length - boundary.length - 8) },
    { name: 'a body cut inside a part', contentType: valid.contentType, body: valid.body.subarray(0, Math.floor(valid.body.length / 2)) },
    { name: 'a body that is not multipart at all', contentType: valid.contentType, body: Buffer.from('just some text, no delimiters') },
    {
      name: 'a part without headers',
      contentType: 'multipart/form-data; boundary=xyz',
      body: Buffer.from('--xyz\r\n\r\nno content-disposition\r\n--xyz--\r\n')
    }
  ]
  for (const { name, contentType, body } of malformed) {
    it(`refuses ${name} with 400 and stores nothing`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t)
      const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': contentType }, body })
      await assertError(res, 400, 'INVALID_MULTIPART')
      // a parser error thrown after the answer (an unhandled 'error' event) fails this test
      await new Promise((resolve) => setTimeout(resolve, 50))
      await assertUnchanged()
      await assertStillServing(server)
    })
  }
})

describe('malformed request lines and headers (raw HTTP)', () => {
  for (const path of ['/users/%E0%A4%A', '/hello%ZZ', '/users/%', '/messages/%G1']) {
    it(`answers the badly percent-encoded path ${path} with a 400 JSON error`, async (t) => {
      const server = await startTestServer(t)
      const { res } = await rawExchange(server, rawGet(path))
      await assertError(res, 400, 'BAD_URL')
      await assertStillServing(server)
    })
  }

  it('answers an Expect it cannot meet with a 417 JSON error, storing nothing', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const { res } = await rawExchange(server,
      'POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nExpect: teapot\r\n\r\nhello')
    await assertError(res, 417, 'EXPECTATION_FAILED')
    await assertUnchanged()
    await assertStillServing(server)
  })

  const unparsed: Array<[what: string, request: string, status: number, code: string]> = [
    ['a method Node cannot parse (BREW)', 'BREW /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 400, 'BAD_REQUEST'],
    ['CONNECT (this server is no proxy)', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405, 'METHOD_NOT_ALLOWED'],
    ['a request line that is not HTTP', 'this is not http at all\r\n\r\n', 400, 'BAD_REQUEST']
  ]
  for (const [what, request, status, code] of unparsed) {
    it(`answers ${what} with a ${status} JSON error`, async (t) => {
      const server = await startTestServer(t)
      const { res } = await rawExchange(server, request)
      await assertError(res, status, code)
      await assertStillServing(server)
    })
  }

  it('answers CONNECT on a path with 405 and the methods the path takes', async (t) => {
    const server = await startTestServer(t)
    const { res } = await rawExchange(server, 'CONNECT /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    await assertError(res, 405, 'METHOD_NOT_ALLOWED')
    assert.equal(res.headers.get('allow'), 'GET, HEAD, OPTIONS')
    const { res: authority } = await rawExchange(server, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
    assert.equal(authority.headers.get('allow'), '')
    await assertStillServing(server)
  })

  it('answers Content-Length together with Transfer-Encoding (request smuggling) with a 400 JSON error', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const { res } = await rawExchange(server,
      'POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n' +
      'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nPOST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nsmugl')
    await assertError(res, 400, 'BAD_REQUEST')
    await assertUnchanged()
  })

  it('answers two different Content-Lengths with a 400 JSON error', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const { res } = await rawExchange(server,
      'POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhello')
    await assertError(res, 400, 'BAD_REQUEST')
    await assertUnchanged()
  })

  it('answers an HTTP/1.1 request without Host with a 400 JSON error', async (t) => {
    const server = await startTestServer(t)
    const { res } = await rawExchange(server, 'GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n')
    await assertError(res, 400, 'HOST_REQUIRED')
    await assertStillServing(server)
  })

  it('answers a header section that is too large with a 431 JSON error', async (t) => {
    const server = await startTestServer(t)
    const { res } = await rawExchange(server, rawGet('/hello', `X-Filler: ${'a'.repeat(64 * 1024)}\r\n`))
    await assertError(res, 431, 'HEADERS_TOO_LARGE')
    await assertStillServing(server)
  })

  it('answers too many headers adding up past the limit with a 431 JSON error', async (t) => {
    const server = await startTestServer(t)
    let extra = ''
    for (let i = 0; i < 2000; i++) extra += `X-H${i}: ${'b'.repeat(16)}\r\n`
    const { res } = await rawExchange(server, rawGet('/hello', extra))
    await assertError(res, 431, 'HEADERS_TOO_LARGE')
    await assertStillServing(server)
  })

  it('stores nothing when a message body stops short of its Content-Length', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const { port } = new URL(server.url)
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.end('POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly ten b')
      })
      socket.on('error', () => {})
      socket.on('close', () => resolve())
      socket.resume()
    })
    await assertUnchanged()
    await assertStillServing(server)
  })
})

describe('ids that are not integers', () => {
  const bad = ['abc', '1.5', '-1', '+1', '1e3', '0x10', '99999999999999999999', '%D9%A1', '1;2', 'null']
  for (const id of bad) {
    it(`answers GET /users/${id} with 404`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch(`/users/${id}`)
      const body = await assertError(res, 404, 'NOT_FOUND')
      assert.equal(body.message, `Not Found: ${server.url}/users/${id}`)
    })
  }

  it('answers PATCH and DELETE /users/:id and GET, GET content, DELETE /messages/:id with non-integer ids with 404, changing nothing', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    for (const id of bad) {
      const requests: Array<[string, string, RequestInit]> = [
        ['PATCH', `/users/${id}`, { headers: AS_ADMIN_JSON, body: '{"password": "a brand new password"}' }],
        ['DELETE', `/users/${id}`, { headers: { authorization: adminAuth() } }],
        ['GET', `/messages/${id}`, { headers: { authorization: adminAuth() } }],
        ['GET', `/messages/${id}/content`, { headers: { authorization: adminAuth() } }],
        ['DELETE', `/messages/${id}`, { headers: { authorization: adminAuth() } }]
      ]
      for (const [method, path, init] of requests) {
        const res = await server.fetch(path, { ...init, method })
        const body = await assertError(res, 404, 'NOT_FOUND')
        assert.equal(body.message, `Not Found: ${server.url}${path}`, `${method} ${path}`)
      }
    }
    await assertUnchanged()
  })
})

describe('methods no route has', () => {
  const cases: Array<[string, string, string]> = [
    ['PROPFIND', '/hello', 'GET, HEAD, OPTIONS'],
    ['TRACE', '/hello', 'GET, HEAD, OPTIONS'],
    ['PURGE', '/hello', 'GET, HEAD, OPTIONS'],
    ['MKCOL', '/users', 'GET, HEAD, POST, OPTIONS'],
    ['LOCK', '/users/1', 'GET, HEAD, PATCH, DELETE, OPTIONS'],
    ['PUT', '/hello', 'GET, HEAD, OPTIONS'],
    ['PUT', '/users/1', 'GET, HEAD, PATCH, DELETE, OPTIONS'],
    ['DELETE', '/secrets', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/messages', 'GET, HEAD, POST, OPTIONS']
  ]
  for (const [method, path, allow] of cases) {
    it(`answers ${method} ${path} with 405 and Allow`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t)
      const withBody = method === 'PUT' || method === 'PATCH'
      const { res } = withBody
        ? await send(server, method, path, AS_ADMIN_JSON, '{"username": "mallory", "password": "a brand new password"}')
        : await send(server, method, path, { authorization: adminAuth() })
      assert.equal(res.headers.get('allow'), allow)
      await assertError(res, 405, 'METHOD_NOT_ALLOWED')
      await assertUnchanged()
    })
  }
})

describe('an Accept header nothing can satisfy', () => {
  const cases: Array<[string, string]> = [
    ['/hello', 'image/png'],
    ['/', 'text/html'],
    ['/users', 'application/pdf'],
    ['/users/1', 'text/csv'],
    ['/users/1', 'application/json;q=0, text/html'],
    ['/health', 'text/plain']
  ]
  for (const [path, accept] of cases) {
    it(`answers GET ${path} with Accept: ${accept} with a 406 JSON error`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch(path, { headers: { accept } })
      await assertError(res, 406, 'NOT_ACCEPTABLE')
    })
  }

  it('answers POST /users with Accept: image/png with 406 and creates no user', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/users', {
      method: 'POST', headers: { ...AS_ADMIN_JSON, accept: 'image/png' }, body: '{"username": "mallory", "password": "long enough password"}'
    })
    await assertError(res, 406, 'NOT_ACCEPTABLE')
    await assertUnchanged()
  })

  it('answers POST /messages with Accept: image/png with 406 and stores nothing', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'text/plain', accept: 'image/png' }, body: 'hi' })
    await assertError(res, 406, 'NOT_ACCEPTABLE')
    await assertUnchanged()
  })
})

describe('bad Authorization headers', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64')
  const bad = [
    'Basic !!!',
    `Basic ${b64('adminsecret')}`,
    `Basic ${b64(':secret')}`,
    `Basic ${b64('admin:wrong')}`,
    `Basic ${b64('admin:secret')} trailing`,
    `Basic${b64('admin:secret')}`,
    'Basic',
    'Bearer',
    'Bearer a b',
    'Bearer not-a-real-token',
    'Digest x',
    'Negotiate ' + b64('x'.repeat(100)),
    '!!!'
  ]

  const assertChallenges = (headers: Array<[string, string]>) => {
    const challenges = headerValues(headers, 'www-authenticate')
    assert.equal(challenges.length, 2, `two WWW-Authenticate headers: ${JSON.stringify(challenges)}`)
    assert.match(challenges[0]!, /^Basic realm="[^"]+"/)
    assert.match(challenges[1]!, /^Bearer realm="[^"]+"/)
  }

  for (const header of bad) {
    it(`answers GET /secrets with Authorization: ${JSON.stringify(header)} with 401 and two challenges`, async (t) => {
      const server = await startTestServer(t)
      const { res, headers } = await send(server, 'GET', '/secrets', { authorization: header })
      assertChallenges(headers)
      const body = await assertError(res, 401, 'UNAUTHENTICATED')
      assert.equal(body.message, 'Authenticate.')
    })
  }

  it('answers POST /messages with a malformed credential with 401 and stores nothing', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const { res, headers } = await send(server, 'POST', '/messages', { authorization: 'Basic !!!', 'content-type': 'text/plain' }, 'hi')
    assertChallenges(headers)
    await assertError(res, 401, 'UNAUTHENTICATED')
    await assertUnchanged()
  })

  it('answers POST /users with a malformed credential with 401 and creates no user', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const { res, headers } = await send(server, 'POST', '/users', { authorization: 'Bearer a b', 'content-type': 'application/json' },
      '{"username": "mallory", "password": "long enough password"}')
    assertChallenges(headers)
    await assertError(res, 401, 'UNAUTHENTICATED')
    await assertUnchanged()
  })

  for (const scheme of ['bAsIc', 'BASIC', 'basic']) {
    it(`takes valid admin credentials under the scheme ${scheme}`, async (t) => {
      const server = await startTestServer(t)
      const { res, headers } = await send(server, 'GET', '/secrets', { authorization: `${scheme} ${b64('admin:secret')}` })
      assert.equal(res.status, 200)
      assert.deepEqual(headerValues(headers, 'www-authenticate'), [])
      assert.equal(await res.text(), 'Shhh this is top secret spy stuff!')
    })
  }

  it('takes a user\'s credentials with basicAuth under a lower-case scheme', async (t) => {
    const server = await startTestServer(t)
    await createUser(server, 'carol', 'carol password')
    const header = basicAuth('carol', 'carol password').replace(/^Basic/, 'basic')
    const res = await server.fetch('/secrets', { headers: { authorization: header } })
    assert.equal(res.status, 200)
  })
})

describe('pagination parameters', () => {
  const cursor = (text: string) => Buffer.from(text).toString('base64url')
  const badCursors = ['garbage', cursor('id:abc'), cursor('id:-1'), cursor('id:1 OR 1=1'), cursor('id:1\u0000'), '%00', cursor('x'.repeat(40))]
  for (const path of ['/users', '/messages']) {
    for (const after of badCursors) {
      it(`answers GET ${path}?after=${after} with a 400`, async (t) => {
        const server = await startTestServer(t)
        const res = await server.fetch(`${path}?after=${after}`, { headers: { authorization: adminAuth() } })
        await assertError(res, 400, 'INVALID_CURSOR')
      })
    }

    it(`answers GET ${path} with an over-long cursor with a 400 naming it`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch(`${path}?after=${'A'.repeat(4097)}`, { headers: { authorization: adminAuth() } })
      const body = await assertError(res, 400, 'VALIDATION_FAILED', true)
      assert.deepEqual(fieldsOf(body), ['querystring.after'])
    })

    for (const limit of ['0', '101', 'abc', '-1', '1.5', '1e2x', '99999999999999999999']) {
      it(`answers GET ${path}?limit=${limit} with a 400 naming limit`, async (t) => {
        const server = await startTestServer(t)
        const res = await server.fetch(`${path}?limit=${limit}`, { headers: { authorization: adminAuth() } })
        const body = await assertError(res, 400, 'VALIDATION_FAILED', true)
        assert.deepEqual(fieldsOf(body), ['querystring.limit'])
      })
    }
  }
})

describe('after a barrage of hostile requests', () => {
  it('keeps its data and still answers GET /hello normally', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t, { bodyLimit: 1024, jsonLimit: 512 })
    const statuses: number[] = []
    const note = async (res: Response) => {
      statuses.push(res.status)
      await res.arrayBuffer()
    }
    await note(await server.fetch('/users', { method: 'POST', headers: AS_ADMIN_JSON, body: '{"username":' }))
    await note(await server.fetch('/messages', { method: 'POST', headers: JSON_BODY, body: '{"__proto__": {"x": 1}}' }))
    await note(await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'text/html' }, body: '<p>' }))
    await note(await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096) }))
    await note(await sendChunked(server, 'POST', '/messages', { 'content-type': 'text/plain' }, Buffer.alloc(512, 0x61), 64 * 1024))
    const form = multipartBody(20)
    await note(await server.fetch('/messages', { method: 'POST', headers: { 'content-type': form.contentType }, body: form.body }))
    await note(await server.fetch('/messages', { method: 'POST', headers: { 'content-type': form.contentType }, body: form.body.subarray(0, 100) }))
    await note((await rawExchange(server, rawGet('/hello%ZZ'))).res)
    await note((await rawExchange(server, 'BREW /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).res)
    await note((await rawExchange(server, rawGet('/hello', `X-Filler: ${'a'.repeat(64 * 1024)}\r\n`))).res)
    await note((await send(server, 'PROPFIND', '/hello')).res)
    await note(await server.fetch('/users/abc'))
    await note(await server.fetch('/hello', { headers: { accept: 'image/png' } }))
    await note((await send(server, 'GET', '/secrets', { authorization: 'Basic !!!' })).res)
    await note(await server.fetch('/users?after=garbage'))
    await note(await server.fetch('/users?limit=0'))
    assert.deepEqual(statuses, [400, 400, 415, 413, 413, 413, 400, 400, 400, 431, 405, 404, 406, 401, 400, 400])
    assertPrototypeClean()
    await assertUnchanged()
    await assertStillServing(server)
  })
})
