import { randomBytes } from 'node:crypto'

const MAX_WORDS_LENGTH = 60

/**
 * A URL-safe, readable slug for an article: the title's letters and digits in
 * lower case, joined by hyphens (accents dropped), then a random suffix, so that
 * two articles with one title never share a slug and a slug never changes when
 * its title does (links keep working).
 */
export function slugFor (title: string): string {
  const words = title.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, MAX_WORDS_LENGTH).replace(/-+$/, '')
  const suffix = randomBytes(4).toString('hex')
  return words === '' ? suffix : `${words}-${suffix}`
}
