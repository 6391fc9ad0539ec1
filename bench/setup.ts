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
import { NODE_FLAGS } from '../test/process/spawn.js'
import { fetchAnswer } from './check.js'
import { scenarios, type Fixtures } from './scenarios.js'

const execFileAsync = promisify(execFile)

/** Articles added to the demo data, so that the first page is full and has a next one. */
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

/** The admin's Basic credential and a bearer token of steve's, for the authenticated scenarios. */
export function credentials (bearerToken: string): { basic: string, bearer: string } {
  return { basic: `Basic ${Buffer.from(`${adminUser}:${adminPassword}`).toString('base64')}`, bearer: `Bearer ${bearerToken}` }
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

/** The database every server starts from, made as a user would make it. */
export async function prepareTemplate (): Promise<{ path: string, bearerToken: string }> {
  const path = join(root, 'template.db')
  await cli('migrate', '--database', path)
  const bearerToken = (await cli('tokens', 'create', 'steve', '--database', path, '--token-ttl', '86400')).trim()
  const db = new Database(path)
  const insert = db.prepare(`INSERT INTO articles (title, summary, body, author_id, author, version, created_at, updated_at)
    VALUES (?, ?, ?, 1, 'john', 1, ?, ?)`)
  const start = Date.parse('2026-01-05T09:00:00.000Z')
  db.transaction(() => {
    for (let i = 1; i <= EXTRA_ARTICLES; i++) {
      const at = new Date(start + i * 3_600_000).toISOString()
      const paragraph = `Part ${i} of the notes on running an HTTP API: what a client sends, what the server stores, and how both fail. `
      insert.run(`Notes on HTTP APIs, part ${i}`, i % 3 === 0 ? null : `What part ${i} covers, in one sentence.`, paragraph.repeat(2 + (i % 4)), at, at)
    }
  })()
  db.close()
  return { path, bearerToken }
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
