import { createHash } from 'node:crypto'
import { TextDecoder } from 'node:util'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import secureJson from 'secure-json-parse'
import { Type } from 'typebox'
import { BadRequest, NotFound, UnsupportedMediaType } from '../errors.js'
import { isJsonType, mediaTypeOf, mediaTypeParameter } from '../lib/media-type.js'
import { parseMultipart, type ParsedPart } from '../lib/multipart.js'
import { pythonJsonDumps } from '../lib/python-json.js'
import { DATA_TYPES, EITHER_SCHEME, ID_PATTERN, IdParams, LIST_TYPES, PageQuery, TEXT_TYPES } from '../schemas/common.js'
import { MESSAGE_TYPES, MessageCreatedSchema, MessageSchema } from '../schemas/messages.js'
import { assertOwnerOrAdmin, principalOf } from './guards.js'
import { byId, pageOf, sendPage } from './pagination.js'

/** A message body as received: its exact bytes, and what the tutorial's reply says of it. */
interface ReceivedMessage {
  readonly contentType: string
  readonly bytes: Buffer
  readonly reply: string
  readonly parts: readonly ParsedPart[]
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

function decodeText (bytes: Buffer, contentType: string, method: string): string {
  const charset = mediaTypeParameter(contentType, 'charset') ?? 'utf-8'
  let decoder: TextDecoder
  try {
    decoder = new TextDecoder(charset, { fatal: true })
  } catch {
    throw UnsupportedMediaType(method, contentType, MESSAGE_TYPES)
  }
  try {
    return decoder.decode(bytes)
  } catch {
    throw BadRequest(`Invalid text: the body is not valid ${charset}`, 'INVALID_TEXT')
  }
}

const MESSAGE_XML = { root: 'message', item: 'part' }

const messagesRoutes: FastifyPluginAsyncTypebox<{ bodyLimit: number, multipartParts: number }> = async (app, { bodyLimit, multipartParts }) => {
  const { messages } = app.repos

  async function receive (request: FastifyRequest, bytes: Buffer): Promise<ReceivedMessage> {
    const contentType = request.headers['content-type'] ?? ''
    const mediaType = mediaTypeOf(contentType)
    if (mediaType === 'text/plain') {
      return { contentType, bytes, reply: `Text Message: ${decodeText(bytes, contentType, request.method)}`, parts: [] }
    }
    if (isJsonType(mediaType)) {
      // the text must parse (and carry no prototype keys) before it is echoed
      const text = bytes.toString('utf8')
      try {
        secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
      } catch (err) {
        throw BadRequest(`Invalid JSON: ${(err as Error).message}`, 'INVALID_JSON')
      }
      return { contentType, bytes, reply: `JSON Message: ${pythonJsonDumps(text)}`, parts: [] }
    }
    if (mediaType === 'multipart/form-data') {
      const parts = await parseMultipart(bytes, contentType, { parts: multipartParts, partSize: bodyLimit })
      return { contentType, bytes, reply: 'Multipart message written!', parts }
    }
    return { contentType, bytes, reply: 'Binary message written!', parts: [] }
  }

  // Messages keep their exact bytes, so every accepted type is read raw here and
  // interpreted by `receive`; other types get Fastify's 415.
  app.removeAllContentTypeParsers()
  const parseAs = { parseAs: 'buffer', bodyLimit } as const
  const parser = async (request: FastifyRequest, body: Buffer) => await receive(request, body)
  app.addContentTypeParser(['text/plain', 'application/json', 'application/octet-stream', 'multipart/form-data'], parseAs, parser)
  app.addContentTypeParser(/^application\/[\w.!#$&^-]+\+json(;|$)/i, parseAs, parser)

  app.post('', {
    bodyLimit,
    schema: {
      tags: ['messages'],
      summary: 'Store a text, JSON, binary or multipart message',
      description: 'Anonymous or authenticated; the sender may read it back later.',
      response: { 201: MessageCreatedSchema }
    },
    config: {
      produces: TEXT_TYPES,
      consumes: MESSAGE_TYPES,
      auth: 'optional',
      rawBody: {
        'text/plain': { description: 'text, stored as sent', schema: { type: 'string' }, example: 'Hello Text' },
        'application/json': { description: 'any JSON (every +json type too), stored as sent', example: { message: 'Hello Data' } },
        'application/octet-stream': { description: 'bytes, stored as sent', schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
        'multipart/form-data': { description: 'fields and files (10 parts at most), stored whole and by part', schema: { type: 'object' } }
      }
    }
  }, async (request, reply) => {
    const received = request.body as ReceivedMessage | undefined
    if (received === undefined) throw UnsupportedMediaType(request.method, undefined, MESSAGE_TYPES)
    const principal = request.principal
    const stored = await messages.create({
      userId: principal?.kind === 'user' ? principal.id : null,
      sender: principal?.username ?? null,
      contentType: received.contentType,
      body: received.bytes,
      sha256: sha256(received.bytes),
      parts: received.parts.map((part) => ({ sha256: sha256(part.body), ...part }))
    })
    const location = `/messages/${stored.id}`
    return reply.code(201).header('location', location).send({ message: received.reply, id: stored.id, location })
  })

  app.get('', {
    schema: {
      tags: ['messages'],
      summary: 'List messages, newest first: your own, or all for the administrator',
      security: EITHER_SCHEME,
      querystring: PageQuery,
      response: { 200: Type.Array(MessageSchema) }
    },
    config: {
      produces: LIST_TYPES,
      xml: { root: 'messages', item: 'message' },
      csv: ['id', 'contentType', 'size', 'sha256', 'owner', 'createdAt', 'parts'],
      auth: 'required'
    }
  }, async (request, reply) => {
    const principal = principalOf(request)
    const page = pageOf(request.query, byId)
    const rows = await messages.list(page.limit + 1, page.after, principal.kind === 'admin' ? undefined : principal.id)
    return sendPage(request, reply, rows, page, byId)
  })

  const messageOr404 = async (request: FastifyRequest, id: number) => {
    const message = await messages.findById(id)
    if (message === undefined) throw NotFound(request.absoluteUrl(request.url), 'MESSAGE_NOT_FOUND')
    assertOwnerOrAdmin(principalOf(request), message.userId)
    return message
  }

  app.get(`/:id${ID_PATTERN}`, {
    schema: { tags: ['messages'], summary: 'A message\'s metadata', security: EITHER_SCHEME, params: IdParams, response: { 200: MessageSchema } },
    config: { produces: DATA_TYPES, xml: MESSAGE_XML, auth: 'required', statuses: [403, 404] }
  }, async (request) => await messageOr404(request, request.params.id))

  app.get(`/:id${ID_PATTERN}/content`, {
    schema: { tags: ['messages'], summary: 'A message\'s exact bytes, with the type it was sent with', security: EITHER_SCHEME, params: IdParams },
    config: { auth: 'required', rawResponse: '*/*', statuses: [403, 404] }
  }, async (request, reply) => {
    await messageOr404(request, request.params.id)
    const content = await messages.content(request.params.id)
    if (content === undefined) throw NotFound(request.absoluteUrl(request.url), 'MESSAGE_NOT_FOUND')
    return reply.type(content.contentType).send(content.body)
  })

  app.delete(`/:id${ID_PATTERN}`, {
    schema: { tags: ['messages'], summary: 'Delete a message', security: EITHER_SCHEME, params: IdParams },
    config: { auth: 'required', statuses: [403, 404] }
  }, async (request, reply) => {
    await messageOr404(request, request.params.id)
    await messages.delete(request.params.id)
    return reply.code(204).send()
  })
}
export default messagesRoutes
