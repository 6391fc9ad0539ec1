import type { FastifyReply, FastifyRequest } from 'fastify'
import { BadRequest } from '../errors.js'

const DEFAULT_LIMIT = 20

/** How a listing resumes: the position a row stands at, and the check of one read back from a client. */
export interface Cursor<P, T> {
  of (row: T): P
  read (value: unknown): P | undefined
}

export interface PageRequest<P> {
  readonly limit: number
  /** Where the previous page ended, from the opaque `?after=`. */
  readonly after: P | undefined
}

/** Lists in id order resume after the last id. */
export const byId: Cursor<number, { id: number }> = {
  of: (row) => row.id,
  read: (value) => Number.isSafeInteger(value) && (value as number) >= 0 ? value as number : undefined
}

/** The `?after=` value for a position; clients only copy it from a Link. */
export const encodeCursor = (position: unknown): string => Buffer.from(JSON.stringify(position)).toString('base64url')

/** Reads `?limit=` and `?after=`: a cursor the client only ever copies from a Link. */
export function pageOf<P> (query: { limit?: number, after?: string }, cursor: Cursor<P, never>): PageRequest<P> {
  const limit = query.limit ?? DEFAULT_LIMIT
  if (query.after === undefined) return { limit, after: undefined }
  let after: P | undefined
  try {
    after = cursor.read(JSON.parse(Buffer.from(query.after, 'base64url').toString('utf8')))
  } catch {
    after = undefined
  }
  if (after === undefined) throw BadRequest('Invalid cursor: follow the Link rel="next" URL as given', 'INVALID_CURSOR')
  return { limit, after }
}

/**
 * Trims a page fetched with one row too many and, when that row exists,
 * points to the next page with `Link: <…>; rel="next"` (RFC 8288).
 */
export function sendPage<P, R, T extends R> (request: FastifyRequest, reply: FastifyReply, rows: T[], page: PageRequest<P>, cursor: Cursor<P, R>): T[] {
  if (rows.length <= page.limit) return rows
  const items = rows.slice(0, page.limit)
  const query = new URLSearchParams(request.query as Record<string, string>)
  query.set('limit', String(page.limit))
  query.set('after', encodeCursor(cursor.of(items.at(-1)!)))
  // absoluteUrl drops the scheme and authority of an absolute-form target
  const path = request.url.split('?', 1)[0]!
  reply.header('link', `<${request.absoluteUrl(`${path}?${query.toString()}`)}>; rel="next"`)
  return items
}
