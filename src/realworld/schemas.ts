import { Type, type TSchema } from 'typebox'
import { Timestamp } from '../schemas/common.js'
import { USERNAME_PATTERN } from '../schemas/users.js'

/**
 * The RealWorld API's own shapes (realworld/openapi.yml), over the same data as the tutorial's.
 * Every field has a bounded length, and a 422 names it (index.ts turns each failed keyword into
 * RealWorld's message). Unknown keys are ignored, never refused: Conduit frontends send back what
 * they were given (`token` in PUT /user, `slug` or `author` in PUT /articles).
 */

export const TAGS = {
  users: 'realworld: users',
  profiles: 'realworld: profiles',
  articles: 'realworld: articles',
  comments: 'realworld: comments',
  tags: 'realworld: tags'
} as const

/** Every answer under /api is JSON (406 when Accept allows none). */
export const JSON_ONLY = ['application/json']

// Text either engine stores exactly as sent: no NUL and no lone surrogate (the pattern is
// matched in Unicode mode, so a surrogate pair is one character and only a lone one matches).
const STORABLE = '[^\\u0000\\uD800-\\uDFFF]'
const TEXT = `^${STORABLE}*$`
// and not blank: a character other than white space after any leading white space (linear in
// the text's length, and a pattern every JSON Schema tool reads: no lookahead)
const FILLED = `^\\s*[^\\s\\u0000\\uD800-\\uDFFF]${STORABLE}*$`

const text = (maxLength: number) => Type.String({ maxLength, pattern: TEXT })
const filled = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: FILLED })
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

const Username = Type.String({ minLength: 1, maxLength: 64, pattern: USERNAME_PATTERN, description: 'letters, digits, _ . -' })
// something@something: each part without spaces or @, so the check is linear in the length
const Email = Type.String({ minLength: 1, maxLength: 254, pattern: '^[^\\s@\\u0000\\uD800-\\uDFFF]+@[^\\s@\\u0000\\uD800-\\uDFFF]+$' })
/** NIST SP 800-63B: at least 8 characters, at least 64 accepted, no composition rules. */
const Password = Type.String({ minLength: 8, maxLength: 1024, format: 'password' })
const Bio = Type.String({ maxLength: 2000, pattern: TEXT, description: '"" is stored as null' })
const URL_CHARACTER = '[^\\s\\u0000\\uD800-\\uDFFF]'
// an http(s) URL: the host, then an optional path, query or fragment (each part unambiguous: linear)
const Image = Type.String({
  maxLength: 2048,
  pattern: `^(?:https?://[^\\s\\u0000\\uD800-\\uDFFF/?#]+(?:[/?#]${URL_CHARACTER}*)?)?$`,
  description: 'an http(s) URL; "" is stored as null'
})
const Title = filled(200)
/** The tutorial's summary: one column, one limit. */
const Description = filled(500)
const Body = filled(100_000)
const Tag = filled(64)
const TagList = Type.Array(Tag, { maxItems: 20, description: 'at most 20 tags; a repeated tag is kept once' })
const CommentBody = filled(10_000)

export const RegisterBody = Type.Object({
  user: Type.Object({ username: Username, email: Email, password: Password })
})

export const LoginBody = Type.Object({
  user: Type.Object({
    email: Type.String({ minLength: 1, maxLength: 254, pattern: TEXT }),
    password: Type.String({ minLength: 1, maxLength: 1024, format: 'password' })
  })
})

/** Only the fields given change; bio and image take null (or "") to clear them. */
export const UpdateUserBody = Type.Object({
  user: Type.Object({
    email: Type.Optional(Email),
    username: Type.Optional(Username),
    password: Type.Optional(Password),
    bio: Type.Optional(nullable(Bio)),
    image: Type.Optional(nullable(Image))
  })
})

export const NewArticleBody = Type.Object({
  article: Type.Object({ title: Title, description: Description, body: Body, tagList: Type.Optional(TagList) })
})

/**
 * Only the fields given change; a tagList replaces the tags ([] removes them), an absent one keeps them.
 * A description may be "" here: an article without one (written at /articles) reads as "", and an
 * editor that sends back what it read must be able to save it.
 */
export const UpdateArticleBody = Type.Object({
  article: Type.Object({
    title: Type.Optional(Title),
    description: Type.Optional(Type.Union([Type.Literal(''), Description])),
    body: Type.Optional(Body),
    tagList: Type.Optional(TagList)
  })
})

export const NewCommentBody = Type.Object({ comment: Type.Object({ body: CommentBody }) })

// path parameters: anything not storable cannot name a row (422 rather than the database's refusal)
const PathText = Type.String({ minLength: 1, maxLength: 1024, pattern: TEXT })
export const UsernameParams = Type.Object({ username: PathText })
export const SlugParams = Type.Object({ slug: PathText })
export const CommentParams = Type.Object({ slug: PathText, id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) })

const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'at most 100 (422 beyond)' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 }))
}
export const FeedQuery = Type.Object(Paging)
export const ArticlesQuery = Type.Object({
  tag: Type.Optional(text(64)),
  author: Type.Optional(Type.String({ maxLength: 64, pattern: TEXT, description: 'username of the author' })),
  favorited: Type.Optional(Type.String({ maxLength: 64, pattern: TEXT, description: 'username of a user who favorited them' })),
  ...Paging
})

const Profile = Type.Object({
  username: Type.String(),
  bio: nullable(Type.String()),
  image: nullable(Type.String()),
  following: Type.Boolean()
})

export const UserResponse = Type.Object({
  user: Type.Object({
    email: Type.String({ description: '"" for a user made by the tutorial API, which has none' }),
    token: Type.String({ description: 'send it as `Authorization: Token <token>` (or Bearer)' }),
    username: Type.String(),
    bio: nullable(Type.String()),
    image: nullable(Type.String())
  })
})

export const ProfileResponse = Type.Object({ profile: Profile })

const Article = Type.Object({
  slug: Type.String(),
  title: Type.String(),
  description: Type.String({ description: 'the tutorial\'s summary; "" when the article has none' }),
  body: Type.String(),
  tagList: Type.Array(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  favorited: Type.Boolean(),
  favoritesCount: Type.Integer(),
  author: Profile
})
export const ArticleResponse = Type.Object({ article: Article })
/** A list leaves each article's body out. */
export const ArticlesResponse = Type.Object({ articles: Type.Array(Type.Omit(Article, ['body'])), articlesCount: Type.Integer() })

const Comment = Type.Object({ id: Type.Integer(), createdAt: Timestamp, updatedAt: Timestamp, body: Type.String(), author: Profile })
export const CommentResponse = Type.Object({ comment: Comment })
export const CommentsResponse = Type.Object({ comments: Type.Array(Comment) })

export const TagsResponse = Type.Object({ tags: Type.Array(Type.String(), { description: 'every tag in use, the most used first' }) })

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: a body that is not JSON, a bad URL or Host',
  401: 'Unauthorized: token is missing or invalid (credentials invalid, on login)',
  403: 'Forbidden: not the author (nor the admin); user forbidden for the admin, who has no user row',
  404: 'Not found: the article, profile or comment',
  405: 'Method not allowed (Allow lists those the path takes)',
  406: 'Not acceptable: Accept must allow application/json',
  409: 'Conflict: username or email has already been taken',
  413: 'Payload too large',
  415: 'Unsupported media type: send application/json',
  422: 'Unprocessable: each invalid field with its messages',
  429: 'Too many requests (failed logins, or the request quota; Retry-After)',
  503: 'Service unavailable: the database, or the server is stopping (Retry-After)',
  507: 'Insufficient storage: nothing was stored'
}

/** RealWorld's GenericErrorModel, for the document: every error under /api has this shape. */
export const errorResponse = (status: number) => Type.Object({
  errors: Type.Record(Type.String(), Type.Array(Type.String()))
}, { description: ERROR_DESCRIPTIONS[status] ?? 'Error', examples: [{ errors: { title: ["can't be blank"] } }] })
