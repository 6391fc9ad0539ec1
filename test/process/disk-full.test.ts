import { strict as assert } from 'node:assert'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import Database from 'better-sqlite3'
import { basicAuth, DEMO_ADMIN, startServer, TEST_TIMEOUT_MS } from './spawn.js'

const ADMIN = basicAuth(DEMO_ADMIN.username, DEMO_ADMIN.password)

/** A tmpfs of a few MiB: only root may mount one. */
function tinyFilesystem (t: TestContext, size: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'restful-api-full-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
  t.after(() => {
    execFileSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

const root = process.getuid?.() === 0
const skip = root ? undefined : 'mounting a tiny tmpfs needs root'
if (!root && process.env.CI === 'true') throw new Error(`CI needs the disk-full suite: ${skip}`)

describe('a full disk', { skip }, () => {
  it('answers writes 507 while reads keep working, and writes again once the disk has room, with nothing corrupted', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const dir = tinyFilesystem(t, '4m')
    const database = join(dir, 'app.db')
    // another file on the same disk, removed later as an operator would make room
    const ballast = join(dir, 'ballast')
    writeFileSync(ballast, Buffer.alloc(1024 * 1024))
    const server = await startServer(t, ['--port', '0', '--database', database, '--log-file', '-'], { cwd: dir })
    const post = (bytes: Buffer) => server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes })

    // fill the filesystem with messages until the database refuses
    const stored: string[] = []
    let refusal: Response | undefined
    for (let i = 0; i < 100 && refusal === undefined; i++) {
      const res = await post(randomBytes(256 * 1024))
      if (res.status === 201) stored.push(res.headers.get('location')!)
      else refusal = res
      await res.arrayBuffer().catch(() => {})
    }
    assert.ok(refusal !== undefined, 'the tiny filesystem never filled')
    assert.equal(refusal.status, 507)
    assert.ok(stored.length > 0)

    // as large as the one refused: a small write may still fit in pages the failed one freed
    const refused = await post(randomBytes(256 * 1024))
    assert.equal(refused.status, 507)
    assert.deepEqual({ ...(await refused.json() as object), requestId: undefined }, {
      status: 507, code: 'INSUFFICIENT_STORAGE', message: 'Insufficient Storage: the database is out of space; nothing was stored', requestId: undefined
    })
    // reads still work, and no half-written message is there
    assert.equal((await server.fetch('/hello')).status, 200)
    const listed = await server.fetch('/messages?limit=100', { headers: { authorization: ADMIN, accept: 'application/json' } })
    assert.deepEqual((await listed.json() as Array<{ id: number }>).map((m) => `/messages/${m.id}`).sort(), [...stored].sort())
    assert.equal((await server.fetch(stored[0]!, { headers: { authorization: ADMIN } })).status, 200)

    // room again: on a full disk even a DELETE needs room in SQLite's write-ahead log,
    // so room comes from outside; then writes and deletes work again
    rmSync(ballast)
    const again = await post(Buffer.from('after the disk had room again'))
    assert.equal(again.status, 201)
    for (const location of stored.slice(0, Math.ceil(stored.length / 2))) {
      const res = await server.fetch(location, { method: 'DELETE', headers: { authorization: ADMIN } })
      assert.equal(res.status, 204, `DELETE ${location}`)
    }
    assert.equal((await server.stop()).code, 0)

    const db = new Database(database, { readonly: true })
    try {
      assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok')
    } finally {
      db.close()
    }
  })
})
