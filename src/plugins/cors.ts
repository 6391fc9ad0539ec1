import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { appendVary } from './negotiation.js'

/** Response headers a browser script may read: pagination, caching, redirects, back-off, tracing. */
const EXPOSED = ['Link', 'ETag', 'Location', 'Retry-After', 'X-Request-Id', 'WWW-Authenticate', 'Content-Disposition'].join(', ')

/** Which origins may read the API's answers, and the headers that say so to a request from `origin`. */
export interface CorsPolicy {
  /** With a list of origins the answer depends on Origin, even when it allows none: caches must keep them apart. */
  readonly variesByOrigin: boolean
  headersFor (origin: string | undefined): Readonly<Record<string, string>>
}

export function corsPolicy (corsOrigin: Config['corsOrigin']): CorsPolicy {
  const allowing = (origin: string) => ({ 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED })
  if (corsOrigin === '*') {
    const any = allowing('*')
    return { variesByOrigin: false, headersFor: () => any }
  }
  const allowed = new Set(corsOrigin)
  const none = {}
  return { variesByOrigin: true, headersFor: (origin) => origin !== undefined && allowed.has(origin) ? allowing(origin) : none }
}

/** Puts the policy's headers on a reply. */
export function applyCors (policy: CorsPolicy, request: FastifyRequest, reply: FastifyReply): void {
  if (policy.variesByOrigin) appendVary(reply, 'Origin')
  reply.headers(policy.headersFor(request.headers.origin))
}

/** The same as header fields, for an answer written without Fastify (a request that is not valid HTTP, CONNECT). */
export function rawCorsHeaders (policy: CorsPolicy, origin: string | undefined): Record<string, string> {
  return { ...(policy.variesByOrigin ? { vary: 'Origin' } : {}), ...policy.headersFor(origin) }
}

/**
 * CORS headers on every response, errors included (set in onRequest, before
 * anything can fail; app.ts puts them on the errors that come before it).
 * Preflights are answered where every OPTIONS is, in the errors plugin, which
 * knows the methods each path allows.
 *
 * Not @fastify/cors: it copies its options into a new object and resolves the
 * origin through callbacks on every request, several microseconds for what is
 * two fixed headers, or with a list of origins a lookup (measured by
 * `npm run bench`; see the README's Performance section).
 */
export default fp<{ policy: CorsPolicy }>(async (app, { policy }) => {
  app.addHook('onRequest', (request, reply, done) => {
    applyCors(policy, request, reply)
    done()
  })
}, { name: 'cors' })
