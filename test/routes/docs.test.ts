import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { Validator } from '@seriousme/openapi-schema-validator'
import { startTestServer } from '../helper.js'

type Operation = {
  responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>
  requestBody?: { content: Record<string, unknown> }
  security?: unknown[]
  parameters?: Array<{ name: string, in: string }>
}
type Document = {
  openapi: string
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, { type: string, scheme: string }>, schemas: Record<string, unknown> }
}

async function fetchDocument (t: Parameters<typeof startTestServer>[0]) {
  const server = await startTestServer(t)
  const res = await server.fetch('/openapi.json')
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  return { server, document: await res.json() as Document }
}

/** `/users/:id(^\d{1,15}$)` → `/users/{id}`; the /files wildcard is the `key` parameter. */
const documentedPath = (url: string) => url.replace(/:(\w+)(\([^)]*\))?/g, '{$1}').replace(/\/\*$/, '/{key}')

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async (t) => {
    const { document } = await fetchDocument(t)
    assert.equal(document.openapi, '3.1.0')
    const result = await new Validator().validate(document as never)
    assert.deepEqual(result.errors ?? [], [], JSON.stringify(result.errors, null, 2))
    assert.equal(result.valid, true)
  })

  it('documents every registered route and method, the docs page too (not its assets)', async (t) => {
    const { server, document } = await fetchDocument(t)
    const routes = server.app.registeredRoutes.filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/docs/'))
    assert.ok(routes.some((r) => r.url === '/docs'))
    assert.ok(document.paths['/docs']?.get?.responses['200']?.content?.['text/html'] !== undefined)
    assert.equal(Object.keys(document.paths).filter((path) => path.startsWith('/docs')).join(), '/docs')
    assert.ok(routes.length >= 25, `only ${routes.length} routes seen`)
    const missing = routes.filter((r) => document.paths[documentedPath(r.url)]?.[r.method.toLowerCase()] === undefined)
    assert.deepEqual(missing, [])
  })

  it('declares both security schemes and requires them where the route does', async (t) => {
    const { document } = await fetchDocument(t)
    assert.deepEqual(document.components.securitySchemes.basicAuth?.scheme, 'basic')
    assert.deepEqual(document.components.securitySchemes.bearerAuth?.scheme, 'bearer')
    assert.deepEqual(document.paths['/secrets']?.get?.security, [{ basicAuth: [] }, { bearerAuth: [] }])
    // anonymous posting is allowed, and a credential is taken when sent
    assert.deepEqual(document.paths['/messages']?.post?.security, [{}, { basicAuth: [] }, { bearerAuth: [] }])
    assert.ok(document.paths['/secrets']?.get?.responses['401'] !== undefined)
  })

  it('lists every request media type, with the tutorial\'s example', async (t) => {
    const { document } = await fetchDocument(t)
    const messages = document.paths['/messages']?.post?.requestBody?.content as Record<string, { example?: unknown }>
    assert.deepEqual(Object.keys(messages).sort(), ['application/json', 'application/octet-stream', 'multipart/form-data', 'text/plain'])
    assert.deepEqual(messages['application/json']?.example, { message: 'Hello Data' })
    assert.deepEqual(messages['text/plain']?.example, 'Hello Text')
    const patch = document.paths['/articles/{id}']?.patch?.requestBody?.content ?? {}
    assert.deepEqual(Object.keys(patch).sort(), ['application/json', 'application/merge-patch+json'])
    assert.ok(document.paths['/files/{key}']?.put?.requestBody?.content['*/*'] !== undefined)
    assert.ok(document.paths['/files/{key}']?.get?.parameters?.some((p) => p.name === 'key' && p.in === 'path'))
  })

  it('gives every operation its error responses, with the error schema', async (t) => {
    const { document } = await fetchDocument(t)
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        assert.ok(operation.responses['500'] !== undefined, `${method} ${path} has no 500`)
        const schema = operation.responses['500']?.content?.['application/json']?.schema
        assert.deepEqual(schema, { $ref: '#/components/schemas/Error' }, `${method} ${path}`)
      }
    }
    const put = document.paths['/articles/{id}']?.put?.responses ?? {}
    assert.deepEqual(Object.keys(put).sort(), ['200', '400', '401', '403', '404', '406', '412', '413', '415', '429', '500', '503', '507'])
    assert.ok(document.paths['/files/{key}']?.get?.responses['206'] !== undefined)
    assert.ok(document.paths['/files/{key}']?.get?.responses['416'] !== undefined)
    assert.ok(document.paths['/articles/{id}']?.get?.responses['304'] !== undefined)
    // raw successes are documented too
    for (const path of ['/files/{key}', '/messages/{id}/content', '/metrics', '/openapi.json']) {
      assert.ok(document.paths[path]?.get?.responses['200'] !== undefined, `GET ${path} has no 200`)
    }
    assert.ok(document.paths['/users']?.post?.responses['409'] !== undefined)
  })

  it('documents the errors each route declares, none guessed from its URL', async (t) => {
    const { document } = await fetchDocument(t)
    const statuses = (path: string, method: 'get' | 'put' | 'post' | 'delete') => Object.keys(document.paths[path]?.[method]?.responses ?? {})
    assert.ok(statuses('/articles/{id}', 'get').includes('404'))
    assert.ok(!statuses('/articles/{id}', 'get').includes('403'), 'anyone may read an article')
    assert.ok(!statuses('/articles', 'get').includes('404'))
    assert.ok(statuses('/messages/{id}', 'delete').includes('403'))
    assert.ok(!statuses('/secrets', 'get').includes('404'))
    assert.ok(!statuses('/secrets', 'get').includes('403'), 'any authenticated principal may read the secret')
  })

  it('lists the representations each route negotiates', async (t) => {
    const { document } = await fetchDocument(t)
    assert.deepEqual(Object.keys(document.paths['/hello']?.get?.responses['200']?.content ?? {}), ['text/plain', 'application/json'])
    assert.deepEqual(Object.keys(document.paths['/articles']?.get?.responses['200']?.content ?? {}), ['application/json', 'application/xml', 'text/csv', 'text/xml'])
  })
})

describe('GET /docs', () => {
  it('serves the interactive reference from the project\'s own files, at /docs and /docs/', async (t) => {
    const server = await startTestServer(t)
    for (const path of ['/docs', '/docs/', '/docs/static/index.html']) {
      const page = await server.fetch(path)
      assert.equal(page.status, 200, path)
      assert.match(page.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/)
      const html = await page.text()
      assert.match(html, /<div id="swagger-ui">/)
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
      // every script and stylesheet is local: the page works with no internet
      assert.deepEqual(assets.filter((url) => /^[a-z]+:/i.test(url)), [], path)
      for (const asset of assets) {
        const res = await server.fetch(new URL(asset, server.url + path).pathname)
        assert.equal(res.status, 200, `${asset} of ${path}`)
        await res.arrayBuffer()
      }
      assert.ok(assets.some((url) => url.endsWith('/swagger-ui-bundle.js') || url === 'swagger-ui-bundle.js'))
    }
  })

  it('finds the document from the script\'s own URL, and names no remote validator', async (t) => {
    const server = await startTestServer(t)
    const script = await (await server.fetch('/docs/static/swagger-initializer.js')).text()
    const relative = /new URL\('([^']+)'/.exec(script)?.[1]
    assert.equal(new URL(relative ?? '', `${server.url}/docs/static/swagger-initializer.js`).pathname, '/openapi.json')
    assert.match(script, /validatorUrl: null/)
  })

  it('tags each file for revalidation (304), and answers 404 for any other name', async (t) => {
    const server = await startTestServer(t)
    const css = await server.fetch('/docs/static/swagger-ui.css')
    assert.equal(css.status, 200)
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/)
    assert.equal(css.headers.get('cache-control'), 'no-cache')
    const etag = css.headers.get('etag')
    assert.match(etag ?? '', /^"[\w-]+"$/)
    const again = await server.fetch('/docs/static/swagger-ui.css', { headers: { 'if-none-match': etag! } })
    assert.equal(again.status, 304)
    assert.equal(again.headers.get('etag'), etag)
    for (const name of ['nothing.js', 'package.json', '..%2Fpackage.json', 'constructor', 'index.js', 'swagger-ui-bundle.js.map']) {
      const res = await server.fetch(`/docs/static/${name}`)
      assert.equal(res.status, 404, name)
      assert.equal((await res.json() as { code: string }).code, 'NOT_FOUND')
    }
  })
})
