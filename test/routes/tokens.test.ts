import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { adminAuth, assertErrorBody, assertSecret, bearerFor, createUser, secrets, startTestServer } from '../helper.js'
import { assertUnauthenticated, bearerChallenge } from '../http.js'

describe('POST /tokens', () => {
  it('issues a token with its expiry, not to be cached, usable as a bearer on /secrets', async (t) => {
    const server = await startTestServer(t)
    const user = await createUser(server, 'alice', 'alice password 1')
    const before = Date.now()
    const res = await server.fetch('/tokens', { method: 'POST', headers: { authorization: user.auth } })
    assert.equal(res.status, 201)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    const body = await res.json() as { token: string, expiresAt: string }
    assert.deepEqual(Object.keys(body).sort(), ['expiresAt', 'token'])
    assert.equal(typeof body.token, 'string')
    assert.ok(body.token.length >= 32, 'a token long enough not to be guessed')
    const expiresAt = Date.parse(body.expiresAt)
    const ttl = server.config.tokenTtlSeconds * 1000
    assert.ok(expiresAt >= before + ttl - 2000 && expiresAt <= Date.now() + ttl + 2000, `expiresAt ${body.expiresAt} about ${server.config.tokenTtlSeconds} s ahead`)
    await assertSecret(await secrets(server, `Bearer ${body.token}`))
  })

  it('issues a token to the admin too', async (t) => {
    const server = await startTestServer(t)
    await assertSecret(await secrets(server, await bearerFor(server, adminAuth())))
  })

  it('issues a different token each time', async (t) => {
    const server = await startTestServer(t)
    const first = await bearerFor(server, adminAuth())
    const second = await bearerFor(server, adminAuth())
    assert.notEqual(first, second)
    await assertSecret(await secrets(server, first))
    await assertSecret(await secrets(server, second))
  })

  it('answers 401 without credentials', async (t) => {
    const server = await startTestServer(t)
    await assertUnauthenticated(await server.fetch('/tokens', { method: 'POST' }))
  })
})

describe('DELETE /tokens/current', () => {
  it('revokes the token in use: 204, then that token is refused', async (t) => {
    const server = await startTestServer(t)
    const user = await createUser(server, 'alice', 'alice password 1')
    const bearer = await bearerFor(server, user.auth)
    const other = await bearerFor(server, user.auth)
    const res = await server.fetch('/tokens/current', { method: 'DELETE', headers: { authorization: bearer } })
    assert.equal(res.status, 204)
    assert.equal(await res.text(), '')
    const after = await secrets(server, bearer)
    await assertUnauthenticated(after)
    assert.match(bearerChallenge(after), /error="invalid_token"/)
    await assertUnauthenticated(await server.fetch('/tokens/current', { method: 'DELETE', headers: { authorization: bearer } }))
    // only the token in use goes; the user's other token and password still work
    await assertSecret(await secrets(server, other))
    await assertSecret(await secrets(server, user.auth))
  })

  it('answers 400 to a caller that authenticated with Basic, and revokes nothing', async (t) => {
    const server = await startTestServer(t)
    const bearer = await bearerFor(server, adminAuth())
    const res = await server.fetch('/tokens/current', { method: 'DELETE', headers: { authorization: adminAuth() } })
    await assertErrorBody(res, 400, 'NOT_A_TOKEN')
    await assertSecret(await secrets(server, bearer))
  })

  it('answers 401 without credentials', async (t) => {
    const server = await startTestServer(t)
    await assertUnauthenticated(await server.fetch('/tokens/current', { method: 'DELETE' }))
  })
})
