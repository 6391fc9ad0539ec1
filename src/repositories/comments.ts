import type { Queryable } from '../db/index.js'
import { truthy, type Profile } from './articles.js'

export interface ReaderComment {
  readonly id: number
  readonly body: string
  readonly createdAt: string
  readonly updatedAt: string
  readonly authorId: number
  readonly author: Profile
}

interface CommentRow {
  id: number
  body: string
  created_at: string
  updated_at: string
  author_id: number
  username: string
  bio: string | null
  image: string | null
  following: number | boolean
}

const toComment = (row: CommentRow): ReaderComment => ({
  id: Number(row.id),
  body: row.body,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  authorId: Number(row.author_id),
  author: { username: row.username, bio: row.bio, image: row.image, following: truthy(row.following) }
})

/** With each comment its author's profile as `viewerId` sees it: one query per list. */
const SELECT = `SELECT c.id, c.body, c.created_at, c.updated_at, c.author_id, u.username, u.bio, u.image,
    EXISTS (SELECT 1 FROM follows w WHERE w.followed_id = c.author_id AND w.follower_id = ?) AS following
  FROM comments c JOIN users u ON u.id = c.author_id`

/** Comments on articles, each by a user. */
export function createCommentsRepository (db: Queryable) {
  return {
    async create (articleId: number, authorId: number, body: string): Promise<ReaderComment> {
      const now = new Date().toISOString()
      const row = await db.one<{ id: number }>(
        'INSERT INTO comments (article_id, author_id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id',
        [articleId, authorId, body, now, now])
      return (await this.find(articleId, Number(row!.id), authorId))!
    },

    /** Oldest first, as a conversation reads. */
    async list (articleId: number, viewerId: number | null): Promise<ReaderComment[]> {
      const rows = await db.all<CommentRow>(`${SELECT} WHERE c.article_id = ? ORDER BY c.id`, [viewerId, articleId])
      return rows.map(toComment)
    },

    /** The comment `id` if it is on article `articleId`. */
    async find (articleId: number, id: number, viewerId: number | null): Promise<ReaderComment | undefined> {
      const row = await db.one<CommentRow>(`${SELECT} WHERE c.article_id = ? AND c.id = ?`, [viewerId, articleId, id])
      return row === undefined ? undefined : toComment(row)
    },

    async delete (id: number): Promise<boolean> {
      return (await db.run('DELETE FROM comments WHERE id = ?', [id])).changes > 0
    }
  }
}
export type CommentsRepository = ReturnType<typeof createCommentsRepository>
