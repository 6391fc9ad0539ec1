/** The benchmark's requests, their load and their targets. */

export type Kind = 'read' | 'auth' | 'write'

export const TARGETS = {
  /** Service requests/s over baseline requests/s, measured in the same run. */
  ratio: { read: 0.85, auth: 0.8, write: 0.8 } satisfies Record<Kind, number>,
  /**
   * The RealWorld API under /api, targets of its own: each read does three queries and
   * serialises a nested answer; a write is a transaction of an article and its tags.
   */
  realworld: { read: 0.75, write: 1.0 },
  /** The service's peak RSS under load, MB (2^20 bytes). */
  peakRssMb: 120,
  /** From spawning `node dist/cli.js` to its `listening on` line, milliseconds. */
  startupMs: 500
}

/**
 * Concurrent connections. Reads: 10 keep a request waiting on every turn of
 * one server core, so the server is saturated, while the queue stays short
 * enough for p50/p99 to describe the server rather than the queue (as
 * bench/pagination.ts). Writes: 50, so that commits
 * queue behind each fsync as they would under real traffic.
 */
export const CONNECTIONS: Record<Kind, number> = { read: 10, auth: 10, write: 50 }

export interface Scenario {
  /** A number, with a letter where one number has two requests (3a, 3b). */
  readonly id: string
  readonly title: string
  readonly kind: Kind
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  /** The only status a correct answer has; any other makes a run invalid. */
  readonly expect: number
  /** Its own target ratio, where its kind's (TARGETS.ratio) is not the one. */
  readonly target?: number
  /**
   * A placeholder in the body that each request of a load run replaces by a text of its own
   * (the answer check sends it as it is). For a write whose title makes the new article's
   * slug: its 32 random bits alone, under tens of thousands of articles with one title,
   * would collide (the birthday bound) and the service answer 409.
   */
  readonly unique?: string
}

/** The ratio a scenario must reach. */
export const targetOf = (scenario: Pick<Scenario, 'kind' | 'target'>): number => scenario.target ?? TARGETS.ratio[scenario.kind]

/** What the requests need from the prepared database and the running service. */
export interface Fixtures {
  /** `Basic …` for the configured admin. */
  readonly basic: string
  /** `Bearer …`, a token of the demo user steve. */
  readonly bearer: string
  /** The ETag of article 3, as the service sent it. */
  readonly etag: string
  /** `Token …`, a token of the RealWorld reader, a user who follows four authors and has favorites. */
  readonly token: string
  /** The slug of an article by an author the reader follows, with three tags and favorites. */
  readonly slug: string
}

/** An article as an author would write one: a title, a summary and a few paragraphs. */
const ARTICLE = {
  title: 'Measuring an API against its physical limit',
  summary: 'A baseline on bare node:http tells how much of the cost is the framework.',
  body: [
    'A benchmark number means little alone: the same service is twice as fast on another machine.',
    'Measure a baseline in the same run instead, one that gives the same answers with nothing but the',
    'platform, and report the ratio. Run both on the same core, alternate them, and take medians, so that',
    'a noisy neighbour slows both alike. A write must cost what a durable write costs: one commit per',
    'request, on disk before the answer leaves.'
  ].join(' ')
}

/** Replaced by a text of each request's own in a load run (Scenario.unique). */
const NUMBER = '{n}'

/** A RealWorld article as a Conduit editor sends one: the same text, each title its own, and three tags. */
const CONDUIT_ARTICLE = {
  article: { title: `${ARTICLE.title}, take ${NUMBER}`, description: ARTICLE.summary, body: ARTICLE.body, tagList: ['http', 'benchmarks', 'node'] }
}

/** A message as a client might post one: a small JSON document, echoed back in the reply. */
const MESSAGE = { message: 'Hello Data', from: 'sensor-17', readings: [21.5, 21.75, 22], unit: '°C' }

export function scenarios (fixtures: Fixtures): Scenario[] {
  const json = { 'content-type': 'application/json' }
  const rw = TARGETS.realworld
  return [
    { id: '1', title: 'GET /hello', kind: 'read', method: 'GET', path: '/hello', headers: {}, expect: 200 },
    { id: '2', title: 'GET /users/2', kind: 'read', method: 'GET', path: '/users/2', headers: {}, expect: 200 },
    { id: '3a', title: 'GET /articles/3', kind: 'read', method: 'GET', path: '/articles/3', headers: {}, expect: 200 },
    { id: '3b', title: 'GET /articles?limit=20', kind: 'read', method: 'GET', path: '/articles?limit=20', headers: {}, expect: 200 },
    { id: '4a', title: 'GET /secrets (Basic)', kind: 'auth', method: 'GET', path: '/secrets', headers: { authorization: fixtures.basic }, expect: 200 },
    { id: '4b', title: 'GET /secrets (Bearer)', kind: 'auth', method: 'GET', path: '/secrets', headers: { authorization: fixtures.bearer }, expect: 200 },
    { id: '5a', title: 'POST /messages (JSON)', kind: 'write', method: 'POST', path: '/messages', headers: json, body: JSON.stringify(MESSAGE), expect: 201 },
    { id: '5b', title: 'POST /articles (Basic)', kind: 'write', method: 'POST', path: '/articles', headers: { ...json, authorization: fixtures.basic }, body: JSON.stringify(ARTICLE), expect: 201 },
    { id: '6', title: 'GET /articles/3 (304)', kind: 'read', method: 'GET', path: '/articles/3', headers: { 'if-none-match': fixtures.etag }, expect: 304 },
    // The RealWorld API, as a signed-in Conduit frontend calls it: every request with the
    // reader's token, so that `following` and `favorited` are the reader's.
    { id: '7a', title: 'GET /api/articles?limit=20', kind: 'read', method: 'GET', path: '/api/articles?limit=20', headers: { authorization: fixtures.token }, expect: 200, target: rw.read },
    { id: '7b', title: 'GET /api/articles/:slug', kind: 'read', method: 'GET', path: `/api/articles/${encodeURIComponent(fixtures.slug)}`, headers: { authorization: fixtures.token }, expect: 200, target: rw.read },
    { id: '7c', title: 'GET /api/articles/feed?limit=20', kind: 'read', method: 'GET', path: '/api/articles/feed?limit=20', headers: { authorization: fixtures.token }, expect: 200, target: rw.read },
    { id: '7d', title: 'POST /api/articles (Token)', kind: 'write', method: 'POST', path: '/api/articles', headers: { ...json, authorization: fixtures.token }, body: JSON.stringify(CONDUIT_ARTICLE), expect: 201, target: rw.write, unique: NUMBER }
  ]
}
