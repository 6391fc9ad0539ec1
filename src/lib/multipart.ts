import { Readable } from 'node:stream'
import { Busboy, type BusboyInstance } from '@fastify/busboy'
import { BadRequest, PayloadTooLarge, TooManyParts } from '../errors.js'
import { mediaTypeParameter } from './media-type.js'

export interface ParsedPart {
  readonly name: string
  /** null for a plain field */
  readonly filename: string | null
  readonly contentType: string | null
  readonly body: Buffer
}

const malformed = (why: string) => BadRequest(`Malformed multipart body: ${why}`, 'INVALID_MULTIPART')

/** Parts in a multipart body: its delimiter lines (RFC 2046), less the closing one. */
function countParts (body: Buffer, boundary: string): number {
  const delimiter = Buffer.from(`--${boundary}`)
  let lines = 0
  for (let at = body.indexOf(delimiter); at !== -1; at = body.indexOf(delimiter, at + delimiter.length)) {
    if (at === 0 || (body[at - 2] === 0x0d && body[at - 1] === 0x0a)) lines++
  }
  return Math.max(lines - 1, 0)
}

export interface MultipartLimits {
  readonly parts: number
  readonly partSize: number
}

/**
 * Splits an already buffered multipart/form-data body into its fields and
 * files. The body is kept whole by the caller, so its exact bytes can be served
 * back; this only reads it.
 */
export function parseMultipart (body: Buffer, contentType: string, limits: MultipartLimits): Promise<ParsedPart[]> {
  return new Promise((resolve, reject) => {
    const boundary = mediaTypeParameter(contentType, 'boundary') ?? ''
    if (boundary === '') {
      reject(malformed('the Content-Type has no boundary'))
      return
    }
    let parser: BusboyInstance
    try {
      parser = new Busboy({
        headers: { 'content-type': contentType },
        limits: { parts: limits.parts, fields: limits.parts, files: limits.parts, fieldSize: limits.partSize, fileSize: limits.partSize }
      })
    } catch (err) {
      reject(malformed((err as Error).message))
      return
    }
    const parts: ParsedPart[] = []
    let failed = false
    const fail = (err: Error) => {
      if (failed) return
      failed = true
      reject(err)
    }
    parser.on('field', (name, value, _nameTruncated, valueTruncated, _encoding, mimeType) => {
      if (valueTruncated) return fail(PayloadTooLarge(limits.partSize))
      parts.push({ name, filename: null, contentType: mimeType === 'text/plain' ? null : mimeType, body: Buffer.from(value, 'utf8') })
    })
    parser.on('file', (name, stream, filename, _encoding, mimeType) => {
      const chunks: Buffer[] = []
      const index = parts.length
      parts.push({ name, filename, contentType: mimeType, body: Buffer.alloc(0) })
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('limit', () => fail(PayloadTooLarge(limits.partSize)))
      // a body cut inside a file part fails the part's stream; unheard, it would crash the process
      stream.on('error', (err: Error) => fail(malformed(err.message)))
      stream.on('end', () => { parts[index] = { name, filename, contentType: mimeType, body: Buffer.concat(chunks) } })
    })
    for (const event of ['partsLimit', 'filesLimit', 'fieldsLimit'] as const) {
      parser.on(event, () => fail(TooManyParts(limits.parts)))
    }
    parser.on('error', (err: Error) => fail(malformed(err.message)))
    parser.on('finish', () => {
      // busboy skips a part without a Content-Disposition name; silently losing it is worse than a 400
      if (parts.length !== countParts(body, boundary)) fail(malformed('every part needs a Content-Disposition with a name'))
      if (!failed) resolve(parts)
    })
    Readable.from([body]).pipe(parser)
  })
}
