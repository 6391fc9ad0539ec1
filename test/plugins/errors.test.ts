import { strict as assert } from 'node:assert'
import { connect } from 'node:net'
import { describe, it } from 'node:test'
import { adminAuth, AS_ADMIN_JSON, assertError, assertErrorBody, assertStillServing, createUser, JSON_TYPE, MESSAGE_TYPES, multipartBody, serverWithData, startTestServer, storedState } from '../helper.js'
import { rawExchange, rawGet, requestIdOf, send, sendChunked } from '../http.js'

const JSON_BODY = { 'content-type': 'application/json' }
const MiB = 1024 * 1024

function assertPrototypeClean (): void {
  const probe: Record<string, unknown> = {}
  assert.equal(probe.x, undefined)
  assert.equal(Object.hasOwn(Object.prototype, 'x'), false)
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

  it('answers a missing file under a static route with 404, not 405', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/docs/static/nothing-here.css.map')
    const body = await assertErrorBody(res, 404, 'NOT_FOUND')
    assert.equal(body.message, `Not Found: ${server.url}/docs/static/nothing-here.css.map`)
  })
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

describe('OPTIONS', () => {
  const cases: Array<[string, string]> = [
    ['/', 'GET, HEAD, OPTIONS'],
    ['/hello', 'GET, HEAD, OPTIONS'],
    ['/echo', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'],
    ['/messages', 'GET, HEAD, POST, OPTIONS'],
    ['/users', 'GET, HEAD, POST, OPTIONS'],
    ['/users/2', 'GET, HEAD, PATCH, DELETE, OPTIONS'],
    ['/secrets', 'GET, HEAD, OPTIONS']
  ]
  for (const [path, allow] of cases) {
    it(`OPTIONS ${path} is a 204 with Allow: ${allow}`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch(path, { method: 'OPTIONS' })
      assert.equal(res.status, 204)
      assert.equal(res.headers.get('allow'), allow)
      requestIdOf(res)
      assert.equal(await res.text(), '')
    })
  }

  it('OPTIONS on an unknown path is a 404', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/nowhere', { method: 'OPTIONS' })
    assert.equal(res.status, 404)
    assert.deepEqual(await res.json(), {
      status: 404,
      code: 'NOT_FOUND',
      message: `Not Found: ${server.url}/nowhere`,
      requestId: requestIdOf(res)
    })
  })

  it('a CORS preflight from a browser is answered with CORS headers', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://example.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type'
      }
    })
    assert.equal(res.status, 204)
    assert.equal(res.headers.get('allow'), 'GET, HEAD, POST, OPTIONS')
    assert.ok(['*', 'http://example.test'].includes(res.headers.get('access-control-allow-origin') ?? ''),
      `Access-Control-Allow-Origin: ${res.headers.get('access-control-allow-origin')}`)
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /\bPOST\b/)
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/i)
  })
})

describe('405 Method Not Allowed', () => {
  const cases: Array<[string, string, string]> = [
    ['DELETE', '/hello', 'GET, HEAD, OPTIONS'],
    ['PUT', '/users', 'GET, HEAD, POST, OPTIONS'],
    ['POST', '/users/2', 'GET, HEAD, PATCH, DELETE, OPTIONS'],
    ['DELETE', '/secrets', 'GET, HEAD, OPTIONS'],
    ['PUT', '/messages', 'GET, HEAD, POST, OPTIONS']
  ]
  for (const [method, path, allow] of cases) {
    it(`${method} ${path} is a 405 with Allow: ${allow}`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch(path, { method })
      assert.equal(res.status, 405)
      assert.equal(res.headers.get('allow'), allow)
      assert.equal(res.headers.get('content-type'), JSON_TYPE)
      assert.deepEqual(await res.json(), {
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        message: `Method ${method} is not allowed here; allowed: ${allow}`,
        requestId: requestIdOf(res)
      })
    })
  }
})

describe('404 Not Found', () => {
  it('names the full request URL, query string included', async (t) => {
    const server = await startTestServer(t)
    const path = '/no/such/thing?a=1&b=two%20words'
    const res = await server.fetch(path)
    assert.equal(res.status, 404)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(await res.json(), {
      status: 404,
      code: 'NOT_FOUND',
      message: `Not Found: ${server.url}${path}`,
      requestId: requestIdOf(res)
    })
  })

  for (const id of ['abc', '1.5', '-1', '1e3', '+2', '0x10', '2abc', '99999999999999999999', '9007199254740993']) {
    it(`GET /users/${id} is a 404, not a 400 or 500`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch(`/users/${id}`)
      assert.equal(res.status, 404)
      assert.equal(res.headers.get('content-type'), JSON_TYPE)
      const body = await res.json() as Record<string, unknown>
      assert.deepEqual(body, { status: 404, code: body.code, message: `Not Found: ${server.url}/users/${id}`, requestId: requestIdOf(res) })
      assert.match(body.code as string, /NOT_FOUND$/)
    })
  }

  it('an id beyond integer range is a 404 for the admin\'s PATCH and DELETE too', async (t) => {
    const server = await startTestServer(t)
    for (const method of ['PATCH', 'DELETE']) {
      const res = await server.fetch('/users/99999999999999999999', method === 'PATCH'
        ? {
            method,
            headers: { authorization: adminAuth(), 'content-type': 'application/json' },
            body: JSON.stringify({ password: 'a new password' })
          }
        : { method, headers: { authorization: adminAuth() } })
      assert.equal(res.status, 404, `${method}`)
      const body = await res.json() as Record<string, unknown>
      assert.equal(body.message, `Not Found: ${server.url}/users/99999999999999999999`)
    }
  })

  it('GET /messages/99999999999999999999/content is a 404 for the admin', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/messages/99999999999999999999/content', { headers: { authorization: adminAuth() } })
    assert.equal(res.status, 404)
    const body = await res.json() as Record<string, unknown>
    assert.equal(body.message, `Not Found: ${server.url}/messages/99999999999999999999/content`)
  })
})
