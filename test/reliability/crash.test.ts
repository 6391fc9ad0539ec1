import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import Database from 'better-sqlite3'
import { startServer, tempDir, type ServerProcess } from '../process/spawn.js'
import { ADMIN_AUTH, Ledger, someWrite } from './ledger.js'

/*
 * kill -9 at a random moment of a stream of mixed writes (text, JSON, binary
 * and multipart messages, files, articles), ten times over the same database,
 * restarting each time: every write answered 2xx is there and intact, SQLite's
 * integrity check passes, and nothing is half-written. CRASH_SEED replays a run.
 */

const ROUNDS = 10
const WRITERS = 8
const SEED = Number.parseInt(process.env.CRASH_SEED ?? '', 10) || Date.now() % 1_000_000
const KEY_PREFIX = 'crash'

/** mulberry32: a small seeded generator, so a failing run's kill moments can be replayed */
function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

function integrityOf (path: string): string {
  const db = new Database(path)
  try {
    return (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((row) => row.integrity_check).join('; ')
  } finally {
    db.close()
  }
}

/** Writes from WRITERS clients until the process dies under them; kills it after `killAfterMs`. */
async function writeUntilKilled (server: ServerProcess, ledger: Ledger, firstN: number, killAfterMs: number): Promise<{ answered: number, next: number }> {
  let next = firstN
  let answered = 0
  const unexpected: string[] = []
  const writer = async () => {
    for (;;) {
      const write = someWrite(next++, 256 * 1024, KEY_PREFIX)
      let status: number
      let body: string
      try {
        const res = await server.fetch(write.path, {
          method: write.method,
          headers: { authorization: ADMIN_AUTH, 'content-type': write.contentType, accept: 'application/json' },
          body: write.body
        })
        status = res.status
        body = await res.text()
      } catch {
        return // the process is gone: this write's fate is unknown, so it is not in the ledger
      }
      if (status < 200 || status > 299) unexpected.push(`${write.method} ${write.path}: ${status} ${body}`)
      ledger.record(write, status, body)
      answered++
    }
  }
  const exited = server.waitForExit()
  const timer = setTimeout(() => server.child.kill('SIGKILL'), killAfterMs)
  await Promise.all(Array.from({ length: WRITERS }, writer))
  clearTimeout(timer)
  assert.equal((await exited).signal, 'SIGKILL')
  assert.deepEqual(unexpected, [], 'a write was refused before the crash')
  return { answered, next }
}

describe('crash', () => {
  it(`keeps every write answered 2xx through ${ROUNDS} kill -9 at random moments (seed ${SEED})`, { timeout: 10 * 60_000 }, async (t) => {
    const cwd = tempDir(t)
    const database = join(cwd, 'app.db')
    const args = ['--port', '0', '--database', database, '--log-file', join(cwd, 'app.log')]
    const next = random(SEED)
    const ledger = new Ledger()
    let n = 0
    for (let round = 1; round <= ROUNDS; round++) {
      const server = await startServer(t, args, { cwd })
      // every round first checks what the rounds before it left behind
      if (round > 1) await ledger.verify(server.fetch, { exact: false, keyPrefix: KEY_PREFIX })
      const killAfterMs = 100 + Math.floor(next() * 1400)
      const { answered, next: nextN } = await writeUntilKilled(server, ledger, n, killAfterMs)
      n = nextN
      const integrity = integrityOf(database)
      t.diagnostic(`round ${round}: killed after ${killAfterMs} ms, ${answered} writes answered, ${ledger.size} in the ledger, integrity ${integrity}`)
      assert.equal(integrity, 'ok', `round ${round} (seed ${SEED})`)
    }
    const last = await startServer(t, args, { cwd })
    const stored = await ledger.verify(last.fetch, { exact: false, keyPrefix: KEY_PREFIX })
    t.diagnostic(`after ${ROUNDS} crashes: ${stored.messages} messages, ${stored.files} files, ${stored.articles} articles checked`)
    assert.ok(ledger.size >= ROUNDS, 'too few writes were answered to prove anything')
    assert.equal((await last.stop()).code, 0)
    assert.equal(integrityOf(database), 'ok')
  })
})
