import { strict as assert } from 'node:assert'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { startServer, tempDir, TEST_TIMEOUT_MS, type ServerProcess } from '../process/spawn.js'
import { ADMIN_AUTH, Ledger, someWrite } from './ledger.js'

/*
 * SIGTERM while 20 clients write and read as fast as they can: every request
 * the server took is answered (the writes with 201 and stored, the late ones
 * with 503 + Connection: close), the process exits 0, and after a restart the
 * data is exactly what the clients were told was stored.
 */

const CLIENTS = 20
const KEY_PREFIX = 'shutdown'

/** What a transport failure was: undici hides the socket's error code in `cause`. */
const codeOf = (err: unknown): string => ((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message)

async function load (server: ServerProcess, ledger: Ledger, signalAfter: number) {
  const statuses = new Map<number, number>()
  const failures = new Map<string, number>()
  const problems: string[] = []
  let n = 0
  let answered = 0
  const exited = server.waitForExit()
  const client = async () => {
    for (;;) {
      // two writes of every kind (someWrite cycles through them) for each read
      const i = n++
      const write = i % 3 === 2 ? undefined : someWrite(i - Math.floor(i / 3), 64 * 1024, KEY_PREFIX)
      let res: Response
      try {
        res = write === undefined
          ? await server.fetch('/articles?limit=20', { headers: { accept: 'application/json' } })
          : await server.fetch(write.path, { method: write.method, headers: { authorization: ADMIN_AUTH, 'content-type': write.contentType, accept: 'application/json' }, body: write.body })
      } catch (err) {
        // refused: the port is closed, the server is gone; nothing more to send
        failures.set(codeOf(err), (failures.get(codeOf(err)) ?? 0) + 1)
        return
      }
      const body = await res.text()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      if (res.status === 503) {
        if (res.headers.get('connection') !== 'close' || res.headers.get('retry-after') === null || !body.includes('"code":"SERVICE_UNAVAILABLE"')) {
          problems.push(`a 503 without Connection: close, Retry-After or the JSON error: ${JSON.stringify([...res.headers])} ${body}`)
        }
      } else if (res.status >= 300) {
        problems.push(`${res.status} ${body}`)
      }
      if (write !== undefined) ledger.record(write, res.status, body)
      if (++answered === signalAfter) server.child.kill('SIGTERM')
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client))
  return { exit: await exited, statuses, failures, problems }
}

describe('SIGTERM under load', () => {
  it(`drains ${CLIENTS} busy clients: answers every request it took, 503 + Connection: close after, exit 0, nothing lost`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cwd = tempDir(t)
    const args = ['--port', '0', '--database', join(cwd, 'app.db'), '--log-file', join(cwd, 'app.log')]
    const server = await startServer(t, args, { cwd })
    const ledger = new Ledger()
    const { exit, statuses, failures, problems } = await load(server, ledger, 300)
    t.diagnostic(`answers ${JSON.stringify(Object.fromEntries(statuses))}, then ${JSON.stringify(Object.fromEntries(failures))}; exit ${exit.code}`)
    assert.deepEqual(problems, [])
    assert.equal(exit.code, 0)
    assert.ok((statuses.get(503) ?? 0) > 0, 'no request arrived while the server drained')
    // A request is answered or never reached the server. Refused: the port was closed. Reset: the
    // kernel completed the connection just before the port closed, and dropped it unread with the
    // port (the exact data check below shows no write was done unanswered). Nothing else.
    assert.deepEqual([...failures.keys()].filter((code) => code !== 'ECONNREFUSED' && code !== 'ECONNRESET'), [], 'a request was cut off instead of answered')

    const restarted = await startServer(t, args, { cwd })
    const stored = await ledger.verify(restarted.fetch, { exact: true, keyPrefix: KEY_PREFIX })
    t.diagnostic(`after the restart: ${stored.messages} messages, ${stored.files} files, ${stored.articles} articles, as the clients were told`)
    assert.equal((await restarted.stop()).code, 0)
  })
})
