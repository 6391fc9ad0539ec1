import { strict as assert } from 'node:assert'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { basicAuth, DEMO_ADMIN, startServer, tempDir, TEST_TIMEOUT_MS, type ServerProcess } from './spawn.js'

const ADMIN_AUTH = basicAuth(DEMO_ADMIN.username, DEMO_ADMIN.password)

interface Sent {
  readonly contentType: string
  readonly bytes: Buffer
}

interface Stored extends Sent {
  /** The Location of the 201 */
  readonly location: string
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/** A varied body: UTF-8 text, JSON, or random bytes of up to 256 KiB. */
function someMessage (n: number): Sent {
  switch (n % 3) {
    case 0:
      return { contentType: 'text/plain; charset=utf-8', bytes: Buffer.from(`message ${n} ✓ ${randomUUID()}`) }
    case 1:
      return { contentType: 'application/json', bytes: Buffer.from(JSON.stringify({ n, id: randomUUID(), text: 'é'.repeat(n) })) }
    default:
      return { contentType: 'application/octet-stream', bytes: randomBytes(1 + ((n * 7919) % (256 * 1024))) }
  }
}

async function post (server: ServerProcess, message: Sent): Promise<Response> {
  return await server.fetch('/messages', {
    method: 'POST', headers: { 'content-type': message.contentType }, body: message.bytes
  })
}

/** Reads every stored message back, as the admin, and compares bytes, type and metadata. */
async function assertAllPresent (server: ServerProcess, stored: readonly Stored[]): Promise<void> {
  for (const message of stored) {
    const content = await server.fetch(`${message.location}/content`, { headers: { authorization: ADMIN_AUTH } })
    assert.equal(content.status, 200, `${message.location} is gone after the restart`)
    assert.equal(content.headers.get('content-type'), message.contentType, `${message.location} lost its type`)
    assert.ok(Buffer.from(await content.arrayBuffer()).equals(message.bytes), `${message.location} came back with other bytes`)

    const metadata = await server.fetch(message.location, { headers: { authorization: ADMIN_AUTH, accept: 'application/json' } })
    assert.equal(metadata.status, 200)
    const body = await metadata.json() as { size: number, sha256: string }
    assert.equal(body.size, message.bytes.length)
    assert.equal(body.sha256, sha256(message.bytes))
  }
}

describe('kill -9 and restart', { concurrency: true }, () => {
  it('keeps messages, a user and a token answered 201 just before the process was killed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const args = ['--port', '0', '--database', join(cwd, 'app.db'), '--log-file', '-']
    const first = await startServer(t, args, { cwd })

    const password = 'durable-password-789'
    const created = await first.fetch('/users', {
      method: 'POST',
      headers: { authorization: ADMIN_AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dora', password })
    })
    assert.equal(created.status, 201)
    await created.arrayBuffer()
    const issued = await first.fetch('/tokens', { method: 'POST', headers: { authorization: basicAuth('dora', password), accept: 'application/json' } })
    assert.equal(issued.status, 201)
    const { token } = await issued.json() as { token: string }

    const stored: Stored[] = []
    for (const message of [someMessage(0), someMessage(1), someMessage(2)]) {
      const res = await post(first, message)
      assert.equal(res.status, 201)
      await res.arrayBuffer()
      const location = res.headers.get('location')
      assert.ok(location !== null, 'a 201 without Location')
      stored.push({ ...message, location })
    }
    const exit = await first.stop('SIGKILL')
    assert.equal(exit.signal, 'SIGKILL')

    const second = await startServer(t, args, { cwd })
    await assertAllPresent(second, stored)
    const withBasic = await second.fetch('/secrets', { headers: { authorization: basicAuth('dora', password) } })
    assert.equal(withBasic.status, 200, 'the user created before the kill is gone')
    const withToken = await second.fetch('/secrets', { headers: { authorization: `Bearer ${token}` } })
    assert.equal(withToken.status, 200, 'the token issued before the kill is gone')
    await second.stop()
  })

  it('keeps every message answered 201 when killed in the middle of a stream of writes', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const args = ['--port', '0', '--database', join(cwd, 'app.db'), '--log-file', '-']
    const first = await startServer(t, args, { cwd })

    const KILL_AFTER = 40
    const WRITERS = 8
    const stored: Stored[] = []
    const unexpected: string[] = []
    let next = 0
    // Each writer posts until its request fails, which happens once the process is gone.
    const writer = async () => {
      for (;;) {
        const message = someMessage(next++)
        let res: Response
        try {
          res = await post(first, message)
        } catch {
          return
        }
        if (res.status !== 201) {
          unexpected.push(`${res.status} ${await res.text()}`)
          return
        }
        await res.arrayBuffer()
        stored.push({ ...message, location: res.headers.get('location') ?? '(no Location)' })
        // with other writers' requests still in flight
        if (stored.length === KILL_AFTER) first.child.kill('SIGKILL')
      }
    }
    const exited = first.waitForExit()
    await Promise.all(Array.from({ length: WRITERS }, writer))
    assert.equal((await exited).signal, 'SIGKILL')
    assert.deepEqual(unexpected, [])
    assert.ok(stored.length >= KILL_AFTER)
    assert.equal(new Set(stored.map((m) => m.location)).size, stored.length, 'two 201s named the same message')

    const second = await startServer(t, args, { cwd })
    await assertAllPresent(second, stored)
    await second.stop()
  })
})
