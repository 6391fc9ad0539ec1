import { randomBytes } from 'node:crypto'

const MAX_WORDS_LENGTH = 60
/**
 * 64 random bits: a million articles with one title share a slug with a chance of about
 * 3 in 100 million (32 bits gave 1 in 4 at 50 000, each collision a refused write).
 */
const SUFFIX_BYTES = 8

/**
 * A URL-safe, readable slug for an article: the title's letters and digits in
 * lower case, joined by hyphens (accents dropped), then a random suffix, so that
 * two articles with one title never share a slug and a slug never changes when
 * its title does (links keep working).
 */
export function slugFor (title: string): string {
  const words = title.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, MAX_WORDS_LENGTH).replace(/-+$/, '')
  const suffix = randomBytes(SUFFIX_BYTES).toString('hex')
  return words === '' ? suffix : `${words}-${suffix}`
}
