import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { XMLParser } from 'fast-xml-parser'
import { adminAuth, AS_ADMIN_JSON, assertError, JSON_TYPE, PROBLEM_TYPE, serverWithData, startTestServer, type TestServer, TEXT_TYPE, TEXT_XML_TYPE, XML_TYPE } from '../helper.js'
import { requestIdOf } from '../http.js'

const xml = new XMLParser({ ignoreDeclaration: true })

describe('Accept on the text endpoints', () => {
  const cases: Array<[string | undefined, 'text' | 'json']> = [
    [undefined, 'text'],
    ['*/*', 'text'],
    ['text/plain', 'text'],
    ['application/json', 'json'],
    ['application/*', 'json'],
    ['text/plain;q=0.5, application/json', 'json'],
    ['application/json;q=0.4, text/plain;q=0.8', 'text'],
    // the most specific range decides: text/plain gets 0.3 from text/*, JSON 0.5 from */*
    ['text/*;q=0.3, */*;q=0.5', 'json'],
    ['application/json;q=0, */*', 'text'],
    ['text/plain;q=0, */*;q=0.1', 'json']
  ]
  for (const [accept, expected] of cases) {
    it(`GET /hello answers ${expected} for Accept: ${accept ?? '(none)'}`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch('/hello', { headers: accept === undefined ? {} : { accept } })
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('vary'), 'Accept')
      if (expected === 'text') {
        assert.equal(res.headers.get('content-type'), TEXT_TYPE)
        assert.equal(await res.text(), 'Hello John Doe')
      } else {
        assert.equal(res.headers.get('content-type'), JSON_TYPE)
        assert.deepEqual(await res.json(), { message: 'Hello John Doe' })
      }
    })
  }

  it('GET /hello?name=Luis as JSON', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/hello?name=Luis', { headers: { accept: 'application/json' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(await res.json(), { message: 'Hello Luis' })
  })

  it('PUT /echo as JSON names the method without the newline of the text form', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/echo', { method: 'PUT', headers: { accept: 'application/json' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(await res.json(), { message: 'ECHO: PUT' })
  })

  it('GET /secrets as JSON for the admin', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/secrets', { headers: { accept: 'application/json', authorization: adminAuth() } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(await res.json(), { message: 'Shhh this is top secret spy stuff!' })
  })

  it('POST /messages replies in JSON with the new message\'s id and location', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/messages', {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'text/plain' },
      body: 'Hello Text'
    })
    assert.equal(res.status, 201)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    const location = res.headers.get('location')
    assert.match(location ?? '', /^\/messages\/\d+$/)
    const id = Number(location!.slice('/messages/'.length))
    assert.deepEqual(await res.json(), { message: 'Text Message: Hello Text', id, location })
  })

  it('GET / as JSON indexes the resources with absolute URLs that exist', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/', { headers: { accept: 'application/json' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    const body = await res.json() as { message: string, resources: Record<string, string> }
    assert.deepEqual(Object.keys(body).sort(), ['message', 'resources'])
    assert.equal(body.message, 'Welcome')
    const expected = ['hello', 'echo', 'messages', 'users', 'secrets', 'tokens', 'health', 'ready']
    assert.deepEqual(
      Object.fromEntries(expected.map((name) => [name, body.resources[name]])),
      Object.fromEntries(expected.map((name) => [name, `${server.url}/${name}`])))
    for (const [name, url] of Object.entries(body.resources)) {
      assert.ok(url.startsWith(`${server.url}/`), `${name}: ${url} is not an absolute URL of this server`)
      const target = await fetch(url)
      assert.notEqual(target.status, 404, `${name}: ${url} does not exist`)
    }
  })
})

describe('data representations', () => {
  it('GET /users/2 in application/xml carries the fields of the JSON form', async (t) => {
    const server = await startTestServer(t)
    const asJson = await (await server.fetch('/users/2')).json() as Record<string, unknown>
    const res = await server.fetch('/users/2', { headers: { accept: 'application/xml' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), XML_TYPE)
    assert.equal(res.headers.get('vary'), 'Accept')
    const text = await res.text()
    assert.match(text, /^<\?xml version="1\.0" encoding="UTF-8"\?>/)
    assert.deepEqual(xml.parse(text), { user: { id: 2, username: 'steve', createdAt: asJson.createdAt } })
  })

  it('GET /users in application/xml lists every user', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users', { headers: { accept: 'application/xml;q=0.9, application/json;q=0.5' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), XML_TYPE)
    assert.deepEqual(xml.parse(await res.text()), {
      users: {
        user: [
          { id: 1, username: 'john' },
          { id: 2, username: 'steve' },
          { id: 3, username: 'bill' }
        ]
      }
    })
  })

  it('GET /users defaults to JSON', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users', { headers: { accept: '*/*' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.equal(res.headers.get('vary'), 'Accept')
    assert.deepEqual(await res.json(), [
      { id: 1, username: 'john' },
      { id: 2, username: 'steve' },
      { id: 3, username: 'bill' }
    ])
  })

  it('GET /users as text/csv: a header row and CRLF line ends', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users', { headers: { accept: 'text/csv' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8')
    assert.equal(res.headers.get('vary'), 'Accept')
    assert.equal(await res.text(), 'id,username\r\n1,john\r\n2,steve\r\n3,bill\r\n')
  })
})

describe('text/xml, wherever application/xml is offered', () => {
  /** The body and Content-Type of a GET for an Accept. */
  async function get (server: TestServer, path: string, accept: string) {
    const res = await server.fetch(path, { headers: { accept } })
    assert.equal(res.status, 200, `${path} Accept: ${accept}`)
    assert.equal(res.headers.get('vary'), 'Accept')
    return { type: res.headers.get('content-type'), body: await res.text() }
  }

  it('GET /users/2 as text/xml: the body of application/xml, with its own Content-Type', async (t) => {
    const server = await startTestServer(t)
    const asApplicationXml = await get(server, '/users/2', 'application/xml')
    const asTextXml = await get(server, '/users/2', 'text/xml')
    assert.equal(asTextXml.type, TEXT_XML_TYPE)
    assert.equal(asTextXml.body, asApplicationXml.body)
    assert.match(asTextXml.body, /^<\?xml version="1\.0" encoding="UTF-8"\?>/)
    assert.equal((xml.parse(asTextXml.body) as { user: { username: string } }).user.username, 'steve')
  })

  it('GET /users as text/xml lists every user, as application/xml does', async (t) => {
    const server = await startTestServer(t)
    const asApplicationXml = await get(server, '/users', 'application/xml')
    const asTextXml = await get(server, '/users', 'text/xml')
    assert.equal(asTextXml.type, TEXT_XML_TYPE)
    assert.equal(asTextXml.body, asApplicationXml.body)
    assert.deepEqual(xml.parse(asTextXml.body), {
      users: { user: [{ id: 1, username: 'john' }, { id: 2, username: 'steve' }, { id: 3, username: 'bill' }] }
    })
  })

  it('HEAD /users/2 as text/xml says text/xml', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/2', { method: 'HEAD', headers: { accept: 'text/xml' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), TEXT_XML_TYPE)
    assert.equal(await res.text(), '')
  })

  const ties: Array<[string, string, string]> = [
    // a tie: application/xml is the server's preference, whatever order the client names them in
    ['/users/2', 'application/xml, text/xml', XML_TYPE],
    ['/users/2', 'text/xml, application/xml', XML_TYPE],
    ['/users', 'text/xml;q=0.8, application/xml;q=0.8', XML_TYPE],
    ['/users', 'application/*;q=0.5, text/xml;q=0.5', JSON_TYPE],
    ['/users/2', '*/*', JSON_TYPE],
    // the client's q-values decide
    ['/users/2', 'application/xml;q=0.5, text/xml', TEXT_XML_TYPE],
    ['/users', 'text/xml, application/json;q=0.9', TEXT_XML_TYPE],
    ['/users/2', 'application/xml;q=0, */*;q=0.1, application/json;q=0', TEXT_XML_TYPE],
    // text/* on a list stays CSV; on a single resource, text/xml is the one text type
    ['/users', 'text/*', 'text/csv; charset=utf-8'],
    ['/users/2', 'text/*', TEXT_XML_TYPE]
  ]
  for (const [path, accept, type] of ties) {
    it(`GET ${path} for Accept: ${accept} answers ${type}`, async (t) => {
      const server = await startTestServer(t)
      assert.equal((await get(server, path, accept)).type, type)
    })
  }

  it('is offered by every route that offers application/xml, as the OpenAPI document shows', async (t) => {
    const server = await startTestServer(t)
    const document = await (await server.fetch('/openapi.json')).json() as {
      paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, unknown> }> }>>
    }
    let withXml = 0
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          const types = Object.keys(response.content ?? {})
          if (!types.includes('application/xml') || !status.startsWith('2')) continue
          withXml++
          assert.ok(types.includes('text/xml'), `${method.toUpperCase()} ${path} ${status}: ${types.join(', ')}`)
        }
      }
    }
    assert.ok(withXml >= 10, `only ${withXml} responses offer XML`)
  })
})

describe('406 Not Acceptable', () => {
  it('GET /users/2 for Accept: text/html is a JSON 406', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/2', { headers: { accept: 'text/html' } })
    assert.equal(res.status, 406)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.equal(res.headers.get('vary'), 'Accept')
    assert.deepEqual(await res.json(), {
      status: 406,
      code: 'NOT_ACCEPTABLE',
      message: 'Not Acceptable: this resource is available as application/json, application/xml, text/xml',
      requestId: requestIdOf(res)
    })
  })

  it('GET /users for Accept: text/html is a 406 that names every type of a list, text/xml too', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users', { headers: { accept: 'text/html' } })
    assert.equal(res.status, 406)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(await res.json(), {
      status: 406,
      code: 'NOT_ACCEPTABLE',
      message: 'Not Acceptable: this resource is available as application/json, application/xml, text/csv, text/xml',
      requestId: requestIdOf(res)
    })
  })

  it('refusing both XML types with q=0 is a 406, not XML', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/2', { headers: { accept: 'application/xml;q=0, text/xml;q=0, text/html' } })
    assert.equal(res.status, 406)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
  })

  it('GET /users/2 as text/csv is a 406: only lists speak CSV', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/2', { headers: { accept: 'text/csv' } })
    assert.equal(res.status, 406)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    const body = await res.json() as Record<string, unknown>
    assert.equal(body.status, 406)
    assert.equal(body.requestId, requestIdOf(res))
  })

  it('GET /hello refusing both text and JSON with q=0 is a 406', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/hello', { headers: { accept: 'text/plain;q=0, application/json;q=0' } })
    assert.equal(res.status, 406)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(await res.json(), {
      status: 406,
      code: 'NOT_ACCEPTABLE',
      message: 'Not Acceptable: this resource is available as text/plain, application/json',
      requestId: requestIdOf(res)
    })
  })
})

describe('406 comes last', () => {
  it('a missing article asked for as problem+json is a 404 in problem+json, not a 406', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/articles/999', { headers: { accept: 'application/problem+json' } })
    assert.equal(res.status, 404)
    assert.equal(res.headers.get('content-type'), PROBLEM_TYPE)
    const body = await res.json() as Record<string, unknown>
    assert.equal(body.code, 'ARTICLE_NOT_FOUND')
    assert.equal(body.title, 'Not Found')
  })

  it('an article that exists, asked for as problem+json only, is a 406 in problem+json', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/articles/1', { headers: { accept: 'application/problem+json' } })
    assert.equal(res.status, 406)
    assert.equal(res.headers.get('content-type'), PROBLEM_TYPE)
    assert.equal((await res.json() as Record<string, unknown>).code, 'NOT_ACCEPTABLE')
  })

  it('an invalid body is a 400 before any 406, and a valid write that Accept refuses stores nothing', async (t) => {
    const server = await startTestServer(t)
    const headers = { accept: 'application/problem+json', authorization: adminAuth(), 'content-type': 'application/json' }
    const invalid = await server.fetch('/articles', { method: 'POST', headers, body: JSON.stringify({ title: '' }) })
    assert.equal(invalid.status, 400)
    assert.equal(invalid.headers.get('content-type'), PROBLEM_TYPE)
    const before = await (await server.fetch('/articles?limit=100')).json() as unknown[]
    const refused = await server.fetch('/articles', { method: 'POST', headers, body: JSON.stringify({ title: 't', body: 'b' }) })
    assert.equal(refused.status, 406)
    assert.deepEqual(await (await server.fetch('/articles?limit=100')).json(), before)
  })

  it('a missing credential is a 401 before any 406', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/messages', { headers: { accept: 'application/problem+json' } })
    assert.equal(res.status, 401)
    assert.equal(res.headers.get('content-type'), PROBLEM_TYPE)
  })
})

describe('error representations', () => {
  it('a client accepting only XML gets a 406 in XML', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/hello', { headers: { accept: 'application/xml' } })
    assert.equal(res.status, 406)
    assert.equal(res.headers.get('content-type'), XML_TYPE)
    assert.equal(res.headers.get('vary'), 'Accept')
    assert.deepEqual(xml.parse(await res.text()), {
      error: {
        status: 406,
        code: 'NOT_ACCEPTABLE',
        message: 'Not Acceptable: this resource is available as text/plain, application/json',
        requestId: requestIdOf(res)
      }
    })
  })

  it('a client accepting only XML gets a 404 in XML', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/4', { headers: { accept: 'application/xml' } })
    assert.equal(res.status, 404)
    assert.equal(res.headers.get('content-type'), XML_TYPE)
    assert.deepEqual(xml.parse(await res.text()), {
      error: { status: 404, code: 'USER_NOT_FOUND', message: `Not Found: ${server.url}/users/4`, requestId: requestIdOf(res) }
    })
  })

  it('a client accepting only XML gets a 405 in XML, with Allow', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/hello', { method: 'DELETE', headers: { accept: 'application/xml' } })
    assert.equal(res.status, 405)
    assert.equal(res.headers.get('allow'), 'GET, HEAD, OPTIONS')
    assert.equal(res.headers.get('content-type'), XML_TYPE)
    const body = xml.parse(await res.text()) as { error: Record<string, unknown> }
    assert.equal(body.error.status, 405)
    assert.equal(body.error.code, 'METHOD_NOT_ALLOWED')
    assert.equal(body.error.requestId, requestIdOf(res))
  })

  it('a validation error in XML lists its details', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users?limit=abc', { headers: { accept: 'application/xml' } })
    assert.equal(res.status, 400)
    assert.equal(res.headers.get('content-type'), XML_TYPE)
    const parser = new XMLParser({ ignoreDeclaration: true, isArray: (_name, jpath) => jpath === 'error.errors' })
    assert.deepEqual(parser.parse(await res.text()), {
      error: {
        status: 400,
        code: 'VALIDATION_FAILED',
        message: 'Invalid request: querystring.limit must be integer',
        requestId: requestIdOf(res),
        errors: [{ field: 'querystring.limit', message: 'must be integer' }]
      }
    })
  })

  it('a URL that is not validly percent-encoded is a JSON 400, not a 500', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/%zz')
    assert.equal(res.status, 400)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(await res.json(), {
      status: 400,
      code: 'BAD_URL',
      message: 'Bad Request: the URL is not validly percent-encoded',
      requestId: requestIdOf(res)
    })
  })

  it('a client preferring problem+json gets RFC 9457 fields with the usual ones', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/4', { headers: { accept: 'application/problem+json, application/json;q=0.9' } })
    assert.equal(res.status, 404)
    assert.equal(res.headers.get('content-type'), PROBLEM_TYPE)
    assert.equal(res.headers.get('vary'), 'Accept')
    const message = `Not Found: ${server.url}/users/4`
    assert.deepEqual(await res.json(), {
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: message,
      message,
      code: 'USER_NOT_FOUND',
      requestId: requestIdOf(res)
    })
  })

  it('an unknown path for a problem+json client is a problem document', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/nowhere?x=1', { headers: { accept: 'application/problem+json' } })
    assert.equal(res.status, 404)
    assert.equal(res.headers.get('content-type'), PROBLEM_TYPE)
    const message = `Not Found: ${server.url}/nowhere?x=1`
    assert.deepEqual(await res.json(), {
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: message,
      message,
      code: 'NOT_FOUND',
      requestId: requestIdOf(res)
    })
  })

  it('a client preferring JSON over problem+json gets plain JSON errors', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/4', { headers: { accept: 'application/json, application/problem+json;q=0.5' } })
    assert.equal(res.status, 404)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(await res.json(), {
      status: 404,
      code: 'USER_NOT_FOUND',
      message: `Not Found: ${server.url}/users/4`,
      requestId: requestIdOf(res)
    })
  })
})

describe('request bodies by media type', () => {
  const cases: Array<[string, string, string]> = [
    ['text/plain; charset=utf-8', 'Hello Text', 'Text Message: Hello Text'],
    ['Text/Plain; Charset=UTF-8', 'Hello Text', 'Text Message: Hello Text'],
    ['application/json; charset=utf-8', '{"message":"Hello Data"}', 'JSON Message: {"message": "Hello Data"}'],
    ['application/vnd.example.v2+json', '{"a":[1,2]}', 'JSON Message: {"a": [1, 2]}']
  ]
  for (const [contentType, body, reply] of cases) {
    it(`POST /messages reads ${contentType}`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': contentType }, body })
      assert.equal(res.status, 201)
      assert.equal(res.headers.get('content-type'), TEXT_TYPE)
      assert.equal(await res.text(), reply)
    })
  }

  it('POST /messages with JSON that does not parse is a 400', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"message":' })
    assert.equal(res.status, 400)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    const body = await res.json() as Record<string, unknown>
    assert.deepEqual(body, { status: 400, code: 'INVALID_JSON', message: body.message, requestId: requestIdOf(res) })
    assert.match(body.message as string, /^Invalid JSON/)
  })
})

describe('HEAD', () => {
  const paths = ['/', '/hello?name=Luis', '/users', '/users?limit=1', '/users/2', '/health', '/ready', '/secrets', '/users/4', '/nowhere']
  for (const path of paths) {
    it(`HEAD ${path} answers as GET does, without a body`, async (t) => {
      const server = await startTestServer(t)
      const get = await server.fetch(path)
      await get.arrayBuffer()
      const head = await server.fetch(path, { method: 'HEAD' })
      assert.equal(head.status, get.status)
      for (const name of ['content-type', 'content-length', 'vary', 'link', 'allow', 'www-authenticate', 'x-content-type-options']) {
        assert.equal(head.headers.get(name), get.headers.get(name), `${name} differs`)
      }
      requestIdOf(head)
      assert.equal(await head.text(), '')
    })
  }

  it('HEAD /users?limit=1 carries the Link to the next page', async (t) => {
    const server = await startTestServer(t)
    const head = await server.fetch('/users?limit=1', { method: 'HEAD' })
    assert.equal(head.status, 200)
    const link = head.headers.get('link')
    assert.match(link ?? '', new RegExp(`^<${server.url.replaceAll('.', '\\.')}/users\\?limit=1&after=[\\w-]+>; rel="next"$`))
  })
})

describe('an Accept header nothing can satisfy', () => {
  const cases: Array<[string, string]> = [
    ['/hello', 'image/png'],
    ['/', 'text/html'],
    ['/users', 'application/pdf'],
    ['/users/1', 'text/csv'],
    ['/users/1', 'application/json;q=0, text/html'],
    ['/health', 'text/plain']
  ]
  for (const [path, accept] of cases) {
    it(`answers GET ${path} with Accept: ${accept} with a 406 JSON error`, async (t) => {
      const server = await startTestServer(t)
      const res = await server.fetch(path, { headers: { accept } })
      await assertError(res, 406, 'NOT_ACCEPTABLE')
    })
  }

  it('answers POST /users with Accept: image/png with 406 and creates no user', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/users', {
      method: 'POST', headers: { ...AS_ADMIN_JSON, accept: 'image/png' }, body: '{"username": "mallory", "password": "long enough password"}'
    })
    await assertError(res, 406, 'NOT_ACCEPTABLE')
    await assertUnchanged()
  })

  it('answers POST /messages with Accept: image/png with 406 and stores nothing', async (t) => {
    const { server, assertUnchanged } = await serverWithData(t)
    const res = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'text/plain', accept: 'image/png' }, body: 'hi' })
    await assertError(res, 406, 'NOT_ACCEPTABLE')
    await assertUnchanged()
  })
})

describe('the representation of an error', () => {
  it('renders an error in the representation the client prefers by q-value', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/users/999', { headers: { accept: 'application/xml, application/json;q=0.5' } })
    assert.equal(res.status, 404)
    assert.match(res.headers.get('content-type') ?? '', /^application\/xml/)
    assert.match(await res.text(), /<code>USER_NOT_FOUND<\/code>/)
  })
})
