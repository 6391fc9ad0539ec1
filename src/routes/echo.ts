import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { TEXT_TYPES, textReply } from '../schemas/common.js'

const METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] as const

const echoRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // echo names the method whatever the body is: any type is read (within the limit) and ignored
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => { done(null, undefined) })

  app.route({
    method: [...METHODS],
    url: '',
    schema: { tags: ['tutorial'], summary: 'Names the request method', response: { 200: textReply('ECHO: GET') } },
    config: { produces: TEXT_TYPES, text: (reply) => `${reply.message}\n` },
    // HEAD answers what GET would, headers included
    handler: async (request) => ({ message: `ECHO: ${request.method === 'HEAD' ? 'GET' : request.method}` })
  })
}
export default echoRoutes
