import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { loggableUrl } from '../../src/plugins/request-context.js'
import { adminAuth, assertErrorBody, startTestServer } from '../helper.js'
import { rawExchange } from '../http.js'

describe('request targets and headers', () => {
  it('reads an absolute-form target as its path (RFC 9112 §3.2.2), in URLs it builds too', async (t) => {
    const server = await startTestServer(t)
    const { res } = await rawExchange(server, `GET ${server.url}/users/9 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
    const body = await assertErrorBody(res, 404, 'USER_NOT_FOUND')
    assert.equal(body.message, 'Not Found: http://127.0.0.1/users/9')
  })

  it('refuses an invalid or a repeated Host with 400', async (t) => {
    const server = await startTestServer(t)
    const bad = await rawExchange(server, 'GET /hello HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n')
    await assertErrorBody(bad.res, 400, 'INVALID_HOST')
    const twice = await rawExchange(server, 'GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n')
    await assertErrorBody(twice.res, 400, 'INVALID_HOST')
  })

  it('refuses a compressed body with 415 and Accept-Encoding, storing nothing', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' }, body: 'not really gzip' })
    await assertErrorBody(res, 415, 'UNSUPPORTED_CONTENT_ENCODING')
    assert.equal(res.headers.get('accept-encoding'), 'identity')
    const list = await server.fetch('/messages', { headers: { authorization: adminAuth(), accept: 'application/json' } })
    assert.deepEqual(await list.json(), [])
  })

  it('answers a file with a Content-Type that is not a media type with 415 naming what it takes', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/files/weird', { method: 'PUT', headers: { authorization: adminAuth(), 'content-type': 'foo' }, body: 'zz' })
    const body = await assertErrorBody(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    assert.match(String(body.message), /any well-formed media type/)
    assert.equal(res.headers.get('accept-post'), null)
  })

  it('answers a missing file under a static route with 404, not 405', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/docs/static/nothing-here.css.map')
    const body = await assertErrorBody(res, 404, 'NOT_FOUND')
    assert.equal(body.message, `Not Found: ${server.url}/docs/static/nothing-here.css.map`)
  })

  it('answers HEAD /echo with the headers GET /echo has', async (t) => {
    const server = await startTestServer(t)
    const get = await server.fetch('/echo')
    const head = await server.fetch('/echo', { method: 'HEAD' })
    assert.equal(head.headers.get('content-length'), get.headers.get('content-length'))
    assert.equal(await get.text(), 'ECHO: GET\n')
  })

  it('renders an error in the representation the client prefers by q-value', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/999', { headers: { accept: 'application/xml, application/json;q=0.5' } })
    assert.equal(res.status, 404)
    assert.match(res.headers.get('content-type') ?? '', /^application\/xml/)
    assert.match(await res.text(), /<code>USER_NOT_FOUND<\/code>/)
  })
})

describe('--rate-limit', () => {
  it('counts unknown paths and methods (404, 405) against the quota, and not the probes', async (t) => {
    const server = await startTestServer(t, { rateLimit: 3 })
    const statuses: number[] = []
    for (const [method, path] of [['GET', '/no/such/path'], ['DELETE', '/hello'], ['GET', '/health'], ['GET', '/hello'], ['GET', '/no/such/path'], ['GET', '/health']]) {
      const res = await server.fetch(path!, { method })
      statuses.push(res.status)
      if (res.status === 429) await assertErrorBody(res, 429, 'TOO_MANY_REQUESTS')
      else await res.arrayBuffer()
    }
    assert.deepEqual(statuses, [404, 405, 200, 200, 429, 200])
  })
})

describe('the JSON echo of POST /messages', () => {
  it('keeps numbers exactly as sent, as Python\'s json.dumps does for these', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1.0,"b":123456789012345678,"c":[ ],"d":"\\u00e9"}' })
    assert.equal(res.status, 201)
    assert.equal(await res.text(), 'JSON Message: {"a": 1.0, "b": 123456789012345678, "c": [], "d": "\\u00e9"}')
  })
})

describe('conditional changes of files', () => {
  const put = (server: Awaited<ReturnType<typeof startTestServer>>, key: string, headers: Record<string, string> = {}) =>
    server.fetch(`/files/${key}`, { method: 'PUT', headers: { authorization: adminAuth(), 'content-type': 'text/plain', ...headers }, body: 'v' })

  it('If-None-Match: * creates only: 201 for a new key, 412 once it exists', async (t) => {
    const server = await startTestServer(t)
    assert.equal((await put(server, 'once', { 'if-none-match': '*' })).status, 201)
    await assertErrorBody(await put(server, 'once', { 'if-none-match': '*' }), 412, 'PRECONDITION_FAILED')
  })

  it('If-Match on a key that does not exist is 412 and creates nothing', async (t) => {
    const server = await startTestServer(t)
    await assertErrorBody(await put(server, 'ghost', { 'if-match': '*' }), 412, 'PRECONDITION_FAILED')
    assert.equal((await server.fetch('/files/ghost')).status, 404)
  })

  it('If-Unmodified-Since before the last change is 412; If-Modified-Since at it is 304', async (t) => {
    const server = await startTestServer(t)
    const created = await put(server, 'dated')
    assert.equal(created.status, 201)
    await assertErrorBody(await put(server, 'dated', { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' }), 412, 'PRECONDITION_FAILED')
    const lastModified = (await server.fetch('/files/dated')).headers.get('last-modified') ?? ''
    const again = await server.fetch('/files/dated', { headers: { 'if-modified-since': lastModified } })
    assert.equal(again.status, 304)
  })
})

describe('the request log', () => {
  it('leaves out credentials a URL may carry', () => {
    assert.equal(loggableUrl('http://admin:secret@example.test/secrets'), 'http://example.test/secrets')
    assert.equal(loggableUrl('/secrets?password=hunter2&name=x&access_token=t&apiKey=k'), '/secrets?password=[redacted]&name=x&access_token=[redacted]&apiKey=[redacted]')
    assert.equal(loggableUrl('/hello?name=Luis'), '/hello?name=Luis')
  })
})
