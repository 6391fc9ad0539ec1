import { strict as assert } from 'node:assert'
import { readdirSync, readFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import autocannon, { type Request } from 'autocannon'
import { getFrom, startServer, tempDir } from '../process/spawn.js'
import { ADMIN_AUTH, Ledger, someWrite, type Write } from './ledger.js'

/*
 * Mixed load at a steady rate for SOAK_SECONDS (60 by default) against the
 * service as users run it (the build, a SQLite file, logging to its file at info): reads,
 * conditional reads, bearer-authenticated reads, writes of every kind and
 * uploads, with failed logins from another address alongside. No 5xx, no
 * connection error, resident memory and open descriptors flat, and afterwards
 * the data is exactly what the clients were told was stored.
 */

const SECONDS = Number.parseInt(process.env.SOAK_SECONDS ?? '', 10) || 60
const RATE = 200
const CONNECTIONS = 20
/** the first sample that counts: start-up and warm-up allocations come before it */
const MARK_SECONDS = 10
const KEY_PREFIX = 'soak'

interface Sample { at: number, rssKiB: number, fds: number }

function sampleOf (pid: number, at: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
  return { at, rssKiB, fds: readdirSync(`/proc/${pid}/fd`).length }
}

/** GET /secrets with a wrong password from 127.0.0.2, every 100 ms: 401 and then 429, never anything else. */
function failedLogins (port: number): { stop: () => Promise<Map<number, number>> } {
  const statuses = new Map<number, number>()
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const running = { value: true }
  const loop = (async () => {
    while (running.value) {
      const answer = await getFrom(port, '/secrets', { localAddress: '127.0.0.2', agent, headers: { authorization: 'Basic ' + Buffer.from('admin:wrong').toString('base64') } })
        .then((a) => a.status, () => -1)
      statuses.set(answer, (statuses.get(answer) ?? 0) + 1)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  return {
    async stop () {
      running.value = false
      await loop
      agent.destroy()
      return statuses
    }
  }
}

describe('soak', () => {
  it(`serves ${SECONDS} s of mixed load with no 5xx, no connection error, flat memory and descriptors, and nothing lost`, { timeout: (SECONDS + 240) * 1000 }, async (t) => {
    const cwd = tempDir(t)
    const server = await startServer(t, ['--port', '0', '--database', join(cwd, 'app.db'), '--log-file', join(cwd, 'app.log')], { cwd, built: true })
    const pid = server.child.pid!
    const issued = await server.fetch('/tokens', { method: 'POST', headers: { authorization: ADMIN_AUTH } })
    assert.equal(issued.status, 201)
    const bearer = 'Bearer ' + (await issued.json() as { token: string }).token
    const etag = (await server.fetch('/articles/1')).headers.get('etag') ?? ''

    const ledger = new Ledger()
    let n = 0
    const reads: Array<Pick<Request, 'method' | 'path' | 'headers'>> = [
      { method: 'GET', path: '/hello' },
      { method: 'GET', path: '/users/2', headers: { accept: 'application/json' } },
      { method: 'GET', path: '/articles?limit=20', headers: { accept: 'application/json' } },
      { method: 'GET', path: '/articles/1', headers: { 'if-none-match': etag } },
      { method: 'GET', path: '/secrets', headers: { authorization: bearer } },
      { method: 'GET', path: '/messages?limit=5', headers: { authorization: ADMIN_AUTH, accept: 'application/json' } }
    ]
    // one step of the mix: half reads, half writes of every kind (someWrite cycles through them)
    const step: Request = {
      setupRequest (req, context: { write?: Write }) {
        const i = n++
        if (i % 2 === 0) {
          context.write = undefined
          return { ...req, ...reads[(i / 2) % reads.length], body: undefined }
        }
        const write = someWrite((i - 1) / 2, 16 * 1024, KEY_PREFIX)
        context.write = write
        return { ...req, method: write.method, path: write.path, body: write.body, headers: { authorization: bearer, 'content-type': write.contentType, accept: 'application/json' } }
      },
      onResponse (status, body, context: { write?: Write }) {
        if (context.write !== undefined) ledger.record(context.write, status, body)
      }
    }

    const samples: Sample[] = []
    const started = Date.now()
    const sampler = setInterval(() => samples.push(sampleOf(pid, (Date.now() - started) / 1000)), 1000)
    const logins = failedLogins(server.port)
    let result: autocannon.Result
    try {
      result = await autocannon({ url: server.url, connections: CONNECTIONS, overallRate: RATE, amount: RATE * SECONDS, requests: [step], timeout: 10 })
    } finally {
      clearInterval(sampler)
    }
    const loginStatuses = await logins.stop()

    const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count ?? 0]))
    const mark = samples.find((s) => s.at >= MARK_SECONDS)
    const end = samples.at(-1)
    const answered = Object.values(statuses).reduce((sum, count) => sum + count, 0)
    t.diagnostic(`${answered} requests in ${result.duration} s, statuses ${JSON.stringify(statuses)}, errors ${result.errors}, timeouts ${result.timeouts}`)
    t.diagnostic(`failed logins from another address: ${JSON.stringify(Object.fromEntries(loginStatuses))}`)
    t.diagnostic(`RSS every 10 s, KiB: ${samples.filter((_, i) => i % 10 === 9).map((s) => s.rssKiB).join(' ')}`)
    t.diagnostic(`RSS ${mark?.rssKiB} KiB at ${mark?.at.toFixed(0)} s, ${end?.rssKiB} KiB at ${end?.at.toFixed(0)} s; descriptors ${mark?.fds} then ${end?.fds}`)

    assert.equal(result.errors, 0, 'connection errors')
    assert.equal(result.timeouts, 0, 'timeouts')
    assert.deepEqual(Object.keys(statuses).filter((code) => !['200', '201', '304'].includes(code)), [], `unexpected statuses ${JSON.stringify(statuses)}`)
    assert.equal(answered, RATE * SECONDS, 'not every request was answered')
    assert.deepEqual([...loginStatuses.keys()].filter((status) => status !== 401 && status !== 429), [], 'a failed login got something else than 401 or 429')
    assert.ok((loginStatuses.get(429) ?? 0) > 0, 'the failed logins were never slowed down')

    assert.ok(mark !== undefined && end !== undefined && end.at - mark.at >= (SECONDS - MARK_SECONDS) / 2, 'the run was too short to compare')
    // flat: the end within 10% of the mark (growth is what a leak looks like)
    assert.ok(end.rssKiB <= mark.rssKiB * 1.1, `resident memory grew from ${mark.rssKiB} to ${end.rssKiB} KiB`)
    assert.ok(end.fds <= Math.ceil(mark.fds * 1.1), `open descriptors grew from ${mark.fds} to ${end.fds}`)

    const stored = await ledger.verify(server.fetch, { exact: true, keyPrefix: KEY_PREFIX })
    t.diagnostic(`afterwards: ${stored.messages} messages, ${stored.files} files and ${stored.articles} articles, as the clients were told`)
    assert.ok(ledger.size > 0)
    assert.equal((await server.stop()).code, 0)
  })
})
