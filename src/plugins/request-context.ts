import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { BadRequest, HttpError, ServiceUnavailable } from '../errors.js'
import { VALID_HOST } from './urls.js'

const SANE_REQUEST_ID = /^[\w.:@-]{1,128}$/
const SECRET_PARAMETER = /pass|token|secret|key|auth|credential/i

/** The URL as logged: no userinfo of an absolute-form target, no value of a parameter named like a secret. */
export function loggableUrl (url: string): string {
  const withoutUser = url.replace(/^([a-z][a-z\d+.-]*:\/\/)[^/?#@]*@/i, '$1')
  const query = withoutUser.indexOf('?')
  if (query === -1) return withoutUser
  const params = withoutUser.slice(query + 1).split('&').map((pair) => {
    const name = pair.split('=', 1)[0]!
    return SECRET_PARAMETER.test(decodeURIComponentSafe(name)) ? `${name}=[redacted]` : pair
  })
  return `${withoutUser.slice(0, query)}?${params.join('&')}`
}

function decodeURIComponentSafe (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The client's X-Request-Id when it is safe to echo and log, else a fresh one. */
export function requestIdFor (req: IncomingMessage): string {
  const given = req.headers['x-request-id']
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID()
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The first step of a shutdown: from now on new requests get 503 with
     * Connection: close while the port stays open; resolves once the requests
     * in flight have finished. app.close() then stops listening.
     */
    drain (): Promise<void>
  }
}

/**
 * Every response names its request and forbids MIME sniffing (stored bodies are
 * served with the type they came with); every request leaves one log line.
 * Once shutdown begins, requests in flight finish and new ones get the API's
 * 503 (Fastify's own would be a different body without Retry-After) rather
 * than a connection nobody answers, so a load balancer retries elsewhere.
 */
export default fp(async (app) => {
  let stopping = false
  // a request ends once, whether answered or abandoned by its client
  const inFlight = new Set<FastifyRequest>()
  let idle: (() => void) | undefined
  const settle = () => { if (inFlight.size === 0) idle?.() }
  const finish = async (request: FastifyRequest) => {
    inFlight.delete(request)
    settle()
  }
  app.decorate('drain', () => {
    stopping = true
    return new Promise<void>((resolve) => {
      idle = resolve
      settle()
    })
  })
  app.addHook('preClose', async () => { stopping = true })
  app.addHook('onResponse', finish)
  app.addHook('onRequestAbort', finish)

  app.addHook('onRequest', async (request, reply) => {
    inFlight.add(request)
    reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff')
    const host = request.headers.host
    if (host === undefined && request.raw.httpVersion === '1.1') {
      throw BadRequest('Bad Request: HTTP/1.1 requires a Host header', 'HOST_REQUIRED')
    }
    // RFC 9112 §3.2: an invalid Host, or more than one, is a 400 (Node keeps only the first)
    if (host !== undefined && (!VALID_HOST.test(host) || request.raw.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'host').length > 1)) {
      throw BadRequest('Bad Request: the Host header is invalid or repeated', 'INVALID_HOST')
    }
    // no content coding is supported: a compressed body would be stored or parsed as if it were plain
    const coding = request.headers['content-encoding']
    if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
      throw new HttpError(415, 'UNSUPPORTED_CONTENT_ENCODING', `Unsupported Media Type: Content-Encoding ${coding} is not supported; send the body uncompressed`, { 'accept-encoding': 'identity' })
    }
    if (stopping) {
      reply.header('connection', 'close')
      throw ServiceUnavailable('Service Unavailable: the server is shutting down', 1)
    }
  })
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({
      method: request.method,
      url: loggableUrl(request.url),
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      ip: request.ip,
      user: request.principal?.username
    }, 'request')
  })
}, { name: 'request-context' })
