import { strict as assert } from 'node:assert'
import { describe, it, type TestContext } from 'node:test'
import pino from 'pino'
import { adminAuth, JSON_TYPE, startTestServer, type TestServer } from '../helper.js'

/** What the conformance suite leaves unchecked: limits, error shapes and headers, the admin, the shared data. */

interface ConduitUser { email: string, token: string, username: string, bio: string | null, image: string | null }
interface ConduitArticle { slug: string, title: string, description: string, body: string, tagList: string[], createdAt: string, updatedAt: string, favorited: boolean, favoritesCount: number, author: { username: string, bio: string | null, image: string | null, following: boolean } }

const json = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit =>
  ({ method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

async function register (server: TestServer, username: string): Promise<{ user: ConduitUser, auth: Record<string, string> }> {
  const res = await server.fetch('/api/users', json('POST', { user: { username, email: `${username}@example.org`, password: 'password123' } }))
  assert.equal(res.status, 201)
  const { user } = await res.json() as { user: ConduitUser }
  return { user, auth: { authorization: `Token ${user.token}` } }
}

async function write (server: TestServer, auth: Record<string, string>, article: Record<string, unknown>): Promise<ConduitArticle> {
  const res = await server.fetch('/api/articles', json('POST', { article }, auth))
  assert.equal(res.status, 201, await res.clone().text())
  return (await res.json() as { article: ConduitArticle }).article
}

/** RealWorld's error: the status, JSON, the request id, and exactly `{"errors": expected}`. */
async function assertErrors (res: Response, status: number, expected: Record<string, string[]>): Promise<void> {
  const body = await res.text()
  assert.equal(res.status, status, body)
  assert.equal(res.headers.get('content-type'), JSON_TYPE)
  assert.match(res.headers.get('x-request-id') ?? '', /\S/)
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
  assert.deepEqual(JSON.parse(body), { errors: expected })
}

const started = (t: TestContext, overrides = {}) => startTestServer(t, overrides)

describe('errors under /api', () => {
  it('answers an unknown path 404, and a known one with another method 405 with Allow, in RealWorld\'s shape', async (t) => {
    const server = await started(t)
    const missing = await server.fetch('/api/nothing', { headers: { 'x-request-id': 'trace-42' } })
    await assertErrors(missing, 404, { path: ['not found'] })
    assert.equal(missing.headers.get('x-request-id'), 'trace-42')
    await assertErrors(await server.fetch('/api'), 404, { path: ['not found'] })
    const wrongMethod = await server.fetch('/api/tags', { method: 'DELETE' })
    assert.equal(wrongMethod.headers.get('allow'), 'GET, HEAD, OPTIONS')
    await assertErrors(wrongMethod, 405, { method: ['Method DELETE is not allowed here; allowed: GET, HEAD, OPTIONS'] })
  })

  it('answers a CORS preflight from another origin, as everywhere', async (t) => {
    const server = await started(t)
    const res = await server.fetch('/api/articles/some-slug', {
      method: 'OPTIONS',
      headers: { origin: 'https://conduit.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type' }
    })
    assert.equal(res.status, 204)
    assert.equal(res.headers.get('access-control-allow-origin'), '*')
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, HEAD, PUT, DELETE, OPTIONS')
    assert.equal(res.headers.get('access-control-allow-headers'), 'authorization, content-type')
    // and the answers themselves can be read by the frontend
    const list = await server.fetch('/api/articles', { headers: { origin: 'https://conduit.example' } })
    assert.equal(list.status, 200)
    assert.equal(list.headers.get('access-control-allow-origin'), '*')
  })

  it('says 401 "token is missing" without a credential, "is invalid" with a wrong one, and never challenges with Basic', async (t) => {
    const server = await started(t)
    const missing = await server.fetch('/api/user')
    await assertErrors(missing, 401, { token: ['is missing'] })
    assert.equal(missing.headers.get('www-authenticate'), 'Token realm="restful-api", Bearer realm="restful-api"')
    const wrong = await server.fetch('/api/articles', { headers: { authorization: 'Token not-a-token' } })
    await assertErrors(wrong, 401, { token: ['is invalid'] })
    assert.equal(wrong.headers.get('www-authenticate'), 'Token realm="restful-api", Bearer realm="restful-api", error="invalid_token"')
    await assertErrors(await server.fetch('/api/user', { headers: { authorization: 'Basic YWRtaW46d3Jvbmc=' } }), 401, { credentials: ['invalid'] })
  })

  it('checks the credential before the article: 401 comes before 404', async (t) => {
    const server = await started(t)
    await assertErrors(await server.fetch('/api/articles/no-such-slug', { method: 'DELETE' }), 401, { token: ['is missing'] })
  })

  it('names the body\'s problem: not JSON 400, not a JSON type 415, too large 413, no JSON answer acceptable 406', async (t) => {
    const server = await started(t, { jsonLimit: 2048 })
    await assertErrors(await server.fetch('/api/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":' }), 400, { body: ['is not valid JSON'] })
    const text = await server.fetch('/api/users', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' })
    assert.equal(text.headers.get('accept-post'), 'application/json')
    await assertErrors(text, 415, { 'content-type': ['Unsupported Media Type: text/plain; send one of application/json'] })
    const large = await server.fetch('/api/users', json('POST', { user: { username: 'x'.repeat(4096) } }))
    await assertErrors(large, 413, { body: ['Payload Too Large: the limit is 2048 bytes'] })
    await assertErrors(await server.fetch('/api/tags', { headers: { accept: 'text/html' } }), 406, { accept: ['must allow application/json'] })
  })

  it('takes an empty body with Content-Type: application/json as no body', async (t) => {
    const server = await started(t)
    const { auth } = await register(server, 'fan')
    const { auth: authorAuth } = await register(server, 'writer')
    const { slug } = await write(server, authorAuth, { title: 'Loved', description: 'd', body: 'b' })
    const res = await server.fetch(`/api/articles/${slug}/favorite`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' } })
    assert.equal(res.status, 200)
    assert.equal((await res.json() as { article: ConduitArticle }).article.favorited, true)
    // a body a route needs is still required
    await assertErrors(await server.fetch('/api/users', { method: 'POST', headers: { 'content-type': 'application/json' } }), 422, { body: ["can't be blank"] })
  })

  it('answers a failure inside 500 "server internal error", and logs it with the request\'s line', async (t) => {
    const lines: Array<Record<string, unknown>> = []
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>) } })
    const server = await startTestServer(t, {}, { logger })
    t.mock.method(server.app.repos.articles, 'tags', async () => { throw new Error('disk on fire') })
    const res = await server.fetch('/api/tags')
    await assertErrors(res, 500, { server: ['internal error'] })
    const requestId = res.headers.get('x-request-id')
    const failure = lines.find((line) => line.msg === 'request failed')
    assert.equal(failure?.requestId, requestId)
    assert.equal((failure?.err as { message?: string } | undefined)?.message, 'disk on fire')
    const request = lines.find((line) => line.msg === 'request' && line.requestId === requestId)
    assert.deepEqual([request?.method, request?.url, request?.status], ['GET', '/api/tags', 500])
  })
})

describe('the app-wide hooks under /api', () => {
  it('counts each request in the metrics by its route pattern, an unknown path as unmatched', async (t) => {
    const server = await started(t)
    await server.fetch('/api/tags')
    await server.fetch('/api/articles/no-such-slug')
    await server.fetch('/api/no/such/path')
    const metrics = await (await server.fetch('/metrics')).text()
    assert.match(metrics, /^http_requests_total\{route="\/api\/tags",method="GET",status="200"\} 1$/m)
    assert.match(metrics, /^http_requests_total\{route="\/api\/articles\/:slug",method="GET",status="404"\} 1$/m)
    assert.doesNotMatch(metrics, /no\/such\/path/)
  })

  it('answers past the request quota 429 with Retry-After, in RealWorld\'s shape', async (t) => {
    const server = await started(t, { rateLimit: 1 })
    assert.equal((await server.fetch('/api/tags')).status, 200)
    const limited = await server.fetch('/api/tags')
    assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/)
    assert.equal(limited.status, 429)
    const { errors } = await limited.json() as { errors: Record<string, string[]> }
    assert.deepEqual(Object.keys(errors), ['request'])
  })
})

describe('limits on what a client sends (422, naming each field)', () => {
  it('refuses users with a bad username, email or password, and over-long fields', async (t) => {
    const server = await started(t)
    const res = await server.fetch('/api/users', json('POST', { user: { username: 'no spaces', email: 'not-an-email', password: 'short7c' } }))
    await assertErrors(res, 422, { username: ['is invalid'], email: ['is invalid'], password: ['is too short (minimum is 8 characters)'] })
    const long = await server.fetch('/api/users', json('POST', { user: { username: 'u'.repeat(65), email: `${'e'.repeat(250)}@x.org`, password: 'p'.repeat(1025) } }))
    await assertErrors(long, 422, {
      username: ['is too long (maximum is 64 characters)', 'is invalid'],
      email: ['is too long (maximum is 254 characters)'],
      password: ['is too long (maximum is 1024 characters)']
    })
    const missing = await server.fetch('/api/users', json('POST', { user: { email: 'a@b.c' } }))
    await assertErrors(missing, 422, { username: ["can't be blank"], password: ["can't be blank"] })
  })

  it('refuses a bio over 2000 characters and an image that is not an http(s) URL up to 2048', async (t) => {
    const server = await started(t)
    const { auth } = await register(server, 'limited')
    await assertErrors(await server.fetch('/api/user', json('PUT', { user: { bio: 'b'.repeat(2001), image: 'javascript:alert(1)' } }, auth)), 422,
      { bio: ['is too long (maximum is 2000 characters)'], image: ['is invalid'] })
    await assertErrors(await server.fetch('/api/user', json('PUT', { user: { image: `https://example.org/${'i'.repeat(2030)}` } }, auth)), 422,
      { image: ['is too long (maximum is 2048 characters)'] })
    const fine = await server.fetch('/api/user', json('PUT', { user: { bio: 'b'.repeat(2000), image: 'http://example.org/me.png?size=2#top' } }, auth))
    assert.equal(fine.status, 200)
  })

  it('refuses articles past their limits: title 200, description 500, body 100000, 20 tags of 64', async (t) => {
    const server = await started(t)
    const { auth } = await register(server, 'verbose')
    const res = await server.fetch('/api/articles', json('POST', {
      article: { title: 't'.repeat(201), description: 'd'.repeat(501), body: 'b'.repeat(100_001), tagList: ['x'.repeat(65), ...Array.from({ length: 20 }, (_, i) => `t${i}`)] }
    }, auth))
    await assertErrors(res, 422, {
      title: ['is too long (maximum is 200 characters)'],
      description: ['is too long (maximum is 500 characters)'],
      body: ['is too long (maximum is 100000 characters)'],
      tagList: ['is too long (maximum is 64 characters)', 'has too many items (maximum is 20)']
    })
    const blank = await server.fetch('/api/articles', json('POST', { article: { title: '   ', description: 'd', body: 'b', tagList: [''] } }, auth))
    await assertErrors(blank, 422, { title: ["can't be blank"], tagList: ["can't be blank"] })
    const atLimits = await write(server, auth, { title: 't'.repeat(200), description: 'd'.repeat(500), body: 'b'.repeat(100_000), tagList: Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(64, 'x')) })
    assert.equal(atLimits.tagList.length, 20)
  })

  it('refuses text neither engine stores as sent (NUL, a lone surrogate) naming the field', async (t) => {
    const server = await started(t)
    const { auth } = await register(server, 'binary')
    const res = await server.fetch('/api/articles', json('POST', { article: { title: 'NUL', description: 'a\u0000b', body: 'x\uD800y' } }, auth))
    await assertErrors(res, 422, { description: ['is invalid'], body: ['is invalid'] })
  })

  it('refuses a comment over 10000 characters, and keeps one at the limit', async (t) => {
    const server = await started(t)
    const { auth } = await register(server, 'talker')
    const { slug } = await write(server, auth, { title: 'Talk', description: 'd', body: 'b' })
    await assertErrors(await server.fetch(`/api/articles/${slug}/comments`, json('POST', { comment: { body: 'c'.repeat(10_001) } }, auth)), 422,
      { body: ['is too long (maximum is 10000 characters)'] })
    assert.equal((await server.fetch(`/api/articles/${slug}/comments`, json('POST', { comment: { body: 'c'.repeat(10_000) } }, auth))).status, 201)
  })

  it('pages 20 articles by default, at most 100 (422 beyond), from offset 0', async (t) => {
    const server = await started(t)
    const { auth } = await register(server, 'prolific')
    for (let i = 0; i < 21; i++) await write(server, auth, { title: `Article ${i}`, description: 'd', body: 'b' })
    const page = await (await server.fetch('/api/articles?author=prolific')).json() as { articles: ConduitArticle[], articlesCount: number }
    assert.equal(page.articlesCount, 21)
    assert.deepEqual(page.articles.map((a) => a.title), Array.from({ length: 20 }, (_, i) => `Article ${20 - i}`))
    const last = await (await server.fetch('/api/articles?author=prolific&offset=20')).json() as { articles: ConduitArticle[] }
    assert.deepEqual(last.articles.map((a) => a.title), ['Article 0'])
    await assertErrors(await server.fetch('/api/articles?limit=101'), 422, { limit: ['must be less than or equal to 100'] })
    await assertErrors(await server.fetch('/api/articles?limit=0&offset=-1'), 422,
      { limit: ['must be greater than or equal to 1'], offset: ['must be greater than or equal to 0'] })
    await assertErrors(await server.fetch('/api/articles/feed?limit=ten', { headers: auth }), 422, { limit: ['must be an integer'] })
  })

  it('ignores keys it does not know, as frontends send back what they were given', async (t) => {
    const server = await started(t)
    const { user, auth } = await register(server, 'echoer')
    const res = await server.fetch('/api/user', json('PUT', { user: { ...user, id: 7, bio: 'Hi', createdAt: 'x' } }, auth))
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { user: { email: 'echoer@example.org', token: user.token, username: 'echoer', bio: 'Hi', image: null } })
    const article = await write(server, auth, { title: 'Echo', description: 'd', body: 'b', slug: 'chosen', author: 'someone' })
    assert.notEqual(article.slug, 'chosen')
    assert.equal(article.author.username, 'echoer')
  })
})

describe('users under /api', () => {
  it('stores text as sent: no HTML rewriting, the email in its own letter case (found in any case)', async (t) => {
    const server = await started(t)
    const res = await server.fetch('/api/users', json('POST', { user: { username: 'Mixed', email: 'Mixed.Case@Example.org', password: 'password123' } }))
    assert.equal(res.status, 201)
    const login = await server.fetch('/api/users/login', json('POST', { user: { email: 'mixed.case@example.ORG', password: 'password123' } }))
    assert.equal(login.status, 200)
    const { user } = await login.json() as { user: ConduitUser }
    assert.equal(user.email, 'Mixed.Case@Example.org')
    const html = '<script>alert("x")</script> & friends'
    const updated = await server.fetch('/api/user', json('PUT', { user: { bio: html } }, { authorization: `Token ${user.token}` }))
    assert.equal((await updated.json() as { user: ConduitUser }).user.bio, html)
  })

  it('refuses a username or email another user has, and the admin\'s name, 409', async (t) => {
    const server = await started(t)
    await register(server, 'first')
    const { auth } = await register(server, 'second')
    await assertErrors(await server.fetch('/api/user', json('PUT', { user: { username: 'first' } }, auth)), 409, { username: ['has already been taken'] })
    await assertErrors(await server.fetch('/api/user', json('PUT', { user: { email: 'FIRST@example.org' } }, auth)), 409, { email: ['has already been taken'] })
    await assertErrors(await server.fetch('/api/users', json('POST', { user: { username: 'admin', email: 'root@example.org', password: 'password123' } })), 409,
      { username: ['has already been taken'] })
  })

  it('counts a failed login towards the auth-failure limit: 429 with Retry-After once it is reached', async (t) => {
    const server = await started(t, { authFailureLimit: 2 })
    await register(server, 'forgetful')
    const attempt = () => server.fetch('/api/users/login', json('POST', { user: { email: 'forgetful@example.org', password: 'wrong password' } }))
    await assertErrors(await attempt(), 401, { credentials: ['invalid'] })
    await assertErrors(await attempt(), 401, { credentials: ['invalid'] })
    const limited = await attempt()
    assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/)
    await assertErrors(limited, 429, { request: ['Too Many Requests: too many failed authentications from this address'] })
    // the right password too, from this address, until the window has passed
    const right = await server.fetch('/api/users/login', json('POST', { user: { email: 'forgetful@example.org', password: 'password123' } }))
    assert.equal(right.status, 429)
  })

  it('takes a token from POST /tokens (Bearer) as a Conduit token, and gives it back as the user\'s', async (t) => {
    const server = await started(t)
    await register(server, 'both')
    const issued = await server.fetch('/tokens', { method: 'POST', headers: { authorization: `Basic ${Buffer.from('both:password123').toString('base64')}` } })
    assert.equal(issued.status, 201)
    const { token } = await issued.json() as { token: string }
    const res = await server.fetch('/api/user', { headers: { authorization: `Bearer ${token}` } })
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { user: { email: 'both@example.org', token, username: 'both', bio: null, image: null } })
  })
})

describe('sessions under /api', () => {
  it('logs out one device only: DELETE /tokens/current revokes the token it carries, the other login goes on', async (t) => {
    const server = await started(t)
    const { user } = await register(server, 'twodevices')
    const login = async () => {
      const res = await server.fetch('/api/users/login', json('POST', { user: { email: user.email, password: 'password123' } }))
      assert.equal(res.status, 200)
      return (await res.json() as { user: ConduitUser }).user.token
    }
    const phone = await login()
    const laptop = await login()
    assert.notEqual(phone, laptop)
    const out = await server.fetch('/tokens/current', { method: 'DELETE', headers: { authorization: `Token ${phone}` } })
    assert.equal(out.status, 204)
    await assertErrors(await server.fetch('/api/user', { headers: { authorization: `Token ${phone}` } }), 401, { token: ['is invalid'] })
    assert.equal((await server.fetch('/api/user', { headers: { authorization: `Token ${laptop}` } })).status, 200)
    assert.equal((await server.fetch('/api/user', { headers: { authorization: `Token ${user.token}` } })).status, 200)
  })

  it('lets a user made with POST /users log in at /api once it has an email', async (t) => {
    const server = await started(t)
    const made = await server.fetch('/users', json('POST', { username: 'tutorial', password: 'tutorial password' }, { authorization: adminAuth() }))
    assert.equal(made.status, 201)
    const basic = { authorization: `Basic ${Buffer.from('tutorial:tutorial password').toString('base64')}` }
    const before = await server.fetch('/api/users/login', json('POST', { user: { email: 'tutorial@example.org', password: 'tutorial password' } }))
    await assertErrors(before, 401, { credentials: ['invalid'] })
    const updated = await server.fetch('/api/user', json('PUT', { user: { email: 'tutorial@example.org' } }, basic))
    assert.equal(updated.status, 200, await updated.clone().text())
    const login = await server.fetch('/api/users/login', json('POST', { user: { email: 'tutorial@example.org', password: 'tutorial password' } }))
    assert.equal(login.status, 200)
    assert.equal((await login.json() as { user: ConduitUser }).user.username, 'tutorial')
  })
})

describe('the admin under /api', () => {
  it('has no user row: 403 "user forbidden" where one is needed', async (t) => {
    const server = await started(t)
    const { auth } = await register(server, 'someone')
    const { slug } = await write(server, auth, { title: 'Theirs', description: 'd', body: 'b' })
    const admin = { authorization: adminAuth() }
    for (const [method, path] of [['GET', '/api/user'], ['GET', '/api/articles/feed'], ['POST', '/api/profiles/someone/follow'], ['POST', `/api/articles/${slug}/favorite`]]) {
      await assertErrors(await server.fetch(path!, { method, headers: admin }), 403, { user: ['forbidden'] })
    }
    await assertErrors(await server.fetch(`/api/articles/${slug}/comments`, json('POST', { comment: { body: 'hi' } }, admin)), 403, { user: ['forbidden'] })
    // and reads as anyone does
    const read = await server.fetch(`/api/articles/${slug}`, { headers: admin })
    assert.equal(read.status, 200)
    assert.equal((await read.json() as { article: ConduitArticle }).article.favorited, false)
  })

  it('may change and delete any article, and any comment (the house rule)', async (t) => {
    const server = await started(t)
    const { auth } = await register(server, 'owner')
    const { slug } = await write(server, auth, { title: 'Owned', description: 'd', body: 'b' })
    const comment = await (await server.fetch(`/api/articles/${slug}/comments`, json('POST', { comment: { body: 'mine' } }, auth))).json() as { comment: { id: number } }
    const admin = { authorization: adminAuth() }
    const changed = await server.fetch(`/api/articles/${slug}`, json('PUT', { article: { body: 'moderated' } }, admin))
    assert.equal(changed.status, 200)
    assert.equal((await changed.json() as { article: ConduitArticle }).article.body, 'moderated')
    assert.equal((await server.fetch(`/api/articles/${slug}/comments/${comment.comment.id}`, { method: 'DELETE', headers: admin })).status, 204)
    assert.equal((await server.fetch(`/api/articles/${slug}`, { method: 'DELETE', headers: admin })).status, 204)
    await assertErrors(await server.fetch(`/api/articles/${slug}`), 404, { article: ['not found'] })
  })

  it('writes articles under its name, whose author profile has no bio, image or follower', async (t) => {
    const server = await started(t)
    const article = await write(server, { authorization: adminAuth() }, { title: 'From the admin', description: 'd', body: 'b' })
    assert.deepEqual(article.author, { username: 'admin', bio: null, image: null, following: false })
    await assertErrors(await server.fetch('/api/profiles/admin'), 404, { profile: ['not found'] })
  })
})

describe('one data model for both APIs', () => {
  it('shows an article written at /api at /articles, its description as the summary, and back', async (t) => {
    const server = await started(t)
    const { auth } = await register(server, 'shared')
    const created = await server.fetch('/api/articles', json('POST', { article: { title: 'Shared', description: 'The summary', body: 'Text', tagList: ['one'] } }, auth))
    assert.equal(created.status, 201)
    const { article } = await created.json() as { article: ConduitArticle }
    assert.equal(created.headers.get('location'), `/api/articles/${article.slug}`)
    const list = await (await server.fetch('/articles?author=shared', { headers: { accept: 'application/json' } })).json() as Array<{ id: number, title: string, summary?: string, body: string, author: string }>
    assert.equal(list.length, 1)
    assert.deepEqual({ title: list[0]!.title, summary: list[0]!.summary, body: list[0]!.body, author: list[0]!.author },
      { title: 'Shared', summary: 'The summary', body: 'Text', author: 'shared' })
    // a change through the tutorial's API (the author, with its Conduit token as Bearer)
    const patch = await server.fetch(`/articles/${list[0]!.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${auth.authorization!.slice('Token '.length)}`, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ summary: null })
    })
    assert.equal(patch.status, 200)
    const read = await (await server.fetch(`/api/articles/${article.slug}`)).json() as { article: ConduitArticle }
    assert.equal(read.article.description, '')
    assert.equal(read.article.slug, article.slug)
    assert.deepEqual(read.article.tagList, ['one'])
    assert.notEqual(read.article.updatedAt, article.updatedAt)
    // an editor sends back what it read: "" saves, and the article stays without a summary
    const saved = await server.fetch(`/api/articles/${article.slug}`, json('PUT', { article: { ...read.article, body: 'Edited' } }, auth))
    assert.equal(saved.status, 200, await saved.clone().text())
    assert.equal((await saved.json() as { article: ConduitArticle }).article.description, '')
    const tutorial = await (await server.fetch(`/articles/${list[0]!.id}`, { headers: { accept: 'application/json' } })).json() as { summary?: string, body: string }
    assert.deepEqual({ summary: tutorial.summary, body: tutorial.body }, { summary: undefined, body: 'Edited' })
    const tooLong = await server.fetch(`/api/articles/${article.slug}`, json('PUT', { article: { description: 'd'.repeat(501) } }, auth))
    await assertErrors(tooLong, 422, { description: ['is too long (maximum is 500 characters)'] })
  })

  it('renames the author of a user\'s articles when the user changes its name', async (t) => {
    const server = await started(t)
    const { auth } = await register(server, 'before')
    const { slug } = await write(server, auth, { title: 'Renamed', description: 'd', body: 'b' })
    assert.equal((await server.fetch('/api/user', json('PUT', { user: { username: 'after' } }, auth))).status, 200)
    const read = await (await server.fetch(`/api/articles/${slug}`)).json() as { article: ConduitArticle }
    assert.equal(read.article.author.username, 'after')
    const byAuthor = await (await server.fetch('/api/articles?author=after')).json() as { articlesCount: number }
    assert.equal(byAuthor.articlesCount, 1)
  })
})

describe('GET /openapi.json', () => {
  it('documents /api from its own schemas, each error in RealWorld\'s shape', async (t) => {
    const server = await started(t)
    const document = await (await server.fetch('/openapi.json')).json() as {
      paths: Record<string, Record<string, { tags: string[], summary: string, responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }> }>>
    }
    const paths = Object.keys(document.paths).filter((path) => path.startsWith('/api/'))
    assert.deepEqual(paths.sort(), [
      '/api/articles', '/api/articles/feed', '/api/articles/{slug}', '/api/articles/{slug}/comments', '/api/articles/{slug}/comments/{id}',
      '/api/articles/{slug}/favorite', '/api/profiles/{username}', '/api/profiles/{username}/follow', '/api/tags', '/api/user', '/api/users', '/api/users/login'
    ])
    const put = document.paths['/api/articles/{slug}']!.put!
    assert.deepEqual(put.tags, ['realworld: articles'])
    assert.ok(put.summary.length > 0)
    for (const status of ['401', '403', '404', '422']) {
      assert.ok(put.responses[status]?.content?.['application/json']?.schema.properties?.errors !== undefined, `PUT /api/articles/{slug} ${status}`)
    }
  })
})
