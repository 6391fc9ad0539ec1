import cors from '@fastify/cors'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'

/** Response headers a browser script may read: pagination, caching, redirects, back-off, tracing. */
const EXPOSED = ['Link', 'ETag', 'Location', 'Retry-After', 'X-Request-Id', 'WWW-Authenticate', 'Content-Disposition']

/**
 * CORS headers on every response, errors included (set in onRequest, before
 * anything can fail). Preflights are answered where every OPTIONS is, in the
 * errors plugin, which knows the methods each path allows; the plugin's own
 * preflight would answer 204 for any path, known or not.
 */
export default fp<{ config: Config }>(async (app, { config }) => {
  await app.register(cors, {
    origin: config.corsOrigin === '*' ? '*' : [...config.corsOrigin],
    preflight: false,
    exposedHeaders: EXPOSED,
    hook: 'onRequest'
  })
}, { name: 'cors' })
