import type { Queryable } from '../db/index.js'

/**
 * A table of pairs, one row a pair: setting one that is set (or clearing one
 * that is not) changes nothing, so a request may be repeated safely.
 */
function createPairsRepository (db: Queryable, table: string, first: string, second: string) {
  return {
    async set (firstId: number, secondId: number, on: boolean): Promise<void> {
      await db.run(on
        ? `INSERT INTO ${table} (${first}, ${second}) VALUES (?, ?) ON CONFLICT DO NOTHING`
        : `DELETE FROM ${table} WHERE ${first} = ? AND ${second} = ?`, [firstId, secondId])
    }
  }
}

/** Who follows whom: the RealWorld feed and each profile's `following`. `set(follower, followed, on)`. */
export const createFollowsRepository = (db: Queryable) => createPairsRepository(db, 'follows', 'follower_id', 'followed_id')

/** Which users favorited which articles. `set(user, article, on)`. */
export const createFavoritesRepository = (db: Queryable) => createPairsRepository(db, 'favorites', 'user_id', 'article_id')
