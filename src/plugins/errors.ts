import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import Router, { type HTTPMethod } from 'find-my-way'
import {
  BadRequest, DatabaseUnavailable, DataError, DiskFull, ExpectationFailed, HttpError, InsufficientStorage, InternalError,
  InvalidText, MethodNotAllowed, NotFound, PayloadTooLarge, ReferenceViolation, ServiceUnavailable, UniqueViolation, UnsupportedMediaType,
  ValidationFailed, Conflict, ClientError, type ErrorDetail
} from '../errors.js'
import { negotiate } from '../lib/media-type.js'
import { toXml } from '../lib/representations.js'
import { rawCorsHeaders, type CorsPolicy } from './cors.js'
import { appendVary } from './negotiation.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Every method and URL pattern registered, OPTIONS aside (answered for every known path). */
    registeredRoutes: ReadonlyArray<{ readonly method: string, readonly url: string }>
    /** The methods a path takes (HEAD and OPTIONS included); none for a path no route has. */
    allowedMethods (path: string): string[]
    /** Whatever was thrown, from any layer, as the error a client sees: the one mapping, for every API. */
    errorAnswer (err: FastifyError, request: FastifyRequest): HttpError
  }
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
const DEFAULT_CONSUMES = ['application/json']
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE'
}

interface ValidationIssue { instancePath?: string, message?: string, params?: Record<string, unknown> }

function validationDetails (err: FastifyError): ErrorDetail[] {
  const part = err.validationContext ?? 'body'
  return (err.validation as ValidationIssue[]).map((issue) => {
    const missing = issue.params?.requiredProperties ?? issue.params?.missingProperty
    const path = (issue.instancePath ?? '').split('/').filter(Boolean)
    if (typeof missing === 'string') path.push(missing)
    if (Array.isArray(missing) && missing.length === 1) path.push(String(missing[0]))
    return { field: [part, ...path].join('.'), message: issue.message ?? 'is invalid' }
  })
}

/** The answer to each of the data layer's errors: the one place a status is given to them. */
function dataErrorAnswer (err: DataError): HttpError {
  if (err instanceof DiskFull) return InsufficientStorage()
  if (err instanceof DatabaseUnavailable) return ServiceUnavailable(err.message, err.retryAfterSeconds)
  if (err instanceof InvalidText) return BadRequest(err.message, 'INVALID_TEXT')
  // a unique key a route did not expect to be taken (those it expects, it names itself)
  if (err instanceof UniqueViolation) return Conflict('Conflict: the resource exists already')
  // the check before the write found it; another request deleted it since
  if (err instanceof ReferenceViolation) return Conflict('Conflict: what this refers to was deleted meanwhile', 'REFERENCE_GONE')
  return InternalError()
}

/** Whatever was thrown, from any layer, as the one error a client sees. */
function toHttpError (err: FastifyError, request: FastifyRequest): HttpError {
  if (err instanceof HttpError) return err
  if (err instanceof DataError) return dataErrorAnswer(err)
  if (Array.isArray(err.validation)) return ValidationFailed(validationDetails(err))
  const status = err.statusCode ?? 500
  if (status < 400 || status >= 500) return InternalError()
  return frameworkErrorAnswer(err, request, status)
}

/** Fastify's and Node's own client errors (a body of the wrong type, too large, not JSON, a bad URL). */
function frameworkErrorAnswer (err: FastifyError, request: FastifyRequest, status: number): HttpError {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return UnsupportedMediaType(request.method, request.headers['content-type'], request.routeOptions.config.consumes ?? DEFAULT_CONSUMES)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return PayloadTooLarge(request.routeOptions.bodyLimit ?? 0)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return BadRequest('Invalid JSON: the body is empty', 'INVALID_JSON')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return BadRequest('Invalid JSON: the body does not parse, or uses __proto__ or constructor.prototype', 'INVALID_JSON')
    case 'FST_ERR_BAD_URL':
      return BadRequest('Bad Request: the URL is not validly percent-encoded', 'BAD_URL')
  }
  if (err.name === 'SyntaxError') return BadRequest(`Invalid JSON: ${err.message}`, 'INVALID_JSON')
  return ClientError(status, CODE_BY_STATUS[status] ?? 'BAD_REQUEST', err.message)
}

const ERROR_FORMATS = ['application/json', 'application/problem+json', 'application/xml', 'text/xml'] as const
type ErrorFormat = typeof ERROR_FORMATS[number]

/**
 * The error representation the client prefers by q-value (JSON on a tie, and
 * when it accepts none of them: an error is always answered).
 */
function errorFormat (accept: string | undefined): ErrorFormat {
  return (negotiate(accept, ERROR_FORMATS) ?? 'application/json') as ErrorFormat
}

/** The one error body, in every format, for every answer: routed, unrouted, or from the supervisor. */
function errorBody (error: HttpError, requestId: string, format: ErrorFormat, extra: Record<string, unknown> = {}): string {
  const body: Record<string, unknown> = { status: error.statusCode, message: error.message, code: error.code, requestId }
  if (error.errors !== undefined) body.errors = error.errors
  Object.assign(body, extra)
  if (format === 'application/xml' || format === 'text/xml') return toXml(body, { root: 'error', item: 'error' })
  if (format === 'application/problem+json') {
    return JSON.stringify({ type: 'about:blank', title: STATUS_CODES[error.statusCode], detail: error.message, ...body })
  }
  return JSON.stringify(body)
}

export function sendError (err: FastifyError, request: FastifyRequest, reply: FastifyReply, debug: boolean): FastifyReply {
  const error = toHttpError(err, request)
  const extra: Record<string, unknown> = {}
  if (error.statusCode >= 500) {
    request.log.error({ err }, 'request failed')
    if (debug) extra.stack = err.stack
  }
  const format = errorFormat(request.headers.accept)
  appendVary(reply, 'Accept')
  return reply
    .code(error.statusCode)
    // framework errors (a bad URL) come before the hook that sets these on every response
    .header('x-request-id', request.id)
    .header('x-content-type-options', 'nosniff')
    .headers(error.headers)
    .type(`${format}; charset=utf-8`)
    .send(errorBody(error, request.id, format, extra))
}

// an unknown method stays a 400 (the request is not HTTP this server parses), never a 5xx
const CLIENT_ERROR_STATUS: Record<string, number> = { ERR_HTTP_REQUEST_TIMEOUT: 408, HPE_HEADER_OVERFLOW: 431 }
const CLIENT_ERROR_MESSAGE: Record<number, string> = {
  408: 'Request Timeout: the request did not arrive in time',
  431: 'Request Header Fields Too Large'
}

/** What an answer given outside Fastify knows of its request. */
export interface UnroutedRequest {
  readonly accept?: string
  /** The CORS headers the request's origin gets, so that a browser can read the error. */
  readonly cors?: Record<string, string>
}

/**
 * The API's error, status, headers and body, for answers given outside Fastify (a
 * request that did not parse, one Node answers itself, the supervisor's metrics port).
 */
export function unroutedError (error: HttpError, request: UnroutedRequest, { close = true } = {}) {
  const requestId = crypto.randomUUID()
  const format = errorFormat(request.accept)
  const body = errorBody(error, requestId, format)
  const headers: Record<string, string> = {
    ...error.headers as Record<string, string>,
    'content-type': `${format}; charset=utf-8`,
    'content-length': String(Buffer.byteLength(body)),
    'x-request-id': requestId,
    'x-content-type-options': 'nosniff',
    ...request.cors
  }
  if (close) headers.connection = 'close'
  return { status: error.statusCode, headers, body }
}

/** The same as a whole HTTP/1.1 message, for a raw socket. */
function rawError (error: HttpError, request: UnroutedRequest): string {
  const { status, headers, body } = unroutedError(error, request)
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n${body}`
}

/** A header field of a request that did not parse, read from its raw bytes (the first one, if any arrived). */
function rawHeader (packet: Buffer | undefined, name: string): string | undefined {
  return new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*)`, 'i').exec(packet?.toString('latin1') ?? '')?.[1]
}

/**
 * Malformed HTTP never reaches a route: Node hands the raw socket over. It
 * still gets the API's JSON error (and CORS headers, so that a browser can
 * read it), then the connection is closed.
 */
export function clientErrorHandler (cors: CorsPolicy) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    const status = CLIENT_ERROR_STATUS[err.code ?? ''] ?? 400
    const packet = (err as { rawPacket?: Buffer }).rawPacket
    const error = ClientError(status, CODE_BY_STATUS[status] ?? 'BAD_REQUEST', CLIENT_ERROR_MESSAGE[status] ?? 'Bad Request: the request is not valid HTTP')
    socket.end(rawError(error, { accept: rawHeader(packet, 'accept'), cors: rawCorsHeaders(cors, rawHeader(packet, 'origin')) }))
  }
}

/**
 * The requests Node answers itself, before Fastify, get the API's error
 * instead: an Expect other than 100-continue (Node's bare 417), and CONNECT
 * (Node would close the connection unanswered): 405, as no resource here takes
 * it, with the methods the path does take.
 */
function answerUnroutable (server: Server, cors: CorsPolicy, allowedMethods: (path: string) => string[]): void {
  const fields = (req: IncomingMessage) => ({ accept: req.headers.accept, cors: rawCorsHeaders(cors, req.headers.origin) })
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const { status, headers, body } = unroutedError(ExpectationFailed(), fields(req))
    res.writeHead(status, headers).end(body)
  })
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    // the target of a CONNECT is host:port, which names no resource here: no method is allowed on it
    const path = req.url?.startsWith('/') === true ? req.url.split('?', 1)[0]! : ''
    socket.end(rawError(MethodNotAllowed('CONNECT', path === '' ? [] : allowedMethods(path)), fields(req)))
  })
}

/**
 * One error handler for every layer; unknown paths are 404 with the full URL,
 * known paths with another method are 405 + Allow, and OPTIONS answers 204 +
 * Allow. A second router, fed every registered route, tells which methods a
 * path has: Fastify's own router only says "no route".
 */
export default fp<{ debug: boolean, cors: CorsPolicy }>(async (app, { debug, cors }) => {
  const routes = Router()
  const registered: Array<{ method: string, url: string }> = []
  app.decorate('registeredRoutes', registered)
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat() as HTTPMethod[]) {
      // OPTIONS is answered for every known path below, never by a route
      if (method === 'OPTIONS' || routes.hasRoute(method, route.url)) continue
      routes.on(method, route.url, () => {})
      registered.push({ method, url: route.url })
    }
  })

  const allowedMethods = (path: string): string[] => {
    const found = new Set(METHOD_ORDER.filter((m) => routes.find(m, path) !== null))
    if (found.size === 0) return []
    if (found.has('GET')) found.add('HEAD')
    found.add('OPTIONS')
    return METHOD_ORDER.filter((m) => found.has(m))
  }
  app.decorate('allowedMethods', allowedMethods)
  app.decorate('errorAnswer', toHttpError)

  /** What a request that matched no route for its method gets: 404, or 405 with Allow. */
  const routingError = (request: FastifyRequest) => {
    const allow = allowedMethods(request.url.split('?', 1)[0]!)
    // a route that exists for this method found nothing (a static file): that is a plain 404
    return allow.length === 0 || allow.includes(request.method) ? NotFound(request.absoluteUrl(request.url)) : MethodNotAllowed(request.method, allow)
  }

  // a request that matched no route of its own (QUERY, or OPTIONS, which only the CORS
  // plugin's catch-all matches) can still fail first on its body: it gets the routing answer
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof HttpError || !(request.is404 || request.method === 'OPTIONS')) return sendError(err, request, reply, debug)
    const allow = allowedMethods(request.url.split('?', 1)[0]!)
    if (request.method === 'OPTIONS' && allow.length > 0) return answerOptions(request, reply, allow)
    return sendError(routingError(request) as FastifyError, request, reply, debug)
  })

  /** OPTIONS on a known path: 204 with Allow, and the CORS preflight answer when it is one. */
  const answerOptions = (request: FastifyRequest, reply: FastifyReply, allow: string[]) => {
    reply.code(204).header('allow', allow.join(', '))
    // a CORS preflight from an allowed origin (the cors plugin has said so by now)
    if (request.headers['access-control-request-method'] !== undefined && reply.hasHeader('access-control-allow-origin')) {
      reply.header('access-control-allow-methods', allow.join(', ')).header('access-control-max-age', '600')
      const asked = request.headers['access-control-request-headers']
      if (asked !== undefined) appendVary(reply.header('access-control-allow-headers', asked), 'Access-Control-Request-Headers')
    }
    return reply.send()
  }

  answerUnroutable(app.server, cors, allowedMethods)

  app.setNotFoundHandler(async (request, reply) => {
    const allow = allowedMethods(request.url.split('?', 1)[0]!)
    if (request.method === 'OPTIONS' && allow.length > 0) return answerOptions(request, reply, allow)
    throw routingError(request)
  })
}, { name: 'errors', dependencies: ['urls'] })
