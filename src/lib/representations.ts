import { createRequire } from 'node:module'

// fast-xml-parser's CommonJS build is one file; its ES build is dozens of modules,
// and loading those took ~40 ms of every start
const { XMLBuilder } = createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser')

/** How a route's data reads as XML: the root element and, for lists, each item's element. */
export interface XmlShape {
  readonly root: string
  readonly item?: string
}

/** The XML types a route may offer: one body, told apart only by Content-Type (RFC 7303). */
export const XML_TYPES: readonly string[] = ['application/xml', 'text/xml']
export const isXmlType = (mediaType: string): boolean => XML_TYPES.includes(mediaType)

const builder = new XMLBuilder({ format: false, suppressEmptyNode: true })

// XML 1.0 cannot carry these code points even escaped; they are dropped from XML only
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g

function xmlSafe (value: unknown): unknown {
  if (typeof value === 'string') return value.replace(XML_INVALID, '')
  if (Array.isArray(value)) return value.map(xmlSafe)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, xmlSafe(v)]))
  }
  return value
}

export function toXml (data: unknown, shape: XmlShape): string {
  const body = Array.isArray(data) ? { [shape.item ?? 'item']: data } : data
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + builder.build({ [shape.root]: xmlSafe(body) })
}

function csvField (value: unknown): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** RFC 4180: a header row, CRLF line ends, fields quoted when they must be. */
export function toCsv (rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const lines = [columns.map(csvField).join(',')]
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(','))
  return lines.join('\r\n') + '\r\n'
}
