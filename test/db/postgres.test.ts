import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { numberPlaceholders } from '../../src/db/postgres.js'
import { ENGINE, openFreshDb } from './fresh-db.js'

const SKIP = ENGINE !== 'postgres' && 'set TEST_DATABASE_URL to run on PostgreSQL'

describe('numberPlaceholders', () => {
  it('numbers the ? placeholders in order', () => {
    assert.equal(numberPlaceholders('SELECT a FROM t WHERE b = ? AND c IN (?, ?) LIMIT ?'),
      'SELECT a FROM t WHERE b = $1 AND c IN ($2, $3) LIMIT $4')
  })

  it('leaves a ? inside quoted text alone, doubled quotes included', () => {
    assert.equal(numberPlaceholders("SELECT '?', 'it''s ?' FROM t WHERE a = ? AND b = '?'' ?'"),
      "SELECT '?', 'it''s ?' FROM t WHERE a = $1 AND b = '?'' ?'")
    assert.equal(numberPlaceholders('SELECT 1'), 'SELECT 1')
  })
})

describe('postgres driver', () => {
  it('answers ping and counts its pool', { skip: SKIP }, async (t) => {
    const db = await openFreshDb(t)
    await db.ping()
    const stats = db.poolStats()
    assert.ok(stats !== undefined && stats.total >= 1 && stats.waiting === 0, JSON.stringify(stats))
  })

  it('rolls back everything when the work throws', { skip: SKIP }, async (t) => {
    const db = await openFreshDb(t)
    await assert.rejects(db.transaction(async (tx) => {
      await tx.run('INSERT INTO users (username, created_at) VALUES (?, ?)', ['temp', 'now'])
      throw new Error('boom')
    }), /boom/)
    assert.equal(await db.one('SELECT id FROM users WHERE username = ?', ['temp']), undefined)
  })

  it('retries the loser of a serialization conflict from the start, where it sees the winner\'s write', { skip: SKIP }, async (t) => {
    const db = await openFreshDb(t)
    // both read before either writes: under SERIALIZABLE one of them must fail and run again
    let reads = 0
    let bothRead!: () => void
    const barrier = new Promise<void>((resolve) => { bothRead = resolve })
    let attempts = 0
    const count = (name: string) => db.transaction(async (tx) => {
      attempts++
      const n = Number((await tx.one<{ n: string }>('SELECT count(*) AS n FROM users'))!.n)
      if (++reads === 2) bothRead()
      await barrier
      await tx.run('INSERT INTO users (username, created_at) VALUES (?, ?)', [`${name}${n}`, 'now'])
      return n
    })
    const seen = await Promise.all([count('a'), count('b')])
    assert.deepEqual(seen.sort(), [0, 1])
    assert.ok(attempts >= 3, `${attempts} attempts: the loser ran again`)
    const names = (await db.all<{ username: string }>('SELECT username FROM users ORDER BY username')).map((r) => r.username)
    assert.equal(names.length, 2)
    assert.deepEqual(names.map((n) => n.slice(1)).sort(), ['0', '1'])
  })
})
