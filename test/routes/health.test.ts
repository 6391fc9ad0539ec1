import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { JSON_TYPE, startTestServer } from '../helper.js'
import { requestIdOf } from '../http.js'

// GET /health and GET /ready themselves: test/routes/negotiation.test.ts

describe('GET /ready when a dependency does not answer', () => {
  it('names what cannot be reached: Redis, then the database and Redis', async (t) => {
    const server = await startTestServer(t)
    const down = async () => { throw new Error('connection refused') }
    t.mock.method(server.app, 'pingRedis', down)
    const redis = await server.fetch('/ready')
    assert.equal(redis.status, 503)
    assert.equal(redis.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(redis.headers.get('retry-after'), '2')
    assert.deepEqual(await redis.json(), {
      status: 503, code: 'SERVICE_UNAVAILABLE', message: 'Service Unavailable: Redis cannot be reached', requestId: requestIdOf(redis)
    })

    t.mock.method(server.app, 'pingDatabase', down)
    const both = await server.fetch('/ready')
    assert.equal(both.status, 503)
    assert.deepEqual(await both.json(), {
      status: 503, code: 'SERVICE_UNAVAILABLE', message: 'Service Unavailable: the database and Redis cannot be reached', requestId: requestIdOf(both)
    })
  })
})

describe('GET /health and GET /ready', () => {
  it('GET /health says the process is alive', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/health')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    requestIdOf(res)
    assert.deepEqual(await res.json(), { status: 'ok' })
  })

  it('GET /ready says the database answers and no Redis is configured', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/ready')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(await res.json(), { status: 'ready', database: 'ok', redis: 'not configured' })
  })

  it('GET /ready is a 503 with Retry-After when the database does not answer, while /health stays up', async (t) => {
    const server = await startTestServer(t)
    t.mock.method(server.app, 'pingDatabase', async () => { throw new Error('connection refused') })
    const res = await server.fetch('/ready')
    assert.equal(res.status, 503)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.match(res.headers.get('retry-after') ?? '', /^\d+$/)
    const body = await res.json() as Record<string, unknown>
    assert.deepEqual(body, { status: 503, code: 'SERVICE_UNAVAILABLE', message: body.message, requestId: requestIdOf(res) })
    assert.equal(typeof body.message, 'string')
    assert.doesNotMatch(body.message as string, /connection refused/)

    const health = await server.fetch('/health')
    assert.equal(health.status, 200)
    assert.deepEqual(await health.json(), { status: 'ok' })
  })
})
