import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyRequest, RouteOptions } from 'fastify'
import { AUTH_REALM, ConduitError, HttpError, MethodNotAllowed, PathNotFound } from '../errors.js'
import { statusesOf } from '../route-config.js'
import articlesRoutes from './articles.js'
import commentsRoutes from './comments.js'
import profilesRoutes from './profiles.js'
import { errorResponse } from './schemas.js'
import tagsRoutes from './tags.js'
import usersRoutes from './users.js'

const BLANK = "can't be blank"

interface ValidationIssue { keyword: string, instancePath?: string, params?: Record<string, unknown> }

const isBlank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
const TYPE_NAMES: Record<string, string> = { string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean', array: 'an array', object: 'an object' }

/** RealWorld's message (Rails' wording) for one failed keyword of a field holding `value`. */
function messageOf (issue: ValidationIssue, value: unknown): string {
  const limit = issue.params?.limit
  switch (issue.keyword) {
    case 'type': {
      const type = String(issue.params?.type)
      return isBlank(value) && type !== 'array' ? BLANK : `must be ${TYPE_NAMES[type] ?? type}`
    }
    case 'minLength': return isBlank(value) ? BLANK : `is too short (minimum is ${limit} characters)`
    case 'maxLength': return `is too long (maximum is ${limit} characters)`
    case 'maxItems': return `has too many items (maximum is ${limit})`
    case 'minimum': return `must be greater than or equal to ${limit}`
    case 'maximum': return `must be less than or equal to ${limit}`
    default: return isBlank(value) ? BLANK : 'is invalid'
  }
}

/** The value a JSON pointer names in `root` (undefined when there is none). */
function valueAt (root: unknown, path: readonly string[]): unknown {
  let value = root
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}

/**
 * A schema failure as RealWorld's 422: each message under the field it is about, named as in
 * the body without its wrapper (`{"user": {"email": ""}}` → `email`), an item by its list (`tagList`).
 */
function validationErrors (err: FastifyError, request: FastifyRequest): Record<string, string[]> {
  const part = err.validationContext ?? 'body'
  const root = part === 'body' ? request.body : part === 'querystring' ? request.query : part === 'params' ? request.params : request.headers
  const errors: Record<string, string[]> = {}
  const add = (field: string, message: string) => {
    const messages = errors[field] ??= []
    if (!messages.includes(message)) messages.push(message)
  }
  for (const issue of err.validation as ValidationIssue[]) {
    // a field of a union fails every branch: the branch of its kind says what is wrong, not the
    // null or "" one beside it
    if (issue.keyword === 'anyOf' || issue.keyword === 'const' || (issue.keyword === 'type' && issue.params?.type === 'null')) continue
    const path = (issue.instancePath ?? '').split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    const missing = issue.params?.requiredProperties ?? issue.params?.missingProperty
    if (issue.keyword === 'required' && missing !== undefined) {
      for (const name of [missing].flat()) add(String(name), BLANK)
      continue
    }
    const field = path.findLast((segment) => !/^\d+$/.test(segment)) ?? part
    add(field, messageOf(issue, valueAt(root, path)))
  }
  if (Object.keys(errors).length === 0) add(part, 'is invalid')
  return errors
}

// No Basic challenge under /api: a browser would answer it with its own login dialog, over the
// frontend's page. Tokens are what Conduit clients send (Basic still works, for the admin).
const challenges = (invalid: boolean) => ({
  'www-authenticate': [
    `Token realm="${AUTH_REALM}"`,
    invalid ? `Bearer realm="${AUTH_REALM}", error="invalid_token"` : `Bearer realm="${AUTH_REALM}"`
  ]
})

/** Fields for the house's errors: what each one is about, in RealWorld's terms. */
const FIELD_BY_CODE: Record<string, string> = {
  PAYLOAD_TOO_LARGE: 'body',
  UNSUPPORTED_MEDIA_TYPE: 'content-type',
  UNSUPPORTED_CONTENT_ENCODING: 'content-encoding',
  METHOD_NOT_ALLOWED: 'method'
}

/** A house error (from the auth, the accounts, the limits, the parsers) said the RealWorld way. */
function fromHouse (error: HttpError, request: FastifyRequest): ConduitError {
  const { statusCode: status } = error
  switch (error.code) {
    case 'UNAUTHENTICATED': {
      const sent = request.headers.authorization?.trim() ?? ''
      if (sent === '') return new ConduitError(401, { token: ['is missing'] }, challenges(false))
      if (/^basic\s/i.test(sent)) return new ConduitError(401, { credentials: ['invalid'] }, challenges(false))
      return new ConduitError(401, { token: ['is invalid'] }, challenges(true))
    }
    case 'INVALID_CREDENTIALS': return new ConduitError(401, { credentials: ['invalid'] }, challenges(false))
    case 'USERNAME_TAKEN': return new ConduitError(409, { username: ['has already been taken'] })
    case 'EMAIL_TAKEN': return new ConduitError(409, { email: ['has already been taken'] })
    case 'INVALID_JSON': return new ConduitError(status, { body: ['is not valid JSON'] })
    case 'NOT_ACCEPTABLE': return new ConduitError(status, { accept: ['must allow application/json'] })
  }
  // what went wrong inside stays in the log; the client learns only that it did
  if (status === 500) return new ConduitError(500, { server: ['internal error'] })
  const field = FIELD_BY_CODE[error.code] ?? (status >= 500 ? 'server' : 'request')
  return new ConduitError(status, { [field]: [error.message] }, error.headers)
}

/**
 * The error statuses of a route (as the document gives them), each with RealWorld's error
 * body, where the document would give the house's. 500 is left to it: the document promises
 * the house's Error for every operation's 500 (test/routes/docs.test.ts), though under /api
 * a 500 is `{"errors": {"server": ["internal error"]}}`.
 */
const errorStatuses = (route: RouteOptions): number[] =>
  statusesOf(route.config ?? {}, [route.method].flat()[0] as string).filter((status) => status !== 500)

/** A CORS preflight or other OPTIONS on a path of the API: the errors plugin answers those for every path. */
class HandedOver extends Error {}

/**
 * The RealWorld ("Conduit") API: one encapsulated plugin, registered under /api. It shares the
 * repositories, the accounts, the auth and every app-wide hook (request ids, the request log,
 * metrics, limits, CORS) with the tutorial's API, and has its own error shape: this error handler
 * and not-found handler answer everything under /api as `{"errors": {"<field>": ["<message>"]}}`.
 */
const realworldApi: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRoute', (route) => {
    const response = Object.fromEntries(errorStatuses(route).map((status) => [status, errorResponse(status)]))
    // a route's own schema for a status wins; mutated rather than spread, as the HEAD twin shares it
    route.schema = Object.assign(route.schema ?? {}, { response: Object.assign(response, route.schema?.response) })
  })

  /** Whatever was thrown, from any layer, as the error a RealWorld client reads: the house's answer, reworded. */
  const conduitErrorOf = (err: FastifyError, request: FastifyRequest): ConduitError => {
    if (err instanceof ConduitError) return err
    if (Array.isArray(err.validation)) return new ConduitError(422, validationErrors(err, request))
    return fromHouse(app.errorAnswer(err, request), request)
  }

  // Some frontends' HTTP helpers send Content-Type: application/json on every request, bodiless
  // ones too (follow, favorite, DELETE): an empty body is no body here, not a 400. Any other body
  // goes to Fastify's parser, refusing prototype poisoning as app.ts has it everywhere.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined)
    parseJson(request, body as string, done)
  })

  app.setErrorHandler((err: FastifyError, request, reply) => {
    // to the parent's handler, that of plugins/errors.ts: 204 with Allow, and the CORS preflight answer
    if (err instanceof HandedOver) throw err
    const error = conduitErrorOf(err, request)
    if (error.statusCode >= 500) request.log.error({ err }, 'request failed')
    return reply
      .code(error.statusCode)
      // as the house's errors: an error may come before the hook that sets these on every response
      .header('x-request-id', request.id)
      .header('x-content-type-options', 'nosniff')
      .headers(error.headers)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ errors: error.errors }))
  })

  app.setNotFoundHandler(async (request) => {
    const allow = app.allowedMethods(request.url.split('?', 1)[0]!)
    if (request.method === 'OPTIONS' && allow.length > 0) throw new HandedOver()
    // a path that exists for this method found nothing: a plain 404 (as the house answers)
    throw allow.length === 0 || allow.includes(request.method) ? PathNotFound() : MethodNotAllowed(request.method, allow)
  })

  await app.register(usersRoutes)
  await app.register(profilesRoutes)
  await app.register(articlesRoutes)
  await app.register(commentsRoutes)
  await app.register(tagsRoutes)
}
export default realworldApi
