import type { FastifyContextConfig, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { NotAcceptable } from '../errors.js'
import { negotiate } from '../lib/media-type.js'
import { toCsv, toXml, type XmlShape } from '../lib/representations.js'
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
  return type === 'application/xml'
    ? toXml(data, config.xml ?? { root: 'data' })
    : toCsv(data as Record<string, unknown>[], config.csv ?? [])
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Types the route answers with, the default first; the Accept header chooses. */
    produces?: readonly string[]
    /** XML element names, for routes that produce application/xml. */
    xml?: XmlShape
    /** Columns, for list routes that produce text/csv. */
    csv?: readonly string[]
    /** The text/plain body, for routes whose default is text (else the payload's `message`). */
    text?: (payload: { message: string }) => string
  }
  interface FastifyRequest {
    /** The media type chosen for this response. */
    responseType: string | undefined
  }
}

/**
 * Content negotiation, once for every route: onRequest picks the type (or 406)
 * before any work is done; preSerialization renders non-JSON types. JSON goes
 * through the route's response schema, and XML and CSV are rendered from that
 * same serialisation, so every type shows exactly the documented fields.
 */
export default fp(async (app) => {
  app.decorateRequest('responseType', undefined)

  // hooks of the routes that produce types, as callbacks: an async hook costs a promise and a tick
  app.addHook('onRoute', (route) => {
    const config = route.config ?? {}
    const produces = config.produces
    if (produces === undefined) return
    addRouteHook(route, 'onRequest', (request, reply, done) => {
      appendVary(reply, 'Accept')
      request.responseType = negotiate(request.headers.accept, produces)
      done(request.responseType === undefined ? NotAcceptable(produces) : undefined)
    })
    // Fastify serialises whatever preSerialization returns, so a non-JSON body is
    // rendered here and handed over as this reply's serializer.
    addRouteHook(route, 'preSerialization', (request, reply, payload: unknown, done) => {
      const type = request.responseType
      if (type === undefined || type === 'application/json' || reply.statusCode >= 400) return done(null, payload)
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
