import type { Queryable, SqlValue } from '../db/index.js'
import { truthy, type Profile } from './articles.js'
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
    },

    /** A user with an email, as the RealWorld API knows them; throws UniqueViolation (column username or email_key). */
    async createAccount (fields: { username: string, email: string, passwordHash: string }): Promise<Account> {
      const row = await db.one<AccountRow>(
        `INSERT INTO users (username, password_hash, email, email_key, created_at) VALUES (?, ?, ?, ?, ?) RETURNING ${ACCOUNT_COLUMNS}`,
        [fields.username, fields.passwordHash, fields.email, emailKey(fields.email), new Date().toISOString()])
      return toAccount(row!)
    },

    async findAccount (id: number, tx: Queryable = db): Promise<Account | undefined> {
      const row = await tx.one<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM users WHERE id = ?`, [id])
      return row === undefined ? undefined : toAccount(row)
    },

    /** The account and password hash of the user with this email, in any letter case. */
    async findByEmail (email: string): Promise<(Account & { passwordHash: string | null }) | undefined> {
      const row = await db.one<AccountRow & { password_hash: string | null }>(
        `SELECT ${ACCOUNT_COLUMNS}, password_hash FROM users WHERE email_key = ?`, [emailKey(email)])
      return row === undefined ? undefined : Object.assign(toAccount(row), { passwordHash: row.password_hash })
    },

    /**
     * Changes the fields given (undefined leaves one as it is, null clears bio or image).
     * A new username is also written where other rows keep the name they were written
     * under (articles, files, messages). Throws UniqueViolation; undefined when there is no such user.
     */
    async updateAccount (id: number, fields: AccountChanges, tx: Queryable = db): Promise<Account | undefined> {
      const sets: string[] = []
      const params: SqlValue[] = []
      if (fields.username !== undefined) { sets.push('username = ?'); params.push(fields.username) }
      if (fields.email !== undefined) { sets.push('email = ?', 'email_key = ?'); params.push(fields.email, emailKey(fields.email)) }
      if (fields.passwordHash !== undefined) { sets.push('password_hash = ?'); params.push(fields.passwordHash) }
      if (fields.bio !== undefined) { sets.push('bio = ?'); params.push(fields.bio) }
      if (fields.image !== undefined) { sets.push('image = ?'); params.push(fields.image) }
      if (sets.length === 0) return await this.findAccount(id, tx)
      const row = await tx.one<AccountRow>(`UPDATE users SET ${sets.join(', ')} WHERE id = ? RETURNING ${ACCOUNT_COLUMNS}`, [...params, id])
      if (row !== undefined && fields.username !== undefined) {
        await tx.run('UPDATE articles SET author = ? WHERE author_id = ?', [fields.username, id])
        await tx.run('UPDATE files SET owner = ? WHERE owner_id = ?', [fields.username, id])
        await tx.run('UPDATE messages SET sender = ? WHERE user_id = ?', [fields.username, id])
      }
      return row === undefined ? undefined : toAccount(row)
    },

    /** The profile of `username` as `viewerId` sees it (following or not). */
    async findProfile (username: string, viewerId: number | null, tx: Queryable = db): Promise<(Profile & { id: number }) | undefined> {
      const row = await tx.one<{ id: number, username: string, bio: string | null, image: string | null, following: number | boolean }>(
        `SELECT id, username, bio, image, EXISTS (SELECT 1 FROM follows WHERE follower_id = ? AND followed_id = users.id) AS following
         FROM users WHERE username = ?`, [viewerId, username])
      return row === undefined
        ? undefined
        : { id: Number(row.id), username: row.username, bio: row.bio, image: row.image, following: truthy(row.following) }
    }
  }
}

export interface Account {
  readonly id: number
  readonly username: string
  readonly email: string | null
  readonly bio: string | null
  readonly image: string | null
}

export interface AccountChanges {
  readonly username?: string
  readonly email?: string
  readonly passwordHash?: string
  readonly bio?: string | null
  readonly image?: string | null
}

interface AccountRow {
  id: number
  username: string
  email: string | null
  bio: string | null
  image: string | null
}

const ACCOUNT_COLUMNS = 'id, username, email, bio, image'

/** Emails are one address whatever the letter case of their spelling. */
const emailKey = (email: string): string => email.toLowerCase()

const toAccount = (row: AccountRow): Account => ({ id: Number(row.id), username: row.username, email: row.email, bio: row.bio, image: row.image })
export type UsersRepository = ReturnType<typeof createUsersRepository>
