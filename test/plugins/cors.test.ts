import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { assertErrorBody, startTestServer } from '../helper.js'
import { rawExchange, rawGet } from '../http.js'

const EXPOSED = ['Link', 'ETag', 'Location', 'Retry-After', 'X-Request-Id']

describe('CORS', () => {
  it('lets any origin read by default, errors included, and exposes the headers a client needs', async (t) => {
    const server = await startTestServer(t)
    for (const path of ['/articles', '/secrets', '/nowhere']) {
      const res = await server.fetch(path, { headers: { origin: 'https://app.example' } })
      assert.equal(res.headers.get('access-control-allow-origin'), '*', path)
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(/,\s*/)
      for (const header of EXPOSED) assert.ok(exposed.includes(header), `${path} does not expose ${header}`)
    }
  })

  it('answers a preflight for Authorization and a JSON body with the methods the path allows', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/articles/1', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type, if-match' }
    })
    assert.equal(res.status, 204)
    assert.equal(res.headers.get('allow'), 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS')
    assert.equal(res.headers.get('access-control-allow-origin'), '*')
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS')
    assert.equal(res.headers.get('access-control-allow-headers'), 'authorization, content-type, if-match')
    assert.ok(Number(res.headers.get('access-control-max-age')) > 0)
  })

  it('answers a preflight for an unknown path with 404, not a blanket 204', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/nowhere', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } })
    assert.equal(res.status, 404)
  })

  it('with --cors-origin, allows only the listed origins', async (t) => {
    const server = await startTestServer(t, { corsOrigin: ['https://good.example'] })
    const good = await server.fetch('/articles', { headers: { origin: 'https://good.example' } })
    assert.equal(good.headers.get('access-control-allow-origin'), 'https://good.example')
    assert.match(good.headers.get('vary') ?? '', /Origin/)
    const bad = await server.fetch('/articles', { headers: { origin: 'https://evil.example' } })
    assert.equal(bad.status, 200)
    assert.equal(bad.headers.get('access-control-allow-origin'), null)
    const preflight = await server.fetch('/articles', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
    assert.equal(preflight.headers.get('access-control-allow-methods'), null)
  })

  // answered before any hook (Fastify's framework errors) or without Fastify (not valid HTTP, CONNECT)
  const EARLY_ERRORS = [
    { what: 'a URL that is not validly percent-encoded', status: 400, code: 'BAD_URL', request: (origin: string) => rawGet('/users/%zz', `Origin: ${origin}\r\n`) },
    { what: 'a header section that is too large', status: 431, code: 'HEADERS_TOO_LARGE', request: (origin: string) => rawGet('/hello', `Origin: ${origin}\r\nX-Filler: ${'a'.repeat(64 * 1024)}\r\n`) },
    { what: 'an Expect other than 100-continue', status: 417, code: 'EXPECTATION_FAILED', request: (origin: string) => rawGet('/hello', `Origin: ${origin}\r\nExpect: tea\r\n`) },
    { what: 'a request that is not valid HTTP', status: 400, code: 'BAD_REQUEST', request: (origin: string) => rawGet('/hello', `Origin: ${origin}\r\nContent-Length: 1\r\nContent-Length: 2\r\n`) + 'ab' }
  ]

  it('lets a browser read the errors given before any route, as every other answer', async (t) => {
    const server = await startTestServer(t)
    for (const { what, status, code, request } of EARLY_ERRORS) {
      const { res } = await rawExchange(server, request('https://app.example'))
      assert.equal(res.headers.get('access-control-allow-origin'), '*', what)
      assert.match(res.headers.get('access-control-expose-headers') ?? '', /X-Request-Id/, what)
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what)
      await assertErrorBody(res, status, code)
    }
  })

  it('with --cors-origin, lets only the listed origins read those errors', async (t) => {
    const server = await startTestServer(t, { corsOrigin: ['https://good.example'] })
    for (const { what, status, code, request } of EARLY_ERRORS) {
      const good = (await rawExchange(server, request('https://good.example'))).res
      assert.equal(good.headers.get('access-control-allow-origin'), 'https://good.example', what)
      assert.match(good.headers.get('vary') ?? '', /Origin/, what)
      await assertErrorBody(good, status, code)
      const bad = (await rawExchange(server, request('https://evil.example'))).res
      assert.equal(bad.headers.get('access-control-allow-origin'), null, what)
      assert.match(bad.headers.get('vary') ?? '', /Origin/, what)
      await assertErrorBody(bad, status, code)
    }
  })
})
