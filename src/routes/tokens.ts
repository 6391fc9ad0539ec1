import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { BadRequest } from '../errors.js'
import { DATA_TYPES, EITHER_SCHEME } from '../schemas/common.js'
import { TokenSchema } from '../schemas/tokens.js'
import { principalOf } from './guards.js'

const tokensRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('', {
    schema: {
      tags: ['auth'],
      summary: 'Issue a bearer token to the caller (shown once)',
      security: EITHER_SCHEME,
      response: { 201: TokenSchema }
    },
    config: { produces: DATA_TYPES, xml: { root: 'token' }, auth: 'required' }
  }, async (request, reply) => {
    const issued = await app.accounts.issueToken(principalOf(request))
    return reply.code(201).header('cache-control', 'no-store').send(issued)
  })

  app.delete('/current', {
    schema: { tags: ['auth'], summary: 'Revoke the bearer token this request carries', security: [{ bearerAuth: [] }] },
    config: { auth: 'required', statuses: [400] }
  }, async (request, reply) => {
    if (request.bearerToken === null) throw BadRequest('Bad Request: authenticate with the bearer token to revoke', 'NOT_A_TOKEN')
    await app.repos.tokens.revoke(request.bearerToken)
    return reply.code(204).send()
  })
}
export default tokensRoutes
