import { createHash } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { InvalidKey, NotFound, RangeNotSatisfiable } from '../errors.js'
import { EITHER_SCHEME, LIST_TYPES } from '../schemas/common.js'
import { FileSchema, FilesQuery } from '../schemas/files.js'
import { assertPreconditions, noneMatchHits, notModifiedSince, sendNotModified } from './conditional.js'
import { assertMayChange, principalOf } from './guards.js'
import { pageOf, sendPage, type Cursor } from './pagination.js'

const MAX_KEY_BYTES = 1024

/**
 * The key of a /files URL, read from the raw path (the routes declare no params
 * schema for the wildcard: TypeBox cannot convert a property named `*`) so that an encoded slash
 * (`%2F`) cannot pass for a separator or hide in a segment. Segments are
 * decoded one by one; `.`, `..`, empty segments, NUL, backslashes and control
 * characters are refused. Keys only ever name rows, never paths on a disk.
 */
function keyOf (request: FastifyRequest): string {
  const raw = request.url.split('?', 1)[0]!.slice('/files/'.length)
  if (/%2f|%5c/i.test(raw)) throw InvalidKey('encoded slashes and backslashes are not allowed')
  const segments = raw.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment)
    } catch {
      throw InvalidKey('bad percent-encoding')
    }
  })
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') throw InvalidKey('empty, . and .. segments are not allowed')
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\\]/.test(segment)) throw InvalidKey('control characters and backslashes are not allowed')
  }
  const key = segments.join('/')
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw InvalidKey(`longer than ${MAX_KEY_BYTES} bytes`)
  return key
}

const etagOf = (file: { sha256: string }) => `"${file.sha256}"`
/** The file with its tag; the new key first: `{ ...file, etag }` gets a hidden class of its own on every call in Node 20's optimised code (see toArticle). */
const withEtag = <T extends { sha256: string }>(file: T) => ({ etag: etagOf(file), ...file })
const validatorsOf = (file: { sha256: string, lastModified: string }) => ({ etag: etagOf(file), lastModified: file.lastModified })
const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/')

interface ByteRange { readonly start: number, readonly end: number }

/**
 * The one range of a `Range: bytes=…` header (RFC 9110 §14.1.2): `a-b`, `a-`
 * or the suffix `-n`. Undefined means serve the whole file (no header, another
 * unit, several ranges); null means nothing in it can be satisfied (416).
 */
function rangeOf (header: string | undefined, size: number): ByteRange | null | undefined {
  const match = /^bytes=\s*(\d*)-(\d*)\s*$/.exec(header ?? '')
  if (match === null) return undefined
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    return suffix === 0 || size === 0 ? null : { start: Math.max(size - suffix, 0), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (start >= size || (last !== '' && Number(last) < start)) return null
  return { start, end }
}

const byKey: Cursor<string, { key: string }> = {
  of: (file) => file.key,
  read: (value) => typeof value === 'string' ? value : undefined
}

const filesRoutes: FastifyPluginAsyncTypebox<{ bodyLimit: number }> = async (app, { bodyLimit }) => {
  const { files } = app.repos
  const notFound = (request: FastifyRequest) => NotFound(request.absoluteUrl(request.url), 'FILE_NOT_FOUND')

  // a file is stored as sent, whatever its type
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => { done(null, body) })

  app.get('', {
    schema: {
      tags: ['files'],
      summary: 'List stored files by key, optionally under a prefix',
      querystring: FilesQuery,
      response: { 200: Type.Array(FileSchema) }
    },
    config: { produces: LIST_TYPES, xml: { root: 'files', item: 'file' }, csv: ['key', 'contentType', 'size', 'etag', 'owner', 'lastModified'] }
  }, async (request, reply) => {
    const page = pageOf(request.query, byKey)
    const rows = await files.list(page.limit + 1, request.query.prefix, page.after)
    return sendPage(request, reply, rows, page, byKey).map(withEtag)
  })

  app.get('/*', {
    schema: {
      tags: ['files'],
      summary: 'Download a file (ETag, Last-Modified, Range)'
    },
    config: { statuses: [206, 304, 404, 416], rawResponse: '*/*' }
  }, async (request, reply) => {
    const key = keyOf(request)
    const file = await files.find(key)
    if (file === undefined) throw notFound(request)
    const etag = etagOf(file)
    const lastModified = new Date(file.lastModified)
    reply
      .header('etag', etag)
      .header('last-modified', lastModified.toUTCString())
      .header('cache-control', 'no-cache')
      .header('accept-ranges', 'bytes')
      // stored bytes are the uploader's: a browser must not run them as this API's page
      .header('content-security-policy', "default-src 'none'; sandbox")
    if (noneMatchHits(request.headers['if-none-match'], etag) || notModifiedSince(request.headers, file.lastModified)) {
      return sendNotModified(reply, etag)
    }
    const range = request.headers['if-range'] === undefined || request.headers['if-range'] === etag
      ? rangeOf(request.headers.range, file.size)
      : undefined
    if (range === null) {
      throw RangeNotSatisfiable(file.size)
    }
    const body = await files.read(key, range === undefined ? undefined : { start: range.start, length: range.end - range.start + 1 })
    if (body === undefined) throw notFound(request)
    if (range !== undefined) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
    return reply.type(file.contentType).send(body)
  })

  app.put('/*', {
    bodyLimit,
    schema: {
      tags: ['files'],
      summary: 'Store a file under a key (201 new, 200 replaced; its owner or the admin may replace it)',
      security: EITHER_SCHEME,
      response: { 200: FileSchema, 201: FileSchema }
    },
    config: {
      produces: ['application/json'],
      consumes: ['type/subtype (any well-formed media type)'],
      auth: 'required',
      statuses: [403, 412],
      rawBody: { '*/*': { description: 'the file, stored with the Content-Type it is sent with', schema: { type: 'string', contentMediaType: 'application/octet-stream' } } }
    }
  }, async (request, reply) => {
    const principal = principalOf(request)
    const key = keyOf(request)
    const body = (request.body as Buffer | undefined) ?? Buffer.alloc(0)
    const upload = {
      contentType: request.headers['content-type'] ?? 'application/octet-stream',
      body,
      sha256: createHash('sha256').update(body).digest('hex'),
      ownerId: principal.kind === 'user' ? principal.id : null,
      owner: principal.username
    }
    // the checks see the file the write replaces: no other write comes between
    const { file, created } = await app.db.transaction(async (tx) => {
      const existing = await files.find(key, tx)
      if (existing === undefined) assertPreconditions(request.headers, undefined)
      else assertMayChange(request, existing.ownerId, validatorsOf(existing))
      return { file: await files.put(key, upload, existing !== undefined, tx), created: existing === undefined }
    })
    if (created) reply.code(201).header('location', `/files/${encodeKey(key)}`)
    return reply.header('etag', etagOf(file)).send(withEtag(file))
  })

  app.delete('/*', {
    schema: { tags: ['files'], summary: 'Delete a file (its owner or the admin)', security: EITHER_SCHEME },
    config: { auth: 'required', statuses: [403, 404, 412] }
  }, async (request, reply) => {
    const key = keyOf(request)
    const deleted = await app.db.transaction(async (tx) => {
      const existing = await files.find(key, tx)
      if (existing === undefined) return false
      assertMayChange(request, existing.ownerId, validatorsOf(existing))
      return await files.delete(key, tx)
    })
    if (!deleted) throw notFound(request)
    return reply.code(204).send()
  })
}
export default filesRoutes
