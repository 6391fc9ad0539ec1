import type { Db, Queryable } from '../db/index.js'

export interface StoredFile {
  readonly key: string
  readonly contentType: string
  readonly size: number
  readonly sha256: string
  readonly ownerId: number | null
  readonly owner: string
  readonly lastModified: string
}

export interface NewFile {
  readonly contentType: string
  readonly body: Buffer
  readonly sha256: string
  readonly ownerId: number | null
  readonly owner: string
}

interface FileRow {
  key: string
  content_type: string
  size: number
  sha256: string
  owner_id: number | null
  owner: string
  updated_at: string
}

const COLUMNS = 'key, content_type, size, sha256, owner_id, owner, updated_at'

const toFile = (row: FileRow): StoredFile => ({
  key: row.key,
  contentType: row.content_type,
  size: Number(row.size),
  sha256: row.sha256,
  ownerId: row.owner_id === null ? null : Number(row.owner_id),
  owner: row.owner,
  lastModified: row.updated_at
})

/**
 * The least string above every string that starts with `prefix`, in code point
 * (= UTF-8 byte) order: the last code point raised by one, carrying past
 * U+10FFFF. Undefined when no such string exists (no upper bound).
 */
export function prefixEnd (prefix: string): string | undefined {
  const points = [...prefix].map((c) => c.codePointAt(0)!)
  while (points.length > 0) {
    const last = points.pop()!
    if (last < 0x10FFFF) {
      // the next code point, stepping over the surrogates, which no string holds
      points.push(last + 1 === 0xD800 ? 0xE000 : last + 1)
      return String.fromCodePoint(...points)
    }
  }
  return undefined
}

/** The media store: bytes by key, in the database with everything else. Writes take an optional transaction. */
export function createFilesRepository (db: Db) {
  return {
    async find (key: string, tx: Queryable = db): Promise<StoredFile | undefined> {
      const row = await tx.one<FileRow>(`SELECT ${COLUMNS} FROM files WHERE key = ?`, [key])
      return row === undefined ? undefined : toFile(row)
    },

    /**
     * Bytes `start` to `start + length - 1` (all of them without a range): the
     * database cuts the range, so a small range of a large file stays small.
     */
    async read (key: string, range?: { start: number, length: number }): Promise<Buffer | undefined> {
      const row = range === undefined
        ? await db.one<{ body: Buffer }>('SELECT body FROM files WHERE key = ?', [key])
        : await db.one<{ body: Buffer }>('SELECT substr(body, ?, ?) AS body FROM files WHERE key = ?', [range.start + 1, range.length, key])
      // SQLite gives an empty blob back as an empty string
      return row === undefined ? undefined : Buffer.from(row.body ?? [])
    },

    /** Keys in order, after `afterKey`, starting with `prefix`. */
    async list (limit: number, prefix = '', afterKey?: string): Promise<StoredFile[]> {
      // a range on the key (not LIKE, which ignores case and has wildcards) keeps it an index seek
      const from = afterKey !== undefined && afterKey >= prefix ? afterKey : prefix
      const end = prefixEnd(prefix)
      const rows = await db.all<FileRow>(
        `SELECT ${COLUMNS} FROM files WHERE key ${from === afterKey ? '>' : '>='} ? ${end === undefined ? '' : 'AND key < ?'}
         ORDER BY key LIMIT ?`,
        end === undefined ? [from, limit] : [from, end, limit])
      return rows.map(toFile)
    },

    /** Stores `file` under `key`: a new key, or (`replace`) one that holds a file already. */
    async put (key: string, file: NewFile, replace: boolean, tx: Queryable = db): Promise<StoredFile> {
      const now = new Date().toISOString()
      const params = [file.contentType, file.body.length, file.sha256, file.body, now]
      const row = replace
        ? await tx.one<FileRow>(
          `UPDATE files SET content_type = ?, size = ?, sha256 = ?, body = ?, updated_at = ? WHERE key = ? RETURNING ${COLUMNS}`,
          [...params, key])
        : await tx.one<FileRow>(
          `INSERT INTO files (content_type, size, sha256, body, updated_at, key, owner_id, owner, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`, [...params, key, file.ownerId, file.owner, now])
      return toFile(row!)
    },

    /** False when there is no file under `key`. */
    async delete (key: string, tx: Queryable = db): Promise<boolean> {
      return (await tx.run('DELETE FROM files WHERE key = ?', [key])).changes > 0
    }
  }
}
export type FilesRepository = ReturnType<typeof createFilesRepository>
