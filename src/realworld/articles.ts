import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ArticleNotFound } from '../errors.js'
import { EITHER_SCHEME } from '../schemas/common.js'
import { assertAuthorOrAdmin, toggleRoutes, userIdOf, viewerIdOf } from './guards.js'
import {
  ArticleResponse, ArticlesQuery, ArticlesResponse, FeedQuery, JSON_ONLY, NewArticleBody, SlugParams, TAGS, UpdateArticleBody
} from './schemas.js'

/*
 * One data model, two APIs: a Conduit article is the tutorial's article (GET /articles/:id shows
 * the same row). Its `description` is the tutorial's `summary`: written from it, and read back as
 * "" when the summary is null (an article written at /articles without one). Slugs, tags and
 * favorites are the Conduit API's own additions; a slug is set once, when the article is written,
 * and stays when its title changes, so that links keep working.
 */

const DEFAULT_LIMIT = 20

const articlesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { articles, favorites } = app.repos
  type Transaction = Parameters<typeof articles.findById>[1]
  type ReaderArticle = Awaited<ReturnType<typeof articles.page>>['articles'][number]

  /** The Conduit article (a list's schema leaves its body out). */
  const toArticle = (article: ReaderArticle) => ({
    slug: article.slug,
    title: article.title,
    description: article.summary ?? '',
    body: article.body,
    tagList: [...article.tags],
    createdAt: article.createdAt,
    updatedAt: article.updatedAt,
    favorited: article.favorited,
    favoritesCount: article.favoritesCount,
    author: article.author
  })

  /** The article with this slug as `viewerId` reads it: with its author, tags and favorites. */
  async function read (slug: string, viewerId: number | null, tx?: Transaction) {
    const [article] = (await articles.page({ slug }, viewerId, 1, 0, tx)).articles
    if (article === undefined) throw ArticleNotFound()
    return { article: toArticle(article) }
  }

  /** The id of the article with this slug, or 404. */
  async function idOf (slug: string, tx?: Transaction) {
    const found = await articles.findIdBySlug(slug, tx)
    if (found === undefined) throw ArticleNotFound()
    return found
  }

  async function list (filter: Parameters<typeof articles.page>[0], viewerId: number | null, query: { limit?: number, offset?: number }) {
    const page = await articles.page(filter, viewerId, query.limit ?? DEFAULT_LIMIT, query.offset ?? 0)
    return { articles: page.articles.map(toArticle), articlesCount: page.count }
  }

  app.get('/articles', {
    schema: {
      tags: [TAGS.articles],
      summary: 'Articles, newest first, by tag, author or a user\'s favorites',
      querystring: ArticlesQuery,
      response: { 200: ArticlesResponse }
    },
    config: { produces: JSON_ONLY, auth: 'optional', statuses: [422] }
  }, async (request) => {
    const { tag, author, favorited } = request.query
    return await list({ tag, author, favoritedBy: favorited }, viewerIdOf(request), request.query)
  })

  app.get('/articles/feed', {
    schema: {
      tags: [TAGS.articles],
      summary: 'The articles of the authors the current user follows, newest first',
      security: EITHER_SCHEME,
      querystring: FeedQuery,
      response: { 200: ArticlesResponse }
    },
    config: { produces: JSON_ONLY, auth: 'required', statuses: [403, 422] }
  }, async (request) => {
    const userId = userIdOf(request)
    return await list({ feedOf: userId }, userId, request.query)
  })

  app.get('/articles/:slug', {
    schema: { tags: [TAGS.articles], summary: 'An article', params: SlugParams, response: { 200: ArticleResponse } },
    config: { produces: JSON_ONLY, auth: 'optional', statuses: [404, 422] }
  }, async (request) => await read(request.params.slug, viewerIdOf(request)))

  app.post('/articles', {
    schema: {
      tags: [TAGS.articles],
      summary: 'Write an article (the admin too, as the author of its name)',
      security: EITHER_SCHEME,
      body: NewArticleBody,
      response: { 201: ArticleResponse }
    },
    config: { produces: JSON_ONLY, auth: 'required', statuses: [422] }
  }, async (request, reply) => {
    const principal = request.principal!
    const { title, description, body, tagList } = request.body.article
    const authorId = principal.kind === 'user' ? principal.id : null
    const created = await app.db.transaction(async (tx) => {
      const { id } = await articles.create({ title, summary: description, body }, authorId, principal.username, tx)
      if (tagList !== undefined && tagList.length > 0) await articles.setTags(id, tagList, tx)
      return await read((await articles.findSlug(id, tx))!, authorId, tx)
    })
    return reply.code(201).header('location', `/api/articles/${encodeURIComponent(created.article.slug)}`).send(created)
  })

  app.put('/articles/:slug', {
    schema: {
      tags: [TAGS.articles],
      summary: 'Change an article (its author or the admin): only the fields given',
      security: EITHER_SCHEME,
      params: SlugParams,
      body: UpdateArticleBody,
      response: { 200: ArticleResponse }
    },
    config: { produces: JSON_ONLY, auth: 'required', statuses: [403, 404, 422] }
  }, async (request) => {
    const { slug } = request.params
    const { title, description, body, tagList } = request.body.article
    // the check and the write in one transaction: no other write comes between them
    return await app.db.transaction(async (tx) => {
      const { id, authorId } = await idOf(slug, tx)
      assertAuthorOrAdmin(request, authorId, 'article')
      if (title !== undefined || description !== undefined || body !== undefined || tagList !== undefined) {
        const current = (await articles.findById(id, tx))!
        await articles.update(id, {
          title: title ?? current.title,
          summary: description === undefined ? current.summary ?? null : description === '' ? null : description,
          body: body ?? current.body
        }, tx)
        if (tagList !== undefined) await articles.setTags(id, tagList, tx)
      }
      return await read(slug, viewerIdOf(request), tx)
    })
  })

  app.delete('/articles/:slug', {
    schema: { tags: [TAGS.articles], summary: 'Delete an article (its author or the admin)', security: EITHER_SCHEME, params: SlugParams },
    config: { auth: 'required', statuses: [403, 404, 422] }
  }, async (request, reply) => {
    await app.db.transaction(async (tx) => {
      const { id, authorId } = await idOf(request.params.slug, tx)
      assertAuthorOrAdmin(request, authorId, 'article')
      await articles.delete(id, tx)
    })
    return reply.code(204).send()
  })

  toggleRoutes(app, '/articles/:slug/favorite', {
    tag: TAGS.articles, summaries: ['Favorite an article (again: no change)', 'Unfavorite an article'], params: SlugParams, response: ArticleResponse
  }, async (request, userId, favorited) => {
    const { id } = await idOf(request.params.slug)
    await favorites.set(userId, id, favorited)
    return await read(request.params.slug, userId)
  })
}
export default articlesRoutes
