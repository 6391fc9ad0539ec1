/**
 * Page 1 against a page 100 000 rows deep, in a table of 1 000 000 articles,
 * through the real server (a separate process). Keyset pagination should make
 * both cost the same; the goal is deep ≤ 1.5 × page 1. Not a test: run with
 * `npm run bench:pagination`.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import { createDb } from '../src/db/index.js'
import { migrate } from '../src/db/migrations.js'
import { encodeCursor } from '../src/routes/pagination.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const DEPTH = 100_000
const ROUNDS = 3
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = 10

const dir = mkdtempSync(join(tmpdir(), 'restful-api-bench-'))
const path = join(dir, 'bench.db')

async function seed (): Promise<void> {
  const db = await createDb(path)
  await migrate(db, { demoData: false })
  await db.close()
  const raw = new Database(path)
  const insert = raw.prepare(`INSERT INTO articles (title, summary, body, author_id, author, version, created_at, updated_at)
    VALUES (?, NULL, ?, NULL, 'admin', 1, ?, ?)`)
  const started = Date.now()
  raw.transaction(() => {
    const now = new Date().toISOString()
    for (let i = 1; i <= ROWS; i++) insert.run(`Article ${i}`, `Body of article number ${i}.`, now, now)
  })()
  raw.close()
  console.log(`seeded ${ROWS} articles in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

/** The server as a user runs it, pinned to the last core when there are two or more. */
async function startServer (): Promise<{ url: string, stop: () => void }> {
  const pin = cpus().length >= 2 ? ['taskset', '-c', String(cpus().length - 1)] : []
  const args = [...pin, process.execPath, 'dist/cli.js', '--database', path, '--port', '0', '--log-file', join(dir, 'app.log')]
  const child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /listening on (\S+)/.exec(chunk.toString())
      if (match !== null) resolve(match[1]!)
    })
    child.on('exit', (code) => reject(new Error(`server exited (${code})`)))
  })
  return { url, stop: () => child.kill('SIGTERM') }
}

interface Sample { readonly requests: number, readonly p50: number, readonly p99: number, readonly mean: number }

async function measure (url: string): Promise<Sample> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  return { requests: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function main (): Promise<void> {
  await seed()
  const server = await startServer()
  try {
    // newest first, ids ROWS…1: the page that starts DEPTH rows down resumes after id ROWS - DEPTH + 1
    const pages = {
      first: `${server.url}/articles?limit=20`,
      deep: `${server.url}/articles?limit=20&after=${encodeCursor(ROWS - DEPTH + 1)}`
    }
    const check = await (await fetch(pages.deep)).json() as Array<{ id: number }>
    if (check[0]?.id !== ROWS - DEPTH) throw new Error(`the deep page starts at ${check[0]?.id}, not ${ROWS - DEPTH}`)
    await measure(pages.first) // warm-up
    const samples: Record<keyof typeof pages, Sample[]> = { first: [], deep: [] }
    for (let round = 0; round < ROUNDS; round++) {
      // alternate, so that drift on a shared machine hits both alike
      for (const name of (round % 2 === 0 ? ['first', 'deep'] : ['deep', 'first']) as Array<keyof typeof pages>) {
        samples[name].push(await measure(pages[name]))
      }
    }
    const summary = Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, {
      requestsPerSecond: median(list.map((s) => s.requests)),
      p50Ms: median(list.map((s) => s.p50)),
      p99Ms: median(list.map((s) => s.p99)),
      meanMs: median(list.map((s) => s.mean))
    }])) as Record<keyof typeof pages, { requestsPerSecond: number, p50Ms: number, p99Ms: number, meanMs: number }>
    const ratio = summary.deep.meanMs / summary.first.meanMs
    console.table(summary)
    console.log(`deep page (${DEPTH} rows down of ${ROWS}) / page 1 mean latency: ${ratio.toFixed(2)} (goal ≤ 1.5)`)
    writeFileSync('bench/pagination-results.json', JSON.stringify({
      date: new Date().toISOString(), rows: ROWS, depth: DEPTH, rounds: ROUNDS, secondsPerRun: SECONDS, connections: CONNECTIONS, summary, ratio
    }, null, 2) + '\n')
  } finally {
    server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
