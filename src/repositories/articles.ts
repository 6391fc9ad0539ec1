import type { Db, Queryable, SqlValue } from '../db/index.js'
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
        `INSERT INTO articles (title, summary, body, author_id, author, version, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 1, ?, ?) RETURNING ${COLUMNS}`,
        [fields.title, fields.summary, fields.body, authorId, author, now, now])
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
    }
  }
}
export type ArticlesRepository = ReturnType<typeof createArticlesRepository>
