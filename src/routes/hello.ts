import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { TEXT_TYPES, textReply } from '../schemas/common.js'

const HelloQuery = Type.Object({
  name: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Array(Type.String({ maxLength: 1000 }))], {
    description: 'who to greet; the first one when repeated'
  }))
})

const helloRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('', {
    schema: { tags: ['tutorial'], summary: 'Hello John Doe, or Hello <name>', querystring: HelloQuery, response: { 200: textReply('Hello John Doe') } },
    config: { produces: TEXT_TYPES }
  }, async (request) => {
    const { name } = request.query
    const first = Array.isArray(name) ? name[0] : name
    return { message: `Hello ${first ?? 'John Doe'}` }
  })
}
export default helloRoutes
