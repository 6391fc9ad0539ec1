import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Forbidden, NotFound } from '../errors.js'
import { hashPassword } from '../lib/password.js'
import { DATA_TYPES, EITHER_SCHEME, ID_PATTERN, IdParams, LIST_TYPES, PageQuery } from '../schemas/common.js'
import { ChangePasswordBody, CreateUserBody, UserSchema, UserSummarySchema } from '../schemas/users.js'
import { principalOf } from './guards.js'
import { byId, pageOf, sendPage } from './pagination.js'

const USER_XML = { root: 'user' }

const usersRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users } = app.repos
  const userOr404 = async (id: number, url: string) => {
    const user = await users.findById(id)
    if (user === undefined) throw NotFound(url, 'USER_NOT_FOUND')
    return user
  }

  app.get('', {
    schema: {
      tags: ['users'],
      summary: 'List users (id and username), in id order',
      querystring: PageQuery,
      response: { 200: Type.Array(UserSummarySchema) }
    },
    config: { produces: LIST_TYPES, xml: { root: 'users', item: 'user' }, csv: ['id', 'username'] }
  }, async (request, reply) => {
    const page = pageOf(request.query, byId)
    return sendPage(request, reply, await users.list(page.limit + 1, page.after), page, byId)
  })

  app.get(`/:id${ID_PATTERN}`, {
    schema: { tags: ['users'], summary: 'Get one user', params: IdParams, response: { 200: UserSchema } },
    config: { produces: DATA_TYPES, xml: USER_XML, statuses: [404] }
  }, async (request) => await userOr404(request.params.id, request.absoluteUrl(request.url)))

  app.post('', {
    schema: {
      tags: ['users'],
      summary: 'Create a user (administrator)',
      security: EITHER_SCHEME,
      body: CreateUserBody,
      response: { 201: UserSchema }
    },
    config: { produces: DATA_TYPES, xml: USER_XML, auth: 'admin', statuses: [409] }
  }, async (request, reply) => {
    const user = await app.accounts.createUser(request.body.username, request.body.password)
    return reply.code(201).header('location', `/users/${user.id}`).send(user)
  })

  app.patch(`/:id${ID_PATTERN}`, {
    schema: {
      tags: ['users'],
      summary: 'Change a password (the user itself or the administrator)',
      security: EITHER_SCHEME,
      params: IdParams,
      body: ChangePasswordBody,
      response: { 200: UserSchema }
    },
    config: { produces: DATA_TYPES, xml: USER_XML, auth: 'required', consumes: ['application/json', 'application/merge-patch+json'], statuses: [403, 404] }
  }, async (request) => {
    const principal = principalOf(request)
    const { id } = request.params
    if (principal.kind !== 'admin' && principal.id !== id) throw Forbidden('Forbidden: a user may only change its own password')
    const user = await userOr404(id, request.absoluteUrl(request.url))
    await users.setPassword(id, await hashPassword(request.body.password))
    return user
  })

  app.delete(`/:id${ID_PATTERN}`, {
    schema: {
      tags: ['users'],
      summary: 'Delete a user, its tokens and messages (administrator)',
      security: EITHER_SCHEME,
      params: IdParams
    },
    config: { auth: 'admin', statuses: [404] }
  }, async (request, reply) => {
    if (!await users.delete(request.params.id)) throw NotFound(request.absoluteUrl(request.url), 'USER_NOT_FOUND')
    return reply.code(204).send()
  })
}
export default usersRoutes
