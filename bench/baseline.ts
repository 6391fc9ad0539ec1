/**
 * The baseline of `npm run bench`: the most one Node process can do for the
 * benchmark's requests. Bare node:http (no framework, no plugins, no request
 * log) doing each request's real work as the service does it: the same SQLite
 * database and pragmas (WAL, synchronous=FULL), the same reads by indexed key,
 * the same JSON, entity tags and credential checks, one commit per write, and
 * the same response bytes, headers included (bench/check.ts compares them
 * before anything is measured). The service's pure helpers are imported, not
 * copied, so the ratio measures what the service adds around them.
 *
 * The RealWorld API's requests (/api) are answered from the same statements as
 * src/repositories/articles.ts runs (a page with its authors, favorites and
 * follows, its count, its tags), each write in a transaction of its own.
 *
 * It answers only what the benchmark asks, in the default representation;
 * other requests get a 404, 406 or 501. It takes the service's flags
 * (--port, --database, …) and ADMIN_PASSWORD, and prints the same
 * `listening on` line. Started by bench/run.ts, compiled, on plain node.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import Database from 'better-sqlite3'
import secureJson from 'secure-json-parse'
import { Compile } from 'typebox/compile'
import { DEMO_ADMIN_PASSWORD, loadConfig } from '../src/config.js'
import { HttpError } from '../src/errors.js'
import { isJsonType, mediaTypeOf, negotiate } from '../src/lib/media-type.js'
import { pythonJsonDumps } from '../src/lib/python-json.js'
import { VALID_HOST } from '../src/plugins/urls.js'
import { noneMatchHits } from '../src/routes/conditional.js'
import { byId, encodeCursor, pageOf } from '../src/routes/pagination.js'
import { slugFor } from '../src/lib/slug.js'
import { NewArticleBody } from '../src/realworld/schemas.js'
import type { ReaderArticleRow } from '../src/repositories/articles.js'
import { CreateArticleBody } from '../src/schemas/articles.js'
import { DATA_TYPES, LIST_TYPES, TEXT_TYPES, type Principal } from '../src/schemas/common.js'

const { config } = loadConfig(process.argv.slice(2))

const db = new Database(config.database)
// as src/db/sqlite.ts: the same durability, so a write costs the same commit
db.pragma('journal_mode = WAL')
db.pragma('synchronous = FULL')
db.pragma('foreign_keys = ON')
db.pragma('busy_timeout = 5000')

interface ArticleRow {
  id: number
  title: string
  summary: string | null
  body: string
  author: string
  version: number
  created_at: string
  updated_at: string
}

const ARTICLE_COLUMNS = 'id, title, summary, body, author, version, created_at, updated_at'
const sql = {
  user: db.prepare<[number], { id: number, username: string, created_at: string }>('SELECT id, username, created_at FROM users WHERE id = ?'),
  article: db.prepare<[number], ArticleRow>(`SELECT ${ARTICLE_COLUMNS} FROM articles WHERE id = ?`),
  firstPage: db.prepare<[number], ArticleRow>(`SELECT ${ARTICLE_COLUMNS} FROM articles ORDER BY id DESC LIMIT ?`),
  nextPage: db.prepare<[number, number], ArticleRow>(`SELECT ${ARTICLE_COLUMNS} FROM articles WHERE id < ? ORDER BY id DESC LIMIT ?`),
  tokenOwner: db.prepare<[string, string], { user_id: number | null, username: string | null }>(
    `SELECT t.user_id, u.username FROM tokens t LEFT JOIN users u ON u.id = t.user_id
     WHERE t.token_hash = ? AND t.expires_at > ?`),
  // one statement in autocommit mode: one commit, on disk (synchronous=FULL) before the answer
  insertMessage: db.prepare<[number | null, string | null, string, number, string, Buffer, string]>(
    'INSERT INTO messages (user_id, sender, content_type, size, sha256, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
  // with its slug, as the service writes every article (src/repositories/articles.ts)
  insertArticle: db.prepare<[string, string | null, string, number | null, string, string, string, string]>(
    `INSERT INTO articles (title, summary, body, author_id, author, version, created_at, updated_at, slug)
     VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)`)
}

const validArticle = Compile(CreateArticleBody)
const validConduitArticle = Compile(NewArticleBody)

/*
 * The RealWorld API's reads, in the statements of src/repositories/articles.ts (page, setTags,
 * findSlug): one query for the page, with each article's author, favorites count, and whether
 * the reader favorited it and follows its author; one COUNT; one for the page's tags. The rows are
 * the repository's own type.
 */
/** What a page of articles is narrowed to: none (every article), one slug, or the feed of a user. */
type Filter = { readonly kind: 'all' } | { readonly kind: 'slug', readonly slug: string } | { readonly kind: 'feed', readonly userId: number }

const CONDITIONS: Record<Filter['kind'], string> = {
  all: '',
  slug: 'WHERE a.slug = ?',
  feed: 'WHERE a.author_id IN (SELECT followed_id FROM follows WHERE follower_id = ?)'
}
const pageSql = (condition: string) => db.prepare<unknown[], ReaderArticleRow>(
  `SELECT a.id, a.slug, a.title, a.summary, a.body, a.author, a.author_id, a.created_at, a.updated_at, u.bio, u.image,
     (SELECT COUNT(*) FROM favorites f WHERE f.article_id = a.id) AS favorites_count,
     EXISTS (SELECT 1 FROM favorites f WHERE f.article_id = a.id AND f.user_id = ?) AS favorited,
     EXISTS (SELECT 1 FROM follows w WHERE w.followed_id = a.author_id AND w.follower_id = ?) AS following
   FROM articles a LEFT JOIN users u ON u.id = a.author_id
   ${condition} ORDER BY a.id DESC LIMIT ? OFFSET ?`)
const pages = {
  all: { rows: pageSql(CONDITIONS.all), count: db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM articles a ${CONDITIONS.all}`) },
  slug: { rows: pageSql(CONDITIONS.slug), count: db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM articles a ${CONDITIONS.slug}`) },
  feed: { rows: pageSql(CONDITIONS.feed), count: db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM articles a ${CONDITIONS.feed}`) }
}
/** The tags of a page's articles, one statement per page size (as the service's statement cache holds them). */
const tagStatements = new Map<number, Database.Statement<number[], { article_id: number, tag: string }>>()
function tagsOf (ids: readonly number[]): Map<number, string[]> {
  const byArticle = new Map<number, string[]>()
  if (ids.length === 0) return byArticle
  let statement = tagStatements.get(ids.length)
  if (statement === undefined) {
    statement = db.prepare(`SELECT article_id, tag FROM article_tags WHERE article_id IN (${ids.map(() => '?').join(', ')}) ORDER BY article_id, position`)
    tagStatements.set(ids.length, statement)
  }
  for (const row of statement.all(...ids)) {
    const list = byArticle.get(row.article_id)
    if (list === undefined) byArticle.set(row.article_id, [row.tag])
    else list.push(row.tag)
  }
  return byArticle
}

/** A page of articles as `viewerId` reads them, and how many match: the service's three queries. */
function readerPage (filter: Filter, viewerId: number | null, limit: number, offset: number): { rows: ReaderArticleRow[], tags: Map<number, string[]>, count: number } {
  const statements = pages[filter.kind]
  const params = filter.kind === 'slug' ? [filter.slug] : filter.kind === 'feed' ? [filter.userId] : []
  const rows = statements.rows.all(viewerId, viewerId, ...params, limit, offset)
  const count = statements.count.get(...params)!.n
  return { rows, tags: tagsOf(rows.map((row) => row.id)), count }
}

/** A Conduit article, its keys in the order of the response schema (src/realworld/schemas.ts), with its body or (in a list) without. */
function conduitArticle (row: ReaderArticleRow, tags: Map<number, string[]>, withBody: boolean) {
  const author = { username: row.author, bio: row.bio, image: row.image, following: row.following === 1 }
  const tagList = tags.get(row.id) ?? []
  const description = row.summary ?? ''
  return withBody
    ? { slug: row.slug, title: row.title, description, body: row.body, tagList, createdAt: row.created_at, updatedAt: row.updated_at, favorited: row.favorited === 1, favoritesCount: row.favorites_count, author }
    : { slug: row.slug, title: row.title, description, tagList, createdAt: row.created_at, updatedAt: row.updated_at, favorited: row.favorited === 1, favoritesCount: row.favorites_count, author }
}

/** `{"articles": […], "articlesCount": n}` */
function conduitList (filter: Filter, viewerId: number | null, query: URLSearchParams): string {
  const limit = conduitInteger(query, 'limit', 1, 100) ?? 20
  const offset = conduitInteger(query, 'offset', 0, 2_147_483_647) ?? 0
  const page = readerPage(filter, viewerId, limit, offset)
  return JSON.stringify({ articles: page.rows.map((row) => conduitArticle(row, page.tags, false)), articlesCount: page.count })
}

/** An integer query parameter within bounds, or undefined when absent (a 422 otherwise, as the service's schema). */
function conduitInteger (query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = query.get(name)
  if (text === null) return undefined
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max) throw new HttpError(422, 'VALIDATION_FAILED', `Invalid request: ${name}`)
  return value
}

const conduitStatements = {
  // as articles.create, setTags and findSlug
  insert: db.prepare<unknown[], { id: number }>(
    `INSERT INTO articles (title, summary, body, author_id, author, version, created_at, updated_at, slug)
     VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING id, title, summary, body, author_id, author, version, created_at, updated_at`),
  clearTags: db.prepare<[number]>('DELETE FROM article_tags WHERE article_id = ?'),
  insertTag: db.prepare<[number, number, string]>('INSERT INTO article_tags (article_id, position, tag) VALUES (?, ?, ?)'),
  slug: db.prepare<[number], { slug: string }>('SELECT slug FROM articles WHERE id = ?')
}

/**
 * POST /api/articles: the article, its tags and the answer's read in one transaction of its
 * own, committed (synchronous=FULL: on disk) before the answer, as the service's write does
 * but without sharing the commit with other requests' writes.
 */
const createConduitArticle = db.transaction((fields: { title: string, description: string, body: string, tagList?: string[] }, authorId: number | null, author: string) => {
  const now = new Date().toISOString()
  const { id } = conduitStatements.insert.get(fields.title, fields.description, fields.body, authorId, author, now, now, slugFor(fields.title))!
  if (fields.tagList !== undefined && fields.tagList.length > 0) {
    conduitStatements.clearTags.run(id)
    for (const [position, tag] of [...new Set(fields.tagList)].entries()) conduitStatements.insertTag.run(id, position, tag)
  }
  const slug = conduitStatements.slug.get(id)!.slug
  const page = readerPage({ kind: 'slug', slug }, authorId, 1, 0)
  return { slug, json: JSON.stringify({ article: conduitArticle(page.rows[0]!, page.tags, true) }) }
})

// What the service's request-context and cors plugins put on every response, and
// negotiation on every route that has representations (all the benchmark's).
const COMMON_HEADERS = [
  'x-content-type-options', 'nosniff',
  'access-control-allow-origin', '*',
  'access-control-expose-headers', 'Link, ETag, Location, Retry-After, X-Request-Id, WWW-Authenticate, Content-Disposition',
  'vary', 'Accept'
]
const CHALLENGES = ['www-authenticate', 'Basic realm="restful-api", charset="UTF-8"', 'www-authenticate', 'Bearer realm="restful-api"']
const TEXT = 'text/plain; charset=utf-8'
const JSON_TYPE = 'application/json; charset=utf-8'
// as src/plugins/auth.ts and src/routes/articles.ts
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/
/** `Token` is the RealWorld API's name for a bearer token; both work everywhere. */
const TOKEN_SCHEMES = new Set(['bearer', 'token'])
/** Every answer under /api is JSON. */
const JSON_ONLY = ['application/json']
const WRITE_TYPES = ['application/json', 'application/merge-patch+json']

const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest()
const adminDigest = sha256(config.adminPassword ?? DEMO_ADMIN_PASSWORD)
const etagOf = (article: { id: number, version: number }) => `"${article.id}-${article.version}"`

function articleJson (row: ArticleRow): string {
  const article = { id: row.id, title: row.title, body: row.body, author: row.author, createdAt: row.created_at, updatedAt: row.updated_at }
  // the service's serialiser writes the optional summary last, and leaves it out when there is none
  return JSON.stringify(row.summary === null ? article : { ...article, summary: row.summary })
}

/** Writes the whole answer at once; a flat header list keeps the service's order. */
function answer (res: ServerResponse, status: number, headers: readonly string[], type?: string, body?: string, requestId = randomUUID()): void {
  const head = ['x-request-id', requestId, ...COMMON_HEADERS, ...headers]
  if (type !== undefined && body !== undefined) head.push('content-type', type, 'content-length', String(Buffer.byteLength(body)))
  res.writeHead(status, head).end(body)
}

/** The API's error shape, so that a failure reads the same; the benchmark expects none. */
function fail (res: ServerResponse, error: HttpError): void {
  const requestId = randomUUID()
  const headers = error.statusCode === 401 ? CHALLENGES : []
  answer(res, error.statusCode, headers, JSON_TYPE, JSON.stringify({ status: error.statusCode, message: error.message, code: error.code, requestId }), requestId)
}

/** The representation chosen from Accept; the baseline serves only each route's default. */
function representation (req: IncomingMessage, offered: readonly string[]): void {
  const type = negotiate(req.headers.accept, offered)
  if (type !== offered[0]) throw new HttpError(406, 'NOT_ACCEPTABLE', `Not Acceptable: the baseline serves ${offered[0]} only`)
}

/** Basic for the configured admin, or a stored bearer token; undefined when they do not check out. */
function authenticate (header: string): Principal | undefined {
  const space = header.indexOf(' ')
  const scheme = header.slice(0, space === -1 ? undefined : space).toLowerCase()
  const credentials = space === -1 ? '' : header.slice(space + 1).trim()
  if (!TOKEN68.test(credentials)) return undefined
  if (scheme === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    // stored users' passwords (scrypt, then the service's cache) are not part of the benchmark
    if (colon <= 0 || decoded.slice(0, colon) !== config.adminUser) return undefined
    return timingSafeEqual(sha256(decoded.slice(colon + 1)), adminDigest) ? { kind: 'admin', username: config.adminUser } : undefined
  }
  if (!TOKEN_SCHEMES.has(scheme)) return undefined
  // tokens are stored as their SHA-256, as src/repositories/tokens.ts does
  const owner = sql.tokenOwner.get(createHash('sha256').update(credentials).digest('hex'), new Date().toISOString())
  if (owner === undefined) return undefined
  if (owner.user_id === null) return { kind: 'admin', username: config.adminUser }
  return { kind: 'user', id: Number(owner.user_id), username: owner.username ?? '' }
}

function principalOf (req: IncomingMessage, required: boolean): Principal | undefined {
  const header = req.headers.authorization
  if (header === undefined || header.trim() === '') {
    if (required) throw new HttpError(401, 'UNAUTHENTICATED', 'Authenticate.')
    return undefined
  }
  const principal = authenticate(header)
  if (principal === undefined) throw new HttpError(401, 'UNAUTHENTICATED', 'Authenticate.')
  return principal
}

function readBody (req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) reject(new HttpError(413, 'PAYLOAD_TOO_LARGE', 'Payload Too Large'))
      else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function parseJson (text: string): unknown {
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    throw new HttpError(400, 'INVALID_JSON', `Invalid JSON: ${(err as Error).message}`)
  }
}

/** The absolute URL of a path as this client reaches it, as src/plugins/urls.ts builds it. */
function absoluteUrl (req: IncomingMessage, path: string): string {
  const host = req.headers.host ?? ''
  if (VALID_HOST.test(host)) return `http://${host}${path}`
  return `http://${req.socket.localAddress}:${req.socket.localPort}${path}`
}

const USER_PATH = /^\/users\/(\d{1,15})$/
const CONDUIT_ARTICLE_PATH = /^\/api\/articles\/([^/]+)$/
const ARTICLE_PATH = /^\/articles\/(\d{1,15})$/

async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/'
  const mark = url.indexOf('?')
  const path = mark === -1 ? url : url.slice(0, mark)
  const query = new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1))

  if (req.method === 'GET' && path === '/hello') {
    representation(req, TEXT_TYPES)
    answer(res, 200, [], TEXT, `Hello ${query.get('name') ?? 'John Doe'}`)
    return
  }
  if (req.method === 'GET' && USER_PATH.test(path)) {
    representation(req, DATA_TYPES)
    const user = sql.user.get(Number(USER_PATH.exec(path)![1]))
    if (user === undefined) throw new HttpError(404, 'USER_NOT_FOUND', `Not Found: ${absoluteUrl(req, url)}`)
    answer(res, 200, [], JSON_TYPE, JSON.stringify({ id: user.id, username: user.username, createdAt: user.created_at }))
    return
  }
  if (req.method === 'GET' && ARTICLE_PATH.test(path)) {
    representation(req, DATA_TYPES)
    const article = sql.article.get(Number(ARTICLE_PATH.exec(path)![1]))
    if (article === undefined) throw new HttpError(404, 'ARTICLE_NOT_FOUND', `Not Found: ${absoluteUrl(req, url)}`)
    const etag = etagOf(article)
    if (noneMatchHits(req.headers['if-none-match'], etag)) answer(res, 304, ['etag', etag])
    else answer(res, 200, ['etag', etag], JSON_TYPE, articleJson(article))
    return
  }
  if (req.method === 'GET' && path === '/articles') {
    representation(req, LIST_TYPES)
    if (query.has('q') || query.has('author')) throw new HttpError(501, 'NOT_IMPLEMENTED', 'The baseline neither searches nor filters')
    const limitText = query.get('limit')
    const limit = limitText === null ? undefined : Number(limitText)
    if (limit !== undefined && (!/^\d+$/.test(limitText!) || limit < 1 || limit > 100)) {
      throw new HttpError(400, 'VALIDATION_FAILED', 'Invalid request: querystring.limit must be an integer from 1 to 100')
    }
    const page = pageOf({ limit, after: query.get('after') ?? undefined }, byId)
    const rows = page.after === undefined ? sql.firstPage.all(page.limit + 1) : sql.nextPage.all(page.after, page.limit + 1)
    const items = rows.slice(0, page.limit)
    const headers: string[] = []
    if (rows.length > page.limit) {
      query.set('limit', String(page.limit))
      query.set('after', encodeCursor(byId.of(items.at(-1)!)))
      headers.push('link', `<${absoluteUrl(req, `${path}?${query.toString()}`)}>; rel="next"`)
    }
    answer(res, 200, headers, JSON_TYPE, `[${items.map(articleJson).join(',')}]`)
    return
  }
  if (req.method === 'GET' && path === '/secrets') {
    principalOf(req, true)
    representation(req, TEXT_TYPES)
    answer(res, 200, [], TEXT, 'Shhh this is top secret spy stuff!')
    return
  }
  if (req.method === 'POST' && path === '/messages') {
    const principal = principalOf(req, false)
    representation(req, TEXT_TYPES)
    const contentType = req.headers['content-type'] ?? ''
    if (!isJsonType(mediaTypeOf(contentType))) throw new HttpError(501, 'NOT_IMPLEMENTED', 'The baseline stores JSON messages only')
    const bytes = await readBody(req, config.bodyLimit)
    const text = bytes.toString('utf8')
    parseJson(text)
    const reply = `JSON Message: ${pythonJsonDumps(text)}`
    const { lastInsertRowid } = sql.insertMessage.run(principal?.kind === 'user' ? principal.id : null, principal?.username ?? null,
      contentType, bytes.length, sha256(bytes).toString('hex'), bytes, new Date().toISOString())
    answer(res, 201, ['location', `/messages/${lastInsertRowid}`], TEXT, reply)
    return
  }
  if (req.method === 'POST' && path === '/articles') {
    const principal = principalOf(req, true)!
    representation(req, DATA_TYPES)
    if (!WRITE_TYPES.includes(mediaTypeOf(req.headers['content-type']))) {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Unsupported Media Type: send one of ${WRITE_TYPES.join(', ')}`)
    }
    const fields = parseJson((await readBody(req, config.jsonLimit)).toString('utf8'))
    if (!validArticle.Check(fields)) throw new HttpError(400, 'VALIDATION_FAILED', 'Invalid request: the body is not an article')
    const { title, summary = null, body } = fields
    const now = new Date().toISOString()
    const authorId = principal.kind === 'user' ? principal.id : null
    const { lastInsertRowid } = sql.insertArticle.run(title, summary, body, authorId, principal.username, now, now, slugFor(title))
    const article: ArticleRow = { id: Number(lastInsertRowid), title, summary, body, author: principal.username, version: 1, created_at: now, updated_at: now }
    answer(res, 201, ['location', `/articles/${article.id}`, 'etag', etagOf(article)], JSON_TYPE, articleJson(article))
    return
  }
  if (path.startsWith('/api/')) {
    await handleConduit(req, res, path, query)
    return
  }
  throw new HttpError(404, 'NOT_FOUND', `Not Found: ${absoluteUrl(req, url)}`)
}

/**
 * The RealWorld API's four requests of the benchmark, read as the signed-in user of the
 * token (`following`, `favorited`). Its error shape is not reproduced: the benchmark expects none.
 */
async function handleConduit (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  if (req.method === 'GET' && path === '/api/articles/feed') {
    const principal = principalOf(req, true)!
    representation(req, JSON_ONLY)
    if (principal.kind !== 'user') throw new HttpError(403, 'FORBIDDEN', 'Forbidden: the admin has no feed')
    answer(res, 200, [], JSON_TYPE, conduitList({ kind: 'feed', userId: principal.id }, principal.id, query))
    return
  }
  if (req.method === 'GET' && path === '/api/articles') {
    const principal = principalOf(req, false)
    representation(req, JSON_ONLY)
    if (query.has('tag') || query.has('author') || query.has('favorited')) throw new HttpError(501, 'NOT_IMPLEMENTED', 'The baseline does not filter')
    answer(res, 200, [], JSON_TYPE, conduitList({ kind: 'all' }, principal?.kind === 'user' ? principal.id : null, query))
    return
  }
  if (req.method === 'GET' && CONDUIT_ARTICLE_PATH.test(path)) {
    const principal = principalOf(req, false)
    representation(req, JSON_ONLY)
    const slug = decodeURIComponent(CONDUIT_ARTICLE_PATH.exec(path)![1]!)
    if (slug.length > 1024) throw new HttpError(422, 'VALIDATION_FAILED', 'Invalid request: slug')
    const page = readerPage({ kind: 'slug', slug }, principal?.kind === 'user' ? principal.id : null, 1, 0)
    if (page.rows.length === 0) throw new HttpError(404, 'ARTICLE_NOT_FOUND', 'article not found')
    answer(res, 200, [], JSON_TYPE, JSON.stringify({ article: conduitArticle(page.rows[0]!, page.tags, true) }))
    return
  }
  if (req.method === 'POST' && path === '/api/articles') {
    const principal = principalOf(req, true)!
    representation(req, JSON_ONLY)
    if (mediaTypeOf(req.headers['content-type']) !== 'application/json') {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type: send application/json')
    }
    const fields = parseJson((await readBody(req, config.jsonLimit)).toString('utf8'))
    if (!validConduitArticle.Check(fields)) throw new HttpError(422, 'VALIDATION_FAILED', 'Invalid request: the body is not an article')
    const created = createConduitArticle.immediate(fields.article, principal.kind === 'user' ? principal.id : null, principal.username)
    answer(res, 201, ['location', `/api/articles/${encodeURIComponent(created.slug)}`], JSON_TYPE, created.json)
    return
  }
  throw new HttpError(404, 'NOT_FOUND', `Not Found: ${path}`)
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    fail(res, err instanceof HttpError ? err : new HttpError(500, 'INTERNAL_ERROR', 'Internal Server Error'))
  })
})
// the service's idle keep-alive timeout, so that connections (and their Keep-Alive header) behave alike
server.keepAliveTimeout = config.keepAliveTimeoutSeconds * 1000

process.on('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  db.close()
  process.exit(0)
})

server.listen(config.port, config.host, () => {
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  process.stdout.write(`listening on http://${config.host}:${port}\n`)
})
