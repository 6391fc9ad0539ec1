import { randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { TestContext } from 'node:test'
import { Redis } from 'ioredis'
import pg from 'pg'
import { freshDatabaseUrl, TEST_DATABASE_URL } from '../helper.js'
import { answerOf, type Answer } from './spawn.js'

/**
 * The suites that need a PostgreSQL or a Redis server get it from TEST_DATABASE_URL
 * and TEST_REDIS_URL. Outside CI a missing variable skips them with its reason;
 * under CI nothing is skipped, so a missing variable or server fails the test.
 */
export const IN_CI = process.env.CI === 'true'
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || undefined

export type Service = 'TEST_DATABASE_URL' | 'TEST_REDIS_URL'
const WHAT: Record<Service, string> = { TEST_DATABASE_URL: 'a PostgreSQL', TEST_REDIS_URL: 'a Redis' }
const isSet = (service: Service) => (service === 'TEST_DATABASE_URL' ? TEST_DATABASE_URL : TEST_REDIS_URL) !== undefined

/** Options for `describe`/`it`: skipped, with a one-line reason, when a service is missing outside CI. */
export function needs (...services: Service[]): { skip?: string } {
  if (IN_CI) return {}
  const missing = services.filter((service) => !isSet(service))
  if (missing.length === 0) return {}
  return { skip: `${missing.join(' and ')} not set: these tests need ${missing.map((s) => WHAT[s]).join(' and ')} server` }
}

function required (service: Service): string {
  const value = service === 'TEST_DATABASE_URL' ? TEST_DATABASE_URL : TEST_REDIS_URL
  if (value === undefined) throw new Error(`${service} is not set: this test needs ${WHAT[service]} server`)
  return value
}

export interface PostgresSchema {
  /** What the server is given: the server's URL with search_path set to the schema. */
  readonly url: string
  /** The schema's name, for qualified names in the test's own SQL. */
  readonly schema: string
}

/** A PostgreSQL schema of its own for one test, dropped after it; never an SQLite fallback. */
export async function freshSchema (t: TestContext): Promise<PostgresSchema> {
  required('TEST_DATABASE_URL')
  const url = await freshDatabaseUrl(t)
  const schema = /search_path=(\w+)/.exec(new URL(url).searchParams.get('options') ?? '')?.[1]
  if (schema === undefined) throw new Error(`no schema in ${url}`)
  return { url, schema }
}

/** A client of the test's own on TEST_DATABASE_URL, ended after the test. */
export async function postgresClient (t: TestContext): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: required('TEST_DATABASE_URL'), connectionTimeoutMillis: 5000 })
  await client.connect()
  t.after(() => client.end().catch(() => {}))
  return client
}

/** `url` with its host and port replaced, e.g. to go through a proxy. */
export function viaPort (url: string, port: number): string {
  const changed = new URL(url)
  changed.hostname = '127.0.0.1'
  changed.port = String(port)
  return changed.toString()
}

export function withQuery (url: string, name: string, value: string): string {
  const changed = new URL(url)
  changed.searchParams.set(name, value)
  return changed.toString()
}

const CLAIM = 'restful-api-test:claim'

/**
 * A Redis logical database (1–15) of its own for one test: claimed with a key set
 * atomically with the FLUSHDB (WATCH/MULTI), so two tests running at once never
 * pick the same one, and flushed again after the test.
 */
export async function freshRedisUrl (t: TestContext): Promise<string> {
  const base = required('TEST_REDIS_URL')
  const token = randomUUID()
  const indexes = Array.from({ length: 15 }, (_, i) => i + 1).sort(() => Math.random() - 0.5)
  for (const index of indexes) {
    const url = new URL(base)
    url.pathname = `/${index}`
    const client = new Redis(url.toString(), { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 })
    client.on('error', () => {})
    await client.connect()
    await client.watch(CLAIM)
    if (await client.exists(CLAIM) === 1) {
      await client.unwatch()
      client.disconnect()
      continue
    }
    const claimed = await client.multi().flushdb().set(CLAIM, token, 'EX', 600).exec()
    if (claimed === null) {
      client.disconnect()
      continue
    }
    t.after(async () => {
      await client.flushdb()
      client.disconnect()
    })
    return url.toString()
  }
  throw new Error('every Redis logical database 1-15 is claimed by another test')
}

/**
 * A TCP proxy the test controls, between the server and PostgreSQL or Redis:
 * `close` cuts every connection and refuses new ones, `open` listens again on
 * the same port.
 */
export class TcpProxy {
  #server: Server | undefined
  readonly #sockets = new Set<Socket>()
  port = 0

  constructor (readonly targetHost: string, readonly targetPort: number) {}

  async open (): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost)
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket)
        socket.on('error', () => {})
        socket.on('close', () => {
          this.#sockets.delete(socket)
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream)
      upstream.pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.port = (server.address() as AddressInfo).port
    this.#server = server
  }

  async close (): Promise<void> {
    const server = this.#server
    this.#server = undefined
    for (const socket of this.#sockets) socket.destroy()
    if (server !== undefined) await new Promise((resolve) => server.close(resolve))
  }
}

/** A proxy to the host and port of the service's server, open, and closed after the test. */
export async function startProxy (t: TestContext, service: Service): Promise<TcpProxy> {
  const target = new URL(required(service))
  const proxy = new TcpProxy(target.hostname, Number(target.port || (target.protocol === 'redis:' ? 6379 : 5432)))
  await proxy.open()
  t.after(() => proxy.close())
  return proxy
}

export interface RequestOptions {
  readonly method?: string
  readonly headers?: Record<string, string>
  readonly body?: Buffer | string
  /** Fails with code NO_ANSWER when no answer came in time; 10 s by default. */
  readonly timeoutMs?: number
}

/** One request on a connection of its own (so that --workers spreads them), with a timeout against hangs. */
export function requestOnNewConnection (port: number, path: string, options: RequestOptions = {}): Promise<Answer> {
  const timeout = options.timeoutMs ?? 10_000
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false, timeout }, (res) => {
      answerOf(res).then(resolve, reject)
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error(`${path}: no answer in ${timeout} ms`), { code: 'NO_ANSWER' })))
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * The value of one sample in Prometheus text, found by name and labels (in any
 * order); undefined when there is no such sample.
 */
export function sampleValue (text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line)
    if (match === null || match[1] !== name) continue
    const found: Record<string, string> = {}
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[pair[1] as string] = pair[2] as string
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3])
  }
  return undefined
}

/** Polls until `check` returns true; fails with `what` and the last `describe()` after `ms`. */
export async function until (what: string, check: () => Promise<boolean>, ms = 15_000, describe = () => ''): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${describe()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
