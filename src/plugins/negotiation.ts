import type { FastifyContextConfig, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { NotAcceptable } from '../errors.js'
import { negotiate } from '../lib/media-type.js'
import { isXmlType, toCsv, toXml } from '../lib/representations.js'
import { addRouteHook } from './route-hooks.js'

/** Adds a field to Vary, keeping what other layers (CORS: Origin) put there. */
export function appendVary (reply: FastifyReply, field: string): FastifyReply {
  const current = reply.getHeader('vary')
  if (current === undefined) return reply.header('vary', field)
  const fields = String(current).split(/\s*,\s*/)
  if (fields.some((f) => f.toLowerCase() === field.toLowerCase())) return reply
  return reply.header('vary', [...fields, field].join(', '))
}

/** A payload as text, XML or CSV; XML and CSV from the route's own JSON serialisation. */
function render (type: string, payload: unknown, config: FastifyContextConfig, reply: FastifyReply): string {
  if (type === 'text/plain') {
    const textual = payload as { message: string }
    return config.text === undefined ? textual.message : config.text(textual)
  }
  const data: unknown = JSON.parse(reply.serialize(payload) as string)
  return isXmlType(type)
    ? toXml(data, config.xml ?? { root: 'data' })
    : toCsv(data as Record<string, unknown>[], config.csv ?? [])
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The media type chosen for this response. */
    responseType: string | undefined
  }
}

/**
 * Content negotiation, once for every route: onRequest picks the type;
 * preSerialization renders non-JSON types. JSON goes through the route's
 * response schema, and XML and CSV are rendered from that same serialisation,
 * so every type shows exactly the documented fields.
 *
 * When Accept names no type the route has, the 406 waits until it is the
 * answer: any other error (a 404, a 400, a 401) is answered first, in the
 * error type Accept asks for (problem+json, say). A read finds out when its
 * success is about to be sent; a write before its handler runs, so that a
 * client is never refused something that was done.
 */
export default fp(async (app) => {
  app.decorateRequest('responseType', undefined)

  // hooks of the routes that produce types, as callbacks: an async hook costs a promise and a tick
  app.addHook('onRoute', (route) => {
    const config = route.config ?? {}
    const produces = config.produces
    if (produces === undefined) return
    const isRead = [route.method].flat().every((method) => method === 'GET' || method === 'HEAD')
    addRouteHook(route, 'onRequest', (request, reply, done) => {
      appendVary(reply, 'Accept')
      request.responseType = negotiate(request.headers.accept, produces)
      done()
    })
    if (!isRead) {
      addRouteHook(route, 'preHandler', (request, _reply, done) => {
        done(request.responseType === undefined ? NotAcceptable(produces) : undefined)
      })
    }
    // Fastify serialises whatever preSerialization returns, so a non-JSON body is
    // rendered here and handed over as this reply's serializer.
    addRouteHook(route, 'preSerialization', (request, reply, payload: unknown, done) => {
      const type = request.responseType
      if (reply.statusCode >= 400) return done(null, payload)
      if (type === undefined) return done(NotAcceptable(produces))
      if (type === 'application/json') return done(null, payload)
      try {
        const rendered = render(type, payload, config, reply)
        reply.type(`${type}; charset=utf-8`).serializer(() => rendered)
        done(null, payload)
      } catch (err) {
        done(err as Error)
      }
    })
  })
}, { name: 'negotiation' })
