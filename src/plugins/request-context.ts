import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { Server as NetServer, type Socket } from 'node:net'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Logger } from 'pino'
import { BadRequest, HttpError, ServiceUnavailable, UnsupportedContentEncoding } from '../errors.js'
import { lineWriter } from '../logger.js'
import { VALID_HOST } from './urls.js'

/** How long a keep-alive socket must have been quiet before a shutdown closes it under its client. */
const QUIET_MS = 500
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

/**
 * Reads a request's body to its end, unused: closing a socket with unread bytes
 * makes TCP reset it, and the client would lose the answer sent before.
 */
function discard (raw: IncomingMessage): Promise<void> {
  if (raw.complete) return Promise.resolve()
  return new Promise((resolve) => {
    raw.once('end', resolve).once('close', resolve).once('error', resolve).resume()
  })
}

/** How many Host fields a request has (Node keeps only the first in `headers`). */
function hostFields (rawHeaders: readonly string[]): number {
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    if (name.length === 4 && name.toLowerCase() === 'host') count++
  }
  return count
}

/**
 * The request line's fields, named one by one, each safe to log (the URL made so
 * above), so it needs none of the redaction other lines get.
 */
function requestLineFields (request: FastifyRequest, reply: FastifyReply): string {
  const { ip } = request
  const user = request.principal?.username
  return `"requestId":${JSON.stringify(request.id)},"method":${JSON.stringify(request.method)},"url":${JSON.stringify(loggableUrl(request.url))}` +
    `,"status":${reply.statusCode},"durationMs":${Math.round(reply.elapsedTime * 100) / 100}` +
    // absent, as pino leaves out undefined fields: a socket already closed has no address
    (ip === undefined ? '' : `,"ip":${JSON.stringify(ip)}`) + (user === undefined ? '' : `,"user":${JSON.stringify(user)}`)
}

/** The client's X-Request-Id when it is safe to echo and log, else a fresh one. */
export function requestIdFor (req: IncomingMessage): string {
  const given = req.headers['x-request-id']
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID()
}

/** What makes a request unacceptable before routing: a bad Host, a content coding. */
function refusal (request: FastifyRequest): HttpError | undefined {
  const host = request.headers.host
  if (host === undefined && request.raw.httpVersion === '1.1') {
    return BadRequest('Bad Request: HTTP/1.1 requires a Host header', 'HOST_REQUIRED')
  }
  // RFC 9112 §3.2: an invalid Host, or more than one, is a 400 (Node keeps only the first)
  if (host !== undefined && (!VALID_HOST.test(host) || hostFields(request.raw.rawHeaders) > 1)) {
    return BadRequest('Bad Request: the Host header is invalid or repeated', 'INVALID_HOST')
  }
  // no content coding is supported: a compressed body would be stored or parsed as if it were plain
  const coding = request.headers['content-encoding']
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
    return UnsupportedContentEncoding(coding)
  }
  return undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The first step of a shutdown: from now on new requests get 503 with
     * Connection: close while the port stays open; resolves once the requests
     * in flight have finished and every connection open at the start has
     * closed or been quiet a while; then stops listening, and resolves once
     * the connections accepted meanwhile have been answered too. app.close()
     * then closes the idle connections and the database.
     */
    drain (): Promise<void>
    /** Writes a request's line to the log (onResponse does, for every request that reaches a route's hooks). */
    logRequest (request: FastifyRequest, reply: FastifyReply): void
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
  // Each open socket, its requests not yet answered, and when it last finished one (or
  // connected). A request abandoned by its client ends with its socket: counted by socket,
  // no request needs a listener of its own (an onRequestAbort hook adds one to every request).
  const connections = new Map<Socket, { inFlight: number, lastActive: number }>()
  app.server.on('connection', (socket: Socket) => {
    connections.set(socket, { inFlight: 0, lastActive: Date.now() })
    socket.once('close', () => connections.delete(socket))
  })
  const start = (request: FastifyRequest) => {
    const connection = connections.get(request.raw.socket)
    if (connection !== undefined) connection.inFlight++
  }
  const finish = (request: FastifyRequest) => {
    const connection = connections.get(request.raw.socket)
    if (connection === undefined) return
    connection.inFlight--
    connection.lastActive = Date.now()
  }
  // Closing an idle keep-alive socket races a client sending on it: each socket gets the
  // time to carry one more request (answered 503 and closed) first. The port stays open
  // until those open at the start are done (clients that reconnect at once are not waited
  // for, or they would hold it open for ever), then the ones accepted meanwhile are done.
  const quiet = async (sockets: () => Iterable<Socket>) => {
    for (;;) {
      const quietSince = Date.now() - QUIET_MS
      if ([...connections.values()].every(({ inFlight }) => inFlight === 0) && [...sockets()].every((socket) => (connections.get(socket)?.lastActive ?? 0) <= quietSince)) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  app.decorate('drain', async () => {
    stopping = true
    const openAtStart = [...connections.keys()]
    await quiet(() => openAtStart)
    // the listener only: http.Server#close would also drop the idle connections at once
    if (app.server.listening) NetServer.prototype.close.call(app.server)
    await quiet(() => connections.keys())
  })
  app.addHook('preClose', (done) => {
    stopping = true
    // Node's server.close() closes only the sockets idle after a request: one that has not sent
    // a request yet (a browser's spare connection) would hold it open for ever, as Node stops
    // timing requests once it closes. Every socket not carrying a request closes now, after
    // what it has been sent.
    for (const [socket, { inFlight }] of connections) if (inFlight === 0) socket.destroySoon()
    done()
  })
  // callback hooks, here and below: on every request, an async one costs a promise and a tick
  app.addHook('onRequest', (request, reply, done) => {
    start(request)
    reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff')
    const refused = refusal(request)
    if (refused !== undefined || !stopping) return done(refused)
    reply.header('connection', 'close')
    discard(request.raw).then(() => done(ServiceUnavailable('Service Unavailable: the server is shutting down', 1)), done)
  })
  const writeRequestLine = lineWriter(app.log as Logger, 'info', 'request')
  app.decorate('logRequest', (request: FastifyRequest, reply: FastifyReply) => writeRequestLine?.(requestLineFields(request, reply)))
  app.addHook('onResponse', (request, reply, done) => {
    finish(request)
    app.logRequest(request, reply)
    done()
  })
}, { name: 'request-context' })
