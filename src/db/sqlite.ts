import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { InsufficientStorage, UniqueViolation } from '../errors.js'
import type { Db, Queryable, RunResult, SqlValue } from './types.js'

const noop = () => {}

/** Turns engine errors that mean something to a caller into the engine-neutral ones. */
function translate (err: unknown): unknown {
  const code = (err as { code?: unknown }).code
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new UniqueViolation((err as Error).message)
  }
  if (code === 'SQLITE_FULL') return InsufficientStorage()
  return err
}

export function openSqlite (path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  // FULL: a commit is on disk before the caller hears of it, so a 2xx survives a crash
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  // other processes (workers, the CLI) may hold the write lock briefly
  db.pragma('busy_timeout = 5000')

  const statements = new Map<string, Database.Statement>()
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql)
    if (statement === undefined) {
      statement = db.prepare(sql)
      statements.set(sql, statement)
    }
    return statement
  }
  const guard = <T>(work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work())
    } catch (err) {
      return Promise.reject(translate(err))
    }
  }
  const direct: Queryable = {
    all: <T>(sql: string, params: readonly SqlValue[] = []) => guard(() => prepare(sql).all(...params) as T[]),
    one: <T>(sql: string, params: readonly SqlValue[] = []) => guard(() => prepare(sql).get(...params) as T | undefined),
    run: (sql: string, params: readonly SqlValue[] = []) => guard((): RunResult => ({ changes: prepare(sql).run(...params).changes }))
  }

  // One connection serves every request, so a transaction that awaits must not
  // let another request's statement slip into it: while one is open, every
  // other statement waits its turn.
  let tail: Promise<unknown> = Promise.resolve()
  let open = 0
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    if (open === 0) return work()
    const result = tail.then(work)
    tail = result.then(noop, noop)
    return result
  }

  return {
    dialect: 'sqlite',
    all: (sql, params) => inTurn(() => direct.all(sql, params)),
    one: (sql, params) => inTurn(() => direct.one(sql, params)),
    run: (sql, params) => inTurn(() => direct.run(sql, params)),
    transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      const result = tail.then(async () => {
        // IMMEDIATE takes the write lock up front, so read-then-write cannot be
        // overtaken by another process between the read and the write
        db.prepare('BEGIN IMMEDIATE').run()
        try {
          const value = await work(direct)
          db.prepare('COMMIT').run()
          return value
        } catch (err) {
          if (db.inTransaction) db.prepare('ROLLBACK').run()
          throw translate(err)
        } finally {
          open--
        }
      })
      open++
      tail = result.then(noop, noop)
      return result
    },
    ping: () => guard(() => { prepare('SELECT 1').get() }),
    poolStats: () => undefined,
    async close () {
      await tail
      db.close()
    }
  }
}
