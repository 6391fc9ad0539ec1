import fp from 'fastify-plugin'

/**
 * Outside the routes that register their own parsers (messages, echo), bodies
 * are JSON: Fastify's parser (refusing prototype poisoning, see app.ts), and
 * every structured `+json` type (RFC 6839) too. Text is no data type here, so
 * it is a 415 rather than a body that fails validation.
 */
export default fp(async (app) => {
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser(/^application\/[\w.!#$&^-]+\+json(;|$)/i, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))
}, { name: 'body-parsers' })
