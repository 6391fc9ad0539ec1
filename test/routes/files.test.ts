import { strict as assert } from 'node:assert'
import { randomUUID } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { adminAuth, assertErrorBody, bearerFor, binaryWithNuls, createUser, startTestServer, type TestServer } from '../helper.js'
import { assertNotFound, assertTimestamp, assertUnauthenticated, nextLink, rawExchange, sendChunked, type RawReply } from '../http.js'

const MiB = 1024 * 1024

interface FileBody { key: string, contentType: string, size: number, etag: string, owner: string, lastModified: string }

/** The URL path of a key, each segment percent-encoded as a client must. */
const fileUrl = (key: string) => '/files/' + key.split('/').map(encodeURIComponent).join('/')

/** A strong entity tag: If-Range and byte ranges need one (RFC 9110 §8.8.3, §13.1.5). */
function assertStrongEtag (etag: string | null): string {
  assert.ok(etag !== null, 'an ETag')
  assert.match(etag, /^"[\x21\x23-\x7e\x80-\xff]*"$/)
  return etag
}

/** PUT as the admin unless told otherwise; `null` sends no credentials. */
function put (server: TestServer, key: string, body: Buffer | string, contentType: string, authorization: string | null = adminAuth(), headers: Record<string, string> = {}): Promise<Response> {
  const auth: Record<string, string> = authorization === null ? {} : { authorization }
  return server.fetch(fileUrl(key), { method: 'PUT', headers: { 'content-type': contentType, ...auth, ...headers }, body })
}

/** PUT that must succeed with `status`; checks the answer's headers and whole body. */
async function putOk (server: TestServer, key: string, body: Buffer | string, contentType: string, status: 200 | 201, owner: string, authorization = adminAuth()): Promise<FileBody> {
  const res = await put(server, key, body, contentType, authorization)
  const text = await res.text()
  assert.equal(res.status, status, text)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  const file = JSON.parse(text) as FileBody
  const etag = assertStrongEtag(res.headers.get('etag'))
  assertTimestamp(file.lastModified)
  assert.deepEqual(file, { key, contentType, size: Buffer.byteLength(body), etag, owner, lastModified: file.lastModified })
  if (status === 201) {
    const location = res.headers.get('location')
    assert.ok(location !== null, 'a 201 carries Location')
    const url = new URL(location, server.url)
    assert.equal(url.origin, server.url)
    assert.equal(url.search, '')
    assert.equal(decodeURIComponent(url.pathname), `/files/${key}`)
  }
  return file
}

interface Download { res: Response, bytes: Buffer }

async function download (server: TestServer, key: string, headers: Record<string, string> = {}): Promise<Download> {
  const res = await server.fetch(fileUrl(key), { headers })
  return { res, bytes: Buffer.from(await res.arrayBuffer()) }
}

/** GET answers 200 with exactly `bytes`, typed `contentType`, tagged `etag`. */
async function assertStored (server: TestServer, key: string, bytes: Buffer | string, contentType: string, etag?: string): Promise<void> {
  const { res, bytes: received } = await download(server, key)
  assert.equal(res.status, 200, received.toString('latin1').slice(0, 200))
  assert.equal(res.headers.get('content-type'), contentType)
  assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(bytes)))
  assert.equal(received.length, Buffer.byteLength(bytes))
  assert.ok(received.equals(Buffer.from(bytes)), 'the exact bytes stored')
  if (etag !== undefined) assert.equal(res.headers.get('etag'), etag)
}

async function assertMissing (server: TestServer, key: string): Promise<void> {
  await assertNotFound(await server.fetch(fileUrl(key)), server, fileUrl(key), 'FILE_NOT_FOUND')
}

async function listFiles (server: TestServer, query = ''): Promise<FileBody[]> {
  const res = await server.fetch(`/files?limit=100${query}`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('link'), null)
  return await res.json() as FileBody[]
}

const byKey = (a: FileBody, b: FileBody) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0

/** One request with the path exactly as given, not normalised. */
async function raw (server: TestServer, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawReply> {
  const framing = body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }
  const head = Object.entries({ Host: new URL(server.url).host, ...headers, ...framing, Connection: 'close' })
    .map(([name, value]) => `${name}: ${value}\r\n`).join('')
  return await rawExchange(server, Buffer.concat([Buffer.from(`${method} ${path} HTTP/1.1\r\n${head}\r\n`, 'utf8'), Buffer.from(body ?? '')]))
}

/** Every path under `dir`, `depth` levels deep, skipping `skip` names; unreadable folders are skipped. */
function pathsUnder (dir: string, depth: number, skip: ReadonlySet<string> = new Set()): string[] {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
  const paths: string[] = []
  for (const entry of entries) {
    if (skip.has(entry.name)) continue
    const path = join(dir, entry.name)
    paths.push(path)
    if (depth > 1 && entry.isDirectory() && !entry.isSymbolicLink()) paths.push(...pathsUnder(path, depth - 1, skip))
  }
  return paths
}

/** Paths anywhere a key could have escaped to that carry `marker` in their name. */
function pathsWith (server: TestServer, marker: string): string[] {
  const cwd = process.cwd()
  return [
    ...pathsUnder(cwd, 6, new Set(['node_modules', '.git'])),
    ...pathsUnder(dirname(cwd), 1),
    ...pathsUnder(tmpdir(), 2),
    ...pathsUnder(dirname(server.config.database), 2),
    ...pathsUnder('/', 1)
  ].filter((path) => path.includes(marker))
}

/** The 400 of a key that escapes: the API's JSON error; `code` '' when any layer may refuse it. */
async function assertBadKey (reply: RawReply, what: string, code = ''): Promise<void> {
  const { res } = reply
  assert.equal(res.status, 400, `${what}: ${reply.rest.toString('latin1').slice(0, 300)}`)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, what)
  const body = await res.json() as Record<string, unknown>
  assert.equal(body.status, 400, what)
  if (code === '') assert.equal(typeof body.code, 'string', what)
  else assert.equal(body.code, code, what)
  assert.equal(typeof body.message, 'string', what)
  assert.equal(body.requestId, res.headers.get('x-request-id'), what)
}

const TEN = '0123456789'

/** A server holding `/files/ten.txt`, the ten digits as text/plain. */
async function serverWithTen (t: Parameters<typeof startTestServer>[0]): Promise<{ server: TestServer, etag: string }> {
  const server = await startTestServer(t)
  const file = await putOk(server, 'ten.txt', TEN, 'text/plain', 201, 'admin')
  return { server, etag: file.etag }
}

describe('PUT /files/{key}', () => {
  it('stores random binary with NULs under a key of several segments and gives back the exact bytes and type', async (t) => {
    const server = await startTestServer(t)
    const bytes = binaryWithNuls(64 * 1024)
    const key = 'photos/2024/été à Paris/naïve café.bin'
    const file = await putOk(server, key, bytes, 'application/x-test-binary', 201, 'admin')
    assert.equal(file.size, 64 * 1024)
    await assertStored(server, key, bytes, 'application/x-test-binary', file.etag)
    // the URL as a client writes it, uppercase percent-encoding of UTF-8
    assert.equal(fileUrl(key), '/files/photos/2024/%C3%A9t%C3%A9%20%C3%A0%20Paris/na%C3%AFve%20caf%C3%A9.bin')
  })

  it('keeps keys with reserved and non-Latin characters apart and whole', async (t) => {
    const server = await startTestServer(t)
    const keys = ['日本語/ファイル 1.dat', 'q?&#+=;,.txt', '50%/off', 'a+b', 'a b', 'emoji/😀.png']
    const stored = new Map<string, Buffer>()
    for (const key of keys) {
      const bytes = binaryWithNuls(300)
      stored.set(key, bytes)
      await putOk(server, key, bytes, 'application/octet-stream', 201, 'admin')
    }
    for (const key of keys) await assertStored(server, key, stored.get(key)!, 'application/octet-stream')
    assert.deepEqual((await listFiles(server)).map((file) => file.key).sort(), [...keys].sort())
  })

  it('keeps the Content-Type exactly as sent, parameters included', async (t) => {
    const server = await startTestServer(t)
    const types: Array<[string, string]> = [
      ['a.txt', 'text/plain'],
      ['b.txt', 'text/plain; charset=iso-8859-1'],
      ['c.json', 'application/json'],
      ['d.svg', 'image/svg+xml'],
      ['e.bin', 'application/vnd.example.thing+octet; version=2']
    ]
    for (const [key, type] of types) await putOk(server, key, Buffer.from([0, 0xe9, 0xff, 0x41]), type, 201, 'admin')
    for (const [key, type] of types) await assertStored(server, key, Buffer.from([0, 0xe9, 0xff, 0x41]), type)
  })

  it('stores a JSON body verbatim, not parsed, even when it does not parse or is over the JSON limit', async (t) => {
    const server = await startTestServer(t)
    const broken = '{"not": json, "__proto__": {"x": 1}'
    await putOk(server, 'broken.json', broken, 'application/json', 201, 'admin')
    await assertStored(server, 'broken.json', broken, 'application/json')
    const spaced = '{ "a" :  1 }'
    await putOk(server, 'spaced.json', spaced, 'application/json', 201, 'admin')
    await assertStored(server, 'spaced.json', spaced, 'application/json')
    // the 1 MiB JSON limit is for API bodies, not for files
    const big = JSON.stringify({ pad: 'x'.repeat(2 * MiB) })
    await putOk(server, 'big.json', big, 'application/json', 201, 'admin')
    await assertStored(server, 'big.json', big, 'application/json')
  })

  it('stores an empty body', async (t) => {
    const server = await startTestServer(t)
    const file = await putOk(server, 'empty.bin', '', 'application/octet-stream', 201, 'admin')
    assert.equal(file.size, 0)
    await assertStored(server, 'empty.bin', '', 'application/octet-stream', file.etag)
  })

  it('answers 201 with Location for a new key, then 200 with a new ETag when replaced', async (t) => {
    const server = await startTestServer(t)
    const first = await putOk(server, 'docs/readme.txt', 'first version', 'text/plain', 201, 'admin')
    const res = await put(server, 'docs/readme.txt', binaryWithNuls(32), 'application/octet-stream')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('location'), null)
    const second = await res.json() as FileBody
    assert.notEqual(second.etag, first.etag)
    assert.equal(res.headers.get('etag'), second.etag)
    assert.deepEqual(second, { ...first, contentType: 'application/octet-stream', size: 32, etag: second.etag, lastModified: second.lastModified })
    assertTimestamp(second.lastModified)

    const again = await putOk(server, 'docs/readme.txt', 'third version', 'text/markdown', 200, 'admin')
    await assertStored(server, 'docs/readme.txt', 'third version', 'text/markdown', again.etag)
    assert.deepEqual(await listFiles(server), [again])
  })

  it('answers 412 and changes nothing when If-Match names an older version', async (t) => {
    const server = await startTestServer(t)
    const first = await putOk(server, 'a.txt', 'one', 'text/plain', 201, 'admin')
    const second = await putOk(server, 'a.txt', 'two', 'text/plain', 200, 'admin')
    const stale = await put(server, 'a.txt', 'three', 'text/plain', adminAuth(), { 'if-match': first.etag })
    await assertErrorBody(stale, 412, 'PRECONDITION_FAILED')
    await assertStored(server, 'a.txt', 'two', 'text/plain', second.etag)
    const current = await put(server, 'a.txt', 'three', 'text/plain', adminAuth(), { 'if-match': second.etag })
    assert.equal(current.status, 200)
    await assertStored(server, 'a.txt', 'three', 'text/plain')
  })

  it('answers a file with a Content-Type that is not a media type with 415 naming what it takes', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/files/weird', { method: 'PUT', headers: { authorization: adminAuth(), 'content-type': 'foo' }, body: 'zz' })
    const body = await assertErrorBody(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    assert.match(String(body.message), /any well-formed media type/)
    assert.equal(res.headers.get('accept-post'), null)
  })
})

describe('conditional changes of files', () => {
  const put = (server: Awaited<ReturnType<typeof startTestServer>>, key: string, headers: Record<string, string> = {}) =>
    server.fetch(`/files/${key}`, { method: 'PUT', headers: { authorization: adminAuth(), 'content-type': 'text/plain', ...headers }, body: 'v' })

  it('If-None-Match: * creates only: 201 for a new key, 412 once it exists', async (t) => {
    const server = await startTestServer(t)
    assert.equal((await put(server, 'once', { 'if-none-match': '*' })).status, 201)
    await assertErrorBody(await put(server, 'once', { 'if-none-match': '*' }), 412, 'PRECONDITION_FAILED')
  })

  it('If-Match on a key that does not exist is 412 and creates nothing', async (t) => {
    const server = await startTestServer(t)
    await assertErrorBody(await put(server, 'ghost', { 'if-match': '*' }), 412, 'PRECONDITION_FAILED')
    assert.equal((await server.fetch('/files/ghost')).status, 404)
  })

  it('If-Unmodified-Since before the last change is 412; If-Modified-Since at it is 304', async (t) => {
    const server = await startTestServer(t)
    const created = await put(server, 'dated')
    assert.equal(created.status, 201)
    await assertErrorBody(await put(server, 'dated', { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' }), 412, 'PRECONDITION_FAILED')
    const lastModified = (await server.fetch('/files/dated')).headers.get('last-modified') ?? ''
    const again = await server.fetch('/files/dated', { headers: { 'if-modified-since': lastModified } })
    assert.equal(again.status, 304)
  })
})

describe('GET /files/{key}', () => {
  it('serves the file with ETag, Last-Modified, Content-Length, Cache-Control and Accept-Ranges', async (t) => {
    const server = await startTestServer(t)
    const bytes = binaryWithNuls(1000)
    const file = await putOk(server, 'x/y.bin', bytes, 'application/octet-stream', 201, 'admin')
    const { res, bytes: received } = await download(server, 'x/y.bin')
    assert.equal(res.status, 200)
    assert.ok(received.equals(bytes))
    assert.equal(res.headers.get('etag'), file.etag)
    assert.equal(res.headers.get('last-modified'), new Date(file.lastModified).toUTCString())
    assert.equal(res.headers.get('content-length'), '1000')
    assert.ok((res.headers.get('cache-control') ?? '') !== '', 'a Cache-Control')
    assert.equal(res.headers.get('accept-ranges'), 'bytes')
  })

  it('forbids sniffing and sandboxes what it serves', async (t) => {
    const server = await startTestServer(t)
    const html = '<!doctype html><script>fetch("/secrets")</script>'
    await putOk(server, 'evil.html', html, 'text/html', 201, 'admin')
    await putOk(server, 'evil.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 'image/svg+xml', 201, 'admin')
    for (const [key, headers] of [['evil.html', {}], ['evil.svg', {}], ['evil.html', { range: 'bytes=0-9' }]] as const) {
      const { res } = await download(server, key, headers)
      assert.ok(res.status === 200 || res.status === 206, `${key}: ${res.status}`)
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
      const directives = (res.headers.get('content-security-policy') ?? '').split(';').map((d) => d.trim().split(/\s+/))
      const sandbox = directives.find((d) => d[0]?.toLowerCase() === 'sandbox')
      assert.ok(sandbox !== undefined, `a CSP sandbox on ${key}, got ${res.headers.get('content-security-policy')}`)
      // a bare sandbox: no scripts, no same origin
      assert.deepEqual(sandbox.slice(1).filter((token) => /allow-(scripts|same-origin)/i.test(token)), [])
    }
  })

  it('answers HEAD with the same headers as GET and no body', async (t) => {
    const server = await startTestServer(t)
    const bytes = binaryWithNuls(777)
    await putOk(server, 'h/é.bin', bytes, 'application/x-test-binary', 201, 'admin')
    const path = fileUrl('h/é.bin')
    const get = await raw(server, 'GET', path)
    const head = await raw(server, 'HEAD', path)
    assert.equal(get.res.status, 200)
    assert.equal(head.res.status, 200)
    assert.equal(head.rest.length, 0, 'no body after the headers of a HEAD')
    assert.ok(Buffer.from(await get.res.arrayBuffer()).equals(bytes))
    for (const name of ['content-type', 'content-length', 'etag', 'last-modified', 'cache-control', 'accept-ranges', 'content-security-policy', 'x-content-type-options']) {
      assert.ok(get.res.headers.get(name) !== null, `GET has ${name}`)
      assert.equal(head.res.headers.get(name), get.res.headers.get(name), name)
    }
    assert.equal(head.res.headers.get('content-length'), '777')
  })

  it('answers 304 with the ETag and no body to a matching If-None-Match, and 200 to a stale one', async (t) => {
    const server = await startTestServer(t)
    const first = await putOk(server, 'c.txt', 'cached', 'text/plain', 201, 'admin')
    for (const header of [first.etag, `W/${first.etag}`, `"other", ${first.etag}`, '*']) {
      const { res, bytes } = await download(server, 'c.txt', { 'if-none-match': header })
      assert.equal(res.status, 304, header)
      assert.equal(res.headers.get('etag'), first.etag)
      assert.equal(bytes.length, 0)
    }
    const second = await putOk(server, 'c.txt', 'changed', 'text/plain', 200, 'admin')
    const { res, bytes } = await download(server, 'c.txt', { 'if-none-match': first.etag })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('etag'), second.etag)
    assert.equal(bytes.toString(), 'changed')
  })

  it('answers 404 with the full URL for a missing key, on GET, HEAD and DELETE', async (t) => {
    const server = await startTestServer(t)
    await putOk(server, 'no/such', 'a folder is not a file', 'text/plain', 201, 'admin')
    const path = '/files/no/such%20file.txt'
    const res = await server.fetch(path)
    assert.equal(res.status, 404)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    assert.deepEqual(await res.json(), {
      status: 404,
      code: 'FILE_NOT_FOUND',
      message: `Not Found: ${server.url}${path}`,
      requestId: res.headers.get('x-request-id')
    })
    await assertMissing(server, 'no')
    await assertMissing(server, 'no/such/deeper')
    const head = await server.fetch(path, { method: 'HEAD' })
    assert.equal(head.status, 404)
    const del = await server.fetch(path, { method: 'DELETE', headers: { authorization: adminAuth() } })
    const body = await assertErrorBody(del, 404, 'FILE_NOT_FOUND')
    assert.equal(body.message, `Not Found: ${server.url}${path}`)
  })
})

describe('GET /files/{key} with Range', () => {
  const partial: Array<[string, string, string, string]> = [
    ['the first bytes', 'bytes=0-3', '0123', 'bytes 0-3/10'],
    ['a middle slice', 'bytes=2-5', '2345', 'bytes 2-5/10'],
    ['an open-ended range', 'bytes=5-', '56789', 'bytes 5-9/10'],
    ['a suffix range', 'bytes=-3', '789', 'bytes 7-9/10'],
    ['the last byte', 'bytes=9-9', '9', 'bytes 9-9/10'],
    ['a range whose end is beyond the size, clamped', 'bytes=4-100', '456789', 'bytes 4-9/10'],
    ['a suffix longer than the file, clamped', 'bytes=-20', TEN, 'bytes 0-9/10']
  ]
  for (const [what, range, body, contentRange] of partial) {
    it(`answers 206 with ${what} (${range})`, async (t) => {
      const { server, etag } = await serverWithTen(t)
      const { res, bytes } = await download(server, 'ten.txt', { range })
      assert.equal(res.status, 206)
      assert.equal(res.headers.get('content-range'), contentRange)
      assert.equal(res.headers.get('content-length'), String(body.length))
      assert.equal(res.headers.get('content-type'), 'text/plain')
      assert.equal(res.headers.get('etag'), etag)
      assert.equal(bytes.toString('latin1'), body)
    })
  }

  it('cuts exact binary ranges, NULs included', async (t) => {
    const server = await startTestServer(t)
    const bytes = binaryWithNuls(4096)
    await putOk(server, 'bin', bytes, 'application/octet-stream', 201, 'admin')
    for (const [range, start, end] of [['bytes=0-0', 0, 0], ['bytes=1000-2999', 1000, 2999], ['bytes=-1', 4095, 4095], ['bytes=2048-', 2048, 4095]] as const) {
      const { res, bytes: received } = await download(server, 'bin', { range })
      assert.equal(res.status, 206, range)
      assert.equal(res.headers.get('content-range'), `bytes ${start}-${end}/4096`)
      assert.ok(received.equals(bytes.subarray(start, end + 1)), range)
    }
  })

  for (const range of ['bytes=100-', 'bytes=10-', 'bytes=10-20']) {
    it(`answers 416 with Content-Range: bytes */10 to ${range} on a 10-byte file`, async (t) => {
      const { server } = await serverWithTen(t)
      const res = await server.fetch(fileUrl('ten.txt'), { headers: { range } })
      assert.equal(res.headers.get('content-range'), 'bytes */10')
      await assertErrorBody(res, 416, 'RANGE_NOT_SATISFIABLE')
    })
  }

  const whole: Array<[string, string]> = [
    ['several ranges', 'bytes=0-1,4-5'],
    ['several ranges with spaces', 'bytes=0-1, 4-5'],
    ['another unit', 'items=0-3'],
    ['a malformed range', 'bytes=abc']
  ]
  for (const [what, range] of whole) {
    it(`serves the whole file with 200 for ${what} (${range})`, async (t) => {
      const { server, etag } = await serverWithTen(t)
      const { res, bytes } = await download(server, 'ten.txt', { range })
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('content-range'), null)
      assert.equal(res.headers.get('content-length'), '10')
      assert.equal(res.headers.get('etag'), etag)
      assert.equal(bytes.toString(), TEN)
    })
  }

  it('serves the whole file with 200 when If-Range names a stale ETag, and the range when it is current', async (t) => {
    const server = await startTestServer(t)
    const old = await putOk(server, 'ten.txt', 'abcdefghij', 'text/plain', 201, 'admin')
    const current = await putOk(server, 'ten.txt', TEN, 'text/plain', 200, 'admin')
    const stale = await download(server, 'ten.txt', { range: 'bytes=0-3', 'if-range': old.etag })
    assert.equal(stale.res.status, 200)
    assert.equal(stale.res.headers.get('content-range'), null)
    assert.equal(stale.bytes.toString(), TEN)
    const fresh = await download(server, 'ten.txt', { range: 'bytes=0-3', 'if-range': current.etag })
    assert.equal(fresh.res.status, 206)
    assert.equal(fresh.res.headers.get('content-range'), 'bytes 0-3/10')
    assert.equal(fresh.bytes.toString(), '0123')
  })
})

describe('keys that escape', () => {
  // where fetch would normalise the URL, the request goes out raw
  const cases: Array<[string, (m: string) => string, string?]> = [
    ['a .. segment', (m) => `a/../${m}`],
    ['a leading .. segment', (m) => `../${m}`],
    ['only ..', () => '..'],
    ['many .. segments', (m) => `a/../../../../../../../../tmp/${m}`],
    ['a . segment', (m) => `a/./${m}`],
    ['only .', () => '.'],
    ['an empty segment', (m) => `a//${m}`],
    ['an empty first segment (absolute path)', (m) => `/tmp/${m}`],
    ['a trailing slash', (m) => `${m}/`],
    ['%2e%2e', (m) => `a/%2e%2e/${m}`],
    ['%2E%2E', (m) => `%2E%2E/${m}`],
    ['.%2e', (m) => `a/.%2e/${m}`],
    ['%2e', (m) => `a/%2e/${m}`],
    ['%2F', (m) => `a%2F..%2F..%2F${m}`],
    ['%2f', (m) => `a%2f${m}`],
    ['%5C', (m) => `..%5C${m}`],
    ['%5c', (m) => `a%5c${m}`],
    ['%00', (m) => `${m}%00.txt`],
    ['a raw backslash', (m) => `a\\..\\${m}`],
    ['another control character (%0A)', (m) => `a%0A${m}`],
    // refused before any route sees it: any 400 of the API will do
    ['bad percent-encoding', (m) => `a%E9${m}`, '']
  ]
  for (const [what, pathOf, code = 'INVALID_KEY'] of cases) {
    it(`refuses a key with ${what} with 400 on PUT, GET and DELETE, and stores nothing anywhere`, async (t) => {
      const server = await startTestServer(t)
      const marker = `escape-${randomUUID()}`
      const path = `/files/${pathOf(marker)}`
      const put = await raw(server, 'PUT', path, { Authorization: adminAuth(), 'Content-Type': 'text/plain' }, `written by ${marker}`)
      await assertBadKey(put, `PUT ${path}`, code)
      await assertBadKey(await raw(server, 'GET', path), `GET ${path}`, code)
      await assertBadKey(await raw(server, 'DELETE', path, { Authorization: adminAuth() }), `DELETE ${path}`, code)
      assert.deepEqual(await server.app.repos.files.list(100), [])
      assert.deepEqual(await listFiles(server), [])
      assert.deepEqual(pathsWith(server, marker), [])
    })
  }

  it('refuses a raw NUL in the path with a 400 JSON error', async (t) => {
    const server = await startTestServer(t)
    const put = await raw(server, 'PUT', '/files/a\u0000b', { Authorization: adminAuth(), 'Content-Type': 'text/plain' }, 'nul')
    await assertBadKey(put, 'PUT with a raw NUL')
    assert.deepEqual(await server.app.repos.files.list(100), [])
  })

  it('does not read another key through .. or an encoded slash', async (t) => {
    const server = await startTestServer(t)
    await putOk(server, 'secret.txt', 'top secret', 'text/plain', 201, 'admin')
    await putOk(server, 'a/b.txt', 'a b', 'text/plain', 201, 'admin')
    for (const path of ['/files/public/../secret.txt', '/files/public/%2e%2e/secret.txt', '/files/a%2Fb.txt', '/files/./secret.txt']) {
      const reply = await raw(server, 'GET', path)
      await assertBadKey(reply, `GET ${path}`, 'INVALID_KEY')
      assert.ok(!reply.rest.includes('top secret') && !reply.rest.includes('a b'), `${path} leaks nothing`)
    }
  })
})

describe('GET /files', () => {
  it('lists every file with key, type, size and ETag, and is empty at first', async (t) => {
    const server = await startTestServer(t)
    assert.deepEqual(await listFiles(server), [])
    const a = await putOk(server, 'a/one.bin', binaryWithNuls(10), 'application/octet-stream', 201, 'admin')
    const b = await putOk(server, 'b.txt', 'bee', 'text/plain', 201, 'admin')
    const list = await listFiles(server)
    assert.deepEqual([...list].sort(byKey), [a, b])
    for (const file of list) {
      const { res } = await download(server, file.key)
      assert.equal(res.headers.get('etag'), file.etag)
      assert.equal(res.headers.get('content-type'), file.contentType)
      assert.equal(res.headers.get('content-length'), String(file.size))
    }
  })

  it('lists only keys that start with the prefix, exactly, case and wildcards included', async (t) => {
    const server = await startTestServer(t)
    const keys = [
      'docs/a.txt', 'docs/b/c.txt', 'docs/é.txt', 'docs/z z.txt',
      'doc.txt', 'docs', 'docs.txt', 'docsx/a.txt', 'docs0', 'Docs/a.txt', 'DOCS/b.txt', 'img/docs/a.txt',
      'A1', 'Ab/c', 'a1', 'ab', 'á',
      'a_b', 'axb', 'a%b', 'a%', 'aab'
    ]
    const stored = new Map<string, FileBody>()
    for (const key of keys) stored.set(key, await putOk(server, key, key, 'text/plain', 201, 'admin'))
    const expect = (...matching: string[]) => matching.map((key) => stored.get(key)!).sort(byKey)
    const listed = async (prefix: string) => (await listFiles(server, `&prefix=${encodeURIComponent(prefix)}`)).sort(byKey)

    assert.deepEqual(await listed('docs/'), expect('docs/a.txt', 'docs/b/c.txt', 'docs/é.txt', 'docs/z z.txt'))
    assert.deepEqual(await listed('docs/b'), expect('docs/b/c.txt'))
    assert.deepEqual(await listed('docs'), expect('docs/a.txt', 'docs/b/c.txt', 'docs/é.txt', 'docs/z z.txt', 'docs', 'docs.txt', 'docsx/a.txt', 'docs0'))
    assert.deepEqual(await listed('Docs'), expect('Docs/a.txt'))
    assert.deepEqual(await listed('A'), expect('A1', 'Ab/c'))
    assert.deepEqual(await listed('a_'), expect('a_b'))
    assert.deepEqual(await listed('a%'), expect('a%b', 'a%'))
    assert.deepEqual(await listed('docs/a.txt'), expect('docs/a.txt'))
    assert.deepEqual(await listed('nothing'), [])
    assert.deepEqual(await listed(''), [...stored.values()].sort(byKey))
  })

  it('lists a key whose character after the prefix is the highest code point', async (t) => {
    const server = await startTestServer(t)
    const keys = ['p/\u{10FFFF}', 'p/\u{10FFFF}x', 'p/\u{FFFF}', 'p/a']
    const stored = keys.map(() => undefined as FileBody | undefined)
    for (const [i, key] of keys.entries()) stored[i] = await putOk(server, key, key, 'text/plain', 201, 'admin')
    const listed = await listFiles(server, `&prefix=${encodeURIComponent('p/')}`)
    assert.deepEqual(listed.map((file) => file.key).sort(), [...keys].sort())
    assert.deepEqual([...listed].sort(byKey), (stored as FileBody[]).sort(byKey))
  })

  it('pages with ?limit= and Link rel="next", keeping the prefix; following it walks every key once', async (t) => {
    const server = await startTestServer(t)
    const inside = ['img/a.png', 'img/b.png', 'img/c/d.png', 'img/é.png', 'img/z z.png']
    const outside = ['im', 'img.png', 'imgs/a.png', 'IMG/a.png', 'zzz']
    const stored: FileBody[] = []
    for (const key of [...outside, ...inside].sort(() => Math.random() - 0.5)) {
      const file = await putOk(server, key, `bytes of ${key}`, 'image/png', 201, 'admin')
      if (inside.includes(key)) stored.push(file)
    }

    const seen: FileBody[] = []
    const pageSizes: number[] = []
    let url: string | undefined = `${server.url}/files?prefix=img%2F&limit=2`
    while (url !== undefined) {
      assert.ok(pageSizes.length < 10, 'the walk ends')
      const res = await fetch(url)
      assert.equal(res.status, 200)
      const page = await res.json() as FileBody[]
      seen.push(...page)
      pageSizes.push(page.length)
      url = nextLink(res)
      if (url !== undefined) {
        assert.ok(url.startsWith(`${server.url}/files?`), `an absolute URL of /files, got ${url}`)
        const params = new URL(url).searchParams
        assert.equal(params.get('prefix'), 'img/')
        assert.equal(params.get('limit'), '2')
        assert.ok((params.get('after') ?? '') !== '', 'an ?after= cursor')
      }
    }
    assert.deepEqual(pageSizes, [2, 2, 1])
    assert.equal(new Set(seen.map((file) => file.key)).size, seen.length, 'no key twice')
    assert.deepEqual([...seen].sort(byKey), [...stored].sort(byKey))
  })

  it('gives no Link when the page holds the last key', async (t) => {
    const server = await startTestServer(t)
    for (const key of ['k/1', 'k/2', 'k/3']) await putOk(server, key, key, 'text/plain', 201, 'admin')
    const exact = await server.fetch('/files?prefix=k%2F&limit=3')
    assert.equal(exact.status, 200)
    assert.equal((await exact.json() as FileBody[]).length, 3)
    assert.equal(exact.headers.get('link'), null)
    const all = await server.fetch('/files?limit=100')
    assert.equal((await all.json() as FileBody[]).length, 3)
    assert.equal(all.headers.get('link'), null)
  })

  it('refuses a limit out of 1..100 and a cursor it did not issue with 400', async (t) => {
    const server = await startTestServer(t)
    await putOk(server, 'k', 'k', 'text/plain', 201, 'admin')
    await assertErrorBody(await server.fetch('/files?limit=0'), 400, 'VALIDATION_FAILED')
    await assertErrorBody(await server.fetch('/files?limit=101'), 400, 'VALIDATION_FAILED')
    await assertErrorBody(await server.fetch('/files?after=not-a-cursor'), 400, 'INVALID_CURSOR')
  })
})

describe('who may write /files', () => {
  it('answers 401 to an anonymous PUT and stores nothing', async (t) => {
    const server = await startTestServer(t)
    await assertUnauthenticated(await put(server, 'anon.txt', 'anonymous', 'text/plain', null))
    await assertMissing(server, 'anon.txt')
    assert.deepEqual(await server.app.repos.files.list(100), [])
  })

  it('answers 401 to an anonymous PUT or DELETE of an existing file and leaves it unchanged', async (t) => {
    const server = await startTestServer(t)
    const file = await putOk(server, 'kept.txt', 'kept', 'text/plain', 201, 'admin')
    await assertUnauthenticated(await put(server, 'kept.txt', 'overwritten', 'text/plain', null))
    await assertUnauthenticated(await server.fetch(fileUrl('kept.txt'), { method: 'DELETE' }))
    await assertStored(server, 'kept.txt', 'kept', 'text/plain', file.etag)
    assert.deepEqual(await listFiles(server), [file])
  })

  it('lets a user store and replace its own files, with Basic or a bearer token', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const first = await putOk(server, 'alice/cv.pdf', '%PDF-1 first', 'application/pdf', 201, 'alice', alice.auth)
    const bearer = await bearerFor(server, alice.auth)
    const second = await putOk(server, 'alice/cv.pdf', '%PDF-1 second', 'application/pdf', 200, 'alice', bearer)
    assert.notEqual(second.etag, first.etag)
    await assertStored(server, 'alice/cv.pdf', '%PDF-1 second', 'application/pdf', second.etag)
    await putOk(server, 'alice/new.txt', 'by token', 'text/plain', 201, 'alice', bearer)
  })

  it('answers 403 to another user replacing or deleting a file, and leaves it unchanged', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const bob = await createUser(server, 'bob')
    const bytes = binaryWithNuls(100)
    const file = await putOk(server, 'alice/photo.jpg', bytes, 'image/jpeg', 201, 'alice', alice.auth)

    await assertErrorBody(await put(server, 'alice/photo.jpg', 'bob was here', 'text/plain', bob.auth), 403, 'FORBIDDEN')
    await assertErrorBody(await server.fetch(fileUrl('alice/photo.jpg'), { method: 'DELETE', headers: { authorization: bob.auth } }), 403, 'FORBIDDEN')
    await assertStored(server, 'alice/photo.jpg', bytes, 'image/jpeg', file.etag)
    assert.deepEqual(await listFiles(server), [file])
  })

  it('answers 403 to a user replacing or deleting the admin\'s file', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const file = await putOk(server, 'site/logo.png', 'logo', 'image/png', 201, 'admin')
    await assertErrorBody(await put(server, 'site/logo.png', 'defaced', 'image/png', alice.auth), 403, 'FORBIDDEN')
    await assertErrorBody(await server.fetch(fileUrl('site/logo.png'), { method: 'DELETE', headers: { authorization: alice.auth } }), 403, 'FORBIDDEN')
    await assertStored(server, 'site/logo.png', 'logo', 'image/png', file.etag)
  })

  it('lets the owner delete its file: 204, then 404', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const other = await putOk(server, 'alice/keep.txt', 'keep', 'text/plain', 201, 'alice', alice.auth)
    await putOk(server, 'alice/gone.txt', 'gone', 'text/plain', 201, 'alice', alice.auth)
    const res = await server.fetch(fileUrl('alice/gone.txt'), { method: 'DELETE', headers: { authorization: alice.auth } })
    assert.equal(res.status, 204)
    assert.equal((await res.arrayBuffer()).byteLength, 0)
    await assertMissing(server, 'alice/gone.txt')
    assert.deepEqual(await listFiles(server), [other])
    const again = await server.fetch(fileUrl('alice/gone.txt'), { method: 'DELETE', headers: { authorization: alice.auth } })
    await assertErrorBody(again, 404, 'FILE_NOT_FOUND')
  })

  it('lets the admin replace and delete a user\'s file', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    await putOk(server, 'alice/a.txt', 'original', 'text/plain', 201, 'alice', alice.auth)
    const res = await put(server, 'alice/a.txt', 'moderated', 'text/plain')
    assert.equal(res.status, 200)
    await assertStored(server, 'alice/a.txt', 'moderated', 'text/plain', res.headers.get('etag') ?? undefined)
    const del = await server.fetch(fileUrl('alice/a.txt'), { method: 'DELETE', headers: { authorization: adminAuth() } })
    assert.equal(del.status, 204)
    await assertMissing(server, 'alice/a.txt')
    assert.deepEqual(await server.app.repos.files.list(100), [])
  })
})

describe('file size limit', () => {
  it('stores a file at the configured limit and refuses one byte more with 413, storing nothing', async (t) => {
    const server = await startTestServer(t, { bodyLimit: 1024 })
    const fits = await putOk(server, 'fits.bin', binaryWithNuls(1024), 'application/octet-stream', 201, 'admin')
    const res = await put(server, 'over.bin', binaryWithNuls(1025), 'application/octet-stream')
    await assertErrorBody(res, 413, 'PAYLOAD_TOO_LARGE')
    await assertMissing(server, 'over.bin')
    assert.deepEqual(await listFiles(server), [fits])
  })

  it('refuses to replace a file with one over the limit and keeps the old one', async (t) => {
    const server = await startTestServer(t, { bodyLimit: 1024 })
    const bytes = binaryWithNuls(10)
    const file = await putOk(server, 'keep.bin', bytes, 'application/octet-stream', 201, 'admin')
    await assertErrorBody(await put(server, 'keep.bin', binaryWithNuls(4096), 'application/octet-stream'), 413, 'PAYLOAD_TOO_LARGE')
    await assertStored(server, 'keep.bin', bytes, 'application/octet-stream', file.etag)
  })

  it('refuses a chunked body without Content-Length over the limit with 413 and stores nothing', async (t) => {
    const server = await startTestServer(t, { bodyLimit: 1024 })
    const res = await sendChunked(server, 'PUT', '/files/chunked.bin', { Authorization: adminAuth(), 'Content-Type': 'application/octet-stream' }, Buffer.alloc(256, 0), MiB)
    await assertErrorBody(res, 413, 'PAYLOAD_TOO_LARGE')
    await assertMissing(server, 'chunked.bin')
    assert.deepEqual(await server.app.repos.files.list(100), [])
  })

  it('stores a chunked body without Content-Length within the limit', async (t) => {
    const server = await startTestServer(t, { bodyLimit: 1024 })
    const chunk = binaryWithNuls(200)
    const res = await sendChunked(server, 'PUT', '/files/chunked.bin', { Authorization: adminAuth(), 'Content-Type': 'application/octet-stream' }, chunk, 1000)
    assert.equal(res.status, 201, await res.clone().text())
    await assertStored(server, 'chunked.bin', Buffer.concat(Array.from({ length: 5 }, () => chunk)), 'application/octet-stream')
  })

  it('stores 10 MiB by default and refuses 10 MiB and one byte with 413', async (t) => {
    const server = await startTestServer(t)
    const big = binaryWithNuls(10 * MiB)
    await putOk(server, 'ten-mib.bin', big, 'application/octet-stream', 201, 'admin')
    await assertStored(server, 'ten-mib.bin', big, 'application/octet-stream')
    await assertErrorBody(await put(server, 'too-big.bin', Buffer.alloc(10 * MiB + 1, 0x61), 'application/octet-stream'), 413, 'PAYLOAD_TOO_LARGE')
    await assertMissing(server, 'too-big.bin')
  })

  it('refuses a chunked body over the 10 MiB default with 413', async (t) => {
    const server = await startTestServer(t)
    const res = await sendChunked(server, 'PUT', '/files/huge.bin', { Authorization: adminAuth(), 'Content-Type': 'application/octet-stream' }, Buffer.alloc(64 * 1024, 0x61), 32 * MiB)
    await assertErrorBody(res, 413, 'PAYLOAD_TOO_LARGE')
    await assertMissing(server, 'huge.bin')
  })
})
