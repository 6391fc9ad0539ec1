import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { startTestServer } from '../helper.js'

describe('HEAD /echo', () => {
  it('answers HEAD /echo with the headers GET /echo has', async (t) => {
    const server = await startTestServer(t)
    const get = await server.fetch('/echo')
    const head = await server.fetch('/echo', { method: 'HEAD' })
    assert.equal(head.headers.get('content-length'), get.headers.get('content-length'))
    assert.equal(await get.text(), 'ECHO: GET\n')
  })
})
