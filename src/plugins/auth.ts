import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { DEMO_ADMIN_PASSWORD, type Config } from '../config.js'
import { Forbidden, TooManyRequests, Unauthenticated } from '../errors.js'
import { verifyPassword } from '../lib/password.js'
import type { AuthRequirement } from '../route-config.js'
import { DECOY_HASH } from '../services/accounts.js'
import type { Principal } from '../schemas/common.js'
import { USERNAME_PATTERN } from '../schemas/users.js'
import { addRouteHook } from './route-hooks.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
    /** The bearer token the request authenticated with, for revoking it. */
    bearerToken: string | null
  }
}

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/
/** `Token` is the RealWorld API's name for a bearer token; both work everywhere. */
const TOKEN_SCHEMES = new Set(['bearer', 'token'])
const POSSIBLE_USERNAME = new RegExp(USERNAME_PATTERN)
const VERIFIED_TTL_MS = 5 * 60_000
const VERIFIED_MAX_ENTRIES = 10_000

const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest()

function parseBasic (credentials: string): { username: string, password: string } | undefined {
  if (!TOKEN68.test(credentials)) return undefined
  const decoded = Buffer.from(credentials, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return undefined
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/**
 * Basic (the configured admin, or a user with a password) and Bearer tokens,
 * applied by one onRequest hook from each route's `auth` setting.
 */
export default fp<{ config: Config, verifyPassword?: typeof verifyPassword }>(async (app, options) => {
  const { config, verifyPassword: verify = verifyPassword } = options
  const limiter = app.failureLimiter
  const adminDigest = sha256(config.adminPassword ?? DEMO_ADMIN_PASSWORD)

  // A correct Basic credential is remembered for a while, keyed by a keyed hash
  // (never the password) and tied to the stored hash, so a password change
  // invalidates it at once and scrypt runs once per client, not per request.
  const cacheKey = randomBytes(32)
  const verified = new Map<string, { passwordHash: string, expiresAt: number }>()
  const rememberKey = (username: string, password: string) =>
    createHmac('sha256', cacheKey).update(username).update('\0').update(password).digest('base64')

  async function verifyBasic (username: string, password: string): Promise<Principal | undefined> {
    if (username === config.adminUser) {
      return timingSafeEqual(sha256(password), adminDigest) ? { kind: 'admin', username } : undefined
    }
    // a name no user can have (NUL, spaces, 65 characters…) is simply unknown: a wrong credential
    // is a 401 whatever it holds, never a 400 from the database refusing to look it up
    const credentials = POSSIBLE_USERNAME.test(username) ? await app.repos.users.findCredentials(username) : undefined
    if (credentials?.passwordHash == null) {
      await verify(password, DECOY_HASH)
      return undefined
    }
    const key = rememberKey(username, password)
    const remembered = verified.get(key)
    if (remembered !== undefined && remembered.passwordHash === credentials.passwordHash && remembered.expiresAt > Date.now()) {
      return { kind: 'user', id: credentials.id, username: credentials.username }
    }
    if (!await verify(password, credentials.passwordHash)) return undefined
    if (verified.size >= VERIFIED_MAX_ENTRIES) verified.delete(verified.keys().next().value as string)
    verified.set(key, { passwordHash: credentials.passwordHash, expiresAt: Date.now() + VERIFIED_TTL_MS })
    return { kind: 'user', id: credentials.id, username: credentials.username }
  }

  async function verifyBearer (token: string): Promise<Principal | undefined> {
    const owner = await app.repos.tokens.findOwner(token)
    if (owner === undefined) return undefined
    if (owner.userId === null) return { kind: 'admin', username: config.adminUser }
    return { kind: 'user', id: owner.userId, username: owner.username ?? '' }
  }

  async function authenticate (request: FastifyRequest, header: string): Promise<Principal> {
    const retryAfter = await limiter.retryAfterSeconds(request.ip)
    if (retryAfter > 0) throw TooManyRequests(retryAfter, 'Too Many Requests: too many failed authentications from this address')
    const space = header.indexOf(' ')
    const scheme = header.slice(0, space === -1 ? undefined : space).toLowerCase()
    const credentials = space === -1 ? '' : header.slice(space + 1).trim()
    let principal: Principal | undefined
    if (scheme === 'basic') {
      const basic = parseBasic(credentials)
      if (basic !== undefined) principal = await verifyBasic(basic.username, basic.password)
    } else if (TOKEN_SCHEMES.has(scheme) && TOKEN68.test(credentials)) {
      principal = await verifyBearer(credentials)
      if (principal !== undefined) request.bearerToken = credentials
    }
    if (principal !== undefined) return principal
    await limiter.recordFailure(request.ip)
    throw Unauthenticated(TOKEN_SCHEMES.has(scheme) ? 'The token is invalid, expired or revoked' : undefined)
  }

  app.decorateRequest('principal', null)
  app.decorateRequest('bearerToken', null)

  async function admit (request: FastifyRequest, requirement: AuthRequirement, header: string): Promise<void> {
    request.principal = await authenticate(request, header)
    if (requirement === 'admin' && request.principal.kind !== 'admin') {
      throw Forbidden('Forbidden: only the administrator may do this')
    }
  }

  // a hook of the routes that name a requirement, as a callback: an async hook costs a promise and a tick
  app.addHook('onRoute', (route) => {
    const requirement = route.config?.auth
    if (requirement === undefined) return
    addRouteHook(route, 'onRequest', (request, _reply, done) => {
      const header = request.headers.authorization
      if (header === undefined || header.trim() === '') {
        return done(requirement === 'optional' ? undefined : Unauthenticated())
      }
      admit(request, requirement, header).then(() => done(), done)
    })
  })
}, { name: 'auth', dependencies: ['db', 'rate-limits'] })
