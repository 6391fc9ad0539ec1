import type { Queryable } from '../db/index.js'

/** Which users favorited which articles. */
export function createFavoritesRepository (db: Queryable) {
  return {
    /** Idempotent: favoriting twice is favoriting. */
    async add (userId: number, articleId: number): Promise<void> {
      await db.run('INSERT INTO favorites (user_id, article_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [userId, articleId])
    },

    async remove (userId: number, articleId: number): Promise<void> {
      await db.run('DELETE FROM favorites WHERE user_id = ? AND article_id = ?', [userId, articleId])
    }
  }
}
export type FavoritesRepository = ReturnType<typeof createFavoritesRepository>
