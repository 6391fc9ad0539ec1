import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { appendVary } from './negotiation.js'

/** Response headers a browser script may read: pagination, caching, redirects, back-off, tracing. */
const EXPOSED = ['Link', 'ETag', 'Location', 'Retry-After', 'X-Request-Id', 'WWW-Authenticate', 'Content-Disposition'].join(', ')

/**
 * CORS headers on every response, errors included (set in onRequest, before
 * anything can fail). Preflights are answered where every OPTIONS is, in the
 * errors plugin, which knows the methods each path allows.
 *
 * Not @fastify/cors: it copies its options into a new object and resolves the
 * origin through callbacks on every request, several microseconds for what is
 * two fixed headers, or with a list of origins a lookup (measured by
 * `npm run bench`; see the README's Performance section).
 */
export default fp<{ config: Config }>(async (app, { config }) => {
  if (config.corsOrigin === '*') {
    app.addHook('onRequest', (_request, reply, done) => {
      reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', EXPOSED)
      done()
    })
    return
  }
  const allowed = new Set(config.corsOrigin)
  app.addHook('onRequest', (request, reply, done) => {
    // the answer depends on Origin even when it allows none: caches must keep them apart
    appendVary(reply, 'Origin')
    const origin = request.headers.origin
    if (origin !== undefined && allowed.has(origin)) {
      reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', EXPOSED)
    }
    done()
  })
}, { name: 'cors' })
