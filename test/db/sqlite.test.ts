import { strict as assert } from 'node:assert'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it, type TestContext } from 'node:test'
import Database from 'better-sqlite3'
import { createDb, type Db } from '../../src/db/index.js'
import { migrate } from '../../src/db/migrations.js'
import { UniqueViolation } from '../../src/errors.js'
import { createRepositories } from '../../src/repositories/index.js'
import { tempDir } from '../helper.js'

async function openDb (t: TestContext, demoData = true): Promise<Db> {
  const db = await createDb(join(tempDir(t), 'nested', 'app.db'))
  t.after(() => db.close())
  await migrate(db, { demoData })
  return db
}

describe('openSqlite', () => {
  it('creates the folders of a new database file', async (t) => {
    const path = join(tempDir(t), 'a', 'b', 'app.db')
    const db = await createDb(path)
    t.after(() => db.close())
    await db.run('CREATE TABLE t (x INTEGER)')
    assert.equal(existsSync(path), true)
  })

  it('uses WAL and full synchronous commits', async (t) => {
    const db = await openDb(t)
    assert.equal((await db.one<{ journal_mode: string }>('PRAGMA journal_mode'))?.journal_mode, 'wal')
    assert.equal((await db.one<{ synchronous: number }>('PRAGMA synchronous'))?.synchronous, 2)
  })

  it('answers ping, and has no pool', async (t) => {
    const db = await openDb(t)
    await db.ping()
    assert.equal(db.poolStats(), undefined)
  })

  it('enforces foreign keys', async (t) => {
    const db = await openDb(t)
    assert.equal((await db.one<{ foreign_keys: number }>('PRAGMA foreign_keys'))?.foreign_keys, 1)
  })
})

describe('sqlite transactions', () => {
  it('roll back everything when the work throws', async (t) => {
    const db = await openDb(t)
    await assert.rejects(db.transaction(async (tx) => {
      await tx.run('INSERT INTO users (username, created_at) VALUES (?, ?)', ['temp', 'now'])
      throw new Error('boom')
    }), /boom/)
    assert.equal(await createRepositories(db).users.findCredentials('temp'), undefined)
  })

  it('keep another caller\'s statement out of a transaction that awaits', async (t) => {
    const db = await openDb(t)
    let opened!: () => void
    const open = new Promise<void>((resolve) => { opened = resolve })
    const failing = db.transaction(async (tx) => {
      await tx.run('INSERT INTO users (username, created_at) VALUES (?, ?)', ['inside', 'now'])
      opened()
      await sleep(20)
      throw new Error('rolled back')
    })
    await open
    // issued while the transaction is open: it must wait, not join it
    const outside = db.run('INSERT INTO users (username, created_at) VALUES (?, ?)', ['outside', 'now'])
    await assert.rejects(failing, /rolled back/)
    await outside
    const users = createRepositories(db).users
    assert.equal(await users.findCredentials('inside'), undefined)
    assert.notEqual(await users.findCredentials('outside'), undefined)
  })

  it('group the writes that arrive together into one commit, and answer none before it', async (t) => {
    const path = join(tempDir(t), 'grouped.db')
    const db = await createDb(path)
    t.after(() => db.close())
    await migrate(db, { demoData: false })
    const other = new Database(path)
    t.after(() => other.close())
    const insert = (name: string) => db.run('INSERT INTO users (username, created_at) VALUES (?, ?)', [name, 'now'])
    // WAL frames written since the last checkpoint: one per page per commit
    const framesAfter = async (writes: Array<Promise<unknown>>) => {
      other.pragma('wal_checkpoint(TRUNCATE)')
      await Promise.allSettled(writes)
      return (other.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]!.log
    }
    const single = await framesAfter([insert('first')])
    const visibleOnResolve: boolean[] = []
    const names = Array.from({ length: 20 }, (_, i) => `user${i}`)
    const together = await framesAfter([
      ...names.map((name) => insert(name).then(() => {
        // resolved only once committed: another connection sees it
        visibleOnResolve.push(other.prepare('SELECT 1 FROM users WHERE username = ?').get(name) !== undefined)
      })),
      // a failing write in the group takes nothing else with it
      assert.rejects(insert('user3'), UniqueViolation)
    ])
    assert.deepEqual(visibleOnResolve, names.map(() => true))
    assert.ok(together <= 2 * single, `20 writes issued together wrote ${together} WAL frames, one write ${single}`)
    assert.equal((other.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n, 21)
  })

  it('let no read see a write its group has not committed', async (t) => {
    const db = await openDb(t)
    const write = db.run('INSERT INTO users (username, created_at) VALUES (?, ?)', ['pending', 'now'])
    const seen = await db.one('SELECT 1 AS found FROM users WHERE username = ?', ['pending'])
    await write
    // the read waited for the commit: it sees the row, committed, never an uncommitted one
    assert.deepEqual(seen, { found: 1 })
  })

  it('turns a unique constraint into UniqueViolation', async (t) => {
    const db = await openDb(t)
    await assert.rejects(createRepositories(db).users.create('john', null), UniqueViolation)
  })
})
