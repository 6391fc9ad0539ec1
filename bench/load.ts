/**
 * One load run, in a process of its own so that it can be pinned to another
 * core than the servers: a warm-up, then the measured run with autocannon.
 * Reads a LoadSpec (JSON) from argv[2], writes a LoadResult (JSON) to stdout.
 * Started by bench/run.ts; not meant to be run by hand.
 */
import { randomBytes } from 'node:crypto'
import autocannon from 'autocannon'
import { cpuSeconds } from './proc.js'

export interface LoadSpec {
  readonly url: string
  readonly method: 'GET' | 'POST'
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  /** A placeholder in the body that every request replaces by a text of its own (Scenario.unique). */
  readonly unique?: string
  readonly connections: number
  readonly warmupSeconds: number
  readonly seconds: number
  /** The server under load, whose CPU use is measured over the run. */
  readonly serverPid: number
}

export interface LoadResult {
  readonly requests: number
  readonly seconds: number
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly meanMs: number
  /** Responses by status code. */
  readonly statuses: Readonly<Record<string, number>>
  /** Connection errors, timeouts included. */
  readonly errors: number
  /** CPU the server used during the run, in cores (1: one core busy all the time); null without /proc. */
  readonly serverCpu: number | null
  /** The server's CPU time per answered request, microseconds: its cost, whether or not it was saturated. */
  readonly serverCpuUsPerRequest: number | null
  /** CPU this load generator used, in cores: near 1, it was the limit rather than the server. */
  readonly loadCpu: number
}

/** This process's requests' own texts for `spec.unique`: a random prefix (one per run, so runs on one server differ too) and a count. */
const runTag = randomBytes(3).toString('hex')
let sent = 0

function run (spec: LoadSpec, seconds: number, onResponse?: (status: number, ms: number) => void): Promise<autocannon.Result> {
  const { unique, body } = spec
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: spec.url,
      method: spec.method,
      headers: { ...spec.headers },
      body,
      // rebuilt for every request, Content-Length included (autocannon's idReplacement declares a fixed length)
      ...(unique === undefined || body === undefined
        ? {}
        : { requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, body: body.replaceAll(unique, `${runTag}-${++sent}`) }) }] }),
      connections: spec.connections,
      duration: seconds
    }, (err: unknown, result) => { if (err) reject(err); else resolve(result) })
    if (onResponse !== undefined) instance.on('response', (_client, status, _bytes, ms) => onResponse(status, ms))
  })
}

/** The value below which a share `q` of the sorted values lie (nearest rank). */
const percentile = (sorted: Float64Array, q: number) => sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!

async function main (): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec
  await run(spec, spec.warmupSeconds)

  // autocannon's own histogram keeps whole milliseconds, too coarse for sub-millisecond
  // answers, so every response time is kept here as measured
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  const cpuBefore = cpuSeconds(spec.serverPid)
  const ownBefore = process.cpuUsage()
  const started = performance.now()
  const result = await run(spec, spec.seconds, (status, ms) => {
    latencies.push(ms)
    statuses[status] = (statuses[status] ?? 0) + 1
  })
  const seconds = (performance.now() - started) / 1000
  const cpuAfter = cpuSeconds(spec.serverPid)
  const own = process.cpuUsage(ownBefore)
  const serverCpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? null : cpuAfter - cpuBefore

  const sorted = Float64Array.from(latencies).sort()
  const output: LoadResult = {
    requests: latencies.length,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: latencies.reduce((sum, ms) => sum + ms, 0) / Math.max(1, latencies.length),
    statuses,
    errors: result.errors,
    serverCpu: serverCpuSeconds === null ? null : serverCpuSeconds / seconds,
    serverCpuUsPerRequest: serverCpuSeconds === null || latencies.length === 0 ? null : serverCpuSeconds * 1e6 / latencies.length,
    loadCpu: (own.user + own.system) / 1e6 / seconds
  }
  process.stdout.write(JSON.stringify(output))
}

await main()
