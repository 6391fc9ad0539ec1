import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { EITHER_SCHEME } from '../schemas/common.js'
import { HttpError, TooManyRequests, Unauthenticated } from '../errors.js'
import { userIdOf } from './guards.js'
import { JSON_ONLY, LoginBody, RegisterBody, TAGS, UpdateUserBody, UserResponse } from './schemas.js'

const usersRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts, failureLimiter } = app
  const { users } = app.repos
  type Account = NonNullable<Awaited<ReturnType<typeof users.findAccount>>>

  /** A Conduit user: the account, and the token the client goes on with. */
  const userOf = (account: Account, token: string) => ({
    // a user made by the tutorial's API (POST /users) has no email until it sets one here
    user: { email: account.email ?? '', token, username: account.username, bio: account.bio, image: account.image }
  })

  /** The token the request came with; one is issued for a Basic credential, as POST /tokens would. */
  const tokenOf = async (request: FastifyRequest): Promise<string> =>
    request.bearerToken ?? (await accounts.issueToken(request.principal!)).token

  app.post('/users', {
    schema: {
      tags: [TAGS.users],
      summary: 'Register: a new user, signed in (its token lasts --session-ttl)',
      body: RegisterBody,
      response: { 201: UserResponse }
    },
    config: { produces: JSON_ONLY, statuses: [409, 422] }
  }, async (request, reply) => {
    const { username, email, password } = request.body.user
    const { account, token } = await accounts.register(username, email, password)
    return reply.code(201).send(userOf(account, token))
  })

  app.post('/users/login', {
    schema: {
      tags: [TAGS.users],
      summary: 'Log in by email and password (a failure counts towards --auth-failure-limit)',
      body: LoginBody,
      response: { 200: UserResponse }
    },
    config: { produces: JSON_ONLY, statuses: [401, 422, 429] }
  }, async (request) => {
    // the limit the auth plugin applies to every credential applies to this one too
    const retryAfter = await failureLimiter.retryAfterSeconds(request.ip)
    if (retryAfter > 0) throw TooManyRequests(retryAfter, 'Too Many Requests: too many failed authentications from this address')
    const { email, password } = request.body.user
    try {
      const { account, token } = await accounts.login(email, password)
      return userOf(account, token)
    } catch (err) {
      if (err instanceof HttpError && err.code === 'INVALID_CREDENTIALS') await failureLimiter.recordFailure(request.ip)
      throw err
    }
  })

  app.get('/user', {
    schema: { tags: [TAGS.users], summary: 'The current user', security: EITHER_SCHEME, response: { 200: UserResponse } },
    config: { produces: JSON_ONLY, auth: 'required', statuses: [403] }
  }, async (request) => {
    const account = await users.findAccount(userIdOf(request))
    // deleted since its token was checked
    if (account === undefined) throw Unauthenticated()
    return userOf(account, await tokenOf(request))
  })

  app.put('/user', {
    schema: {
      tags: [TAGS.users],
      summary: 'Change the current user: only the fields given; "" or null clears bio and image',
      security: EITHER_SCHEME,
      body: UpdateUserBody,
      response: { 200: UserResponse }
    },
    config: { produces: JSON_ONLY, auth: 'required', statuses: [403, 409, 422] }
  }, async (request) => {
    const id = userIdOf(request)
    const { email, username, password, bio, image } = request.body.user
    // RealWorld: an empty bio or image is none
    const account = await accounts.updateProfile(id, { email, username, password, bio: bio === '' ? null : bio, image: image === '' ? null : image })
    if (account === undefined) throw Unauthenticated()
    return userOf(account, await tokenOf(request))
  })
}
export default usersRoutes
