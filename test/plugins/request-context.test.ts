import { strict as assert } from 'node:assert'
import { once } from 'node:events'
import { connect } from 'node:net'
import { describe, it } from 'node:test'
import { loggableUrl } from '../../src/plugins/request-context.js'
import { adminAuth, assertErrorBody, startTestServer, type TestServer } from '../helper.js'
import { rawExchange, requestIdOf } from '../http.js'

/** Sends `head` and nothing more, then collects what the server says until it closes (or 10 s pass). */
function stall (server: TestServer, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1')
    let answer = ''
    socket.setTimeout(10_000, () => socket.destroy(new Error('the server kept the slow request open past 10 s')))
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString('latin1') })
    socket.on('error', reject)
    socket.on('close', () => resolve(answer))
    socket.write(head)
  })
}

function assertTimeoutAnswer (answer: string): void {
  assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/)
  assert.match(answer, /\r\ncontent-type: application\/json; charset=utf-8\r\n/i)
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>
  assert.equal(body.status, 408)
  assert.equal(body.code, 'REQUEST_TIMEOUT')
}

describe('slow clients', () => {
  it('answers headers that never finish with a 408 JSON error and closes', async (t) => {
    const server = await startTestServer(t, { requestTimeoutSeconds: 1 })
    assertTimeoutAnswer(await stall(server, 'GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '))
  })

  it('answers a body that never finishes with a 408 JSON error, and stores nothing', async (t) => {
    const server = await startTestServer(t, { requestTimeoutSeconds: 1 })
    assertTimeoutAnswer(await stall(server, 'POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nabc'))
    const list = await server.fetch('/messages', { headers: { authorization: 'Basic ' + Buffer.from('admin:secret').toString('base64'), accept: 'application/json' } })
    assert.deepEqual(await list.json(), [])
  })

  it('closes an idle keep-alive connection after the keep-alive timeout', async (t) => {
    const server = await startTestServer(t, { keepAliveTimeoutSeconds: 1 })
    const answer = await stall(server, 'GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/)
    assert.match(answer, /\r\n\r\nHello John Doe$/)
  })

  it('keeps serving others while slow clients wait', async (t) => {
    const server = await startTestServer(t, { requestTimeoutSeconds: 2 })
    const slow = Array.from({ length: 50 }, () => stall(server, 'GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n'))
    const res = await server.fetch('/hello')
    assert.equal(await res.text(), 'Hello John Doe')
    for (const answer of await Promise.all(slow)) assertTimeoutAnswer(answer)
  })
})

describe('closing the app', () => {
  // Node stops timing requests once its server closes: nothing else would end these
  it('closes a connection that never sent a request, and one that stopped mid-header', { timeout: 10_000 }, async (t) => {
    const server = await startTestServer(t, { requestTimeoutSeconds: 3600, keepAliveTimeoutSeconds: 3600 })
    const port = Number(new URL(server.url).port)
    const sockets = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')]
    t.after(() => { for (const socket of sockets) socket.destroy() })
    await Promise.all(sockets.map((socket) => once(socket, 'connect')))
    sockets[1]!.write('GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')
    // bounded, so that a regression fails here rather than hangs in app.close()
    for (const socket of sockets) socket.setTimeout(5000, () => socket.destroy(new Error('still open 5 s after the app began to close')))
    const closed = Promise.all(sockets.map((socket) => once(socket, 'close')))
    // the server has seen both before it closes
    await server.fetch('/hello')

    await server.app.close()
    await closed
  })
})

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
})

describe('the request log', () => {
  it('leaves out credentials a URL may carry', () => {
    assert.equal(loggableUrl('http://admin:secret@example.test/secrets'), 'http://example.test/secrets')
    assert.equal(loggableUrl('/secrets?password=hunter2&name=x&access_token=t&apiKey=k'), '/secrets?password=[redacted]&name=x&access_token=[redacted]&apiKey=[redacted]')
    assert.equal(loggableUrl('/hello?name=Luis'), '/hello?name=Luis')
  })
})

describe('X-Request-Id', () => {
  for (const sane of ['req-42', '2f1c6a3e-8f0b-4b7e-9d55-0c1e8a7b6d21', 'trace.abc:123@edge_1']) {
    it(`echoes a sane id (${sane}), in the header and in error bodies`, async (t) => {
      const server = await startTestServer(t)
      const ok = await server.fetch('/hello', { headers: { 'x-request-id': sane } })
      assert.equal(ok.status, 200)
      assert.equal(ok.headers.get('x-request-id'), sane)
      const missing = await server.fetch('/users/4', { headers: { 'x-request-id': sane } })
      assert.equal(missing.headers.get('x-request-id'), sane)
      assert.equal((await missing.json() as Record<string, unknown>).requestId, sane)
    })
  }

  for (const [label, insane] of [['300 characters', 'x'.repeat(300)], ['spaces', 'has a space'], ['angle brackets', '<script>']]) {
    it(`replaces an id with ${label}`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch('/users/4', { headers: { 'x-request-id': insane! } })
      const id = requestIdOf(res)
      assert.notEqual(id, insane)
      assert.match(id, /^[\w.:@-]{1,128}$/)
      assert.equal((await res.json() as Record<string, unknown>).requestId, id)
    })
  }

  it('gives each request without one its own id', async (t) => {
    const server = await startTestServer(t)
    const a = requestIdOf(await server.fetch('/hello'))
    const b = requestIdOf(await server.fetch('/hello'))
    assert.notEqual(a, b)
  })
})
