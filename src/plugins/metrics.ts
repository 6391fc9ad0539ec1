import cluster from 'node:cluster'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AggregatorRegistry, collectDefaultMetrics, Gauge, Registry, type Metric } from 'prom-client'
import { ServiceUnavailable } from '../errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus text of this process, or of every worker together under --workers. */
    metricsText (): Promise<string>
    /** Counts an answered request (onResponse does, for every request that reaches a route's hooks). */
    countRequest (request: FastifyRequest, reply: FastifyReply): void
  }
}

/** The IPC message a worker sends its primary for the metrics of all workers, and gets back. */
export const METRICS_MESSAGE = 'restful-api:metrics'
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE

const ASK_TIMEOUT_MS = 5000
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

interface Series {
  readonly labels: Readonly<Record<'route' | 'method' | 'status', string>>
  count: number
  sum: number
  /** Requests per bucket of DURATION_BUCKETS, not cumulative; the last one is +Inf. */
  readonly buckets: number[]
}

/**
 * http_requests_total and the http_request_duration_seconds histogram, by
 * route, method and status. They change on every request, so they are plain
 * numbers, found by a string key, and given to prom-client only when it reads
 * them: its own Counter and Histogram check and hash the label set on every
 * call, which cost more than the rest of the request's bookkeeping together.
 */
function createRequestMetrics (registry: Registry) {
  const series = new Map<string, Series>()
  const all = () => [...series.values()]
  const metric = (name: string, help: string, type: 'counter' | 'histogram', values: () => unknown[]) => {
    registry.registerMetric({ name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: values() }) } as unknown as Metric)
  }
  metric('http_requests_total', 'HTTP requests answered', 'counter', () => all().map(({ labels, count }) => ({ labels, value: count })))
  metric('http_request_duration_seconds', 'Time from request to response', 'histogram', () => all().flatMap(({ labels, count, sum, buckets }) => {
    let cumulative = 0
    return [
      ...buckets.map((inBucket, i) => {
        cumulative += inBucket
        return { metricName: 'http_request_duration_seconds_bucket', labels: { le: DURATION_BUCKETS[i] ?? '+Inf', ...labels }, value: cumulative }
      }),
      { metricName: 'http_request_duration_seconds_sum', labels, value: sum },
      { metricName: 'http_request_duration_seconds_count', labels, value: count }
    ]
  }))

  return {
    observe (route: string | undefined, method: string, status: number, seconds: number): void {
      const key = `${route} ${method} ${status}`
      let entry = series.get(key)
      if (entry === undefined) {
        // the pattern without its parameter regexes: /users/:id, not /users/:id(^\d{1,15}$)
        entry = {
          labels: { route: route?.replace(/\([^)]*\)/g, '') ?? 'unmatched', method, status: String(status) },
          count: 0,
          sum: 0,
          buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0)
        }
        series.set(key, entry)
      }
      entry.count++
      entry.sum += seconds
      let bucket = 0
      while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]!) bucket++
      entry.buckets[bucket]!++
    }
  }
}

/**
 * Requests by route, method and status, a latency histogram, the database
 * pool, and Node's process figures. A route is its pattern (`/users/:id`), never
 * the raw URL, so that scanners cannot make the label set grow without end.
 */
export default fp(async (app) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const requests = createRequestMetrics(registry)
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

  app.decorate('countRequest', (request: FastifyRequest, reply: FastifyReply) => {
    requests.observe(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000)
  })
  app.addHook('onResponse', (request, reply, done) => {
    app.countRequest(request, reply)
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
