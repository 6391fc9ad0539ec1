import { strict as assert } from 'node:assert'
import type { TestContext } from 'node:test'
import { createDb, type Db } from '../../src/db/index.js'
import { migrate } from '../../src/db/migrations.js'
import { freshDatabaseUrl, TEST_DATABASE_URL } from '../helper.js'

/** The engine the suites run on: PostgreSQL when TEST_DATABASE_URL names a server, else SQLite. */
export const ENGINE: Db['dialect'] = TEST_DATABASE_URL === undefined ? 'sqlite' : 'postgres'

/**
 * A migrated database of its own for one test (a new SQLite file, or a new
 * PostgreSQL schema), closed after it. Without demo data by default, so ids start at 1.
 */
export async function openFreshDb (t: TestContext, options: { demoData: boolean } = { demoData: false }): Promise<Db> {
  const db = await createDb(await freshDatabaseUrl(t))
  t.after(() => db.close())
  await migrate(db, options)
  return db
}

/** What the repositories store: `Date#toISOString()`, in UTC to the millisecond. */
export const ISO_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/** A timestamp the repository wrote just now. */
export function assertTimestamp (value: unknown): asserts value is string {
  assert.equal(typeof value, 'string')
  assert.match(value as string, ISO_TIMESTAMP)
  assert.ok(Math.abs(Date.parse(value as string) - Date.now()) < 60_000, `${value as string} is recent`)
}

/** The number of rows in `table` (a name the test spells, never input). */
export async function countRows (db: Db, table: string): Promise<number> {
  return Number((await db.one<{ n: number | string }>(`SELECT count(*) AS n FROM ${table}`))?.n)
}

/** Strings that neither engine stores as sent: each must be refused with InvalidText. */
export const UNSTORABLE_TEXT: ReadonlyArray<readonly [what: string, text: string]> = [
  ['U+0000', 'nul\u0000here'],
  ['a lone high surrogate', 'half \uD83D of an emoji'],
  ['a lone low surrogate', 'other half \uDE00']
]
