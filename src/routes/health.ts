import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ServiceUnavailable } from '../errors.js'

const Status = Type.Object({ status: Type.String(), database: Type.Optional(Type.String()), redis: Type.Optional(Type.String()) })
const JSON_ONLY = ['application/json']

/** Liveness says the process answers; readiness that it can do its work. */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    schema: { tags: ['operations'], summary: 'Liveness', response: { 200: Status } },
    config: { produces: JSON_ONLY, quota: false }
  }, async () => ({ status: 'ok' }))

  app.get('/ready', {
    schema: { tags: ['operations'], summary: 'Readiness: the database answers and the server is not stopping', response: { 200: Status } },
    config: { produces: JSON_ONLY, quota: false }
  }, async () => {
    const [database, redis] = await Promise.allSettled([app.pingDatabase(), app.pingRedis()])
    const down = [database.status === 'rejected' ? 'the database' : '', redis.status === 'rejected' ? 'Redis' : ''].filter(Boolean)
    if (down.length > 0) {
      app.log.warn({ down }, 'not ready')
      throw ServiceUnavailable(`Service Unavailable: ${down.join(' and ')} cannot be reached`, 2)
    }
    return { status: 'ready', database: 'ok', redis: app.redis === null ? 'not configured' : 'ok' }
  })
}
export default healthRoutes
