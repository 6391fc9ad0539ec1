import { strict as assert } from 'node:assert'
import { once } from 'node:events'
import { Agent, request, type IncomingMessage } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { answerOf, basicAuth, DEMO_ADMIN, eventually, startServer, tempDir, TEST_TIMEOUT_MS, type Answer } from './spawn.js'

/**
 * True once the server no longer takes new work: a fresh connection is refused,
 * or answered 503 while it drains.
 */
function stoppedAccepting (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 5000 }, (res) => {
      res.resume()
      resolve(res.statusCode === 503)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'))
    req.end()
  })
}

describe('SIGTERM', { concurrency: true }, () => {
  it('finishes a request in flight with 201, exits 0, and the message is stored', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const args = ['--port', '0', '--database', join(cwd, 'app.db'), '--log-file', '-']
    const server = await startServer(t, args, { cwd })

    const head = Buffer.from('the first half of a slow body, ')
    const tail = Buffer.from('and its second half ✓')
    const body = Buffer.concat([head, tail])
    const req = request({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: '/messages',
      agent: false,
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': body.length,
        // the 100 Continue tells us the server has parsed the headers and routed the request
        expect: '100-continue'
      }
    })
    t.after(() => { req.destroy() })
    const answered = new Promise<Answer>((resolve, reject) => {
      req.on('response', (res) => { answerOf(res).then(resolve, reject) })
      req.on('error', reject)
    })
    req.flushHeaders()
    await once(req, 'continue')
    req.write(head)

    const exited = server.waitForExit()
    server.child.kill('SIGTERM')
    await eventually('the server to stop accepting new connections after SIGTERM',
      async () => (await stoppedAccepting(server.port)) ? true : undefined)
    req.end(tail)

    const answer = await answered
    assert.equal(answer.status, 201, answer.body)
    assert.equal(answer.body, `Text Message: ${body.toString('utf8')}`)
    const location = answer.headers.location
    assert.ok(typeof location === 'string', 'a 201 without Location')
    assert.deepEqual(await exited, { code: 0, signal: null }, server.stderr())

    const again = await startServer(t, args, { cwd })
    const content = await again.fetch(`${location}/content`, { headers: { authorization: basicAuth(DEMO_ADMIN.username, DEMO_ADMIN.password) } })
    assert.equal(content.status, 200)
    assert.ok(Buffer.from(await content.arrayBuffer()).equals(body), 'the stored bytes differ from the body sent')
    assert.deepEqual(await again.stop(), { code: 0, signal: null })
  })

  it('exits 0 when idle', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const server = await startServer(t, ['--port', '0', '--database', join(cwd, 'app.db'), '--log-file', '-'], { cwd })
    assert.equal((await server.fetch('/hello')).status, 200)
    assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null }, server.stderr())
  })

  it('exits 0 without waiting out an idle keep-alive connection', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    // a keep-alive timeout far past the shutdown grace: only closing idle sockets lets it exit 0
    const server = await startServer(t, ['--port', '0', '--database', join(cwd, 'app.db'), '--log-file', '-',
      '--keep-alive-timeout', '3600'], { cwd })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    t.after(() => agent.destroy())
    const req = request({ host: '127.0.0.1', port: server.port, path: '/hello', agent })
    req.end()
    const [res] = await once(req, 'response') as [IncomingMessage]
    const answer = await answerOf(res)
    assert.equal(answer.status, 200)
    assert.equal(answer.headers.connection, 'keep-alive')

    assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null }, server.stderr())
  })

  it('exits 0 without waiting for a connection that never sent a request', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const server = await startServer(t, ['--port', '0', '--database', join(cwd, 'app.db'), '--log-file', '-',
      '--keep-alive-timeout', '3600', '--request-timeout', '3600'], { cwd })
    // what a browser keeps ready for its next request
    const spare = connect(server.port, '127.0.0.1')
    t.after(() => spare.destroy())
    await once(spare, 'connect')
    const closed = once(spare, 'close')

    assert.deepEqual(await server.stop('SIGTERM'), { code: 0, signal: null }, server.stderr())
    await closed
  })
})
