import { createHash, randomBytes } from 'node:crypto'
import type { Queryable } from '../db/index.js'

export interface TokenOwner {
  /** null: the token belongs to the configured admin, who has no row. */
  readonly userId: number | null
  readonly username: string | null
}

export interface IssuedToken {
  readonly token: string
  readonly expiresAt: string
}

// a token is 256 random bits, so one fast hash suffices: nothing to brute-force
const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex')

/** Bearer tokens: handed out once, stored only as their SHA-256. */
export function createTokensRepository (db: Queryable) {
  return {
    async issue (userId: number | null, ttlSeconds: number): Promise<IssuedToken> {
      const token = randomBytes(32).toString('base64url')
      const now = new Date()
      const expiresAt = new Date(now.getTime() + ttlSeconds * 1000).toISOString()
      // expired tokens are useless; dropping them here keeps the table small without a timer
      await db.run('DELETE FROM tokens WHERE expires_at <= ?', [now.toISOString()])
      await db.run('INSERT INTO tokens (token_hash, user_id, expires_at, created_at) VALUES (?, ?, ?, ?)',
        [hashOf(token), userId, expiresAt, now.toISOString()])
      return { token, expiresAt }
    },

    /** The owner of a stored, unexpired token. */
    async findOwner (token: string): Promise<TokenOwner | undefined> {
      const row = await db.one<{ user_id: number | null, username: string | null }>(
        `SELECT t.user_id, u.username FROM tokens t LEFT JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = ? AND t.expires_at > ?`,
        [hashOf(token), new Date().toISOString()])
      return row === undefined ? undefined : { userId: row.user_id === null ? null : Number(row.user_id), username: row.username }
    },

    async revoke (token: string): Promise<boolean> {
      return (await db.run('DELETE FROM tokens WHERE token_hash = ?', [hashOf(token)])).changes > 0
    }
  }
}
export type TokensRepository = ReturnType<typeof createTokensRepository>
