import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The shared Redis of --redis-url; null when each process keeps its own limits. */
    redis: Redis | null
    /** Resolves when Redis answers (or none is configured); rejects when it does not. */
    pingRedis (): Promise<void>
  }
}

/**
 * One Redis connection per process. Commands fail at once while it is down
 * (no offline queue: a request must not hang on it), and it reconnects by itself.
 */
export default fp<{ config: Config }>(async (app, { config }) => {
  if (config.redisUrl === null) {
    app.decorate('redis', null)
    app.decorate('pingRedis', async () => {})
    return
  }
  // loaded only when configured: the client costs a process ~20 MB
  const { Redis } = await import('ioredis')
  const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true })
  let lastError = ''
  // unheard, a connection error would crash the process; heard once per kind, it does not flood the log
  redis.on('error', (err: Error) => {
    if (err.message !== lastError) app.log.warn({ err }, 'redis error')
    lastError = err.message
  })
  redis.on('ready', () => { lastError = '' })
  try {
    await redis.connect()
  } catch (err) {
    app.log.warn({ err }, 'redis unreachable at start; retrying in the background')
  }
  app.decorate('redis', redis)
  app.decorate('pingRedis', async () => { await redis.ping() })
  app.addHook('onClose', async () => { redis.disconnect() })
}, { name: 'redis' })
