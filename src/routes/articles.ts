import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'
import { BadRequest, NotFound } from '../errors.js'
import { ArticleSchema, ArticlesQuery, CreateArticleBody, PatchArticleBody, ReplaceArticleBody } from '../schemas/articles.js'
import { DATA_TYPES, EITHER_SCHEME, ID_PATTERN, IdParams, LIST_TYPES } from '../schemas/common.js'
import { noneMatchHits, sendNotModified } from './conditional.js'
import { assertMayChange, principalOf } from './guards.js'
import { byId, pageOf, sendPage, type Cursor } from './pagination.js'

const ARTICLE_XML = { root: 'article' }
const WRITE_TYPES = ['application/json', 'application/merge-patch+json']

/** A strong tag of the article's state; every change bumps its version. */
const etagOf = (article: { id: number, version: number }) => `"${article.id}-${article.version}"`
const validatorsOf = (article: { id: number, version: number, updatedAt: string }) => ({ etag: etagOf(article), lastModified: article.updatedAt })

/** Search results resume after the rank and id of the last row. */
const byRank: Cursor<[number, number], { rank: number, id: number }> = {
  of: (row) => [row.rank, row.id],
  read: (value) => Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) && Number.isSafeInteger(value[1])
    ? [value[0] as number, value[1] as number]
    : undefined
}

/** PUT and PATCH: the same checks and answers, their own body. */
const changeOptions = <Body extends TSchema>(summary: string, body: Body) => ({
  schema: { tags: ['articles'], summary, security: EITHER_SCHEME, params: IdParams, body, response: { 200: ArticleSchema } },
  config: { produces: DATA_TYPES, xml: ARTICLE_XML, auth: 'required' as const, consumes: WRITE_TYPES, statuses: [403, 404, 412] }
})

const articlesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { articles } = app.repos
  type Transaction = Parameters<typeof articles.findById>[1]
  type StoredArticle = NonNullable<Awaited<ReturnType<typeof articles.findById>>>
  type ArticleFields = Parameters<typeof articles.update>[1]
  const notFound = (request: FastifyRequest) => NotFound(request.absoluteUrl(request.url), 'ARTICLE_NOT_FOUND')
  // the response schema leaves out what is not documented (authorId, version), in every representation
  const sendArticle = (reply: FastifyReply, article: { id: number, version: number }, status = 200) =>
    reply.code(status).header('etag', etagOf(article)).send(article)

  /**
   * The current article, once the principal may change it and it is in the state the request
   * expects; undefined when there is none. Called in the transaction of the write that follows,
   * so that no other write comes between the checks and it.
   */
  async function changeable (request: FastifyRequest<{ Params: { id: number } }>, tx: Transaction) {
    const current = await articles.findById(request.params.id, tx)
    if (current !== undefined) assertMayChange(request, current.authorId, validatorsOf(current))
    return current
  }

  /** PUT and PATCH: the new fields from the current article, written after the checks. */
  async function change (request: FastifyRequest<{ Params: { id: number } }>, reply: FastifyReply, fields: (current: StoredArticle) => ArticleFields) {
    const article = await app.db.transaction(async (tx) => {
      const current = await changeable(request, tx)
      return current === undefined ? undefined : await articles.update(current.id, fields(current), tx)
    })
    if (article === undefined) throw notFound(request)
    return sendArticle(reply, article)
  }

  app.get('', {
    schema: {
      tags: ['articles'],
      summary: 'List articles, newest first, or search them (best match first)',
      querystring: ArticlesQuery,
      response: { 200: Type.Array(ArticleSchema) }
    },
    config: {
      produces: LIST_TYPES,
      xml: { root: 'articles', item: 'article' },
      csv: ['id', 'title', 'summary', 'body', 'author', 'createdAt', 'updatedAt']
    }
  }, async (request, reply) => {
    const { q, author } = request.query
    if (q === undefined) {
      const page = pageOf(request.query, byId)
      return sendPage(request, reply, await articles.list(page.limit + 1, page.after, author), page, byId)
    }
    const page = pageOf(request.query, byRank)
    const rows = await articles.search(q, page.limit + 1, page.after, author)
    if (rows === undefined) throw BadRequest('Invalid search: q must contain at least one word', 'INVALID_SEARCH')
    return sendPage(request, reply, rows, page, byRank)
  })

  app.get(`/:id${ID_PATTERN}`, {
    schema: {
      tags: ['articles'],
      summary: 'Get one article (strong ETag; If-None-Match gives 304)',
      params: IdParams,
      response: { 200: ArticleSchema }
    },
    config: { produces: DATA_TYPES, xml: ARTICLE_XML, statuses: [304, 404] }
  }, async (request, reply) => {
    const article = await articles.findById(request.params.id)
    if (article === undefined) throw notFound(request)
    if (noneMatchHits(request.headers['if-none-match'], etagOf(article))) return sendNotModified(reply, etagOf(article))
    return sendArticle(reply, article)
  })

  app.post('', {
    schema: {
      tags: ['articles'],
      summary: 'Write an article',
      security: EITHER_SCHEME,
      body: CreateArticleBody,
      response: { 201: ArticleSchema }
    },
    config: { produces: DATA_TYPES, xml: ARTICLE_XML, auth: 'required', consumes: WRITE_TYPES }
  }, async (request, reply) => {
    const principal = principalOf(request)
    const { title, summary = null, body } = request.body
    const article = await articles.create({ title, summary, body }, principal.kind === 'user' ? principal.id : null, principal.username)
    return sendArticle(reply.header('location', `/articles/${article.id}`), article, 201)
  })

  app.put(`/:id${ID_PATTERN}`, changeOptions('Replace an article (its author or the admin; If-Match guards against lost updates)', ReplaceArticleBody), async (request, reply) => {
    const { title, summary = null, body } = request.body
    return await change(request, reply, () => ({ title, summary, body }))
  })

  app.patch(`/:id${ID_PATTERN}`, changeOptions('Change an article with a JSON Merge Patch (RFC 7396)', PatchArticleBody), async (request, reply) => {
    const patch = request.body
    return await change(request, reply, (current) => ({
      title: patch.title ?? current.title,
      body: patch.body ?? current.body,
      summary: patch.summary === undefined ? current.summary ?? null : patch.summary
    }))
  })

  app.delete(`/:id${ID_PATTERN}`, {
    schema: { tags: ['articles'], summary: 'Delete an article (its author or the admin)', security: EITHER_SCHEME, params: IdParams },
    config: { auth: 'required', statuses: [403, 404, 412] }
  }, async (request, reply) => {
    const deleted = await app.db.transaction(async (tx) => {
      const current = await changeable(request, tx)
      return current !== undefined && await articles.delete(current.id, tx)
    })
    if (!deleted) throw notFound(request)
    return reply.code(204).send()
  })
}
export default articlesRoutes
