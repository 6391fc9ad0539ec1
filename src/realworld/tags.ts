import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { JSON_ONLY, TAGS, TagsResponse } from './schemas.js'

const tagsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { articles } = app.repos

  app.get('/tags', {
    schema: { tags: [TAGS.tags], summary: 'Every tag in use, the most used first', response: { 200: TagsResponse } },
    config: { produces: JSON_ONLY }
  }, async () => ({ tags: await articles.tags() }))
}
export default tagsRoutes
