import type { FastifyPluginAsync } from 'fastify'

/** Prometheus scrapes this; it is served here unless --metrics-port gives it a port of its own. */
const metricsRoutes: FastifyPluginAsync<{ contentType: string }> = async (app, { contentType }) => {
  app.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)' },
    config: { quota: false, rawResponse: contentType }
  }, async (_request, reply) => reply.type(contentType).send(await app.metricsText()))
}
export default metricsRoutes
