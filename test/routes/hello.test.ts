import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { startTestServer } from '../helper.js'

describe('GET /hello', () => {
  it('greets John Doe by default', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/hello')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.equal(await res.text(), 'Hello John Doe')
  })
})
