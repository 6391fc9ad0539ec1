/**
 * A Hurl runner of the project's own, for the RealWorld conformance suite (../shared/realworld/hurl).
 *
 * It reads the .hurl files as they are and implements exactly the parts of the Hurl format they
 * use, with the semantics of Hurl 7 (the runner's sources: runner/entry.rs, predicate.rs, query.rs,
 * capture.rs, filter/count.rs). Every other construct is a parse error naming the file and the line:
 * nothing is ever skipped.
 *
 * Implemented:
 * - entries: `METHOD url` (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS), `Name: value` headers,
 *   a JSON body (object or array, several lines, `{{var}}` inside its strings; the value of a
 *   variable is JSON-escaped, as Hurl does); comments (`#`) and blank lines anywhere between lines
 * - the response: `HTTP <status>`, `HTTP/1.1 <status>`, `HTTP *`; implicit `Name: value` header
 *   asserts; `[Captures]` and `[Asserts]` in either order, each at most once
 * - queries: `jsonpath "…"`, `header "…"`, `status`, `body`; the filter `count`
 * - predicates, each optionally negated with `not`: `==`, `!=`, `>`, `>=`, `<`, `<=`, `contains`,
 *   `startsWith`, `endsWith`, `matches` (a string or a /regex/), `exists`, `isString`, `isInteger`,
 *   `isFloat`, `isNumber`, `isBoolean`, `isList`, `isCollection`, `isEmpty`
 * - predicate values: "strings" (escapes \" \\ \b \f \n \r \t \u{…}, `{{var}}` inside), integers,
 *   floats, true, false, null, a bare `{{var}}` (the variable's typed value), /regex/
 * - JSONPath: `$`, `.name`, `['name']`, `[n]` (negative counts from the end), `.*`, `[*]`
 *
 * Hurl semantics kept (each pinned by a case in runner.test.ts):
 * - numbers keep their kind: a JSON `1` is an integer, `1.0` a float (isInteger / isFloat tell them
 *   apart) but `==` compares numbers by value, so `1 == 1.0` holds
 * - `==` across types is false, never an error: `== "1"` does not match the number 1
 * - a JSONPath made only of names and indexes (a singular query) gives the value itself or nothing;
 *   one with a wildcard gives the list of what it selected (possibly empty)
 * - no value (a missing path): every predicate is false, so `exists` fails and `not exists` passes,
 *   and so does any other `not …` (as in Hurl); a type mismatch (`>` on a string and a number,
 *   `isEmpty` on a number, `contains` on a number…) fails whether negated or not
 * - `count` needs a list: on nothing or on anything else it is an error (the assert fails)
 * - the status is checked first; if it differs the entry fails there (no capture, no assert);
 *   then captures (a capture that finds nothing is an error and ends the entry), then asserts
 *   (which see this entry's captures)
 * - header names are case-insensitive; redirects are not followed (Hurl's default)
 * - a file runs with fresh variables (the caller's, then its captures); its first failing entry
 *   stops it, and the entries after it count as failed (ran: false); the suite goes on with the
 *   next file (the suite's README)
 *
 * Where fetch differs from Hurl (libcurl): repeated response headers other than Set-Cookie come
 * back joined with ", "; fetch adds request headers of its own (accept-encoding, accept-language,
 * sec-fetch-mode) and decompresses; only HTTP/1.1 is spoken, so HTTP/2 and HTTP/3 are refused.
 * Patterns compile as JavaScript Unicode regexes (Hurl: Rust's regex crate): one valid in Rust
 * and not in JavaScript is an error, never a silent mismatch; `\d` is ASCII-only here.
 */
import { readdir, readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'

// ---------------------------------------------------------------------------------------------
// Values

/** A Hurl value: integers are bigints, floats are numbers, objects are maps. */
export type Value = null | boolean | string | bigint | number | Value[] | ReadonlyMap<string, Value>

const isObject = (v: Value): v is ReadonlyMap<string, Value> => v instanceof Map

/** A value as Hurl shows it in an assert failure. */
export function display (v: Value | undefined): string {
  if (v === undefined) return 'none'
  if (v === null) return 'null'
  switch (typeof v) {
    case 'boolean': return `bool <${v}>`
    case 'string': return `string <${v}>`
    case 'bigint': return `int <${v}>`
    case 'number': return `float <${formatFloat(v)}>`
  }
  if (Array.isArray(v)) return `[${v.map(display).join(', ')}]`
  return 'object'
}

const formatFloat = (f: number): string => Number.isInteger(f) ? `${f}.0` : String(f)

const I64_MIN = -(2n ** 63n)
const U64_MAX = 2n ** 64n - 1n

/**
 * Parses JSON as Hurl (serde_json) does: a number without fraction or exponent that fits 64 bits
 * is an integer (a bigint), any other number a float; a repeated key keeps its last value.
 */
export function parseJson (text: string): Value {
  let pos = 0
  const fail = (what: string): never => {
    throw new SyntaxError(`invalid JSON at offset ${pos}: ${what}`)
  }
  const ws = () => {
    while (pos < text.length && ' \t\n\r'.includes(text.charAt(pos))) pos++
  }
  const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y
  const str = (): string => {
    const start = pos++
    for (;;) {
      if (pos >= text.length) fail('unterminated string')
      const c = text.charCodeAt(pos)
      if (c === 0x22) break
      if (c < 0x20) fail('control character in a string')
      pos += c === 0x5c ? 2 : 1
    }
    pos++
    try {
      return JSON.parse(text.slice(start, pos)) as string
    } catch {
      return fail('bad escape in a string')
    }
  }
  const value = (): Value => {
    ws()
    const c = text.charAt(pos)
    if (c === '{') {
      pos++
      const obj = new Map<string, Value>()
      ws()
      if (text.charAt(pos) === '}') { pos++; return obj }
      for (;;) {
        ws()
        if (text.charAt(pos) !== '"') fail('expected a key')
        const key = str()
        ws()
        if (text.charAt(pos) !== ':') fail('expected ":"')
        pos++
        obj.set(key, value())
        ws()
        const sep = text.charAt(pos++)
        if (sep === '}') return obj
        if (sep !== ',') fail('expected "," or "}"')
      }
    }
    if (c === '[') {
      pos++
      const list: Value[] = []
      ws()
      if (text.charAt(pos) === ']') { pos++; return list }
      for (;;) {
        list.push(value())
        ws()
        const sep = text.charAt(pos++)
        if (sep === ']') return list
        if (sep !== ',') fail('expected "," or "]"')
      }
    }
    if (c === '"') return str()
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, pos)) { pos += word.length; return v }
    }
    NUMBER.lastIndex = pos
    const m = NUMBER.exec(text)
    if (m === null) return fail('unexpected character')
    pos += m[0].length
    if (m[1] === undefined && m[2] === undefined) {
      const n = BigInt(m[0])
      if (n >= I64_MIN && n <= U64_MAX) return n
    }
    const f = Number(m[0])
    return Number.isFinite(f) ? f : fail('number out of range')
  }
  const v = value()
  ws()
  if (pos < text.length) fail('trailing characters')
  return v
}

// ---------------------------------------------------------------------------------------------
// Templates

type TemplatePart = string | { readonly variable: string }

/** A string with `{{var}}` placeholders. */
export interface Template {
  readonly parts: readonly TemplatePart[]
  /** As written in the file (without the quotes). */
  readonly source: string
}

export type Variables = Map<string, Value>

class TemplateError extends Error {}

function lookup (vars: Variables, name: string): Value {
  const v = vars.get(name)
  if (v === undefined) throw new TemplateError(`undefined variable "${name}"`)
  return v
}

/** A value put into a string: lists and objects cannot be (Hurl: unrenderable variable). */
function renderValue (name: string, v: Value): string {
  if (v === null) return 'null'
  switch (typeof v) {
    case 'string': return v
    case 'boolean': case 'bigint': return String(v)
    case 'number': return formatFloat(v)
  }
  throw new TemplateError(`variable "${name}" holds ${Array.isArray(v) ? 'a list' : 'an object'}, which cannot be put into a string`)
}

export function render (t: Template, vars: Variables): string {
  let out = ''
  for (const p of t.parts) out += typeof p === 'string' ? p : renderValue(p.variable, lookup(vars, p.variable))
  return out
}

// ---------------------------------------------------------------------------------------------
// JSONPath (a subset of RFC 9535)

type Segment =
  | { readonly kind: 'name', readonly name: string }
  | { readonly kind: 'index', readonly index: number }
  | { readonly kind: 'wildcard' }

export interface JsonPath {
  readonly source: string
  readonly segments: readonly Segment[]
  /** Only names and indexes: selects at most one node, given as the value itself. */
  readonly singular: boolean
}

export function parseJsonPath (source: string): JsonPath {
  const fail = (at: number, what: string): never => {
    throw new Error(`unsupported JSONPath "${source}" at offset ${at}: ${what} (supported: $, .name, ['name'], [n], .*, [*])`)
  }
  if (source.charAt(0) !== '$') fail(0, 'it must start with $')
  const segments: Segment[] = []
  let i = 1
  while (i < source.length) {
    const c = source.charAt(i)
    if (c === '.') {
      const next = source.charAt(i + 1)
      if (next === '.') fail(i, 'descendant segment ..')
      if (next === '*') {
        segments.push({ kind: 'wildcard' })
        i += 2
        continue
      }
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i + 1))
      if (m === null) return fail(i + 1, 'expected a member name')
      segments.push({ kind: 'name', name: m[0] })
      i += 1 + m[0].length
    } else if (c === '[') {
      const rest = source.slice(i + 1)
      const index = /^(0|-?[1-9]\d*)\]/.exec(rest)
      const quote = rest.charAt(0)
      if (rest.startsWith('*]')) {
        segments.push({ kind: 'wildcard' })
        i += 3
      } else if (index !== null) {
        segments.push({ kind: 'index', index: Number(index[1]) })
        i += 1 + index[0].length
      } else if (quote === "'" || quote === '"') {
        let name = ''
        let j = i + 2
        for (;;) {
          const d = source.charAt(j)
          if (d === '') fail(j, 'unterminated name')
          if (d === quote) break
          if (d === '\\') {
            const e = source.charAt(j + 1)
            if (e !== quote && e !== '\\') fail(j, `escape \\${e}`)
            name += e
            j += 2
          } else {
            name += d
            j++
          }
        }
        if (source.charAt(j + 1) !== ']') fail(j + 1, 'expected ]')
        segments.push({ kind: 'name', name })
        i = j + 2
      } else {
        fail(i, 'filters, slices, unions and other selectors')
      }
    } else {
      fail(i, `unexpected "${c}"`)
    }
  }
  return { source, segments, singular: segments.every((s) => s.kind !== 'wildcard') }
}

/** The value a JSONPath selects, as Hurl gives it: a singular query gives the node or nothing, another a list. */
export function evalJsonPath (path: JsonPath, root: Value): Value | undefined {
  let nodes: Value[] = [root]
  for (const seg of path.segments) {
    const next: Value[] = []
    for (const node of nodes) {
      if (seg.kind === 'name') {
        if (isObject(node) && node.has(seg.name)) next.push(node.get(seg.name) as Value)
      } else if (seg.kind === 'index') {
        if (Array.isArray(node)) {
          const at = seg.index < 0 ? node.length + seg.index : seg.index
          if (at >= 0 && at < node.length) next.push(node[at] as Value)
        }
      } else if (Array.isArray(node)) {
        next.push(...node)
      } else if (isObject(node)) {
        next.push(...node.values())
      }
    }
    nodes = next
  }
  return path.singular ? nodes[0] : nodes
}

// ---------------------------------------------------------------------------------------------
// The parsed file

export type Query =
  | { readonly kind: 'jsonpath', readonly path: JsonPath }
  | { readonly kind: 'header', readonly name: Template }
  | { readonly kind: 'status' }
  | { readonly kind: 'body' }

export type PredicateValue =
  | { readonly kind: 'string', readonly template: Template }
  | { readonly kind: 'integer', readonly value: bigint }
  | { readonly kind: 'float', readonly value: number }
  | { readonly kind: 'bool', readonly value: boolean }
  | { readonly kind: 'null' }
  | { readonly kind: 'variable', readonly name: string }
  | { readonly kind: 'regex', readonly regex: RegExp }

const VALUE_PREDICATES = ['==', '!=', '>', '>=', '<', '<=', 'contains', 'startsWith', 'endsWith', 'matches'] as const
const TYPE_PREDICATES = ['exists', 'isString', 'isInteger', 'isFloat', 'isNumber', 'isBoolean', 'isList', 'isCollection', 'isEmpty'] as const
type ValuePredicate = typeof VALUE_PREDICATES[number]
type TypePredicate = typeof TYPE_PREDICATES[number]

export type Predicate =
  | { readonly not: boolean, readonly func: ValuePredicate, readonly value: PredicateValue }
  | { readonly not: boolean, readonly func: TypePredicate }

export interface Assert {
  readonly line: number
  /** The assert as written, for the report. */
  readonly text: string
  readonly query: Query
  readonly filters: readonly 'count'[]
  readonly predicate: Predicate
}

export interface Capture {
  readonly line: number
  readonly text: string
  readonly name: string
  readonly query: Query
  readonly filters: readonly 'count'[]
}

export interface Header {
  readonly line: number
  readonly name: string
  readonly value: Template
}

/** A JSON body: literal text and variables (whose value is JSON-escaped, they all sit inside strings). */
export interface JsonBody {
  readonly line: number
  readonly parts: readonly TemplatePart[]
}

export interface ResponseSpec {
  readonly line: number
  /** null for `HTTP *` */
  readonly status: number | null
  readonly headers: readonly Header[]
  readonly captures: readonly Capture[]
  readonly asserts: readonly Assert[]
}

export interface Entry {
  readonly file: string
  /** 1-based, as Hurl counts entries. */
  readonly index: number
  readonly line: number
  readonly method: string
  readonly url: Template
  readonly headers: readonly Header[]
  readonly body: JsonBody | null
  readonly response: ResponseSpec
}

export class HurlParseError extends Error {
  constructor (readonly file: string, readonly line: number, detail: string) {
    super(`${file}:${line}: ${detail}`)
    this.name = 'HurlParseError'
  }
}

// ---------------------------------------------------------------------------------------------
// Parser

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])
const REQUEST_LINE = /^([A-Z]+)[ \t]+(.*)$/
const STATUS_LINE = /^HTTP(\/[0-9.]+)?[ \t]+(\d{3}|\*)[ \t]*(#.*)?$/
const SECTION_LINE = /^\[([A-Za-z]+)\][ \t]*(#.*)?$/
const HEADER_LINE = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)[ \t]*:[ \t]*(.*)$/
const CAPTURE_LINE = /^([A-Za-z0-9_.-]+)[ \t]*:[ \t]*(.*)$/
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/
const isBlank = (line: string) => /^[ \t]*(#.*)?$/.test(line)

/** One line of the file, read left to right. */
class LineCursor {
  pos = 0
  constructor (readonly file: string, readonly line: number, readonly text: string) {}

  fail (detail: string): never {
    throw new HurlParseError(this.file, this.line, `${detail} (column ${this.pos + 1} of: ${this.text.trim()})`)
  }

  get rest () { return this.text.slice(this.pos) }

  /** Skips spaces; true when there was at least one. */
  spaces (): boolean {
    const start = this.pos
    while (this.text.charAt(this.pos) === ' ' || this.text.charAt(this.pos) === '\t') this.pos++
    return this.pos > start
  }

  requireSpace (after: string) {
    if (!this.spaces()) this.fail(`expected a space after ${after}`)
  }

  /** The next run of non-space characters. */
  token (): string {
    const m = /^[^ \t]*/.exec(this.rest)
    return m === null ? '' : m[0]
  }

  /** At the end of the line, give or take spaces and a comment. */
  atEnd (): boolean {
    return isBlank(this.rest)
  }

  end (what: string) {
    this.spaces()
    if (!this.atEnd()) this.fail(`unexpected "${this.rest.trim()}" after ${what}`)
  }

  /** `{{name}}` at pos (the braces included). */
  placeholder (): string {
    const close = this.text.indexOf('}}', this.pos)
    if (close === -1) this.fail('unterminated {{')
    const name = this.text.slice(this.pos + 2, close).trim()
    if (!VARIABLE_NAME.test(name)) this.fail(`unsupported template expression {{${name}}} (only a variable name is supported)`)
    this.pos = close + 2
    return name
  }

  /** A "quoted string" with Hurl's escapes and `{{var}}` placeholders. */
  quoted (): Template {
    if (this.text.charAt(this.pos) !== '"') this.fail('expected a quoted string')
    const start = ++this.pos
    const parts: TemplatePart[] = []
    let literal = ''
    for (;;) {
      const c = this.text.charAt(this.pos)
      if (c === '') this.fail('unterminated string')
      if (c === '"') break
      if (c === '\\') {
        const e = this.text.charAt(this.pos + 1)
        const simple: Record<string, string> = { '"': '"', '\\': '\\', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
        if (e in simple) {
          literal += simple[e]
          this.pos += 2
        } else if (e === 'u') {
          const m = /^\\u\{([0-9a-fA-F]{1,6})\}/.exec(this.rest)
          if (m === null) this.fail('bad \\u escape (Hurl writes \\u{XXXX})')
          const code = parseInt(m[1] as string, 16)
          if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) this.fail('bad \\u escape')
          literal += String.fromCodePoint(code)
          this.pos += m[0].length
        } else {
          this.fail(`unsupported escape \\${e}`)
        }
      } else if (this.text.startsWith('{{', this.pos)) {
        if (literal !== '') parts.push(literal)
        literal = ''
        parts.push({ variable: this.placeholder() })
      } else {
        literal += c
        this.pos++
      }
    }
    if (literal !== '') parts.push(literal)
    const source = this.text.slice(start, this.pos)
    this.pos++
    return { parts, source }
  }

  /** Text to the end of the line as a template: no spaces, comments or escapes (none in the suite). */
  bareTemplate (what: string, allowSpaces: boolean): Template {
    if (!allowSpaces) {
      // a URL has no spaces: a comment may follow it
      const m = /^([^ \t]*)[ \t]+#/.exec(this.rest)
      if (m !== null) return new LineCursor(this.file, this.line, (m[1] as string)).bareTemplate(what, false)
    }
    const source = this.rest.replace(/[ \t]+$/, '')
    if (source === '') this.fail(`expected ${what}`)
    if (source.includes('#')) this.fail(`"#" in ${what} is not supported (comment or escape)`)
    if (source.includes('\\')) this.fail(`"\\" in ${what} is not supported (escapes)`)
    if (!allowSpaces && /[ \t]/.test(source)) this.fail(`unexpected space in ${what}`)
    const parts: TemplatePart[] = []
    let literal = ''
    while (this.pos < this.text.length && this.rest.trim() !== '') {
      if (this.text.startsWith('{{', this.pos)) {
        if (literal !== '') parts.push(literal)
        literal = ''
        parts.push({ variable: this.placeholder() })
      } else {
        literal += this.text.charAt(this.pos++)
      }
    }
    literal = literal.replace(/[ \t]+$/, '')
    if (literal !== '') parts.push(literal)
    return { parts, source }
  }

  query (): Query {
    const word = this.token()
    this.pos += word.length
    switch (word) {
      case 'status': return { kind: 'status' }
      case 'body': return { kind: 'body' }
      case 'header':
        this.requireSpace('header')
        return { kind: 'header', name: this.quoted() }
      case 'jsonpath': {
        this.requireSpace('jsonpath')
        const expr = this.quoted()
        if (expr.parts.some((p) => typeof p !== 'string')) this.fail('a template inside a JSONPath is not supported')
        try {
          return { kind: 'jsonpath', path: parseJsonPath(expr.parts.join('')) }
        } catch (err) {
          return this.fail((err as Error).message)
        }
      }
    }
    return this.fail(`unsupported query "${word}" (supported: jsonpath, header, status, body)`)
  }

  filters (): Array<'count'> {
    const filters: Array<'count'> = []
    for (;;) {
      const save = this.pos
      this.spaces()
      if (this.token() !== 'count') {
        this.pos = save
        return filters
      }
      this.pos += 'count'.length
      filters.push('count')
    }
  }

  predicateValue (): PredicateValue {
    const c = this.text.charAt(this.pos)
    if (c === '"') return { kind: 'string', template: this.quoted() }
    if (this.text.startsWith('{{', this.pos)) return { kind: 'variable', name: this.placeholder() }
    if (c === '/') {
      let source = ''
      let j = this.pos + 1
      for (;;) {
        const d = this.text.charAt(j)
        if (d === '') this.fail('unterminated regex')
        if (d === '/') break
        if (d === '\\' && this.text.charAt(j + 1) === '/') {
          source += '/'
          j += 2
        } else if (d === '\\') {
          source += d + this.text.charAt(j + 1)
          j += 2
        } else {
          source += d
          j++
        }
      }
      this.pos = j + 1
      return { kind: 'regex', regex: this.regex(source) }
    }
    const word = this.token()
    const keywords: Record<string, PredicateValue> = { true: { kind: 'bool', value: true }, false: { kind: 'bool', value: false }, null: { kind: 'null' } }
    let value: PredicateValue | undefined = Object.hasOwn(keywords, word) ? keywords[word] : undefined
    if (/^-?\d+$/.test(word)) value = { kind: 'integer', value: BigInt(word) }
    if (/^-?\d+\.\d+$/.test(word)) value = { kind: 'float', value: Number(word) }
    if (value === undefined) return this.fail(`unsupported predicate value "${word}"`)
    this.pos += word.length
    return value
  }

  /** Hurl compiles with Rust's regex crate; JavaScript's Unicode mode is the closest (and as strict) dialect. */
  regex (source: string): RegExp {
    try {
      return new RegExp(source, 'u')
    } catch (err) {
      return this.fail(`invalid regex /${source}/: ${(err as Error).message}`)
    }
  }

  predicate (): Predicate {
    let word = this.token()
    let not = false
    if (word === 'not') {
      not = true
      this.pos += 3
      this.requireSpace('not')
      word = this.token()
    }
    this.pos += word.length
    if ((TYPE_PREDICATES as readonly string[]).includes(word)) return { not, func: word as TypePredicate }
    if (!(VALUE_PREDICATES as readonly string[]).includes(word)) {
      return this.fail(`unsupported predicate "${word}" (supported: ${[...VALUE_PREDICATES, ...TYPE_PREDICATES].join(' ')})`)
    }
    const func = word as ValuePredicate
    this.requireSpace(func)
    const value = this.predicateValue()
    if (func === 'matches' && value.kind !== 'string' && value.kind !== 'regex') this.fail('matches takes a string or a /regex/')
    if (func !== 'matches' && value.kind === 'regex') this.fail(`a /regex/ goes with matches only, not ${func}`)
    if (func === 'matches' && value.kind === 'string' && value.template.parts.every((p) => typeof p === 'string')) {
      // a constant pattern is checked now; one with variables when the assert runs
      this.regex(value.template.parts.join(''))
    }
    return { not, func, value }
  }
}

/** Parses the body starting at `start` (a `{` or `[`): JSON whose strings may hold `{{var}}`. */
function parseJsonBody (text: string, start: number, lineAt: (pos: number) => number, file: string): { parts: TemplatePart[], end: number } {
  let pos = start
  const parts: TemplatePart[] = []
  let literalFrom = start
  const fail = (detail: string): never => {
    throw new HurlParseError(file, lineAt(pos), `JSON body: ${detail}`)
  }
  const ws = () => {
    while (pos < text.length && ' \t\n\r'.includes(text.charAt(pos))) pos++
  }
  const str = () => {
    pos++
    for (;;) {
      const c = text.charAt(pos)
      if (c === '') fail('unterminated string')
      if (c === '"') break
      if (c.charCodeAt(0) < 0x20) fail('control character (a line break?) inside a string')
      if (c === '\\') {
        const e = text.charAt(pos + 1)
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) fail('bad \\u escape')
          pos += 6
        } else if ('"\\/bfnrt'.includes(e) && e !== '') {
          pos += 2
        } else {
          fail(`bad escape \\${e}`)
        }
      } else if (text.startsWith('{{', pos)) {
        const close = text.indexOf('}}', pos)
        const name = close === -1 ? '' : text.slice(pos + 2, close).trim()
        if (!VARIABLE_NAME.test(name)) fail('unsupported template (only {{name}} is supported)')
        if (pos > literalFrom) parts.push(text.slice(literalFrom, pos))
        parts.push({ variable: name })
        pos = close + 2
        literalFrom = pos
      } else {
        pos++
      }
    }
    pos++
  }
  const value = () => {
    ws()
    const c = text.charAt(pos)
    if (text.startsWith('{{', pos)) fail('a template outside a string is not supported')
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']'
      pos++
      ws()
      if (text.charAt(pos) === close) { pos++; return }
      for (;;) {
        ws()
        if (c === '{') {
          if (text.charAt(pos) !== '"') fail('expected a key')
          str()
          ws()
          if (text.charAt(pos) !== ':') fail('expected ":"')
          pos++
        }
        value()
        ws()
        const sep = text.charAt(pos)
        if (sep === close) { pos++; return }
        if (sep !== ',') fail(`expected "," or "${close}"`)
        pos++
      }
    }
    if (c === '"') return str()
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(pos, pos + 400))
    if (m === null) fail('unexpected character')
    pos += (m as RegExpExecArray)[0].length
  }
  value()
  if (pos > literalFrom) parts.push(text.slice(literalFrom, pos))
  return { parts, end: pos }
}

/** Parses a .hurl file; throws a HurlParseError (file and line) on anything it does not implement. */
export function parseHurl (text: string, fileName: string): Entry[] {
  const normalized = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n')
  const lines = normalized.split('\n')
  const lineStarts: number[] = []
  let offset = 0
  for (const line of lines) {
    lineStarts.push(offset)
    offset += line.length + 1
  }
  /** 1-based line of a character offset. */
  const lineAt = (pos: number) => {
    let lo = 0
    let hi = lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((lineStarts[mid] as number) <= pos) lo = mid
      else hi = mid - 1
    }
    return lo + 1
  }
  const fail = (i: number, detail: string): never => { throw new HurlParseError(fileName, i + 1, detail) }
  const cursor = (i: number) => new LineCursor(fileName, i + 1, lines[i] as string)

  const entries: Entry[] = []
  let i = 0
  const skipBlank = () => { while (i < lines.length && isBlank(lines[i] as string)) i++ }
  const isRequestLine = (line: string) => {
    const m = REQUEST_LINE.exec(line)
    return m !== null && !(m[1] === 'HTTP')
  }

  for (;;) {
    skipBlank()
    if (i >= lines.length) break
    const requestLine = lines[i] as string
    const m = REQUEST_LINE.exec(requestLine)
    if (m === null || m[1] === 'HTTP') fail(i, `expected a request line "METHOD URL", found: ${requestLine.trim()}`)
    const method = (m as RegExpExecArray)[1] as string
    if (!METHODS.has(method)) fail(i, `unsupported method ${method}`)
    const entryLine = i + 1
    const c = cursor(i)
    c.pos = requestLine.length - ((m as RegExpExecArray)[2] as string).length
    const url = c.bareTemplate('the URL', false)
    i++

    // request headers, then an optional JSON body, up to the HTTP line
    const headers: Header[] = []
    let body: JsonBody | null = null
    for (;;) {
      skipBlank()
      if (i >= lines.length) fail(entryLine - 1, 'this entry has no "HTTP <status>" line (an entry without a response is not supported)')
      const line = lines[i] as string
      if (/^HTTP(\/|[ \t])/.test(line)) break
      if (isRequestLine(line)) fail(i, 'a new request before the "HTTP <status>" line of the previous one (an entry without a response is not supported)')
      const section = SECTION_LINE.exec(line)
      if (section !== null) fail(i, `unsupported request section [${section[1]}]`)
      if (body !== null) fail(i, `unexpected line after the body: ${line.trim()}`)
      const first = line.trimStart().charAt(0)
      if (first === '{' || first === '[') {
        if (method === 'GET' || method === 'HEAD') fail(i, `a body on ${method} is not supported`)
        const start = (lineStarts[i] as number) + line.length - line.trimStart().length
        const parsed = parseJsonBody(normalized, start, lineAt, fileName)
        const endLine = lineAt(parsed.end - 1) - 1
        const after = normalized.slice(parsed.end, (lineStarts[endLine] as number) + (lines[endLine] as string).length)
        if (!isBlank(after)) fail(endLine, `unexpected "${after.trim()}" after the JSON body`)
        body = { line: i + 1, parts: parsed.parts }
        i = endLine + 1
        continue
      }
      const header = HEADER_LINE.exec(line)
      if (header === null) fail(i, `unsupported line in a request (not a header, a JSON body or "HTTP <status>"): ${line.trim()}`)
      const hc = cursor(i)
      hc.pos = line.length - ((header as RegExpExecArray)[2] as string).length
      headers.push({ line: i + 1, name: (header as RegExpExecArray)[1] as string, value: hc.bareTemplate('a header value', true) })
      i++
    }

    // the response
    const statusLine = lines[i] as string
    const sm = STATUS_LINE.exec(statusLine)
    if (sm === null) fail(i, `unsupported status line (expected "HTTP <status>" or "HTTP *"): ${statusLine.trim()}`)
    const version = (sm as RegExpExecArray)[1]
    if (version !== undefined && version !== '/1.1') {
      fail(i, `unsupported version HTTP${version}: fetch speaks HTTP/1.1 only, so only HTTP and HTTP/1.1 can be checked`)
    }
    const responseLine = i + 1
    const statusText = (sm as RegExpExecArray)[2] as string
    const status = statusText === '*' ? null : Number(statusText)
    i++
    const responseHeaders: Header[] = []
    const captures: Capture[] = []
    const asserts: Assert[] = []
    let state: 'headers' | 'Captures' | 'Asserts' = 'headers'
    const seen = new Set<string>()
    for (;;) {
      skipBlank()
      if (i >= lines.length) break
      const line = lines[i] as string
      if (isRequestLine(line)) break
      const section = SECTION_LINE.exec(line)
      if (section !== null) {
        const name = section[1] as string
        if (name !== 'Captures' && name !== 'Asserts') fail(i, `unsupported response section [${name}]`)
        if (seen.has(name)) fail(i, `a second [${name}] section in one response`)
        seen.add(name)
        state = name as 'Captures' | 'Asserts'
        i++
        continue
      }
      const lc = cursor(i)
      if (state === 'Asserts') {
        const query = lc.query()
        const filters = lc.filters()
        lc.requireSpace('the query')
        const predicate = lc.predicate()
        lc.end('the predicate')
        asserts.push({ line: i + 1, text: line.trim(), query, filters, predicate })
      } else if (state === 'Captures') {
        const cm = CAPTURE_LINE.exec(line)
        if (cm === null) fail(i, `expected a capture "name: query": ${line.trim()}`)
        const name = (cm as RegExpExecArray)[1] as string
        if (!VARIABLE_NAME.test(name)) fail(i, `unsupported capture name "${name}"`)
        lc.pos = line.length - ((cm as RegExpExecArray)[2] as string).length
        const query = lc.query()
        const filters = lc.filters()
        lc.end('the capture')
        captures.push({ line: i + 1, text: line.trim(), name, query, filters })
      } else {
        const header = HEADER_LINE.exec(line)
        if (header === null) {
          fail(i, `unsupported line in a response (a response body, or a line outside [Captures] / [Asserts]): ${line.trim()}`)
        }
        lc.pos = line.length - ((header as RegExpExecArray)[2] as string).length
        responseHeaders.push({ line: i + 1, name: (header as RegExpExecArray)[1] as string, value: lc.bareTemplate('a header value', true) })
      }
      i++
    }
    entries.push({
      file: fileName,
      index: entries.length + 1,
      line: entryLine,
      method,
      url,
      headers,
      body,
      response: { line: responseLine, status, headers: responseHeaders, captures, asserts }
    })
  }
  return entries
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** What the runner knows of a response. */
export interface ResponseData {
  readonly status: number
  readonly headers: Headers
  readonly body: Uint8Array
}

/** An error of a query, a filter or a predicate value: it fails the assert (or the capture). */
class EvalError extends Error {}

class ResponseView {
  #text: string | undefined
  #json: Value | undefined
  constructor (readonly data: ResponseData) {}

  /** Every value of a header; fetch joins repeated headers with ", " (Set-Cookie excepted). */
  header (name: string): string[] {
    if (name.toLowerCase() === 'set-cookie') return this.data.headers.getSetCookie()
    const v = this.data.headers.get(name)
    return v === null ? [] : [v]
  }

  text (): string {
    if (this.#text === undefined) {
      try {
        this.#text = new TextDecoder('utf-8', { fatal: true }).decode(this.data.body)
      } catch {
        throw new EvalError('the response body is not valid UTF-8')
      }
    }
    return this.#text
  }

  json (): Value {
    if (this.#json === undefined) {
      try {
        this.#json = parseJson(this.text())
      } catch (err) {
        const excerpt = this.text().slice(0, 200)
        throw new EvalError(`the response body is not valid JSON (${(err as Error).message}): ${JSON.stringify(excerpt)}`)
      }
    }
    return this.#json
  }
}

function evalQuery (query: Query, filters: readonly 'count'[], res: ResponseView, vars: Variables): Value | undefined {
  let value: Value | undefined
  switch (query.kind) {
    case 'status': value = BigInt(res.data.status); break
    case 'body': value = res.text(); break
    case 'jsonpath': value = evalJsonPath(query.path, res.json()); break
    case 'header': {
      const values = res.header(renderOrThrow(query.name, vars))
      value = values.length === 0 ? undefined : values.length === 1 ? values[0] : values
      break
    }
  }
  for (const filter of filters) {
    if (value === undefined) throw new EvalError(`${filter}: the query found nothing to count`)
    if (!Array.isArray(value)) throw new EvalError(`${filter}: ${display(value)} is not a list`)
    value = BigInt(value.length)
  }
  return value
}

function renderOrThrow (t: Template, vars: Variables): string {
  try {
    return render(t, vars)
  } catch (err) {
    throw new EvalError((err as Error).message)
  }
}

const isNumber = (v: Value): v is bigint | number => typeof v === 'bigint' || typeof v === 'number'

/** Numbers by value (an integer and a float may be equal), strings by code point. */
function compare (a: Value, b: Value): number | undefined {
  if (isNumber(a) && isNumber(b)) return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'string' && typeof b === 'string') {
    const x = [...a]
    const y = [...b]
    for (let k = 0; k < Math.min(x.length, y.length); k++) {
      const d = (x[k] as string).codePointAt(0) as number
      const e = (y[k] as string).codePointAt(0) as number
      if (d !== e) return d < e ? -1 : 1
    }
    return x.length < y.length ? -1 : x.length > y.length ? 1 : 0
  }
  return undefined
}

/** Hurl's `==`: same type and same value (numbers by value); objects are never equal. */
function equal (a: Value, b: Value): boolean {
  if (a === null || b === null) return a === b
  if (isNumber(a) && isNumber(b)) return compare(a, b) === 0
  if (typeof a === 'string' || typeof a === 'boolean') return a === b
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, k) => sameValue(x, b[k] as Value))
  return false
}

/** Structural equality of list items, as Rust's derived equality: an integer is not a float. */
function sameValue (a: Value, b: Value): boolean {
  if (isObject(a) && isObject(b)) {
    return a.size === b.size && [...a].every(([k, v]) => b.has(k) && sameValue(v, b.get(k) as Value))
  }
  if (isNumber(a) && isNumber(b)) return typeof a === typeof b && a === b
  return equal(a, b)
}

interface PredicateOutcome {
  success: boolean
  typeMismatch: boolean
  expected: string
}

function expectedValue (v: PredicateValue, vars: Variables): Value | RegExp {
  switch (v.kind) {
    case 'string': return renderOrThrow(v.template, vars)
    case 'integer': case 'float': case 'bool': return v.value
    case 'null': return null
    case 'regex': return v.regex
    case 'variable': {
      const value = vars.get(v.name)
      if (value === undefined) throw new EvalError(`undefined variable "${v.name}"`)
      return value
    }
  }
}

function evalPredicateFunc (p: Predicate, actual: Value, vars: Variables): PredicateOutcome {
  if (!('value' in p)) {
    const expected = p.func === 'exists' ? 'something' : p.func === 'isEmpty' ? 'empty' : p.func.slice(2).toLowerCase()
    const ok = (success: boolean): PredicateOutcome => ({ success, typeMismatch: false, expected })
    switch (p.func) {
      case 'exists': return ok(true)
      case 'isString': return ok(typeof actual === 'string')
      case 'isInteger': return ok(typeof actual === 'bigint')
      case 'isFloat': return ok(typeof actual === 'number')
      case 'isNumber': return ok(isNumber(actual))
      case 'isBoolean': return ok(typeof actual === 'boolean')
      case 'isList': return ok(Array.isArray(actual))
      case 'isCollection': return ok(Array.isArray(actual) || isObject(actual))
      case 'isEmpty':
        if (typeof actual === 'string' || Array.isArray(actual)) return ok(actual.length === 0)
        if (isObject(actual)) return ok(actual.size === 0)
        return { success: false, typeMismatch: true, expected: 'empty (a string or a collection)' }
    }
  }
  const raw = expectedValue(p.value, vars)
  if (p.func === 'matches') {
    let regex: RegExp
    if (raw instanceof RegExp) {
      regex = raw
    } else {
      try {
        regex = new RegExp(raw as string, 'u')
      } catch (err) {
        throw new EvalError(`invalid regex ${JSON.stringify(raw)}: ${(err as Error).message}`)
      }
    }
    const expected = `matches regex <${regex.source}>`
    if (typeof actual !== 'string') return { success: false, typeMismatch: true, expected }
    return { success: regex.test(actual), typeMismatch: false, expected }
  }
  const expectedV = raw as Value
  const shown = display(expectedV)
  switch (p.func) {
    case '==': return { success: equal(actual, expectedV), typeMismatch: false, expected: shown }
    case '!=': return { success: !equal(actual, expectedV), typeMismatch: false, expected: `!= ${shown}` }
    case '>': case '>=': case '<': case '<=': {
      const order = compare(actual, expectedV)
      const expected = `${p.func} ${shown}`
      if (order === undefined) return { success: false, typeMismatch: true, expected }
      const success = p.func === '>' ? order > 0 : p.func === '>=' ? order >= 0 : p.func === '<' ? order < 0 : order <= 0
      return { success, typeMismatch: false, expected }
    }
    case 'contains': {
      const expected = `contains ${shown}`
      if (Array.isArray(actual)) return { success: actual.some((item) => equal(item, expectedV)), typeMismatch: false, expected }
      if (typeof actual === 'string' && typeof expectedV === 'string') return { success: actual.includes(expectedV), typeMismatch: false, expected }
      return { success: false, typeMismatch: true, expected }
    }
    case 'startsWith': case 'endsWith': {
      const expected = `${p.func} ${shown}`
      if (typeof actual !== 'string' || typeof expectedV !== 'string') return { success: false, typeMismatch: true, expected }
      return { success: p.func === 'startsWith' ? actual.startsWith(expectedV) : actual.endsWith(expectedV), typeMismatch: false, expected }
    }
  }
}

/** An assert against a response: null when it holds, else the failure message. */
function evalAssert (a: Assert, res: ResponseView, vars: Variables): string | null {
  const where = `line ${a.line}: ${a.text}`
  try {
    const actual = evalQuery(a.query, a.filters, res, vars)
    const p = a.predicate
    const outcome: PredicateOutcome = actual === undefined
      ? { success: false, typeMismatch: false, expected: 'value' in p ? describeNoValue(p, vars) : evalPredicateFunc(p, null, vars).expected }
      : evalPredicateFunc(p, actual, vars)
    const expected = `${p.not ? 'not ' : ''}${outcome.expected}`
    if (outcome.typeMismatch) return `${where}: expected ${expected}, actual ${display(actual)} (type mismatch)`
    if (outcome.success === p.not) return `${where}: expected ${expected}, actual ${display(actual)}`
    return null
  } catch (err) {
    if (err instanceof EvalError) return `${where}: ${err.message}`
    throw err
  }
}

function describeNoValue (p: Predicate & { value: PredicateValue }, vars: Variables): string {
  if (p.value.kind === 'regex') return `matches regex <${p.value.regex.source}>`
  const v = expectedValue(p.value, vars) as Value
  return p.func === '==' ? display(v) : `${p.func} ${display(v)}`
}

/** Checks one assert line (as written in a .hurl file) against a response: for the unit tests. */
export function checkAssertLine (assertLine: string, response: { status?: number, headers?: Record<string, string>, body: string }, vars: Record<string, Value> = {}): string | null {
  const [entry] = parseHurl(`GET http://unused/\nHTTP *\n[Asserts]\n${assertLine}\n`, 'assert')
  const a = entry?.response.asserts[0]
  if (a === undefined) throw new Error('no assert parsed')
  const view = new ResponseView({ status: response.status ?? 200, headers: new Headers(response.headers), body: new TextEncoder().encode(response.body) })
  return evalAssert(a, view, new Map(Object.entries(vars)))
}

// ---------------------------------------------------------------------------------------------
// Execution

export interface EntryResult {
  /** The file's base name. */
  readonly file: string
  /** 1-based entry number in the file. */
  readonly index: number
  readonly line: number
  readonly method: string
  /** The URL sent (or as written, when it could not be rendered). */
  readonly url: string
  /** The status received; null when no response came (or the entry did not run). */
  readonly status: number | null
  readonly passed: boolean
  /** false when an earlier entry of the same file failed: the entry counts as failed. */
  readonly ran: boolean
  /** Every failure: the status, a capture, each failed assert (expected vs actual). */
  readonly failures: readonly string[]
}

export interface RunOptions {
  /** Per request; 30 s by default. */
  readonly timeoutMs?: number
}

const USER_AGENT = 'restful-api-hurl-runner'

async function runEntry (entry: Entry, vars: Variables, options: RunOptions): Promise<EntryResult> {
  const base = { file: entry.file, index: entry.index, line: entry.line, method: entry.method, ran: true }
  const failed = (url: string, status: number | null, failures: string[]): EntryResult => ({ ...base, url, status, passed: false, failures })

  // the request
  let url: string
  let headers: Headers
  let body: string | undefined
  try {
    url = render(entry.url, vars)
    headers = new Headers()
    for (const h of entry.headers) headers.append(h.name, render(h.value, vars))
    if (entry.body !== null) {
      body = ''
      for (const p of entry.body.parts) body += typeof p === 'string' ? p : JSON.stringify(renderValue(p.variable, lookup(vars, p.variable))).slice(1, -1)
      if (!headers.has('content-type')) headers.set('content-type', 'application/json')
    }
  } catch (err) {
    if (err instanceof TemplateError) return failed(entry.url.source, null, [`line ${entry.line}: ${err.message}`])
    throw err
  }
  let parsedUrl: URL | undefined
  try {
    parsedUrl = new URL(url)
  } catch {}
  if (parsedUrl === undefined || !/^https?:$/.test(parsedUrl.protocol)) return failed(url, null, [`line ${entry.line}: invalid URL ${url}`])
  if (!headers.has('accept')) headers.set('accept', '*/*')
  if (!headers.has('user-agent')) headers.set('user-agent', USER_AGENT)

  let data: ResponseData
  try {
    const res = await fetch(url, {
      method: entry.method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000)
    })
    data = { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) }
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message
    return failed(url, null, [`line ${entry.line}: request failed: ${cause ?? (err as Error).message}`])
  }
  const view = new ResponseView(data)
  const spec = entry.response

  // 1. the status, alone: a wrong status ends the entry
  if (spec.status !== null && data.status !== spec.status) {
    const text = new TextDecoder().decode(data.body.subarray(0, 300))
    return failed(url, data.status, [`line ${spec.line}: HTTP status: expected ${spec.status}, actual ${data.status}; body: ${JSON.stringify(text)}`])
  }
  // 2. captures, in order, each available at once
  for (const c of spec.captures) {
    let value: Value | undefined
    try {
      value = evalQuery(c.query, c.filters, view, vars)
    } catch (err) {
      if (err instanceof EvalError) return failed(url, data.status, [`line ${c.line}: capture ${c.text}: ${err.message}`])
      throw err
    }
    if (value === undefined) return failed(url, data.status, [`line ${c.line}: capture ${c.text}: the query found nothing`])
    vars.set(c.name, value)
  }
  // 3. implicit header asserts and explicit asserts, every failure reported
  const failures: string[] = []
  for (const h of spec.headers) {
    try {
      const expected = render(h.value, vars)
      const values = view.header(h.name)
      if (!values.includes(expected)) {
        failures.push(`line ${h.line}: header ${h.name}: expected ${JSON.stringify(expected)}, actual ${values.length === 0 ? 'none' : values.map((v) => JSON.stringify(v)).join(', ')}`)
      }
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err
      failures.push(`line ${h.line}: ${err.message}`)
    }
  }
  for (const a of spec.asserts) {
    const failure = evalAssert(a, view, vars)
    if (failure !== null) failures.push(failure)
  }
  return { ...base, url, status: data.status, passed: failures.length === 0, failures }
}

async function runEntries (entries: readonly Entry[], initial: Readonly<Record<string, string>>, options: RunOptions): Promise<EntryResult[]> {
  const vars: Variables = new Map(Object.entries(initial))
  const results: EntryResult[] = []
  let stoppedAt: EntryResult | undefined
  for (const entry of entries) {
    if (stoppedAt !== undefined) {
      results.push({
        file: entry.file,
        index: entry.index,
        line: entry.line,
        method: entry.method,
        url: entry.url.source,
        status: null,
        passed: false,
        ran: false,
        failures: [`not run: entry #${stoppedAt.index} (line ${stoppedAt.line}) of ${entry.file} failed, and a file stops at its first failure`]
      })
      continue
    }
    const result = await runEntry(entry, vars, options)
    if (!result.passed) stoppedAt = result
    results.push(result)
  }
  return results
}

/**
 * Runs one file, entries in order; the first failing entry stops the file and every entry after
 * it counts as failed (ran: false). `vars` (host, uid) and the captures are the variables.
 */
export async function runHurlFile (path: string, vars: Readonly<Record<string, string>>, options: RunOptions = {}): Promise<EntryResult[]> {
  const entries = parseHurl(await readFile(path, 'utf8'), basename(path))
  return runEntries(entries, vars, options)
}

export interface SuiteResult {
  readonly results: readonly EntryResult[]
  /** Requests that passed. */
  readonly passed: number
  /** Requests that failed, those not run included. */
  readonly failed: number
  /** Of the failed, those not run because their file stopped earlier. */
  readonly notRun: number
}

/**
 * Runs every .hurl file of `dir`, one after another in name order, each with fresh variables.
 * Every file is parsed before any request is sent: a parse error throws and nothing runs.
 */
export async function runHurlSuite (dir: string, vars: Readonly<Record<string, string>>, options: RunOptions = {}): Promise<SuiteResult> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.hurl')).sort()
  const files = await Promise.all(names.map(async (n) => parseHurl(await readFile(join(dir, n), 'utf8'), n)))
  const results: EntryResult[] = []
  for (const entries of files) results.push(...await runEntries(entries, vars, options))
  const passed = results.filter((r) => r.passed).length
  return { results, passed, failed: results.length - passed, notRun: results.filter((r) => !r.ran).length }
}

/** A readable report: one line per request, its failures under it, and the totals. */
export function formatResults (results: readonly EntryResult[]): string {
  const lines: string[] = []
  for (const r of results) {
    const verdict = r.passed ? 'PASS' : r.ran ? 'FAIL' : 'NOT RUN (failed)'
    lines.push(`${verdict} ${r.file} #${r.index} (line ${r.line}) ${r.method} ${r.url} -> ${r.status ?? '-'}`)
    for (const f of r.failures) lines.push(`    ${f}`)
  }
  const passed = results.filter((r) => r.passed).length
  const notRun = results.filter((r) => !r.ran).length
  lines.push(`${results.length} requests: ${passed} passed, ${results.length - passed} failed (${notRun} of them not run after an earlier failure in their file)`)
  return lines.join('\n')
}
