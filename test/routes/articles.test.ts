import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { XMLParser } from 'fast-xml-parser'
import { adminAuth, AS_ADMIN_JSON, assertError, assertErrorBody, bearerFor, createUser, JSON_TYPE, startTestServer, type TestServer, XML_TYPE } from '../helper.js'
import { assertTimestamp, assertUnauthenticated, nextLink } from '../http.js'

interface Article {
  id: number
  title: string
  summary?: string
  body: string
  author: string
  createdAt: string
  updatedAt: string
}

type Fields = Pick<Article, 'title' | 'body'> & { summary?: string }
type Stamped = Omit<Article, 'createdAt' | 'updatedAt'>

/** The sample articles of a new database, oldest first (src/db/migrations.ts). */
const DEMO_ARTICLES: Stamped[] = [
  { id: 1, author: 'john', title: 'Designing a RESTful Web API', summary: 'Resources, verbs and representations.', body: 'A resource is anything worth a URL. Clients act on resources with the HTTP methods: GET reads, POST creates, PUT replaces, PATCH changes and DELETE removes.' },
  { id: 2, author: 'steve', title: 'Status codes that mean something', body: 'Answer 201 with a Location for a new resource, 404 for one that does not exist, 409 for a conflict and 412 when a precondition fails.' },
  { id: 3, author: 'bill', title: 'Caching with ETags', summary: 'Conditional requests save bandwidth and lost updates.', body: 'Send If-None-Match to get 304 Not Modified for an unchanged article, and If-Match on PUT so that two editors cannot overwrite each other.' },
  { id: 4, author: 'john', title: 'Content negotiation', body: 'The Accept header chooses the representation: JSON by default, XML on request, and CSV for lists.' },
  { id: 5, author: 'steve', title: 'Paginating without offsets', summary: 'Keyset cursors keep deep pages as fast as the first.', body: 'An offset makes the database walk every skipped row; a cursor that remembers the last id seen lets it seek straight to the next page.' }
]

const CSV_TYPE = 'text/csv; charset=utf-8'
const MERGE_PATCH = 'application/merge-patch+json'
const UTC_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/
const STRONG_ETAG = /^"[^"]*"$/

const xml = new XMLParser({
  ignoreDeclaration: true,
  // every value as the text it was written as, so it compares with the JSON as strings
  parseTagValue: false,
  trimValues: false,
  isArray: (_name, jpath) => jpath === 'articles.article'
})

/** The article as stored, with the timestamps the service gave it (checked for shape). */
function stamped (expected: Stamped, actual: Article): Article {
  assertTimestamp(actual.createdAt, UTC_TIMESTAMP)
  assertTimestamp(actual.updatedAt, UTC_TIMESTAMP)
  return { ...expected, createdAt: actual.createdAt, updatedAt: actual.updatedAt }
}

function etagOf (res: Response): string {
  const etag = res.headers.get('etag')
  assert.ok(etag !== null, 'an ETag')
  assert.match(etag, STRONG_ETAG, 'a strong ETag')
  return etag
}

function assertVaryAccept (res: Response): void {
  assert.match(res.headers.get('vary') ?? '', /(^|,\s*)Accept(\s*,|$)/i)
}

const send = (authorization: string | undefined, method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: {
    'content-type': 'application/json',
    ...(authorization === undefined ? {} : { authorization }),
    ...headers
  },
  body: typeof body === 'string' ? body : JSON.stringify(body)
})

const remove = (authorization: string | undefined, headers: Record<string, string> = {}): RequestInit => ({
  method: 'DELETE',
  headers: { ...(authorization === undefined ? {} : { authorization }), ...headers }
})

async function create (server: TestServer, authorization: string, fields: Fields): Promise<{ article: Article, etag: string }> {
  const res = await server.fetch('/articles', send(authorization, 'POST', fields))
  assert.equal(res.status, 201, `creating ${fields.title}: ${res.status}`)
  const etag = etagOf(res)
  return { article: await res.json() as Article, etag }
}

async function read (server: TestServer, id: number): Promise<{ article: Article, etag: string }> {
  const res = await server.fetch(`/articles/${id}`)
  assert.equal(res.status, 200, `reading article ${id}`)
  const etag = etagOf(res)
  return { article: await res.json() as Article, etag }
}

async function listAll (server: TestServer, query = ''): Promise<Article[]> {
  const res = await server.fetch(`/articles?limit=100${query}`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('link'), null)
  return await res.json() as Article[]
}

/** Follows Link rel="next" from `path` and returns every page. */
async function walk (server: TestServer, path: string, between?: () => Promise<void>): Promise<Article[][]> {
  const pages: Article[][] = []
  let url: string | undefined = server.url + path
  while (url !== undefined) {
    assert.ok(pages.length < 50, 'the walk ends')
    assert.ok(url.startsWith(`${server.url}/articles?`), `an absolute URL of /articles, got ${url}`)
    const res = await fetch(url)
    assert.equal(res.status, 200)
    pages.push(await res.json() as Article[])
    url = nextLink(res)
    if (between !== undefined) await between()
  }
  return pages
}

const search = async (server: TestServer, q: string, extra = ''): Promise<Response> =>
  await server.fetch(`/articles?q=${encodeURIComponent(q)}${extra}`)

async function searchIds (server: TestServer, q: string, extra = ''): Promise<number[]> {
  const res = await search(server, q, extra)
  assert.equal(res.status, 200, `searching ${JSON.stringify(q)}: ${res.status}`)
  return (await res.json() as Article[]).map((a) => a.id)
}

async function assertValidationFailed (res: Response, field: string): Promise<void> {
  const body = await assertErrorBody(res, 400, 'VALIDATION_FAILED')
  const errors = body.errors as Array<{ field: string, message: string }>
  assert.ok(Array.isArray(errors) && errors.length > 0, 'errors[] lists the problems')
  for (const error of errors) {
    assert.equal(typeof error.field, 'string')
    assert.equal(typeof error.message, 'string')
  }
  assert.ok(errors.some((e) => e.field === field), `an error for ${field}, got ${JSON.stringify(errors)}`)
}

/** The article is exactly as it was: same representation, same tag, same stored version. */
async function assertUnchanged (server: TestServer, before: { article: Article, etag: string }): Promise<void> {
  const now = await read(server, before.article.id)
  assert.deepEqual(now.article, before.article)
  assert.equal(now.etag, before.etag)
}

/** RFC 4180: fields split on commas, records on CRLF, quoted fields may hold both and doubled quotes. */
function parseCsv (text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') {
        quoted = false
      } else {
        field += c
      }
    } else if (c === '"' && field === '') {
      quoted = true
    } else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else {
      field += c
    }
  }
  assert.ok(!quoted, 'no quoted field is left open')
  assert.equal(field, '', 'the last record ends with CRLF')
  assert.equal(row.length, 0, 'the last record ends with CRLF')
  return rows
}

const CSV_COLUMNS = ['id', 'title', 'summary', 'body', 'author', 'createdAt', 'updatedAt'] as const
const csvRecord = (a: Article): string[] => CSV_COLUMNS.map((c) => a[c] === undefined ? '' : String(a[c]))
const xmlRecord = (a: Article): Record<string, string> =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, String(v)]))

describe('GET /articles', () => {
  it('lists the five demo articles, newest first, with every field', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/articles')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.equal(res.headers.get('link'), null)
    assertVaryAccept(res)
    const articles = await res.json() as Article[]
    assert.equal(articles.length, 5)
    assert.deepEqual(articles, DEMO_ARTICLES.toReversed().map((a, i) => stamped(a, articles[i]!)))
  })

  it('is empty on a database started without demo data', async (t) => {
    const server = await startTestServer(t, { demoData: false })
    const res = await server.fetch('/articles')
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), [])
    assert.equal(res.headers.get('link'), null)
  })

  it('lists a new article first', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const { article } = await create(server, alice.auth, { title: 'Newest', body: 'Fresh.' })
    const articles = await listAll(server)
    assert.deepEqual(articles.map((a) => a.id), [article.id, 5, 4, 3, 2, 1])
    assert.deepEqual(articles[0], article)
  })

  it('defaults to 20 per page and links to the rest', async (t) => {
    const server = await startTestServer(t)
    for (let i = 1; i <= 16; i++) await create(server, adminAuth(), { title: `Article ${i}`, body: `Body ${i}` })
    const res = await server.fetch('/articles')
    assert.equal(res.status, 200)
    const page = await res.json() as Article[]
    assert.deepEqual(page.map((a) => a.id), Array.from({ length: 20 }, (_, i) => 21 - i))
    const link = nextLink(res)
    assert.ok(link !== undefined, 'a Link to the 21st article')
    const rest = await fetch(link)
    assert.deepEqual((await rest.json() as Article[]).map((a) => a.id), [1])
    assert.equal(rest.headers.get('link'), null)
  })

  it('pages with ?limit= and an absolute Link rel="next" that keeps the limit', async (t) => {
    const server = await startTestServer(t)
    const first = await server.fetch('/articles?limit=2')
    assert.equal(first.status, 200)
    assert.deepEqual((await first.json() as Article[]).map((a) => a.id), [5, 4])
    const link = nextLink(first)
    assert.ok(link !== undefined)
    assert.ok(link.startsWith(`${server.url}/articles?`), `absolute URL of /articles, got ${link}`)
    assert.equal(new URL(link).searchParams.get('limit'), '2')
    assert.ok((new URL(link).searchParams.get('after') ?? '') !== '', 'a cursor')

    const pages = await walk(server, '/articles?limit=2')
    assert.deepEqual(pages.map((p) => p.map((a) => a.id)), [[5, 4], [3, 2], [1]])
  })

  it('gives no Link when the page holds the last article', async (t) => {
    const server = await startTestServer(t)
    const exact = await server.fetch('/articles?limit=5')
    assert.equal((await exact.json() as Article[]).length, 5)
    assert.equal(exact.headers.get('link'), null)
  })

  it('walks the whole table exactly once while articles are being inserted', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    for (let i = 1; i <= 20; i++) await create(server, i % 2 === 0 ? alice.auth : adminAuth(), { title: `Seed ${i}`, body: `Seed body ${i}` })
    const before = await listAll(server)
    assert.equal(before.length, 25)

    let inserted = 0
    const insert = async () => {
      inserted++
      await create(server, adminAuth(), { title: `Inserted during the walk ${inserted}`, body: 'late' })
    }
    const seen: Article[] = []
    const pageSizes: number[] = []
    let url: string | undefined = `${server.url}/articles?limit=4`
    while (url !== undefined) {
      assert.ok(pageSizes.length < 50, 'the walk ends')
      // one insert before the fetch, one racing it
      await insert()
      const [res]: [Response, void] = await Promise.all([fetch(url), insert()])
      assert.equal(res.status, 200)
      const page = await res.json() as Article[]
      seen.push(...page)
      pageSizes.push(page.length)
      url = nextLink(res)
    }
    assert.ok(inserted >= 14, 'articles were inserted throughout the walk')
    const seenIds = seen.map((a) => a.id)
    assert.equal(new Set(seenIds).size, seenIds.length, `no duplicates: ${seenIds.join(',')}`)
    // every article of the start, once, in order; articles newer than the walk's start may not appear
    const startIds = new Set(before.map((a) => a.id))
    assert.deepEqual(seen.filter((a) => startIds.has(a.id)), before)
    assert.ok(pageSizes.every((n) => n <= 4), `pages of at most 4: ${pageSizes.join(',')}`)
    assert.equal(await server.app.repos.articles.findById(before[0]!.id + inserted) !== undefined, true)
  })

  it('keeps ?author= in the Link and walks only that author\'s articles', async (t) => {
    const server = await startTestServer(t)
    const pages = await walk(server, '/articles?author=steve&limit=1')
    assert.deepEqual(pages.map((p) => p.map((a) => [a.id, a.author])), [[[5, 'steve']], [[2, 'steve']]])
  })

  it('filters by ?author=', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const { article } = await create(server, alice.auth, { title: 'By alice', body: 'Hers.' })
    const mine = await listAll(server, '&author=alice')
    assert.deepEqual(mine, [article])
    const johns = await listAll(server, '&author=john')
    assert.deepEqual(johns.map((a) => [a.id, a.author]), [[4, 'john'], [1, 'john']])
    assert.deepEqual(await listAll(server, '&author=nobody'), [])
    // an exact name, not a prefix or a pattern
    assert.deepEqual(await listAll(server, '&author=jo'), [])
    assert.deepEqual(await listAll(server, '&author=%25'), [])
  })

  it('refuses a limit out of 1..100 or not an integer with 400', async (t) => {
    const server = await startTestServer(t)
    for (const limit of ['0', '101', '-1', 'abc', '1.5', '']) {
      await assertValidationFailed(await server.fetch(`/articles?limit=${limit}`), 'querystring.limit')
    }
    const hundred = await server.fetch('/articles?limit=100')
    assert.equal(hundred.status, 200)
  })

  it('refuses a cursor it did not issue with 400', async (t) => {
    const server = await startTestServer(t)
    for (const after of ['garbage', Buffer.from('"x"').toString('base64url'), Buffer.from('-5').toString('base64url'), Buffer.from('1e400').toString('base64url')]) {
      const res = await server.fetch(`/articles?after=${after}`)
      assert.equal(res.status, 400, `after=${after}`)
      await assertErrorBody(res, 400, 'INVALID_CURSOR')
    }
  })

  it('answers HEAD like GET, without a body', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/articles?limit=2', { method: 'HEAD' })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.ok(nextLink(res) !== undefined)
    assert.equal(await res.text(), '')
  })
})

describe('Link rel="next" and X-Forwarded-Host', () => {
  for (const trustProxy of [false, true]) {
    it(`builds the Link from the Host, never from X-Forwarded-Host (trustProxy ${trustProxy})`, async (t) => {
      const server = await startTestServer(t, { trustProxy })
      const res = await server.fetch('/articles?limit=1', {
        headers: { 'x-forwarded-host': 'evil.example', forwarded: 'host=evil.example' }
      })
      assert.equal(res.status, 200)
      const link = nextLink(res)
      assert.ok(link !== undefined)
      assert.ok(!link.includes('evil.example'), `a Link not pointing at the forwarded host: ${link}`)
      assert.equal(new URL(link).host, new URL(server.url).host)
      assert.equal(new URL(link).pathname, '/articles')
    })
  }
})

describe('GET /articles?q=', () => {
  /**
   * A body-only match created first, so that only the rank, not the id, can put
   * the title match first; its body says quokka more often, so that only a
   * title weighing more than the body can.
   */
  async function animals (server: TestServer) {
    const alice = await createUser(server, 'alice')
    const bodyOnly = (await create(server, adminAuth(), { title: 'Animals of the world', body: 'The quokka smiles at visitors: quokka, quokka!' })).article
    const inTitle = (await create(server, alice.auth, {
      title: 'Quokka photography on an island off the western coast',
      body: 'Cameras, lenses and a great deal of patience are needed before the animals come close enough for a portrait.'
    })).article
    return { alice, bodyOnly, inTitle }
  }

  it('ranks a title match above a body-only match', async (t) => {
    const server = await startTestServer(t)
    const { bodyOnly, inTitle } = await animals(server)
    const res = await search(server, 'quokka')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assert.deepEqual(await res.json(), [inTitle, bodyOnly])
  })

  it('matches words by prefix, case-insensitively', async (t) => {
    const server = await startTestServer(t)
    const { bodyOnly, inTitle } = await animals(server)
    assert.deepEqual(await searchIds(server, 'quok'), [inTitle.id, bodyOnly.id])
    assert.deepEqual(await searchIds(server, 'QUOKKA'), [inTitle.id, bodyOnly.id])
    assert.deepEqual(await searchIds(server, 'photo'), [inTitle.id])
    assert.deepEqual(await searchIds(server, 'pagin'), [5])
    assert.deepEqual(await searchIds(server, 'etag'), [3])
    // a prefix matches the start of a word, not its middle
    assert.deepEqual(await searchIds(server, 'okka'), [])
  })

  it('requires every word (AND)', async (t) => {
    const server = await startTestServer(t)
    const { bodyOnly, inTitle } = await animals(server)
    assert.deepEqual(await searchIds(server, 'quokka smiles'), [bodyOnly.id])
    assert.deepEqual(await searchIds(server, 'smiles quokka'), [bodyOnly.id])
    assert.deepEqual(await searchIds(server, 'quokka cameras'), [inTitle.id])
    assert.deepEqual(await searchIds(server, 'quokka giraffe'), [])
    assert.deepEqual(await searchIds(server, 'cursor offset'), [5])
  })

  it('takes FTS operators in q as text, never a 500', async (t) => {
    const server = await startTestServer(t)
    const { bodyOnly, inTitle } = await animals(server)
    const hostile = [
      '"', '""', '"quokka', 'quokka"', '*', 'quokka*', '*quokka', 'OR', 'quokka OR', 'OR quokka', 'quokka OR giraffe',
      'AND', 'NOT', 'quokka NOT smiles', 'NEAR(', 'NEAR(quokka smiles)', 'NEAR(quokka, 2)', '(', ')', '()', 'quokka)',
      '^quokka', '-quokka', '+quokka', 'title:quokka', '{title body}: quokka', 'articles_fts', ':', "'", "quokka'--",
      '\\', 'quokka\u0000', '%', '_', 'rank', '🦘 quokka', 'ë'
    ]
    for (const q of hostile) {
      const res = await search(server, q)
      assert.ok(res.status === 200 || res.status === 400, `q=${JSON.stringify(q)} answered ${res.status}`)
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
      const body = await res.json() as unknown
      if (res.status === 400) assert.equal((body as { status: number }).status, 400)
      else assert.ok(Array.isArray(body), `q=${JSON.stringify(q)} gives a list`)
    }
    // the words still count: operators are neither obeyed nor allowed to fail the search
    assert.deepEqual(await searchIds(server, '"quokka"'), [inTitle.id, bodyOnly.id])
    assert.deepEqual(await searchIds(server, 'quokka*'), [inTitle.id, bodyOnly.id])
    assert.deepEqual(await searchIds(server, 'quokka OR giraffe'), [])
    assert.deepEqual(await searchIds(server, 'title:quokka'), [])
  })

  it('answers 400 to a q with no word', async (t) => {
    const server = await startTestServer(t)
    for (const q of ['"', '*', '()', '   ', '!!!', '-', '"*"']) {
      const res = await search(server, q)
      assert.equal(res.status, 400, `q=${JSON.stringify(q)}`)
      await assertErrorBody(res, 400, 'INVALID_SEARCH')
    }
    await assertValidationFailed(await server.fetch('/articles?q='), 'querystring.q')
  })

  it('combines q with ?author=', async (t) => {
    const server = await startTestServer(t)
    const { bodyOnly, inTitle } = await animals(server)
    assert.deepEqual(await searchIds(server, 'quokka', '&author=alice'), [inTitle.id])
    assert.deepEqual(await searchIds(server, 'quokka', '&author=admin'), [bodyOnly.id])
    assert.deepEqual(await searchIds(server, 'quokka', '&author=john'), [])
  })

  it('pages search results in rank order through the Link, keeping q', async (t) => {
    const server = await startTestServer(t)
    const { bodyOnly, inTitle } = await animals(server)
    const more = (await create(server, adminAuth(), { title: 'Zoo', body: 'Another quokka, asleep.' })).article
    const all = await searchIds(server, 'quokka')
    assert.equal(all[0], inTitle.id)
    assert.deepEqual([...all].sort((a, b) => a - b), [bodyOnly.id, inTitle.id, more.id])
    const first = await search(server, 'quokka', '&limit=1')
    const link = nextLink(first)
    assert.ok(link !== undefined)
    assert.equal(new URL(link).searchParams.get('q'), 'quokka')
    const pages = await walk(server, '/articles?q=quokka&limit=1')
    assert.deepEqual(pages.map((p) => p.map((a) => a.id)), all.map((id) => [id]))
  })

  it('follows changes: an edited title is found, a deleted article is not', async (t) => {
    const server = await startTestServer(t)
    const { alice, inTitle } = await animals(server)
    assert.deepEqual(await searchIds(server, 'wallaby'), [])
    const patched = await server.fetch(`/articles/${inTitle.id}`, send(alice.auth, 'PATCH', { title: 'Wallaby photography' }, { 'content-type': MERGE_PATCH }))
    assert.equal(patched.status, 200)
    assert.deepEqual(await searchIds(server, 'wallaby'), [inTitle.id])
    assert.equal((await server.fetch(`/articles/${inTitle.id}`, remove(alice.auth))).status, 204)
    assert.deepEqual(await searchIds(server, 'wallaby'), [])
  })
})

describe('GET /articles/:id', () => {
  it('returns the article with a strong ETag', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/articles/3')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    assertVaryAccept(res)
    etagOf(res)
    const article = await res.json() as Article
    assert.deepEqual(article, stamped(DEMO_ARTICLES[2]!, article))
    assert.equal(article.createdAt, article.updatedAt)
  })

  it('answers 304 with the tag and no body for a matching If-None-Match', async (t) => {
    const server = await startTestServer(t)
    const { etag } = await read(server, 1)
    for (const header of [etag, `"nope", ${etag}`, `W/${etag}`, '*']) {
      const res = await server.fetch('/articles/1', { headers: { 'if-none-match': header } })
      assert.equal(res.status, 304, `If-None-Match: ${header}`)
      assert.equal(res.headers.get('etag'), etag)
      assert.equal(await res.text(), '')
    }
    const other = await server.fetch('/articles/1', { headers: { 'if-none-match': '"nope"' } })
    assert.equal(other.status, 200)
    assert.equal(other.headers.get('etag'), etag)
  })

  it('changes the ETag when the article changes, so the old tag gets a 200', async (t) => {
    const server = await startTestServer(t)
    const before = await read(server, 1)
    const res = await server.fetch('/articles/1', send(adminAuth(), 'PATCH', { summary: 'Changed.' }))
    assert.equal(res.status, 200)
    const after = await server.fetch('/articles/1', { headers: { 'if-none-match': before.etag } })
    assert.equal(after.status, 200)
    const etag = etagOf(after)
    assert.notEqual(etag, before.etag)
    assert.equal(etag, res.headers.get('etag'))
    assert.equal((await after.json() as Article).summary, 'Changed.')
  })

  it('answers HEAD like GET without a body, and 304 to a matching If-None-Match', async (t) => {
    const server = await startTestServer(t)
    const { etag } = await read(server, 2)
    const head = await server.fetch('/articles/2', { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('etag'), etag)
    assert.equal(head.headers.get('content-type'), JSON_TYPE)
    assert.equal(await head.text(), '')
    const notModified = await server.fetch('/articles/2', { method: 'HEAD', headers: { 'if-none-match': etag } })
    assert.equal(notModified.status, 304)
    assert.equal(notModified.headers.get('etag'), etag)
    const missing = await server.fetch('/articles/999', { method: 'HEAD' })
    assert.equal(missing.status, 404)
  })

  it('answers 404 with the full URL for an unknown id', async (t) => {
    const server = await startTestServer(t)
    for (const path of ['/articles/999', '/articles/0', '/articles/999999999999999']) {
      const body = await assertErrorBody(await server.fetch(path), 404, 'ARTICLE_NOT_FOUND')
      assert.equal(body.message, `Not Found: ${server.url}${path}`)
    }
  })

  it('answers 404 for a non-integer id or one beyond the integer range, on every method, never 500', async (t) => {
    const server = await startTestServer(t)
    const paths = [
      '/articles/abc', '/articles/1.5', '/articles/99999999999999999999', '/articles/9007199254740993',
      '/articles/9223372036854775808', '/articles/-1', '/articles/1e3', '/articles/0x10', '/articles/%201', '/articles/1%00'
    ]
    for (const path of paths) {
      const get = await server.fetch(path)
      assert.equal(get.status, 404, `GET ${path}`)
      const body = await get.json() as { status: number, message: string }
      assert.equal(body.status, 404)
      assert.equal(body.message, `Not Found: ${server.url}${path}`)
      const fields = { title: 'T', body: 'B' }
      for (const init of [send(adminAuth(), 'PUT', fields), send(adminAuth(), 'PATCH', fields), remove(adminAuth())]) {
        const res = await server.fetch(path, init)
        assert.equal(res.status, 404, `${init.method ?? ''} ${path}`)
        assert.equal((await res.json() as { status: number }).status, 404)
      }
    }
    assert.deepEqual((await listAll(server)).map((a) => a.id), [5, 4, 3, 2, 1])
  })
})

describe('Representations of articles', () => {
  it('renders one article as XML, with the same fields as JSON', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const { article } = await create(server, alice.auth, { title: 'Tags <b> & "quotes" \'too\'', summary: 'a < b', body: 'x & y > z' })
    const res = await server.fetch(`/articles/${article.id}`, { headers: { accept: 'application/xml' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), XML_TYPE)
    assertVaryAccept(res)
    etagOf(res)
    const text = await res.text()
    assert.ok(text.startsWith('<?xml'), 'an XML declaration')
    assert.deepEqual(xml.parse(text), { article: xmlRecord(article) })

    // an article without a summary has no summary element
    const demo = await server.fetch('/articles/2', { headers: { accept: 'application/xml' } })
    const json = (await read(server, 2)).article
    assert.deepEqual(xml.parse(await demo.text()), { article: xmlRecord(json) })
  })

  it('renders the list as XML: <articles> of <article>', async (t) => {
    const server = await startTestServer(t)
    const json = await listAll(server)
    const res = await server.fetch('/articles?limit=100', { headers: { accept: 'application/xml' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), XML_TYPE)
    assert.deepEqual(xml.parse(await res.text()), { articles: { article: json.map(xmlRecord) } })

    const one = await server.fetch('/articles?limit=1', { headers: { accept: 'application/xml' } })
    assert.deepEqual(xml.parse(await one.text()), { articles: { article: [xmlRecord(json[0]!)] } })
    assert.ok(nextLink(one) !== undefined, 'XML pages link too')
  })

  it('renders the list as CSV: a header row, CRLF records, every field', async (t) => {
    const server = await startTestServer(t)
    const json = await listAll(server)
    const res = await server.fetch('/articles?limit=100', { headers: { accept: 'text/csv' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), CSV_TYPE)
    assertVaryAccept(res)
    const text = await res.text()
    assert.ok(text.startsWith('id,title,summary,body,author,createdAt,updatedAt\r\n'), 'the header row first')
    assert.deepEqual(parseCsv(text), [[...CSV_COLUMNS], ...json.map(csvRecord)])
  })

  it('quotes commas, quotes and newlines in CSV fields (RFC 4180)', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const title = 'Commas, "quotes" and\nnewlines'
    const body = 'line one\r\nline two, with "more"'
    const { article } = await create(server, alice.auth, { title, body })
    const res = await server.fetch('/articles?limit=1', { headers: { accept: 'text/csv' } })
    assert.equal(res.status, 200)
    const text = await res.text()
    assert.equal(text,
      'id,title,summary,body,author,createdAt,updatedAt\r\n' +
      `${article.id},"Commas, ""quotes"" and\nnewlines",,"line one\r\nline two, with ""more""",alice,${article.createdAt},${article.updatedAt}\r\n`)
    assert.deepEqual(parseCsv(text), [[...CSV_COLUMNS], csvRecord(article)])
    assert.ok(nextLink(res) !== undefined, 'CSV pages link too')
  })

  it('chooses by the q-values of Accept', async (t) => {
    const server = await startTestServer(t)
    const cases: Array<[string, string, string]> = [
      ['/articles', '*/*', JSON_TYPE],
      ['/articles', 'application/json;q=0.5, application/xml', XML_TYPE],
      ['/articles', 'text/csv;q=0.9, application/xml;q=0.1', CSV_TYPE],
      ['/articles', 'text/*', CSV_TYPE],
      ['/articles/1', 'application/*;q=0.5, text/csv', JSON_TYPE],
      ['/articles/1', 'application/json;q=0, */*', XML_TYPE]
    ]
    for (const [path, accept, type] of cases) {
      const res = await server.fetch(path, { headers: { accept } })
      assert.equal(res.status, 200, `${path} Accept: ${accept}`)
      assert.equal(res.headers.get('content-type'), type, `${path} Accept: ${accept}`)
      await res.arrayBuffer()
    }
  })

  it('answers 406 for a type it cannot produce, CSV for one article included', async (t) => {
    const server = await startTestServer(t)
    const cases: Array<[string, string]> = [
      ['/articles', 'image/png'],
      ['/articles', 'text/html'],
      ['/articles', 'application/json;q=0, application/xml;q=0, text/csv;q=0'],
      ['/articles/1', 'text/csv'],
      ['/articles/1', 'text/html, image/*'],
      ['/articles?q=etag', 'application/pdf']
    ]
    for (const [path, accept] of cases) {
      const res = await server.fetch(path, { headers: { accept } })
      assert.equal(res.status, 406, `${path} Accept: ${accept}`)
      assertVaryAccept(res)
      await assertErrorBody(res, 406, 'NOT_ACCEPTABLE')
    }
  })
})

describe('POST /articles', () => {
  it('creates an article: 201, Location, ETag and the article', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const res = await server.fetch('/articles', send(alice.auth, 'POST', { title: 'Hello', summary: 'Short.', body: 'World.' }))
    assert.equal(res.status, 201)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    const etag = etagOf(res)
    const article = await res.json() as Article
    assert.deepEqual(article, stamped({ id: 6, title: 'Hello', summary: 'Short.', body: 'World.', author: 'alice' }, article))
    assert.equal(article.createdAt, article.updatedAt)
    assert.equal(new URL(res.headers.get('location') ?? '', server.url).href, `${server.url}/articles/6`)

    const again = await read(server, 6)
    assert.deepEqual(again.article, article)
    assert.equal(again.etag, etag)
    const stored = await server.app.repos.articles.findById(6)
    assert.equal(stored?.authorId, alice.id)
  })

  it('stores no summary when none is given', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const { article } = await create(server, alice.auth, { title: 'Bare', body: '' })
    assert.deepEqual(article, stamped({ id: 6, title: 'Bare', body: '', author: 'alice' }, article))
    assert.equal('summary' in article, false)
  })

  it('takes a bearer token, and records the admin as the author of its articles', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const bearer = await bearerFor(server, alice.auth)
    const byToken = await create(server, bearer, { title: 'By token', body: 'B' })
    assert.equal(byToken.article.author, 'alice')
    const byAdmin = await create(server, adminAuth(), { title: 'By admin', body: 'B' })
    assert.equal(byAdmin.article.author, 'admin')
    assert.deepEqual((await listAll(server)).slice(0, 2), [byAdmin.article, byToken.article])
  })

  it('accepts the limits: a 200-character title and a 100 000-character body', async (t) => {
    const server = await startTestServer(t)
    const title = 't'.repeat(200)
    const body = 'b'.repeat(100_000)
    const { article } = await create(server, adminAuth(), { title, body })
    assert.equal(article.title, title)
    assert.equal(article.body, body)
    assert.deepEqual((await read(server, article.id)).article, article)
  })

  it('answers 401 to an anonymous caller, or a wrong password, and creates nothing', async (t) => {
    const server = await startTestServer(t)
    await createUser(server, 'alice')
    await assertUnauthenticated(await server.fetch('/articles', send(undefined, 'POST', { title: 'T', body: 'B' })))
    const wrong = 'Basic ' + Buffer.from('alice:wrong password').toString('base64')
    await assertUnauthenticated(await server.fetch('/articles', send(wrong, 'POST', { title: 'T', body: 'B' })))
    await assertUnauthenticated(await server.fetch('/articles', send('Bearer not-a-token', 'POST', { title: 'T', body: 'B' })))
    assert.deepEqual((await listAll(server)).map((a) => a.id), [5, 4, 3, 2, 1])
  })

  describe('validation', () => {
    const cases: Array<[string, unknown, string]> = [
      ['an empty title', { title: '', body: 'B' }, 'body.title'],
      ['a whitespace title', { title: ' \t\n ', body: 'B' }, 'body.title'],
      ['a 201-character title', { title: 't'.repeat(201), body: 'B' }, 'body.title'],
      ['a 100 001-character body', { title: 'T', body: 'b'.repeat(100_001) }, 'body.body'],
      ['a missing title', { body: 'B' }, 'body.title'],
      ['a missing body', { title: 'T' }, 'body.body'],
      ['a number as title', { title: 5, body: 'B' }, 'body.title'],
      ['an array as body', { title: 'T', body: ['B'] }, 'body.body'],
      ['null as body', { title: 'T', body: null }, 'body.body'],
      ['a boolean as title', { title: true, body: 'B' }, 'body.title'],
      ['a number as summary', { title: 'T', summary: 3, body: 'B' }, 'body.summary'],
      ['null as summary', { title: 'T', summary: null, body: 'B' }, 'body.summary']
    ]
    for (const [what, payload, field] of cases) {
      it(`answers 400 with errors[] for ${what}, and creates nothing`, async (t) => {
        const server = await startTestServer(t)
        await assertValidationFailed(await server.fetch('/articles', send(adminAuth(), 'POST', payload)), field)
        assert.equal((await listAll(server)).length, 5)
      })
    }

    it('answers 400 with errors[] for extra fields, and creates nothing', async (t) => {
      const server = await startTestServer(t)
      for (const extra of [{ author: 'john' }, { id: 99 }, { extra: 1 }, { createdAt: '2000-01-01T00:00:00Z' }]) {
        const res = await server.fetch('/articles', send(adminAuth(), 'POST', { title: 'T', body: 'B', ...extra }))
        const body = await assertErrorBody(res, 400, 'VALIDATION_FAILED')
        const errors = body.errors as Array<{ field: string, message: string }>
        const name = Object.keys(extra)[0]!
        assert.ok(Array.isArray(errors) && errors.some((e) => e.field === `body.${name}` || (e.field === 'body' && /additional/i.test(e.message))),
          `an error naming the extra field ${name}: ${JSON.stringify(errors)}`)
      }
      assert.equal((await listAll(server)).length, 5)
    })

    it('answers 400 for a body that is not a JSON object, and 415 for a body that is not JSON', async (t) => {
      const server = await startTestServer(t)
      for (const raw of ['[]', '"text"', '42', 'null', '{"title": "T", "body": ']) {
        const res = await server.fetch('/articles', send(adminAuth(), 'POST', raw))
        assert.equal(res.status, 400, `body ${raw}`)
        assert.equal((await res.json() as { status: number }).status, 400)
      }
      const text = await server.fetch('/articles', send(adminAuth(), 'POST', 'title', { 'content-type': 'text/plain' }))
      await assertErrorBody(text, 415, 'UNSUPPORTED_MEDIA_TYPE')
      assert.equal((await listAll(server)).length, 5)
    })
  })
})

describe('PUT /articles/:id', () => {
  it('replaces the whole article: an absent summary is removed', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const created = await create(server, alice.auth, { title: 'Draft', summary: 'To go.', body: 'Old body.' })
    const res = await server.fetch(`/articles/${created.article.id}`, send(alice.auth, 'PUT', { title: 'Final', body: 'New body.' }))
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), JSON_TYPE)
    const etag = etagOf(res)
    assert.notEqual(etag, created.etag)
    const article = await res.json() as Article
    assert.deepEqual(article, {
      id: created.article.id, title: 'Final', body: 'New body.', author: 'alice', createdAt: created.article.createdAt, updatedAt: article.updatedAt
    })
    assertTimestamp(article.updatedAt, UTC_TIMESTAMP)
    assert.ok(article.updatedAt >= created.article.updatedAt)
    assert.deepEqual(await read(server, created.article.id), { article, etag })
  })

  it('validates like POST and changes nothing on a 400', async (t) => {
    const server = await startTestServer(t)
    const before = await read(server, 1)
    await assertValidationFailed(await server.fetch('/articles/1', send(adminAuth(), 'PUT', { title: 'No body' })), 'body.body')
    await assertValidationFailed(await server.fetch('/articles/1', send(adminAuth(), 'PUT', { title: ' ', body: 'B' })), 'body.title')
    await assertValidationFailed(await server.fetch('/articles/1', send(adminAuth(), 'PUT', { title: 'T', body: 'b'.repeat(100_001) })), 'body.body')
    await assertValidationFailed(await server.fetch('/articles/1', send(adminAuth(), 'PUT', { title: 'T', body: 'B', author: 'steve' })), 'body.author')
    await assertUnchanged(server, before)
  })

  it('answers 404 for an unknown article', async (t) => {
    const server = await startTestServer(t)
    const res = await server.fetch('/articles/999', send(adminAuth(), 'PUT', { title: 'T', body: 'B' }))
    const body = await assertErrorBody(res, 404, 'ARTICLE_NOT_FOUND')
    assert.equal(body.message, `Not Found: ${server.url}/articles/999`)
    assert.equal(await server.app.repos.articles.findById(999), undefined)
  })
})

describe('PATCH /articles/:id', () => {
  for (const contentType of [MERGE_PATCH, `${MERGE_PATCH}; charset=utf-8`, 'application/json']) {
    describe(`with ${contentType}`, () => {
      it('keeps absent fields and changes given ones', async (t) => {
        const server = await startTestServer(t)
        const before = await read(server, 1)
        const res = await server.fetch('/articles/1', send(adminAuth(), 'PATCH', { title: 'Renamed' }, { 'content-type': contentType }))
        assert.equal(res.status, 200)
        const etag = etagOf(res)
        assert.notEqual(etag, before.etag)
        const article = await res.json() as Article
        assert.deepEqual(article, { ...before.article, title: 'Renamed', updatedAt: article.updatedAt })
        assertTimestamp(article.updatedAt, UTC_TIMESTAMP)
        assert.deepEqual(await read(server, 1), { article, etag })
      })

      it('removes the summary for null', async (t) => {
        const server = await startTestServer(t)
        const before = await read(server, 1)
        assert.equal(before.article.summary, 'Resources, verbs and representations.')
        const res = await server.fetch('/articles/1', send(adminAuth(), 'PATCH', { summary: null }, { 'content-type': contentType }))
        assert.equal(res.status, 200)
        const article = await res.json() as Article
        const { summary: _removed, ...rest } = before.article
        assert.deepEqual(article, { ...rest, updatedAt: article.updatedAt })
        assert.equal('summary' in article, false)
        assert.deepEqual((await read(server, 1)).article, article)
      })

      it('adds a summary, and an empty patch changes no field', async (t) => {
        const server = await startTestServer(t)
        const before = await read(server, 2)
        const added = await server.fetch('/articles/2', send(adminAuth(), 'PATCH', { summary: 'Now with one.' }, { 'content-type': contentType }))
        assert.equal(added.status, 200)
        const article = await added.json() as Article
        assert.deepEqual(article, { ...before.article, summary: 'Now with one.', updatedAt: article.updatedAt })
        const empty = await server.fetch('/articles/2', send(adminAuth(), 'PATCH', {}, { 'content-type': contentType }))
        assert.equal(empty.status, 200)
        const same = await empty.json() as Article
        assert.deepEqual({ ...same, updatedAt: '' }, { ...article, updatedAt: '' })
      })

      it('answers 400 for a null title or body, or a bad field, and changes nothing', async (t) => {
        const server = await startTestServer(t)
        const before = await read(server, 1)
        const patches: Array<[unknown, string]> = [
          [{ title: null }, 'body.title'],
          [{ body: null }, 'body.body'],
          [{ title: '' }, 'body.title'],
          [{ title: '   ' }, 'body.title'],
          [{ title: 't'.repeat(201) }, 'body.title'],
          [{ body: 'b'.repeat(100_001) }, 'body.body'],
          [{ title: 7 }, 'body.title'],
          [{ summary: 7 }, 'body.summary'],
          [{ summary: null, author: 'steve' }, 'body.author']
        ]
        for (const [patch, field] of patches) {
          const res = await server.fetch('/articles/1', send(adminAuth(), 'PATCH', patch, { 'content-type': contentType }))
          await assertValidationFailed(res, field)
        }
        await assertUnchanged(server, before)
      })
    })
  }

  it('answers 415 with Accept-Patch for a body that is not JSON', async (t) => {
    const server = await startTestServer(t)
    const before = await read(server, 1)
    const res = await server.fetch('/articles/1', send(adminAuth(), 'PATCH', 'title=x', { 'content-type': 'application/x-www-form-urlencoded' }))
    await assertErrorBody(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
    assert.match(res.headers.get('accept-patch') ?? '', /application\/merge-patch\+json/)
    await assertUnchanged(server, before)
  })
})

describe('DELETE /articles/:id', () => {
  it('removes the article: 204, then 404', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const { article } = await create(server, alice.auth, { title: 'Short-lived', body: 'B' })
    const res = await server.fetch(`/articles/${article.id}`, remove(alice.auth))
    assert.equal(res.status, 204)
    assert.equal(await res.text(), '')
    await assertErrorBody(await server.fetch(`/articles/${article.id}`), 404, 'ARTICLE_NOT_FOUND')
    assert.equal(await server.app.repos.articles.findById(article.id), undefined)
    assert.deepEqual((await listAll(server)).map((a) => a.id), [5, 4, 3, 2, 1])
    await assertErrorBody(await server.fetch(`/articles/${article.id}`, remove(alice.auth)), 404, 'ARTICLE_NOT_FOUND')
  })
})

describe('text an engine would not store as sent', () => {
  // PostgreSQL's text cannot hold NUL; both engines would store a lone surrogate as U+FFFD
  const UNSTORABLE = ['a\u0000b', '\ud800', 'x\udfffy']

  it('refuses NUL and lone surrogates in an article with 400 on POST, PUT and PATCH, changing nothing', async (t) => {
    const server = await startTestServer(t)
    const created = await server.fetch('/articles', { method: 'POST', headers: AS_ADMIN_JSON, body: JSON.stringify({ title: 'Kept', body: 'As it is.' }) })
    assert.equal(created.status, 201)
    const { id } = await created.json() as { id: number }
    const articles = async () => await (await server.fetch('/articles?limit=100')).json() as unknown
    const before = await articles()
    for (const text of UNSTORABLE) {
      for (const field of ['title', 'summary', 'body']) {
        const fields = { title: 'T', body: 'B', [field]: text }
        for (const [method, path] of [['POST', '/articles'], ['PUT', `/articles/${id}`], ['PATCH', `/articles/${id}`]]) {
          const res = await server.fetch(path!, { method, headers: AS_ADMIN_JSON, body: JSON.stringify(method === 'PATCH' ? { [field]: text } : fields) })
          await assertError(res, 400, 'INVALID_TEXT')
        }
      }
    }
    assert.deepEqual(await articles(), before)
    // the same words, well formed, are stored as sent
    const kept = await server.fetch('/articles', { method: 'POST', headers: AS_ADMIN_JSON, body: JSON.stringify({ title: 'a b \ud83d\ude00', body: 'x\ufffdy' }) })
    assert.equal(kept.status, 201)
    const stored = await (await server.fetch(kept.headers.get('location')!)).json() as { title: string, body: string }
    assert.deepEqual([stored.title, stored.body], ['a b 😀', 'x\ufffdy'])
  })

  it('refuses NUL in a search filter with 400', async (t) => {
    const server = await startTestServer(t)
    await assertError(await server.fetch('/articles?author=jo%00hn'), 400, 'INVALID_TEXT')
  })
})

describe('Who may write an article', () => {
  async function setup (t: Parameters<typeof startTestServer>[0]) {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice', 'alice password 1')
    const bob = await createUser(server, 'bob', 'bob password 12')
    const created = await create(server, alice.auth, { title: 'Alice writes', summary: 'Hers.', body: 'Alice\'s body.' })
    return { server, alice, bob, created }
  }

  const writes: Array<[string, (auth: string | undefined) => RequestInit, number]> = [
    ['PUT', (auth) => send(auth, 'PUT', { title: 'Replaced', body: 'Replaced body.' }), 200],
    ['PATCH', (auth) => send(auth, 'PATCH', { title: 'Patched' }, { 'content-type': MERGE_PATCH }), 200],
    ['DELETE', (auth) => remove(auth), 204]
  ]

  for (const [method, init, success] of writes) {
    describe(`${method} /articles/:id`, () => {
      it('answers 401 to an anonymous caller and changes nothing', async (t) => {
        const { server, created } = await setup(t)
        await assertUnauthenticated(await server.fetch(`/articles/${created.article.id}`, init(undefined)))
        await assertUnchanged(server, created)
      })

      it('answers 403 to another user and changes nothing', async (t) => {
        const { server, bob, created } = await setup(t)
        await assertErrorBody(await server.fetch(`/articles/${created.article.id}`, init(bob.auth)), 403, 'FORBIDDEN')
        // with a bearer token as well, and with a matching If-Match
        const bearer = await bearerFor(server, bob.auth)
        await assertErrorBody(await server.fetch(`/articles/${created.article.id}`, init(bearer)), 403, 'FORBIDDEN')
        const conditional = init(bob.auth)
        conditional.headers = { ...conditional.headers as Record<string, string>, 'if-match': created.etag }
        await assertErrorBody(await server.fetch(`/articles/${created.article.id}`, conditional), 403, 'FORBIDDEN')
        await assertUnchanged(server, created)
      })

      it('answers 403 to a user for a demo article by someone else', async (t) => {
        const { server, alice } = await setup(t)
        const before = await read(server, 1)
        await assertErrorBody(await server.fetch('/articles/1', init(alice.auth)), 403, 'FORBIDDEN')
        await assertUnchanged(server, before)
      })

      it(`lets the author do it (${success})`, async (t) => {
        const { server, alice, created } = await setup(t)
        const res = await server.fetch(`/articles/${created.article.id}`, init(alice.auth))
        assert.equal(res.status, success)
        await assertWritten(server, method, res, created)
      })

      it(`lets the author do it with a bearer token (${success})`, async (t) => {
        const { server, alice, created } = await setup(t)
        const res = await server.fetch(`/articles/${created.article.id}`, init(await bearerFor(server, alice.auth)))
        assert.equal(res.status, success)
        await assertWritten(server, method, res, created)
      })

      it(`lets the admin do it to anyone's article (${success})`, async (t) => {
        const { server, created } = await setup(t)
        const res = await server.fetch(`/articles/${created.article.id}`, init(adminAuth()))
        assert.equal(res.status, success)
        await assertWritten(server, method, res, created)
        const demo = await read(server, 1)
        const onDemo = await server.fetch('/articles/1', init(adminAuth()))
        assert.equal(onDemo.status, success)
        await assertWritten(server, method, onDemo, demo)
      })
    })
  }

  /** The write took effect, and the author stays the author whoever wrote. */
  async function assertWritten (server: TestServer, method: string, res: Response, before: { article: Article, etag: string }): Promise<void> {
    const id = before.article.id
    if (method === 'DELETE') {
      assert.equal(await res.text(), '')
      await assertErrorBody(await server.fetch(`/articles/${id}`), 404, 'ARTICLE_NOT_FOUND')
      return
    }
    const article = await res.json() as Article
    const expected: Article = method === 'PUT'
      ? { id, title: 'Replaced', body: 'Replaced body.', author: before.article.author, createdAt: before.article.createdAt, updatedAt: article.updatedAt }
      : { ...before.article, title: 'Patched', updatedAt: article.updatedAt }
    assert.deepEqual(article, expected)
    const after = await read(server, id)
    assert.deepEqual(after.article, article)
    assert.notEqual(after.etag, before.etag)
  }
})

describe('If-Match on writes', () => {
  it('applies a PUT, PATCH and DELETE whose If-Match names the current tag', async (t) => {
    const server = await startTestServer(t)
    let current = await read(server, 1)
    const put = await server.fetch('/articles/1', send(adminAuth(), 'PUT', { title: 'One', body: 'B1' }, { 'if-match': current.etag }))
    assert.equal(put.status, 200)
    assert.equal((await put.json() as Article).title, 'One')
    current = await read(server, 1)
    assert.equal(current.etag, put.headers.get('etag'))
    const patch = await server.fetch('/articles/1', send(adminAuth(), 'PATCH', { title: 'Two' }, { 'content-type': MERGE_PATCH, 'if-match': `"other", ${current.etag}` }))
    assert.equal(patch.status, 200)
    assert.equal((await patch.json() as Article).title, 'Two')
    current = await read(server, 1)
    const del = await server.fetch('/articles/1', remove(adminAuth(), { 'if-match': current.etag }))
    assert.equal(del.status, 204)
    assert.equal(await server.app.repos.articles.findById(1), undefined)
  })

  for (const [method, init] of [
    ['PUT', (etag: string) => send(adminAuth(), 'PUT', { title: 'Lost', body: 'Lost update.' }, { 'if-match': etag })],
    ['PATCH', (etag: string) => send(adminAuth(), 'PATCH', { title: 'Lost' }, { 'content-type': MERGE_PATCH, 'if-match': etag })],
    ['DELETE', (etag: string) => remove(adminAuth(), { 'if-match': etag })]
  ] as Array<[string, (etag: string) => RequestInit]>) {
    it(`answers 412 to a ${method} with a stale, unknown or weak If-Match, and changes nothing`, async (t) => {
      const server = await startTestServer(t)
      const stale = await read(server, 1)
      const changed = await server.fetch('/articles/1', send(adminAuth(), 'PATCH', { summary: 'Edited meanwhile.' }))
      assert.equal(changed.status, 200)
      const current = await read(server, 1)
      for (const etag of [stale.etag, '"nope"', `W/${current.etag}`, '""']) {
        const res = await server.fetch('/articles/1', init(etag))
        await assertErrorBody(res, 412, 'PRECONDITION_FAILED')
      }
      await assertUnchanged(server, current)
    })
  }

  it('accepts If-Match: * for an existing article', async (t) => {
    const server = await startTestServer(t)
    const put = await server.fetch('/articles/2', send(adminAuth(), 'PUT', { title: 'Star', body: 'Any version.' }, { 'if-match': '*' }))
    assert.equal(put.status, 200)
    assert.equal((await put.json() as Article).title, 'Star')
    const patch = await server.fetch('/articles/2', send(adminAuth(), 'PATCH', { summary: 'Starred.' }, { 'content-type': MERGE_PATCH, 'if-match': '*' }))
    assert.equal(patch.status, 200)
    const article = await patch.json() as Article
    assert.deepEqual((await read(server, 2)).article, article)
    assert.equal(article.summary, 'Starred.')
    const del = await server.fetch('/articles/2', remove(adminAuth(), { 'if-match': '*' }))
    assert.equal(del.status, 204)
    assert.equal(await server.app.repos.articles.findById(2), undefined)
  })

  it('lets exactly one of two concurrent PUTs with the same If-Match win; the other gets 412', async (t) => {
    const server = await startTestServer(t)
    const alice = await createUser(server, 'alice')
    const { article } = await create(server, alice.auth, { title: 'Contested', body: 'Original.' })
    const bearer = await bearerFor(server, alice.auth)
    // several rounds, each from a fresh tag, so a lucky interleaving cannot hide a race
    for (let round = 1; round <= 5; round++) {
      const { etag } = await read(server, article.id)
      const [a, b] = await Promise.all([
        server.fetch(`/articles/${article.id}`, send(alice.auth, 'PUT', { title: `A${round}`, body: 'Writer A.' }, { 'if-match': etag })),
        server.fetch(`/articles/${article.id}`, send(bearer, 'PUT', { title: `B${round}`, summary: 'B', body: 'Writer B.' }, { 'if-match': etag }))
      ])
      assert.deepEqual([a.status, b.status].sort(), [200, 412], `round ${round}: ${a.status} and ${b.status}`)
      const [winner, loser] = a.status === 200 ? [a, b] : [b, a]
      await assertErrorBody(loser, 412, 'PRECONDITION_FAILED')
      const won = await winner.json() as Article
      const stored = await read(server, article.id)
      assert.deepEqual(stored.article, won)
      assert.equal(stored.etag, winner.headers.get('etag'))
      assert.notEqual(stored.etag, etag)
    }
  })

  it('lets exactly one of two concurrent PATCHes with the same If-Match win', async (t) => {
    const server = await startTestServer(t)
    const { etag } = await read(server, 3)
    const [a, b] = await Promise.all([
      server.fetch('/articles/3', send(adminAuth(), 'PATCH', { title: 'Patch A' }, { 'content-type': MERGE_PATCH, 'if-match': etag })),
      server.fetch('/articles/3', send(adminAuth(), 'PATCH', { body: 'Patch B' }, { 'content-type': MERGE_PATCH, 'if-match': etag }))
    ])
    assert.deepEqual([a.status, b.status].sort(), [200, 412])
    const winner = a.status === 200 ? a : b
    const won = await winner.json() as Article
    assert.deepEqual((await read(server, 3)).article, won)
    // the loser's change is nowhere: a merge of both would be a lost precondition
    assert.ok(won.title === 'Patch A' ? won.body !== 'Patch B' : won.title === 'Caching with ETags')
  })
})
