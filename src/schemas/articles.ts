import { Type, type Static } from 'typebox'
import { PageQuery, Timestamp } from './common.js'

const Title = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: '1–200 characters, not only spaces' })
const Summary = Type.String({ maxLength: 500 })
const Body = Type.String({ maxLength: 100_000 })

export const ArticleSchema = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  summary: Type.Optional(Type.String({ description: 'absent when the article has none' })),
  body: Type.String(),
  author: Type.String({ description: 'username of the author' }),
  createdAt: Timestamp,
  updatedAt: Timestamp
})
export type Article = Static<typeof ArticleSchema>

export const CreateArticleBody = Type.Object({
  title: Title,
  summary: Type.Optional(Summary),
  body: Body
}, { additionalProperties: false })

/** PUT replaces the whole article: an absent summary is removed. */
export const ReplaceArticleBody = CreateArticleBody

/** JSON Merge Patch (RFC 7396): absent keeps a field, null removes an optional one. */
export const PatchArticleBody = Type.Object({
  title: Type.Optional(Title),
  summary: Type.Optional(Type.Union([Summary, Type.Null()])),
  body: Type.Optional(Body)
}, { additionalProperties: false })

export const ArticlesQuery = Type.Object({
  ...PageQuery.properties,
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'full-text search: every word must match; a word also matches as a prefix' })),
  author: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'only this author\'s articles' }))
})
