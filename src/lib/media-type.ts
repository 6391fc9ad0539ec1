/** The essence of a Content-Type (`text/plain; charset=utf-8` → `text/plain`), lower-cased. */
export function mediaTypeOf (contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase()
}

/** A parameter of a Content-Type, such as its `charset` or `boundary`. */
export function mediaTypeParameter (contentType: string | undefined, name: string): string | undefined {
  for (const part of (contentType ?? '').split(';').slice(1)) {
    const eq = part.indexOf('=')
    if (eq === -1 || part.slice(0, eq).trim().toLowerCase() !== name) continue
    return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')
  }
  return undefined
}

/** JSON and every structured-syntax `+json` type (RFC 6839). */
export function isJsonType (mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[\w.!#$&^-]+\+json$/.test(mediaType)
}

interface AcceptRange {
  readonly type: string
  readonly subtype: string
  readonly q: number
  readonly specificity: number
}

function parseAccept (header: string): AcceptRange[] {
  const ranges: AcceptRange[] = []
  for (const item of header.split(',')) {
    const [range, ...params] = item.split(';')
    const [type, subtype] = range!.trim().toLowerCase().split('/')
    if (type === undefined || subtype === undefined || type === '') continue
    let q = 1
    for (const param of params) {
      const [key, value] = param.split('=').map((s) => s.trim())
      if (key?.toLowerCase() === 'q') {
        q = Number(value)
        if (!Number.isFinite(q)) q = 0
      }
    }
    const specificity = type === '*' ? 0 : subtype === '*' ? 1 : 2
    ranges.push({ type, subtype, q: Math.min(Math.max(q, 0), 1), specificity })
  }
  return ranges
}

/** The q-value the Accept ranges give a concrete type: the most specific matching range decides. */
function qualityOf (ranges: readonly AcceptRange[], mediaType: string): number {
  const [type, subtype] = mediaType.split('/')
  let best: AcceptRange | undefined
  for (const range of ranges) {
    const matches = (range.type === '*' || range.type === type) && (range.subtype === '*' || range.subtype === subtype)
    if (matches && (best === undefined || range.specificity > best.specificity)) best = range
  }
  return best?.q ?? 0
}

/**
 * Picks the type to answer with: the highest q-value the client gives any of
 * `offered`, ties broken by the server's order. No Accept header accepts the
 * first offer; undefined means 406.
 */
export function negotiate (accept: string | undefined, offered: readonly string[]): string | undefined {
  if (accept === undefined || accept.trim() === '') return offered[0]
  const ranges = parseAccept(accept)
  // an Accept header made only of garbage is treated as absent rather than as a refusal
  if (ranges.length === 0) return offered[0]
  let chosen: string | undefined
  let chosenQ = 0
  for (const mediaType of offered) {
    const q = qualityOf(ranges, mediaType)
    if (q > chosenQ) {
      chosen = mediaType
      chosenQ = q
    }
  }
  return chosen
}
