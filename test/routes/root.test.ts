import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { startTestServer } from '../helper.js'

const RESOURCES = ['hello', 'echo', 'articles', 'files', 'messages', 'users', 'secrets', 'tokens', 'health', 'ready']

describe('GET /', () => {
  it('builds the index from --public-url when one is set, whatever Host the client sent', async (t) => {
    const server = await startTestServer(t, { publicUrl: 'https://api.example.com' })
    const res = await server.fetch('/', { headers: { accept: 'application/json' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.deepEqual(await res.json(), {
      message: 'Welcome',
      resources: Object.fromEntries(RESOURCES.map((name) => [name, `https://api.example.com/${name}`]))
    })
  })
})
