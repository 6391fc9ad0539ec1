import swagger from '@fastify/swagger'
import type { FastifySchema, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { statusesOf } from '../route-config.js'
import { EITHER_SCHEME, ErrorSchema } from '../schemas/common.js'

const ERROR_REF = { $ref: 'Error#' }
const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: a body, parameter or cursor that does not parse or validate',
  401: 'Authenticate: no credential, or a wrong one (two WWW-Authenticate challenges)',
  403: 'Forbidden: the principal may not do this',
  404: 'Not Found: the full URL',
  406: 'Not Acceptable: Accept names no type this route has',
  409: 'Conflict: the name is taken',
  412: 'Precondition Failed: If-Match does not name the current ETag',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type (Accept-Post / Accept-Patch list the types)',
  416: 'Range Not Satisfiable (Content-Range: bytes */size)',
  429: 'Too Many Requests (Retry-After)',
  500: 'Internal Server Error',
  507: 'Insufficient Storage: the database is out of space; nothing was stored',
  503: 'Service Unavailable: the database cannot be reached or is busy, or the server is stopping (Retry-After)'
}
const NON_ERRORS: Record<number, string> = { 206: 'Partial Content: the requested range', 304: 'Not Modified: If-None-Match names the current ETag' }
const REPRESENTATIONS: Record<string, string> = {
  'text/plain': 'the message alone, as UTF-8 text (the tutorial\'s answer)',
  'application/xml': 'the same fields as XML elements',
  'text/xml': 'the same XML, for clients that ask for text/xml',
  'text/csv': 'the same fields as RFC 4180 CSV with a header row'
}

type RouteConfig = NonNullable<RouteOptions['config']>

/**
 * OpenAPI 3.1 from the same schemas that validate and serialise, completed
 * with what lives outside them: the representations a route negotiates, the
 * errors it can answer, raw bodies, and the /files key. Served at
 * /openapi.json; routes/docs.ts serves it as a page at /docs.
 */
export default fp<{ config: Config }>(async (app, { config }) => {
  app.addSchema(ErrorSchema)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'restful-api',
        version: '1.0.0',
        description: 'The RESTful Web API of the Flask tutorial, as real software. Errors are always ' +
          '{status, message, code, requestId[, errors]} (XML or problem+json on request).'
      },
      ...(config.publicUrl === null ? {} : { servers: [{ url: config.publicUrl }] }),
      components: {
        securitySchemes: {
          basicAuth: { type: 'http', scheme: 'basic', description: 'the admin from configuration, or a user with a password' },
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'a token from POST /tokens' }
        }
      }
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: ({ schema, url, route }) => {
      const method = [route.method].flat()[0] as string
      const config = (route.config ?? {}) as RouteConfig
      const out: Record<string, unknown> = { ...schema }
      const response: Record<string, unknown> = { ...(schema?.response as Record<string, unknown> | undefined) }
      if (config.rawResponse !== undefined) {
        const raw = config.rawResponse === 'application/json'
          ? { type: 'object', description: 'a JSON document' }
          : { type: 'string', description: 'the bytes as stored or generated' }
        response[200] ??= { description: 'OK', content: { [config.rawResponse]: { schema: raw } } }
      }
      // the other representations of a success: the same fields, as text, XML or CSV
      if (config.produces !== undefined) {
        for (const [status, success] of Object.entries(response)) {
          if (!status.startsWith('2')) continue
          response[status] = {
            description: (success as { description?: string }).description ?? 'OK',
            content: Object.fromEntries(config.produces.map((type) => [type, {
              schema: type === 'application/json' ? success : { type: 'string', description: REPRESENTATIONS[type] }
            }]))
          }
        }
      }
      for (const status of statusesOf(config, method)) {
        response[status] ??= status in NON_ERRORS
          ? { description: NON_ERRORS[status], type: 'null' }
          : { description: ERROR_DESCRIPTIONS[status], ...ERROR_REF }
      }
      if (method === 'DELETE' || url.endsWith('/current')) response[204] ??= { description: 'Done', type: 'null' }
      out.response = response
      if (config.produces !== undefined) out.produces = [...config.produces]
      if (config.consumes !== undefined) out.consumes = [...config.consumes]
      if (config.rawBody !== undefined) {
        out.body = {
          content: Object.fromEntries(Object.entries(config.rawBody).map(([type, body]) => [type, {
            schema: { description: body.description, ...(body.schema ?? {}), ...(body.example === undefined ? {} : { examples: [body.example] }) }
          }]))
        }
      }
      // {} first: anonymous callers are welcome, a credential makes them someone
      if (config.auth === 'optional') out.security = [{}, ...EITHER_SCHEME]
      let documentedUrl = url
      if (url.endsWith('/*')) {
        documentedUrl = url.replace(/\/\*$/, '/{key}')
        out.params = {
          type: 'object',
          properties: { key: { type: 'string', description: 'UTF-8 path segments, each percent-encoded; no empty, . or .. segment, no %2F' } },
          required: ['key']
        }
      }
      return { schema: out as FastifySchema, url: documentedUrl }
    }
  })
  app.get('/openapi.json', {
    schema: { tags: ['operations'], summary: 'This OpenAPI 3.1 document' },
    config: { quota: false, rawResponse: 'application/json' }
  }, async () => app.swagger())
}, { name: 'docs' })
