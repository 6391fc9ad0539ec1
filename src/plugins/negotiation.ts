import type { FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { NotAcceptable } from '../errors.js'
import { negotiate } from '../lib/media-type.js'
import { toCsv, toXml, type XmlShape } from '../lib/representations.js'

/** Adds a field to Vary, keeping what other layers (CORS: Origin) put there. */
export function appendVary (reply: FastifyReply, field: string): FastifyReply {
  const current = reply.getHeader('vary')
  const fields = current === undefined ? [] : String(current).split(/\s*,\s*/)
  if (fields.some((f) => f.toLowerCase() === field.toLowerCase())) return reply
  return reply.header('vary', [...fields, field].join(', '))
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

  app.addHook('onRequest', async (request, reply) => {
    const produces = request.routeOptions.config.produces
    if (produces === undefined) return
    appendVary(reply, 'Accept')
    request.responseType = negotiate(request.headers.accept, produces)
    if (request.responseType === undefined) throw NotAcceptable(produces)
  })

  // Fastify serialises whatever preSerialization returns, so a non-JSON body is
  // rendered here and handed over as this reply's serializer.
  app.addHook('preSerialization', async (request, reply, payload: unknown) => {
    const type = request.responseType
    if (type === undefined || type === 'application/json' || reply.statusCode >= 400) return payload
    const config = request.routeOptions.config
    let rendered: string
    if (type === 'text/plain') {
      const textual = payload as { message: string }
      rendered = config.text === undefined ? textual.message : config.text(textual)
    } else {
      const data: unknown = JSON.parse(reply.serialize(payload) as string)
      rendered = type === 'application/xml'
        ? toXml(data, config.xml ?? { root: 'data' })
        : toCsv(data as Record<string, unknown>[], config.csv ?? [])
    }
    reply.type(`${type}; charset=utf-8`).serializer(() => rendered)
    return payload
  })
}, { name: 'negotiation' })
