import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { DiskFull, ReferenceViolation, UniqueViolation } from '../errors.js'
import { storable } from './params.js'
import type { Db, Queryable, RunResult, SqlValue } from './types.js'

const noop = () => {}

/** Turns engine errors that mean something to a caller into the engine-neutral ones. */
function translate (err: unknown): unknown {
  const code = (err as { code?: unknown }).code
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: users.email_key"
    const message = (err as Error).message
    return new UniqueViolation(message, /failed: \w+\.(\w+)/.exec(message)?.[1])
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return new ReferenceViolation((err as Error).message)
  if (code === 'SQLITE_FULL') return new DiskFull((err as Error).message)
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
    all: <T>(sql: string, params: readonly SqlValue[] = []) => guard(() => prepare(sql).all(...storable(params)) as T[]),
    one: <T>(sql: string, params: readonly SqlValue[] = []) => guard(() => prepare(sql).get(...storable(params)) as T | undefined),
    run: (sql: string, params: readonly SqlValue[] = []) => guard((): RunResult => ({ changes: prepare(sql).run(...storable(params)).changes }))
  }

  // Group commit. One connection serves every request, and a commit costs an fsync, far more
  // than the statements before it: the writes that arrive in one turn of the event loop share
  // one transaction, committed once they have all run, and none of them is answered before
  // that commit. Each write runs in a savepoint of its own, so one that fails takes nothing
  // else with it; writes run one at a time, as a write that awaits must not let another
  // request's statements into its own; reads wait for the commit, never seeing uncommitted rows.
  interface Group { readonly committed: Promise<void>, settle (err?: unknown): void }
  let group: Group | undefined
  let tail: Promise<unknown> = Promise.resolve()
  let writing = 0
  let commitScheduled = false
  let waitingReads: Array<() => void> = []

  const openGroup = (): Group => {
    // IMMEDIATE takes the write lock up front, so a write's read-then-write cannot be
    // overtaken by another process (a worker, the CLI) between the read and the write
    db.prepare('BEGIN IMMEDIATE').run()
    let settle!: (err?: unknown) => void
    const committed = new Promise<void>((resolve, reject) => { settle = (err) => { if (err === undefined) resolve(); else reject(err) } })
    // a group whose every write failed has nobody waiting on its commit
    committed.catch(noop)
    return { committed, settle }
  }
  /** Ends the group (committed, or on `err` rolled back, by SQLite itself or here), then runs the reads waiting for it. */
  const endGroup = (err?: unknown) => {
    const ended = group
    group = undefined
    if (ended !== undefined) {
      if (err === undefined) {
        try {
          db.prepare('COMMIT').run()
        } catch (commitErr) {
          err = translate(commitErr)
        }
      }
      if (err !== undefined && db.inTransaction) db.prepare('ROLLBACK').run()
      ended.settle(err)
    }
    // between groups: what they see is committed
    const reads = waitingReads
    waitingReads = []
    for (const read of reads) read()
  }
  // after the writes that arrived with this one have run, so that they join it
  const scheduleCommit = () => {
    if (commitScheduled) return
    commitScheduled = true
    setImmediate(() => {
      commitScheduled = false
      if (writing === 0 && db.open) endGroup()
    })
  }

  const write = <T>(work: (tx: Queryable) => Promise<T>): Promise<T> => {
    writing++
    const done = tail.then(async () => {
      try {
        group ??= openGroup()
        const joined = group
        db.prepare('SAVEPOINT write').run()
        try {
          return { value: await work(direct), joined }
        } catch (err) {
          if (db.inTransaction) db.prepare('ROLLBACK TO write').run()
          throw err
        } finally {
          if (db.inTransaction) db.prepare('RELEASE write').run()
        }
      } catch (err) {
        const translated = translate(err)
        // some errors (a full disk, I/O) make SQLite roll the whole transaction back
        if (group !== undefined && !db.inTransaction) endGroup(translated)
        throw translated
      } finally {
        if (--writing === 0) scheduleCommit()
      }
    })
    tail = done.then(noop, noop)
    return done.then(async ({ value, joined }) => { await joined.committed; return value })
  }

  const read = <T>(query: () => Promise<T>): Promise<T> => {
    if (writing === 0 && group === undefined) return query()
    return new Promise<T>((resolve) => { waitingReads.push(() => { resolve(query()) }) })
  }
  const isWrite = (sql: string) => !prepare(sql).readonly

  return {
    dialect: 'sqlite',
    all: <T>(sql: string, params?: readonly SqlValue[]) => isWrite(sql) ? write((tx) => tx.all<T>(sql, params)) : read(() => direct.all<T>(sql, params)),
    one: <T>(sql: string, params?: readonly SqlValue[]) => isWrite(sql) ? write((tx) => tx.one<T>(sql, params)) : read(() => direct.one<T>(sql, params)),
    run: (sql, params) => write((tx) => tx.run(sql, params)),
    transaction: write,
    ping: () => guard(() => { prepare('SELECT 1').get() }),
    poolStats: () => undefined,
    async close () {
      await tail
      endGroup()
      db.close()
    }
  }
}
