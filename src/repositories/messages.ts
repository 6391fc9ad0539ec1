import type { Db, Queryable } from '../db/index.js'
import type { Message, MessagePart } from '../schemas/messages.js'

export interface NewPart {
  readonly name: string
  readonly filename: string | null
  readonly contentType: string | null
  readonly body: Buffer
  readonly sha256: string
}

export interface NewMessage {
  readonly userId: number | null
  readonly sender: string | null
  readonly contentType: string
  readonly body: Buffer
  readonly sha256: string
  readonly parts: readonly NewPart[]
}

export interface StoredMessage extends Message {
  /** The owning user; null for the admin's and anonymous messages. */
  readonly userId: number | null
}

interface MessageRow {
  id: number
  user_id: number | null
  sender: string | null
  content_type: string
  size: number
  sha256: string
  created_at: string
}

interface PartRow {
  message_id: number
  name: string
  filename: string | null
  content_type: string | null
  size: number
  sha256: string
}

const MESSAGE_COLUMNS = 'id, user_id, sender, content_type, size, sha256, created_at'

const toPart = (row: PartRow): MessagePart => ({
  name: row.name, filename: row.filename, contentType: row.content_type, size: Number(row.size), sha256: row.sha256
})

const toMessage = (row: MessageRow, parts: MessagePart[]): StoredMessage => ({
  id: Number(row.id),
  contentType: row.content_type,
  size: Number(row.size),
  sha256: row.sha256,
  owner: row.sender,
  createdAt: row.created_at,
  parts,
  userId: row.user_id === null ? null : Number(row.user_id)
})

export function createMessagesRepository (db: Db) {
  async function withParts (rows: MessageRow[]): Promise<StoredMessage[]> {
    if (rows.length === 0) return []
    const ids = rows.map((r) => Number(r.id))
    const partRows = await db.all<PartRow>(
      `SELECT message_id, name, filename, content_type, size, sha256 FROM message_parts
       WHERE message_id IN (${ids.map(() => '?').join(', ')}) ORDER BY message_id, position`, ids)
    const byMessage = new Map<number, MessagePart[]>()
    for (const row of partRows) {
      const id = Number(row.message_id)
      byMessage.set(id, [...(byMessage.get(id) ?? []), toPart(row)])
    }
    return rows.map((row) => toMessage(row, byMessage.get(Number(row.id)) ?? []))
  }

  return {
    /** Stores the message and its parts in one transaction (`tx`, or one of its own): all of it or none. */
    async create (message: NewMessage, tx?: Queryable): Promise<StoredMessage> {
      const store = async (tx: Queryable) => {
        const row = await tx.one<MessageRow>(
          `INSERT INTO messages (user_id, sender, content_type, size, sha256, body, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${MESSAGE_COLUMNS}`,
          [message.userId, message.sender, message.contentType, message.body.length, message.sha256, message.body, new Date().toISOString()])
        const id = Number(row!.id)
        for (const [position, part] of message.parts.entries()) {
          await tx.run(
            `INSERT INTO message_parts (message_id, position, name, filename, content_type, size, sha256, body)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            [id, position, part.name, part.filename, part.contentType, part.body.length, part.sha256, part.body])
        }
        const parts = message.parts.map((p) => ({ name: p.name, filename: p.filename, contentType: p.contentType, size: p.body.length, sha256: p.sha256 }))
        return toMessage(row!, parts)
      }
      return tx === undefined ? await db.transaction(store) : await store(tx)
    },

    /** Newest first; `ownerId` undefined lists every message (the admin's view). */
    async list (limit: number, beforeId: number | undefined, ownerId?: number): Promise<StoredMessage[]> {
      const where: string[] = []
      const params: number[] = []
      if (ownerId !== undefined) { where.push('user_id = ?'); params.push(ownerId) }
      if (beforeId !== undefined) { where.push('id < ?'); params.push(beforeId) }
      const rows = await db.all<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''}
         ORDER BY id DESC LIMIT ?`, [...params, limit])
      return await withParts(rows)
    },

    async findById (id: number): Promise<StoredMessage | undefined> {
      const row = await db.one<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`, [id])
      return row === undefined ? undefined : (await withParts([row]))[0]
    },

    async content (id: number): Promise<{ contentType: string, body: Buffer } | undefined> {
      const row = await db.one<{ content_type: string, body: Buffer }>('SELECT content_type, body FROM messages WHERE id = ?', [id])
      return row === undefined ? undefined : { contentType: row.content_type, body: row.body }
    },

    async delete (id: number): Promise<boolean> {
      return (await db.run('DELETE FROM messages WHERE id = ?', [id])).changes > 0
    }
  }
}
export type MessagesRepository = ReturnType<typeof createMessagesRepository>
