import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'

/*
 * What the clients of a reliability test were told was stored, and the check
 * that the server holds exactly that: every write answered 2xx is there with
 * its bytes, and nothing stored is half-written (a message whose parts or
 * bytes do not match its own metadata, a file whose body is not its ETag).
 */

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex')

export const ADMIN_AUTH = 'Basic ' + Buffer.from('admin:secret').toString('base64')

export interface Write {
  readonly method: 'POST' | 'PUT'
  readonly path: string
  readonly contentType: string
  readonly body: Buffer
  /** for a multipart message: the digest of each part's bytes, in order */
  readonly parts?: readonly string[]
  /** what the ledger records once the server answers 2xx */
  readonly kind: 'message' | 'file' | 'article'
}

const BOUNDARY = 'reliability-boundary-7d1c'

/** A varied write: text, JSON, binary and multipart messages, files up to `maxFileBytes`, articles. */
export function someWrite (n: number, maxFileBytes: number, keyPrefix: string): Write {
  switch (n % 6) {
    case 0:
      return { kind: 'message', method: 'POST', path: '/messages', contentType: 'text/plain; charset=utf-8', body: Buffer.from(`message ${n} ✓ ${randomBytes(8).toString('hex')}`) }
    case 1:
      return { kind: 'message', method: 'POST', path: '/messages', contentType: 'application/json', body: Buffer.from(JSON.stringify({ n, text: 'é'.repeat(n % 500) })) }
    case 2:
      return { kind: 'message', method: 'POST', path: '/messages', contentType: 'application/octet-stream', body: randomBytes(1 + (n * 7919) % 65_536) }
    case 3: {
      const note = Buffer.from(`note ${n}`)
      const file = randomBytes(1 + (n * 104_729) % 32_768)
      const body = Buffer.concat([
        Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\n`), note,
        Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f${n}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`), file,
        Buffer.from(`\r\n--${BOUNDARY}--\r\n`)
      ])
      return { kind: 'message', method: 'POST', path: '/messages', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body, parts: [sha256(note), sha256(file)] }
    }
    case 4:
      return { kind: 'file', method: 'PUT', path: `/files/${keyPrefix}/${n}.bin`, contentType: 'application/octet-stream', body: randomBytes(1 + (n * 15_485_863) % maxFileBytes) }
    default:
      return { kind: 'article', method: 'POST', path: '/articles', contentType: 'application/json', body: Buffer.from(JSON.stringify({ title: `Article ${n}`, body: `Body ${n} `.repeat(1 + n % 200) })) }
  }
}

interface ListedMessage { id: number, contentType: string, size: number, sha256: string, parts: Array<{ sha256: string }> }
interface ListedFile { key: string, size: number, etag: string }

type Fetch = (path: string, init?: RequestInit) => Promise<Response>

/** Every item of a paginated list, following `Link: rel="next"` (absolute URLs). */
async function walk<T> (fetchPath: Fetch, first: string): Promise<T[]> {
  const items: T[] = []
  let next: string | undefined = first
  while (next !== undefined) {
    const res = await fetchPath(next, { headers: { authorization: ADMIN_AUTH, accept: 'application/json' } })
    assert.equal(res.status, 200, `listing ${next}: ${res.status}`)
    items.push(...await res.json() as T[])
    const link = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')
    next = link === null ? undefined : new URL(link[1]!).pathname + new URL(link[1]!).search
  }
  return items
}

export class Ledger {
  readonly messages = new Map<number, Write>()
  readonly files = new Map<string, Write>()
  readonly articles = new Map<number, Write>()

  /** Records a write the server answered `status`, with `body` its answer. */
  record (write: Write, status: number, body: string): void {
    if (status < 200 || status > 299) return
    if (write.kind === 'file') {
      this.files.set(decodeURIComponent(write.path.slice('/files/'.length)), write)
    } else {
      const id = (JSON.parse(body) as { id: number }).id
      if (write.kind === 'message') this.messages.set(id, write)
      else this.articles.set(id, write)
    }
  }

  get size (): number {
    return this.messages.size + this.files.size + this.articles.size
  }

  /**
   * Checks the server against the ledger. `exact`: nothing stored beyond what
   * clients were told (a crash may leave a write committed whose answer was
   * never sent, so after a crash only the ledger's entries must be there).
   */
  async verify (fetchPath: Fetch, options: { exact: boolean, keyPrefix: string }): Promise<{ messages: number, files: number, articles: number }> {
    const messages = await walk<ListedMessage>(fetchPath, '/messages?limit=100')
    const byId = new Map(messages.map((m) => [m.id, m]))
    for (const [id, write] of this.messages) {
      const listed = byId.get(id)
      assert.ok(listed !== undefined, `message ${id} was answered 2xx and is gone`)
      assert.equal(listed.sha256, sha256(write.body), `message ${id} came back with other bytes`)
      assert.equal(listed.size, write.body.length)
      assert.equal(listed.contentType.split(';')[0], write.contentType.split(';')[0])
      if (write.parts !== undefined) assert.deepEqual(listed.parts.map((p) => p.sha256), write.parts, `message ${id} lost parts`)
    }
    // nothing half-written: every stored message's bytes are the ones its metadata describes
    for (const message of messages) {
      const content = await fetchPath(`/messages/${message.id}/content`, { headers: { authorization: ADMIN_AUTH } })
      assert.equal(content.status, 200)
      const bytes = Buffer.from(await content.arrayBuffer())
      assert.equal(sha256(bytes), message.sha256, `message ${message.id}: its bytes do not match its digest`)
      if (message.contentType.startsWith('multipart/')) assert.ok(message.parts.length > 0, `message ${message.id}: a multipart message without parts`)
    }

    const files = await walk<ListedFile>(fetchPath, `/files?prefix=${encodeURIComponent(options.keyPrefix + '/')}&limit=100`)
    const byKey = new Map(files.map((f) => [f.key, f]))
    for (const [key, write] of this.files) {
      const listed = byKey.get(key)
      assert.ok(listed !== undefined, `file ${key} was answered 2xx and is gone`)
      assert.equal(listed.etag, `"${sha256(write.body)}"`, `file ${key} came back with other bytes`)
    }
    for (const file of files) {
      const content = await fetchPath(`/files/${file.key}`, { headers: { authorization: ADMIN_AUTH } })
      assert.equal(content.status, 200)
      const bytes = Buffer.from(await content.arrayBuffer())
      assert.equal(`"${sha256(bytes)}"`, file.etag, `file ${file.key}: its bytes do not match its ETag`)
      assert.equal(bytes.length, file.size)
    }

    for (const [id, write] of this.articles) {
      const res = await fetchPath(`/articles/${id}`, { headers: { accept: 'application/json' } })
      assert.equal(res.status, 200, `article ${id} was answered 201 and is gone`)
      const sent = JSON.parse(write.body.toString('utf8')) as { title: string, body: string }
      const article = await res.json() as { title: string, body: string }
      assert.deepEqual({ title: article.title, body: article.body }, sent, `article ${id} came back changed`)
    }

    if (options.exact) {
      assert.deepEqual([...byId.keys()].sort((a, b) => a - b), [...this.messages.keys()].sort((a, b) => a - b), 'messages stored that no client was told of')
      assert.deepEqual([...byKey.keys()].sort(), [...this.files.keys()].sort(), 'files stored that no client was told of')
    }
    return { messages: messages.length, files: files.length, articles: this.articles.size }
  }
}
