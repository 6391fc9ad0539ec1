import type { Db, Queryable, SqlValue } from '../db/index.js'
import { slugFor } from '../lib/slug.js'
import type { Article } from '../schemas/articles.js'

export interface StoredArticle extends Article {
  /** The author's user id; null for the admin's articles and those of deleted users. */
  readonly authorId: number | null
  /** Increases with every change: the entity tag is built from it. */
  readonly version: number
}

export interface ArticleFields {
  readonly title: string
  readonly summary: string | null
  readonly body: string
}

interface ArticleRow {
  id: number
  title: string
  summary: string | null
  body: string
  author_id: number | null
  author: string
  version: number
  created_at: string
  updated_at: string
}

const NAMES = ['id', 'title', 'summary', 'body', 'author_id', 'author', 'version', 'created_at', 'updated_at']
const COLUMNS = NAMES.join(', ')
/** Qualified, for the search join: the FTS table has a title and body too. */
const JOINED_COLUMNS = NAMES.map((name) => `a.${name}`).join(', ')

/**
 * One object literal, so every article has one hidden class. Node 20's optimised code
 * gives `{ ...article, summary }` (a spread, then a new key) a hidden class of its own
 * on every call, and then every read of the article, the serialiser's included, misses
 * V8's inline caches. An article without a summary has the key, undefined: the
 * serialiser leaves it out.
 */
function toArticle (row: ArticleRow): StoredArticle {
  return {
    id: Number(row.id),
    title: row.title,
    summary: row.summary ?? undefined,
    body: row.body,
    author: row.author,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    authorId: row.author_id === null ? null : Number(row.author_id),
    version: Number(row.version)
  }
}

/**
 * Full-text search, per engine: a query built from the words of free text
 * (every word must occur, each also as a prefix; words are letters, digits and
 * underscores only, so no operator of either syntax survives), and a rank
 * where lower is better, so one keyset cursor serves both.
 */
const SEARCH: Record<Db['dialect'], { terms: (words: string[]) => string, from: string, rank: string, match: string }> = {
  sqlite: {
    terms: (words) => words.map((w) => `"${w}"*`).join(' '),
    from: 'articles_fts JOIN articles a ON a.id = articles_fts.rowid',
    rank: 'bm25(articles_fts, 10.0, 1.0)',
    match: 'articles_fts MATCH ?'
  },
  postgres: {
    terms: (words) => words.map((w) => `'${w.toLowerCase()}':*`).join(' & '),
    from: 'articles a',
    // float8, so the rank a client carries in its cursor compares exactly
    rank: "(-ts_rank(a.search, to_tsquery('simple', ?)))::float8",
    match: "a.search @@ to_tsquery('simple', ?)"
  }
}

/** Where a search page ended: the rank and id of its last row. */
export type SearchPosition = readonly [rank: number, id: number]

/** Every method takes an optional transaction (`db.transaction`), for a check that must see what the write changes. */
export function createArticlesRepository (db: Db) {
  return {
    async findById (id: number, tx: Queryable = db): Promise<StoredArticle | undefined> {
      const row = await tx.one<ArticleRow>(`SELECT ${COLUMNS} FROM articles WHERE id = ?`, [id])
      return row === undefined ? undefined : toArticle(row)
    },

    /** Newest first, `limit` rows older than the id `beforeId`: an index seek, whatever the depth. */
    async list (limit: number, beforeId?: number, author?: string): Promise<StoredArticle[]> {
      const where: string[] = []
      const params: SqlValue[] = []
      if (author !== undefined) { where.push('author = ?'); params.push(author) }
      if (beforeId !== undefined) { where.push('id < ?'); params.push(beforeId) }
      const rows = await db.all<ArticleRow>(
        `SELECT ${COLUMNS} FROM articles ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id DESC LIMIT ?`, [...params, limit])
      return rows.map(toArticle)
    },

    /** Best match first (title weighs more than body), then by id; undefined when `text` has no word. */
    async search (text: string, limit: number, after?: SearchPosition, author?: string): Promise<Array<StoredArticle & { rank: number }> | undefined> {
      const words = text.match(/[\p{L}\p{N}_]+/gu)?.slice(0, 20)
      if (words === undefined) return undefined
      const search = SEARCH[db.dialect]
      const terms = search.terms(words)
      // the rank expression takes the terms as a parameter wherever it appears
      const rankParams = search.rank.includes('?') ? [terms] : []
      const where = [search.match]
      const params: SqlValue[] = [terms]
      if (author !== undefined) { where.push('a.author = ?'); params.push(author) }
      if (after !== undefined) {
        where.push(`(${search.rank} > ? OR (${search.rank} = ? AND a.id > ?))`)
        params.push(...rankParams, after[0], ...rankParams, after[0], after[1])
      }
      const rows = await db.all<ArticleRow & { rank: number }>(
        `SELECT ${JOINED_COLUMNS}, ${search.rank} AS rank FROM ${search.from}
         WHERE ${where.join(' AND ')} ORDER BY rank, a.id LIMIT ?`, [...rankParams, ...params, limit])
      // a key added to the literal's object, not a spread (see toArticle)
      return rows.map((row) => Object.assign(toArticle(row), { rank: Number(row.rank) }))
    },

    async create (fields: ArticleFields, authorId: number | null, author: string, tx: Queryable = db): Promise<StoredArticle> {
      const now = new Date().toISOString()
      const row = await tx.one<ArticleRow>(
        `INSERT INTO articles (title, summary, body, author_id, author, version, created_at, updated_at, slug)
         VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING ${COLUMNS}`,
        [fields.title, fields.summary, fields.body, authorId, author, now, now, slugFor(fields.title)])
      return toArticle(row!)
    },

    /** Writes the fields and bumps the version; undefined when there is no such article. */
    async update (id: number, fields: ArticleFields, tx: Queryable = db): Promise<StoredArticle | undefined> {
      const row = await tx.one<ArticleRow>(
        `UPDATE articles SET title = ?, summary = ?, body = ?, version = version + 1, updated_at = ?
         WHERE id = ? RETURNING ${COLUMNS}`,
        [fields.title, fields.summary, fields.body, new Date().toISOString(), id])
      return row === undefined ? undefined : toArticle(row)
    },

    /** False when there is no such article. */
    async delete (id: number, tx: Queryable = db): Promise<boolean> {
      return (await tx.run('DELETE FROM articles WHERE id = ?', [id])).changes > 0
    },

    /** The id and author of the article with this slug (what a check before a write needs). */
    async findIdBySlug (slug: string, tx: Queryable = db): Promise<{ id: number, authorId: number | null } | undefined> {
      const row = await tx.one<{ id: number, author_id: number | null }>('SELECT id, author_id FROM articles WHERE slug = ?', [slug])
      return row === undefined ? undefined : { id: Number(row.id), authorId: row.author_id === null ? null : Number(row.author_id) }
    },

    /** The slug `create` gave the article `id` (the tutorial's representation has none). */
    async findSlug (id: number, tx: Queryable = db): Promise<string | undefined> {
      const row = await tx.one<{ slug: string }>('SELECT slug FROM articles WHERE id = ?', [id])
      return row?.slug
    },

    /**
     * A page of articles as a reader sees them: each with its author's profile, its tags
     * and favorites, newest first, and the total that match. Three queries whatever the
     * page's size (two for an empty one); each filter is an index seek (tag, author, favorited by, feed of).
     */
    async page (filter: ArticleFilter, viewerId: number | null, limit: number, offset: number, tx: Queryable = db): Promise<{ articles: ReaderArticle[], count: number }> {
      const where: string[] = []
      const params: SqlValue[] = []
      if (filter.slug !== undefined) { where.push('a.slug = ?'); params.push(filter.slug) }
      if (filter.tag !== undefined) { where.push('a.id IN (SELECT article_id FROM article_tags WHERE tag = ?)'); params.push(filter.tag) }
      if (filter.author !== undefined) { where.push('a.author = ?'); params.push(filter.author) }
      if (filter.favoritedBy !== undefined) {
        where.push('a.id IN (SELECT f.article_id FROM favorites f JOIN users u ON u.id = f.user_id WHERE u.username = ?)')
        params.push(filter.favoritedBy)
      }
      if (filter.feedOf !== undefined) { where.push('a.author_id IN (SELECT followed_id FROM follows WHERE follower_id = ?)'); params.push(filter.feedOf) }
      const condition = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`
      const rows = await tx.all<ReaderArticleRow>(
        `SELECT a.id, a.slug, a.title, a.summary, a.body, a.author, a.author_id, a.created_at, a.updated_at, u.bio, u.image,
           (SELECT COUNT(*) FROM favorites f WHERE f.article_id = a.id) AS favorites_count,
           EXISTS (SELECT 1 FROM favorites f WHERE f.article_id = a.id AND f.user_id = ?) AS favorited,
           EXISTS (SELECT 1 FROM follows w WHERE w.followed_id = a.author_id AND w.follower_id = ?) AS following
         FROM articles a LEFT JOIN users u ON u.id = a.author_id
         ${condition} ORDER BY a.id DESC LIMIT ? OFFSET ?`,
        [viewerId, viewerId, ...params, limit, offset])
      const count = Number((await tx.one<{ n: number }>(`SELECT COUNT(*) AS n FROM articles a ${condition}`, params))!.n)
      const tags = await tagsOf(tx, rows.map((row) => Number(row.id)))
      return { articles: rows.map((row) => toReaderArticle(row, tags.get(Number(row.id)) ?? [])), count }
    },

    /** Replaces the article's tags, kept in the order given. */
    async setTags (id: number, tags: readonly string[], tx: Queryable = db): Promise<void> {
      await tx.run('DELETE FROM article_tags WHERE article_id = ?', [id])
      for (const [position, tag] of [...new Set(tags)].entries()) {
        await tx.run('INSERT INTO article_tags (article_id, position, tag) VALUES (?, ?, ?)', [id, position, tag])
      }
    },

    /** Every tag in use, the most used first. */
    async tags (tx: Queryable = db): Promise<string[]> {
      const rows = await tx.all<{ tag: string }>('SELECT tag FROM article_tags GROUP BY tag ORDER BY COUNT(*) DESC, tag')
      return rows.map((row) => row.tag)
    }
  }
}

/** What a page of articles is narrowed to; every field is optional. */
export interface ArticleFilter {
  readonly slug?: string
  readonly tag?: string
  readonly author?: string
  /** The username of a user who favorited them. */
  readonly favoritedBy?: string
  /** The id of a user: the articles of the authors they follow. */
  readonly feedOf?: number
}

/** The author of an article as a reader sees them; `following` is the reader's. */
export interface Profile {
  readonly username: string
  readonly bio: string | null
  readonly image: string | null
  readonly following: boolean
}

export interface ReaderArticle {
  readonly id: number
  readonly slug: string
  readonly title: string
  readonly summary: string | null
  readonly body: string
  readonly tags: readonly string[]
  readonly createdAt: string
  readonly updatedAt: string
  readonly favorited: boolean
  readonly favoritesCount: number
  readonly authorId: number | null
  readonly author: Profile
}

/** A row of a page of articles, as the page's statement reads it (the bench's baseline reads the same). */
export interface ReaderArticleRow {
  id: number
  slug: string
  title: string
  summary: string | null
  body: string
  author: string
  author_id: number | null
  created_at: string
  updated_at: string
  bio: string | null
  image: string | null
  favorites_count: number
  favorited: number | boolean
  following: number | boolean
}

/** SQLite answers EXISTS with 0 or 1, PostgreSQL with a boolean. */
export const truthy = (value: number | boolean | string): boolean => value === true || Number(value) === 1

function toReaderArticle (row: ReaderArticleRow, tags: readonly string[]): ReaderArticle {
  return {
    id: Number(row.id),
    slug: row.slug,
    title: row.title,
    summary: row.summary,
    body: row.body,
    tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    favorited: truthy(row.favorited),
    favoritesCount: Number(row.favorites_count),
    authorId: row.author_id === null ? null : Number(row.author_id),
    author: { username: row.author, bio: row.bio ?? null, image: row.image ?? null, following: truthy(row.following) }
  }
}

/** The tags of several articles in one query, each article's in its own order. */
async function tagsOf (tx: Queryable, ids: readonly number[]): Promise<Map<number, string[]>> {
  const byArticle = new Map<number, string[]>()
  if (ids.length === 0) return byArticle
  const rows = await tx.all<{ article_id: number, tag: string }>(
    `SELECT article_id, tag FROM article_tags WHERE article_id IN (${ids.map(() => '?').join(', ')}) ORDER BY article_id, position`, ids)
  for (const row of rows) {
    const id = Number(row.article_id)
    const list = byArticle.get(id)
    if (list === undefined) byArticle.set(id, [row.tag])
    else list.push(row.tag)
  }
  return byArticle
}
export type ArticlesRepository = ReturnType<typeof createArticlesRepository>
