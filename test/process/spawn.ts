import { spawn, type ChildProcess } from 'node:child_process'
import { request, type Agent, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OPTIONS } from '../../src/config.js'

export const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))
/** The build users run (npm start); `npm ci` makes it, and `npm test` and `npm run test:reliability` build it first. */
export const BUILT_CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))
const SOURCES = fileURLToPath(new URL('../../src', import.meta.url))
/** The V8 flags `npm start` gives node (package.json config.node_flags), for running the build as users do. */
export const NODE_FLAGS: readonly string[] = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { config: { node_flags: string } })
  .config.node_flags.split(' ').filter((flag) => flag !== '')
// Resolved here, not by the child: the child runs in a temp dir, where `tsx` cannot be found.
const TSX_LOADER = import.meta.resolve('tsx')

/** How long a process may take to start, run a command or stop before the test fails. */
export const PROCESS_TIMEOUT_MS = 30_000
/** Passed to `it` so that a hung process fails its test instead of hanging the suite. */
export const TEST_TIMEOUT_MS = 90_000

/** The demo administrator, usable only on loopback. */
export const DEMO_ADMIN = { username: 'admin', password: 'secret' }

export function basicAuth (username: string, password: string): string {
  return 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64')
}

/** A private working folder for one test, removed after it. */
export function tempDir (t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'restful-api-process-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * The test run's environment without any of the service's variables (nor the
 * test runner's own marker), so only what a test passes configures the child.
 */
export function childEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const option of OPTIONS) delete env[option.env]
  delete env.NODE_TEST_CONTEXT
  return { ...env, ...extra }
}

export interface SpawnOptions {
  /** Working directory; relative defaults such as ./data/app.db resolve against it. */
  readonly cwd: string
  /** Extra environment variables (on top of a clean environment). */
  readonly env?: Record<string, string>
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  readonly input?: string
  /**
   * Runs the build (dist/cli.js) instead of the sources through tsx: for measuring the
   * process itself, as tsx's loader adds its own memory, which grows as it maps stack
   * traces; and for suites that start many processes at once, as a start through tsx
   * takes about 4 times the CPU (2.6 s against 0.7 s here), and 12 of them on 2 cores
   * came near the startup timeout.
   */
  readonly built?: boolean
}

/** Newest modification time of the files under `dir`. */
function newestMtime (dir: string): number {
  return Math.max(...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((file) => statSync(join(dir, file)).mtimeMs))
}

let buildChecked = false

/** A build older than the sources would test old code: fail with what to run instead. */
function assertBuildIsCurrent (): void {
  if (buildChecked) return
  const built = existsSync(BUILT_CLI) ? statSync(BUILT_CLI).mtimeMs : -Infinity
  if (built < newestMtime(SOURCES)) throw new Error(`${BUILT_CLI} is older than the sources: run \`npm run build\` (npm test does)`)
  buildChecked = true
}

function spawnCli (args: readonly string[], options: SpawnOptions): ChildProcess {
  if (options.built === true) assertBuildIsCurrent()
  const entry = options.built === true ? [...NODE_FLAGS, BUILT_CLI] : ['--import', TSX_LOADER, CLI]
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe']
  })
  // a child that exits without reading stdin must not crash the test run with EPIPE
  child.stdin?.on('error', () => {})
  child.stdin?.end(options.input ?? '')
  return child
}

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** Resolves when the child has exited; kills it and rejects after `ms`. */
export function exitOf (child: ChildProcess, ms = PROCESS_TIMEOUT_MS, describe = () => ''): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`process ${child.pid} still running after ${ms} ms${describe()}`))
    }, ms)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal })
    })
  })
}

function collect (child: ChildProcess): { stdout: () => string, stderr: () => string } {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  return { stdout: () => stdout, stderr: () => stderr }
}

export interface CliResult extends Exit {
  readonly stdout: string
  readonly stderr: string
}

/** Runs one CLI command to completion; SIGKILLed (and so failing its test) after PROCESS_TIMEOUT_MS. */
export async function runCli (t: TestContext, args: readonly string[], options: SpawnOptions): Promise<CliResult> {
  const child = spawnCli(args, options)
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const output = collect(child)
  // 'close', not 'exit': it waits for the pipes, so no output is missed
  const closed = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL') }, PROCESS_TIMEOUT_MS)
  const exit = await closed
  clearTimeout(timer)
  const note = timedOut ? `\n[killed: still running after ${PROCESS_TIMEOUT_MS} ms]` : ''
  return { ...exit, stdout: output.stdout(), stderr: output.stderr() + note }
}

export interface ServerProcess {
  readonly child: ChildProcess
  /** The address the startup line printed, e.g. http://127.0.0.1:40123 */
  readonly listening: string
  readonly port: number
  /** Where to reach it: loopback and the bound port, whatever host it bound. */
  readonly url: string
  stdout (): string
  stderr (): string
  /** Sends `signal` (SIGTERM by default) and waits for the exit. */
  stop (signal?: NodeJS.Signals): Promise<Exit>
  /** Waits for the exit without causing it; SIGKILLs and rejects after PROCESS_TIMEOUT_MS. */
  waitForExit (): Promise<Exit>
  fetch (path: string, init?: RequestInit): Promise<Response>
}

const LISTENING = /listening on (http:\/\/(\S+):(\d+))/

/**
 * Starts `restful-api [args]` and resolves once it printed its startup line.
 * The process is SIGKILLed after the test if it is still running.
 */
export async function startServer (t: TestContext, args: readonly string[], options: SpawnOptions): Promise<ServerProcess> {
  const child = spawnCli(args, options)
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const output = collect(child)
  const describeOutput = () => `\nstdout: ${output.stdout()}\nstderr: ${output.stderr()}`
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`no startup line after ${PROCESS_TIMEOUT_MS} ms${describeOutput()}`))
    }, PROCESS_TIMEOUT_MS)
    const check = () => {
      const found = LISTENING.exec(output.stdout())
      if (found === null) return
      clearTimeout(timer)
      child.stdout?.off('data', check)
      resolve(found)
    }
    child.stdout?.on('data', check)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`exited (code ${code}, signal ${signal}) before listening${describeOutput()}`))
    })
  })
  const port = Number(match[3])
  const url = `http://127.0.0.1:${port}`
  return {
    child,
    listening: match[1] as string,
    port,
    url,
    stdout: output.stdout,
    stderr: output.stderr,
    async stop (signal: NodeJS.Signals = 'SIGTERM') {
      const exited = exitOf(child, PROCESS_TIMEOUT_MS, describeOutput)
      child.kill(signal)
      return await exited
    },
    waitForExit: () => exitOf(child, PROCESS_TIMEOUT_MS, describeOutput),
    fetch: (path, init) => fetch(url + path, init)
  }
}

/** Polls `check` until it returns a value other than undefined; fails after PROCESS_TIMEOUT_MS. */
export async function eventually<T> (what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + PROCESS_TIMEOUT_MS
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** A whole HTTP answer, body read as UTF-8. */
export interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** Reads a response of node:http to its end. */
export function answerOf (res: IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (chunk: Buffer) => chunks.push(chunk))
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    res.on('error', reject)
  })
}

/** One GET from `localAddress` (loopback has them all); resolves with the answer and how long it took. */
export function getFrom (port: number, path: string, options: { localAddress?: string, agent?: Agent | false, headers?: Record<string, string> } = {}): Promise<Answer & { ms: number }> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: options.agent ?? false, localAddress: options.localAddress ?? '127.0.0.1', headers: options.headers }, (res) => {
      answerOf(res).then((answer) => resolve({ ...answer, ms: Date.now() - started }), reject)
    })
    req.on('error', reject)
    req.end()
  })
}
