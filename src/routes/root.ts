import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { TEXT_TYPES } from '../schemas/common.js'

const RESOURCES = ['hello', 'echo', 'articles', 'files', 'messages', 'users', 'secrets', 'tokens', 'health', 'ready'] as const

const IndexReply = Type.Object({
  message: Type.String(),
  resources: Type.Record(Type.String(), Type.String({ format: 'uri' }))
})

const rootRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', {
    schema: { tags: ['root'], summary: 'Welcome; as JSON, an index of the API', response: { 200: IndexReply } },
    config: { produces: TEXT_TYPES }
  }, async (request) => ({
    message: 'Welcome',
    resources: Object.fromEntries(RESOURCES.map((name) => [name, request.absoluteUrl(`/${name}`)]))
  }))
}
export default rootRoutes
