import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { assertErrorBody, startTestServer } from '../helper.js'

describe('--rate-limit', () => {
  it('counts unknown paths and methods (404, 405) against the quota, and not the probes', async (t) => {
    const server = await startTestServer(t, { rateLimit: 3 })
    const statuses: number[] = []
    for (const [method, path] of [['GET', '/no/such/path'], ['DELETE', '/hello'], ['GET', '/health'], ['GET', '/hello'], ['GET', '/no/such/path'], ['GET', '/health']]) {
      const res = await server.fetch(path!, { method })
      statuses.push(res.status)
      if (res.status === 429) await assertErrorBody(res, 429, 'TOO_MANY_REQUESTS')
      else await res.arrayBuffer()
    }
    assert.deepEqual(statuses, [404, 405, 200, 200, 429, 200])
  })
})
