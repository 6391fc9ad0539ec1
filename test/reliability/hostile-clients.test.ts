import { strict as assert } from 'node:assert'
import { readdirSync } from 'node:fs'
import { Agent } from 'node:http'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { getFrom, startServer, tempDir, TEST_TIMEOUT_MS } from '../process/spawn.js'

/*
 * Slow and hostile clients against the service as users run it (its own
 * process): 200 connections trickling headers or bodies a byte a second, 200
 * idle keep-alive sockets, and a flood from one address under a request quota.
 */

const SLOW_CONNECTIONS = 200
const REQUEST_TIMEOUT_S = 5

interface Trickle {
  /** ms from the first byte to the server's answer, and what it answered */
  readonly done: Promise<{ ms: number, answer: string }>
}

/** Sends `head` at once and then `rest` one byte a second, and waits for what the server says and the close. */
function trickle (port: number, head: string, rest: string): Trickle {
  const socket = connect(port, '127.0.0.1')
  const started = Date.now()
  let answer = ''
  let at = 0
  const timer = setInterval(() => { if (at < rest.length) socket.write(rest[at++]!) }, 1000)
  socket.write(head)
  socket.on('data', (chunk: Buffer) => { answer += chunk.toString('latin1') })
  const done = new Promise<{ ms: number, answer: string }>((resolve) => {
    socket.on('error', () => {})
    socket.on('close', () => {
      clearInterval(timer)
      resolve({ ms: Date.now() - started, answer })
    })
  })
  return { done }
}

const openDescriptors = (pid: number) => readdirSync(`/proc/${pid}/fd`).length

describe('slow and hostile clients', { concurrency: true }, () => {
  it(`serves a normal client within 1 s while ${SLOW_CONNECTIONS} connections trickle a byte a second, and answers each 408 in time`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const server = await startServer(t, ['--port', '0', '--database', join(cwd, 'app.db'), '--log-file', join(cwd, 'app.log'), '--request-timeout', String(REQUEST_TIMEOUT_S)], { cwd })
    // half trickle their headers, half their body (its head sent at once)
    const trickles = Array.from({ length: SLOW_CONNECTIONS }, (_, i) => i % 2 === 0
      ? trickle(server.port, 'G', 'ET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ' + 'x'.repeat(100))
      : trickle(server.port, 'POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n', 'y'.repeat(1000)))
    // a normal client, every 250 ms while the slow ones hold their sockets
    const normal: number[] = []
    const until = Date.now() + (REQUEST_TIMEOUT_S - 1) * 1000
    while (Date.now() < until) {
      const { status, ms } = await getFrom(server.port, '/hello')
      assert.equal(status, 200)
      normal.push(ms)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    const slow = await Promise.all(trickles.map((s) => s.done))
    const slowest = Math.max(...slow.map((s) => s.ms))
    t.diagnostic(`normal client: ${normal.length} requests, slowest ${Math.max(...normal)} ms; slow clients answered after ${Math.min(...slow.map((s) => s.ms))}–${slowest} ms (timeout ${REQUEST_TIMEOUT_S} s)`)
    assert.ok(Math.max(...normal) < 1000, `a normal request took ${Math.max(...normal)} ms`)
    for (const { answer } of slow) {
      assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/)
      assert.match(answer, /\r\ncontent-type: application\/json; charset=utf-8\r\n/i)
      assert.equal((JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { code: string }).code, 'REQUEST_TIMEOUT')
    }
    const fastest = Math.min(...slow.map((s) => s.ms))
    assert.ok(slowest <= REQUEST_TIMEOUT_S * 1000, `a slow request was answered only after ${slowest} ms`)
    assert.ok(fastest >= (REQUEST_TIMEOUT_S - 1) * 1000, `a slow request was cut off after ${fastest} ms, well before the timeout`)
    const messages = await server.fetch('/messages', { headers: { authorization: 'Basic ' + Buffer.from('admin:secret').toString('base64'), accept: 'application/json' } })
    assert.deepEqual(await messages.json(), [], 'a trickled body was stored')
  })

  it(`reaps ${SLOW_CONNECTIONS} idle keep-alive sockets after the keep-alive timeout`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const keepAlive = 2
    const server = await startServer(t, ['--port', '0', '--database', join(cwd, 'app.db'), '--log-file', '-', '--keep-alive-timeout', String(keepAlive)], { cwd })
    const pid = server.child.pid!
    await server.fetch('/hello').then((res) => res.text())
    const before = openDescriptors(pid)
    const sockets: Socket[] = []
    const closed = await Promise.all(Array.from({ length: SLOW_CONNECTIONS }, () => new Promise<number>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1')
      sockets.push(socket)
      let answered = 0
      socket.on('data', () => { answered = answered || Date.now() })
      socket.on('error', reject)
      socket.on('close', () => resolve(answered === 0 ? -1 : Date.now() - answered))
      socket.write('GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    })))
    t.after(() => { for (const socket of sockets) socket.destroy() })
    assert.ok(closed.every((ms) => ms >= 0), 'a keep-alive request went unanswered')
    t.diagnostic(`idle sockets closed by the server ${Math.min(...closed)}–${Math.max(...closed)} ms after their answer`)
    assert.ok(Math.max(...closed) <= (keepAlive + 2) * 1000, `an idle socket stayed open ${Math.max(...closed)} ms`)
    const after = openDescriptors(pid)
    assert.ok(after <= before + 2, `the server holds ${after} descriptors, ${before} before the connections`)
  })

  it('answers a flood from one address with 429 under --rate-limit while another address is served', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const quota = 50
    const server = await startServer(t, ['--port', '0', '--database', join(cwd, 'app.db'), '--log-file', '-', '--rate-limit', String(quota), '--rate-limit-window', '60'], { cwd })
    const flooder = new Agent({ keepAlive: true, maxSockets: 10 })
    t.after(() => flooder.destroy())
    const flood = await Promise.all(Array.from({ length: 300 }, () => getFrom(server.port, '/hello', { agent: flooder })))
    const statuses = flood.reduce<Record<number, number>>((counts, { status }) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {})
    const other = await Promise.all(Array.from({ length: 20 }, () => getFrom(server.port, '/hello', { localAddress: '127.0.0.2' })))
    t.diagnostic(`flood from 127.0.0.1: ${JSON.stringify(statuses)}; 127.0.0.2: ${other.map((r) => r.status).join(',')}`)
    assert.equal(statuses[200], quota)
    assert.equal(statuses[429], 300 - quota)
    const limited = flood.find((r) => r.status === 429)!
    assert.ok(Number(limited.headers['retry-after']) > 0, 'a 429 without Retry-After')
    assert.ok(other.every((r) => r.status === 200), 'the other address was throttled too')
  })
})
