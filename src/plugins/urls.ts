import fp from 'fastify-plugin'
import type { Config } from '../config.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** An absolute URL for a path of this API, as the client reaches it. */
    absoluteUrl (pathAndQuery: string): string
  }
}

/** A Host header as RFC 9110 allows it: a name or address, and maybe a port. */
export const VALID_HOST = /^[\w.-]+(:\d{1,5})?$|^\[[\da-f:.]+\](:\d{1,5})?$/i

/** The path and query of a request target, also when a client sent it in absolute form (RFC 9112 §3.2.2). */
export const originForm = (target: string): string => target.replace(/^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i, '') || '/'

/**
 * Absolute URLs come from --public-url when set (behind a proxy), else from
 * the Host the client used, as the tutorial's `Not Found: http://…` does; a
 * missing or odd Host falls back to the address the request arrived on.
 * X-Forwarded-Host is never used: any client can send it, even through a
 * proxy that does not overwrite it.
 */
export default fp<{ config: Config }>(async (app, { config }) => {
  app.decorateRequest('absoluteUrl', function (pathAndQuery: string) {
    const path = originForm(pathAndQuery)
    if (config.publicUrl !== null) return config.publicUrl + path
    let host = this.headers.host ?? ''
    if (!VALID_HOST.test(host)) {
      const { localAddress = config.host, localPort = config.port } = this.raw.socket
      host = localAddress.includes(':') ? `[${localAddress}]:${localPort}` : `${localAddress}:${localPort}`
    }
    return `${this.protocol}://${host}${path}`
  })
}, { name: 'urls' })
