import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { get as httpGet, type IncomingHttpHeaders } from 'node:http'
import { describe, it } from 'node:test'
import FormData from 'form-data'
import { adminAuth, MESSAGE_TYPES, sha256, startTestServer, type TestServer, TEXT_TYPE } from './helper.js'
import { requestIdOf } from './http.js'

// What curl sends by itself: every tutorial request carries these, and nothing else unless the command says so.
const CURL = { accept: '*/*', 'user-agent': 'curl/8.5.0' }

/** fetch folds repeated headers into one; node:http keeps each line, to count challenges. */
function rawGet (url: string): Promise<{ status: number, headers: IncomingHttpHeaders, distinct: NodeJS.Dict<string[]>, body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers: CURL }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        distinct: res.headersDistinct,
        body: Buffer.concat(chunks).toString('utf8')
      }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

/** `curl -H "Content-type: TYPE" -X POST URL --data-binary BODY` */
async function postMessage (server: TestServer, contentType: string, body: string | Buffer): Promise<Response> {
  return await server.fetch('/messages', {
    method: 'POST',
    headers: { ...CURL, 'content-type': contentType },
    body: typeof body === 'string' ? body : new Uint8Array(body)
  })
}

async function createdId (res: Response): Promise<number> {
  const location = res.headers.get('location')
  assert.match(location ?? '', /^\/messages\/\d+$/)
  return Number(location!.slice('/messages/'.length))
}

describe('GET /', () => {
  it('answers Welcome as text', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/', { headers: CURL })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), TEXT_TYPE)
    requestIdOf(res)
    assert.equal(await res.text(), 'Welcome')
  })
})

describe('GET /hello', () => {
  it('greets John Doe without a name', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/hello', { headers: CURL })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), TEXT_TYPE)
    requestIdOf(res)
    assert.equal(await res.text(), 'Hello John Doe')
  })

  it('greets the name given in the query string', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/hello?name=Luis', { headers: CURL })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), TEXT_TYPE)
    requestIdOf(res)
    assert.equal(await res.text(), 'Hello Luis')
  })
})

describe('/echo', () => {
  for (const method of ['GET', 'POST', 'PATCH', 'PUT', 'DELETE']) {
    it(`names ${method} followed by a newline (curl -X ${method})`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch('/echo', { method, headers: CURL })
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('content-type'), TEXT_TYPE)
      requestIdOf(res)
      assert.equal(await res.text(), `ECHO: ${method}\n`)
    })
  }
})

describe('POST /messages', () => {
  it('answers a JSON message the way Python\'s json.dumps prints it', async (t) => {
    const server = await startTestServer(t)
    const res = await postMessage(server, 'application/json', '{"message":"Hello Data"}')
    assert.equal(res.status, 201)
    assert.equal(res.headers.get('content-type'), TEXT_TYPE)
    requestIdOf(res)
    await createdId(res)
    assert.equal(await res.text(), 'JSON Message: {"message": "Hello Data"}')
  })

  it('answers a text/plain message with its text', async (t) => {
    const server = await startTestServer(t)
    const res = await postMessage(server, 'text/plain', 'Hello Text')
    assert.equal(res.status, 201)
    assert.equal(res.headers.get('content-type'), TEXT_TYPE)
    requestIdOf(res)
    await createdId(res)
    assert.equal(await res.text(), 'Text Message: Hello Text')
  })

  it('stores an octet-stream body, and a second one never overwrites the first', async (t) => {
    const server = await startTestServer(t)
    const first = randomBytes(4096)
    const second = Buffer.concat([Buffer.from([0, 255, 0, 13, 10]), randomBytes(1000)])

    const res1 = await postMessage(server, 'application/octet-stream', first)
    assert.equal(res1.status, 201)
    assert.equal(res1.headers.get('content-type'), TEXT_TYPE)
    requestIdOf(res1)
    const id1 = await createdId(res1)
    assert.equal(await res1.text(), 'Binary message written!')

    const res2 = await postMessage(server, 'application/octet-stream', second)
    assert.equal(res2.status, 201)
    const id2 = await createdId(res2)
    assert.equal(await res2.text(), 'Binary message written!')
    assert.notEqual(id1, id2)

    for (const [id, bytes] of [[id1, first], [id2, second]] as const) {
      const content = await server.fetch(`/messages/${id}/content`, { headers: { authorization: adminAuth() } })
      assert.equal(content.status, 200)
      assert.equal(content.headers.get('content-type'), 'application/octet-stream')
      assert.deepEqual(Buffer.from(await content.arrayBuffer()), bytes)
    }
  })

  it('stores every field and file of a multipart form (curl -F)', async (t) => {
    const server = await startTestServer(t)
    const file = randomBytes(2048)
    const form = new FormData()
    form.append('note', 'Hello Form')
    form.append('file', file, { filename: 'message.bin', contentType: 'application/octet-stream' })
    const body = form.getBuffer()

    const res = await postMessage(server, form.getHeaders()['content-type'] as string, body)
    assert.equal(res.status, 201)
    assert.equal(res.headers.get('content-type'), TEXT_TYPE)
    requestIdOf(res)
    const id = await createdId(res)
    assert.equal(await res.text(), 'Multipart message written!')

    const meta = await server.fetch(`/messages/${id}`, { headers: { authorization: adminAuth() } })
    assert.equal(meta.status, 200)
    const message = await meta.json() as Record<string, unknown>
    assert.deepEqual(message, {
      id,
      contentType: form.getHeaders()['content-type'],
      size: body.length,
      sha256: sha256(body),
      owner: null,
      createdAt: message.createdAt,
      parts: [
        { name: 'note', filename: null, contentType: null, size: 10, sha256: sha256(Buffer.from('Hello Form')) },
        { name: 'file', filename: 'message.bin', contentType: 'application/octet-stream', size: file.length, sha256: sha256(file) }
      ]
    })
    assert.ok(!Number.isNaN(Date.parse(message.createdAt as string)))

    const content = await server.fetch(`/messages/${id}/content`, { headers: { authorization: adminAuth() } })
    assert.equal(content.status, 200)
    assert.deepEqual(Buffer.from(await content.arrayBuffer()), body)
  })

  it('refuses any other type with a 415 naming the four types in Accept-Post', async (t) => {
    const server = await startTestServer(t)
    const res = await postMessage(server, 'application/xml', '<message>Hello Data</message>')
    assert.equal(res.status, 415)
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(res.headers.get('accept-post'), MESSAGE_TYPES)
    const requestId = requestIdOf(res)
    assert.deepEqual(await res.json(), {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: `Unsupported Media Type: application/xml; send one of ${MESSAGE_TYPES}`,
      requestId
    })
  })

  it('refuses a body without a type with a 415 (curl -X POST, no data)', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/messages', { method: 'POST', headers: CURL })
    assert.equal(res.status, 415)
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(res.headers.get('accept-post'), MESSAGE_TYPES)
    const requestId = requestIdOf(res)
    const body = await res.json() as Record<string, unknown>
    assert.deepEqual(body, { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: body.message, requestId })
    assert.match(body.message as string, /^Unsupported Media Type: /)
  })
})

describe('GET /users/:id', () => {
  it('returns steve as a JSON user object', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/2', { headers: CURL })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    requestIdOf(res)
    const user = await res.json() as Record<string, unknown>
    assert.deepEqual(user, { id: 2, username: 'steve', createdAt: user.createdAt })
    assert.equal(typeof user.createdAt, 'string')
    assert.ok(!Number.isNaN(Date.parse(user.createdAt as string)))
  })

  it('answers an unknown id with the tutorial\'s 404 naming the full URL', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/4', { headers: CURL })
    assert.equal(res.status, 404)
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    const requestId = requestIdOf(res)
    assert.deepEqual(await res.json(), {
      status: 404,
      code: 'USER_NOT_FOUND',
      message: `Not Found: ${server.url}/users/4`,
      requestId
    })
  })
})

describe('GET /secrets', () => {
  it('challenges an anonymous caller with Basic and Bearer', async (t) => {
    const server = await startTestServer(t)
    const res = await rawGet(`${server.url}/secrets`)
    assert.equal(res.status, 401)
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    const challenges = res.distinct['www-authenticate'] ?? []
    assert.equal(challenges.length, 2, `two WWW-Authenticate lines, got ${JSON.stringify(challenges)}`)
    assert.match(challenges[0]!, /^Basic realm="[^"]+"/)
    assert.match(challenges[1]!, /^Bearer realm="[^"]+"/)
    const requestId = res.headers['x-request-id']
    assert.ok(typeof requestId === 'string' && requestId.length > 0)
    assert.deepEqual(JSON.parse(res.body), { status: 401, code: 'UNAUTHENTICATED', message: 'Authenticate.', requestId })
  })

  it('shows the secret to admin:secret (curl -u)', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/secrets', { headers: { ...CURL, authorization: 'Basic YWRtaW46c2VjcmV0' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), TEXT_TYPE)
    requestIdOf(res)
    assert.equal(await res.text(), 'Shhh this is top secret spy stuff!')
  })
})
