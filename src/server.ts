import cluster from 'node:cluster'
import { createServer, type Server } from 'node:http'
import { createServer as createProbe } from 'node:net'
import closeWithGrace from 'close-with-grace'
import { AggregatorRegistry } from 'prom-client'
import { buildApp, METRICS_CONTENT_TYPE, METRICS_MESSAGE, NotFound, ServiceUnavailable, unroutedError } from './app.js'
import { argsWith, assertSafeToServe, type Config } from './config.js'

const SHUTDOWN_GRACE_MS = 10_000

function formatAddress (host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** --metrics-port: GET /metrics alone, on a port the API's clients need not reach. */
function serveMetrics (config: Config, metrics: () => Promise<string>): Promise<Server> {
  const server = createServer((request, response) => {
    const fail = (error: Parameters<typeof unroutedError>[0]) => {
      const { status, headers, body } = unroutedError(error, { accept: request.headers.accept }, { close: false })
      response.writeHead(status, headers).end(body)
    }
    if (request.url !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      fail(NotFound(`http://${request.headers.host ?? `${config.host}:${config.metricsPort}`}${request.url ?? '/'}`))
      return
    }
    metrics().then(
      (text) => response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(request.method === 'HEAD' ? undefined : text),
      () => { fail(ServiceUnavailable('Service Unavailable: the workers did not report their metrics', 1)) })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.metricsPort!, config.host, () => resolve(server))
  })
}

const portOf = (server: { address (): unknown }, fallback: number) => {
  const address = server.address()
  return typeof address === 'object' && address !== null ? (address as { port: number }).port : fallback
}

/** One process serving the API until SIGTERM/SIGINT, which drain it and exit 0. */
async function serveOne (config: Config): Promise<{ port: number, metricsPort?: number }> {
  const app = await buildApp(config)
  let metricsServer: Server | undefined
  closeWithGrace({ delay: SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'fatal error, shutting down')
    else app.log.info({ signal }, 'shutting down')
    metricsServer?.close()
    await app.drain()
    await app.close()
  })
  await app.listen({ host: config.host, port: config.port })
  // under --workers the primary serves the metrics port, for all workers together
  if (config.metricsPort !== null && !cluster.isWorker) metricsServer = await serveMetrics(config, () => app.metricsText())
  return { port: portOf(app.server, config.port), metricsPort: metricsServer === undefined ? undefined : portOf(metricsServer, 0) }
}

/**
 * A port free on `host` now. With --port 0 the primary picks it, and every worker,
 * a replacement too, is told to bind it: were each to ask for port 0, the primary's
 * shared socket would be bound anew, on another port, whenever all the workers
 * holding it had died at once. Between the probe's close and the first worker's
 * bind another program could take the port; the start then fails (EADDRINUSE).
 */
async function freePort (host: string): Promise<number> {
  const probe = createProbe()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject)
    probe.listen({ host, port: 0 }, resolve)
  })
  const port = portOf(probe, 0)
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/**
 * N processes on one port (node:cluster). The primary only supervises: it
 * replaces a worker that dies, answers the workers' requests for everyone's
 * metrics, and on SIGTERM stops them all and exits 0 once each has drained.
 */
async function superviseWorkers (config: Config): Promise<{ port: number, metricsPort?: number }> {
  // the workers share the listening socket and the kernel hands out connections: with the
  // default (the primary accepts and passes them on), a connection accepted while a worker
  // drains could be passed to it after it stopped listening, and hang until the end
  cluster.schedulingPolicy = cluster.SCHED_NONE
  const port = config.port === 0 ? await freePort(config.host) : config.port
  if (config.port === 0) {
    // the workers parse the primary's arguments again; a later flag beats an earlier one
    cluster.setupPrimary()
    cluster.setupPrimary({ args: argsWith(cluster.settings.args ?? [], 'port', String(port)) })
  }
  let stopping = false
  const aggregator = new AggregatorRegistry()
  cluster.on('message', (worker, message: { type?: unknown, id?: unknown }) => {
    if (message?.type !== METRICS_MESSAGE) return
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: METRICS_MESSAGE, id: message.id, text }),
      () => {} // the worker's own timeout answers 503
    )
  })
  const listening = new Promise<void>((resolve, reject) => {
    // by worker: with --host localhost a worker listens twice (IPv4 and IPv6)
    const ready = new Set<number>()
    let started = false
    cluster.on('listening', (worker) => {
      ready.add(worker.id)
      if (!started && ready.size === config.workers) {
        started = true
        resolve()
      }
    })
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return
      if (!started) {
        reject(new Error(`worker ${worker.process.pid} exited during startup (code ${code})`))
        return
      }
      process.stderr.write(`worker ${worker.process.pid} died (${signal ?? code}); starting another\n`)
      cluster.fork()
    })
  })
  const stop = () => {
    if (stopping) return
    stopping = true
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM')
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
    })
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  for (let i = 0; i < config.workers; i++) cluster.fork()
  await listening
  const metricsServer = config.metricsPort === null ? undefined : await serveMetrics(config, () => aggregator.clusterMetrics())
  return { port, metricsPort: metricsServer === undefined ? undefined : portOf(metricsServer, 0) }
}

/** Serves the API and prints `listening on http://HOST:PORT` once the port is bound. */
export async function startServer (config: Config): Promise<void> {
  assertSafeToServe(config)
  const supervising = config.workers > 1 && cluster.isPrimary
  const { port, metricsPort } = supervising ? await superviseWorkers(config) : await serveOne(config)
  if (cluster.isWorker) return
  // the first line is exactly the contract's, for scripts that read the URL from it
  process.stdout.write(`listening on ${formatAddress(config.host, port)}\n`)
  if (supervising) process.stdout.write(`${config.workers} workers\n`)
  if (metricsPort !== undefined) process.stdout.write(`metrics on ${formatAddress(config.host, metricsPort)}/metrics\n`)
}
