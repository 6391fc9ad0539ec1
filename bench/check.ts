/**
 * Before anything is measured, each scenario's request goes to both servers and
 * the answers are compared: status, every header in order (names and values)
 * and the body bytes. A ratio only means something between equal answers.
 */
import { Agent, request } from 'node:http'
import type { Scenario } from './scenarios.js'

/**
 * What may legitimately differ between two correct answers, in one place:
 * headers that change with every response (date, x-request-id) or describe
 * the connection rather than the answer (connection, keep-alive), whose
 * presence and position are still compared; and in the answer to a write, the
 * moment of the write (createdAt, updatedAt) and the random suffix of a new
 * RealWorld article's slug (src/lib/slug.ts: 16 hex digits after the title's
 * words), in the body's `slug` and in the Location that names it. The words
 * before the suffix are still compared.
 */
export const VARYING_HEADERS: ReadonlySet<string> = new Set(['date', 'x-request-id', 'connection', 'keep-alive'])
const WRITE_MOMENT = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g
const WRITE_SLUG = /("slug":"(?:[^"\\]*-)?)[0-9a-f]{16}"/g
const WRITE_SLUG_LOCATION = /^(\/api\/articles\/(?:[^/?#]*-)?)[0-9a-f]{16}$/
const SUFFIX = '(random suffix)'

/** Absolute links are built from the Host a client sends, which names each server's own port: both get this one. */
const CHECK_HOST = 'localhost:5000'

export interface Answer {
  readonly status: number
  /** As received: in order, names in their case, repeated headers repeated. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: Buffer
}

export function fetchAnswer (baseUrl: string, scenario: Scenario, agent: Agent): Promise<Answer> {
  const body = scenario.body === undefined ? undefined : Buffer.from(scenario.body)
  return new Promise((resolve, reject) => {
    const req = request(baseUrl + scenario.path, {
      method: scenario.method,
      agent,
      headers: { host: CHECK_HOST, ...scenario.headers, ...(body === undefined ? {} : { 'content-length': String(body.length) }) }
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const headers: Array<[string, string]> = []
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!])
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** A header as a line to compare, with what may vary masked. */
function headerLine (name: string, value: string, write: boolean): string {
  const lower = name.toLowerCase()
  if (VARYING_HEADERS.has(lower)) return `${name}: (varies)`
  if (write && lower === 'location') return `${name}: ${value.replace(WRITE_SLUG_LOCATION, `$1${SUFFIX}`)}`
  return `${name}: ${value}`
}

/** The answer as lines to compare, with what may vary masked. */
function comparable (answer: Answer, write: boolean): string[] {
  const body = answer.body.toString('utf8')
  return [
    `status ${answer.status}`,
    ...answer.headers.map(([name, value]) => headerLine(name, value, write)),
    `body ${write ? body.replace(WRITE_MOMENT, '(moment of the write)').replace(WRITE_SLUG, `$1${SUFFIX}"`) : body}`
  ]
}

/** A long line cut around the first character where it differs from another. */
function around (line: string, other: string): string {
  if (line.length <= 160) return line
  let at = 0
  while (at < line.length && line[at] === other[at]) at++
  return `${at > 60 ? '…' : ''}${line.slice(Math.max(0, at - 60), at + 100)}${at + 100 < line.length ? '…' : ''}`
}

/** The lines of `a` and of `b` that are not in their longest common subsequence, in order. */
function changes (a: readonly string[], b: readonly string[]): Array<{ from: 'a' | 'b', line: string }> {
  // common[i][j]: length of the longest common subsequence of a[i..] and b[j..]
  const common = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i]![j] = a[i] === b[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!)
    }
  }
  const out: Array<{ from: 'a' | 'b', line: string }> = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++
      j++
    } else if (j === b.length || (i < a.length && common[i + 1]![j]! >= common[i]![j + 1]!)) {
      out.push({ from: 'a', line: a[i++]! })
    } else {
      out.push({ from: 'b', line: b[j++]! })
    }
  }
  return out
}

/** Lines that differ between the two answers (empty: identical), as `-` baseline / `+` service. */
export function differences (baseline: Answer, service: Answer, write: boolean): string[] {
  const a = comparable(baseline, write)
  const b = comparable(service, write)
  // only bodies are long; each is shown around where it departs from the other's
  const bodies = { a: a.at(-1)!, b: b.at(-1)! }
  return changes(a, b).map(({ from, line }) => from === 'a'
    ? `  - baseline  ${around(line, bodies.b)}`
    : `  + service   ${around(line, bodies.a)}`)
}
