import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Server } from 'node:http'
import type {} from '@fastify/swagger'
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import type {} from './route-config.js'
import type { Db } from './db/index.js'
import type { FailureLimiter } from './lib/failure-limiter.js'
import type { verifyPassword } from './lib/password.js'
import { createLogger, lazyChildLogger } from './logger.js'
import authPlugin from './plugins/auth.js'
import bodyParsersPlugin from './plugins/body-parsers.js'
import corsPlugin, { applyCors, corsPolicy } from './plugins/cors.js'
import dbPlugin from './plugins/db.js'
import docsPlugin from './plugins/docs.js'
import errorsPlugin, { clientErrorHandler, sendError } from './plugins/errors.js'
import metricsPlugin, { METRICS_CONTENT_TYPE } from './plugins/metrics.js'
import negotiationPlugin from './plugins/negotiation.js'
import rateLimitsPlugin from './plugins/rate-limits.js'
import redisPlugin from './plugins/redis.js'
import requestContextPlugin, { requestIdFor } from './plugins/request-context.js'
import urlsPlugin from './plugins/urls.js'
import { lazySerializers, validatorCompiler } from './plugins/validation.js'
import realworldApi from './realworld/index.js'
import articlesRoutes from './routes/articles.js'
import docsRoutes from './routes/docs.js'
import echoRoutes from './routes/echo.js'
import filesRoutes from './routes/files.js'
import healthRoutes from './routes/health.js'
import helloRoutes from './routes/hello.js'
import messagesRoutes from './routes/messages.js'
import metricsRoutes from './routes/metrics.js'
import rootRoutes from './routes/root.js'
import secretsRoutes from './routes/secrets.js'
import tokensRoutes from './routes/tokens.js'
import usersRoutes from './routes/users.js'

export interface AppOverrides {
  readonly logger?: Logger
  readonly db?: Db
  readonly failureLimiter?: FailureLimiter
  /** The password check, replaceable so tests can count how often it runs. */
  readonly verifyPassword?: typeof verifyPassword
}

const TIMEOUT_CHECK_MS = 250
/**
 * Node notices an expired request at its next check, up to TIMEOUT_CHECK_MS
 * late, and the 408 then takes a moment to leave: expiring it two checks early
 * makes the 408 arrive within --request-timeout.
 */
const requestTimeoutMs = (config: Config) => config.requestTimeoutSeconds * 1000 - 2 * TIMEOUT_CHECK_MS

/** Builds the whole API on `config`; never listens, so tests and the server share it. */
export async function buildApp (config: Config, overrides: AppOverrides = {}) {
  const timeoutMs = requestTimeoutMs(config)
  const cors = corsPolicy(config.corsOrigin)
  const app = Fastify({
    loggerInstance: (overrides.logger ?? createLogger(config)) as FastifyBaseLogger,
    // one line per request, written by request-context, instead of Fastify's two
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    childLoggerFactory: lazyChildLogger,
    genReqId: requestIdFor,
    trustProxy: config.trustProxy,
    bodyLimit: config.jsonLimit,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestTimeout: timeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutSeconds * 1000,
    return503OnClosing: false,
    clientErrorHandler: clientErrorHandler(cors),
    // before any hook, so without the CORS headers every other answer has, and without the
    // onResponse hooks that log and count every other request
    frameworkErrors: (err, request, reply) => {
      applyCors(cors, request, reply)
      reply.raw.once('finish', () => {
        app.logRequest(request, reply)
        app.countRequest(request, reply)
      })
      sendError(err, request, reply, config.debug)
    },
    routerOptions: { maxParamLength: 1024 },
    schemaController: { compilersFactory: { buildSerializer: lazySerializers } },
    http: {
      // Node would answer a missing Host with a bare 400; request-context answers it as the API does
      requireHostHeader: false,
      // how often Node looks for requests past the request timeout (its default, 30 s, lets a
      // slow sender hold a socket for up to that much longer)
      connectionsCheckingInterval: TIMEOUT_CHECK_MS
    }
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  // a slow sender must not hold a socket open past the request timeout
  const server = app.server as Server & { httpAllowHalfOpen: boolean }
  server.headersTimeout = timeoutMs
  // a client that shuts its side after sending (nc -N, some proxies) still gets its answer;
  // Node would otherwise abort the request when the answer needs another tick (a database round trip)
  server.httpAllowHalfOpen = true

  // order matters: errors must see every route (onRoute), auth needs the db
  await app.register(urlsPlugin, { config })
  await app.register(errorsPlugin, { debug: config.debug, cors })
  // before any route, so that the document sees every one
  await app.register(docsPlugin, { config })
  await app.register(requestContextPlugin)
  await app.register(corsPlugin, { policy: cors })
  await app.register(dbPlugin, { config, db: overrides.db })
  await app.register(metricsPlugin)
  await app.register(redisPlugin, { config })
  await app.register(rateLimitsPlugin, { config, failureLimiter: overrides.failureLimiter })
  await app.register(authPlugin, { config, verifyPassword: overrides.verifyPassword })
  await app.register(negotiationPlugin)
  await app.register(bodyParsersPlugin)

  // a prefix's own route is registered as '' so that /users/ is not an alias of /users
  await app.register(rootRoutes)
  await app.register(docsRoutes, { prefix: '/docs' })
  await app.register(helloRoutes, { prefix: '/hello' })
  await app.register(echoRoutes, { prefix: '/echo' })
  await app.register(articlesRoutes, { prefix: '/articles' })
  await app.register(filesRoutes, { prefix: '/files', bodyLimit: config.bodyLimit })
  await app.register(messagesRoutes, { prefix: '/messages', bodyLimit: config.bodyLimit, multipartParts: config.multipartParts })
  await app.register(usersRoutes, { prefix: '/users' })
  await app.register(secretsRoutes, { prefix: '/secrets' })
  await app.register(tokensRoutes, { prefix: '/tokens' })
  await app.register(healthRoutes)
  if (config.metricsPort === null) await app.register(metricsRoutes, { contentType: METRICS_CONTENT_TYPE })
  // the RealWorld ("Conduit") API on the same data: one encapsulated plugin with its own error shape
  await app.register(realworldApi, { prefix: '/api' })
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
export { METRICS_CONTENT_TYPE, METRICS_MESSAGE } from './plugins/metrics.js'
export { unroutedError } from './plugins/errors.js'
export { NotFound, ServiceUnavailable } from './errors.js'
