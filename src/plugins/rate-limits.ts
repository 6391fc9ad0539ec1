import rateLimit from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { TooManyRequests } from '../errors.js'
import { createMemoryFailureLimiter, createRedisFailureLimiter, type FailureLimiter } from '../lib/failure-limiter.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Counts failed authentications per client address (shared through Redis when configured). */
    failureLimiter: FailureLimiter
  }
}

/**
 * Both limits of the API, keyed by the client address (the socket's, or
 * X-Forwarded-For's with --trust-proxy): failed authentications (always on),
 * and, with --rate-limit, a request quota. With --redis-url every process and
 * host shares the counts; without, each process keeps its own.
 */
export default fp<{ config: Config, failureLimiter?: FailureLimiter }>(async (app, { config, failureLimiter }) => {
  app.decorate('failureLimiter', failureLimiter ?? (app.redis === null
    ? createMemoryFailureLimiter(config.authFailureLimit, config.authFailureWindowSeconds)
    : createRedisFailureLimiter(app.redis, config.authFailureLimit, config.authFailureWindowSeconds)))

  if (config.rateLimit === 0) return
  await app.register(rateLimit, {
    // not per route (the plugin's way): unknown paths and methods (404, 405) count too,
    // or a scanner would have a quota of its own
    global: false,
    max: config.rateLimit,
    timeWindow: config.rateLimitWindowSeconds * 1000,
    ...(app.redis === null ? {} : { redis: app.redis, nameSpace: 'restful-api:quota:' }),
    // a quota store that cannot answer lets requests through: the quota guards
    // capacity, and an outage of the store must not become an outage of the API
    skipOnError: true,
    allowList: (request) => request.routeOptions.config.quota === false,
    errorResponseBuilder: (_request, context) => TooManyRequests(context.ttl / 1000, `Too Many Requests: at most ${context.max} requests in ${config.rateLimitWindowSeconds} s`)
  })
  app.addHook('onRequest', app.rateLimit())
}, { name: 'rate-limits', dependencies: ['redis'] })
