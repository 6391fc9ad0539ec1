import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { describe, it, type TestContext } from 'node:test'
import { assertErrorBody } from '../helper.js'
import {
  freshRedisUrl, freshSchema, needs, postgresClient, sampleValue, startProxy, until, viaPort, withQuery
} from './services.js'
import { basicAuth, DEMO_ADMIN, startServer, tempDir, TEST_TIMEOUT_MS, type ServerProcess } from './spawn.js'

const ADMIN_AUTH = basicAuth(DEMO_ADMIN.username, DEMO_ADMIN.password)
const QUIET = ['--log-file', '-']
const READY = { status: 'ready', database: 'ok', redis: 'ok' }
/** Against hangs: an answer that takes longer than this is a failure, whatever it would have been. */
const ANSWER_WITHIN_MS = 10_000

async function serve (t: TestContext, database: string, extra: readonly string[] = []): Promise<ServerProcess> {
  return await startServer(t, ['--port', '0', '--database', database, ...QUIET, ...extra], { cwd: tempDir(t) })
}

/** `fetch` that fails the test, naming the request, when no answer comes within `ms`. */
async function answer (server: ServerProcess, path: string, init: RequestInit = {}, ms = ANSWER_WITHIN_MS): Promise<Response> {
  try {
    return await server.fetch(path, { ...init, signal: AbortSignal.timeout(ms) })
  } catch (err) {
    return assert.fail(`${init.method ?? 'GET'} ${path}: no answer within ${ms} ms (${(err as Error).message})`)
  }
}

function assertRetryAfter (res: Response): void {
  const value = res.headers.get('retry-after')
  assert.match(value ?? '(none)', /^[1-9]\d*$/, `Retry-After ${value}`)
}

/** The API's 503: Retry-After, and the JSON error body with `message`. */
async function assertUnavailable (res: Response, message: string): Promise<void> {
  assert.equal(res.status, 503)
  assertRetryAfter(res)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  assert.deepEqual(await res.json(), { status: 503, code: 'SERVICE_UNAVAILABLE', message, requestId: res.headers.get('x-request-id') })
}

async function assertReady (server: ServerProcess): Promise<void> {
  const res = await answer(server, '/ready')
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  assert.deepEqual(await res.json(), READY)
}

/** Polls GET /ready until it is 200: readiness comes back by itself once the dependency does. */
async function eventuallyReady (server: ServerProcess, what: string): Promise<void> {
  let last = ''
  await until(`GET /ready to recover after ${what} came back`, async () => {
    const res = await answer(server, '/ready')
    last = `${res.status} ${await res.text()}`
    return res.status === 200
  }, 20_000, () => `; last answer: ${last}`)
  await assertReady(server)
}

describe('GET /ready', { concurrency: true, ...needs('TEST_DATABASE_URL', 'TEST_REDIS_URL') }, () => {
  it('reports the database and Redis ok', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { url } = await freshSchema(t)
    const server = await serve(t, url, ['--redis-url', await freshRedisUrl(t)])
    await assertReady(server)
  })

  it('answers 503 with Retry-After while PostgreSQL is unreachable, and recovers by itself', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const proxy = await startProxy(t, 'TEST_DATABASE_URL')
    const { url } = await freshSchema(t)
    const server = await serve(t, viaPort(url, proxy.port), ['--redis-url', await freshRedisUrl(t)])
    await assertReady(server)
    const before = await answer(server, '/articles/1', { headers: { accept: 'application/json' } })
    assert.equal(before.status, 200)
    const article = await before.json()

    await proxy.close()
    await assertUnavailable(await answer(server, '/ready'), 'Service Unavailable: the database cannot be reached')
    const read = await answer(server, '/articles/1', { headers: { accept: 'application/json' } })
    await assertErrorBody(read, 503, 'SERVICE_UNAVAILABLE')
    assertRetryAfter(read)
    const health = await answer(server, '/health')
    assert.equal(health.status, 200, 'liveness must not depend on the database')
    await health.arrayBuffer()

    await proxy.open()
    await eventuallyReady(server, 'PostgreSQL')
    const after = await answer(server, '/articles/1', { headers: { accept: 'application/json' } })
    assert.equal(after.status, 200)
    assert.deepEqual(await after.json(), article)
  })

  it('answers 503 with Retry-After while Redis is unreachable, and recovers by itself', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const proxy = await startProxy(t, 'TEST_REDIS_URL')
    const { url } = await freshSchema(t)
    const server = await serve(t, url, ['--redis-url', viaPort(await freshRedisUrl(t), proxy.port)])
    await assertReady(server)

    await proxy.close()
    await assertUnavailable(await answer(server, '/ready'), 'Service Unavailable: Redis cannot be reached')
    const health = await answer(server, '/health')
    assert.equal(health.status, 200, 'liveness must not depend on Redis')
    await health.arrayBuffer()

    await proxy.open()
    await eventuallyReady(server, 'Redis')
  })
})

const uniqueName = () => `restful_api_test_${randomBytes(6).toString('hex')}`

describe('The PostgreSQL pool', { concurrency: true, ...needs('TEST_DATABASE_URL') }, () => {
  it('answers 503 with Retry-After, not a hang, when no connection frees up within the acquire timeout', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // first, so that its t.after (which ends the lock's transaction) runs before the schema is dropped
    const locker = await postgresClient(t)
    const { url, schema } = await freshSchema(t)
    const applicationName = uniqueName()
    const server = await serve(t, withQuery(url, 'application_name', applicationName), ['--db-pool-size', '1', '--db-acquire-timeout-ms', '200'])
    const warm = await answer(server, '/articles/1')
    assert.equal(warm.status, 200)
    await warm.arrayBuffer()

    await locker.query('BEGIN')
    await locker.query(`LOCK TABLE ${schema}.articles IN ACCESS EXCLUSIVE MODE`)
    let holding: Promise<Response> | undefined
    try {
      // this request takes the pool's only connection and waits for the lock with it
      holding = server.fetch('/articles/1', { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(60_000) })
      holding.catch(() => {})
      await until('the first request to wait for the lock', async () => {
        const { rows } = await locker.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [applicationName])
        return rows[0]?.n === 1
      })
      // a request that needs a connection, but not the locked table: only the pool can make it wait
      const refused = await answer(server, '/users/2', { headers: { accept: 'application/json' } }, 200 + 5000)
      await assertErrorBody(refused, 503, 'SERVICE_UNAVAILABLE')
      assertRetryAfter(refused)
    } finally {
      await locker.query('ROLLBACK')
    }
    const held = await holding
    assert.equal(held.status, 200, 'the request that held the connection failed')
    await held.arrayBuffer()
    const after = await answer(server, '/users/2', { headers: { accept: 'application/json' } })
    assert.equal(after.status, 200)
    assert.equal((await after.json() as { username: string }).username, 'steve')
  })

  it('survives its idle connections being terminated, and the next requests succeed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const admin = await postgresClient(t)
    const { url } = await freshSchema(t)
    const applicationName = uniqueName()
    const server = await serve(t, withQuery(url, 'application_name', applicationName))
    // several at once, so that the pool opens several connections
    const warm = await Promise.all(Array.from({ length: 8 }, () => answer(server, '/articles')))
    assert.deepEqual(warm.map((res) => res.status), Array(8).fill(200))
    await Promise.all(warm.map((res) => res.arrayBuffer()))

    const backends = async () => (await admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rows.map((row) => row.pid)
    const before = await backends()
    assert.ok(before.length >= 1, 'the server holds no connection with its application_name')
    const { rows } = await admin.query<{ terminated: boolean }>(
      'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1', [applicationName])
    assert.deepEqual(rows.map((row) => row.terminated), before.map(() => true))
    await until('the terminated backends to be gone', async () => (await backends()).every((pid) => !before.includes(pid)))

    for (let i = 0; i < 3; i++) {
      const read = await answer(server, '/articles/1')
      assert.equal(read.status, 200, `read ${i + 1} after the connections were terminated: ${await read.clone().text()}`)
      await read.arrayBuffer()
    }
    const posted = await answer(server, '/messages', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'after the cut' })
    assert.equal(posted.status, 201, await posted.clone().text())
    assert.equal(await posted.text(), 'Text Message: after the cut')
    const ready = await answer(server, '/ready')
    assert.equal(ready.status, 200)
    await ready.arrayBuffer()
    assert.deepEqual({ code: server.child.exitCode, signal: server.child.signalCode }, { code: null, signal: null }, 'the process died')
    const now = await backends()
    assert.ok(now.length >= 1 && now.every((pid) => !before.includes(pid)), `the pool did not reconnect: ${now.join(', ')}`)
  })
})

describe('kill -9 during writes on PostgreSQL', { ...needs('TEST_DATABASE_URL') }, () => {
  it('keeps every message answered 201, with identical bytes, after a restart on the same schema', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { url } = await freshSchema(t)
    const first = await serve(t, url)
    const KILL_AFTER = 30
    const WRITERS = 8
    const stored: Array<{ location: string, bytes: Buffer }> = []
    const unexpected: string[] = []
    // each writer posts until its request fails, which happens once the process is gone
    const writer = async (w: number) => {
      for (let n = 0; ; n++) {
        const bytes = randomBytes(1 + ((w * 7919 + n * 104_729) % (128 * 1024)))
        let res: Response
        try {
          res = await first.fetch('/messages', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes })
        } catch {
          return
        }
        if (res.status !== 201) {
          unexpected.push(`${res.status} ${await res.text()}`)
          return
        }
        await res.arrayBuffer().catch(() => {})
        stored.push({ location: res.headers.get('location') ?? '(no Location)', bytes })
        // with the other writers' requests still in flight
        if (stored.length === KILL_AFTER) first.child.kill('SIGKILL')
      }
    }
    const exited = first.waitForExit()
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)))
    assert.equal((await exited).signal, 'SIGKILL')
    assert.deepEqual(unexpected, [])
    assert.ok(stored.length >= KILL_AFTER)
    assert.equal(new Set(stored.map((m) => m.location)).size, stored.length, 'two 201s named the same message')

    const second = await serve(t, url)
    for (const message of stored) {
      const content = await answer(second, `${message.location}/content`, { headers: { authorization: ADMIN_AUTH } })
      assert.equal(content.status, 200, `${message.location} is gone after the restart`)
      assert.equal(content.headers.get('content-type'), 'application/octet-stream')
      assert.ok(Buffer.from(await content.arrayBuffer()).equals(message.bytes), `${message.location} came back with other bytes`)
    }
    await second.stop()
  })
})

describe('--metrics-port', { ...needs('TEST_DATABASE_URL') }, () => {
  it('serves Prometheus text on its own port, and /metrics on the API port is a 404', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const { url } = await freshSchema(t)
    const server = await serve(t, url, ['--metrics-port', '0'])
    const METRICS_LINE = /metrics on (http:\/\/\S+:(\d+)\/metrics)/
    // printed with the startup line, maybe in a later chunk of stdout
    await until('the metrics address on stdout', async () => METRICS_LINE.test(server.stdout()), 10_000, () => `; stdout: ${server.stdout()}`)
    const announced = METRICS_LINE.exec(server.stdout())
    assert.ok(announced !== null)
    const metricsUrl = `http://127.0.0.1:${announced[2]}/metrics`
    assert.notEqual(Number(announced[2]), server.port)

    const HELLOS = 3
    for (let i = 0; i < HELLOS; i++) {
      const res = await answer(server, '/hello')
      assert.equal(await res.text(), 'Hello John Doe')
    }
    const onApi = await answer(server, '/metrics')
    const body = await assertErrorBody(onApi, 404, 'NOT_FOUND')
    assert.equal(body.message, `Not Found: ${server.url}/metrics`)

    // any other path on the metrics port is the API's 404, from the same body builder
    const elsewhere = await fetch(metricsUrl.replace(/\/metrics$/, '/hello'), { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) })
    const elsewhereBody = await assertErrorBody(elsewhere, 404, 'NOT_FOUND')
    assert.equal(elsewhereBody.message, `Not Found: http://127.0.0.1:${announced[2]}/hello`)

    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    assert.equal(sampleValue(text, 'http_requests_total', { route: '/hello', method: 'GET', status: '200' }), HELLOS)
    assert.equal(sampleValue(text, 'http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }), 1, 'the 404 of /metrics on the API port')
    assert.equal(sampleValue(text, 'http_request_duration_seconds_bucket', { route: '/hello', method: 'GET', status: '200', le: '+Inf' }), HELLOS)
    assert.equal(sampleValue(text, 'http_request_duration_seconds_count', { route: '/hello', method: 'GET', status: '200' }), HELLOS)
    const poolTotal = sampleValue(text, 'db_pool_connections', { state: 'total' })
    assert.ok(poolTotal !== undefined && poolTotal >= 1, `db_pool_connections{state="total"} is ${poolTotal}`)
    assert.notEqual(sampleValue(text, 'db_pool_connections', { state: 'idle' }), undefined)
    const rss = sampleValue(text, 'process_resident_memory_bytes')
    assert.ok(rss !== undefined && rss > 0, `process_resident_memory_bytes is ${rss}`)
  })
})
