import { strict as assert } from 'node:assert'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { describe, it, type TestContext } from 'node:test'
import Ajv2020Module from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import fc from 'fast-check'
import { adminAuth, basicAuth, bearerFor, createUser, startTestServer, type TestServer } from '../helper.js'

/*
 * Property-based fuzzing of every operation in /openapi.json: valid and
 * invalid requests (wrong types, missing and extra fields, boundary lengths,
 * random bytes, random media types, random methods, hostile paths), with and
 * without credentials. For every response: never a 5xx (503 only with
 * Retry-After), a status the document declares for the operation, a body
 * that matches its declared schema and Content-Type, and every error is the
 * API's JSON error whose requestId is the X-Request-Id header.
 *
 * Seeded and reproducible: FUZZ_SEED (default below) and FUZZ_RUNS (runs per
 * property) override. A failure prints the seed, the request and the response.
 */

const SEED = Number.parseInt(process.env.FUZZ_SEED ?? '', 10) || 20240611
const RUNS = Number.parseInt(process.env.FUZZ_RUNS ?? '', 10) || 100
/** FUZZ_COLLECT=1: print every distinct problem instead of stopping at the first (to survey, not to gate) */
const COLLECT = process.env.FUZZ_COLLECT === '1'
const collected = new Set<string>()
const statuses = new Map<string, number>()

// ajv and ajv-formats are CommonJS: under NodeNext the default import is module.exports
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as typeof Ajv2020Module.default
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as typeof addFormatsModule.default

type Schema = Record<string, unknown>
interface MediaEntry { schema?: Schema }
interface Parameter { name: string, in: string, required?: boolean, schema?: Schema }
interface Operation {
  parameters?: Parameter[]
  requestBody?: { required?: boolean, content: Record<string, MediaEntry> }
  responses: Record<string, { content?: Record<string, MediaEntry> }>
  security?: Array<Record<string, unknown>>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, Schema> }
}

interface FuzzRequest {
  method: string
  /** the raw request target, sent as is (no normalisation of dot segments) */
  path: string
  headers: Record<string, string>
  body: Buffer | undefined
  /** what the generator meant to send, for the report */
  kind: string
}
interface FuzzResponse { status: number, headers: IncomingHttpHeaders, body: Buffer }

/** The body as JSON; undefined when it is not JSON. */
function parseJson (body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace']
/** methods a client may send (CONNECT aside: it is a tunnel, not a request) */
const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'SEARCH', 'PURGE', 'REPORT', 'QUERY', 'LINK']
const JSONISH = /^application\/(?:[\w.+-]+\+)?json$/

const essence = (type: string | undefined): string => (type ?? '').split(';', 1)[0]!.trim().toLowerCase()
const header = (res: FuzzResponse, name: string): string | undefined => {
  const value = res.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

function prefix (bytes: Buffer | undefined, size = 300): string {
  if (bytes === undefined) return '(none)'
  const text = bytes.subarray(0, size).toString('utf8')
  return JSON.stringify(text) + (bytes.length > size ? ` … (${bytes.length} bytes)` : ` (${bytes.length} bytes)`)
}

function describeRequest (req: FuzzRequest): string {
  return `${req.method} ${req.path} [${req.kind}]\n  headers: ${JSON.stringify(req.headers)}\n  body: ${prefix(req.body)}`
}

function describeResponse (res: FuzzResponse): string {
  const shown = ['content-type', 'x-request-id', 'allow', 'retry-after', 'www-authenticate', 'location', 'content-length']
  const headers = Object.fromEntries(shown.filter((h) => res.headers[h] !== undefined).map((h) => [h, res.headers[h]]))
  return `${res.status}\n  headers: ${JSON.stringify(headers)}\n  body: ${prefix(res.body)}`
}

/** A request whose counterexample prints as the request itself. */
function fuzzRequest (req: FuzzRequest): FuzzRequest {
  return Object.assign(req, { [fc.toStringMethod]: () => describeRequest(req) })
}

/** One request over a fresh connection, the target sent byte for byte. */
function send (base: string, req: FuzzRequest): Promise<FuzzResponse> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    let settled = false
    const headers: Record<string, string> = { ...req.headers }
    if (req.body !== undefined) headers['content-length'] = String(req.body.length)
    const client = httpRequest({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => { settled = true; resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }) })
      res.on('error', (err) => { if (!settled) { settled = true; reject(err) } })
    })
    client.setTimeout(15_000, () => client.destroy(new Error('no response within 15 s')))
    client.on('error', (err) => {
      // the server may answer (413, 415) and close before the whole body is written: the response still counts
      if (!settled && !['EPIPE', 'ECONNRESET'].includes((err as NodeJS.ErrnoException).code ?? '')) { settled = true; reject(err) }
      if (!settled) setTimeout(() => { if (!settled) { settled = true; reject(err) } }, 1000)
    })
    client.end(req.body)
  })
}

// --- value generators ----------------------------------------------------

const asciiPrintable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 })
const unicodeText = fc.string({ unit: 'grapheme', maxLength: 30 })
const token = fc.stringMatching(/^[a-z][a-z0-9.+-]{0,15}$/)
const randomMediaType = fc.tuple(fc.constantFrom('application', 'text', 'image', 'audio', 'video', 'multipart', 'x-foo', '*'), token,
  fc.option(fc.constantFrom('; charset=utf-8', '; charset=latin1', '; q=0.5', ';boundary=x', '; version=1', ';;;', '; a="b;c"'), { nil: '' }))
  .map(([type, sub, params]) => `${type}/${sub}${params}`)
const hugeNumbers = ['-1', '9007199254740991', '9007199254740993', '999999999999999', '1000000000000000', '99999999999999999999999',
  '1e3', '0x1f', '1.5', '01', '+1', '-0', 'NaN', 'Infinity', 'null', 'true', '[]', '%20', '%00', '%E2%82%AC', '%zz', '%', '%C3%A9', '\u00e9', '']

function stringArb (schema: Schema): fc.Arbitrary<string> {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : 60
  const fits = (s: string) => s.length >= min && s.length <= max && (typeof schema.pattern !== 'string' || new RegExp(schema.pattern, 'u').test(s))
  const base = typeof schema.pattern === 'string'
    ? fc.stringMatching(new RegExp(schema.pattern, 'u')).filter(fits)
    : fc.oneof(fc.string({ minLength: min, maxLength: Math.min(max, min + 40) }), fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, min + 20) }).filter(fits))
  const boundary = [min, max].map((n) => 'x'.repeat(n)).filter(fits)
  return boundary.length === 0 ? base : fc.oneof({ weight: 5, arbitrary: base }, { weight: 1, arbitrary: fc.constantFrom(...boundary) })
}

/** Values valid for a (small) JSON schema, as used by the API's bodies and parameters. */
function valueArb (schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (schema === undefined || depth > 4) return fc.jsonValue({ maxDepth: 2 })
  if (Array.isArray(schema.anyOf)) return fc.oneof(...(schema.anyOf as Schema[]).map((s) => valueArb(s, depth + 1)))
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]))
  if ('const' in schema) return fc.constant(schema.const)
  switch (schema.type) {
    case 'null': return fc.constant(null)
    case 'boolean': return fc.boolean()
    case 'integer': return fc.integer({ min: (schema.minimum as number | undefined) ?? -1_000_000, max: (schema.maximum as number | undefined) ?? 1_000_000 })
    case 'number': return fc.double({ noNaN: true, noDefaultInfinity: true })
    case 'string': return stringArb(schema)
    case 'array': return fc.array(valueArb(schema.items as Schema | undefined, depth + 1), { maxLength: 4 })
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>
      if (Object.keys(properties).length === 0) return fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 })
      const model = Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, valueArb(s, depth + 1)]))
      return fc.record(model, { requiredKeys: (schema.required ?? []) as string[] })
    }
    default: return fc.jsonValue({ maxDepth: 2 })
  }
}

/** A value of the wrong type for `schema`. */
function wrongTypeArb (schema: Schema | undefined): fc.Arbitrary<unknown> {
  const type = schema?.type
  const candidates: Array<fc.Arbitrary<unknown>> = []
  if (type !== 'string' && !Array.isArray(schema?.anyOf)) candidates.push(fc.string({ maxLength: 10 }))
  if (type !== 'integer' && type !== 'number') candidates.push(fc.oneof(fc.integer(), fc.double()))
  if (type !== 'boolean') candidates.push(fc.boolean())
  if (type !== 'object') candidates.push(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }))
  if (type !== 'array') candidates.push(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }))
  if (type !== 'null' && !JSON.stringify(schema?.anyOf ?? []).includes('null')) candidates.push(fc.constant(null))
  return fc.oneof(...candidates)
}

/** A valid object for an object schema, then broken: a field missing, added, mistyped, or just past a bound. */
function mutatedObjectArb (schema: Schema): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>
  const keys = Object.keys(properties)
  const required = (schema.required ?? []) as string[]
  const valid = valueArb(schema) as fc.Arbitrary<Record<string, unknown>>
  const mutations: Array<fc.Arbitrary<unknown>> = [
    // an extra field
    fc.tuple(valid, fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !keys.includes(k)), fc.jsonValue({ maxDepth: 1 }))
      .map(([object, key, value]) => ({ ...object, [key]: value }))
  ]
  if (required.length > 0) {
    mutations.push(fc.tuple(valid, fc.constantFrom(...required)).map(([object, key]) => {
      const copy = { ...object }
      delete copy[key]
      return copy
    }))
  }
  if (keys.length > 0) {
    mutations.push(fc.constantFrom(...keys).chain((key) => fc.tuple(valid, wrongTypeArb(properties[key]))
      .map(([object, value]) => ({ ...object, [key]: value }))))
    const bounded = keys.filter((k) => typeof properties[k]?.maxLength === 'number' || typeof properties[k]?.minLength === 'number')
    if (bounded.length > 0) {
      mutations.push(fc.constantFrom(...bounded).chain((key) => {
        const s = properties[key]!
        const lengths = [(s.maxLength as number | undefined) ?? -1, ((s.maxLength as number | undefined) ?? -2) + 1, ((s.minLength as number | undefined) ?? 0) - 1]
          .filter((n) => n >= 0)
        return fc.tuple(valid, fc.constantFrom(...lengths), fc.constantFrom('x', ' ', 'é', '😀', '\u0000'))
          .map(([object, n, char]) => ({ ...object, [key]: char.repeat(n) }))
      }))
    }
  }
  return fc.oneof(...mutations)
}

// --- requests ------------------------------------------------------------

interface Credentials { adminBasic: string, userBasic: string, userBearer: string, adminBearer: string }

function authorizationArb (creds: Credentials): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: fc.constantFrom(creds.adminBasic, creds.userBasic, creds.userBearer, creds.adminBearer) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.constantFrom('Basic', 'Bearer', 'Basic ', 'Bearer  ', 'Negotiate abc', basicAuth('admin', 'wrong'), basicAuth('john', ''),
          basicAuth('nobody', 'x'), 'Basic Og==', 'Basic =====', 'Bearer a.b.c', 'Basic ' + Buffer.from('no colon').toString('base64')),
        fc.tuple(fc.constantFrom('Basic ', 'Bearer ', 'basic ', 'BEARER ', ''), asciiPrintable).map(([s, v]) => s + v),
        fc.uint8Array({ maxLength: 40 }).map((b) => 'Basic ' + Buffer.from(b).toString('base64'))
      )
    }
  )
}

function acceptArb (declared: string[]): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom('*/*', 'application/json', 'text/plain', 'application/xml', 'text/xml', 'text/csv', 'application/problem+json', ...declared) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.constantFrom('application/json;q=0, */*;q=0.1', 'text/html', 'application/*', 'text/*;q=0.5, application/json', '', ',,,', '*/*;q=0',
          'application/xml, application/json;q=0.1', 'application/problem+json, application/json;q=0.5', 'image/png;q=abc', 'text'),
        randomMediaType,
        fc.array(randomMediaType, { minLength: 2, maxLength: 4 }).map((types) => types.join(', ')),
        asciiPrintable
      )
    }
  )
}

const conditionalArb: fc.Arbitrary<Record<string, string>> = fc.record({
  'if-none-match': fc.constantFrom('*', '"abc"', 'W/"abc"', '"', 'garbage', '"a", "b"'),
  'if-match': fc.constantFrom('*', '"abc"', 'W/"abc"', '"', 'garbage'),
  range: fc.constantFrom('bytes=0-0', 'bytes=0-', 'bytes=-5', 'bytes=5-1', 'bytes=999999-', 'bytes=0-1,3-4', 'items=0-1', 'bytes=x-y', 'bytes=-0'),
  'if-modified-since': fc.constantFrom('Thu, 01 Jan 1970 00:00:00 GMT', 'garbage')
}, { requiredKeys: [] })

const requestIdArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/) },
  { weight: 1, arbitrary: fc.oneof(asciiPrintable, fc.constant('x'.repeat(500)), fc.constant('a b <c> "d"')) }
)

function pathParamArb (name: string, schema: Schema | undefined, knownKeys: string[]): fc.Arbitrary<string> {
  if (name === 'key') {
    const segment = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }))
      .filter((s) => s !== '.' && s !== '..').map(encodeURIComponent)
    return fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...knownKeys) },
      { weight: 4, arbitrary: fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('/')) },
      {
        weight: 3,
        arbitrary: fc.constantFrom('..', '../x', 'a/../b', '.', 'a/./b', '%2e%2e', '%2E%2E/x', 'a/%2e/b', 'a%2Fb', '%2F', '%2f..%2f', 'a//b', 'a/', '',
          '%00', 'a%00b', '%', '%zz', 'x'.repeat(2000), 'y/'.repeat(300) + 'z', '\u00e9', '%C0%AE%C0%AE', '%252e%252e', '\\..\\x', '~', '%u002e', '..%5c..',
          '%FF', '%ED%A0%80', 'a%20b', '%3F', '%23')
      }
    )
  }
  if (schema?.type === 'integer') {
    return fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 1, max: 6 }).map(String) },
      { weight: 2, arbitrary: fc.nat({ max: 40 }).map(String) },
      { weight: 2, arbitrary: fc.constantFrom(...hugeNumbers) },
      { weight: 1, arbitrary: unicodeText.map(encodeURIComponent) }
    )
  }
  return fc.oneof(valueArb(schema).map((v) => encodeURIComponent(String(v))), unicodeText.map(encodeURIComponent))
}

function queryValueArb (schema: Schema | undefined): fc.Arbitrary<string> {
  const valid = valueArb(schema).map((v) => Array.isArray(v) ? String(v[0] ?? '') : String(v))
  const boundary: string[] = []
  if (schema !== undefined) {
    for (const bound of ['minimum', 'maximum']) {
      const n = schema[bound]
      if (typeof n === 'number') boundary.push(String(n), String(n - 1), String(n + 1))
    }
    for (const bound of ['minLength', 'maxLength']) {
      const n = schema[bound]
      if (typeof n === 'number') boundary.push('q'.repeat(n), 'q'.repeat(n + 1), ...(n > 0 ? ['q'.repeat(n - 1)] : []))
    }
  }
  return fc.oneof(
    { weight: 8, arbitrary: valid },
    { weight: 2, arbitrary: boundary.length > 0 ? fc.constantFrom(...boundary) : valid },
    { weight: 2, arbitrary: fc.oneof(fc.constantFrom(...hugeNumbers), unicodeText, fc.base64String({ maxLength: 60 })) }
  )
}

function queryArb (parameters: Parameter[]): fc.Arbitrary<string> {
  const query = parameters.filter((p) => p.in === 'query')
  const pairs = query.map((p) => fc.option(fc.array(queryValueArb(p.schema), { minLength: 1, maxLength: 2 }).map((values) => values.map((v) => [p.name, v])), { freq: 2, nil: [] }))
  const extra = fc.option(fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 2 }), { freq: 3, nil: [] })
  const raw = fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('&', '&%zz=1', '&a=%', '&=&&', '&__proto__=1', '&limit', '&q=%00') })
  return fc.tuple(fc.tuple(...pairs), extra, raw)
    .map(([groups, extras, raw]) => {
      const all = [...groups.flat(), ...extras] as Array<[string, string]>
      const text = all.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&') + raw
      return text === '' ? '' : '?' + text
    })
}

interface Body { headers: Record<string, string>, body: Buffer | undefined, kind: string }

const json = (value: unknown, type = 'application/json'): Body =>
  ({ headers: { 'content-type': type }, body: Buffer.from(JSON.stringify(value) ?? 'null'), kind: `json ${type}` })

function multipartArb (): fc.Arbitrary<Body> {
  const part = fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.option(fc.stringMatching(/^[a-z]{1,8}\.[a-z]{1,3}$/), { nil: undefined }), fc.uint8Array({ maxLength: 64 }))
  return fc.tuple(fc.array(part, { maxLength: 12 }), fc.boolean()).map(([parts, truncated]) => {
    const boundary = 'fuzzboundary'
    const chunks: Buffer[] = []
    for (const [name, filename, bytes] of parts) {
      const disposition = `form-data; name="${name}"` + (filename === undefined ? '' : `; filename="${filename}"`)
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n` +
        (filename === undefined ? '' : 'Content-Type: application/octet-stream\r\n') + '\r\n'), Buffer.from(bytes), Buffer.from('\r\n'))
    }
    if (!truncated) chunks.push(Buffer.from(`--${boundary}--\r\n`))
    return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: Buffer.concat(chunks), kind: `multipart (${parts.length} parts${truncated ? ', truncated' : ''})` }
  })
}

function bodyArb (operation: Operation, jsonLimit: number): fc.Arbitrary<Body> {
  const none: Body = { headers: {}, body: undefined, kind: 'no body' }
  const randomBytes = fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.option(randomMediaType, { nil: undefined }))
    .map(([bytes, type]): Body => ({ headers: type === undefined ? {} : { 'content-type': type }, body: Buffer.from(bytes), kind: 'random bytes' }))
  const content = operation.requestBody?.content
  if (content === undefined) {
    return fc.oneof({ weight: 6, arbitrary: fc.constant(none) }, { weight: 1, arbitrary: randomBytes },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => json(v)) })
  }
  const variants: Array<fc.WeightedArbitrary<Body>> = [
    { weight: 1, arbitrary: fc.constant(none) },
    { weight: 2, arbitrary: randomBytes },
    { weight: 1, arbitrary: fc.constant({ headers: { 'content-type': 'application/json' }, body: Buffer.alloc(jsonLimit + 1, 0x20), kind: 'oversized JSON' }) }
  ]
  for (const [type, entry] of Object.entries(content)) {
    const schema = entry.schema
    const typeArb = fc.constantFrom(type, `${type}; charset=utf-8`, type.toUpperCase())
    if (JSONISH.test(type)) {
      variants.push({ weight: 6, arbitrary: fc.tuple(valueArb(schema), typeArb).map(([v, t]) => json(v, t)) })
      if (schema?.type === 'object') variants.push({ weight: 6, arbitrary: fc.tuple(mutatedObjectArb(schema), typeArb).map(([v, t]) => json(v, t)) })
      variants.push({ weight: 2, arbitrary: fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(type, 'application/vnd.fuzz+json')).map(([v, t]) => json(v, t)) })
      variants.push({
        weight: 2,
        arbitrary: fc.tuple(valueArb(schema), fc.nat(), fc.constantFrom('{"__proto__": {"admin": true}, "title": "a", "body": "b"}',
          '{"constructor": {"prototype": {"admin": true}}}', '', '{', '[', '{"a":}', 'nul', '"unterminated', '{"a":1}{"b":2}', '\ufeff{}', '1e999999'))
          .map(([v, cut, raw]): Body => {
            const text = JSON.stringify(v) ?? ''
            const body = raw !== '' || text.length < 2 ? raw : text.slice(0, cut % (text.length - 1) + 1)
            return { headers: { 'content-type': type }, body: Buffer.from(body), kind: 'malformed JSON' }
          })
      })
    } else if (type === 'multipart/form-data') {
      variants.push({ weight: 3, arbitrary: multipartArb() })
      variants.push({ weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }).map((b) => ({ headers: { 'content-type': 'multipart/form-data' }, body: Buffer.from(b), kind: 'multipart without boundary' })) })
    } else if (type === '*/*') {
      variants.push({
        weight: 6,
        arbitrary: fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.oneof(randomMediaType, fc.constantFrom('application/octet-stream', 'image/png', 'text/plain; charset=utf-8', 'application/json')))
          .map(([bytes, t]) => ({ headers: { 'content-type': t }, body: Buffer.from(bytes), kind: 'file bytes' }))
      })
    } else {
      variants.push({
        weight: 4,
        arbitrary: fc.tuple(fc.oneof(unicodeText.map((s) => Buffer.from(s)), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b))), typeArb)
          .map(([bytes, t]) => ({ headers: { 'content-type': t }, body: bytes, kind: `bytes as ${t}` }))
      })
    }
  }
  return fc.oneof(...variants)
}

function requestArb (pathTemplate: string, method: fc.Arbitrary<string>, operation: Operation, creds: Credentials, knownKeys: string[], jsonLimit: number): fc.Arbitrary<FuzzRequest> {
  const names = [...pathTemplate.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
  const parameters = operation.parameters ?? []
  const params = fc.tuple(...names.map((name) => pathParamArb(name, parameters.find((p) => p.in === 'path' && p.name === name)?.schema, knownKeys)))
  const successTypes = Object.entries(operation.responses).filter(([s]) => s.startsWith('2')).flatMap(([, r]) => Object.keys(r.content ?? {}))
  return fc.record({
    method,
    params,
    query: queryArb(parameters),
    accept: acceptArb(successTypes),
    authorization: authorizationArb(creds),
    conditional: fc.option(conditionalArb, { freq: 4, nil: {} }),
    requestId: requestIdArb,
    body: bodyArb(operation, jsonLimit)
  }).map(({ method, params, query, accept, authorization, conditional, requestId, body }) => {
    let i = 0
    const path = pathTemplate.replace(/\{\w+\}/g, () => params[i++]!) + query
    const headers: Record<string, string> = { ...conditional, ...body.headers }
    if (accept !== undefined) headers.accept = accept
    if (authorization !== undefined) headers.authorization = authorization
    if (requestId !== undefined) headers['x-request-id'] = requestId
    return fuzzRequest({ method, path, headers, body: body.body, kind: body.kind })
  })
}

// --- checks --------------------------------------------------------------

class Checker {
  private readonly ajv
  private readonly validators = new Map<string, (data: unknown) => boolean>()

  constructor (readonly document: Document) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
    addFormats(this.ajv)
    this.ajv.addSchema({ $id: 'https://fuzz.local/openapi.json', components: document.components })
  }

  /** Errors for `data` against `schema`, refs resolved against components.schemas; [] when valid. */
  validate (key: string, schema: Schema, data: unknown): string[] {
    let validate = this.validators.get(key)
    if (validate === undefined) {
      const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"https://fuzz.local/openapi.json#/components/')) as Schema
      validate = this.ajv.compile(rewritten)
      this.validators.set(key, validate)
    }
    if (validate(data)) return []
    return ((validate as unknown as { errors?: Array<{ instancePath: string, message?: string }> }).errors ?? [])
      .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
  }

  /** Problems with one response to one request; [] when it keeps the contract. */
  problems (req: FuzzRequest, res: FuzzResponse, allowed: Set<number>, operation: Operation | undefined, opKey: string): string[] {
    const out: string[] = []
    const status = res.status
    const requestId = header(res, 'x-request-id')
    if (status >= 500 && !(status === 503 && header(res, 'retry-after') !== undefined)) out.push(`a ${status}: the server failed`)
    if (!allowed.has(status)) out.push(`status ${status} is not declared for ${opKey} (declared: ${[...allowed].sort().join(', ')})`)
    if (requestId === undefined) out.push('no X-Request-Id header')
    const type = essence(header(res, 'content-type'))
    const hasBody = req.method !== 'HEAD'

    if (status === 405 && header(res, 'allow') === undefined) out.push('a 405 without Allow')
    if ((status === 429 || status === 503) && header(res, 'retry-after') === undefined) out.push(`a ${status} without Retry-After`)
    if (status === 401 && header(res, 'www-authenticate') === undefined) out.push('a 401 without WWW-Authenticate')

    if (status >= 400 && req.path.startsWith('/api/') && type === 'application/json' && hasBody) {
      // the RealWorld API's own errors: {"errors": {"<field>": ["<message>"]}}, whatever Accept says
      // (what fails before any route, a URL that does not parse, keeps the house's shape below)
      const body = parseJson(res.body)
      if (body !== undefined && typeof body === 'object' && body !== null && 'errors' in body) {
        const errors = (body as { errors: unknown }).errors
        const wellFormed = typeof errors === 'object' && errors !== null && !Array.isArray(errors) && Object.keys(errors).length > 0 &&
          Object.values(errors).every((messages) => Array.isArray(messages) && messages.length > 0 && messages.every((m) => typeof m === 'string'))
        if (!wellFormed) out.push(`a RealWorld error body that is not {"errors": {field: [messages]}}: ${res.body.toString('utf8').slice(0, 200)}`)
        return out
      }
    }
    if (status >= 400) {
      const accept = (req.headers.accept ?? '').toLowerCase()
      // JSON, unless the client asked for XML (either type) or problem+json, or refused JSON (then any of them may be its preference)
      const types = new Set(['application/json'])
      const refusesJson = /(?:^|,)\s*application\/json\s*;\s*q\s*=\s*0(?:\.0*)?\s*(?:,|$)/.test(accept)
      if (accept.includes('application/xml') || refusesJson) types.add('application/xml')
      if (accept.includes('text/xml') || refusesJson) types.add('text/xml')
      if (accept.includes('application/problem+json') || refusesJson) types.add('application/problem+json')
      if (!types.has(type)) out.push(`an error with Content-Type ${JSON.stringify(header(res, 'content-type'))}, expected one of ${[...types].join(', ')}`)
      if (!hasBody) return out
      if (type === 'application/xml' || type === 'text/xml') {
        const text = res.body.toString('utf8')
        if (!text.includes(`<status>${status}</status>`)) out.push('an XML error without its <status>')
        return out
      }
      let body: unknown
      try {
        body = JSON.parse(res.body.toString('utf8'))
      } catch {
        out.push('an error whose body is not JSON')
        return out
      }
      out.push(...this.validate('#Error', { $ref: '#/components/schemas/Error' }, body).map((e) => `error body ${e}`))
      const error = body as Record<string, unknown>
      if (error.status !== status) out.push(`error body status ${JSON.stringify(error.status)} is not ${status}`)
      if (error.requestId !== requestId) out.push(`error body requestId ${JSON.stringify(error.requestId)} is not the X-Request-Id ${JSON.stringify(requestId)}`)
      return out
    }

    // a success or 3xx: its declared representation
    const declared = operation?.responses[String(status)]
    if (declared === undefined) return out
    const content = declared.content
    if (content === undefined || Object.keys(content).length === 0) {
      if ((status === 204 || status === 304) && res.body.length > 0) out.push(`a ${status} with a body`)
      return out
    }
    if (!hasBody) return out
    const entries = Object.entries(content)
    const match = entries.find(([t]) => essence(t) === type) ?? entries.find(([t]) => t === '*/*')
    if (match === undefined) {
      out.push(`Content-Type ${JSON.stringify(header(res, 'content-type'))} is not declared for ${status} (declared: ${entries.map(([t]) => t).join(', ')})`)
      return out
    }
    const [mediaType, entry] = match
    if (JSONISH.test(essence(mediaType)) && entry.schema !== undefined) {
      let body: unknown
      try {
        body = JSON.parse(res.body.toString('utf8'))
      } catch {
        out.push(`a ${type} body that does not parse`)
        return out
      }
      out.push(...this.validate(`${opKey} ${status} ${mediaType}`, entry.schema, body).map((e) => `body does not match the schema of ${status} ${mediaType}: ${e}`))
    }
    return out
  }
}

/** The statuses a request may get: the declared ones, plus what the brief tolerates everywhere. */
function allowedStatuses (operation: Operation, req: FuzzRequest): Set<number> {
  const allowed = new Set(Object.keys(operation.responses).map(Number))
  allowed.add(429)
  // a random Accept may name nothing the route has
  if (req.headers.accept !== undefined) allowed.add(406)
  return allowed
}

async function runProperty (server: TestServer, checker: Checker, arb: fc.Arbitrary<FuzzRequest>,
  expect: (req: FuzzRequest) => { allowed: Set<number>, operation: Operation | undefined, opKey: string }): Promise<void> {
  try {
    await fc.assert(fc.asyncProperty(arb, async (req) => {
      const res = await send(server.url, req)
      const { allowed, operation, opKey } = expect(req)
      const problems = checker.problems(req, res, allowed, operation, opKey)
      if (COLLECT) statuses.set(`${opKey} ${res.status}`, (statuses.get(`${opKey} ${res.status}`) ?? 0) + 1)
      if (problems.length > 0) {
        if (COLLECT) {
          const signature = `${opKey}: ${problems.map((p) => p.replace(/\d{4,}|"[^"]*"|\(declared: [^)]*\)/g, '…')).join('; ')}`
          if (!collected.has(signature)) {
            collected.add(signature)
            console.log(`FINDING ${signature}\nrequest: ${describeRequest(req)}\nresponse: ${describeResponse(res)}\n`)
          }
          return
        }
        throw new Error(`\n${problems.map((p) => '  - ' + p).join('\n')}\nrequest: ${describeRequest(req)}\nresponse: ${describeResponse(res)}`)
      }
    }), { seed: SEED, numRuns: RUNS })
    if (COLLECT) console.log(`STATUSES ${JSON.stringify(Object.fromEntries(statuses))}`)
    statuses.clear()
  } catch (err) {
    // fast-check's report carries the seed, the path and the shrunk request; say how to replay it
    const cause = (err as Error).cause
    const detail = cause instanceof Error ? `\nGot error: ${cause.message}` : ''
    throw new Error(`fuzzing failed (replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})\n${(err as Error).message}${detail}`, { cause: err })
  }
}

// --- the suite -----------------------------------------------------------

interface Fixture { server: TestServer, document: Document, checker: Checker, knownKeys: string[] }

async function setUp (t: TestContext): Promise<Fixture> {
  // failed logins are slowed after 10 by default: the fuzzer sends many, and must still reach the handlers
  const server = await startTestServer(t, { authFailureLimit: 1_000_000 })
  const res = await server.fetch('/openapi.json')
  assert.equal(res.status, 200)
  const document = await res.json() as Document
  const owner = await createUser(server, 'fuzzowner')
  const knownKeys = ['fuzz/a.txt', 'pic.png', 'deep/er/file.json']
  for (const key of knownKeys) {
    const put = await server.fetch(`/files/${key}`, { method: 'PUT', headers: { authorization: owner.auth, 'content-type': 'text/plain' }, body: `content of ${key}` })
    assert.ok(put.status === 201 || put.status === 200, `PUT /files/${key}: ${put.status}`)
  }
  for (const auth of [owner.auth, undefined]) {
    const post = await server.fetch('/messages', { method: 'POST', headers: { 'content-type': 'text/plain', ...(auth === undefined ? {} : { authorization: auth }) }, body: 'hello' })
    assert.equal(post.status, 201)
  }
  const article = await server.fetch('/articles', { method: 'POST', headers: { authorization: owner.auth, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Fuzz', body: 'owned' }) })
  assert.equal(article.status, 201)
  return { server, document, checker: new Checker(document), knownKeys }
}

/** Credentials of their own for one property: another property may have revoked, deleted or re-passworded the last ones. */
async function credentials (server: TestServer, name: string): Promise<Credentials> {
  const user = await createUser(server, name)
  return { adminBasic: adminAuth(), userBasic: user.auth, userBearer: await bearerFor(server, user.auth), adminBearer: await bearerFor(server, adminAuth()) }
}

function operationsOf (document: Document): Array<{ path: string, method: string, operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).filter(([method]) => METHODS.includes(method)).map(([method, operation]) => ({ path, method, operation })))
}

describe('fuzzing every operation of /openapi.json', () => {
  it('answers every generated request within the contract', async (t) => {
    const { server, document, checker, knownKeys } = await setUp(t)
    const operations = operationsOf(document)
    assert.ok(operations.length >= 25, `only ${operations.length} operations`)
    let n = 0
    for (const { path, method, operation } of operations) {
      const opKey = `${method.toUpperCase()} ${path}`
      await t.test(opKey, async () => {
        const creds = await credentials(server, `fuzz${n++}`)
        const arb = requestArb(path, fc.constant(method.toUpperCase()), operation, creds, knownKeys, server.config.jsonLimit)
        await runProperty(server, checker, arb, (req) => ({ allowed: allowedStatuses(operation, req), operation, opKey }))
      })
    }
  })

  for (const [name, methodArb] of [
    ['known methods', fc.oneof(fc.constantFrom(...KNOWN_METHODS), fc.constantFrom('get', 'Post'))],
    ['arbitrary method tokens', fc.stringMatching(/^[A-Z]{1,10}$/).filter((m) => !KNOWN_METHODS.includes(m))]
  ] as const) {
    it(`answers ${name} on documented paths with a declared status, or 400, 404 or 405`, async (t) => {
      const { server, document, checker, knownKeys } = await setUp(t)
      const creds = await credentials(server, 'fuzzmethods')
      const arb = fc.constantFrom(...Object.keys(document.paths)).chain((path) => {
        // the parameters and body of one of the path's operations, sent with any method
        const template = Object.values(document.paths[path]!)[0]!
        return requestArb(path, methodArb, template, creds, knownKeys, server.config.jsonLimit).map((req) => Object.assign(req, { template: path }))
      })
      await runProperty(server, checker, arb, (req) => {
        const path = (req as FuzzRequest & { template: string }).template
        const operations = document.paths[path]!
        const method = req.method.toLowerCase()
        const operation = operations[method] ?? (method === 'head' ? operations.get : undefined)
        const opKey = `${KNOWN_METHODS.includes(req.method.toUpperCase()) ? req.method.toUpperCase() : '<other method>'} ${path}`
        if (operation !== undefined) return { allowed: allowedStatuses(operation, req), operation, opKey }
        // a method the router has no route for is 404 or 405 with Allow; one the HTTP parser does not
        // know, or a target that does not decode, is a malformed request (400) before any routing
        const allowed = new Set([400, 404, 405, 429])
        if (method === 'options') allowed.add(204)
        return { allowed, operation: undefined, opKey }
      })
    })
  }
})
