import { InvalidText } from '../errors.js'
import type { SqlValue } from './types.js'

// with the u flag a surrogate pair is one code point: this finds only the lone ones
const UNSTORABLE = /[\0\p{Cs}]/u

/**
 * The parameters of a statement, refused when a string holds what an engine
 * would not store as sent: PostgreSQL's text cannot hold U+0000 (SQLite's can),
 * and both would turn a lone UTF-16 surrogate into U+FFFD. Checked for both
 * engines alike, so that the same request is stored, or refused, on either.
 */
export function storable (params: readonly SqlValue[]): readonly SqlValue[] {
  for (const value of params) {
    if (typeof value === 'string' && UNSTORABLE.test(value)) {
      throw new InvalidText('Bad Request: text cannot contain the NUL character (U+0000) or a lone surrogate (U+D800–U+DFFF)')
    }
  }
  return params
}
