import { strict as assert } from 'node:assert'
import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { chromium, type Browser } from 'playwright-core'
import { adminAuth, bearerFor, startTestServer } from '../helper.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const OUTPUT = join(import.meta.dirname, '..', '..', 'test-output')
const missing = existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run does)`
if (missing !== undefined && process.env.CI === 'true') throw new Error(`CI needs the browser suite: ${missing}`)

async function launch (t: TestContext): Promise<Browser> {
  // the flags keep Chromium from calling home: on a closed network each call would fail and slow it
  const chromiumServer = await chromium.launchServer({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']
  })
  // killed when it does not close within 10 s: a Chromium left running would hold the suite open
  t.after(async () => {
    await Promise.race([chromiumServer.close(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
    if (chromiumServer.process().exitCode === null) await chromiumServer.kill()
  })
  return await chromium.connect(chromiumServer.wsEndpoint())
}

describe('the docs page in Chromium', { skip: missing }, () => {
  it('loads with no request leaving the machine, lists every operation, and tries GET /hello', { timeout: 60_000 }, async (t) => {
    const server = await startTestServer(t)
    const document = await (await server.fetch('/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> }
    const operations = Object.values(document.paths).reduce((n, methods) => n + Object.keys(methods).length, 0)

    const page = await (await launch(t)).newPage()
    const elsewhere: string[] = []
    page.on('request', (request) => {
      const url = request.url()
      if (!url.startsWith(server.url) && !url.startsWith('data:')) elsewhere.push(url)
    })
    await page.goto(`${server.url}/docs`)
    await page.waitForSelector('.opblock')
    assert.equal(await page.locator('.opblock').count(), operations)
    mkdirSync(OUTPUT, { recursive: true })
    await page.screenshot({ path: join(OUTPUT, 'docs-overview.png') })

    const hello = page.locator('.opblock', { has: page.locator('[data-path="/hello"]') }).first()
    await hello.locator('.opblock-summary').click()
    // "Try it out" is on from the start (tryItOutEnabled), so Execute is there at once
    await hello.locator('button.execute').click()
    // the server's answer, as the page shows it under "Response body"
    const answer = hello.locator('.live-responses-table tbody .response-col_description').first()
    await answer.waitFor()
    assert.match(await answer.innerText(), /Hello John Doe/)
    assert.equal((await hello.locator('.live-responses-table tbody .response-col_status').first().innerText()).trim(), '200')

    await answer.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(OUTPUT, 'docs-try-hello.png') })
    assert.deepEqual(elsewhere, [])
  })
})

describe('a page from another origin, in Chromium', { skip: missing }, () => {
  it('posts JSON with a bearer token, uploads multipart, and reads Link and ETag', { timeout: 60_000 }, async (t) => {
    const server = await startTestServer(t)
    const bearer = await bearerFor(server, adminAuth())
    // the other origin: a page on another port of the same host
    const site = createServer((_request, response) => { response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>client</title>') })
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    t.after(() => { site.closeAllConnections(); site.close() })
    const origin = `http://127.0.0.1:${(site.address() as { port: number }).port}`

    const page = await (await launch(t)).newPage()
    await page.goto(origin)
    const seen = await page.evaluate(async ({ api, bearer }) => {
      const created = await fetch(`${api}/articles`, {
        method: 'POST',
        headers: { authorization: bearer, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'From a browser', body: 'Sent across origins.' })
      })
      const form = new FormData()
      form.append('note', 'hi')
      form.append('file', new Blob([new Uint8Array([0, 1, 2, 3])], { type: 'application/octet-stream' }), 'four.bin')
      const uploaded = await fetch(`${api}/messages`, { method: 'POST', headers: { authorization: bearer }, body: form })
      const list = await fetch(`${api}/articles?limit=1`)
      const id = ((await created.clone().json()) as { id: number }).id
      const one = await fetch(`${api}/articles/${id}`)
      const denied = await fetch(`${api}/secrets`)
      return {
        created: created.status,
        location: created.headers.get('location'),
        createdEtag: created.headers.get('etag'),
        uploaded: uploaded.status,
        uploadedText: await uploaded.text(),
        link: list.headers.get('link'),
        etag: one.headers.get('etag'),
        requestId: one.headers.get('x-request-id'),
        denied: denied.status,
        deniedBody: await denied.json()
      }
    }, { api: server.url, bearer })

    assert.equal(seen.created, 201)
    assert.match(seen.location ?? '', /^\/articles\/\d+$/)
    assert.match(seen.createdEtag ?? '', /^"\d+-1"$/)
    assert.equal(seen.uploaded, 201)
    assert.equal(seen.uploadedText, 'Multipart message written!')
    assert.match(seen.link ?? '', /^<http:\/\/127\.0\.0\.1:\d+\/articles\?limit=1&after=[\w-]+>; rel="next"$/)
    assert.equal(seen.etag, seen.createdEtag)
    assert.match(seen.requestId ?? '', /^[\w-]+$/)
    // errors carry CORS headers too, or the page could not read them
    assert.equal(seen.denied, 401)
    assert.equal((seen.deniedBody as { message: string }).message, 'Authenticate.')
  })
})

describe('a RealWorld frontend on another origin, in Chromium', { skip: missing }, () => {
  it('registers, logs in, writes, favorites and comments through /api with a Token, and reads the errors', { timeout: 60_000 }, async (t) => {
    const server = await startTestServer(t)
    const site = createServer((_request, response) => { response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>conduit</title>') })
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    t.after(() => { site.closeAllConnections(); site.close() })
    const origin = `http://127.0.0.1:${(site.address() as { port: number }).port}`
    const page = await (await launch(t)).newPage()
    await page.goto(origin)
    // tsx names the inner functions of the evaluated code with a helper of its own, absent from the page
    await page.evaluate('globalThis.__name = (fn) => fn')
    // what a Conduit frontend's API helper does: JSON bodies, `Authorization: Token …` once logged in
    const seen = await page.evaluate(async ({ api }) => {
      const call = async (method: string, path: string, body?: unknown, token?: string) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (token !== undefined) headers.authorization = `Token ${token}`
        const res = await fetch(`${api}/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
        return { status: res.status, body: res.status === 204 ? null : await res.json() as Record<string, any> }
      }
      const registered = await call('POST', '/users', { user: { username: 'browser', email: 'browser@example.org', password: 'password123' } })
      const login = await call('POST', '/users/login', { user: { email: 'browser@example.org', password: 'password123' } })
      const token = login.body?.user.token as string
      const written = await call('POST', '/articles', { article: { title: 'From a frontend', description: 'across origins', body: 'Hello', tagList: ['web'] } }, token)
      const slug = written.body?.article.slug as string
      const favorited = await call('POST', `/articles/${slug}/favorite`, undefined, token)
      const commented = await call('POST', `/articles/${slug}/comments`, { comment: { body: 'First!' } }, token)
      const feedAnonymous = await call('GET', '/articles/feed')
      const taken = await call('POST', '/users', { user: { username: 'browser', email: 'other@example.org', password: 'password123' } })
      const removed = await call('DELETE', `/articles/${slug}`, undefined, token)
      return { registered: registered.status, login: login.status, written: written.status, favorited: favorited.body, commented: commented.status, feedAnonymous, taken, removed: removed.status }
    }, { api: server.url })
    assert.equal(seen.registered, 201)
    assert.equal(seen.login, 200)
    assert.equal(seen.written, 201)
    assert.equal(seen.favorited?.article.favorited, true)
    assert.equal(seen.favorited?.article.favoritesCount, 1)
    assert.equal(seen.commented, 201)
    // errors carry CORS headers too, so the page reads RealWorld's error body
    assert.deepEqual(seen.feedAnonymous, { status: 401, body: { errors: { token: ['is missing'] } } })
    assert.deepEqual(seen.taken, { status: 409, body: { errors: { username: ['has already been taken'] } } })
    assert.equal(seen.removed, 204)
  })
})
