import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { EITHER_SCHEME } from '../schemas/common.js'
import { assertAuthorOrAdmin, userIdOf, viewerIdOf } from './guards.js'
import { CommentParams, CommentResponse, CommentsResponse, JSON_ONLY, NewCommentBody, SlugParams, TAGS } from './schemas.js'
import { ArticleNotFound, CommentNotFound } from '../errors.js'

// each comment's schema leaves out its author's id
const commentsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { articles, comments } = app.repos

  /** The id of the article with this slug, or 404. */
  const articleIdOf = async (slug: string) => {
    const found = await articles.findIdBySlug(slug)
    if (found === undefined) throw ArticleNotFound()
    return found.id
  }

  app.get('/articles/:slug/comments', {
    schema: { tags: [TAGS.comments], summary: 'The comments on an article, oldest first', params: SlugParams, response: { 200: CommentsResponse } },
    config: { produces: JSON_ONLY, auth: 'optional', statuses: [404, 422] }
  }, async (request) => ({ comments: await comments.list(await articleIdOf(request.params.slug), viewerIdOf(request)) }))

  app.post('/articles/:slug/comments', {
    schema: {
      tags: [TAGS.comments],
      summary: 'Comment on an article',
      security: EITHER_SCHEME,
      params: SlugParams,
      body: NewCommentBody,
      response: { 201: CommentResponse }
    },
    config: { produces: JSON_ONLY, auth: 'required', statuses: [403, 404, 422] }
  }, async (request, reply) => {
    const userId = userIdOf(request)
    const comment = await comments.create(await articleIdOf(request.params.slug), userId, request.body.comment.body)
    return reply.code(201).send({ comment })
  })

  app.delete('/articles/:slug/comments/:id', {
    schema: { tags: [TAGS.comments], summary: 'Delete a comment (its author or the admin)', security: EITHER_SCHEME, params: CommentParams },
    config: { auth: 'required', statuses: [403, 404, 422] }
  }, async (request, reply) => {
    const articleId = await articleIdOf(request.params.slug)
    const comment = await comments.find(articleId, request.params.id, null)
    if (comment === undefined) throw CommentNotFound()
    assertAuthorOrAdmin(request, comment.authorId, 'comment')
    await comments.delete(comment.id)
    return reply.code(204).send()
  })
}
export default commentsRoutes
