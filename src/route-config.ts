import type { FastifyContextConfig } from 'fastify'
import type { XmlShape } from './lib/representations.js'

/** optional: credentials are checked when sent; required: 401 without; admin: 403 for anyone else. */
export type AuthRequirement = 'optional' | 'required' | 'admin'

/** A body the route reads without a schema (raw bytes), as the OpenAPI document describes it. */
export interface RawBody {
  readonly description: string
  readonly schema?: Record<string, unknown>
  readonly example?: unknown
}

/**
 * Every option a route declares for the plugins, in its `config`. A plugin reads
 * them once, when the route is registered (onRoute), and gives only the routes
 * that need it a hook of its own; the OpenAPI document is built from them too.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (plugins/auth.ts); absent: anyone, credentials unread. */
    auth?: AuthRequirement
    /** Types the route answers with, the default first; the Accept header chooses (plugins/negotiation.ts). */
    produces?: readonly string[]
    /** XML element names, for routes that produce application/xml (and text/xml). */
    xml?: XmlShape
    /** Columns, for list routes that produce text/csv. */
    csv?: readonly string[]
    /** The text/plain body, for routes whose default is text (else the payload's `message`). */
    text?: (payload: { message: string }) => string
    /** Body types the route takes; a 415 names them in Accept-Post or Accept-Patch (plugins/errors.ts). */
    consumes?: readonly string[]
    /** false: the request quota does not apply (probes, metrics; plugins/rate-limits.ts). */
    quota?: boolean
    /**
     * The statuses the route answers besides its success and those that follow from the
     * options above (400, 500 and 503 always; 401 and 429 with auth, 403 with admin; 406
     * with produces; 413, 415 and 507 with a body): 206, 304, 403, 404, 409, 412, 416.
     * The OpenAPI document lists exactly these (plugins/docs.ts).
     */
    statuses?: readonly number[]
    /** The media type of a success the route sends as raw bytes (no response schema), for the document. */
    rawResponse?: string
    /** Bodies the route reads without a schema (raw bytes), by media type, for the document. */
    rawBody?: Record<string, RawBody>
  }
}

/**
 * Every status a route can answer besides its success: those it declares, and those that
 * follow from what it declares (auth, produces, a method with a body); never guessed from
 * its URL. Any request can be malformed (400) or meet a failure (500, 503); one that may
 * carry a body can carry one of a type the route does not read (415) or one too large (413).
 */
export function statusesOf (config: FastifyContextConfig, method: string): number[] {
  const statuses = new Set([400, 500, 503, ...(config.statuses ?? [])])
  if (config.produces !== undefined) statuses.add(406)
  if (method !== 'GET') statuses.add(413).add(415).add(507)
  if (config.auth !== undefined) statuses.add(401).add(429)
  if (config.auth === 'admin') statuses.add(403)
  return [...statuses].sort((a, b) => a - b)
}
