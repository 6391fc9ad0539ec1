import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import MultipartForm from 'form-data'
import { adminAuth, assertError, assertErrorBody, assertStillServing, binaryWithNuls, createUser, multipartBody, serverWithData, sha256, startTestServer, type TestServer } from '../helper.js'
import { assertNotFound, assertTimestamp, assertUnauthenticated, nextLink } from '../http.js'

interface Part { name: string, filename: string | null, contentType: string | null, size: number, sha256: string }
interface Message { id: number, contentType: string, size: number, sha256: string, owner: string | null, createdAt: string, parts: Part[] }

const MESSAGE_TYPES = ['text/plain', 'application/json', 'application/octet-stream', 'multipart/form-data']

interface Posted { id: number, res: Response, text: string }

/** POST /messages; the reply is read as text, the id taken from Location. */
async function postMessage (server: TestServer, body: Buffer | string, contentType: string, headers: Record<string, string> = {}): Promise<Posted> {
  const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': contentType, ...headers }, body })
  const text = await res.text()
  assert.equal(res.status, 201, text)
  const location = res.headers.get('location') ?? ''
  const match = /^\/messages\/(\d+)$/.exec(location)
  assert.ok(match !== null, `Location: /messages/{id}, got ${location}`)
  return { id: Number(match[1]), res, text }
}

async function getMetadata (server: TestServer, id: number, authorization = adminAuth()): Promise<Message> {
  const res = await server.fetch(`/messages/${id}`, { headers: { authorization } })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  const body = await res.json() as Message
  assertTimestamp(body.createdAt)
  return body
}

/** The stored bytes and their Content-Type, checked against what was sent. */
async function assertContent (server: TestServer, id: number, bytes: Buffer, contentType: string, authorization = adminAuth()): Promise<void> {
  const res = await server.fetch(`/messages/${id}/content`, { headers: { authorization } })
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), contentType)
  const received = Buffer.from(await res.arrayBuffer())
  assert.equal(received.length, bytes.length)
  assert.ok(received.equals(bytes), 'the exact bytes sent')
}

async function listIds (server: TestServer, authorization: string): Promise<number[]> {
  const res = await server.fetch('/messages?limit=100', { headers: { authorization } })
  assert.equal(res.status, 200)
  return (await res.json() as Message[]).map((m) => m.id)
}

describe('POST /messages', () => {
  it('stores a text/plain body and answers Text Message: <the text>', async (t) => {
    const server = await startTestServer(t)
    const bytes = Buffer.from('hello world')
    const posted = await postMessage(server, bytes, 'text/plain')
    assert.equal(posted.res.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.equal(posted.text, 'Text Message: hello world')

    const meta = await getMetadata(server, posted.id)
    assert.deepEqual(meta, {
      id: posted.id, contentType: 'text/plain', size: bytes.length, sha256: sha256(bytes), owner: null, createdAt: meta.createdAt, parts: []
    })
    await assertContent(server, posted.id, bytes, 'text/plain')
  })

  it('stores text/plain; charset=utf-8 with non-ASCII text, owned by the user who sent it', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    const text = 'héllo wörld ✓ 🚀\nsecond line'
    const bytes = Buffer.from(text, 'utf8')
    const posted = await postMessage(server, bytes, 'text/plain; charset=utf-8', { authorization: alice.auth })
    assert.equal(posted.text, `Text Message: ${text}`)

    const meta = await getMetadata(server, posted.id)
    assert.deepEqual(meta, {
      id: posted.id, contentType: 'text/plain; charset=utf-8', size: bytes.length, sha256: sha256(bytes), owner: 'alice', createdAt: meta.createdAt, parts: []
    })
    await assertContent(server, posted.id, bytes, 'text/plain; charset=utf-8')
    await assertContent(server, posted.id, bytes, 'text/plain; charset=utf-8', alice.auth)
  })

  it('stores a JSON body byte for byte and answers JSON Message: <the JSON>', async (t) => {
    const server = await startTestServer(t)
    const bytes = Buffer.from('{"message":"Hello Data","n":[1,2.5,true,null]}')
    const posted = await postMessage(server, bytes, 'application/json', { authorization: adminAuth() })
    assert.equal(posted.res.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.equal(posted.text, 'JSON Message: {"message": "Hello Data", "n": [1, 2.5, true, null]}')

    const meta = await getMetadata(server, posted.id)
    assert.deepEqual(meta, {
      id: posted.id, contentType: 'application/json', size: bytes.length, sha256: sha256(bytes), owner: 'admin', createdAt: meta.createdAt, parts: []
    })
    await assertContent(server, posted.id, bytes, 'application/json')
  })

  it('stores application/octet-stream bytes, NULs included, each message apart', async (t) => {
    const server = await startTestServer(t)
    const first = binaryWithNuls(4096)
    const second = binaryWithNuls(1000)
    const one = await postMessage(server, first, 'application/octet-stream')
    assert.equal(one.res.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.equal(one.text, 'Binary message written!')
    const two = await postMessage(server, second, 'application/octet-stream')
    assert.equal(two.text, 'Binary message written!')
    assert.notEqual(one.id, two.id)

    const meta = await getMetadata(server, one.id)
    assert.deepEqual(meta, {
      id: one.id, contentType: 'application/octet-stream', size: 4096, sha256: sha256(first), owner: null, createdAt: meta.createdAt, parts: []
    })
    // the second message did not overwrite the first
    await assertContent(server, one.id, first, 'application/octet-stream')
    await assertContent(server, two.id, second, 'application/octet-stream')
  })

  it('stores every field and file of a multipart/form-data body', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    const note = 'wörld ✓'
    const textFile = Buffer.from('alpha\nbeta\n')
    const binaryFile = binaryWithNuls(2048)
    const form = new MultipartForm()
    form.append('title', 'hello')
    form.append('note', note)
    form.append('first', textFile, { filename: 'a.txt', contentType: 'text/plain' })
    form.append('second', binaryFile, { filename: 'b.bin', contentType: 'application/octet-stream' })
    const bytes = form.getBuffer()
    const contentType = form.getHeaders()['content-type'] as string
    assert.match(contentType, /^multipart\/form-data; boundary=/)

    const posted = await postMessage(server, bytes, contentType, { authorization: alice.auth })
    assert.equal(posted.res.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.equal(posted.text, 'Multipart message written!')

    const meta = await getMetadata(server, posted.id)
    assert.deepEqual(meta, {
      id: posted.id,
      contentType,
      size: bytes.length,
      sha256: sha256(bytes),
      owner: 'alice',
      createdAt: meta.createdAt,
      parts: [
        { name: 'title', filename: null, contentType: null, size: 5, sha256: sha256('hello') },
        { name: 'note', filename: null, contentType: null, size: Buffer.byteLength(note), sha256: sha256(Buffer.from(note, 'utf8')) },
        { name: 'first', filename: 'a.txt', contentType: 'text/plain', size: textFile.length, sha256: sha256(textFile) },
        { name: 'second', filename: 'b.bin', contentType: 'application/octet-stream', size: binaryFile.length, sha256: sha256(binaryFile) }
      ]
    })
    await assertContent(server, posted.id, bytes, contentType)
  })

  it('answers JSON {message, id, location} when the client asks for it', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/messages', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', accept: 'application/json' },
      body: 'hello'
    })
    assert.equal(res.status, 201)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    const location = res.headers.get('location') ?? ''
    const id = Number(/^\/messages\/(\d+)$/.exec(location)?.[1])
    assert.ok(Number.isInteger(id), `Location: /messages/{id}, got ${location}`)
    assert.deepEqual(await res.json(), { message: 'Text Message: hello', id, location: `/messages/${id}` })
    await getMetadata(server, id)
  })

  it('answers 415 with Accept-Post for any other type, and stores nothing', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'text/html' }, body: '<p>hi</p>' })
    await assertErrorBody(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    const acceptPost = (res.headers.get('accept-post') ?? '').split(',').map((s) => s.trim())
    assert.deepEqual(acceptPost.sort(), [...MESSAGE_TYPES].sort())
    assert.deepEqual(await listIds(server, adminAuth()), [])
  })
})

describe('POST /messages with multipart/form-data', () => {
  it('stores a form with exactly the default 10 parts', async (t) => {
    const server = await startTestServer(t)
    const { body, contentType } = multipartBody(5, 5)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': contentType }, body })
    assert.equal(res.status, 201)
    assert.equal(await res.text(), 'Multipart message written!')
  })

  for (const [fields, files] of [[11, 0], [0, 11], [6, 5], [100, 100]] as const) {
    it(`refuses ${fields} fields and ${files} files (over the default 10 parts) with 413 and stores nothing`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t)
      const { body, contentType } = multipartBody(fields, files)
      const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': contentType }, body })
      await assertError(res, 413, 'TOO_MANY_PARTS')
      await assertUnchanged()
    })
  }

  it('follows the configured part limit', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t, { multipartParts: 2 })
    const { body, contentType } = multipartBody(2, 1)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': contentType }, body })
    await assertError(res, 413, 'TOO_MANY_PARTS')
    await assertUnchanged()
  })

  const valid = multipartBody(2, 1)
  const boundary = /boundary=(.+)$/.exec(valid.contentType)![1]!
  const malformed: Array<{ name: string, contentType: string, body: Buffer }> = [
    { name: 'no boundary parameter', contentType: 'multipart/form-data', body: valid.body },
    { name: 'an empty boundary', contentType: 'multipart/form-data; boundary=', body: valid.body },
    { name: 'a boundary the body does not use', contentType: 'multipart/form-data; boundary=not-the-one-in-the-body', body: valid.body },
    { name: 'a body cut before its closing delimiter', contentType: valid.contentType, body: valid.body.subarray(0, valid.body.length - boundary.length - 8) },
    { name: 'a body cut inside a part', contentType: valid.contentType, body: valid.body.subarray(0, Math.floor(valid.body.length / 2)) },
    { name: 'a body that is not multipart at all', contentType: valid.contentType, body: Buffer.from('just some text, no delimiters') },
    {
      name: 'a part without headers',
      contentType: 'multipart/form-data; boundary=xyz',
      body: Buffer.from('--xyz\r\n\r\nno content-disposition\r\n--xyz--\r\n')
    }
  ]
  for (const { name, contentType, body } of malformed) {
    it(`refuses ${name} with 400 and stores nothing`, async (t) => {
      const { server, assertUnchanged } = await serverWithData(t)
      const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': contentType }, body })
      await assertError(res, 400, 'INVALID_MULTIPART')
      // a parser error thrown after the answer (an unhandled 'error' event) fails this test
      await new Promise((resolve) => setTimeout(resolve, 50))
      await assertUnchanged()
      await assertStillServing(server)
    })
  }
})

describe('the JSON echo of POST /messages', () => {
  it('keeps numbers exactly as sent, as Python\'s json.dumps does for these', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1.0,"b":123456789012345678,"c":[ ],"d":"\\u00e9"}' })
    assert.equal(res.status, 201)
    assert.equal(await res.text(), 'JSON Message: {"a": 1.0, "b": 123456789012345678, "c": [], "d": "\\u00e9"}')
  })
})

describe('GET /messages', () => {
  it('answers 401 to an anonymous caller', async (t) => {
    const server = await startTestServer(t)
    await postMessage(server, 'hello', 'text/plain')
    await assertUnauthenticated(await server.fetch('/messages'))
  })

  it('shows a user only its own messages, and the admin all of them, newest first', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    const bob = await createUser(server, 'bob', 'bob password 1')
    const a1 = await postMessage(server, 'from alice 1', 'text/plain', { authorization: alice.auth })
    const b1 = await postMessage(server, 'from bob', 'text/plain', { authorization: bob.auth })
    const anon = await postMessage(server, 'from nobody', 'text/plain')
    const admin = await postMessage(server, 'from the admin', 'text/plain', { authorization: adminAuth() })
    const a2 = await postMessage(server, '{"from":"alice"}', 'application/json', { authorization: alice.auth })

    const res = await server.fetch('/messages', { headers: { authorization: alice.auth } })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    const list = await res.json() as Message[]
    assert.deepEqual(list, [
      await getMetadata(server, a2.id, alice.auth),
      await getMetadata(server, a1.id, alice.auth)
    ])
    assert.deepEqual(list.map((m) => m.owner), ['alice', 'alice'])
    assert.deepEqual(await listIds(server, bob.auth), [b1.id])
    assert.deepEqual(await listIds(server, adminAuth()), [a2.id, admin.id, anon.id, b1.id, a1.id])
  })

  it('pages newest first with Link rel="next"; following it walks every message once', async (t) => {
    const server = await startTestServer(t)
    const ids: number[] = []
    for (let i = 0; i < 5; i++) ids.push((await postMessage(server, `message ${i}`, 'text/plain')).id)
    const newestFirst = [...ids].reverse()

    const seen: number[] = []
    const pageSizes: number[] = []
    let url: string | undefined = `${server.url}/messages?limit=2`
    while (url !== undefined) {
      assert.ok(pageSizes.length < 10, 'the walk ends')
      const res = await fetch(url, { headers: { authorization: adminAuth() } })
      assert.equal(res.status, 200)
      const page = await res.json() as Message[]
      seen.push(...page.map((m) => m.id))
      pageSizes.push(page.length)
      url = nextLink(res)
      if (url !== undefined) assert.ok(url.startsWith(`${server.url}/messages?`), `absolute URL of /messages, got ${url}`)
    }
    assert.deepEqual(seen, newestFirst)
    assert.deepEqual(pageSizes, [2, 2, 1])
  })
})

describe('GET /messages/:id', () => {
  it('answers 403 to a user reading another user\'s or an anonymous message, which stays', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    const bob = await createUser(server, 'bob', 'bob password 1')
    const bobs = await postMessage(server, 'for bob only', 'text/plain', { authorization: bob.auth })
    const anon = await postMessage(server, 'from nobody', 'text/plain')
    for (const id of [bobs.id, anon.id]) {
      await assertErrorBody(await server.fetch(`/messages/${id}`, { headers: { authorization: alice.auth } }), 403, 'FORBIDDEN')
      await assertErrorBody(await server.fetch(`/messages/${id}/content`, { headers: { authorization: alice.auth } }), 403, 'FORBIDDEN')
      await getMetadata(server, id)
    }
    await assertContent(server, bobs.id, Buffer.from('for bob only'), 'text/plain', bob.auth)
  })

  it('answers 401 to an anonymous caller, even for an anonymous message', async (t) => {
    const server = await startTestServer(t)
    const anon = await postMessage(server, 'from nobody', 'text/plain')
    await assertUnauthenticated(await server.fetch(`/messages/${anon.id}`))
    await assertUnauthenticated(await server.fetch(`/messages/${anon.id}/content`))
  })

  it('answers 404 with the full URL for an unknown message', async (t) => {
    const server = await startTestServer(t)
    await assertNotFound(await server.fetch('/messages/99', { headers: { authorization: adminAuth() } }), server, '/messages/99', 'MESSAGE_NOT_FOUND')
    await assertNotFound(await server.fetch('/messages/99/content', { headers: { authorization: adminAuth() } }), server, '/messages/99/content', 'MESSAGE_NOT_FOUND')
  })
})

describe('DELETE /messages/:id', () => {
  it('lets the owner delete its message: 204, then 404', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    const kept = await postMessage(server, 'keep me', 'text/plain', { authorization: alice.auth })
    const gone = await postMessage(server, 'delete me', 'text/plain', { authorization: alice.auth })
    const res = await server.fetch(`/messages/${gone.id}`, { method: 'DELETE', headers: { authorization: alice.auth } })
    assert.equal(res.status, 204)
    assert.equal(await res.text(), '')
    await assertNotFound(await server.fetch(`/messages/${gone.id}`, { headers: { authorization: alice.auth } }), server, `/messages/${gone.id}`, 'MESSAGE_NOT_FOUND')
    await assertNotFound(await server.fetch(`/messages/${gone.id}`, { headers: { authorization: adminAuth() } }), server, `/messages/${gone.id}`, 'MESSAGE_NOT_FOUND')
    await assertNotFound(await server.fetch(`/messages/${gone.id}/content`, { headers: { authorization: adminAuth() } }), server, `/messages/${gone.id}/content`, 'MESSAGE_NOT_FOUND')
    assert.deepEqual(await listIds(server, alice.auth), [kept.id])
    await assertNotFound(await server.fetch(`/messages/${gone.id}`, { method: 'DELETE', headers: { authorization: alice.auth } }), server, `/messages/${gone.id}`, 'MESSAGE_NOT_FOUND')
  })

  it('answers 403 to a user deleting another user\'s or an anonymous message, which stays', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    const bob = await createUser(server, 'bob', 'bob password 1')
    const bobs = await postMessage(server, 'for bob only', 'text/plain', { authorization: bob.auth })
    const anon = await postMessage(server, 'from nobody', 'text/plain')
    for (const id of [bobs.id, anon.id]) {
      await assertErrorBody(await server.fetch(`/messages/${id}`, { method: 'DELETE', headers: { authorization: alice.auth } }), 403, 'FORBIDDEN')
      await getMetadata(server, id)
    }
    assert.deepEqual(await listIds(server, bob.auth), [bobs.id])
    await assertContent(server, bobs.id, Buffer.from('for bob only'), 'text/plain', bob.auth)
  })

  it('answers 401 to an anonymous caller', async (t) => {
    const server = await startTestServer(t)
    const anon = await postMessage(server, 'from nobody', 'text/plain')
    await assertUnauthenticated(await server.fetch(`/messages/${anon.id}`, { method: 'DELETE' }))
    await getMetadata(server, anon.id)
  })
})
