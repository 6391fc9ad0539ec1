import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { startTestServer } from '../helper.js'

describe('GET /metrics', () => {
  it('counts requests by route pattern, method and status, without parameter regexes or raw URLs', async (t) => {
    const server = await startTestServer(t)
    for (const id of [1, 2, 2]) await (await server.fetch(`/users/${id}`)).arrayBuffer()
    await (await server.fetch('/no/such/path')).arrayBuffer()
    // answered by Fastify before routing, without the hooks of every other request
    await (await server.fetch('/users/%zz')).arrayBuffer()
    const res = await server.fetch('/metrics')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
    const text = await res.text()
    assert.match(text, /^http_requests_total\{route="\/users\/:id",method="GET",status="200"\} 3$/m)
    assert.match(text, /^http_requests_total\{route="unmatched",method="GET",status="404"\} 1$/m)
    assert.match(text, /^http_requests_total\{route="unmatched",method="GET",status="400"\} 1$/m)
    assert.match(text, /^http_request_duration_seconds_bucket\{le="\+Inf",route="\/users\/:id",method="GET",status="200"\} 3$/m)
    assert.match(text, /^process_resident_memory_bytes \d+/m)
  })
})
