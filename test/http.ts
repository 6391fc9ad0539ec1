import { strict as assert } from 'node:assert'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import { assertErrorBody, type TestServer } from './helper.js'

// Raw HTTP: bytes straight onto a socket and the answer parsed by hand

/** A GET as raw bytes, with `extra` header lines (each ending in CRLF). */
export const rawGet = (path: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`

/** Every value of header `name` (lower case) in a list of header lines, in order. */
export const headerValues = (headers: Array<[string, string]>, name: string): string[] =>
  headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v)

/** A Response for what came off the wire; 204, 304 and an empty body carry no body. */
export function toResponse (status: number, headers: Array<[string, string]>, body: Buffer): Response {
  const nullBody = body.length === 0 || status === 204 || status === 304
  return new Response(nullBody ? null : body, { status, headers: new Headers(headers) })
}

/** The payload of a chunked body, up to the last chunk. */
export function dechunk (body: Buffer): Buffer {
  const out: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at)
    if (lineEnd === -1) break
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16)
    if (!(size > 0)) break
    out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  return Buffer.concat(out)
}

export interface RawReply {
  readonly res: Response
  /** Every byte after the header block, as it came off the wire. */
  readonly rest: Buffer
}

/** One HTTP/1.x response as read off a socket: the status line, the headers and the framed body. */
export function parseRawReply (data: Buffer): RawReply {
  const end = data.indexOf('\r\n\r\n')
  assert.notEqual(end, -1, `no complete response in ${JSON.stringify(data.toString('latin1'))}`)
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n')
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)
  assert.ok(match !== null, `not an HTTP status line: ${statusLine}`)
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
  })
  const rest = data.subarray(end + 4)
  let body = rest
  const length = headerValues(headers, 'content-length')[0]
  if (/chunked/i.test(headerValues(headers, 'transfer-encoding')[0] ?? '')) body = dechunk(body)
  else if (length !== undefined) body = body.subarray(0, Number(length))
  return { res: toResponse(Number(match[1]), headers, body), rest }
}

interface Listening {
  /** The parsed answer, once the server closed; rejected when it closed without one. */
  readonly reply: Promise<RawReply>
  /** Whether any byte of the answer came back yet. */
  answered (): boolean
  /** Whether the socket failed (say, writing after the server answered and closed). */
  failed (): boolean
}

/** Reads `socket` until the server closes, giving up after `timeoutMs`. */
function listen (socket: Socket, timeoutMs: number): Listening {
  const chunks: Buffer[] = []
  let failure: Error | undefined
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no complete answer within ${timeoutMs / 1000} s`)))
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  // writing a huge request may fail once the server has answered and closed
  socket.on('error', (err) => { failure = err })
  const reply = new Promise<RawReply>((resolve, reject) => {
    socket.on('close', () => {
      if (chunks.length === 0) {
        reject(failure ?? new Error('the server closed without answering'))
        return
      }
      try {
        resolve(parseRawReply(Buffer.concat(chunks)))
      } catch (err) {
        reject(err)
      }
    })
  })
  return { reply, answered: () => chunks.length > 0, failed: () => failure !== undefined }
}

const connectTo = (server: TestServer): Socket => connect(Number(new URL(server.url).port), '127.0.0.1')

/**
 * Bytes straight onto a socket: fetch and node:http normalise or refuse what
 * a hostile client sends (`..`, `%2e`, backslashes, methods they do not know,
 * broken framing) before the server could see it. The answer is read until
 * the server closes.
 */
export async function rawExchange (server: TestServer, request: string | Buffer): Promise<RawReply> {
  const socket = connectTo(server)
  const { reply } = listen(socket, 5000)
  socket.write(request)
  return await reply
}

/**
 * Sends `method path` with Transfer-Encoding: chunked and no Content-Length,
 * `chunk` again and again until the server answers or `maxBytes` went out,
 * then ends the body. Raw, since node:http reports EPIPE instead of the answer
 * when the server closes first.
 */
export async function sendChunked (server: TestServer, method: string, path: string, headers: Record<string, string>, chunk: Buffer, maxBytes: number): Promise<Response> {
  const socket = connectTo(server)
  const { reply, answered, failed } = listen(socket, 10_000)
  let sent = 0
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
  socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${head}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n`)
  const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
  const pump = () => {
    if (socket.destroyed || failed()) return
    if (answered() || sent >= maxBytes) {
      socket.end('0\r\n\r\n')
      return
    }
    sent += chunk.length
    if (socket.write(frame)) setImmediate(pump)
    else socket.once('drain', pump)
  }
  pump()
  return (await reply).res
}

// Responses

/** The X-Request-Id every answer carries, which must not be empty. */
export function requestIdOf (res: Response): string {
  const id = res.headers.get('x-request-id')
  assert.ok(id !== null && id.length > 0, 'X-Request-Id is missing')
  return id
}

/** The target of `Link: <…>; rel="next"`, or undefined when there is none. */
export function nextLink (res: Response): string | undefined {
  const header = res.headers.get('link')
  if (header === null) return undefined
  const match = /^<([^>]+)>;\s*rel="next"$/.exec(header)
  assert.ok(match !== null, `a Link rel="next", got ${header}`)
  return match[1]
}

/** An ISO 8601 timestamp with a zone: Z or an offset. */
export const ZONED_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/

/** A timestamp string of the form `pattern`, within a minute of now. */
export function assertTimestamp (value: unknown, pattern: RegExp = ZONED_TIMESTAMP): void {
  assert.equal(typeof value, 'string')
  assert.match(value as string, pattern)
  assert.ok(Math.abs(Date.parse(value as string) - Date.now()) < 60_000, `${value as string} is recent`)
}

/** The challenges of a WWW-Authenticate header, which fetch joins with ", ". */
function challenges (res: Response): string[] {
  const header = res.headers.get('www-authenticate') ?? ''
  return header.split(/,\s*(?=(?:Basic|Bearer)\s)/i).map((c) => c.trim()).filter((c) => c !== '')
}

export function bearerChallenge (res: Response): string {
  const found = challenges(res).find((c) => /^Bearer\s/i.test(c))
  assert.ok(found !== undefined, `no Bearer challenge in ${res.headers.get('www-authenticate')}`)
  return found
}

/** The 401 of a request without valid credentials: the tutorial's whole body, and exactly the two challenges. */
export async function assertUnauthenticated (res: Response): Promise<void> {
  const body = await assertErrorBody(res, 401, 'UNAUTHENTICATED')
  assert.deepEqual(body, { status: 401, message: 'Authenticate.', code: 'UNAUTHENTICATED', requestId: res.headers.get('x-request-id') })
  const found = challenges(res)
  assert.equal(found.length, 2, `two challenges expected in ${res.headers.get('www-authenticate')}`)
  assert.ok(found.some((c) => /^Basic realm="[^"]+"/.test(c)), `Basic realm= challenge in ${res.headers.get('www-authenticate')}`)
  assert.ok(found.some((c) => /^Bearer realm="[^"]+"/.test(c)), `Bearer realm= challenge in ${res.headers.get('www-authenticate')}`)
}

/** The 404 of `path` with the error `code` of its resource, naming the absolute URL. */
export async function assertNotFound (res: Response, server: TestServer, path: string, code: string): Promise<void> {
  const body = await assertErrorBody(res, 404, code)
  assert.equal(body.message, `Not Found: ${server.url}${path}`)
}

// Any method through node:http

function headerPairs (raw: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!])
  return pairs
}

function collect (incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('error', reject)
    incoming.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

interface Sent {
  readonly res: Response
  /** Every header line as sent, so repeated headers stay apart. */
  readonly headers: Array<[string, string]>
}

/** Any method, any header, through node:http (fetch refuses TRACE and friends). */
export function send (server: TestServer, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Sent> {
  return new Promise((resolve, reject) => {
    // an explicit length: node:http sends a DELETE or TRACE body unframed otherwise
    const framing = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }
    const req = httpRequest(server.url + path, { method, headers: { ...headers, ...framing }, agent: false }, (incoming) => {
      collect(incoming).then((bytes) => {
        const pairs = headerPairs(incoming.rawHeaders)
        resolve({ res: toResponse(incoming.statusCode ?? 0, pairs, bytes), headers: pairs })
      }, reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}
