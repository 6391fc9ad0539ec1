/**
 * What `npm run bench` and `npm run bench:instructions` share: a working
 * directory, the baseline compiled, the database every server starts from, and
 * servers started as a user starts them, to their `listening on` line.
 */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import ts from 'typescript'
import type { Agent } from 'node:http'
import { loadConfig, OPTIONS } from '../src/config.js'
import { slugFor } from '../src/lib/slug.js'
import { NODE_FLAGS } from '../test/process/spawn.js'
import { fetchAnswer } from './check.js'
import { scenarios, type Fixtures } from './scenarios.js'

const execFileAsync = promisify(execFile)

/** Articles added to the demo data, so that the first page is full and has a next one (the RealWorld reads' too). */
const EXTRA_ARTICLES = 100

export const root = mkdtempSync(join(tmpdir(), 'restful-api-bench-'))
export const buildDir = join(root, 'build')
const adminPassword = randomBytes(18).toString('base64url')
const adminUser = loadConfig([], {}).config.adminUser

// The servers see none of this shell's settings for them (a LOG_LEVEL, a PORT…):
// they run on their defaults and the flags given here, as a user would start them.
const serverEnv: NodeJS.ProcessEnv = { ...process.env }
for (const option of OPTIONS) delete serverEnv[option.env]
serverEnv.ADMIN_PASSWORD = adminPassword

/** Ends a bench that was started wrongly: the reason, exit code 2, and no working directory left behind. */
export function refuse (reason: string): never {
  process.stderr.write(`bench: ${reason}\n`)
  rmSync(root, { recursive: true, force: true })
  process.exit(2)
}

/** A positive number (an integer with `integer`) from the environment. */
export function positiveNumber (name: string, fallback: number, integer = false): number {
  const raw = process.env[name]
  const value = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    refuse(`${name} must be a positive ${integer ? 'integer' : 'number'}, not ${JSON.stringify(raw)}`)
  }
  return value
}

export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * What the scenarios need from the template: the admin's Basic credential, a bearer token of
 * steve's, and for the RealWorld API a token of its reader's (`Token …`) and an article's slug.
 */
export function credentials (template: Template): Omit<Fixtures, 'etag'> {
  return {
    basic: `Basic ${Buffer.from(`${adminUser}:${adminPassword}`).toString('base64')}`,
    bearer: `Bearer ${template.bearerToken}`,
    token: `Token ${template.readerToken}`,
    slug: template.slug
  }
}

/** The scenarios' requests, with the ETag the service at `url` gives article 3, for the 304. */
export async function scenariosFor (url: string, fixtures: Omit<Fixtures, 'etag'>, agent: Agent) {
  const [article] = scenarios({ ...fixtures, etag: '' }).filter((s) => s.id === '3a')
  const etag = (await fetchAnswer(url, article!, agent)).headers.find(([name]) => name.toLowerCase() === 'etag')?.[1]
  if (etag === undefined) throw new Error('GET /articles/3 of the service sent no ETag')
  return scenarios({ ...fixtures, etag })
}

/**
 * The baseline and the load generator run compiled, on plain node like the
 * service: under tsx they would carry its loader thread (about 40 MB and a few
 * threads), which would distort the baseline's memory.
 */
export function compileChildren (): void {
  const { config } = ts.readConfigFile('tsconfig.json', ts.sys.readFile)
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, process.cwd())
  const program = ts.createProgram(['bench/baseline.ts', 'bench/load.ts'], {
    ...options, rootDir: process.cwd(), outDir: buildDir, noEmit: false, incremental: false, sourceMap: false, declaration: false
  })
  const emitted = program.emit()
  if (emitted.emitSkipped) throw new Error(`compiling the baseline failed: ${ts.formatDiagnostics(emitted.diagnostics, ts.createCompilerHost(options))}`)
  // ESM, and the project's packages, from the temporary directory
  writeFileSync(join(buildDir, 'package.json'), '{"type":"module"}\n')
  symlinkSync(resolve('node_modules'), join(buildDir, 'node_modules'))
}

const cli = async (...args: string[]) => (await execFileAsync(process.execPath, ['dist/cli.js', ...args], { env: serverEnv })).stdout

/** The database every server starts from, and what the scenarios need to know of it. */
export interface Template {
  readonly path: string
  /** A token of steve's, for the tutorial's bearer scenario. */
  readonly bearerToken: string
  /** A token of the RealWorld reader's (READER), who follows several authors. */
  readonly readerToken: string
  /** The slug of the article GET /api/articles/:slug reads. */
  readonly slug: string
}

/**
 * The RealWorld data: users with emails (some with a bio and an image), who follow and
 * favorite; the extra articles spread over ten authors, each with a slug and 2 or 3 tags.
 * The reader, whose token the /api scenarios send, follows four of the authors and has
 * favorited some articles, so that `following` and `favorited` are both true and false on
 * a page. Deterministic (a seeded generator), so every run reads the same data.
 */
const READER = 'jake'
const REALWORLD_USERS = ['jake', 'ada', 'grace', 'linus', 'margaret', 'alan', 'barbara', 'dennis', 'ken', 'radia', 'edsger', 'donald']
const TAGS = ['http', 'api', 'rest', 'caching', 'sqlite', 'node', 'performance', 'testing', 'security', 'design', 'json', 'databases']
const IMAGE = 'https://api.realworld.io/images/smiley-cyrus.jpeg'

/** mulberry32: a small seeded generator, numbers in [0, 1). */
function seeded (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface UserRow { id: number, username: string }

/** The RealWorld users, and emails for the demo users; the ten authors of the extra articles (not the reader). */
function addUsers (db: Database.Database): { reader: UserRow, authors: UserRow[], users: UserRow[] } {
  const insert = db.prepare('INSERT INTO users (username, password_hash, email, email_key, bio, image, created_at) VALUES (?, NULL, ?, ?, ?, ?, ?)')
  REALWORLD_USERS.forEach((name, i) => {
    const email = `${name}@conduit.example`
    const bio = i % 3 === 2 ? null : `${name[0]!.toUpperCase()}${name.slice(1)} writes about HTTP, storage and the cost of things.`
    insert.run(name, email, email, bio, i % 2 === 1 ? null : IMAGE, '2026-01-01T08:00:00.000Z')
  })
  db.prepare("UPDATE users SET email = username || '@conduit.example', email_key = username || '@conduit.example' WHERE email IS NULL").run()
  const users = db.prepare('SELECT id, username FROM users ORDER BY id').all() as UserRow[]
  return { reader: users.find((u) => u.username === READER)!, authors: users.filter((u) => u.username !== READER).slice(0, 10), users }
}

/** Tags, follows and favorites; the slug of the article a reader opens. */
function addRelations (db: Database.Database, reader: UserRow, authors: readonly UserRow[], users: readonly UserRow[]): string {
  const random = seeded(6)
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!
  const articles = db.prepare('SELECT id FROM articles ORDER BY id').all() as Array<{ id: number }>
  const insertTag = db.prepare('INSERT INTO article_tags (article_id, position, tag) VALUES (?, ?, ?)')
  for (const { id } of articles) {
    const tags = new Set<string>()
    const count = random() < 0.5 ? 2 : 3
    while (tags.size < count) tags.add(pick(TAGS))
    ;[...tags].forEach((tag, position) => insertTag.run(id, position, tag))
  }
  // the reader follows four of the ten authors; every other user up to three
  const follow = db.prepare('INSERT OR IGNORE INTO follows (follower_id, followed_id) VALUES (?, ?)')
  for (const at of [0, 2, 4, 7]) follow.run(reader.id, authors[at]!.id)
  for (const user of users) {
    if (user.id === reader.id) continue
    for (let i = 0; i < 3; i++) {
      const author = pick(authors)
      if (author.id !== user.id) follow.run(user.id, author.id)
    }
  }
  // each user favorites about a third of the articles: 0 to 8 favorites an article
  const favorite = db.prepare('INSERT INTO favorites (user_id, article_id) VALUES (?, ?)')
  for (const user of users) {
    for (const { id } of articles) if (random() < 0.3) favorite.run(user.id, id)
  }
  // the article a reader opens: the newest with three tags by an author the reader follows
  return (db.prepare(`SELECT slug FROM articles a
    WHERE author_id IN (SELECT followed_id FROM follows WHERE follower_id = ?)
      AND (SELECT COUNT(*) FROM article_tags t WHERE t.article_id = a.id) = 3
    ORDER BY id DESC LIMIT 1`).get(reader.id) as { slug: string }).slug
}

/**
 * The database every server starts from, made as a user would make it: the service's
 * migrations and demo data, tokens from its CLI, then (in SQL) the extra articles and
 * the RealWorld data.
 */
export async function prepareTemplate (): Promise<Template> {
  const path = join(root, 'template.db')
  await cli('migrate', '--database', path)
  const bearerToken = (await cli('tokens', 'create', 'steve', '--database', path, '--token-ttl', '86400')).trim()
  const db = new Database(path)
  const insert = db.prepare(`INSERT INTO articles (title, summary, body, author_id, author, version, created_at, updated_at, slug)
    VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)`)
  const start = Date.parse('2026-01-05T09:00:00.000Z')
  const slug = db.transaction(() => {
    const { reader, authors, users } = addUsers(db)
    for (let i = 1; i <= EXTRA_ARTICLES; i++) {
      const at = new Date(start + i * 3_600_000).toISOString()
      const paragraph = `Part ${i} of the notes on running an HTTP API: what a client sends, what the server stores, and how both fail. `
      const title = `Notes on HTTP APIs, part ${i}`
      const author = authors[(i - 1) % authors.length]!
      insert.run(title, i % 3 === 0 ? null : `What part ${i} covers, in one sentence.`, paragraph.repeat(2 + (i % 4)), author.id, author.username, at, at, slugFor(title))
    }
    return addRelations(db, reader, authors, users)
  })()
  db.close()
  const readerToken = (await cli('tokens', 'create', READER, '--database', path, '--token-ttl', '86400')).trim()
  return { path, bearerToken, readerToken, slug }
}

/** A fresh copy of the template for one server. */
export function copyDatabase (template: string, dir: string): void {
  mkdirSync(dir, { recursive: true })
  copyFileSync(template, join(dir, 'app.db'))
}

export type Side = 'baseline' | 'service'

export interface RunningServer {
  readonly url: string
  readonly pid: number
  readonly startupMs: number
  stop (): Promise<void>
}

const running = new Set<RunningServer>()

/**
 * Starts a server on `dir`/app.db (logging to `dir`/app.log) and waits for its
 * `listening on` line. `prefix` runs it under another program that execs or
 * becomes node (taskset, valgrind), so the child's pid is the server's.
 */
export async function startServer (side: Side, dir: string, options: { prefix?: readonly string[], nodeFlags?: readonly string[] } = {}): Promise<RunningServer> {
  const entry = side === 'service' ? 'dist/cli.js' : join(buildDir, 'bench', 'baseline.js')
  // both sides run with the V8 flags `npm start` gives the service
  const command = [...options.prefix ?? [], process.execPath, ...options.nodeFlags ?? [], ...NODE_FLAGS, entry, '--port', '0', '--database', join(dir, 'app.db'), '--log-file', join(dir, 'app.log')]
  const started = performance.now()
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env: serverEnv })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (\S+)/.exec(output)
      if (match !== null) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`the ${side} exited (code ${code}) before listening`)))
  })
  const server: RunningServer = {
    url,
    pid: child.pid!,
    startupMs: performance.now() - started,
    async stop () {
      running.delete(server)
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
  }
  running.add(server)
  return server
}

/** Stops every server still running and removes the working directory. */
export async function cleanUp (): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()))
  rmSync(root, { recursive: true, force: true })
}
