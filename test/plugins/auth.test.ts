import { strict as assert } from 'node:assert'
import { randomInt } from 'node:crypto'
import { describe, it } from 'node:test'
import { createMemoryFailureLimiter } from '../../src/lib/failure-limiter.js'
import { verifyPassword } from '../../src/lib/password.js'
import { ADMIN, adminAuth, assertError, assertErrorBody, assertSecret, basicAuth, bearerFor, createUser, secrets, serverWithData, startTestServer } from '../helper.js'
import { assertUnauthenticated, bearerChallenge, headerValues, send } from '../http.js'

/** One character of the token swapped for another of the same alphabet. */
function alter (token: string): string {
  const i = Math.floor(token.length / 2)
  const replacement = token[i] === 'A' ? 'B' : 'A'
  return token.slice(0, i) + replacement + token.slice(i + 1)
}

async function assert429 (res: Response, windowSeconds: number): Promise<void> {
  await assertErrorBody(res, 429, 'TOO_MANY_REQUESTS')
  const retryAfter = res.headers.get('retry-after') ?? ''
  assert.match(retryAfter, /^\d+$/)
  assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= windowSeconds, `Retry-After ${retryAfter} within 1..${windowSeconds}`)
}

const randomAddress = () => `203.0.113.${randomInt(1, 255)}`

describe('Basic authentication', () => {
  it('lets the configured admin in with admin:secret', async (t) => {
    const server = await startTestServer(t)
    await assertSecret(await secrets(server, basicAuth(ADMIN.username, ADMIN.password)))
  })

  it('lets a user created through POST /users in with its password', async (t) => {
    const server = await startTestServer(t)
    const user = await createUser(server, 'alice', 'alice password 1')
    await assertSecret(await secrets(server, user.auth))
  })

  it('answers 401 with a Basic and a Bearer challenge without credentials', async (t) => {
    const server = await startTestServer(t)
    const res = await secrets(server)
    await assertUnauthenticated(res)
    // no credentials were sent, so there is no token error to report (RFC 6750 §3.1)
    assert.doesNotMatch(bearerChallenge(res), /error=/)
  })

  it('refuses a wrong password, of the admin or of a user, with 401 and both challenges', async (t) => {
    const server = await startTestServer(t)
    await createUser(server, 'alice', 'alice password 1')
    await assertUnauthenticated(await secrets(server, basicAuth(ADMIN.username, 'not the secret')))
    await assertUnauthenticated(await secrets(server, basicAuth('alice', 'alice password 2')))
    await assertUnauthenticated(await secrets(server, basicAuth('nobody', 'alice password 1')))
    // a demo user has no password: nothing may open it
    await assertUnauthenticated(await secrets(server, basicAuth('john', '')))
  })

  it('refuses a user name no user can have with 401 and both challenges, whatever it holds', async (t) => {
    const server = await startTestServer(t)
    for (const name of ['jo\u0000hn', 'john doe', 'x'.repeat(65), 'jöhn', '\ud83d']) {
      await assertUnauthenticated(await secrets(server, basicAuth(name, 'some password 1')))
    }
    // bytes that are not UTF-8
    await assertUnauthenticated(await secrets(server, 'Basic ' + Buffer.from([0x6a, 0xff, 0x00, 0x3a, 0x70]).toString('base64')))
  })

  it('takes the scheme name in any case', async (t) => {
    const server = await startTestServer(t)
    const credentials = adminAuth().slice('Basic '.length)
    await assertSecret(await secrets(server, `basic ${credentials}`))
    await assertSecret(await secrets(server, `BASIC ${credentials}`))
    await assertSecret(await secrets(server, `bAsIc ${credentials}`))
    const token = (await bearerFor(server, adminAuth())).slice('Bearer '.length)
    await assertSecret(await secrets(server, `bearer ${token}`))
    await assertSecret(await secrets(server, `BEARER ${token}`))
  })
})

describe('Bearer authentication', () => {
  it('refuses a token with one character changed, with error="invalid_token"', async (t) => {
    const server = await startTestServer(t)
    const token = (await bearerFor(server, adminAuth())).slice('Bearer '.length)
    const altered = alter(token)
    assert.notEqual(altered, token)
    const res = await secrets(server, `Bearer ${altered}`)
    await assertUnauthenticated(res)
    assert.match(bearerChallenge(res), /error="invalid_token"/)
    // the real one still works
    await assertSecret(await secrets(server, `Bearer ${token}`))
  })

  it('refuses an expired token', async (t) => {
    const server = await startTestServer(t)
    const user = await createUser(server, 'alice', 'alice password 1')
    const expired = await server.app.repos.tokens.issue(user.id, -60)
    const res = await secrets(server, `Bearer ${expired.token}`)
    await assertUnauthenticated(res)
    assert.match(bearerChallenge(res), /error="invalid_token"/)
    const adminExpired = await server.app.repos.tokens.issue(null, -60)
    await assertUnauthenticated(await secrets(server, `Bearer ${adminExpired.token}`))
  })
})

describe('failed authentications', () => {
  it('answer 429 with Retry-After once a client reaches the limit, even for the right password', async (t) => {
    const server = await startTestServer(t, { authFailureLimit: 3 })
    const wrong = basicAuth(ADMIN.username, 'guess')
    for (let i = 0; i < 3; i++) await assertUnauthenticated(await secrets(server, wrong))
    await assert429(await secrets(server, wrong), server.config.authFailureWindowSeconds)
    await assert429(await secrets(server, adminAuth()), server.config.authFailureWindowSeconds)
    await assert429(await server.fetch('/tokens', { method: 'POST', headers: { authorization: adminAuth() } }), server.config.authFailureWindowSeconds)
  })

  it('count bad bearer tokens too', async (t) => {
    const server = await startTestServer(t, { authFailureLimit: 3 })
    const bearer = await bearerFor(server, adminAuth())
    const bad = 'Bearer ' + alter(bearer.slice('Bearer '.length))
    for (let i = 0; i < 3; i++) await assertUnauthenticated(await secrets(server, bad))
    await assert429(await secrets(server, bearer), server.config.authFailureWindowSeconds)
  })

  it('are not escaped by sending X-Forwarded-For when the proxy is not trusted', async (t) => {
    const server = await startTestServer(t, { authFailureLimit: 3 })
    assert.equal(server.config.trustProxy, false)
    const wrong = basicAuth(ADMIN.username, 'guess')
    for (let i = 0; i < 3; i++) {
      await assertUnauthenticated(await secrets(server, wrong, { 'x-forwarded-for': randomAddress() }))
    }
    await assert429(await secrets(server, adminAuth(), { 'x-forwarded-for': '198.51.100.7' }), server.config.authFailureWindowSeconds)
    await assert429(await secrets(server, adminAuth()), server.config.authFailureWindowSeconds)
  })

  it('are counted per X-Forwarded-For address behind a trusted proxy', async (t) => {
    const server = await startTestServer(t, { authFailureLimit: 3, trustProxy: true })
    const wrong = basicAuth(ADMIN.username, 'guess')
    for (let i = 0; i < 3; i++) {
      await assertUnauthenticated(await secrets(server, wrong, { 'x-forwarded-for': '198.51.100.1' }))
    }
    await assert429(await secrets(server, adminAuth(), { 'x-forwarded-for': '198.51.100.1' }), server.config.authFailureWindowSeconds)
    await assertSecret(await secrets(server, adminAuth(), { 'x-forwarded-for': '198.51.100.2' }))
    await assertUnauthenticated(await secrets(server, wrong, { 'x-forwarded-for': '198.51.100.2' }))
    await assertSecret(await secrets(server, adminAuth(), { 'x-forwarded-for': '198.51.100.2' }))
  })

  it('stop blocking once the window has passed', async (t) => {
    let now = Date.now()
    const failureLimiter = createMemoryFailureLimiter(2, 60, () => now)
    const server = await startTestServer(t, {}, { failureLimiter })
    const wrong = basicAuth(ADMIN.username, 'guess')
    for (let i = 0; i < 2; i++) await assertUnauthenticated(await secrets(server, wrong))
    await assert429(await secrets(server, adminAuth()), 60)
    now += 61_000
    await assertSecret(await secrets(server, adminAuth()))
  })
})

describe('password verification cache', () => {
  it('hashes a correct credential once for many requests, and forgets it when the password changes', async (t) => {
    let calls = 0
    const counting: typeof verifyPassword = async (password, stored) => {
      calls++
      return await verifyPassword(password, stored)
    }
    const server = await startTestServer(t, {}, { verifyPassword: counting })
    const user = await createUser(server, 'alice', 'alice password 1')
    assert.equal(calls, 0, 'creating a user verifies nothing')

    for (let i = 0; i < 5; i++) await assertSecret(await secrets(server, user.auth))
    assert.equal(calls, 1, 'five requests, one verification')

    // a wrong password is checked, never answered from the cache
    await assertUnauthenticated(await secrets(server, basicAuth('alice', 'alice password 2')))
    assert.equal(calls, 2)

    const res = await server.fetch(`/users/${user.id}`, {
      method: 'PATCH',
      headers: { authorization: user.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'alice password 2' })
    })
    assert.equal(res.status, 200)
    await assertUnauthenticated(await secrets(server, user.auth))
    await assertUnauthenticated(await secrets(server, user.auth))
    const renewed = basicAuth('alice', 'alice password 2')
    for (let i = 0; i < 3; i++) await assertSecret(await secrets(server, renewed))
    // two refusals of the old password and one check of the new one
    assert.equal(calls, 5)
  })
})

describe('tokens belong to users', () => {
  it('stop working when their user is deleted, as does its password', async (t) => {
    const server = await startTestServer(t)
    const user = await createUser(server, 'alice', 'alice password 1')
    const bearer = await bearerFor(server, user.auth)
    await assertSecret(await secrets(server, bearer))
    await assertSecret(await secrets(server, user.auth))
    const res = await server.fetch(`/users/${user.id}`, { method: 'DELETE', headers: { authorization: adminAuth() } })
    assert.equal(res.status, 204)
    await assertUnauthenticated(await secrets(server, bearer))
    await assertUnauthenticated(await secrets(server, user.auth))
  })

  it('act as their user: a user token cannot do what only the admin may', async (t) => {
    const server = await startTestServer(t)
    const user = await createUser(server, 'alice', 'alice password 1')
    const bearer = await bearerFor(server, user.auth)
    const res = await server.fetch('/users', {
      method: 'POST',
      headers: { authorization: bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'mallory', password: 'mallory password' })
    })
    await assertErrorBody(res, 403, 'FORBIDDEN')
    const adminBearer = await bearerFor(server, adminAuth())
    const created = await server.fetch('/users', {
      method: 'POST',
      headers: { authorization: adminBearer, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bob', password: 'bob password 1' })
    })
    assert.equal(created.status, 201)
  })
})

describe('bad Authorization headers', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64')
  const bad = [
    'Basic !!!',
    `Basic ${b64('adminsecret')}`,
    `Basic ${b64(':secret')}`,
    `Basic ${b64('admin:wrong')}`,
    `Basic ${b64('admin:secret')} trailing`,
    `Basic${b64('admin:secret')}`,
    'Basic',
    'Bearer',
    'Bearer a b',
    'Bearer not-a-real-token',
    'Digest x',
    'Negotiate ' + b64('x'.repeat(100)),
    '!!!'
  ]

  const assertChallenges = (headers: Array<[string, string]>) => {
    const challenges = headerValues(headers, 'www-authenticate')
    assert.equal(challenges.length, 2, `two WWW-Authenticate headers: ${JSON.stringify(challenges)}`)
    assert.match(challenges[0]!, /^Basic realm="[^"]+"/)
    assert.match(challenges[1]!, /^Bearer realm="[^"]+"/)
  }

  for (const header of bad) {
    it(`answers GET /secrets with Authorization: ${JSON.stringify(header)} with 401 and two challenges`, async (t) => {
      const server = await startTestServer(t)
      const { res, headers } = await send(server, 'GET', '/secrets', { authorization: header })
      assertChallenges(headers)
      const body = await assertError(res, 401, 'UNAUTHENTICATED')
      assert.equal(body.message, 'Authenticate.')
    })
  }

  it('answers POST /messages with a malformed credential with 401 and stores nothing', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const { res, headers } = await send(server, 'POST', '/messages', { authorization: 'Basic !!!', 'content-type': 'text/plain' }, 'hi')
    assertChallenges(headers)
    await assertError(res, 401, 'UNAUTHENTICATED')
    await assertUnchanged()
  })

  it('answers POST /users with a malformed credential with 401 and creates no user', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const { res, headers } = await send(server, 'POST', '/users', { authorization: 'Bearer a b', 'content-type': 'application/json' },
      '{"username": "mallory", "password": "long enough password"}')
    assertChallenges(headers)
    await assertError(res, 401, 'UNAUTHENTICATED')
    await assertUnchanged()
  })

  for (const scheme of ['bAsIc', 'BASIC', 'basic']) {
    it(`takes valid admin credentials under the scheme ${scheme}`, async (t) => {
      const server = await startTestServer(t)
      const { res, headers } = await send(server, 'GET', '/secrets', { authorization: `${scheme} ${b64('admin:secret')}` })
      assert.equal(res.status, 200)
      assert.deepEqual(headerValues(headers, 'www-authenticate'), [])
      assert.equal(await res.text(), 'Shhh this is top secret spy stuff!')
    })
  }

  it('takes a user\'s credentials with basicAuth under a lower-case scheme', async (t) => {
    const server = await startTestServer(t)
    await createUser(server, 'carol', 'carol password')
    const header = basicAuth('carol', 'carol password').replace(/^Basic/, 'basic')
    const res = await server.fetch('/secrets', { headers: { authorization: header } })
    assert.equal(res.status, 200)
  })
})
