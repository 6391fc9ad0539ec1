import type { Queryable } from '../db/index.js'

/** Who follows whom: the RealWorld feed and each profile's `following`. */
export function createFollowsRepository (db: Queryable) {
  return {
    /** Idempotent: following twice is following. */
    async follow (followerId: number, followedId: number): Promise<void> {
      await db.run('INSERT INTO follows (follower_id, followed_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [followerId, followedId])
    },

    async unfollow (followerId: number, followedId: number): Promise<void> {
      await db.run('DELETE FROM follows WHERE follower_id = ? AND followed_id = ?', [followerId, followedId])
    }
  }
}
export type FollowsRepository = ReturnType<typeof createFollowsRepository>
