import { strict as assert } from 'node:assert'
import { execFile, execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { promisify } from 'node:util'
import { assertErrorBody } from '../helper.js'
import { freshRedisUrl, freshSchema, needs, requestOnNewConnection, sampleValue, until } from './services.js'
import { answerOf, basicAuth, BUILT_CLI, DEMO_ADMIN, startServer, tempDir, TEST_TIMEOUT_MS, type Answer, type ServerProcess } from './spawn.js'

const ADMIN_AUTH = basicAuth(DEMO_ADMIN.username, DEMO_ADMIN.password)
const WRONG_AUTH = basicAuth(DEMO_ADMIN.username, 'not-the-password')
const QUIET = ['--log-file', '-']

interface Hosts {
  readonly a: ServerProcess
  readonly b: ServerProcess
}

/**
 * Two processes, as on two hosts: each its own port, one PostgreSQL schema and,
 * unless `redis` is false, one Redis database. They start together, as hosts
 * behind a load balancer would.
 */
async function startHosts (t: TestContext, extra: readonly string[] = [], redis = true): Promise<Hosts> {
  const { url } = await freshSchema(t)
  const shared = ['--port', '0', '--database', url, ...QUIET, ...(redis ? ['--redis-url', await freshRedisUrl(t)] : []), ...extra]
  const [a, b] = await Promise.all([
    startServer(t, shared, { cwd: tempDir(t), built: true }),
    startServer(t, shared, { cwd: tempDir(t), built: true })
  ])
  assert.notEqual(a.port, b.port)
  return { a, b }
}

const json = (body: unknown, ifMatch?: string): RequestInit => ({
  headers: {
    authorization: ADMIN_AUTH,
    'content-type': 'application/json',
    accept: 'application/json',
    ...(ifMatch === undefined ? {} : { 'if-match': ifMatch })
  },
  body: JSON.stringify(body)
})

describe('Two hosts on one PostgreSQL and one Redis', { concurrency: true, ...needs('TEST_DATABASE_URL', 'TEST_REDIS_URL') }, () => {
  it('reads through one host an article and messages written through the other', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { a, b } = await startHosts(t)

    const created = await a.fetch('/articles', { method: 'POST', ...json({ title: 'Written on host A', body: 'and read on host B' }) })
    assert.equal(created.status, 201, await created.clone().text())
    const article = await created.json() as { id: number }
    const location = created.headers.get('location')
    assert.equal(location, `/articles/${article.id}`)
    const read = await b.fetch(location, { headers: { accept: 'application/json' } })
    assert.equal(read.status, 200)
    assert.deepEqual(await read.json(), article)
    assert.equal(read.headers.get('etag'), created.headers.get('etag'))

    const text = 'Text written on B ✓'
    const posted = await b.fetch('/messages', { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text })
    assert.equal(posted.status, 201)
    assert.equal(await posted.text(), `Text Message: ${text}`)
    const textLocation = posted.headers.get('location')
    assert.ok(textLocation !== null, 'a 201 without Location')
    const textContent = await a.fetch(`${textLocation}/content`, { headers: { authorization: ADMIN_AUTH } })
    assert.equal(textContent.status, 200)
    assert.equal(textContent.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.equal(await textContent.text(), text)

    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256))
    const binary = await a.fetch('/messages', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes })
    assert.equal(binary.status, 201)
    assert.equal(await binary.text(), 'Binary message written!')
    const binaryLocation = binary.headers.get('location')
    assert.ok(binaryLocation !== null, 'a 201 without Location')
    assert.notEqual(binaryLocation, textLocation)
    const binaryContent = await b.fetch(`${binaryLocation}/content`, { headers: { authorization: ADMIN_AUTH } })
    assert.equal(binaryContent.status, 200)
    assert.equal(binaryContent.headers.get('content-type'), 'application/octet-stream')
    assert.ok(Buffer.from(await binaryContent.arrayBuffer()).equals(bytes), 'host B read other bytes than host A stored')
  })

  it('refuses with 412 on one host an ETag that a change through the other made stale', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { a, b } = await startHosts(t)
    const created = await a.fetch('/articles', { method: 'POST', ...json({ title: 'Version one', body: 'first' }) })
    assert.equal(created.status, 201)
    const { id } = await created.json() as { id: number }

    const seen = await a.fetch(`/articles/${id}`)
    assert.equal(seen.status, 200)
    await seen.arrayBuffer()
    const stale = seen.headers.get('etag')
    assert.ok(stale !== null, 'no ETag')

    const changed = await a.fetch(`/articles/${id}`, { method: 'PATCH', ...json({ title: 'Version two' }, stale) })
    assert.equal(changed.status, 200)
    const current = changed.headers.get('etag')
    assert.ok(current !== null && current !== stale, `the change kept the ETag ${stale}`)
    const afterChange = await changed.json()

    const refused = await b.fetch(`/articles/${id}`, { method: 'PATCH', ...json({ title: 'Lost update' }, stale) })
    await assertErrorBody(refused, 412, 'PRECONDITION_FAILED')
    const unchanged = await b.fetch(`/articles/${id}`, { headers: { accept: 'application/json' } })
    assert.equal(unchanged.status, 200)
    assert.equal(unchanged.headers.get('etag'), current)
    assert.deepEqual(await unchanged.json(), afterChange, 'the 412 changed the article')

    const notModified = await b.fetch(`/articles/${id}`, { headers: { 'if-none-match': current } })
    assert.equal(notModified.status, 304)

    const accepted = await b.fetch(`/articles/${id}`, { method: 'PATCH', ...json({ title: 'Version three' }, current) })
    assert.equal(accepted.status, 200)
    assert.equal((await accepted.json() as { title: string }).title, 'Version three')
    const onA = await a.fetch(`/articles/${id}`, { headers: { accept: 'application/json' } })
    assert.equal((await onA.json() as { title: string }).title, 'Version three')
    assert.equal(onA.headers.get('etag'), accepted.headers.get('etag'))
  })

  it('answers 429 on both hosts once failed authentications split across them reach the limit', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { a, b } = await startHosts(t, ['--auth-failure-limit', '4'])
    const attempts = [a, b, a, b]
    for (const [n, host] of attempts.entries()) {
      const res = await host.fetch('/secrets', { headers: { authorization: WRONG_AUTH, accept: 'application/json' } })
      assert.equal(res.status, 401, `attempt ${n + 1} (on ${host === a ? 'A' : 'B'})`)
      await res.arrayBuffer()
    }
    for (const [name, host] of [['A', a], ['B', b]] as const) {
      const res = await host.fetch('/secrets', { headers: { authorization: WRONG_AUTH, accept: 'application/json' } })
      assert.equal(res.status, 429, `the 5th attempt, on ${name}`)
      const retryAfter = Number(res.headers.get('retry-after'))
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${res.headers.get('retry-after')}`)
      await assertErrorBody(res, 429, 'TOO_MANY_REQUESTS')
    }
  })

  it('shares a request quota of 5 across both hosts, and /health is exempt', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { a, b } = await startHosts(t, ['--rate-limit', '5'])
    const hosts = [a, b, a, b, a]
    for (const [n, host] of hosts.entries()) {
      // probes in between must not use up the quota
      const health = await host.fetch('/health')
      assert.equal(health.status, 200)
      await health.arrayBuffer()
      const res = await host.fetch('/hello')
      assert.equal(res.status, 200, `request ${n + 1} of the quota`)
      assert.equal(await res.text(), 'Hello John Doe')
    }
    for (const [name, host] of [['B', b], ['A', a]] as const) {
      const res = await host.fetch('/hello', { headers: { accept: 'application/json' } })
      assert.equal(res.status, 429, `the 6th request, on ${name}`)
      const retryAfter = Number(res.headers.get('retry-after'))
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${res.headers.get('retry-after')}`)
      await assertErrorBody(res, 429, 'TOO_MANY_REQUESTS')
    }
    for (const host of [a, b]) {
      const health = await host.fetch('/health')
      assert.equal(health.status, 200, '/health is limited by the quota')
      assert.deepEqual(await health.json(), { status: 'ok' })
    }
  })
})

describe('Two hosts without Redis', { concurrency: true, ...needs('TEST_DATABASE_URL') }, () => {
  it('counts failed authentications per process, so the same split does not reach 429', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { a, b } = await startHosts(t, ['--auth-failure-limit', '4'], false)
    for (const [n, host] of [a, b, a, b, a, b].entries()) {
      const res = await host.fetch('/secrets', { headers: { authorization: WRONG_AUTH } })
      assert.equal(res.status, 401, `attempt ${n + 1} (on ${host === a ? 'A' : 'B'}): each process has seen at most 3 failures`)
      await res.arrayBuffer()
    }
  })
})

const execFileAsync = promisify(execFile)

/** The primary's children: its workers (`ps`, not `pgrep`, so that the test can say what each one is). */
async function childrenOf (primary: number): Promise<Array<{ pid: number, args: string }>> {
  try {
    const { stdout } = await execFileAsync('ps', ['-o', 'pid=,args=', '--ppid', String(primary)])
    return stdout.split('\n').filter((line) => line.trim() !== '').map((line) => {
      const [, pid, args] = /^\s*(\d+)\s+(.*)$/.exec(line) ?? []
      return { pid: Number(pid), args: args ?? '' }
    })
  } catch (err) {
    // ps exits 1 when there is no such process
    if ((err as { code?: unknown }).code === 1) return []
    throw err
  }
}

/** The pids of the primary's workers: the children running the CLI. */
async function workerPids (server: ServerProcess): Promise<number[]> {
  const children = await childrenOf(server.child.pid as number)
  return children.filter((child) => child.args.includes(BUILT_CLI)).map((child) => child.pid).sort((x, y) => x - y)
}

async function assertTwoWorkers (server: ServerProcess): Promise<number[]> {
  const pids = await workerPids(server)
  if (pids.length !== 2) {
    const children = await childrenOf(server.child.pid as number)
    assert.fail(`--workers 2 runs ${pids.length} workers; children: ${JSON.stringify(children)}; stderr: ${server.stderr()}`)
  }
  return pids
}

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * What a fresh connection gets: an HTTP status, or the error code (ECONNREFUSED,
 * ECONNRESET, NO_ANSWER when nothing came back within `timeoutMs`).
 */
async function probe (port: number, timeoutMs: number): Promise<string> {
  try {
    return String((await requestOnNewConnection(port, '/health', { timeoutMs })).status)
  } catch (err) {
    return String((err as NodeJS.ErrnoException).code ?? (err as Error).message)
  }
}

/** True once a fresh connection is refused, or answered 503 while the server drains. */
async function stoppedAccepting (port: number): Promise<boolean> {
  return ['ECONNREFUSED', '503'].includes(await probe(port, 2000))
}

/** A POST /messages whose body is half sent: a request in flight, for as long as the test wants. */
async function requestInFlight (t: TestContext, port: number, head: Buffer, tail: Buffer): Promise<{ finish (): Promise<Answer> }> {
  const body = Buffer.concat([head, tail])
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/messages',
    agent: false,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, expect: '100-continue' }
  })
  t.after(() => { req.destroy() })
  const answered = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => { answerOf(res).then(resolve, reject) })
    req.on('error', reject)
  })
  // a failure before `finish` is awaited must not become an unhandled rejection
  answered.catch(() => {})
  req.flushHeaders()
  // the 100 Continue tells that a worker has parsed the headers and routed the request
  await once(req, 'continue')
  req.write(head)
  return {
    async finish () {
      req.end(tail)
      return await answered
    }
  }
}

interface Workers {
  readonly server: ServerProcess
  readonly database: string
  readonly workers: number[]
  /** The JSON-lines log all the processes write. */
  readonly logFile: string
  /** The pid of the process that logged each of these request ids (undefined: not logged yet). */
  servedBy (requestIds: readonly string[]): Map<string, number>
}

/** `--workers 2 --port 0` on `database`, by default a fresh PostgreSQL schema. */
async function startWorkers (t: TestContext, database?: string): Promise<Workers> {
  const url = database ?? (await freshSchema(t)).url
  const cwd = tempDir(t)
  const logFile = join(cwd, 'app.log')
  const started: { server?: ServerProcess } = {}
  // Registered before startServer's, so it runs first, while the workers are still the primary's
  // children: startServer SIGKILLs only the primary, and a worker left behind would hold the
  // test's pipes open (under tsx, a worker caught starting up when its primary dies can hang).
  t.after(() => {
    const server = started.server
    if (server === undefined || server.child.exitCode !== null || server.child.signalCode !== null) return
    const stdout = execFileSync('ps', ['-o', 'pid=', '--ppid', String(server.child.pid)]).toString()
    server.child.kill('SIGKILL')
    for (const pid of stdout.split('\n').filter((line) => line.trim() !== '').map(Number)) {
      if (isRunning(pid)) process.kill(pid, 'SIGKILL')
    }
  })
  const server = started.server = await startServer(t, ['--port', '0', '--database', url, '--workers', '2', '--log-file', logFile], { cwd, built: true })
  return {
    server,
    database: url,
    workers: await assertTwoWorkers(server),
    logFile,
    // every request leaves a JSON line with its requestId and, from pino, the pid that served it
    servedBy (requestIds) {
      const wanted = new Set(requestIds)
      const found = new Map<string, number>()
      for (const line of readFileSync(logFile, 'utf8').split('\n')) {
        if (!line.includes('"requestId"')) continue
        const entry = JSON.parse(line) as { requestId?: string, pid?: number }
        if (entry.requestId !== undefined && entry.pid !== undefined && wanted.has(entry.requestId)) found.set(entry.requestId, entry.pid)
      }
      return found
    }
  }
}

/** Waits until the log names the process of each request (the log is written asynchronously). */
async function pidsOf (cluster: Workers, answers: readonly Answer[]): Promise<number[]> {
  const ids = answers.map((answer) => String(answer.headers['x-request-id']))
  let found = new Map<string, number>()
  await until('every request to be logged', async () => {
    found = cluster.servedBy(ids)
    return found.size === ids.length
  }, 10_000, () => `; ${found.size} of ${ids.length} logged`)
  return [...new Set(found.values())].sort((x, y) => x - y)
}

describe('--workers 2 on one PostgreSQL', { concurrency: true, ...needs('TEST_DATABASE_URL') }, () => {
  it('answers many requests with both workers, and GET /metrics counts those of both', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cluster = await startWorkers(t)
    const { server } = cluster
    const REQUESTS = 120
    // a connection each, so the primary hands them to both workers in turn
    const answers = await Promise.all(Array.from({ length: REQUESTS }, () => requestOnNewConnection(server.port, '/hello')))
    assert.deepEqual(answers.filter((answer) => answer.status !== 200), [])
    for (const answer of answers) assert.equal(answer.body, 'Hello John Doe')
    assert.deepEqual(await pidsOf(cluster, answers), cluster.workers, 'the requests were not served by both workers')

    const labels = { route: '/hello', method: 'GET', status: '200' }
    let last = ''
    await until(`http_requests_total${JSON.stringify(labels)} to be ${REQUESTS}`, async () => {
      const res = await server.fetch('/metrics')
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
      last = await res.text()
      const value = sampleValue(last, 'http_requests_total', labels)
      assert.ok(value === undefined || value <= REQUESTS, `http_requests_total says ${value} for ${REQUESTS} requests`)
      return value === REQUESTS
    }, 5000, () => `; last seen: ${sampleValue(last, 'http_requests_total', labels)}`)
  })

  it('replaces each worker killed with SIGKILL, and the port keeps answering', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const cluster = await startWorkers(t)
    const { server, workers } = cluster
    let seen: number[] = []
    const replacementOf = async (killed: number): Promise<number> => {
      const before = seen.length === 0 ? workers : seen
      await until(`a new worker to replace ${killed}`, async () => {
        seen = await workerPids(server)
        return seen.length === 2 && !seen.includes(killed)
      }, 20_000, () => `; workers: ${seen.join(', ')}; stderr: ${server.stderr()}`)
      return seen.find((pid) => !before.includes(pid)) as number
    }
    // requests on new connections, every one answered, until the new worker has served some
    const servedBy = async (pid: number) => {
      const outcomes: string[] = []
      await until(`the new worker ${pid} to serve requests`, async () => {
        const answers = await Promise.all(Array.from({ length: 10 }, () => requestOnNewConnection(server.port, '/health')))
        outcomes.push(...answers.map((answer) => String(answer.status)))
        assert.deepEqual(answers.filter((answer) => answer.status !== 200), [], 'the port stopped answering')
        return (await pidsOf(cluster, answers)).includes(pid)
      }, 30_000, () => `; ${outcomes.length} requests answered meanwhile; stderr: ${server.stderr()}`)
    }

    const [first, second] = workers as [number, number]
    process.kill(first, 'SIGKILL')
    await servedBy(await replacementOf(first))
    // the other original too: from now on only replacements serve
    process.kill(second, 'SIGKILL')
    await servedBy(await replacementOf(second))
    assert.equal(server.child.exitCode, null, 'the primary exited')
  })

  it('drains a request in flight on SIGTERM, exits 0, and the message is stored', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { server, database, workers } = await startWorkers(t)
    const head = Buffer.from('sent before SIGTERM, ')
    const tail = Buffer.from('finished after it ✓')
    const inFlight = await requestInFlight(t, server.port, head, tail)

    const exited = server.waitForExit()
    server.child.kill('SIGTERM')
    await until('the workers to stop accepting new connections after SIGTERM', () => stoppedAccepting(server.port))
    const answer = await inFlight.finish()
    const text = Buffer.concat([head, tail]).toString('utf8')
    assert.equal(answer.status, 201, answer.body)
    assert.equal(answer.body, `Text Message: ${text}`)
    assert.deepEqual(await exited, { code: 0, signal: null })
    assert.deepEqual(workers.filter(isRunning), [], 'workers outlived the primary')

    const location = answer.headers.location
    assert.ok(typeof location === 'string', 'a 201 without Location')
    const again = await startServer(t, ['--port', '0', '--database', database, ...QUIET], { cwd: tempDir(t), built: true })
    const content = await again.fetch(`${location}/content`, { headers: { authorization: ADMIN_AUTH } })
    assert.equal(content.status, 200, 'the drained message was not stored')
    assert.equal(await content.text(), text)
    await again.stop()
  })

  it('refuses or answers, never leaves hanging, the connections that arrive while it drains', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { server } = await startWorkers(t)
    // held open so that the drain lasts until every probe has its outcome
    const inFlight = await requestInFlight(t, server.port, Buffer.from('keeps '), Buffer.from('the drain going'))
    const exited = server.waitForExit()
    server.child.kill('SIGTERM')
    const probes: Array<Promise<string>> = []
    // well within the shutdown grace period, after which the request in flight would be cut
    for (let i = 0; i < 30; i++) {
      probes.push(probe(server.port, 3000))
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const outcomes = await Promise.all(probes)
    const answer = await inFlight.finish()
    assert.equal(answer.status, 201, answer.body)
    assert.deepEqual(await exited, { code: 0, signal: null })
    // 200: served by a worker before its SIGTERM arrived; 503 or refused: the drain
    const hanging = outcomes.filter((outcome) => !['200', '503', 'ECONNREFUSED'].includes(outcome))
    assert.deepEqual(hanging, [], `connections made just after SIGTERM, in order: ${outcomes.join(' ')}`)
  })
})

describe('--workers 2 --port 0', { concurrency: true }, () => {
  /** The ports the workers' logs say they listen on (Fastify logs each address it binds). */
  const listenedPorts = (logFile: string): number[] => readFileSync(logFile, 'utf8').split('\n')
    .flatMap((line) => /Server listening at http:\/\/[^"]*:(\d+)"/.exec(line)?.[1] ?? [])
    .map(Number)

  it('serves the port of the startup line from every worker, replacements too, even when all of them died at once', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // an SQLite file: the workers share it, and the test needs no PostgreSQL
    const cluster = await startWorkers(t, join(tempDir(t), 'app.db'))
    const { server, workers } = cluster
    assert.equal(server.listening, `http://127.0.0.1:${server.port}`)
    assert.notEqual(server.port, 0)

    /** Batches of requests, each on a new connection to the startup line's port, until every one of `pids` has answered. */
    const servedByAll = async (pids: readonly number[]) => {
      let served: number[] = []
      let answered = 0
      await until(`workers ${pids.join(', ')} to answer on port ${server.port}`, async () => {
        const answers = await Promise.all(Array.from({ length: 20 }, () => requestOnNewConnection(server.port, '/hello')))
        answered += answers.length
        assert.deepEqual(answers.filter((answer) => answer.status !== 200 || answer.body !== 'Hello John Doe'), [])
        served = [...new Set([...served, ...await pidsOf(cluster, answers)])].sort((x, y) => x - y)
        return pids.every((pid) => served.includes(pid))
      }, 20_000, () => `; ${answered} requests answered, by ${served.join(', ')}; stderr: ${server.stderr()}`)
      assert.deepEqual(served, [...pids].sort((x, y) => x - y), 'a request was answered by a process that is not a worker')
    }
    await servedByAll(workers)

    // every worker that held the shared socket gone: a worker asking for port 0 would get another one
    for (const pid of workers) process.kill(pid, 'SIGKILL')
    let replacements: number[] = []
    await until('two workers to replace the two killed', async () => {
      replacements = await workerPids(server)
      return replacements.length === 2 && replacements.every((pid) => !workers.includes(pid))
    }, 20_000, () => `; workers: ${replacements.join(', ')}; stderr: ${server.stderr()}`)
    // until the replacements listen, the port refuses connections
    await until(`port ${server.port} to answer again`, async () => (await probe(server.port, 2000)) === '200', 20_000,
      () => `; stderr: ${server.stderr()}`)
    await servedByAll(replacements)
    assert.equal(server.child.exitCode, null, 'the primary exited')

    const ports = listenedPorts(cluster.logFile)
    assert.equal(ports.length, 4, `expected 4 workers to log their address, got ports ${ports.join(', ')}`)
    assert.deepEqual(ports.filter((port) => port !== server.port), [], `workers listened on other ports than ${server.port}`)
    assert.deepEqual(await server.stop(), { code: 0, signal: null })
  })
})
