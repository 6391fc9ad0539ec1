import { strict as assert } from 'node:assert'
import { describe, it } from 'node:test'
import { createDb } from '../../src/db/index.js'
import { MIGRATIONS, migrate } from '../../src/db/migrations.js'
import { createRepositories } from '../../src/repositories/index.js'
import { freshDatabaseUrl } from '../helper.js'
import { countRows, ENGINE, openFreshDb } from './fresh-db.js'

describe('migrate', () => {
  it('creates the schema once and seeds the tutorial users', async (t) => {
    const db = await createDb(await freshDatabaseUrl(t))
    t.after(() => db.close())
    assert.deepEqual(await migrate(db, { demoData: true }), { applied: MIGRATIONS.map((m) => m.version), created: true })
    assert.deepEqual(await migrate(db, { demoData: true }), { applied: [], created: false })
    const versions = await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
    assert.deepEqual(versions.map((v) => Number(v.version)), MIGRATIONS.map((m) => m.version))
    assert.deepEqual(await createRepositories(db).users.list(10), [
      { id: 1, username: 'john' }, { id: 2, username: 'steve' }, { id: 3, username: 'bill' }
    ])
  })

  it('seeds the demo articles by the demo users, oldest first', async (t) => {
    const db = await openFreshDb(t, { demoData: true })
    const articles = await createRepositories(db).articles.list(10)
    assert.deepEqual(articles.map((a) => [a.id, a.authorId, a.author, a.version]).reverse(), [
      [1, 1, 'john', 1], [2, 2, 'steve', 1], [3, 3, 'bill', 1], [4, 1, 'john', 1], [5, 2, 'steve', 1]
    ])
  })

  it('leaves a new database empty without demo data', async (t) => {
    const db = await openFreshDb(t)
    assert.deepEqual(await createRepositories(db).users.list(10), [])
    assert.equal(await countRows(db, 'articles'), 0)
  })

  it('seeds no demo data into a database that had a schema already', async (t) => {
    const db = await createDb(await freshDatabaseUrl(t))
    t.after(() => db.close())
    await migrate(db, { demoData: false })
    assert.deepEqual(await migrate(db, { demoData: true }), { applied: [], created: false })
    assert.equal(await countRows(db, 'users'), 0)
  })

  it('applies each migration once when two processes start together', { skip: ENGINE === 'sqlite' && 'SQLite: BEGIN IMMEDIATE serialises processes; two handles in one event loop would only wait on each other' }, async (t) => {
    const url = await freshDatabaseUrl(t)
    const first = await createDb(url)
    const second = await createDb(url)
    t.after(() => Promise.all([first.close(), second.close()]))
    const results = await Promise.all([migrate(first, { demoData: true }), migrate(second, { demoData: true })])
    assert.deepEqual(results.map((r) => r.applied).sort((a, b) => b.length - a.length), [MIGRATIONS.map((m) => m.version), []])
    assert.deepEqual(results.map((r) => r.created).sort(), [false, true])
    assert.equal(await countRows(first, 'users'), 3)
    assert.equal(await countRows(first, 'schema_migrations'), MIGRATIONS.length)
  })
})
