import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { ADMIN, adminAuth, AS_ADMIN_JSON, assertError, assertErrorBody, basicAuth, createUser, fieldsOf, serverWithData, startTestServer, type TestServer } from '../helper.js'
import { assertNotFound, assertTimestamp, assertUnauthenticated, nextLink } from '../http.js'

const DEMO_USERS = [{ id: 1, username: 'john' }, { id: 2, username: 'steve' }, { id: 3, username: 'bill' }]

interface User { id: number, username: string, createdAt: string }

const json = (authorization: string | undefined, method: string, body: unknown): RequestInit => ({
  method,
  headers: authorization === undefined ? { 'content-type': 'application/json' } : { authorization, 'content-type': 'application/json' },
  body: JSON.stringify(body)
})

const secretStatus = async (server: TestServer, authorization: string) =>
  (await server.fetch('/secrets', { headers: { authorization } })).status

async function listAll (server: TestServer): Promise<unknown> {
  const res = await server.fetch('/users?limit=100')
  assert.equal(res.status, 200)
  return await res.json()
}

describe('GET /users', () => {
  it('lists the demo users, publicly, with id and username only', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    assert.equal(res.headers.get('link'), null)
    assert.deepEqual(await res.json(), DEMO_USERS)
  })

  it('is empty on a database started without demo data', async (t) => {
    const server = await startTestServer(t, { demoData: false })
    const res = await server.fetch('/users')
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), [])
    await assertNotFound(await server.fetch('/users/1'), server, '/users/1', 'USER_NOT_FOUND')
  })

  it('lists created users after the demo users, without their password', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    assert.deepEqual(await listAll(server), [...DEMO_USERS, { id: alice.id, username: 'alice' }])
  })

  it('pages with ?limit= and an absolute Link rel="next"; following it walks every user once', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    const everyone = [...DEMO_USERS, { id: alice.id, username: 'alice' }]

    const first = await server.fetch('/users?limit=1')
    assert.equal(first.status, 200)
    assert.deepEqual(await first.json(), [DEMO_USERS[0]])
    const link = nextLink(first)
    assert.ok(link !== undefined, 'a first page of one has a next page')
    assert.ok(link.startsWith(`${server.url}/users?`), `absolute URL of /users, got ${link}`)
    assert.equal(new URL(link).searchParams.get('limit'), '1')

    const seen: unknown[] = []
    const pageSizes: number[] = []
    let url: string | undefined = `${server.url}/users?limit=1`
    while (url !== undefined) {
      assert.ok(pageSizes.length < 10, 'the walk ends')
      const res = await fetch(url)
      assert.equal(res.status, 200)
      const page = await res.json() as unknown[]
      seen.push(...page)
      pageSizes.push(page.length)
      url = nextLink(res)
    }
    assert.deepEqual(seen, everyone)
    assert.deepEqual(pageSizes, [1, 1, 1, 1])
  })

  it('gives no Link when the page holds the last user', async (t) => {
    const server = await startTestServer(t)
    const exact = await server.fetch('/users?limit=3')
    assert.deepEqual(await exact.json(), DEMO_USERS)
    assert.equal(exact.headers.get('link'), null)

    const two = await server.fetch('/users?limit=2')
    assert.deepEqual(await two.json(), DEMO_USERS.slice(0, 2))
    const link = nextLink(two)
    assert.ok(link !== undefined)
    const rest = await fetch(link)
    assert.deepEqual(await rest.json(), DEMO_USERS.slice(2))
    assert.equal(rest.headers.get('link'), null)
  })

  it('refuses a limit out of 1..100 with 400', async (t) => {
    const server = await startTestServer(t)
    await assertErrorBody(await server.fetch('/users?limit=0'), 400, 'VALIDATION_FAILED')
    await assertErrorBody(await server.fetch('/users?limit=101'), 400, 'VALIDATION_FAILED')
  })
})

describe('GET /users/:id', () => {
  it('returns the user', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/2')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    const body = await res.json() as User
    assertTimestamp(body.createdAt)
    assert.deepEqual(body, { id: 2, username: 'steve', createdAt: body.createdAt })
  })

  it('answers 404 with the full URL for an unknown id', async (t) => {
    const server = await startTestServer(t)
    await assertNotFound(await server.fetch('/users/99'), server, '/users/99', 'USER_NOT_FOUND')
  })

  it('answers 404 for an id that is not an integer', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/steve')
    const body = await assertErrorBody(res, 404, 'NOT_FOUND')
    assert.equal(body.message, `Not Found: ${server.url}/users/steve`)
  })
})

describe('POST /users', () => {
  it('creates a user as the admin: 201, Location and the user', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users', json(adminAuth(), 'POST', { username: 'alice', password: 'alice password 1' }))
    assert.equal(res.status, 201)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    const body = await res.json() as User
    assertTimestamp(body.createdAt)
    assert.deepEqual(body, { id: 4, username: 'alice', createdAt: body.createdAt })
    assert.equal(new URL(res.headers.get('location') ?? '', server.url).href, `${server.url}/users/4`)

    const read = await server.fetch('/users/4')
    assert.equal(read.status, 200)
    assert.deepEqual(await read.json(), body)
    assert.equal(await secretStatus(server, basicAuth('alice', 'alice password 1')), 200)
  })

  it('answers 403 to a user and creates nothing', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    const res = await server.fetch('/users', json(alice.auth, 'POST', { username: 'mallory', password: 'mallory password' }))
    await assertErrorBody(res, 403, 'FORBIDDEN')
    assert.deepEqual(await listAll(server), [...DEMO_USERS, { id: alice.id, username: 'alice' }])
  })

  it('answers 401 to an anonymous caller and creates nothing', async (t) => {
    const server = await startTestServer(t)
    await assertUnauthenticated(await server.fetch('/users', json(undefined, 'POST', { username: 'mallory', password: 'mallory password' })))
    assert.deepEqual(await listAll(server), DEMO_USERS)
  })

  it('answers 409 for a taken name, including the admin\'s own', async (t) => {
    const server = await startTestServer(t)
    const steve = await server.fetch('/users', json(adminAuth(), 'POST', { username: 'steve', password: 'steve password 1' }))
    await assertErrorBody(steve, 409, 'USERNAME_TAKEN')
    const admin = await server.fetch('/users', json(adminAuth(), 'POST', { username: ADMIN.username, password: 'shadow password' }))
    await assertErrorBody(admin, 409, 'USERNAME_TAKEN')
    assert.deepEqual(await listAll(server), DEMO_USERS)
    // the admin still signs in with its own password, not the one offered
    assert.equal(await secretStatus(server, basicAuth(ADMIN.username, 'shadow password')), 401)
    assert.equal(await secretStatus(server, adminAuth()), 200)
  })

  it('answers 400 for a body without a password', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users', json(adminAuth(), 'POST', { username: 'alice' }))
    await assertErrorBody(res, 400, 'VALIDATION_FAILED')
    assert.deepEqual(await listAll(server), DEMO_USERS)
  })
})

describe('POST /users with values of the wrong shape', () => {
  const cases: Array<{ name: string, body: unknown, fields: string[] }> = [
    { name: 'a numeric username', body: { username: 123, password: 'long enough password' }, fields: ['body.username'] },
    { name: 'a password that is too short', body: { username: 'mallory', password: 'short' }, fields: ['body.password'] },
    { name: 'a numeric password', body: { username: 'mallory', password: 12345678 }, fields: ['body.password'] },
    { name: 'a missing password', body: { username: 'mallory' }, fields: ['body.password'] },
    { name: 'a missing username', body: { password: 'long enough password' }, fields: ['body.username'] },
    { name: 'an extra field', body: { username: 'mallory', password: 'long enough password', admin: true }, fields: [] },
    { name: 'a username with a path in it', body: { username: '../etc/passwd', password: 'long enough password' }, fields: ['body.username'] },
    { name: 'a username with spaces and markup', body: { username: '<b>x</b> y', password: 'long enough password' }, fields: ['body.username'] },
    { name: 'a username too long', body: { username: 'a'.repeat(65), password: 'long enough password' }, fields: ['body.username'] },
    { name: 'an empty username', body: { username: '', password: 'long enough password' }, fields: ['body.username'] },
    { name: 'a password too long', body: { username: 'mallory', password: 'p'.repeat(1025) }, fields: ['body.password'] },
    { name: 'objects for strings', body: { username: { $ne: null }, password: ['long enough password'] }, fields: ['body.username', 'body.password'] },
    { name: 'an array', body: [{ username: 'mallory', password: 'long enough password' }], fields: [] },
    { name: 'a string', body: 'mallory', fields: [] },
    { name: 'null', body: null, fields: [] }
  ]
  for (const { name, body, fields } of cases) {
    it(`refuses ${name} with 400 and errors[]`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t)
      const res = await server.fetch('/users', { method: 'POST', headers: AS_ADMIN_JSON, body: JSON.stringify(body) })
      const error = await assertError(res, 400, 'VALIDATION_FAILED', true)
      for (const field of fields) assert.ok(fieldsOf(error).includes(field), `errors name ${field}: ${JSON.stringify(error.errors)}`)
      await assertUnchanged()
    })
  }

  it('names the unexpected property of an extra field', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users', {
      method: 'POST', headers: AS_ADMIN_JSON, body: JSON.stringify({ username: 'mallory', password: 'long enough password', isAdmin: true })
    })
    const error = await assertError(res, 400, 'VALIDATION_FAILED', true)
    assert.match(JSON.stringify(error.errors), /isAdmin/)
  })
})

describe('PATCH /users/:id', () => {
  it('lets a user change its own password: 200, the old one is refused, the new one works', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    const res = await server.fetch(`/users/${alice.id}`, json(alice.auth, 'PATCH', { password: 'alice password 2' }))
    assert.equal(res.status, 200)
    const body = await res.json() as User
    assert.deepEqual(body, { id: alice.id, username: 'alice', createdAt: body.createdAt })
    assertTimestamp(body.createdAt)
    assert.equal(await secretStatus(server, alice.auth), 401)
    assert.equal(await secretStatus(server, basicAuth('alice', 'alice password 2')), 200)
  })

  it('answers 403 to a user changing another user\'s password, which stays', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    const bob = await createUser(server, 'bob', 'bob password 1')
    const res = await server.fetch(`/users/${bob.id}`, json(alice.auth, 'PATCH', { password: 'taken over!' }))
    await assertErrorBody(res, 403, 'FORBIDDEN')
    assert.equal(await secretStatus(server, basicAuth('bob', 'taken over!')), 401)
    assert.equal(await secretStatus(server, bob.auth), 200)
  })

  it('lets the admin change anyone\'s password, even a demo user\'s', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/1', json(adminAuth(), 'PATCH', { password: 'john password 1' }))
    assert.equal(res.status, 200)
    const body = await res.json() as User
    assert.deepEqual(body, { id: 1, username: 'john', createdAt: body.createdAt })
    assert.equal(await secretStatus(server, basicAuth('john', 'john password 1')), 200)
  })

  it('answers 401 to an anonymous caller', async (t) => {
    const server = await startTestServer(t)
    await assertUnauthenticated(await server.fetch('/users/1', json(undefined, 'PATCH', { password: 'john password 1' })))
    assert.equal(await secretStatus(server, basicAuth('john', 'john password 1')), 401)
  })

  it('answers 404 to the admin for an unknown user', async (t) => {
    const server = await startTestServer(t)
    await assertNotFound(await server.fetch('/users/99', json(adminAuth(), 'PATCH', { password: 'nobody password' })), server, '/users/99', 'USER_NOT_FOUND')
  })
})

describe('PATCH /users/:id with values of the wrong shape', () => {
  const cases: Array<{ name: string, body: unknown }> = [
    { name: 'a numeric password', body: { password: 12345678 } },
    { name: 'a short password', body: { password: 'short' } },
    { name: 'no password', body: {} },
    { name: 'an extra username', body: { password: 'another long password', username: 'root' } }
  ]
  for (const { name, body } of cases) {
    it(`refuses ${name} with 400 and keeps the old password`, async (t) => {
      const server = await startTestServer(t)
      const user = await createUser(server, 'victim', 'the old password')
      const res = await server.fetch(`/users/${user.id}`, { method: 'PATCH', headers: AS_ADMIN_JSON, body: JSON.stringify(body) })
      await assertError(res, 400, 'VALIDATION_FAILED', true)
      const secrets = await server.fetch('/secrets', { headers: { authorization: user.auth } })
      assert.equal(secrets.status, 200)
    })
  }
})

describe('DELETE /users/:id', () => {
  it('deletes a user as the admin: 204, then 404', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/2', { method: 'DELETE', headers: { authorization: adminAuth() } })
    assert.equal(res.status, 204)
    assert.equal(await res.text(), '')
    await assertNotFound(await server.fetch('/users/2'), server, '/users/2', 'USER_NOT_FOUND')
    assert.deepEqual(await listAll(server), [DEMO_USERS[0], DEMO_USERS[2]])
    await assertNotFound(await server.fetch('/users/2', { method: 'DELETE', headers: { authorization: adminAuth() } }), server, '/users/2', 'USER_NOT_FOUND')
  })

  it('answers 404 for an unknown user', async (t) => {
    const server = await startTestServer(t)
    await assertNotFound(await server.fetch('/users/99', { method: 'DELETE', headers: { authorization: adminAuth() } }), server, '/users/99', 'USER_NOT_FOUND')
    assert.deepEqual(await listAll(server), DEMO_USERS)
  })

  it('answers 403 to a user, even for itself, and 401 to an anonymous caller', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    await assertErrorBody(await server.fetch('/users/1', { method: 'DELETE', headers: { authorization: alice.auth } }), 403, 'FORBIDDEN')
    await assertErrorBody(await server.fetch(`/users/${alice.id}`, { method: 'DELETE', headers: { authorization: alice.auth } }), 403, 'FORBIDDEN')
    await assertUnauthenticated(await server.fetch('/users/1', { method: 'DELETE' }))
    assert.deepEqual(await listAll(server), [...DEMO_USERS, { id: alice.id, username: 'alice' }])
  })
})
