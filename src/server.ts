import cluster from 'node:cluster'
import { createServer, type Server } from 'node:http'
import closeWithGrace from 'close-with-grace'
import { AggregatorRegistry } from 'prom-client'
import { buildApp, METRICS_CONTENT_TYPE, METRICS_MESSAGE } from './app.js'
import { assertSafeToServe, type Config } from './config.js'

const SHUTDOWN_GRACE_MS = 10_000

function formatAddress (host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** --metrics-port: GET /metrics alone, on a port the API's clients need not reach. */
function serveMetrics (config: Config, metrics: () => Promise<string>): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 404, message: 'Not Found: only /metrics is served here', code: 'NOT_FOUND' }))
      return
    }
    metrics().then(
      (text) => response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(request.method === 'HEAD' ? undefined : text),
      () => response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ status: 503, message: 'Service Unavailable', code: 'SERVICE_UNAVAILABLE' })))
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
 * N processes on one port (node:cluster). The primary only supervises: it
 * replaces a worker that dies, answers the workers' requests for everyone's
 * metrics, and on SIGTERM stops them all and exits 0 once each has drained.
 */
async function superviseWorkers (config: Config): Promise<{ port: number, metricsPort?: number }> {
  // the workers share the listening socket and the kernel hands out connections: with the
  // default (the primary accepts and passes them on), a connection accepted while a worker
  // drains could be passed to it after it stopped listening, and hang until the end
  cluster.schedulingPolicy = cluster.SCHED_NONE
  let stopping = false
  const aggregator = new AggregatorRegistry()
  cluster.on('message', (worker, message: { type?: unknown, id?: unknown }) => {
    if (message?.type !== METRICS_MESSAGE) return
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: METRICS_MESSAGE, id: message.id, text }),
      () => {} // the worker's own timeout answers 503
    )
  })
  const listening = new Promise<number>((resolve, reject) => {
    let ready = 0
    cluster.on('listening', (_worker, address) => {
      if (++ready === config.workers) resolve(address.port)
    })
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return
      if (ready < config.workers) {
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
  const port = await listening
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
