import type { Queryable } from '../db/index.js'
import type { User, UserSummary } from '../schemas/users.js'

interface UserRow {
  id: number
  username: string
  password_hash: string | null
  created_at: string
}

export interface Credentials {
  readonly id: number
  readonly username: string
  readonly passwordHash: string | null
}

const toUser = (row: UserRow): User => ({ id: Number(row.id), username: row.username, createdAt: row.created_at })

export function createUsersRepository (db: Queryable) {
  return {
    /** Public listing in id order, `limit` rows after the id `afterId`. */
    async list (limit: number, afterId = 0): Promise<UserSummary[]> {
      const rows = await db.all<UserRow>('SELECT id, username FROM users WHERE id > ? ORDER BY id LIMIT ?', [afterId, limit])
      return rows.map((r) => ({ id: Number(r.id), username: r.username }))
    },

    async findById (id: number): Promise<User | undefined> {
      const row = await db.one<UserRow>('SELECT id, username, created_at FROM users WHERE id = ?', [id])
      return row === undefined ? undefined : toUser(row)
    },

    async findCredentials (username: string): Promise<Credentials | undefined> {
      const row = await db.one<UserRow>('SELECT id, username, password_hash FROM users WHERE username = ?', [username])
      return row === undefined ? undefined : { id: Number(row.id), username: row.username, passwordHash: row.password_hash }
    },

    /** Throws UniqueViolation when the name is taken. */
    async create (username: string, passwordHash: string | null): Promise<User> {
      const row = await db.one<UserRow>(
        'INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?) RETURNING id, username, created_at',
        [username, passwordHash, new Date().toISOString()])
      return toUser(row!)
    },

    async setPassword (id: number, passwordHash: string): Promise<boolean> {
      return (await db.run('UPDATE users SET password_hash = ? WHERE id = ?', [passwordHash, id])).changes > 0
    },

    async delete (id: number): Promise<boolean> {
      return (await db.run('DELETE FROM users WHERE id = ?', [id])).changes > 0
    }
  }
}
export type UsersRepository = ReturnType<typeof createUsersRepository>
