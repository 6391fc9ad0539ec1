import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { EITHER_SCHEME, TEXT_TYPES, textReply } from '../schemas/common.js'

const secretsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('', {
    schema: {
      tags: ['tutorial'],
      summary: 'Top secret spy stuff, for authenticated callers',
      security: EITHER_SCHEME,
      response: { 200: textReply('Shhh this is top secret spy stuff!') }
    },
    config: { produces: TEXT_TYPES, auth: 'required' }
  }, async () => ({ message: 'Shhh this is top secret spy stuff!' }))
}
export default secretsRoutes
