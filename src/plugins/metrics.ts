import cluster from 'node:cluster'
import fp from 'fastify-plugin'
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { ServiceUnavailable } from '../errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus text of this process, or of every worker together under --workers. */
    metricsText (): Promise<string>
  }
}

/** The IPC message a worker sends its primary for the metrics of all workers, and gets back. */
export const METRICS_MESSAGE = 'restful-api:metrics'
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE

const ASK_TIMEOUT_MS = 5000

/**
 * Requests by route, method and status, a latency histogram, the database
 * pool, and Node's process figures. A route is its pattern (`/users/:id`), never
 * the raw URL, so that scanners cannot make the label set grow without end.
 */
export default fp(async (app) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const labelNames = ['route', 'method', 'status'] as const
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] })
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request to response',
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry]
  })
  // eslint-disable-next-line no-new -- registered on creation, read on collection
  new Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, waiting clients)',
    labelNames: ['state'],
    registers: [registry],
    collect () {
      const stats = app.databasePoolStats()
      if (stats === undefined) return
      for (const [state, value] of Object.entries(stats)) this.set({ state }, value)
    }
  })

  // one counter and histogram child per label set, found again by a plain key: prom-client
  // would otherwise hash the labels on every request
  const series = new Map<string, { count: ReturnType<typeof requests.labels>, time: ReturnType<typeof duration.labels> }>()
  app.addHook('onResponse', (request, reply, done) => {
    const url = request.routeOptions.url
    const key = `${url} ${request.method} ${reply.statusCode}`
    let child = series.get(key)
    if (child === undefined) {
      // the pattern without its parameter regexes: /users/:id, not /users/:id(^\d{1,15}$)
      const labels = { route: url?.replace(/\([^)]*\)/g, '') ?? 'unmatched', method: request.method, status: String(reply.statusCode) }
      child = { count: requests.labels(labels), time: duration.labels(labels) }
      series.set(key, child)
    }
    child.count.inc()
    child.time.observe(reply.elapsedTime / 1000)
    done()
  })

  if (!cluster.isWorker) {
    app.decorate('metricsText', () => registry.metrics())
    return
  }
  // a worker's figures are its own; the primary gathers every worker's (prom-client's cluster protocol)
  AggregatorRegistry.setRegistries([registry])
  // constructing one is what makes prom-client answer the primary's requests in a worker
  // eslint-disable-next-line no-new
  new AggregatorRegistry()
  const pending = new Map<number, (text: string) => void>()
  let lastId = 0
  process.on('message', (message: { type?: unknown, id?: unknown, text?: unknown }) => {
    if (message?.type !== METRICS_MESSAGE || typeof message.id !== 'number') return
    pending.get(message.id)?.(String(message.text))
    pending.delete(message.id)
  })
  app.decorate('metricsText', () => new Promise<string>((resolve, reject) => {
    const id = ++lastId
    pending.set(id, resolve)
    process.send?.({ type: METRICS_MESSAGE, id })
    setTimeout(() => {
      if (pending.delete(id)) reject(ServiceUnavailable('Service Unavailable: the workers did not report their metrics in time', 1))
    }, ASK_TIMEOUT_MS).unref()
  }))
}, { name: 'metrics', dependencies: ['db'] })
